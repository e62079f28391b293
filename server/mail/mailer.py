"""Handing a message to an SMTP server: the `Mailer` interface, its real implementation on
`smtplib`, and an in-memory one for tests and demos (chosen in `server.app.create_app`)."""

from __future__ import annotations

import base64
import smtplib
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Protocol


class Tls(StrEnum):
    NONE = "none"  # plain text: only for a relay on the same host or network
    STARTTLS = "starttls"  # port 587: plain, then upgraded before anything is said
    SSL = "ssl"  # port 465: TLS from the first byte


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: Tls
    user: str | None = None
    password: str | None = field(default=None, repr=False)


class MailFailure(Exception):
    """A message that was not sent. `permanent`: the server refused it for good (5xx), and
    trying again as it is would be refused again; otherwise it is tried again later."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Mailer(Protocol):
    def send(self, server: SmtpServer, message: EmailMessage) -> list[str]:
        """Send, or raise `MailFailure`; the recipients refused while others were accepted."""


def _reply(code: int, text: bytes | str) -> str:
    said = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(said.split())}"


class SmtpMailer:
    """One connection per message: messages are few (a Z, a report, an invoice), and a fresh
    connection never meets a session the server has since timed out."""

    def __init__(self, timeout: float, ca_file: Path | None = None) -> None:
        self.timeout = timeout
        self.ca_file = ca_file

    def send(self, server: SmtpServer, message: EmailMessage) -> list[str]:
        try:
            return self._send(server, message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _text in error.recipients.values()})
            raise MailFailure(
                f"The SMTP server refused every recipient (codes {', '.join(map(str, codes))}).",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPAuthenticationError as error:
            raise MailFailure(
                "The SMTP server refused the user name or password: "
                f"{_reply(error.smtp_code, error.smtp_error)}.",
                permanent=True,
            ) from None
        except smtplib.SMTPResponseException as error:
            raise MailFailure(
                f"The SMTP server answered {_reply(error.smtp_code, error.smtp_error)}.",
                permanent=error.smtp_code >= 500,
            ) from None
        except ssl.SSLCertVerificationError as error:
            raise MailFailure(
                f"The SMTP server's certificate is not trusted: {error.verify_message}."
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            # Connection refused, name not found, time out, connection dropped: try again later.
            reason = str(error) or type(error).__name__
            raise MailFailure(
                f"The SMTP server {server.host}:{server.port} could not be reached: {reason}."
            ) from None

    def _send(self, server: SmtpServer, message: EmailMessage) -> list[str]:
        context = ssl.create_default_context(cafile=self.ca_file)
        smtp: smtplib.SMTP
        if server.tls is Tls.SSL:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        with smtp:
            if server.tls is Tls.STARTTLS:
                try:
                    smtp.starttls(context=context)
                except smtplib.SMTPNotSupportedError:
                    raise MailFailure(
                        "The SMTP server does not offer STARTTLS: choose another TLS mode or port."
                    ) from None
            if server.user:
                try:
                    _log_in(smtp, server.user, server.password or "")
                except smtplib.SMTPNotSupportedError:
                    raise MailFailure(
                        "The SMTP server offers no log-in on this connection: choose a TLS mode, "
                        "or leave the user name out."
                    ) from None
            refused = smtp.send_message(message)
        return sorted(refused)


def _log_in(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """`smtplib` sends user names and passwords in ASCII only: others go as UTF-8 with AUTH
    PLAIN (RFC 4616), which every server with a log-in offers."""
    if (user + password).isascii():
        smtp.login(user, password)
        return
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
    code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


@dataclass
class MemoryMailer:
    """Keeps what it is given; `failure`, while set, is raised instead."""

    sent: list[tuple[SmtpServer, EmailMessage]] = field(default_factory=list)
    failure: MailFailure | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, server: SmtpServer, message: EmailMessage) -> list[str]:
        with self._lock:
            if self.failure is not None:
                raise self.failure
            self.sent.append((server, message))
        return []
