"""Pure rules: no database, no Qt, no disk."""
