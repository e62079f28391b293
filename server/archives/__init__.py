"""Signed fiscal archives: a period's sealed records of a shop, zipped, signed, chained, kept."""
