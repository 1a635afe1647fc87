"""The run resources: ``/v1/schedule-runs``, ``/v1/strategy-runs`` and ``/v1/whatif-runs``.

All kinds share their lifecycle (submit, list, get with long-poll, events, cancel);
:func:`run_router` builds the router of one kind.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse

from optimizer.service import runs as R
from optimizer.service.context import Ctx, ServiceContext, TenantId, bearer, tenant_id_of
from optimizer.service.db import utcnow
from optimizer.service.events import EventHub, resume_after, status_response, watching
from optimizer.service.openapi import PROBLEM_RESPONSES, problem_doc
from optimizer.service.problems import ProblemError
from optimizer.service.schemas import RunAccepted, RunList, RunView
from optimizer.service.submissions import INLINE_PREPARE_BYTES, prepare
from optimizer.service.views import accepted_body, rfc3339, run_summary, run_view

IDEM_DOC = (
    "Same key + same body replays the original answer (no new run); same key + another "
    "body is a 422."
)
IDEM_MAX = 255

WaitS = Annotated[
    float,
    Query(
        ge=0,
        le=3600,
        description="Long-poll: hold the answer until the run ends or this many seconds "
        "pass (capped by the server).",
    ),
]
LastEventId = Annotated[
    str | None,
    Header(alias="Last-Event-ID", max_length=32, description="Resume after this event id."),
]
StatusQ = Annotated[
    str | None,
    Query(
        pattern="^(queued|running|completed|time_limit|failed|cancelled)$",
        description="Only runs with this status.",
    ),
]
LimitQ = Annotated[int, Query(ge=1, le=200, description="Page size.")]
BeforeQ = Annotated[
    str | None, Query(max_length=64, description="Only runs created before (RFC 3339).")
]

SUBMIT_PARAMS: dict[str, Any] = {
    "parameters": [
        {
            "description": IDEM_DOC,
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {
                "anyOf": [
                    {"maxLength": IDEM_MAX, "minLength": 1, "type": "string"},
                    {"type": "null"},
                ],
                "description": IDEM_DOC,
                "title": "Idempotency-Key",
            },
        }
    ],
    "security": [{"HTTPBearer": []}],
}
"""OpenAPI of what ``post_run`` reads itself: the dependencies it does not declare."""

SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    400: problem_doc("Body is not JSON"),
    404: problem_doc("Unknown base run (or another tenant's)"),
    413: problem_doc("Body over the size limit"),
    415: problem_doc("Body is not application/json"),
    429: problem_doc("Too many queued runs for this tenant (see Retry-After)"),
    503: problem_doc("Service queue full (see Retry-After)"),
}
SSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {
        "description": "Server-sent events: `event: status`, data {run_id, status, at, "
        "detail}; the stream ends after a terminal status.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
}


def idempotency_key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header, checked as ``Header(min_length=1, max_length=255)``.

    Raises
    ------
    RequestValidationError
        The same 422 problem FastAPI gives for such a parameter.
    """
    key = request.headers.get("idempotency-key")
    if key is None or 1 <= len(key) <= IDEM_MAX:
        return key
    short = len(key) < 1
    raise RequestValidationError(
        [
            {
                "type": "string_too_short" if short else "string_too_long",
                "loc": ("header", "Idempotency-Key"),
                "msg": "String should have at least 1 character"
                if short
                else f"String should have at most {IDEM_MAX} characters",
                "input": key,
                "ctx": {"min_length": 1} if short else {"max_length": IDEM_MAX},
            }
        ]
    )


def parse_before(before: str | None) -> datetime | None:
    """The ``before`` query parameter as an aware datetime (422 problem when it is not one)."""
    if before is None:
        return None
    try:
        # an unencoded "+00:00" arrives as " 00:00" (form encoding of "+")
        cutoff = datetime.fromisoformat(before.replace(" ", "+"))
    except ValueError:
        raise ProblemError(
            422,
            "validation-error",
            "before: not an RFC 3339 timestamp",
            title="Invalid request",
            errors=[{"parameter": "before", "in": "query", "detail": "not RFC 3339"}],
        ) from None
    if cutoff.tzinfo is None:
        raise ProblemError(
            422,
            "validation-error",
            "before: the timestamp needs an offset",
            title="Invalid request",
            errors=[{"parameter": "before", "in": "query", "detail": "needs an offset"}],
        )
    try:
        return cutoff.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before the first representable UTC
        raise ProblemError(
            422,
            "validation-error",
            "before: the timestamp is out of range",
            title="Invalid request",
            errors=[{"parameter": "before", "in": "query", "detail": "out of range"}],
        ) from None


async def submit(
    ctx: ServiceContext, kind: str, request: Request, tenant_id: int, key: str | None
) -> JSONResponse:
    """Validate and store a submission; 202 with the run's links."""
    cfg = ctx.settings
    ctype = request.headers.get("content-type", "application/json").lower()
    if "json" not in ctype:
        raise ProblemError(
            415,
            "unsupported-media-type",
            f"send the body as application/json (got {ctype!r})",
            title="Unsupported media type",
        )
    raw = await request.body()
    if len(raw) <= INLINE_PREPARE_BYTES and kind != "whatif":
        # ~0.3 ms for a small scenario: cheaper here than a hand-off to a thread
        sub = prepare(kind, raw, tenant_id, key, cfg)
    elif ctx.validators is not None:  # a large body (or what-if options) takes long
        sub = await ctx.validators.prepare(kind, raw, tenant_id, key, cfg)
    else:  # the app is used without its lifespan, or validate_processes is 0
        sub = await to_thread.run_sync(prepare, kind, raw, tenant_id, key, cfg)
    batcher = ctx.batcher
    if batcher is not None:
        body, replayed = await batcher.submit(sub)
    else:  # the app is used without its lifespan (some tests)
        body, replayed = await to_thread.run_sync(
            lambda: R.submit(
                ctx.store,
                sub,
                accepted_body=lambda rid, k, at: accepted_body(rid, k, at, sub.base_run_id),
                max_queued_per_tenant=cfg.max_queued_per_tenant,
                max_queued_total=cfg.max_queued_total,
                retry_after_s=cfg.retry_after_s,
            )
        )
    headers = {"Location": body["links"]["self"]}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=202, headers=headers)


def run_router(kind: str, path: str, noun: str) -> APIRouter:
    """The routes of one run kind (``kind`` "schedule", "strategy" or "whatif") under ``path``."""
    router = APIRouter()
    req_model = {
        "schedule": "ScheduleRunRequest",
        "strategy": "StrategyRunRequest",
        "whatif": "WhatIfRunRequest",
    }[kind]
    body_doc = {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{req_model}"}}
            },
        }
    }

    async def post_run(request: Request) -> Any:
        # The hot path of a submission burst: the context, the key and the header are
        # read here rather than through FastAPI's dependency resolution (a fifth of the
        # event loop's time per submission); same checks, same answers, and the same
        # OpenAPI operation (see SUBMIT_PARAMS).
        tenant_id = await tenant_id_of(request, await bearer(request))
        ctx: ServiceContext = request.app.state.ctx
        return await submit(ctx, kind, request, tenant_id, idempotency_key(request))

    async def list_runs(
        ctx: Ctx,
        tenant_id: TenantId,
        status: StatusQ = None,
        limit: LimitQ = 50,
        before: BeforeQ = None,
    ) -> Any:
        cutoff = parse_before(before)
        rows = await to_thread.run_sync(
            lambda: R.list_runs(
                ctx.store, tenant_id, kind, status=status, limit=limit, before=cutoff
            )
        )
        nxt = rfc3339(rows[-1].created_at) if len(rows) == limit else None
        return JSONResponse({"items": [run_summary(r) for r in rows], "next_before": nxt})

    async def get_run(ctx: Ctx, run_id: str, tenant_id: TenantId, wait_s: WaitS = 0.0) -> Any:
        deadline = time.monotonic() + min(wait_s, ctx.settings.max_wait_s)
        while True:
            with watching(ctx.hub, run_id) as token:
                run = await to_thread.run_sync(
                    lambda: R.get_run(ctx.store, tenant_id, run_id, kind)
                )
                left = deadline - time.monotonic()
                if run.status in R.TERMINAL or left <= 0 or token is None:
                    return JSONResponse(run_view(run, utcnow()))
                await EventHub.wait(token, left)

    async def run_events(
        ctx: Ctx, run_id: str, tenant_id: TenantId, last_event_id: LastEventId = None
    ) -> Any:
        await to_thread.run_sync(
            lambda: R.get_run(ctx.store, tenant_id, run_id, kind, with_result=False)
        )
        after = resume_after(last_event_id)
        return status_response(ctx.store, ctx.hub, run_id, after, ctx.settings.events_max_s)

    async def delete_run(ctx: Ctx, run_id: str, tenant_id: TenantId) -> Any:
        run = await to_thread.run_sync(lambda: R.cancel(ctx.store, tenant_id, run_id, kind))
        if ctx.hub is not None:
            ctx.hub.poke(run_id)
        return JSONResponse(run_view(run, utcnow()))

    router.add_api_route(
        path,
        post_run,
        methods=["POST"],
        status_code=202,
        response_model=RunAccepted,
        responses=SUBMIT_RESPONSES,
        summary=f"Submit a {noun}",
        openapi_extra={**body_doc, **SUBMIT_PARAMS},
        operation_id=f"submit_{kind}_run",
    )
    router.add_api_route(
        path,
        list_runs,
        methods=["GET"],
        response_model=RunList,
        responses=PROBLEM_RESPONSES,
        summary=f"List the tenant's {noun}s, newest first",
        operation_id=f"list_{kind}_runs",
    )
    router.add_api_route(
        path + "/{run_id}",
        get_run,
        methods=["GET"],
        response_model=RunView,
        responses=PROBLEM_RESPONSES,
        summary=f"Status and result of a {noun}",
        operation_id=f"get_{kind}_run",
    )
    router.add_api_route(
        path + "/{run_id}/events",
        run_events,
        methods=["GET"],
        response_class=StreamingResponse,
        responses=SSE_RESPONSES,
        summary=f"Server-sent events of a {noun}'s status changes",
        operation_id=f"{kind}_run_events",
    )
    router.add_api_route(
        path + "/{run_id}",
        delete_run,
        methods=["DELETE"],
        response_model=RunView,
        responses=PROBLEM_RESPONSES,
        summary=f"Cancel a {noun} (keeps any plan already stored)",
        operation_id=f"cancel_{kind}_run",
    )
    return router
