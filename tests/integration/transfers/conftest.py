"""调拨 integration fixtures: a township and two villages syncing through the real hub (tests/support/transfers_sites.py)."""

from transfers_sites import template, world  # noqa: F401 - fixtures
