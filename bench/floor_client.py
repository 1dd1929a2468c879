"""A browser-free Streamlit client: one signed-in person's tab, spoken over the websocket.

The browser and the server talk protobufs over ``/_stcore/stream`` (subprotocol ``streamlit``):
the browser sends a ``BackMsg`` whose ``rerun_script`` carries the ``ClientState`` (the page's
``page_script_hash``, the widget values, a fragment's id for its own reruns); the server answers
with ``ForwardMsg``s: ``new_session`` when a run starts, ``navigation`` (the pages
``st.navigation`` offers), ``delta``s (the elements), ``auto_rerun`` (a fragment's
``run_every``, which the *browser* then keeps up) and ``script_finished`` when the run is done.
Click → content here is the time from sending the rerun to that run's ``script_finished``.

Sign-in is ``sign_in`` alone: it fills the sign-in form's two inputs by their keys and presses
its submit button, as a person does. Served by ``dashboard_server.py``, a right password sends
the browser to the session route (an ``auth_redirect``): the tab follows it over HTTP, keeps
the session cookie it sets and opens again with it, as the browser's reload does. A tab keeps
its cookies (and, behind ``./start --workers``, the proxy's worker cookie from its first GET).
"""

from __future__ import annotations

import asyncio
import http.client
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyarrow as pa
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

SIGN_IN_EMAIL_KEY = "sign_in.email"  # dashboard/sign_in.py's keys
SIGN_IN_PASSWORD_KEY = "sign_in.password"
SIGN_IN_FORM = "sign_in"
SUCCESS = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
ERROR_ALERT = 1  # Alert.Format.ERROR


class FloorError(Exception):
    """A page view that did not give its content: its one-line reason."""


@dataclass
class Run:
    """What one script run sent back."""

    seconds: float
    status: int
    exceptions: int = 0  # st.exception elements: a page that broke
    error_alerts: list[str] = field(default_factory=list)  # st.error lines
    tables: list[pa.Table] = field(default_factory=list)  # when asked for: the dataframes


@dataclass
class _Pending:
    started: float
    done: asyncio.Future
    keep_tables: bool
    run: Run | None = None


@dataclass
class Widget:
    id: str
    kind: str
    form_id: str = ""
    is_form_submitter: bool = False


class StreamlitTab:
    """One browser tab's websocket session."""

    def __init__(self, url: str, timeout: float = 120.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.pages: dict[str, str] = {}  # url path ("online") → page_script_hash
        self.page_names: dict[str, str] = {}  # page_script_hash → title
        self.page_hash = ""  # the page the last run ran
        self.widgets: dict[str, Widget] = {}  # user key → widget, from the last runs' deltas
        self.fragments: dict[str, float] = {}  # fragment id → run_every seconds
        self.received_bytes = 0
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._pending: _Pending | None = None
        self._closed_reason: str | None = None
        self.cookies: dict[str, str] = {}
        self.redirect: str | None = None  # where the last run sent the browser

    async def open(self) -> Run:
        """Load the page and connect, then run the app's first page, as a new tab does."""
        await asyncio.to_thread(self.get, "/")
        ws_url = self.url.replace("http://", "ws://").replace("https://", "wss://")
        headers = {"Origin": self.url}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self._ws = await websockets.connect(
            f"{ws_url}/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            open_timeout=self.timeout,
            ping_interval=None,
        )
        self._closed_reason = None
        self._reader = asyncio.create_task(self._read())
        return await self.rerun("")

    def get(self, path: str) -> int:
        """GET ``path`` as the browser does (not following a redirect), keeping the cookies
        the answer sets; its status."""
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        return response.status

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            # Its end is over before the tab opens again (it notes why the connection closed).
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None

    async def rerun(
        self,
        page_hash: str | None = None,
        widgets: list[WidgetState] | None = None,
        fragment_id: str = "",
        keep_tables: bool = False,
    ) -> Run:
        """Send one rerun (a click, a page switch, a fragment's refresh) and wait for the
        run's end. Raises FloorError when the run fails or the connection is gone."""
        if self._closed_reason:
            raise FloorError(self._closed_reason)
        if self._pending is not None:
            raise FloorError("a run is still going on this tab")
        state = ClientState(
            page_script_hash=self.page_hash if page_hash is None else page_hash,
            fragment_id=fragment_id,
            is_auto_rerun=bool(fragment_id),
        )
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        state.widget_states.widgets.extend(widgets or [])
        done = asyncio.get_running_loop().create_future()
        pending = _Pending(time.monotonic(), done, keep_tables)
        pending.run = Run(0.0, -1)
        self._pending = pending
        await self._ws.send(BackMsg(rerun_script=state).SerializeToString())
        try:
            await asyncio.wait_for(asyncio.shield(pending.done), self.timeout)
        except TimeoutError:
            self._closed_reason = f"no script_finished within {self.timeout:.0f} s"
            raise FloorError(self._closed_reason) from None
        finally:
            self._pending = None
        run = pending.done.result()
        if run.status not in SUCCESS:
            raise FloorError(f"script finished with status {run.status}")
        return run

    async def open_page(self, path: str, keep_tables: bool = False) -> Run:
        """Click a page in the sidebar (its url path, e.g. "online")."""
        if path not in self.pages:
            raise FloorError(f"no page {path!r} for this person")
        return await self.rerun(self.pages[path], keep_tables=keep_tables)

    async def refresh_fragment(self, fragment_id: str = "", keep_tables: bool = False) -> Run:
        """What the browser does when a fragment's run_every comes round (``fragment_id``, or
        the page's first self-refreshing fragment)."""
        if not self.fragments:
            raise FloorError("this page has no self-refreshing part")
        fragment_id = fragment_id or next(iter(self.fragments))
        return await self.rerun(fragment_id=fragment_id, keep_tables=keep_tables)

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                self.received_bytes += len(data)
                message = ForwardMsg()
                message.ParseFromString(data)
                self._take(message)
        except websockets.ConnectionClosed as closed:
            self._closed_reason = f"connection closed ({closed.code})"
        except Exception as error:  # noqa: BLE001 - the tab is dead either way: say why
            self._closed_reason = f"{type(error).__name__}: {error}"
        finally:
            self._closed_reason = self._closed_reason or "connection closed"
            pending = self._pending
            if pending is not None and not pending.done.done():
                pending.done.set_exception(FloorError(self._closed_reason))

    def _take(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        pending = self._pending
        if kind == "auth_redirect":
            self.redirect = message.auth_redirect.url
        elif kind == "new_session":
            self.page_hash = message.new_session.page_script_hash
            if not message.metadata.run.fragment_ids:
                self.fragments.clear()
        elif kind == "navigation":
            # The default page's url path is "": it is known by its title too ("My leads" →
            # "my_leads", as our pages' files are named).
            self.pages = {}
            for page in message.navigation.app_pages:
                slug = page.page_name.lower().replace(" ", "_")
                self.pages[page.url_pathname or slug] = page.page_script_hash
            self.page_names = {
                page.page_script_hash: page.page_name for page in message.navigation.app_pages
            }
            self.page_hash = message.navigation.page_script_hash or self.page_hash
        elif kind == "auto_rerun":
            self.fragments[message.auto_rerun.fragment_id] = message.auto_rerun.interval
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self._element(message.delta.new_element, pending)
        elif kind == "script_finished" and pending is not None and not pending.done.done():
            if message.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return  # our own rerun follows
            pending.run.seconds = time.monotonic() - pending.started
            pending.run.status = message.script_finished
            pending.done.set_result(pending.run)

    def _element(self, element, pending: _Pending | None) -> None:
        kind = element.WhichOneof("type")
        if kind is None:
            return
        body = getattr(element, kind)
        if pending is not None:
            if kind == "exception":
                pending.run.exceptions += 1
            elif kind == "alert" and body.format == ERROR_ALERT:
                pending.run.error_alerts.append(body.body)
            elif kind == "dataframe" and pending.keep_tables:
                # Eager tables carry all rows; a lazy one its first chunk.
                data = body.arrow_data.data or body.lazy_data.initial_chunk.data
                if data:
                    pending.run.tables.append(pa.ipc.open_stream(data).read_all())
        widget_id = getattr(body, "id", "")
        if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
            key = widget_id.split("-", 2)[2]
            if kind == "button" and body.is_form_submitter:
                key = f"{body.form_id}.submit"
            self.widgets[key] = Widget(
                widget_id,
                kind,
                form_id=getattr(body, "form_id", ""),
                is_form_submitter=bool(getattr(body, "is_form_submitter", False)),
            )


async def sign_in(tab: StreamlitTab, email: str, password: str) -> Run:
    """Sign ``tab`` in through the sign-in form, as a person types and presses Sign in.

    The tab must be open on the sign-in page. Raises FloorError with the page's own message
    when the sign-in is refused."""
    try:
        email_id = tab.widgets[SIGN_IN_EMAIL_KEY].id
        password_id = tab.widgets[SIGN_IN_PASSWORD_KEY].id
        submit_id = tab.widgets[f"{SIGN_IN_FORM}.submit"].id
    except KeyError as missing:
        raise FloorError(f"the sign-in form has no {missing.args[0]}") from None
    run = await tab.rerun(
        widgets=[
            WidgetState(id=email_id, string_value=email),
            WidgetState(id=password_id, string_value=password),
            WidgetState(id=submit_id, trigger_value=True),
        ]
    )
    if run.error_alerts:
        raise FloorError(f"sign-in refused: {run.error_alerts[0]}")
    if tab.redirect:
        # The session route: its cookie, then the page again with it (the browser's reload).
        target, tab.redirect = tab.redirect, None
        status = await asyncio.to_thread(tab.get, target)
        if status != 303 or "starboard_session" not in tab.cookies:
            raise FloorError(f"the session route answered {status} without a session cookie")
        await tab.close()
        elapsed = run.seconds
        run = await tab.open()
        run.seconds += elapsed
    if all(name == "Sign in" for name in tab.page_names.values()):
        raise FloorError("sign-in gave no page")
    return run
