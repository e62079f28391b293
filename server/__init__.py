"""The central API: the only place where orders are validated, numbered, sealed, paid and closed."""
