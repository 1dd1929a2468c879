"""The dashboard process(es) a floor benchmark plays against: started for the run or found by
their port, and their CPU and memory as /proc tells them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Sample:
    cpu_s: float  # user + system since each process started
    rss_mb: int


@dataclass
class Description:
    pids: list[int]
    command: str


class ServerProcesses:
    def __init__(self, pids: list[int]):
        self.pids = pids

    def sample(self) -> Sample:
        cpu, rss_kb = 0.0, 0
        for pid in self.pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            # utime and stime are fields 14 and 15 of stat(5); [0] here is field 3.
            cpu += (int(fields[11]) + int(fields[12])) / TICKS
            rss_kb += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
        return Sample(round(cpu, 2), rss_kb // 1024)

    def describe(self) -> Description:
        commands = [
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            for pid in self.pids
        ]
        return Description(self.pids, " | ".join(commands))


def listening_pids(port: int) -> list[int]:
    """The processes with a socket listening on ``port`` (IPv4 or IPv6), from /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(parts[9])
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    pids.append(int(proc.name))
                    break
    return pids


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError as error:
            if time.monotonic() > deadline:
                raise SystemExit(f"error: {url} did not answer in {seconds:.0f} s") from error
        time.sleep(0.5)


@contextlib.contextmanager
def serve(url: str | None, pids: list[int], app_dir: Path = REPO, log_name: str = "floor"):
    """(url, ServerProcesses): the dashboard at ``url``, or one started here for the run from
    the checkout ``app_dir`` (another commit's code, for a before/after), logging to
    data/<log_name>-server.log."""
    if url:
        url = url.rstrip("/")
        wait_healthy(url)
        pids = pids or listening_pids(urlparse(url).port or 80)
        if not pids:
            raise SystemExit(f"error: no process listens at {url}: give --server-pid")
        yield url, ServerProcesses(pids)
        return
    port = free_port()
    log = open(REPO / "data" / f"{log_name}-server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            # What ./start serves (the cookie route, the headers); a checkout from before it
            # existed serves the router itself.
            "dashboard_server.py"
            if (app_dir / "dashboard_server.py").is_file()
            else "dashboard_app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=app_dir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url)
        yield url, ServerProcesses([server.pid])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
