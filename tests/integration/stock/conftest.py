"""Fixtures for stock integration tests: a village site in a real SQLite file with a small catalog."""

from stock_helpers import clinic, db_fingerprint  # noqa: F401 - fixtures and helpers of these tests
