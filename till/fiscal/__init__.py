"""The fiscal core: canonical records, the hash chain, Ed25519 signatures, verification."""
