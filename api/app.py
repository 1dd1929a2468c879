"""The ingest API's application: four endpoints, each guarded by the API key, its kind, the
rate limit and (PSPs, dialers) the webhook signature, and logged without the payload.

``create_app(engine)`` builds it on a CRM engine (default: ``CRM_DATABASE_URL``); OpenAPI
documentation at ``/docs``; ``GET /health`` answers whether the CRM does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import asynccontextmanager

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.dialects import postgresql, sqlite
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from api import batch, endpoints
from api.guard import Caller, Keys, RateLimiter, Refused, verify_signature
from api.request_log import RequestLog
from crm import actions
from crm.db import create_crm_engine, deadlocked
from crm.ingest.fields import json_schema
from crm.models import WebhookMessage, utcnow

MAX_BODY_BYTES = 256 * 1024
RETRIES = 3  # a request's transaction, tried again after a conflict with another
WEBHOOKS = WebhookMessage.__table__
DESCRIPTION = """Data in from the brokerage's own systems: website and affiliate registrations,
the trading platform's logins and balances, the PSPs' deposit events and the dialer's calls.

Every request carries its integration's API key (`Authorization: Bearer sbk_...`); PSPs and
dialers also sign each message the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
`webhook-signature`). An event is applied once, by its own id; a bad field is answered with 422
naming it. Every endpoint also takes a JSON array of up to 100 events, each answered on its own
(`results`). See README.md, "Connecting your systems"."""


def create_app(engine: sa.Engine | None = None) -> FastAPI:
    engine = engine or create_crm_engine()
    keys = Keys(engine)
    limiter = RateLimiter()
    currencies = endpoints.Currencies(engine)
    state: dict = {}

    @asynccontextmanager
    async def lifespan(_app):
        state["log"] = RequestLog(engine)
        try:
            yield
        finally:
            state.pop("log").close()

    app = FastAPI(
        title="Starboard ingest API", version="1", description=DESCRIPTION, lifespan=lifespan
    )

    def serve(request: Request, body: bytes, endpoint: str, seen: dict) -> endpoints.Answer:
        """Everything a request does once its body is in, in one worker thread: the key, the
        rate, the signature and the content checked first; then one transaction that confirms
        the key, answers a replayed webhook-id, applies the event through the actions and
        remembers the webhook-id with it (one commit)."""
        prepare, apply = ENDPOINTS[endpoint]
        who, digest = keys.caller(request.headers, endpoint)
        seen["who"] = who
        limiter.take(who)
        webhook_id = verify_signature(who, body, request.headers)
        ctx = endpoints.context(who, currencies)
        content = _json(body)
        if isinstance(content, list):
            # An array: each item checked and answered on its own (api/batch.py).
            checked = batch.check_items(content, prepare, ctx, webhook_id)

            def write(connection, careful):
                return batch.apply_items(connection, who, endpoint, checked, apply, ctx, careful)
        else:
            try:
                event = prepare(content, ctx, webhook_id)
            except Refused:
                # A replay is answered as the first time even if it would not be accepted now.
                replayed = webhook_id and _seen_message(engine, who, webhook_id)
                if replayed:
                    return endpoints.Answer(200, {**replayed[1], "replayed": True})
                raise

            def write(connection, _careful):
                return apply(connection, who, event, ctx, webhook_id)

        attempt, careful = 1, False
        while True:
            try:
                connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
                with connection, connection.begin():
                    keys.confirm(connection, who, digest)
                    if webhook_id is not None:
                        replayed = _seen_message(connection, who, webhook_id)
                        if replayed is not None:
                            return endpoints.Answer(200, {**replayed[1], "replayed": True})
                    answer = write(connection, careful)
                    if webhook_id is not None:
                        _remember_message(connection, who, webhook_id, answer)
                break
            except batch.Redo:
                # An item of an array refused midway: again, each item in its own savepoint.
                careful = True
            except sa.exc.IntegrityError:
                # The same lead, session or attempt created at this moment by another request
                # (PostgreSQL): the second try finds it and answers as its duplicate.
                if attempt == RETRIES:
                    raise
                attempt, careful = attempt + 1, True
            except sa.exc.OperationalError as error:
                # Two arrays locking the same leads in a different order (PostgreSQL): one is
                # chosen to fail, rolled back whole, and tried again.
                if attempt == RETRIES or not deadlocked(error):
                    raise
                attempt += 1
        if answer.new_leads:
            actions.apply_waiting(engine, answer.new_leads)
        return answer

    async def handle(request: Request, endpoint: str) -> JSONResponse:
        started, at = time.perf_counter(), utcnow()
        seen: dict = {}
        answer = None
        try:
            try:
                body = await request.body()
            except ClientDisconnect:  # the sender hung up before its body came: nobody to answer
                raise Refused(400, "disconnected", "the client went away") from None
            if len(body) > MAX_BODY_BYTES:
                raise Refused(413, "too_large", f"the body is over {MAX_BODY_BYTES // 1024} KB")
            answer = await run_in_threadpool(serve, request, body, endpoint, seen)
            response = JSONResponse(answer.body, status_code=answer.status)
            error = None
            if answer.status == 207:  # an array with refused items: how many, not what
                error = f"{answer.body['refused']} of {len(answer.body['results'])} refused"
        except Refused as refused:
            response = JSONResponse(refused.body(), refused.status, headers=refused.headers)
            error = refused.code + (
                ": " + ", ".join(f"{k} {v}" for k, v in refused.fields.items())
                if refused.fields
                else ""
            )
        except sa.exc.DBAPIError:
            response = JSONResponse(
                {
                    "error": "unavailable",
                    "message": "the CRM is not answering: send it again shortly",
                },
                503,
                headers={"Retry-After": "5"},
            )
            error = "unavailable"
        log = state.get("log")
        if log is not None:
            who = seen.get("who")
            log.add(
                at=at,
                integration_id=who.integration_id if who else None,
                endpoint=endpoint,
                status=response.status_code,
                latency_ms=1000 * (time.perf_counter() - started),
                event_id=answer.event_id if answer else None,
                error=error,
            )
        return response

    def body_of(kind: str) -> dict:
        schema = json_schema(kind)
        schema = {
            "oneOf": [schema, {"type": "array", "items": schema, "maxItems": batch.MAX_BATCH}]
        }
        return {
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}
        }

    @app.get("/health", summary="Whether the API and the CRM answer")
    def health() -> JSONResponse:
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("select 1")
        except sa.exc.DBAPIError:
            return JSONResponse({"status": "unavailable", "crm": "not answering"}, 503)
        return JSONResponse({"status": "ok", "crm": "ok"})

    @app.post(
        "/v1/leads",
        summary="Register a lead, or an array of up to 100 (website, affiliate, platform)",
        openapi_extra=body_of("lead"),
        status_code=201,
    )
    async def leads(request: Request) -> JSONResponse:
        return await handle(request, "leads")

    @app.post(
        "/v1/platform/events",
        summary="Logins, heartbeats, logouts, balances, one or an array (platform)",
        openapi_extra=body_of("platform"),
        status_code=201,
    )
    async def platform_events(request: Request) -> JSONResponse:
        return await handle(request, "platform_events")

    @app.post(
        "/v1/deposits",
        summary="A deposit attempt's event, or an array (PSP, signed webhook)",
        openapi_extra=body_of("deposit"),
        status_code=201,
    )
    async def deposits(request: Request) -> JSONResponse:
        return await handle(request, "deposits")

    @app.post(
        "/v1/calls",
        summary="A call record, or an array (dialer, signed webhook)",
        openapi_extra=body_of("call"),
        status_code=201,
    )
    async def calls(request: Request) -> JSONResponse:
        return await handle(request, "calls")

    return app


def _json(body: bytes):
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused(
            400, "malformed", "the body is not JSON", fields={"body": "is not JSON"}
        ) from None


def _seen_message(
    target: sa.Engine | sa.Connection, who: Caller, webhook_id: str
) -> tuple[int, dict] | None:
    values = {"seen_integration": who.integration_id, "seen_message": webhook_id}
    if isinstance(target, sa.Connection):
        row = target.execute(_SEEN, values).first()
    else:
        with target.connect() as connection:
            row = connection.execute(_SEEN, values).first()
    return None if row is None else (row.status, row.response)


def _remember_message(connection: sa.Connection, who: Caller, webhook_id: str, answer) -> None:
    """The answer to this webhook-id, for its replays, written in the event's own transaction:
    a twin arriving meanwhile waits on the event's action id and then finds both."""
    connection.execute(
        _REMEMBER[connection.dialect.name],
        {
            "integration_id": who.integration_id,
            "message_id": webhook_id,
            "received_at": utcnow(),
            "status": answer.status,
            "response": answer.body,
        },
    )


# Run by every signed request: built once.
_SEEN = sa.select(WEBHOOKS.c.status, WEBHOOKS.c.response).where(
    WEBHOOKS.c.integration_id == sa.bindparam("seen_integration"),
    WEBHOOKS.c.message_id == sa.bindparam("seen_message"),
)
_REMEMBER = {
    name: dialect.insert(WEBHOOKS).on_conflict_do_nothing()
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _clean(kind: str):
    return lambda body, ctx, _webhook_id: endpoints.clean(kind, body, ctx)


# endpoint → (check the body, apply it on the request's transaction)
ENDPOINTS: dict[str, tuple[Callable, Callable]] = {
    "leads": (_clean("lead"), endpoints.post_lead),
    "platform_events": (
        _clean("platform"),
        endpoints.post_platform_event,
    ),
    "deposits": (
        lambda body, ctx, webhook_id: endpoints.check_deposit(
            endpoints.clean("deposit", body, ctx), webhook_id
        ),
        endpoints.post_deposit,
    ),
    "calls": (_clean("call"), endpoints.post_call),
}
