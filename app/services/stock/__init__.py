"""Stock: the ledger, dispensing, stocktakes, trace codes, alerts, queries and checks."""
