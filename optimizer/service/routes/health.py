"""Liveness and readiness: ``GET /v1/healthz`` and ``GET /v1/readyz`` (no API key)."""

from __future__ import annotations

import logging
from typing import Any

from anyio import to_thread
from fastapi import APIRouter

from optimizer.service.context import Ctx
from optimizer.service.db import ping
from optimizer.service.openapi import problem_doc
from optimizer.service.problems import problem_body, problem_response
from optimizer.service.schemas import Health, Ready

log = logging.getLogger("opportune.service")
router = APIRouter()
# The handlers have no docstrings: FastAPI would publish them as the operations'
# descriptions in the OpenAPI document.


@router.get("/healthz", response_model=Health, summary="Liveness", operation_id="healthz")
async def healthz() -> Any:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Ready,
    responses={503: problem_doc("Not ready (see Retry-After)")},
    summary="Readiness: database reachable and workers alive",
    operation_id="readyz",
)
async def readyz(ctx: Ctx) -> Any:
    # ready: the database answers (and can store: its disk is not full) and, when
    # workers are started, at least one is alive
    db_ok = True
    database = "ok"
    try:
        await to_thread.run_sync(lambda: ping(ctx.store.engine))
        # a write failed for want of disk space: ready again once a write commits
        if ctx.store.full and not await to_thread.run_sync(ctx.store.probe_write):
            db_ok, database = False, "full"
    except Exception:
        log.exception("readiness: database unreachable")
        db_ok, database = False, "unreachable"
    sup = ctx.supervisor
    expected = ctx.settings.workers if sup is not None else 0
    alive = sup.alive() if sup is not None else 0
    ready = db_ok and (expected == 0 or alive >= 1)
    body = {
        "status": "ready" if ready else "not_ready",
        "database": database,
        "workers_alive": alive,
        "workers_expected": expected,
    }
    if not ready:
        return problem_response(
            problem_body(
                503,
                "not-ready",
                f"database {body['database']}, {alive} of {expected} worker(s) alive",
                title="Not ready",
                database=body["database"],
                workers_alive=alive,
                workers_expected=expected,
            ),
            {"Retry-After": str(ctx.settings.retry_after_s)},
        )
    return body
