"""Issuance of receipts and invoices: the original, then numbered duplicata (seed 000 §3.3)."""
