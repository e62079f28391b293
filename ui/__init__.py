"""The cashier's screen (PySide6); talks only to `till`, `sync` and `printing`."""
