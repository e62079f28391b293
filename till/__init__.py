"""The till's domain core: money, VAT, orders and the fiscal rules; no Qt, no HTTP, no SQL."""
