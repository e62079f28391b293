"""Registers: opened with a counted float, cash in and out, and the closure obligation."""
