"""The event journal: the `event` chain of each shop (seed 000 §3.3, §8)."""
