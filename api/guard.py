"""Who may call: the API key, its kind's endpoints, the per-integration rate limit, and the
Standard Webhooks signature of a PSP's or dialer's message (checked by the ``standardwebhooks``
library: HMAC-SHA256 over id, timestamp and body; a timestamp more than 5 minutes off is
refused)."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from crm.integrations import ENDPOINTS, INTEGRATIONS, SIGNED_KINDS, authenticate

KEY_HEADERS = ("x-api-key",)
WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
BURST_SECONDS = 2  # a full bucket holds this many seconds of an integration's rate


class Refused(Exception):
    """A request answered with an error and nothing written: its status, code and message,
    and the bad fields when it is the request's content that is wrong."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict | None = None,
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.headers = fields, headers or {}

    def body(self) -> dict:
        body = {"error": self.code, "message": self.message}
        if self.fields is not None:
            body["fields"] = self.fields
        return body


@dataclass(frozen=True)
class Caller:
    integration_id: int
    name: str
    kind: str
    rate_per_second: int
    webhook_secret: str | None
    key_hash: str = ""  # the hash the key was verified against, confirmed in each write


def api_key(headers) -> str | None:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return headers.get("x-api-key")


class Keys:
    """The integrations whose keys this process has verified, by the presented key's digest.

    A request whose key is here skips the lookup; it is never trusted on that alone: the
    request's own transaction confirms the integration is still active with that key
    (``confirm``), so a key revoked or rotated, by any process, is refused from the next
    request on, and its entry dropped. A key not found is never kept.
    """

    MAX_ENTRIES = 10_000

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self._verified: dict[str, Caller] = {}

    def caller(self, headers, endpoint: str) -> tuple[Caller, str]:
        """The integration the request's key belongs to, allowed on ``endpoint``, and the key's
        digest (for ``confirm``); else refused."""
        key = api_key(headers)
        if not key:
            raise Refused(
                401, "unauthorized", "no API key: send it as 'Authorization: Bearer <key>'"
            )
        digest = hashlib.sha256(key.encode()).hexdigest()
        who = self._verified.get(digest)
        if who is None:
            with self.engine.connect() as connection:
                row = authenticate(connection, key)
            if row is None:
                raise Refused(401, "unauthorized", "the API key is wrong, rotated or revoked")
            who = Caller(
                row.id, row.name, row.kind, row.rate_per_second, row.webhook_secret, row.key_hash
            )
            if len(self._verified) >= self.MAX_ENTRIES:
                self._verified.clear()
            self._verified[digest] = who
        if endpoint not in ENDPOINTS[who.kind]:
            raise Refused(
                403,
                "forbidden",
                f"a {who.kind} integration may not send to this endpoint "
                f"(it may send to: {', '.join(ENDPOINTS[who.kind])})",
            )
        return who, digest

    def confirm(self, connection: sa.Connection, who: Caller, digest: str) -> None:
        """Refuse the request unless its integration is still active with the same key, as
        the request's transaction sees it (one indexed row, no round trip of its own)."""
        current = connection.scalar(
            _CONFIRM, {"confirmed_id": who.integration_id, "confirmed_hash": who.key_hash}
        )
        if current is None:
            self._verified.pop(digest, None)
            raise Refused(401, "unauthorized", "the API key is wrong, rotated or revoked")


# Run by every request: built once.
_CONFIRM = sa.select(INTEGRATIONS.c.id).where(
    INTEGRATIONS.c.id == sa.bindparam("confirmed_id"),
    INTEGRATIONS.c.is_active.is_(True),
    INTEGRATIONS.c.key_hash == sa.bindparam("confirmed_hash"),
)


def verify_signature(who: Caller, body: bytes, headers) -> str | None:
    """The message's webhook-id once its signature checks out (PSPs and dialers; None for the
    others, whose requests the key alone vouches for)."""
    if who.kind not in SIGNED_KINDS:
        return None
    missing = [name for name in WEBHOOK_HEADERS if not headers.get(name)]
    if missing:
        raise Refused(
            401,
            "bad_signature",
            f"a signed webhook needs {', '.join(missing)}",
            fields=dict.fromkeys(missing, "is missing"),
        )
    if not who.webhook_secret:
        raise Refused(401, "bad_signature", "this integration has no signing secret: rotate it")
    try:
        Webhook(who.webhook_secret).verify(
            body, {name: headers[name] for name in WEBHOOK_HEADERS}, json_parse=False
        )
    except WebhookVerificationError as error:
        text = str(error)
        if "too old" in text or "too new" in text:
            raise Refused(
                401,
                "bad_signature",
                "webhook-timestamp is more than 5 minutes "
                "from now: send it at once, with the time it was signed",
                fields={"webhook-timestamp": text.lower()},
            ) from None
        raise Refused(
            401,
            "bad_signature",
            "the webhook signature does not match the body",
            fields={"webhook-signature": "does not match"},
        ) from None
    except (ValueError, UnicodeDecodeError):  # a malformed signature or body encoding
        raise Refused(
            401,
            "bad_signature",
            "the webhook signature is malformed",
            fields={"webhook-signature": "is malformed"},
        ) from None
    return headers["webhook-id"][:80]


class RateLimiter:
    """A token bucket per integration: ``rate_per_second`` on average, bursts of up to
    ``BURST_SECONDS`` of it. Per process: with several workers, each has its own buckets."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[int, tuple[float, float]] = {}  # id → (tokens, at)

    def take(self, who: Caller) -> None:
        rate = float(who.rate_per_second)
        capacity = rate * BURST_SECONDS
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(who.integration_id, (capacity, now))
            tokens = min(capacity, tokens + (now - at) * rate)
            if tokens < 1:
                self._buckets[who.integration_id] = (tokens, now)
                wait = max(1, math.ceil((1 - tokens) / rate))
                raise Refused(
                    429,
                    "rate_limited",
                    f"more than {who.rate_per_second} requests a second: slow down",
                    headers={"Retry-After": str(wait)},
                )
            self._buckets[who.integration_id] = (tokens - 1, now)
