"""The ingest API served for real: ``python -m api`` (Uvicorn) on a free port, on a SQLite and
a PostgreSQL CRM, driven with httpx as the brokerage's systems would.

The CRM holds what the tests need and nothing more: two currencies, a lead manager (Mia, 1),
an account manager (Alan, 2, extension 2041), and one integration of each kind, whose keys and
webhook secrets the tests use.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from crm import integrations
from crm.db import create_crm_engine

REPO_ROOT = Path(__file__).resolve().parents[2]
START_S = 60
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
KINDS = {
    "Website": "website",
    "Affiliates": "affiliate",
    "Platform": "platform",
    "Stripe": "psp",
    "Dialer": "dialer",
    "Slow PSP": "psp",
}
RATES = {"Slow PSP": 1}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(engine: sa.Engine) -> dict[str, integrations.Credentials]:
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO currencies (code, usd_rate, updated_at) VALUES "
                "('USD', 1, :t), ('EUR', 1.1, :t), ('BRL', 0.2, :t)"
            ),
            {"t": "2026-01-01 00:00:00.000000" if engine.dialect.name == "sqlite" else T0},
        )
        for staff_id, name, email, role, desk, extension in (
            (1, "Mia Manager", "mia@b.example", "lead_manager", None, None),
            (2, "Alan Agent", "alan@b.example", "account_manager", "conversion", "2041"),
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO staff (id, name, email, role, desk, time_zone, is_active, "
                    "extension, created_at, updated_at) VALUES (:id, :name, :email, :role, "
                    ":desk, 'UTC', true, :ext, :t, :t)"
                ),
                {
                    "id": staff_id,
                    "name": name,
                    "email": email,
                    "role": role,
                    "desk": desk,
                    "ext": extension,
                    "t": "2026-01-01 00:00:00.000000" if engine.dialect.name == "sqlite" else T0,
                },
            )
    keys = {}
    for name, kind in KINDS.items():
        _, keys[name] = integrations.add_integration(
            engine,
            actor_id=None,
            command_line=True,
            name=name,
            kind=kind,
            rate_per_second=RATES.get(name, 10_000),
        )
    return keys


@dataclass
class Ingest:
    url: str
    crm_url: str
    engine: sa.Engine
    keys: dict[str, integrations.Credentials]
    folder: Path

    def client(self, name: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            timeout=30,
            headers={"Authorization": f"Bearer {self.keys[name].api_key}"},
        )

    def post(
        self,
        name: str,
        path: str,
        body,
        *,
        signed: bool | None = None,
        message_id: str | None = None,
        at: datetime | None = None,
        secret: str | None = None,
    ) -> httpx.Response:
        """POST ``body`` as the integration ``name`` would: with its key, and signed the
        Standard Webhooks way when it is a PSP or dialer (or ``signed``)."""
        content = body if isinstance(body, str) else __import__("json").dumps(body)
        headers = {"Content-Type": "application/json"}
        if signed if signed is not None else KINDS[name] in ("psp", "dialer"):
            headers.update(
                sign(
                    secret or self.keys[name].webhook_secret, content, message_id=message_id, at=at
                )
            )
        with self.client(name) as client:
            return client.post(path, content=content, headers=headers)

    def scalar(self, sql: str, **params):
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).all()

    def counts(self) -> dict[str, int]:
        tables = (
            "leads",
            "deposit_attempts",
            "calls",
            "platform_sessions",
            "audit_log",
            "email_outbox",
            "ingest_inbox",
            "applied_actions",
        )
        return {t: self.scalar(f"SELECT count(*) FROM {t}") for t in tables}


def sign(
    secret: str, content: str, *, message_id: str | None = None, at: datetime | None = None
) -> dict[str, str]:
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(timezone.utc)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, content),
    }


def serve(crm_url: str, folder: Path, workers: int = 1) -> tuple[subprocess.Popen, str, object]:
    port = free_port()
    log = (folder / "api.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "api", "--port", str(port), "--workers", str(workers)],
        cwd=REPO_ROOT,
        env={**os.environ, "CRM_DATABASE_URL": crm_url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_S
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return server, url, log
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            server.kill()
            pytest.fail(f"the API did not start on {url}:\n{log.read()}", pytrace=False)
        time.sleep(0.2)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def ingest(request, tmp_path_factory) -> Iterator[Ingest]:
    """The API on a CRM of this module's own, on each database (a module may set
    ``API_WORKERS`` for more than one Uvicorn worker process)."""
    workers = getattr(request.module, "API_WORKERS", 1)
    folder = tmp_path_factory.mktemp(f"api-{request.param}")
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), folder / "crm.sqlite")
        crm_url = f"sqlite:///{folder / 'crm.sqlite'}"
        database = None
    else:
        server = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("migrated_postgres_template")
        database = server.create_database(template=template)
        crm_url = server.url(database)
    engine = create_crm_engine(crm_url)
    keys = seed(engine)
    process, url, log = serve(crm_url, folder, workers)
    try:
        yield Ingest(url, crm_url, engine, keys, folder)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        engine.dispose()
        if database:
            server.drop_database(database)
