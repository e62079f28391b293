"""Reports and documents by e-mail: mail settings, the outbox and its sender (seed 000 §5)."""
