"""Residents, households, enrollment, qualifications and their coverage."""
