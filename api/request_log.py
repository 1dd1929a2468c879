"""The request log (``ingest_requests``): every request's integration, endpoint, status,
latency, event id and, for a refusal, its reason. Never the body: no names, emails, phones.

Rows are written by a background thread in batches, so that logging costs a request no round
trip to the database; what is queued when the server stops is written before it exits.
"""

from __future__ import annotations

import queue
import threading
from datetime import datetime

import sqlalchemy as sa

from crm.models import IngestRequest

REQUESTS = IngestRequest.__table__
FLUSH_EVERY_S = 0.5
MAX_BATCH = 2_000


class RequestLog:
    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)
        self._thread.start()

    def add(
        self,
        *,
        at: datetime,
        integration_id: int | None,
        endpoint: str,
        status: int,
        latency_ms: float,
        event_id: str | None,
        error: str | None,
    ) -> None:
        self._queue.put(
            {
                "at": at,
                "integration_id": integration_id,
                "endpoint": endpoint[:40],
                "status": status,
                "latency_ms": round(latency_ms, 3),
                "event_id": event_id[:80] if event_id else None,
                "error": error[:300] if error else None,
            }
        )

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.flush()

    def flush(self) -> int:
        rows = []
        while len(rows) < MAX_BATCH:
            try:
                rows.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if rows:
            with self.engine.begin() as connection:
                connection.execute(REQUESTS.insert(), rows)
        return len(rows)

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_EVERY_S):
            try:
                while self.flush() == MAX_BATCH:
                    pass
            except sa.exc.DBAPIError as error:  # the CRM away for a moment: try next round
                print(f"api: request log not written yet ({error.orig})", flush=True)
