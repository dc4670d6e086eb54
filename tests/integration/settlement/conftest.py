"""Fixtures for settlement integration tests: the village clinic of ``settle_clinic``."""

from settle_clinic import clinic  # noqa: F401 - the fixture of these tests
