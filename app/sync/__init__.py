"""Sync with the township hub (DESIGN §4): outbox push, pull, hub server."""
