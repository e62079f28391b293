"""What the screen says when something fails: the core's and the server's messages as they are,
except for the common cases, which have a text of their own in the screen's language."""

from __future__ import annotations

from till.errors import TillError
from ui.i18n import tr

# Stable codes (sync.errors, the server's error codes) whose message the screen words itself.
_WORDED = {
    "server_unreachable": "The server cannot be reached: only drafts can be made until it is back.",
    "user_locked": "Too many wrong PINs: this user is locked for a few minutes.",
    "register_closed": "The register is closed: open it with its float first.",
    "closure_overdue": "The register must be closed (Z) before selling today.",
    "changes_pending": "Wait until the ticket shows the server's version: changes are being sent.",
    "not_payable": "A draft cannot be paid or validated: it waits for the server to be back.",
    "forbidden": "Your role does not allow this.",
    "online_only": "The server is reachable: ring this up as a ticket, not as a draft.",
}


def message_for(error: BaseException) -> str:
    if isinstance(error, TillError):
        worded = _WORDED.get(error.code)
        return tr(worded) if worded else error.message
    return tr("Something went wrong; the details are in the till's log.")
