"""PySide6 widgets only. Screens call services through ``ui.workers.Op``; they never touch the database."""
