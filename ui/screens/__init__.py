"""The screens of the till, one module each (or a few small ones together)."""
