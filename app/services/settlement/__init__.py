"""Outpatient pooling settlement: visits, settlement, reversal, receipts and outpatient reports."""
