"""The till's side of the central API: HTTP client, credentials, drafts, outbox, offline window."""
