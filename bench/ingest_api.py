"""Benchmark: the ingest API under 8 concurrent clients, on PostgreSQL or SQLite.

    python bench/ingest_api.py postgresql [--seconds 60] [--clients 8] [--workers 2]
    python bench/ingest_api.py sqlite [--batch 1,20] [--rate 500]
    python bench/ingest_api.py postgresql --url postgresql://postgres@127.0.0.1:5432/my_copy

Serves ``python -m api`` (Uvicorn) on a CRM: a throwaway one (``starboard_bench_ingest`` on
PostgreSQL, a file in a temporary folder on SQLite) holding the demo's currencies and one AM,
or the one ``--url`` names (e.g. a copy of the 1 M-lead bench CRM, upgraded). Then 8 client
processes (httpx, one keep-alive connection each) send, for ``--seconds``, per lead a
registration, a login, a heartbeat, a dialer call (signed) and a PSP deposit event (signed):
1 in 5 events writes a lead and its welcome mail, 2 in 5 a session, 1 in 5 a call, 1 in 5 a
deposit. One run per ``--batch`` size (default ``1,20``, on the same server): 1 sends one event
per request; N sends each endpoint's events in JSON arrays of N (api/batch.py), as a platform's
bridge or a PSP's queue does. The clients send as fast as the server answers, or ``--rate``
events a second between them (each request's latency then counted from when it was due).
Reports per run events a second, each request's latency (p50, p95, p99, as the client sees
it) and the CPU time per event of the API, the database and the clients, and checks that every
event was answered 201 (each item of an array too) and that the CRM holds exactly what was
sent.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import httpx
import psycopg
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crm import integrations  # noqa: E402
from crm.db import create_crm_engine, require_current_schema  # noqa: E402

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
DATABASE = "starboard_bench_ingest"
AGENT = "bench.agent@starboard.bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", choices=("postgresql", "sqlite"))
    parser.add_argument("--url", help="an existing CRM at head to run on (kept)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="Uvicorn worker processes (2)")
    parser.add_argument(
        "--batch",
        default="1,20",
        help="events per request, one run for each of a comma-separated list (1,20): 1 sends "
        "one event per request, N every endpoint's events in arrays of N",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="events a second offered by all the clients together (0: as fast as answered)",
    )
    parser.add_argument(
        "--together",
        action="store_true",
        help="with --rate: every client sends at the same instants (a burst of 8 requests at "
        "each tick), instead of each in its turn",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    url, drop = args.url, None
    if url is None and args.database == "postgresql":
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {DATABASE}")
        url, drop = f"{PG_SERVER}/{DATABASE}", DATABASE
    elif url is None:
        url = f"sqlite:///{folder / 'crm.sqlite'}"
    env = {**os.environ, "CRM_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "crm", "init"], cwd=REPO, env=env, check=True)
    engine = create_crm_engine(url)
    require_current_schema(engine)
    keys = _prepare(engine)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "api", "--port", str(port), "--workers", str(args.workers)],
        cwd=REPO,
        env=env,
    )
    runs = []
    try:
        api = f"http://127.0.0.1:{port}"
        _wait(api)
        for batch in [int(n) for n in args.batch.split(",")]:
            runs.append(_run(engine, server.pid, api, keys, args, batch, len(runs)))
    finally:
        server.terminate()
        server.wait(timeout=30)
        engine.dispose()
        if drop:
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {drop} WITH (FORCE)")
        shutil.rmtree(folder, ignore_errors=True)
    ok = True
    for summary, exact in runs:
        print(json.dumps(summary, indent=1))
        right = summary["statuses"].keys() == {201} and exact
        print(
            f"batch {summary['batch']}: every event answered 201 and written once"
            if right
            else f"batch {summary['batch']}: MISMATCH",
            flush=True,
        )
        ok = ok and right
    return 0 if ok else 1


def _run(engine, pid: int, api: str, keys: dict, args, batch: int, run: int) -> tuple[dict, bool]:
    """One run of the clients against the server, sending ``batch`` events per request."""
    before = _counts(engine)
    cpu_before = _server_cpu(pid, engine)
    load_before = os.getloadavg()
    rate = args.rate / args.clients
    with multiprocessing.Pool(args.clients) as pool:
        started = time.monotonic()
        results = pool.starmap(
            _client,
            [
                (
                    api,
                    keys,
                    n,
                    args.seconds,
                    batch,
                    rate,
                    run,
                    0 if args.together else n / args.clients,
                )
                for n in range(args.clients)
            ],
        )
        elapsed = time.monotonic() - started
    cpu_after = _server_cpu(pid, engine)
    latencies = sorted(ms for result in results for ms in result["latencies"])
    statuses: dict[int, int] = {}
    for result in results:
        for status, count in result["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    time.sleep(1.5)  # the request log's last batch
    after = _counts(engine)
    leads = sum(result["leads"] for result in results)
    events = sum(result["events"] for result in results)
    api_cpu = sum(cpu_after["api"].values()) - sum(cpu_before["api"].values())
    db_cpu = sum(
        seconds - cpu_before["database"].get(pid, 0.0)
        for pid, seconds in cpu_after["database"].items()
    )
    client_cpu = sum(result["cpu_s"] for result in results)
    written = {table: after[table] - before[table] for table in after}
    summary = {
        "database": args.database,
        "clients": args.clients,
        "workers": args.workers,
        "batch": batch,
        "offered_events_per_s": args.rate or "as fast as answered",
        "paced": ("together" if args.together else "in turn") if args.rate else None,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "events": events,
        "events_per_s": round(events / elapsed, 1),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        # per request, as the client sees it (from when it was due, when paced)
        "p50_ms": round(_pct(latencies, 50), 1),
        "p95_ms": round(_pct(latencies, 95), 1),
        "p99_ms": round(_pct(latencies, 99), 1),
        # HTTP statuses of the requests; -201: items of an array answered other than 201
        "statuses": statuses,
        "not_201": [answer for result in results for answer in result["odd"]][:5],
        # CPU time per event, whatever else runs on the machine: the API's processes, the
        # database's server processes for this CRM (PostgreSQL), and the load's clients.
        "cpu_ms_per_event": {
            "api": round(1000 * api_cpu / max(1, events), 2),
            "database": round(1000 * db_cpu / max(1, events), 2),
            "clients": round(1000 * client_cpu / max(1, events), 2),
        },
        "leads_sent": leads,
        "written": written,
        "cores": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    exact = (
        written["leads"] == leads
        and written["calls"] == leads
        and written["deposit_attempts"] == leads
        and written["platform_sessions"] == leads
    )
    return summary, exact


def _prepare(engine: sa.Engine) -> dict:
    with engine.begin() as connection:
        stamp = datetime.now(timezone.utc)
        if engine.dialect.name == "sqlite":
            stamp = stamp.strftime("%Y-%m-%d %H:%M:%S.%f")
        for code, rate in (("USD", 1), ("EUR", 1.08)):
            connection.execute(
                sa.text(
                    "INSERT INTO currencies (code, usd_rate, updated_at) VALUES (:c, :r, :t) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"c": code, "r": rate, "t": stamp},
            )
        if not connection.scalar(sa.text("SELECT id FROM staff WHERE email = :e"), {"e": AGENT}):
            connection.execute(
                sa.text(
                    "INSERT INTO staff (name, email, role, desk, time_zone, is_active, created_at, "
                    "updated_at) VALUES ('Bench Agent', :e, 'account_manager', 'conversion', "
                    "'UTC', "
                    "true, :t, :t)"
                ),
                {"e": AGENT, "t": stamp},
            )
    keys = {}
    suffix = uuid.uuid4().hex[:6]
    for kind in ("website", "platform", "psp", "dialer"):
        _, credentials = integrations.add_integration(
            engine,
            actor_id=None,
            command_line=True,
            name=f"Bench {kind} {suffix}",
            kind=kind,
            rate_per_second=100_000,
        )
        keys[kind] = (credentials.api_key, credentials.webhook_secret)
    return keys


def _client(
    api: str,
    keys: dict,
    number: int,
    seconds: float,
    batch: int,
    rate: float,
    run: int,
    phase: float = 0.0,
) -> dict:
    """One sender for ``seconds``: as fast as the server answers, or (``rate`` events a
    second) paced, each request's latency then counted from when it was due, so that a server
    falling behind shows in the latency and not only in the rate."""
    latencies, statuses, leads, events, odd = [], {}, 0, 0, []
    cpu = time.process_time()
    client = httpx.Client(base_url=api, timeout=60)
    started = time.monotonic()
    deadline = started + seconds
    while time.monotonic() < deadline:
        # A round: ``batch`` leads, their registrations, platform events, calls and deposits,
        # each endpoint's events in arrays of ``batch`` (one per request when 1).
        rounds = [_lead_requests(number, run) for _ in range(batch)]
        requests = []
        for kind in ("website", "platform", "dialer", "psp"):
            bodies = [r for lead in rounds for r in lead if r[0] == kind]
            path = bodies[0][1]
            if batch == 1:
                requests += bodies
            else:
                requests += [
                    (kind, path, [body for _, _, body in bodies[i : i + batch]])
                    for i in range(0, len(bodies), batch)
                ]
        for kind, path, body in requests:  # a round is sent whole: its events all written
            content = json.dumps(body)
            api_key, secret = keys[kind]
            headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
            if secret:
                message, at = f"msg_{uuid.uuid4().hex}", datetime.now(timezone.utc)
                headers.update(
                    {
                        "webhook-id": message,
                        "webhook-timestamp": str(int(at.timestamp())),
                        "webhook-signature": Webhook(secret).sign(message, at, content),
                    }
                )
            began = time.perf_counter()
            if rate:
                # Each client's requests fall between the others' (``phase`` of its interval),
                # as independent senders' do, unless --together: all at the same instants.
                due = started + (events + phase * batch) / rate
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                began = time.perf_counter() - max(0.0, time.monotonic() - due)
            reply = client.post(path, content=content, headers=headers)
            latencies.append(1000 * (time.perf_counter() - began))
            expected = 201
            statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
            if reply.status_code != expected and len(odd) < 5:
                odd.append({"path": path, "status": reply.status_code, "answer": reply.text[:300]})
            if isinstance(body, list) and reply.status_code == expected:
                items = reply.json()["results"]
                bad = [item for item in items if item["code"] != 201]
                if bad:  # items of the array not applied, under -201
                    statuses[-201] = statuses.get(-201, 0) + len(bad)
                odd.extend(bad[: max(0, 5 - len(odd))])
            events += len(body) if isinstance(body, list) else 1
        leads += len(rounds)
    client.close()
    return {
        "latencies": latencies,
        "statuses": statuses,
        "leads": leads,
        "events": events,
        "odd": odd,
        "cpu_s": time.process_time() - cpu,
    }


_PHONES = itertools.count()


def _lead_requests(number: int, run: int) -> list[tuple[str, str, dict]]:
    """One lead's five events: its registration, a login, a heartbeat, a call, a deposit."""
    external = f"B{number}-{uuid.uuid4().hex[:10]}"
    now = datetime.now(timezone.utc).isoformat()
    session = f"s-{uuid.uuid4().hex[:12]}"
    requests = [
        (
            "website",
            "/v1/leads",
            {
                "external_id": external,
                "first_name": "Bench",
                "last_name": "Client",
                "email": f"{external.lower()}@example.com",
                # São Paulo mobiles, one per lead of each client in each run: no two leads
                # are duplicates by phone
                "phone": f"+55119{run % 10}{number % 10}{next(_PHONES) % 10**6:06d}",
                "country": "BR",
                "source": "bench",
            },
        ),
        (
            "platform",
            "/v1/platform/events",
            {
                "event_id": f"{external}-l",
                "type": "login",
                "account_id": external,
                "session_id": session,
                "occurred_at": now,
            },
        ),
        (
            "platform",
            "/v1/platform/events",
            {
                "event_id": f"{external}-h",
                "type": "heartbeat",
                "account_id": external,
                "session_id": session,
                "occurred_at": now,
            },
        ),
        (
            "dialer",
            "/v1/calls",
            {
                "call_id": f"{external}-c",
                "agent_email": AGENT,
                "lead_external_id": external,
                "started_at": now,
                "duration_s": 60,
                "disposition": "NA",
            },
        ),
        (
            "psp",
            "/v1/deposits",
            {
                "event_id": f"{external}-d",
                "transaction_id": external,
                "lead_external_id": external,
                "status": "approved",
                "amount": "250.00",
                "currency": "EUR",
                "method": "card",
                "occurred_at": now,
            },
        ),
    ]
    return requests


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in (
                "leads",
                "calls",
                "deposit_attempts",
                "platform_sessions",
                "email_outbox",
                "ingest_requests",
            )
        }


def _server_cpu(pid: int, engine: sa.Engine) -> dict[str, dict[int, float]]:
    """CPU seconds so far of the API's processes (the server and its workers) and, on
    PostgreSQL, of the server processes serving this CRM's database, by process id."""
    api = {p: _cpu_of(p) for p in (pid, *_descendants(pid))}
    database = {}
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            pids = connection.scalars(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
            ).all()
        database = {p: _cpu_of(p) for p in pids}
    return {"api": api, "database": database}


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _pct(values: list[float], percent: float) -> float:
    return values[min(len(values) - 1, int(len(values) * percent / 100))] if values else 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(api: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the API at {api} did not start")


if __name__ == "__main__":
    sys.exit(main())
