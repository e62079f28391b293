"""Closures: a register's Z and X, and the shop's daily, monthly and yearly closings."""
