"""The foundation every capability stands on: who acts, audit, sites, users, settings, backup, status, checks and reports."""
