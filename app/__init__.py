"""村医通 core: everything that is not a widget. Never imports PySide6 or ui."""

__version__ = "0.1.0"
