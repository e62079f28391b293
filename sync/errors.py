"""What can go wrong between the till and the server, as typed errors with a message a cashier can
read (the screen shows `message`, logs and support use `code`)."""

from __future__ import annotations

from typing import Any

from till.errors import TillError


class SyncError(TillError):
    code = "sync_error"


# ---------------------------------------------------------------------------- the network


class ServerUnreachable(SyncError):
    """No answer from the server, after the retries: the till is offline for this call."""

    code = "server_unreachable"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The server cannot be reached ({detail}). Only drafts can be made until it is back."
        )
        self.detail = detail


class CertificateRejected(SyncError):
    """The server's TLS certificate did not verify: never retried, never ignored."""

    code = "certificate_rejected"

    def __init__(self, detail: str) -> None:
        super().__init__(
            "The server's certificate could not be verified, so the till refuses to talk to it "
            f"({detail}). Check the server address; with a private certificate authority, give "
            "its certificate in TILL_SYNC_CA_BUNDLE."
        )


class ApiError(SyncError):
    """The server answered with an error: `code` is the server's stable code, `message` its
    explanation, meant for the cashier."""

    status = 400

    def __init__(self, status: int, code: str, message: str, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body

    @property
    def transient(self) -> bool:
        """Worth sending again with the same key: the server (or a proxy) failed, nothing was
        done, and another try may well succeed."""
        return self.status in (429, 500, 502, 503, 504)


class Unauthorized(ApiError):
    """401: this till is not enrolled (or was revoked), or nobody is logged in any more."""


class Forbidden(ApiError):
    """403: the user logged in may not do this."""


class NotFound(ApiError):
    """404."""


class Conflict(ApiError):
    """409: the order's state forbids it (already validated, paid, closed register, ...)."""


class Rejected(ApiError):
    """422 and other 4xx: the server refused what was sent."""


class ServerFailed(ApiError):
    """5xx: the server (or a proxy before it) could not do it; nothing was done."""


_BY_STATUS: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
}


def api_error(status: int, code: str, message: str, body: Any = None) -> ApiError:
    kind = _BY_STATUS.get(status) or (ServerFailed if status >= 500 else Rejected)
    return kind(status, code, message, body)


# ---------------------------------------------------------------------------- credentials


class NoKeyring(SyncError):
    code = "no_keyring"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"No system keyring can keep this till's device token ({detail}). Set one up: on "
            "Linux, GNOME Keyring or KWallet in the till user's desktop session (for example "
            "`apt install gnome-keyring` and log in graphically, so that its Secret Service runs "
            "on D-Bus); on Windows the Credential Manager and on macOS the Keychain are built in. "
            "On a kiosk without any, set TILL_SYNC_CREDENTIALS=file and TILL_SYNC_CREDENTIALS_FILE "
            "to a file path: the token is then kept in that file, readable by this user only."
        )


class CredentialsError(SyncError):
    code = "credentials_error"


class NotEnrolled(SyncError):
    code = "not_enrolled"

    def __init__(self, server: str) -> None:
        super().__init__(
            f"This till is not enrolled with {server} yet: ask a manager for an enrollment code."
        )


class NotLoggedIn(SyncError):
    code = "not_logged_in"

    def __init__(self) -> None:
        super().__init__("Nobody is logged in on this till: log in with your PIN first.")


# ---------------------------------------------------------------------------- local work


class StoreUnreadable(SyncError):
    """The local store could not be read; the file was moved aside as it was, never overwritten."""

    code = "store_unreadable"

    def __init__(self, message: str, kept_as: str | None) -> None:
        super().__init__(message)
        self.kept_as = kept_as


class StoreFailed(SyncError):
    code = "store_failed"


class OfflineWindowExpired(SyncError):
    code = "offline_window_expired"


class OnlineOnly(SyncError):
    """Drafts are for when the server cannot be reached; online, tickets are the server's orders."""

    code = "online_only"

    def __init__(self) -> None:
        super().__init__("The server is reachable: ring this up as a ticket, not as a draft.")


class InvalidDraft(SyncError):
    code = "invalid_draft"


class ChangesPending(SyncError):
    code = "changes_pending"

    def __init__(self, what: str) -> None:
        super().__init__(
            f"Wait until the ticket shows the server's version before {what}: some changes are "
            "still being sent."
        )


class TicketClosed(SyncError):
    code = "ticket_closed"

    def __init__(self) -> None:
        super().__init__("This ticket is closed: open a new one.")
