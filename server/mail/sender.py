"""The outbox's sender: a background thread that queues the scheduled reports of new shop
closings, then sends what is due, with retries and a growing wait after each failure.

Several server processes may run it at once: each message is claimed by one sender (a
conditional update) before it is sent, so it is sent once; a sender that dies holding one loses
it after `CLAIM_LEASE`. Nothing here runs on a request's path: a request queues its message in
its own transaction and, at most, wakes this thread.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

from server.config import Settings
from server.db import Database
from server.mail import services
from server.mail.mailer import Mailer, MailFailure
from server.mail.messages import compose
from server.operations import logs
from server.sealing.keys import KeyStore
from till.errors import TillError
from till.timestamps import utc_now

# Messages taken per pass; the next pass follows at once when there were more.
BATCH = 50
UNMADE = "The message could not be made (the server's log says why); it is not tried again."
UNSENT = "The message could not be sent (the server's log says why); it is tried again later."


class MailSender:
    def __init__(
        self, database: Database, keys: KeyStore, settings: Settings, mailer: Mailer
    ) -> None:
        self.database = database
        self.keys = keys
        self.settings = settings
        self.mailer = mailer
        self.interval = settings.mail_send_seconds
        # Names this sender's claims, so that it never marks a message another sender took.
        self.token = uuid.uuid4().hex
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: datetime | None = None) -> int:
        """Queue the reports now due, then send every message due; the number sent. A message
        is tried once per pass, even when its retry is due at once. `now`: the moment to act
        at, in place of the clock's (tests)."""
        self.queue_reports()
        sent = 0
        tried: set[str] = set()
        while not self._stop.is_set():
            with self.database.reader() as session:
                due = [
                    message_id
                    for message_id in services.due_messages(session, now or utc_now(), BATCH)
                    if message_id not in tried
                ]
            if not due:
                break
            for message_id in due:
                if self._stop.is_set():
                    break
                tried.add(message_id)
                sent += self.deliver(message_id, now)
        return sent

    def queue_reports(self) -> None:
        with self.database.reader() as session:
            shop_ids = services.shops_with_reports_due(session)
        for shop_id in shop_ids:
            try:
                with self.database.transaction() as session:
                    services.queue_reports(session, shop_id)
            except Exception as error:
                logs.logger().error(
                    "reports not queued", exc_info=error, extra={"event": "mail_queue_failed"}
                )

    def deliver(self, message_id: str, now: datetime | None = None) -> bool:
        """Claim the message, send it and record how it went; whether it was sent by us."""
        with self.database.transaction() as session:
            # Claimed as of now, not as of the start of the pass: after a slow batch the lease
            # would otherwise run out as it is taken, and another sender take the message too.
            if not services.claim(session, message_id, self.token, now or utc_now()):
                return False  # another sender has it
        try:
            with self.database.reader() as session:
                outgoing = compose(
                    session, self.keys, self.settings, services.message_row(session, message_id)
                )
        except MailFailure as failure:  # no SMTP server yet: it waits for one
            self._failed(message_id, failure)
            return False
        except (TillError, ValueError) as error:
            # What it tells cannot be read, or a header cannot be written: it never will be.
            logs.logger().error("mail not made", exc_info=error, extra={"event": "mail_error"})
            self._failed(message_id, MailFailure(UNMADE, permanent=True))
            return False
        try:
            refused = self.mailer.send(outgoing.server, outgoing.message)
        except MailFailure as failure:
            self._failed(message_id, failure)
            return False
        except Exception as error:
            # An error nobody foresaw is tried again later like an outage; its cause goes to the
            # log, not to the journal, which keeps what it is told for good.
            logs.logger().error("mail not sent", exc_info=error, extra={"event": "mail_error"})
            self._failed(message_id, MailFailure(UNSENT))
            return False
        with self.database.transaction() as session:
            recorded = services.mark_sent(
                session, self.keys, message_id, self.token, refused, outgoing.files, utc_now()
            )
        if recorded:
            logs.logger().info("mail sent", extra={"event": "mail_sent"})
        else:
            logs.logger().warning(
                "mail sent after its claim ran out", extra={"event": "mail_claim_lost"}
            )
        return recorded

    def _failed(self, message_id: str, failure: MailFailure) -> None:
        with self.database.transaction() as session:
            services.mark_failed(
                session, self.keys, message_id, self.token, failure, self.retry_delay, utc_now()
            )
        logs.logger().warning(f"mail not sent: {failure.reason}", extra={"event": "mail_failed"})

    def retry_delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt: doubled each time, up to the most."""
        base, most = self.settings.mail_retry_seconds, self.settings.mail_retry_max_seconds
        return timedelta(seconds=min(base * 2 ** min(attempts - 1, 30), most))

    def wake(self) -> None:
        """A message was queued: send it now rather than at the next tick."""
        self._wake.set()

    def start(self) -> None:
        if self.interval > 0:
            self._thread = threading.Thread(target=self._loop, name="mail-sender", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.smtp_timeout_seconds + 10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as error:
                logs.logger().error(
                    "mail sender pass failed", exc_info=error, extra={"event": "mail_pass_failed"}
                )
            # A wake that comes between these two lines is not lost: the pass that follows at
            # once sends what was committed before it.
            self._wake.wait(self.interval)
            self._wake.clear()
