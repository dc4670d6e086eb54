"""Reusable widgets: dashboard tiles, form helpers."""
