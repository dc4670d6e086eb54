"""统一结算 UI fixtures: a real hub on loopback and sites that joined it (tests/support/ui_hub.py)."""

from ui_hub import join_site, sync_hub  # noqa: F401 - fixtures
