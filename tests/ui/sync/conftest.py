"""同步 page fixtures: a real hub for the session and sites that joined it (tests/support/ui_hub.py)."""

from ui_hub import join_site, sync_hub  # noqa: F401 - fixtures
