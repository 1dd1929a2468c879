"""What ``./start`` does: bring the whole of Starboard up on its CRM and keep it running.

The CRM is the one ``CRM_DATABASE_URL`` names, by default the embedded SQLite file
``data/crm.sqlite``. First the set-up steps, one after another, each a ``python -m`` command a
person could also run by hand (so they show the same messages and fail with the same one-line
errors): upgrade the CRM, fill it with the demo brokerage if it has no leads, say what it holds,
and one ETL run (full the first time, incremental after) so the dashboard opens on a warehouse.

Then the parts that run beside each other until Ctrl-C: the ETL's watch loop, the ingest API,
the lead distribution's watcher (the waiting leads assigned within ``DISTRIBUTION_EVERY_S`` of
someone coming on shift, not at the next registration of their rule), the simulator
(only on a demo CRM, where it keeps the demo alive; ``--no-simulator`` or
``STARBOARD_SIMULATOR=0`` turns it off) and the Streamlit dashboard: ``--workers N``
(default: the machine's cores) dashboard processes on loopback ports behind Debian's nginx on
the dashboard's port (``deploy/nginx.py``), or one process on that port when N is 1 or nginx
is not installed. ``running_parts`` lists them; another part is one more line there.

Every child runs in a session (process group) of its own, so Ctrl-C in the terminal reaches
only this supervisor, which then stops them all the same way: SIGTERM to each child's process
group, a wait, SIGKILL for whatever is still there after ``STOP_TIMEOUT_S``. A part that exits
on its own while the others run is a fault: one line names it, the others are stopped and
``./start`` exits with status 1. It is not restarted: its own error line just above says what
is wrong (a port taken, a CRM gone), and a restart loop would bury that under repeats.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from crm.__main__ import OneLineParser, demo_days, demo_leads, pause_seconds, positive_int

REPO_ROOT = Path(__file__).resolve().parent
DEFAULT_PORT = 8501
DEFAULT_API_PORT = 8502
STOP_TIMEOUT_S = 15.0
# The proxy's configuration and logs (./start --workers N).
PROXY_FOLDER = "data/nginx"
POLL_S = 0.2
# How often the distribution's watcher assigns the leads waiting for an AM (issue 25: "the
# moment someone comes on shift"); a round with nothing waiting is one small read.
DISTRIBUTION_EVERY_S = 30
# The dashboard as users get it: no browser opened on the server, no usage statistics sent
# anywhere, and the viewer's toolbar (no Deploy or Rerun buttons).
STREAMLIT_OPTIONS = {
    "server.headless": "true",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "viewer",
}


@dataclass(frozen=True)
class Part:
    name: str  # as messages name it
    arguments: tuple[str, ...]  # after `python -m`
    env: tuple[tuple[str, str], ...] = ()  # added to this process's environment


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="./start",
        description="Set up and run Starboard (CRM, ETL watch loop, simulator, dashboard) on the "
        "CRM that CRM_DATABASE_URL names (default: the SQLite file data/crm.sqlite). The first "
        "start fills an empty CRM with a demo brokerage; Ctrl-C stops every part.",
    )
    parser.add_argument(
        "--leads", type=demo_leads, default=50_000, help="leads in the demo brokerage (50000)"
    )
    parser.add_argument("--days", type=demo_days, default=90, help="days of demo history (90)")
    parser.add_argument("--seed", type=int, default=7, help="same seed, same brokerage (7)")
    parser.add_argument(
        "--no-demo",
        action="store_true",
        help="never fill the CRM with demo data (for a CRM that is to hold real leads)",
    )
    parser.add_argument(
        "--port",
        type=positive_int,
        default=None,
        help=f"the dashboard's port (default: STARBOARD_PORT, else {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--api-port",
        type=positive_int,
        default=None,
        help=f"the ingest API's port (default: STARBOARD_API_PORT, else {DEFAULT_API_PORT})",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="dashboard processes behind Debian's nginx on the one port (default: the "
        "machine's cores; one process, no proxy, when nginx is not installed)",
    )
    parser.add_argument(
        "--no-api", action="store_true", help="do not run the ingest API (python -m api)"
    )
    parser.add_argument(
        "--simulate-via-api",
        action="store_true",
        help="the simulator sends its events through the ingest API instead of writing them",
    )
    parser.add_argument(
        "--no-simulator",
        action="store_true",
        help="do not run the simulator on a demo CRM (also: STARBOARD_SIMULATOR=0)",
    )
    parser.add_argument(
        "--etl-every",
        type=pause_seconds,
        default=30.0,
        metavar="SECONDS",
        help="seconds between the starts of two ETL runs (30)",
    )
    parser.add_argument(
        "--setup-only",
        action="store_true",
        help="prepare the CRM and the warehouse, then exit without starting anything",
    )
    return parser


def set_up_steps(args: argparse.Namespace) -> list[tuple[str, ...]]:
    """The ``python -m`` commands that make the CRM and the warehouse ready, in order."""
    steps = [("crm", "init")]
    if not args.no_demo:
        # --if-empty: a CRM that already holds leads, demo or real, is kept as it is.
        steps.append(
            ("crm", "demo", "--if-empty", "--leads", str(args.leads), "--days", str(args.days),
             "--seed", str(args.seed))
        )  # fmt: skip
    steps.append(("crm", "status"))
    steps.append(("etl", "run"))
    return steps


def running_parts(
    args: argparse.Namespace,
    port: int,
    simulator: bool,
    api_port: int | None = None,
    workers: Workers | None = None,
) -> list[Part]:
    """What runs beside each other once the CRM and the warehouse are ready."""
    parts = [Part("ETL watch loop", ("etl", "watch", "--every", f"{args.etl_every:g}"))]
    if api_port is not None:
        parts.append(Part("ingest API", ("api", "--port", str(api_port))))
    backlog = ("crm", "distribution", "run-backlog", "--watch", "--every")
    parts.append(Part("distribution watcher", (*backlog, f"{DISTRIBUTION_EVERY_S:g}")))
    if simulator:
        via_api = ()
        if getattr(args, "simulate_via_api", False) and api_port is not None:
            via_api = ("--via-api", "--api-url", f"http://127.0.0.1:{api_port}")
        parts.append(Part("simulator", ("crm", "simulate", *via_api)))
    # Mail leaves only for a configured server; without one it waits in the outbox (a demo's
    # made-up addresses should not be tried against whatever listens on localhost).
    if os.environ.get("SMTP_HOST", "").strip():
        parts.append(Part("e-mail sender", ("crm", "send-emails", "--watch")))
    dashboard = ("streamlit", "run", "dashboard_server.py")
    if workers is None or len(workers.ports) == 1:
        options = {**STREAMLIT_OPTIONS, "server.port": str(port)}
        parts.append(Part("dashboard", dashboard + _options(options)))
        return parts
    for number, worker_port in enumerate(workers.ports, start=1):
        # On loopback only: users reach a worker through the proxy, which writes the
        # X-Forwarded-For the worker believes (from 127.0.0.1 alone).
        options = {
            **STREAMLIT_OPTIONS,
            "server.port": str(worker_port),
            "server.address": "127.0.0.1",
        }
        parts.append(Part(f"dashboard worker {number}", dashboard + _options(options), workers.env))
    upstream = ",".join(str(worker_port) for worker_port in workers.ports)
    proxy = ("deploy.nginx", "--port", str(port), "--upstream", upstream, "--folder", PROXY_FOLDER)
    parts.append(Part("proxy (nginx)", proxy))
    return parts


def _options(options: dict[str, str]) -> tuple[str, ...]:
    return tuple(f"--{name}={value}" for name, value in options.items())


@dataclass(frozen=True)
class Workers:
    """The dashboard processes behind the proxy: their loopback ports and what they share."""

    ports: tuple[int, ...]
    env: tuple[tuple[str, str], ...] = ()


def plan_workers(args: argparse.Namespace) -> tuple[Workers | None, str | None]:
    """How many dashboard processes to run (``--workers``, default the machine's cores), and
    the line that says why there is one only when more were asked for. Several need nginx."""
    wanted = args.workers if getattr(args, "workers", None) else (os.cpu_count() or 1)
    if wanted == 1:
        return None, None
    from deploy.nginx import nginx_path

    if nginx_path() is None:
        return None, (
            f"starboard: no nginx (apt-get install nginx-light): one dashboard process "
            f"instead of {wanted}."
        )
    env = {
        # The proxy, on this machine, is the only peer whose X-Forwarded-For counts.
        "STARBOARD_TRUST_FORWARDED_FOR": "127.0.0.1",
        # Streamlit signs its cookies (XSRF, st.login's) with this: every worker must accept
        # what another one signed. One secret per start unless the setting gives one.
        "STREAMLIT_SERVER_COOKIE_SECRET": os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET")
        or secrets.token_hex(32),
    }
    return Workers(tuple(_free_ports(wanted)), tuple(env.items())), None


def _free_ports(count: int) -> list[int]:
    # Held open together so that no two are the same; a race with another program for a port
    # between here and the worker's start is named by the worker's own error line.
    probes = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            probes.append(probe)
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def dashboard_port(args: argparse.Namespace) -> int:
    if args.port is not None:
        return args.port
    text = os.environ.get("STARBOARD_PORT", "").strip()
    if not text:
        return DEFAULT_PORT
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError as error:
        raise SystemExit(f"error: STARBOARD_PORT: {error}") from None


def api_port(args: argparse.Namespace) -> int | None:
    """The ingest API's port, or None when it is not to run."""
    if getattr(args, "no_api", False):
        return None
    if args.api_port is not None:
        return args.api_port
    text = os.environ.get("STARBOARD_API_PORT", "").strip()
    if not text:
        return DEFAULT_API_PORT
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError as error:
        raise SystemExit(f"error: STARBOARD_API_PORT: {error}") from None


def simulator_wanted(args: argparse.Namespace) -> bool:
    setting = os.environ.get("STARBOARD_SIMULATOR", "").strip().lower()
    return not args.no_simulator and setting not in ("0", "false", "no", "off")


def is_demo_crm() -> bool:
    """Whether the demo command made this CRM: the simulator writes made-up activity, which
    belongs in a demo and never in a CRM of real leads."""
    import sqlalchemy as sa

    from crm.db import create_crm_engine
    from crm.models import CrmSetting

    engine = create_crm_engine()
    try:
        with engine.connect() as connection:
            demo = connection.scalar(sa.select(CrmSetting.value).where(CrmSetting.key == "demo"))
    finally:
        engine.dispose()
    return demo == "true"


def demo_sign_ins() -> list[tuple[str, str]]:
    """(role, e-mail) of the demo's sign-in accounts; none on a CRM the demo did not make."""
    import sqlalchemy as sa

    from crm.db import create_crm_engine
    from crm.staff import demo_accounts

    engine = create_crm_engine()
    try:
        return [(account.role, account.email) for account in demo_accounts(engine)]
    except sa.exc.SQLAlchemyError:  # the block still says where to open the dashboard
        return []
    finally:
        engine.dispose()


def ready_block(port: int, accounts: list[tuple[str, str]]) -> str:
    """What ./start says last, once the dashboard answers: where to open it, how to sign in."""
    rule = "─" * 72
    lines = [rule, f"Starboard is ready: open http://localhost:{port} in a browser."]
    if accounts:
        lines.append("Sign in as a demo account, with the password the demo printed for it:")
        lines += [f"  {role.replace('_', ' '):<16} {email}" for role, email in accounts]
        lines.append("Passwords lost or scrolled away? `python -m crm demo-passwords` prints")
        lines.append("new ones (the old ones stop working).")
    else:
        lines.append(
            "Sign in with your Starboard account; an admin adds people with "
            "`python -m crm staff add`."
        )
    lines += ["Ctrl-C stops every part.", rule]
    return "\n".join(lines)


def answers(port: int) -> bool:
    try:
        url = f"http://127.0.0.1:{port}/_stcore/health"
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.read() == b"ok"
    except OSError:
        return False


_LIBC = ctypes.CDLL(None) if sys.platform == "linux" else None
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Runs in the child before exec: even a `kill -9` of ./start leaves no child behind.
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    """Starts children in their own process groups, and stops all of them on a signal."""

    def __init__(self) -> None:
        self.running: list[tuple[Part, subprocess.Popen]] = []
        self.stop_signal: int | None = None
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, self._on_signal)

    def _on_signal(self, number: int, _frame) -> None:
        # Only noted here: the loops below act on it, so a signal never lands half-way
        # through starting a child.
        self.stop_signal = number

    def start(self, part: Part) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", *part.arguments],
            cwd=REPO_ROOT,
            env={**os.environ, **dict(part.env)} if part.env else None,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.running.append((part, process))
        return process

    def run_step(self, arguments: tuple[str, ...]) -> int | None:
        """Run one set-up step to its end: its exit status, or None when stopped by a signal."""
        process = self.start(Part(" ".join(arguments[:2]), arguments))
        while self.stop_signal is None:
            try:
                status = process.wait(timeout=POLL_S)
            except subprocess.TimeoutExpired:
                continue
            self.running = [item for item in self.running if item[1] is not process]
            return status
        return None

    def until(self, ready) -> bool:
        """Wait until ``ready()`` holds (True), or a signal comes or a part exits (False: then
        ``watch`` says which)."""
        while self.stop_signal is None:
            if any(process.poll() is not None for _part, process in self.running):
                return False
            if ready():
                return True
            time.sleep(0.5)
        return False

    def watch(self) -> int:
        """Wait for a signal (status 0) or for a part to exit on its own (status 1)."""
        while self.stop_signal is None:
            for part, process in self.running:
                status = process.poll()
                if status is not None:
                    how = (
                        f"killed by {signal.Signals(-status).name}"
                        if status < 0
                        else f"exit status {status}"
                    )
                    print(
                        f"starboard: the {part.name} stopped on its own ({how}); "
                        "stopping the other parts.",
                        file=sys.stderr,
                        flush=True,
                    )
                    return 1
            time.sleep(POLL_S)
        return 0

    def stop_all(self) -> None:
        for _part, process in self.running:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for part, process in self.running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(
                    f"starboard: the {part.name} did not stop within {STOP_TIMEOUT_S:g} s: "
                    "killing it.",
                    file=sys.stderr,
                    flush=True,
                )
            # Whatever is left in its group (the child or anything it started) goes now.
            _signal_group(process, signal.SIGKILL)
            process.wait()
        self.running.clear()


def _signal_group(process: subprocess.Popen, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, number)  # the child leads its own group: pgid == pid


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    port = dashboard_port(args)
    ingest_port = api_port(args)
    supervisor = Supervisor()
    try:
        for step in set_up_steps(args):
            status = supervisor.run_step(step)
            if status is None:
                print("starboard: stopped.", file=sys.stderr)
                return 0
            if status != 0:
                return status
        if args.setup_only:
            print("Starboard's CRM and warehouse are ready.")
            return 0
        simulator = simulator_wanted(args) and is_demo_crm()
        if supervisor.stop_signal is not None:
            print("starboard: stopped.", file=sys.stderr)
            return 0
        workers, alone = plan_workers(args)
        if alone:
            print(alone, flush=True)
        for part in running_parts(args, port, simulator, ingest_port, workers):
            supervisor.start(part)
        api_text = f"ingest API: http://localhost:{ingest_port}/docs · " if ingest_port else ""
        processes = f" ({len(workers.ports)} processes behind nginx)" if workers else ""
        print(
            f"starboard: running. Dashboard: http://localhost:{port}{processes} · {api_text}"
            "ETL every "
            f"{args.etl_every:g} s · simulator {'on' if simulator else 'off'} · Ctrl-C stops "
            "every part.",
            flush=True,
        )
        # Said last, when the dashboard answers, so it does not scroll away under the set-up's
        # lines (the demo prints its passwords in the middle of them).
        if supervisor.until(lambda: answers(port)):
            print(ready_block(port, demo_sign_ins()), flush=True)
        status = supervisor.watch()
    finally:
        supervisor.stop_all()
    if status == 0:
        print("starboard: stopped.", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
