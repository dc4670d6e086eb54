"""reportlab documents: receipts, prescriptions, stock cards, count sheets, reports (DESIGN §7)."""
