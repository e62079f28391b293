"""Accounting exports: the FEC with the shop's chart of accounts, and the SAF-T Cash Register."""
