"""The till's side of the central API: HTTP client, credentials, local drafts, outbox, offline window."""
