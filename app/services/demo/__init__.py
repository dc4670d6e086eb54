"""Demo data: a township, villages, catalog, residents and years of history."""
