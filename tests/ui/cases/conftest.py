"""帮办代办 UI fixtures: for the two-site test, a real hub on loopback and sites that joined it
(tests/support/ui_hub.py, as the 同步 page's tests)."""

from ui_hub import join_site, sync_hub  # noqa: F401 - fixtures
