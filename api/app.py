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
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from api import endpoints
from api.guard import Caller, RateLimiter, Refused, caller, verify_signature
from api.request_log import RequestLog
from crm.db import create_crm_engine
from crm.ingest.validation import json_schema
from crm.models import WebhookMessage, utcnow

MAX_BODY_BYTES = 256 * 1024
WEBHOOKS = WebhookMessage.__table__
DESCRIPTION = """Data in from the brokerage's own systems: website and affiliate registrations,
the trading platform's logins and balances, the PSPs' deposit events and the dialer's calls.

Every request carries its integration's API key (`Authorization: Bearer sbk_...`); PSPs and
dialers also sign each message the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
`webhook-signature`). An event is applied once, by its own id; a bad field is answered with 422
naming it. See README.md, "Connecting your systems"."""


def create_app(engine: sa.Engine | None = None) -> FastAPI:
    engine = engine or create_crm_engine()
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

    async def handle(request: Request, endpoint: str, process: Callable) -> JSONResponse:
        started, at = time.perf_counter(), utcnow()
        who: Caller | None = None
        answer = None
        try:
            try:
                body = await request.body()
            except ClientDisconnect:  # the sender hung up before its body came: nobody to answer
                raise Refused(400, "disconnected", "the client went away") from None
            if len(body) > MAX_BODY_BYTES:
                raise Refused(413, "too_large", f"the body is over {MAX_BODY_BYTES // 1024} KB")
            who = await run_in_threadpool(caller, engine, request.headers, endpoint)
            limiter.take(who)
            webhook_id = verify_signature(who, body, request.headers)
            if webhook_id is not None:
                seen = await run_in_threadpool(_seen_message, engine, who, webhook_id)
                if seen is not None:
                    answer = endpoints.Answer(200, {**seen[1], "replayed": True})
            if answer is None:
                payload = _json(body)
                ctx = endpoints.context(who, currencies)
                answer = await run_in_threadpool(process, engine, who, payload, ctx, webhook_id)
                if webhook_id is not None:
                    await run_in_threadpool(_remember_message, engine, who, webhook_id, answer)
            response = JSONResponse(answer.body, status_code=answer.status)
            error = None
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

    def body_of(kind: str, array: bool = False) -> dict:
        schema = json_schema(kind)
        if array:
            schema = {"oneOf": [schema, {"type": "array", "items": schema, "maxItems": 100}]}
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
        summary="Register a lead (website, affiliate, platform)",
        openapi_extra=body_of("lead"),
        status_code=201,
    )
    async def leads(request: Request) -> JSONResponse:
        return await handle(
            request, "leads", lambda e, who, body, ctx, _id: endpoints.post_lead(e, who, body, ctx)
        )

    @app.post(
        "/v1/platform/events",
        summary="Logins, heartbeats, logouts, balances (platform)",
        openapi_extra=body_of("platform", array=True),
        status_code=201,
    )
    async def platform_events(request: Request) -> JSONResponse:
        return await handle(
            request,
            "platform_events",
            lambda e, who, body, ctx, _id: endpoints.post_platform_events(e, who, body, ctx),
        )

    @app.post(
        "/v1/deposits",
        summary="A deposit attempt's event (PSP, signed webhook)",
        openapi_extra=body_of("deposit"),
        status_code=201,
    )
    async def deposits(request: Request) -> JSONResponse:
        return await handle(request, "deposits", endpoints.post_deposit)

    @app.post(
        "/v1/calls",
        summary="A call record (dialer, signed webhook)",
        openapi_extra=body_of("call"),
        status_code=201,
    )
    async def calls(request: Request) -> JSONResponse:
        return await handle(
            request, "calls", lambda e, who, body, ctx, _id: endpoints.post_call(e, who, body, ctx)
        )

    return app


def _json(body: bytes):
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused(
            400, "malformed", "the body is not JSON", fields={"body": "is not JSON"}
        ) from None


def _seen_message(engine: sa.Engine, who: Caller, webhook_id: str) -> tuple[int, dict] | None:
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(WEBHOOKS.c.status, WEBHOOKS.c.response).where(
                WEBHOOKS.c.integration_id == who.integration_id,
                WEBHOOKS.c.message_id == webhook_id,
            )
        ).first()
    return None if row is None else (row.status, row.response)


def _remember_message(engine, who: Caller, webhook_id: str, answer) -> None:
    """The answer to this webhook-id, for its replays. Written after the event's own action:
    a replay arriving in between finds the event's action id taken and writes nothing either."""
    from crm.actions.core import _insert

    with engine.begin() as connection:
        connection.execute(
            _insert(connection)(WEBHOOKS)
            .values(
                integration_id=who.integration_id,
                message_id=webhook_id,
                received_at=utcnow(),
                status=answer.status,
                response=answer.body,
            )
            .on_conflict_do_nothing()
        )
