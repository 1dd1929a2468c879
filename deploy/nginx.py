"""Debian's nginx in front of Starboard's dashboard: the configuration for given dashboard
ports, and a process that runs it (the tests start it; ``./start --workers N`` can too).

What the proxy adds to what the app does itself (``dashboard/server.py``), SECURITY.md:
- it writes ``X-Forwarded-For`` itself ($remote_addr, replacing whatever the client sent), so
  the dashboard, told to trust it (``STARBOARD_TRUST_FORWARDED_FOR``), counts each client by
  its own address;
- the same security headers as the app, also on the proxy's own answers (errors), and no
  server name or version (``server_tokens off``; Uvicorn's Server header is not passed on);
- Streamlit's runtime metrics and agent API are not served to the outside;
- websockets pass through (Upgrade), with long read timeouts for a shift-long session;
- with several dashboard processes (``./start --workers N``), a browser keeps to one of them:
  Streamlit holds a session's state in the process that runs it, and a reload resumes it
  there. The proxy gives a browser without one a ``starboard_worker`` cookie (a random key,
  no secret; HttpOnly) and picks the process by a consistent hash of it. Streamlit's own XSRF
  cookie cannot serve: it is re-masked at every /_stcore/health answer, which the page asks
  for before each websocket, so its value changes under the browser.

``python -m deploy.nginx --port P --upstream 8601,8602 --folder data/nginx`` writes the
configuration and runs nginx in the foreground (what ./start runs as its proxy part).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.server import HIDDEN_PATHS, security_headers

NGINX = "/usr/sbin/nginx"
WORKER_COOKIE = "starboard_worker"
START_TIMEOUT_S = 20


@dataclass(frozen=True)
class ProxySettings:
    """Where the proxy listens, where the dashboard processes are, and its working folder."""

    listen_port: int
    upstream_ports: tuple[int, ...]
    folder: Path
    listen_host: str = "127.0.0.1"
    upstream_host: str = "127.0.0.1"
    # Hosts the proxy answers for ("_": any).
    server_name: str = "_"
    extra_headers: dict[str, str] = field(default_factory=dict)


def nginx_path() -> str | None:
    """Debian's nginx (``apt-get install nginx-light``), if installed."""
    found = shutil.which("nginx") or (NGINX if Path(NGINX).is_file() else None)
    return found


def render(settings: ProxySettings) -> str:
    """nginx.conf for ``settings``: a whole configuration, run with ``-p folder -c``."""
    folder = settings.folder
    upstreams = "\n".join(
        f"        server {settings.upstream_host}:{port};" for port in settings.upstream_ports
    )
    several = len(settings.upstream_ports) > 1
    affinity = "        hash $starboard_worker consistent;\n" if several else ""
    worker_cookie = (
        f"""
    # A browser's worker: its cookie's key, or a new random one that the answer sets.
    map $cookie_{WORKER_COOKIE} $starboard_worker {{
        "" $request_id;
        default $cookie_{WORKER_COOKIE};
    }}
    map $cookie_{WORKER_COOKIE} $starboard_worker_cookie {{
        "" "{WORKER_COOKIE}=$request_id; Path=/; HttpOnly; SameSite=Lax";
        default "";
    }}
"""
        if several
        else ""
    )
    set_worker_cookie = (
        "        add_header Set-Cookie $starboard_worker_cookie always;\n" if several else ""
    )
    headers = {**dict(security_headers()), **settings.extra_headers}
    hide = "\n".join(f"        proxy_hide_header {name};" for name in headers)
    add = "\n".join(
        f"        add_header {name} {_quoted(value)} always;" for name, value in headers.items()
    )
    hidden = "\n".join(f"        location ^~ {path} {{ return 404; }}" for path in HIDDEN_PATHS)
    return f"""# Written by deploy/nginx.py: the reverse proxy in front of Starboard's dashboard.
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
daemon off;

events {{
    worker_connections 1024;
}}

http {{
    server_tokens off;
    # Which dashboard process answered each request ($upstream_addr): how the test sees that
    # a browser keeps to its process.
    log_format starboard '$remote_addr [$time_local] "$request" $status $upstream_addr';
    access_log {folder / "access.log"} starboard;
    client_body_temp_path {folder / "client_body"};
    proxy_temp_path {folder / "proxy"};
    fastcgi_temp_path {folder / "fastcgi"};
    uwsgi_temp_path {folder / "uwsgi"};
    scgi_temp_path {folder / "scgi"};
    # Nothing is uploaded to Starboard.
    client_max_body_size 1m;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        '' close;
    }}
{worker_cookie}
    upstream starboard_dashboard {{
{affinity}{upstreams}
    }}

    server {{
        listen {_listen(settings.listen_host)}:{settings.listen_port};
        server_name {settings.server_name};

{hide}
{add}
{set_worker_cookie}
{hidden}

        location / {{
            proxy_pass http://starboard_dashboard;
            proxy_http_version 1.1;
            # Host with its port: Streamlit checks a websocket's Origin against it.
            proxy_set_header Host $http_host;
            # Replaced, not appended to: what a client wrote here is never passed on.
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout 12h;
            proxy_send_timeout 12h;
        }}
    }}
}}
"""


def _listen(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Proxy:
    """nginx running ``render(settings)`` until ``stop()``; ``url`` is where it answers."""

    def __init__(self, settings: ProxySettings, nginx: str | None = None) -> None:
        self.settings = settings
        self.nginx = nginx or nginx_path()
        if self.nginx is None:
            raise FileNotFoundError("nginx is not installed: apt-get install nginx-light")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{_listen(self.settings.listen_host)}:{self.settings.listen_port}"

    @property
    def config_path(self) -> Path:
        return self.settings.folder / "nginx.conf"

    def command(self) -> list[str]:
        """Write the configuration, have nginx check it, and give the command that runs it."""
        folder = self.settings.folder
        folder.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(render(self.settings))
        check = subprocess.run(
            [self.nginx, "-t", "-q", "-p", str(folder), "-c", str(self.config_path)],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused its configuration: {check.stderr.strip()}")
        return [self.nginx, "-p", str(folder), "-c", str(self.config_path)]

    def start(self) -> Proxy:
        command = self.command()
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nginx did not start: {self.error_log()}")
            time.sleep(0.1)
        return self

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # nginx answered (the dashboard may still be starting)
        except OSError:
            return False

    def error_log(self) -> str:
        log = self.settings.folder / "error.log"
        return log.read_text() if log.is_file() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish open answers
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> Proxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Write the configuration and become nginx (in the foreground: ./start stops it with
    SIGTERM to its process group, like every other part)."""
    import argparse
    import os

    parser = argparse.ArgumentParser(prog="python -m deploy.nginx")
    parser.add_argument("--port", type=int, required=True, help="where users connect")
    parser.add_argument("--listen", default="0.0.0.0", help="the address to listen on")
    parser.add_argument("--upstream", required=True, help="the dashboard ports: 8601,8602")
    parser.add_argument("--folder", type=Path, required=True, help="configuration and logs")
    args = parser.parse_args(argv)
    nginx = nginx_path()
    if nginx is None:
        print("error: nginx is not installed: apt-get install nginx-light", flush=True)
        return 1
    settings = ProxySettings(
        listen_port=args.port,
        upstream_ports=tuple(int(port) for port in args.upstream.split(",")),
        folder=args.folder.resolve(),
        listen_host=args.listen,
    )
    try:
        command = Proxy(settings, nginx).command()
    except RuntimeError as error:
        print(f"error: {error}", flush=True)
        return 1
    os.execv(command[0], command)
    return 0  # not reached: exec replaced this process


if __name__ == "__main__":
    raise SystemExit(main())
