"""The FastAPI application: schedule, strategy and what-if runs with an asynchronous lifecycle.

Endpoints (all under ``/v1``; every one but the health checks needs
``Authorization: Bearer <API key>``)::

    POST   /schedule-runs              submit (202, Location); Idempotency-Key honoured
    GET    /schedule-runs              the tenant's runs, newest first
    GET    /schedule-runs/{id}         status, best plan so far, objective, bound, gap
                                       (?wait_s=N: long-poll until the run ends)
    GET    /schedule-runs/{id}/events  server-sent events of status changes
    DELETE /schedule-runs/{id}         cancel (keeps any plan already stored)
    ...    /strategy-runs              the same for strategy comparisons
    GET    /strategy-runs/{id}/report  HTML report (404 when the run has none)
    ...    /whatif-runs                the same for what-if studies of one decision
    GET    /whatif-runs/{id}/report    their HTML report
    POST   /benchmark                  fleet benchmarking, synchronous (life records in)
    POST   /risk                       system risk ranking, synchronous (bounded work)
    GET    /healthz, /readyz           liveness; readiness (database and workers)

The lifecycle follows Timefold's solver service and nextmv's runs API: a submission is
answered at once with the run's id; solving happens in worker processes
(:mod:`optimizer.service.worker`), never in the web process's event loop.

Layout: this module only wires the app together (settings, lifespan, routers).  The
routes are in :mod:`optimizer.service.routes`, what they share in
:class:`~optimizer.service.context.ServiceContext` (``app.state.ctx``), request
validation and group commit in :mod:`~optimizer.service.submissions`, long polls and
server-sent events in :mod:`~optimizer.service.events`, the JSON views of runs in
:mod:`~optimizer.service.views`, and what wraps every request in
:mod:`~optimizer.service.middleware`.
"""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import APIRouter, FastAPI

from optimizer.service.context import ServiceContext
from optimizer.service.events import EventHub
from optimizer.service.middleware import install_middleware
from optimizer.service.openapi import install_openapi
from optimizer.service.routes import benchmark, health, reports, risk
from optimizer.service.routes.runs import run_router
from optimizer.service.settings import ServiceSettings
from optimizer.service.submissions import SubmitBatcher, ValidationPool
from optimizer.service.views import accepted_body
from optimizer.service.worker import Supervisor

API_VERSION = "1.0.0"
THREADS = 8
"""Worker threads of the web process (database calls, large submissions)."""
GIL_SWITCH_S = 0.0005
"""GIL switch interval of the web process while it serves (default 0.005 s)."""
DESCRIPTION = (
    "Submit a scenario (assets, RUL models, crews, parts) and get grouped work "
    "orders back. Runs are asynchronous: POST returns 202 with the run id; poll "
    "`GET` (optionally `?wait_s=`), or follow `/events` (server-sent events). "
    "Errors are RFC 9457 problem details (`application/problem+json`). "
    "Timestamps are RFC 3339 with offsets; durations carry their unit in the field "
    "name (`_s` seconds, `_h` hours)."
)


@asynccontextmanager
async def lifespan(app: FastAPI, *, start_workers: bool) -> AsyncIterator[None]:
    """Start the event hub, the submission writer and (optionally) the workers; stop them.

    Parameters
    ----------
    app : FastAPI
        The app; its ``state.ctx`` receives the running parts.
    start_workers : bool
        Start the worker supervisor (tests may drive workers themselves).
    """
    ctx: ServiceContext = app.state.ctx
    # Few threads: more would only fight over the GIL (and the SQLite write lock)
    # and make every request slower; database calls are short.
    to_thread.current_default_thread_limiter().total_tokens = THREADS
    # The submission writer thread releases the GIL at every SQLite call and must
    # get it back while the event loop thread is busy validating requests: with the
    # default 5 ms switch interval each hand-back waits up to 5 ms, and a batch of
    # a few statements took 10-50 ms under a burst; at 0.5 ms batches take ~1 ms.
    switch_s = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_S)
    hub = EventHub(ctx.store)
    hub.start()
    ctx.hub = hub
    batcher = SubmitBatcher(ctx.store, ctx.settings, accepted_body)
    batcher.start()
    ctx.batcher = batcher
    if ctx.settings.validate_processes > 0:
        validators = ValidationPool(
            ctx.settings.validate_processes, ctx.settings.validate_timeout_s
        )
        await to_thread.run_sync(validators.start)
        ctx.validators = validators
    if start_workers:
        sup = Supervisor(ctx.store, ctx.settings)
        await to_thread.run_sync(sup.start)
        ctx.supervisor = sup
    # Everything imported and built so far (numpy, SciPy, pydantic models...) lives
    # as long as the process: move it out of the collector's reach, so a full
    # collection while serving traverses only the objects made since (one took
    # ~80 ms in the middle of a burst of submissions).
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        sys.setswitchinterval(switch_s)
        ctx.batcher = None
        if ctx.validators is not None:
            await to_thread.run_sync(ctx.validators.stop)
            ctx.validators = None
        await to_thread.run_sync(batcher.stop)
        await hub.stop()
        if ctx.supervisor is not None:
            await to_thread.run_sync(ctx.supervisor.stop)
        ctx.store.dispose()


def create_app(settings: ServiceSettings | None = None, *, start_workers: bool = True) -> FastAPI:
    """Build the application.

    Parameters
    ----------
    settings : ServiceSettings, optional
        Default: from the environment.
    start_workers : bool
        Start the worker supervisor with the app (tests may drive workers themselves).

    Returns
    -------
    FastAPI
    """
    cfg = settings if settings is not None else ServiceSettings()
    app = FastAPI(
        title="Opportune scheduling service",
        version=API_VERSION,
        summary="Grouped maintenance scheduling and strategy comparison for CMMS / EAM systems.",
        description=DESCRIPTION,
        lifespan=functools.partial(lifespan, start_workers=start_workers),
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ctx = ServiceContext.create(cfg)
    install_middleware(app, cfg)
    v1 = APIRouter(prefix="/v1")
    v1.include_router(run_router("schedule", "/schedule-runs", "schedule run"))
    v1.include_router(run_router("strategy", "/strategy-runs", "strategy run"))
    v1.include_router(run_router("whatif", "/whatif-runs", "what-if run"))
    v1.include_router(reports.router)
    v1.include_router(benchmark.router)
    v1.include_router(risk.router)
    v1.include_router(health.router)
    app.include_router(v1)
    install_openapi(app)
    return app
