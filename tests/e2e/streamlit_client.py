"""A Streamlit client without a browser, for the tests that play an attacker (or several
clients from several addresses): it speaks Streamlit's websocket protocol (protobuf BackMsg
up, ForwardMsg down), can present cookies, a session id to resume and any header, and connect
from a chosen loopback address.
"""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

RUN_TIMEOUT_S = 60


@dataclass
class Run:
    """What one script run sent: every message, and the elements' text by kind."""

    messages: list[ForwardMsg] = field(default_factory=list)

    def elements(self) -> list:
        return [
            message.delta.new_element
            for message in self.messages
            if message.WhichOneof("type") == "delta"
            and message.delta.WhichOneof("type") == "new_element"
        ]

    def texts(self) -> list[str]:
        """The visible text of every element: headings, Markdown, alerts, plain text, labels."""
        shown = []
        for element in self.elements():
            kind = element.WhichOneof("type")
            inner = getattr(element, kind)
            for name in ("body", "label"):
                if hasattr(inner, name) and getattr(inner, name):
                    shown.append(getattr(inner, name))
        return shown

    def widget(self, kind: str, label: str):
        for element in self.elements():
            if element.WhichOneof("type") == kind and getattr(element, kind).label == label:
                return getattr(element, kind)
        raise LookupError(f"no {kind} {label!r} in {self.texts()}")

    def redirect(self) -> str | None:
        for message in self.messages:
            if message.WhichOneof("type") == "auth_redirect":
                return message.auth_redirect.url
        return None

    def session_id(self) -> str | None:
        for message in self.messages:
            if message.WhichOneof("type") == "new_session":
                return message.new_session.initialize.session_id
        return None


class StreamlitClient:
    """One websocket connection to a Streamlit app at ``url`` (http://host:port)."""

    def __init__(
        self,
        url: str,
        *,
        source: str | None = None,
        cookies: dict[str, str] | None = None,
        resume: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.url = url
        self.host, self.port = parts.hostname, parts.port
        self.source = source
        self.cookies = dict(cookies or {})
        sock = socket.create_connection(
            (self.host, self.port), timeout=RUN_TIMEOUT_S, source_address=_source(source)
        )
        extra = {"Origin": f"http://{parts.netloc}", **(headers or {})}
        if self.cookies:
            extra["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        # Streamlit reads the second entry as the XSRF token and the third as the session to
        # resume; a placeholder token just means "no identity cookie of Streamlit's own".
        protocols = ["streamlit", "no-xsrf-token", resume] if resume else ["streamlit"]
        self.socket = connect(  # closed by close()
            f"ws://{parts.netloc}/_stcore/stream",
            sock=sock,
            additional_headers=extra,
            subprotocols=protocols,
            max_size=None,
            open_timeout=RUN_TIMEOUT_S,
        )

    def send(self, message: BackMsg) -> None:
        self.socket.send(message.SerializeToString())

    def run(self, page: str = "", widgets: list | None = None) -> Run:
        """Ask for a run of ``page`` (its URL path) with ``widgets`` (WidgetState kwargs),
        and collect what it sends until it has finished."""
        message = BackMsg()
        message.rerun_script.query_string = ""
        message.rerun_script.page_name = page
        for state in widgets or []:
            message.rerun_script.widget_states.widgets.add(**state)
        self.send(message)
        return self.collect()

    def collect(self) -> Run:
        run = Run()
        while True:
            data = self.socket.recv(timeout=RUN_TIMEOUT_S)
            forward = ForwardMsg()
            forward.ParseFromString(data)
            run.messages.append(forward)
            if (
                forward.WhichOneof("type") == "script_finished"
                and forward.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
            ):
                return run

    def sign_in(self, email: str, password: str, page: str = "") -> Run:
        """Fill the sign-in form and press its button."""
        form = self.run(page)
        email_id = form.widget("text_input", "Email").id
        password_id = form.widget("text_input", "Password").id
        button_id = form.widget("button", "Sign in").id
        return self.run(
            page,
            [
                {"id": email_id, "string_value": email},
                {"id": password_id, "string_value": password},
                {"id": button_id, "trigger_value": True},
            ],
        )

    def follow(self, path: str) -> http.client.HTTPResponse:
        """GET ``path`` over plain HTTP from the same address, keeping the cookies it sets
        (the session route a sign-in sends the browser to)."""
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=RUN_TIMEOUT_S, source_address=_source(self.source)
        )
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        connection.request("GET", path, headers=headers if self.cookies else {})
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        response.read()
        connection.close()
        return response

    def close(self) -> None:
        self.socket.close()

    def __enter__(self) -> StreamlitClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _source(address: str | None):
    return (address, 0) if address else None
