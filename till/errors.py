"""Typed domain errors: each carries a stable `code` for the API and a message a person can read."""


class TillError(Exception):
    """Base of every domain error; `code` is stable, the message is for people."""

    code = "till_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
