"""The browser connection behind the current run: where it comes from, and its session cookie.

Where a sign-in comes from (its rate limit's address, issue 26 item 6): the TCP peer of the
connection, unless that peer is a reverse proxy that ``STARBOARD_TRUST_FORWARDED_FOR`` names;
then the address that proxy added to ``X-Forwarded-For`` (the last one not itself a trusted
proxy: what clients write before it is not believed). IPv4 clients of the dual-stack server
(``::ffff:127.0.0.1``) are counted as their IPv4 address. Uvicorn's own reading of
``X-Forwarded-For`` is switched off by ``dashboard_server.py`` (``FORWARDED_ALLOW_IPS``), so
the peer seen here is the real one.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass

from crm.errors import UserError

# Where a browser trades a sign-in's one-time code for its session cookie (dashboard/server.py).
SESSION_PATH = "/_starboard/session"
TRUST_SETTING = "STARBOARD_TRUST_FORWARDED_FOR"
SESSION_COOKIE = "starboard_session"
# Secure contexts (HTTPS) name the cookie so that only a secure origin may set it.
SECURE_SESSION_COOKIE = "__Host-starboard_session"
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_LOG = logging.getLogger(__name__)
_warned_untrusted_proxy = False


def trusted_proxies(setting: str | None = None) -> tuple[Network, ...]:
    """The networks whose ``X-Forwarded-For`` is believed: ``STARBOARD_TRUST_FORWARDED_FOR``
    is off (empty, 0), on for a proxy on this machine (1: the loopback addresses), or a
    comma-separated list of the proxies' addresses or networks (10.0.0.5, 10.1.0.0/24)."""
    text = (os.environ.get(TRUST_SETTING, "") if setting is None else setting).strip()
    if text.lower() in ("", "0", "false", "no", "off"):
        return ()
    if text.lower() in ("1", "true", "yes", "on"):
        return LOOPBACK
    networks = []
    for part in text.split(","):
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            raise UserError(
                f"{TRUST_SETTING}: {part.strip()!r} is not an address or a network: give 1 "
                "for a proxy on this machine, or the proxies' addresses (10.0.0.5,10.1.0.0/24)."
            ) from None
    return tuple(networks)


def normal_ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP as one client is counted: an IPv4 address mapped into IPv6 is the IPv4 address."""
    try:
        ip = ipaddress.ip_address((text or "").strip().removeprefix("[").split("]")[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_of(peer: str | None, forwarded_for: Iterable[str], trusted: tuple[Network, ...]) -> str:
    """The client's address: ``peer`` (the connection's other end), or, when ``peer`` is a
    trusted proxy, the last hop of ``forwarded_for`` (every X-Forwarded-For header, in order)
    that is not itself a trusted proxy."""
    ip = normal_ip(peer)
    if ip is None:
        return "unknown"
    if not within(ip, trusted):
        return str(ip)
    hops = [normal_ip(hop) for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        if hop is None:
            return str(ip)  # not an address: nothing before it can be believed either
        if not within(hop, trusted):
            return str(hop)
    # No hop (the proxy's own request), or every hop a proxy: the first one is the client.
    return str(hops[0] if hops else ip)


@dataclass(frozen=True)
class Client:
    """Where a sign-in comes from: ``address`` is logged; ``limited`` says whether the
    per-address limit counts it. A browser on the server's own machine, connected directly,
    is not limited by address (every local browser shares 127.0.0.1, and one person there
    must not lock out everyone there); each account's own limit still holds."""

    address: str
    limited: bool


def client() -> Client:
    """Where the current run's sign-in comes from (see the module's docstring)."""
    context = _client_context()
    if context is None:
        return Client("unknown", True)
    headers = [value for name, value in context.headers if name.lower() == "x-forwarded-for"]
    trusted = trusted_proxies()
    peer = normal_ip(context.remote_ip)
    address = address_of(context.remote_ip, headers, trusted)
    # A request without X-Forwarded-For was not forwarded, even from a trusted proxy's address.
    direct = peer is None or not (within(peer, trusted) and headers)
    if direct and headers and peer is not None and peer.is_loopback:
        _warn_untrusted_proxy()
    return Client(address, limited=not (direct and peer is not None and peer.is_loopback))


def session_cookie() -> str | None:
    """The session token the browser sent with this connection, if any."""
    context = _client_context()
    if context is None:
        return None
    cookies = context.cookies
    return cookies.get(SECURE_SESSION_COOKIE) or cookies.get(SESSION_COOKIE)


def has_browser() -> bool:
    """Whether this run belongs to a browser's connection (not to an in-process test run)."""
    return _client_context() is not None


def _client_context():
    """Streamlit's record of the connection of this run's session: the websocket's peer,
    headers and cookies, from the connection now serving the session (a resumed session
    gets the resuming connection's). None outside a server (AppTest)."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.web.server.starlette.starlette_websocket import StarletteClientContext

    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return None
    client = runtime.get_instance().get_client(ctx.session_id)
    context = getattr(client, "client_context", None) if client is not None else None
    # AppTest's runtime is a stand-in whose client answers anything: not a browser.
    return context if isinstance(context, StarletteClientContext) else None


def within(ip, networks: tuple[Network, ...]) -> bool:
    return any(ip.version == network.version and ip in network for network in networks)


def _warn_untrusted_proxy() -> None:
    global _warned_untrusted_proxy
    if not _warned_untrusted_proxy:
        _warned_untrusted_proxy = True
        _LOG.warning(
            "a proxy on this machine forwards clients (X-Forwarded-For) but %s is off: "
            "sign-ins are counted per account only; set it to 1 to count them per client.",
            TRUST_SETTING,
        )
