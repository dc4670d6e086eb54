"""Dialogs: first-run wizard, sign-in, new user."""
