"""What Starboard adds to Streamlit's web server (``dashboard_server.py`` serves the dashboard
with it): the route that turns a sign-in into the browser's session cookie, the headers every
answer carries, and a filter on what a browser may ask of the server and learn from it.

- ``/_starboard/session?code=...&next=/page``: trades the one-time code of a sign-in
  (``crm.sessions.start``) for the session's token, sets it as an HttpOnly, SameSite=Strict
  cookie (``__Host-``, Secure, under HTTPS) and sends the browser on to ``next`` (a path of
  this site only). The token never appears in a URL; the code is dead once used or after a
  minute.
- Streamlit's runtime metrics and agent API answer 404.
- Every HTTP answer: no framing by another site (X-Frame-Options, CSP frame-ancestors), a
  Content-Security-Policy that lets the page load and connect to this site only, no Referer,
  no MIME sniffing.
- The websocket: messages a viewer has no use for are dropped (clear_cache, which would empty
  every user's caches; run-on-save, git information, the developer-only debug messages, the
  skills installer), and the session's first message carries no server path or versions.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

import streamlit
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from crm import sessions
from crm.errors import UserError
from dashboard import connection

# Messages from a browser that the dashboard never needs; the rest go through.
BLOCKED_MESSAGES = frozenset(
    {
        "clear_cache",
        "set_run_on_save",
        "load_git_info",
        "debug_disconnect_websocket",
        "debug_shutdown_runtime",
    }
)
# Streamlit's runtime figures (cache names, sessions) and agent API: nothing for the outside.
HIDDEN_PATHS = ("/_stcore/metrics", "/_stcore/agent/")
BLOCKED_OPERATIONS = frozenset({"install_skills", "dismiss_skills_nudge"})
# The session's first message is small; data-bearing messages (tables) are not read.
SCRUB_BELOW_BYTES = 256 * 1024
_serving = False
_LOG = logging.getLogger("starboard.server")


def serving() -> bool:
    """Whether this process serves the dashboard through ``dashboard_server.py``."""
    return _serving


def mark_serving() -> None:
    global _serving
    _serving = True


def without_proxy_headers(app, trusted_hosts=None):
    """Stands in for Uvicorn's ProxyHeadersMiddleware: the app sees the real peer."""
    return app


def routes(engine_of) -> list[Route]:
    """The session route; ``engine_of()`` gives the CRM's engine (read when a request comes)."""

    async def start_session(request: Request) -> Response:
        import anyio

        code = request.query_params.get("code", "")
        target = safe_next(request.query_params.get("next"))
        token = await anyio.to_thread.run_sync(lambda: sessions.exchange(engine_of(), code))
        response = RedirectResponse(target, status_code=303)
        response.headers["Cache-Control"] = "no-store"
        if token is not None:
            secure = _is_https(request)
            response.set_cookie(
                connection.SECURE_SESSION_COOKIE if secure else connection.SESSION_COOKIE,
                token,
                path="/",
                httponly=True,
                samesite="strict",
                secure=secure,
            )
        return response

    return [Route(connection.SESSION_PATH, start_session, methods=["GET"])]


def safe_next(target: str | None) -> str:
    """``target`` if it is a path of this site (not //other.site, not a URL), else "/"."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in target):
        return "/"
    return target


def _is_https(request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    # Behind a trusted proxy that ends TLS, the proxy says so.
    peer = connection.normal_ip(request.client.host if request.client else None)
    proto = request.headers.get("x-forwarded-proto", "").strip().lower()
    try:
        trusted = connection.trusted_proxies()
    except UserError:  # the dashboard's pages say so; here, no proxy is believed
        return False
    return proto == "https" and peer is not None and connection.within(peer, trusted)


def content_security_policy() -> str:
    """Scripts, styles, images and connections from this site only; the hashes allow the
    inline scripts of Streamlit's own index.html; no site may frame the dashboard."""
    index = Path(streamlit.__file__).parent / "static" / "index.html"
    inline = re.findall(r"<script>(.*?)</script>", index.read_text(), flags=re.DOTALL)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in inline
    )
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {hashes}".strip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers() -> list[tuple[str, str]]:
    """The headers every answer carries (the proxy in deploy/nginx.py sends the same)."""
    return [
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", content_security_policy()),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ]


class Guard:
    """ASGI middleware: the headers on every HTTP answer, and the websocket filter."""

    def __init__(self, app) -> None:
        self.app = app
        self.headers = [
            (name.lower().encode(), value.encode()) for name, value in security_headers()
        ]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            if _hidden(scope.get("path", "")):
                await Response("Not found", status_code=404)(
                    scope, receive, self._with_headers(send)
                )
                return
            await self.app(scope, receive, self._with_headers(send))
        elif scope["type"] == "websocket":
            await self.app(scope, _filtered(receive), _scrubbed(send))
        else:
            await self.app(scope, receive, send)

    def _with_headers(self, send):
        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in self.headers if name not in names),
                ]
            await send(message)

        return send_with_headers


def _hidden(path: str) -> bool:
    base = "/" + (streamlit.config.get_option("server.baseUrlPath") or "").strip("/")
    path = path.removeprefix(base.rstrip("/")) or "/"
    return any(path == hidden.rstrip("/") or path.startswith(hidden) for hidden in HIDDEN_PATHS)


def blocked(data: bytes) -> str | None:
    """The kind of a browser's message if the dashboard drops it, else None."""
    message = BackMsg()
    try:
        message.ParseFromString(data)
    except Exception:  # noqa: BLE001 - Streamlit itself closes the connection on garbage
        return None
    kind = message.WhichOneof("type")
    if kind == "backend_operation_request":
        kind = message.backend_operation_request.WhichOneof("payload")
        return kind if kind in BLOCKED_OPERATIONS else None
    return kind if kind in BLOCKED_MESSAGES else None


def scrub(data: bytes) -> bytes:
    """A session's first message without the server's script path and versions."""
    if len(data) >= SCRUB_BELOW_BYTES:
        return data
    message = ForwardMsg()
    try:
        message.ParseFromString(data)
    except Exception:  # noqa: BLE001 - not ours to judge
        return data
    if message.WhichOneof("type") != "new_session":
        return data
    session = message.new_session
    session.main_script_path = Path(session.main_script_path).name
    environment = session.initialize.environment_info
    environment.streamlit_version = ""
    environment.python_version = ""
    environment.server_os = ""
    return message.SerializeToString()


def _filtered(receive):
    async def receive_allowed():
        while True:
            message = await receive()
            data = message.get("bytes") if message["type"] == "websocket.receive" else None
            kind = blocked(data) if data is not None else None
            if kind is None:
                return message
            _LOG.warning("dropped a %s message from a browser", kind)

    return receive_allowed


def _scrubbed(send):
    async def send_scrubbed(message) -> None:
        if message["type"] == "websocket.send" and message.get("bytes"):
            message = {**message, "bytes": scrub(message["bytes"])}
        await send(message)

    return send_scrubbed
