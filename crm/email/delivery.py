"""Delivering the outbox over SMTP: claim the mail that is due, send it, mark what happened.

How no message goes twice and none is lost:
- A message is *claimed* before it is sent, in a short transaction of its own: ``attempts`` goes
  up by one and ``next_attempt_at`` moves to the end of a lease. PostgreSQL claims with
  ``SELECT ... FOR UPDATE SKIP LOCKED`` and SQLite under its single-writer lock (``BEGIN
  IMMEDIATE``), so two senders running at once never claim the same message, and no database
  lock is held while the mail server is talking.
- Once the server has answered, the message is marked in its own transaction: ``sent`` with
  ``sent_at``; or, with ``last_error``, a retry at now + back-off (1, 2, 4 ... minutes, at most
  an hour); or ``failed`` after the last attempt, or at once when the server refuses the
  recipient or the message for good (an SMTP 5xx answer).
- A sender stopped with Ctrl-C finishes the message in hand, marks it, and hands the rest of its
  claim back. A sender killed between sending and marking leaves its claim to expire: that
  message goes again after the lease (at least once, never silently dropped); its Message-ID is
  the same on every attempt so that the receiving side can tell.

The row stays ``queued`` while claimed, so the outbox needs no status beyond queued, sent and
failed: a queued row whose ``next_attempt_at`` is in the future is waiting (for a retry, or for
the sender that holds it).
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from crm.db import describe
from crm.errors import UserError
from crm.models import EmailOutbox, utcnow
from crm.signals import signals_held, sigterm_interrupts

OUTBOX = EmailOutbox.__table__

TLS_MODES = ("none", "starttls", "tls")
DEFAULT_PORTS = {"none": 1025, "starttls": 587, "tls": 465}
DEFAULT_SENDER = "Client Services <no-reply@starboard.localhost>"
# A password may cross the network in clear text only to this machine itself.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_TIMEOUT_S = 30.0
ERROR_TEXT_LIMIT = 1000
FAILED_ROUNDS_TO_GIVE_UP = 5


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how mail leaves: read once from the environment (``SMTP_*``), passed down."""

    host: str = "localhost"
    port: int = DEFAULT_PORTS["none"]
    tls: str = "none"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = DEFAULT_SENDER
    timeout_s: float = DEFAULT_TIMEOUT_S
    ca_file: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings:
        """The settings in ``environ`` (default: ``os.environ``); a one-line UserError if bad."""
        environ = os.environ if environ is None else environ

        def read(name: str) -> str | None:
            return environ.get(name, "").strip() or None

        tls = (read("SMTP_TLS") or "none").lower()
        if tls not in TLS_MODES:
            raise UserError(
                f"SMTP_TLS {read('SMTP_TLS')!r} is not one of {', '.join(TLS_MODES)}: set it to "
                "how the mail server takes TLS (starttls on 587, tls on 465, none by default)"
            )
        host = read("SMTP_HOST") or "localhost"
        # One colon is a host:port written together (IPv6 addresses have several).
        if any(character.isspace() or character == "/" for character in host) or (
            host.count(":") == 1
        ):
            raise UserError(
                f"SMTP_HOST {host!r} is not a host name: set it like mail.example.com "
                "(and the port in SMTP_PORT)"
            )
        port = _port(read("SMTP_PORT"), DEFAULT_PORTS[tls])
        user, password = read("SMTP_USER"), environ.get("SMTP_PASSWORD") or None
        if password and not user:
            raise UserError("SMTP_PASSWORD is set but SMTP_USER is not: set both, or neither")
        if user and not password:
            raise UserError(f"SMTP_USER {user!r} is set but SMTP_PASSWORD is not: set both")
        if user and tls == "none" and host not in LOOPBACK_HOSTS:
            raise UserError(
                f"SMTP_PASSWORD would cross the network unencrypted to {host}: "
                "set SMTP_TLS=starttls (or tls)"
            )
        sender = read("SMTP_FROM") or DEFAULT_SENDER
        if "@" not in parseaddr(sender)[1]:
            raise UserError(
                f"SMTP_FROM {sender!r} is not a mail address: "
                "set it like 'Client Services <clients@example.com>'"
            )
        timeout_s = _positive_seconds(read("SMTP_TIMEOUT"))
        ca_file = read("SMTP_CA_FILE")
        if ca_file and not Path(ca_file).is_file():
            raise UserError(
                f"SMTP_CA_FILE {ca_file!r} is not a file: give the path of the PEM certificate "
                "of the authority that signed the mail server's certificate"
            )
        return cls(host, port, tls, user, password, sender, timeout_s, ca_file)

    def describe(self) -> str:
        """Where mail goes, for messages (never the password)."""
        security = {"none": "no TLS", "starttls": "STARTTLS", "tls": "TLS"}[self.tls]
        login = f", as {self.user}" if self.user else ""
        return f"SMTP {self.host}:{self.port} ({security}{login})"

    def ssl_context(self) -> ssl.SSLContext:
        # Verified like a browser would; a private authority is trusted only when named.
        return ssl.create_default_context(cafile=self.ca_file)


def _port(text: str | None, default: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise UserError(f"SMTP_PORT {text!r} is not a port number: set it to 1-65535, like 587")
    return int(text)


def _positive_seconds(text: str | None) -> float:
    if text is None:
        return DEFAULT_TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise UserError(f"SMTP_TIMEOUT {text!r} is not a number of seconds: set it like 30")
    return seconds


@dataclass(frozen=True)
class RetryPolicy:
    """How often a message is tried, and how long to wait between tries."""

    max_attempts: int = 8
    first_delay: timedelta = timedelta(minutes=1)
    longest_delay: timedelta = timedelta(hours=1)
    batch: int = 20

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: doubling, capped."""
        return min(self.first_delay * 2 ** min(attempts - 1, 20), self.longest_delay)

    def lease(self, settings: SmtpSettings) -> timedelta:
        # Long enough for a whole batch to time out message by message before another sender
        # may take the claim over.
        return timedelta(seconds=self.batch * 2 * settings.timeout_s + 60)


DEFAULT_POLICY = RetryPolicy()


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    last_error: str | None = None

    @property
    def tried(self) -> int:
        return self.sent + self.retrying + self.failed

    def summary(self) -> str:
        line = f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"
        return f"{line} (last error: {self.last_error})" if self.last_error else line


@dataclass(frozen=True)
class Claim:
    """A message this sender holds: ``attempts`` counts this attempt."""

    id: int
    attempts: int
    previous_next_attempt_at: datetime | None
    to_address: str
    subject: str
    body: str


class _SettingsRefused(Exception):
    """The server turned down how we connect (login, TLS): no message is to blame."""


class _ConnectionLost(Exception):
    """The connection broke: the message in hand failed, the rest were never tried."""


# Claims --------------------------------------------------------------------------------------


def claim_due(
    connection: sa.Connection, now: datetime, limit: int, lease: timedelta
) -> list[Claim]:
    """Take up to ``limit`` due messages, oldest first, in one transaction."""
    due = (
        sa.select(
            OUTBOX.c.id,
            OUTBOX.c.attempts,
            OUTBOX.c.next_attempt_at,
            OUTBOX.c.to_address,
            OUTBOX.c.subject,
            OUTBOX.c.body,
        )
        .where(
            OUTBOX.c.status == "queued",
            sa.or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= now),
        )
        .order_by(OUTBOX.c.id)
        .limit(limit)
        # SKIP LOCKED: a second sender takes the next messages instead of waiting for these.
        .with_for_update(skip_locked=True)
    )
    with connection.begin():
        rows = connection.execute(due).all()
        if not rows:
            return []
        connection.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id.in_([row.id for row in rows]))
            .values(attempts=OUTBOX.c.attempts + 1, next_attempt_at=now + lease)
        )
    return [
        Claim(row.id, row.attempts + 1, row.next_attempt_at, row.to_address, row.subject, row.body)
        for row in rows
    ]


def _mark(connection: sa.Connection, claim: Claim, **values) -> None:
    # Only while the claim is still ours: a sender whose lease ran out does not overwrite the
    # sender that took the message over.
    with connection.begin():
        connection.execute(
            sa.update(OUTBOX)
            .where(
                OUTBOX.c.id == claim.id,
                OUTBOX.c.status == "queued",
                OUTBOX.c.attempts == claim.attempts,
            )
            .values(**values)
        )


def _release(connection: sa.Connection, claims: list[Claim]) -> None:
    """Hand back messages that were claimed but never tried: as they were, attempt uncounted."""
    for claim in claims:
        _mark(
            connection,
            claim,
            attempts=claim.attempts - 1,
            next_attempt_at=claim.previous_next_attempt_at,
        )


def _record_failure(
    connection: sa.Connection,
    claim: Claim,
    error: str,
    *,
    permanent: bool,
    now: datetime,
    policy: RetryPolicy,
    report: DeliveryReport,
) -> None:
    error = error[:ERROR_TEXT_LIMIT]
    report.last_error = error
    if permanent or claim.attempts >= policy.max_attempts:
        _mark(connection, claim, status="failed", last_error=error, next_attempt_at=None)
        report.failed += 1
    else:
        retry_at = now + policy.delay(claim.attempts)
        _mark(connection, claim, last_error=error, next_attempt_at=retry_at)
        report.retrying += 1


# SMTP ----------------------------------------------------------------------------------------


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, secured, logged-in connection; _SettingsRefused when the settings are wrong."""
    try:
        if settings.tls == "tls":
            smtp = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=settings.timeout_s,
                context=settings.ssl_context(),
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
    except ssl.SSLError as error:
        raise _SettingsRefused(_tls_problem(settings, error)) from None
    try:
        if settings.tls == "starttls":
            smtp.starttls(context=settings.ssl_context())
        if settings.user:
            smtp.login(settings.user, settings.password or "")
    except ssl.SSLError as error:
        _close(smtp)
        raise _SettingsRefused(_tls_problem(settings, error)) from None
    except smtplib.SMTPNotSupportedError as error:
        _close(smtp)
        raise _SettingsRefused(
            f"{settings.describe()}: {error} Check SMTP_TLS, SMTP_PORT and SMTP_USER"
        ) from None
    except smtplib.SMTPAuthenticationError as error:
        _close(smtp)
        raise _SettingsRefused(
            f"{settings.describe()} refused the login ({_response(error)}): "
            "fix SMTP_USER and SMTP_PASSWORD"
        ) from None
    except BaseException:
        _close(smtp)
        raise
    return smtp


def _tls_problem(settings: SmtpSettings, error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the certificate of {settings.describe()} cannot be verified "
            f"({error.verify_message}): set SMTP_CA_FILE to the authority that signed it"
        )
    return (
        f"the TLS handshake with {settings.describe()} failed ({error.reason or error}): "
        "check SMTP_TLS and SMTP_PORT (starttls is usually 587, tls 465)"
    )


def _close(smtp: smtplib.SMTP) -> None:
    with suppress(smtplib.SMTPException, OSError):
        smtp.quit()
    smtp.close()


def _response(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{error.smtp_code} {' '.join(str(text).split())}".strip()


def _message(claim: Claim, settings: SmtpSettings, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = claim.to_address
    message["Subject"] = claim.subject
    message["Date"] = format_datetime(now)
    domain = parseaddr(settings.sender)[1].rpartition("@")[2]
    # The same id on every attempt, so a receiver can drop a copy sent again after a crash.
    message["Message-ID"] = f"<outbox-{claim.id}@{domain}>"
    message.set_content(claim.body)
    return message


def _send(smtp: smtplib.SMTP, claim: Claim, settings: SmtpSettings, now: datetime):
    """None when the server took the message, else (error text, whether it is permanent)."""
    try:
        smtp.send_message(_message(claim, settings, now))
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        response = smtplib.SMTPResponseException(code, text)
        return f"the server refused {claim.to_address}: {_response(response)}", code >= 500
    except smtplib.SMTPDataError as error:
        return f"the server refused the message: {_response(error)}", error.smtp_code >= 500
    except smtplib.SMTPSenderRefused as error:
        # About SMTP_FROM, not this message: worth retrying once the settings are fixed.
        return f"the server refused the sender {settings.sender}: {_response(error)}", False
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        raise _ConnectionLost(f"{settings.describe()} broke the connection: {error}") from None
    except smtplib.SMTPResponseException as error:
        return f"the server answered {_response(error)}", False
    return None


# Rounds --------------------------------------------------------------------------------------


def deliver_due(
    engine: sa.Engine,
    settings: SmtpSettings,
    policy: RetryPolicy = DEFAULT_POLICY,
    clock: Callable[[], datetime] = utcnow,
    report: DeliveryReport | None = None,
) -> DeliveryReport:
    """Send every message due now, batch by batch; a UserError when the settings are wrong.

    Stops early when the server cannot be reached: the messages not tried stay due for the
    next round. Counts into ``report`` as it goes, so a round cut short by Ctrl-C still says
    what it sent.
    """
    report = DeliveryReport() if report is None else report
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection:
        while True:
            claims = claim_due(connection, clock(), policy.batch, policy.lease(settings))
            if not claims:
                return report
            if not _deliver_batch(connection, claims, settings, policy, clock, report):
                return report


def _deliver_batch(
    connection: sa.Connection,
    claims: list[Claim],
    settings: SmtpSettings,
    policy: RetryPolicy,
    clock: Callable[[], datetime],
    report: DeliveryReport,
) -> bool:
    pending = list(claims)
    try:
        try:
            smtp = _connect(settings)
        except _SettingsRefused as problem:
            raise UserError(str(problem)) from None
        except (OSError, smtplib.SMTPException) as error:
            text = f"cannot reach {settings.describe()}: {error}"
            failed, pending = pending, []
            for claim in failed:
                _record_failure(
                    connection,
                    claim,
                    text,
                    permanent=False,
                    now=clock(),
                    policy=policy,
                    report=report,
                )
            return False
        try:
            while pending:
                if smtp.sock is None:
                    # The server hung up after a refusal (421): the rest wait for next round.
                    return False
                # Off the list before the server sees it: if this sender dies mid-message, the
                # message waits out the lease rather than being handed back and sent twice.
                claim = pending.pop(0)
                with signals_held() as received:
                    try:
                        refused = _send(smtp, claim, settings, clock())
                    except _ConnectionLost as lost:
                        _record_failure(
                            connection,
                            claim,
                            str(lost),
                            permanent=False,
                            now=clock(),
                            policy=policy,
                            report=report,
                        )
                        return False
                    if refused is None:
                        _mark(
                            connection,
                            claim,
                            status="sent",
                            sent_at=clock(),
                            next_attempt_at=None,
                            last_error=None,
                        )
                        report.sent += 1
                    else:
                        error, permanent = refused
                        _record_failure(
                            connection,
                            claim,
                            error,
                            permanent=permanent,
                            now=clock(),
                            policy=policy,
                            report=report,
                        )
                if received:
                    raise KeyboardInterrupt
        finally:
            _close(smtp)
        return True
    finally:
        if pending:
            _release(connection, pending)


def queued_for_later(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(
            sa.select(sa.func.count()).select_from(OUTBOX).where(OUTBOX.c.status == "queued")
        )


def run_sender(
    engine: sa.Engine,
    settings: SmtpSettings,
    policy: RetryPolicy = DEFAULT_POLICY,
    *,
    every: float | None = None,
) -> DeliveryReport:
    """One round (``every`` None), or a round every ``every`` seconds until Ctrl-C / SIGTERM.

    Prints one line per round that had something to send, and one for a lone round.
    """
    if every is None:
        report = DeliveryReport()
        try:
            deliver_due(engine, settings, policy, report=report)
        except KeyboardInterrupt:
            print(f"send-emails: {report.summary()} before it was stopped", flush=True)
            raise
        except DBAPIError as error:
            raise UserError(
                f"the CRM ({describe(engine)}) failed during delivery ({_reason(error)}); mail "
                "in hand goes again after its lease. Run send-emails again."
            ) from None
        waiting = queued_for_later(engine)
        later = f"; {waiting} queued for a later attempt" if waiting else ""
        print(f"send-emails: {report.summary()} through {settings.describe()}{later}", flush=True)
        return report
    print(
        f"send-emails: delivering the outbox through {settings.describe()} every {every:g} s; "
        "Ctrl-C stops it.",
        flush=True,
    )
    failures = 0
    with sigterm_interrupts():
        while True:
            began, report = time.monotonic(), DeliveryReport()
            try:
                deliver_due(engine, settings, policy, report=report)
            except DBAPIError as error:
                # A database restart should not end a long-running sender; a dead one should.
                failures += 1
                if failures >= FAILED_ROUNDS_TO_GIVE_UP:
                    raise UserError(
                        f"the CRM ({describe(engine)}) failed {failures} rounds in a row "
                        f"({_reason(error)}). Start send-emails again when it is back."
                    ) from None
                print(f"send-emails: a round failed ({_reason(error)}); trying again", flush=True)
            else:
                failures = 0
            finally:
                if report.tried:
                    print(f"send-emails: {report.summary()}", flush=True)
            time.sleep(max(0.0, every - (time.monotonic() - began)))


def _reason(error: DBAPIError) -> str:
    return str(getattr(error, "orig", error)).strip().splitlines()[0]
