"""The FastAPI application: schedule and strategy runs with an asynchronous lifecycle.

Endpoints (all under ``/v1``; every one but the health checks needs
``Authorization: Bearer <API key>``)::

    POST   /schedule-runs              submit (202, Location); Idempotency-Key honoured
    GET    /schedule-runs              the tenant's runs, newest first
    GET    /schedule-runs/{id}         status, best plan so far, objective, bound, gap
                                       (?wait_s=N: long-poll until the run ends)
    GET    /schedule-runs/{id}/events  server-sent events of status changes
    DELETE /schedule-runs/{id}         cancel (keeps any plan already stored)
    ...    /strategy-runs              the same for strategy comparisons
    GET    /strategy-runs/{id}/report  HTML report (404 until the report module exists)
    GET    /healthz, /readyz           liveness; readiness (database and workers)

The lifecycle follows Timefold's solver service and nextmv's runs API: a submission is
answered at once with the run's id; solving happens in worker processes
(:mod:`optimizer.service.worker`), never in the web process's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import gzip
import hashlib
import importlib.util
import json
import logging
import queue
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from pydantic.json_schema import models_json_schema
from pydantic_core import from_json, to_json
from starlette.exceptions import HTTPException as StarletteHTTPException

from optimizer.loading import ScenarioError, parse_scenario
from optimizer.service import runs as R
from optimizer.service.auth import Authenticator
from optimizer.service.db import Run, Store, ping, utcnow
from optimizer.service.jsonutil import canonical, dumps
from optimizer.service.problems import (
    ProblemError,
    install_handlers,
    pointer,
    problem_body,
    problem_response,
)
from optimizer.service.schemas import (
    Health,
    Ready,
    RunAccepted,
    RunList,
    RunView,
    ScheduleEnvelope,
    ScheduleRunRequest,
    StrategyEnvelope,
    StrategyRunRequest,
)
from optimizer.service.settings import ServiceSettings
from optimizer.service.worker import Supervisor

log = logging.getLogger("opportune.service")
API_VERSION = "1.0.0"
THREADS = 8
GIL_SWITCH_S = 0.0005
"""GIL switch interval of the web process while it serves (default 0.005 s)."""
INLINE_PREPARE_BYTES = 64 * 1024
"""Submission bodies up to this size are validated on the event loop (no thread)."""
PATHS = {"schedule": "/v1/schedule-runs", "strategy": "/v1/strategy-runs"}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def rfc3339(dt: datetime | None) -> str | None:
    """``2027-01-04T05:00:00.000+00:00`` (UTC, with offset), or None."""
    return None if dt is None else dt.isoformat(timespec="milliseconds")


# ----------------------------------------------------------------------------------------
# request size limit
# ----------------------------------------------------------------------------------------
class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    resp = problem_response(self._body(scope), {"Connection": "close"})
                    await resp(scope, receive, send)
                    return
        seen = 0
        limit = self.max_bytes

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise StarletteHTTPException(413, detail=self._detail())
            return message

        await self.app(scope, limited, send)

    def _detail(self) -> str:
        return f"the request body is larger than the limit of {self.max_bytes} bytes"

    def _body(self, scope: Scope) -> dict[str, Any]:
        return problem_body(
            413,
            "request-too-large",
            self._detail(),
            title="Request too large",
            instance=str(scope.get("path", "")),
        )


# ----------------------------------------------------------------------------------------
# change notification for long polls and event streams
# ----------------------------------------------------------------------------------------
class EventHub:
    """Wakes the requests waiting on a run when that run changes.

    Runs change in worker processes, so the web process learns of changes by reading
    the new ``run_events`` rows every ``interval_s``: one query for all waiters, and
    only the waiters of the runs that changed are woken (no thundering herd when
    hundreds of clients long-poll at once).
    """

    def __init__(self, store: Store, interval_s: float = 0.05) -> None:
        self.store = store
        self.interval_s = interval_s
        self.latest = 0
        self._runs: dict[str, tuple[asyncio.Event, int]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def token(self, run_id: str) -> asyncio.Event:
        """Take before reading the run; it is set when the run changes afterwards."""
        ev, n = self._runs.get(run_id, (None, 0))
        if ev is None:
            ev = asyncio.Event()
        self._runs[run_id] = (ev, n + 1)
        return ev

    def release(self, run_id: str, token: asyncio.Event) -> None:
        """Give a token back (always, in a ``finally``)."""
        cur = self._runs.get(run_id)
        if cur is not None and cur[0] is token:
            if cur[1] <= 1:
                del self._runs[run_id]
            else:
                self._runs[run_id] = (token, cur[1] - 1)

    def poke(self, run_id: str) -> None:
        """Wake the waiters of a run now (after a change made by this process)."""
        cur = self._runs.pop(run_id, None)
        if cur is not None:
            cur[0].set()

    @staticmethod
    async def wait(token: asyncio.Event, timeout_s: float) -> bool:
        """True when the run changed since ``token`` was taken, False on timeout."""
        try:
            await asyncio.wait_for(token.wait(), timeout=max(0.0, timeout_s))
        except TimeoutError:
            return False
        return True

    async def _run(self) -> None:
        self.latest = await to_thread.run_sync(R.latest_event_id, self.store)
        while True:
            try:
                # Always read the changes themselves (not just the latest id), so a waiter
                # that registered while this query ran cannot miss its run's change.
                latest, changed = await to_thread.run_sync(R.changes_after, self.store, self.latest)
                self.latest = latest
                for run_id in changed:
                    self.poke(run_id)
            except Exception:
                log.exception("event poll failed")
            await asyncio.sleep(self.interval_s)


# ----------------------------------------------------------------------------------------
# group commit of submissions
# ----------------------------------------------------------------------------------------
class SubmitBatcher:
    """Stores submissions from one thread, many per transaction (group commit).

    Under a burst, every request handled on its own thread costs a thread hand-off,
    a turn on the store's write lock (against the other request threads and the
    worker processes' claims) and a commit.  Here requests queue up while the previous
    batch is written, and the next batch (everything queued, up to ``max_batch``)
    is stored by :func:`optimizer.service.runs.submit_many` in one transaction: the
    same answers as one at a time in arrival order, one lock and one commit.  Each
    request is answered only after its batch committed, so a 202 still means stored.
    """

    def __init__(
        self,
        store: Store,
        settings: ServiceSettings,
        accepted_body: R.Accepted,
        max_batch: int = 64,
    ) -> None:
        self.store = store
        self.settings = settings
        self.accepted_body = accepted_body
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="opportune-submit", daemon=True)
        self.batches = 0
        self.submissions = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Store what is queued, then end the thread."""
        self._queue.put(None)
        self._thread.join(60.0)

    async def submit(self, sub: R.Submission) -> tuple[dict[str, Any], bool]:
        """Queue a submission and wait until its batch is stored (or refused)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[tuple[dict[str, Any], bool]] = loop.create_future()
        self._queue.put(_Pending(sub, fut, loop))
        return await fut

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                batch.append(nxt)
            results: list[Any]
            try:
                results = list(
                    R.submit_many(
                        self.store,
                        [p.sub for p in batch],
                        accepted_body=self.accepted_body,
                        max_queued_per_tenant=self.settings.max_queued_per_tenant,
                        max_queued_total=self.settings.max_queued_total,
                        retry_after_s=self.settings.retry_after_s,
                    )
                )
            except BaseException as exc:  # the database is down...: every request fails
                results = [exc] * len(batch)
            self.batches += 1
            self.submissions += len(batch)
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Pending, Any]]] = {}
            for p, res in zip(batch, results, strict=True):
                by_loop.setdefault(p.loop, []).append((p, res))
            for loop, items in by_loop.items():
                with contextlib.suppress(RuntimeError):  # loop closed: nobody waits
                    loop.call_soon_threadsafe(_resolve, items)


class _Pending:
    __slots__ = ("fut", "loop", "sub")

    def __init__(
        self,
        sub: R.Submission,
        fut: asyncio.Future[tuple[dict[str, Any], bool]],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.sub = sub
        self.fut = fut
        self.loop = loop


def _resolve(items: list[tuple[_Pending, Any]]) -> None:
    for p, res in items:
        if p.fut.done():  # the client went away; the run is stored all the same
            continue
        if isinstance(res, BaseException):
            p.fut.set_exception(res)
        else:
            p.fut.set_result(res)


# ----------------------------------------------------------------------------------------
# views
# ----------------------------------------------------------------------------------------
def links(kind: str, run_id: str, base_run_id: str | None = None) -> dict[str, Any]:
    base = f"{PATHS[kind]}/{run_id}"
    out: dict[str, Any] = {"self": base, "events": f"{base}/events", "cancel": base}
    if kind == "strategy":
        out["report"] = f"{base}/report"
    if base_run_id is not None:
        out["base_run"] = f"{PATHS[kind]}/{base_run_id}"
    return out


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return round((b - a).total_seconds(), 6)


def run_view(run: Run, now: datetime) -> dict[str, Any]:
    """The JSON view of a run (``GET /v1/<kind>-runs/{id}``)."""
    running_end = run.finished_at or (now if run.status == "running" else None)
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "created_at": rfc3339(run.created_at),
        "started_at": rfc3339(run.started_at),
        "finished_at": rfc3339(run.finished_at),
        "updated_at": rfc3339(run.updated_at),
        "attempts": run.attempts,
        "config": json.loads(run.config_json),
        "base_run_id": run.base_run_id,
        "plan_status": run.plan_status,
        "objective": run.objective,
        "lower_bound": run.lower_bound,
        "gap": run.gap,
        "timings": {
            "queue_wait_s": _seconds(run.created_at, run.started_at),
            "run_s": run.run_s if run.run_s is not None else _seconds(run.started_at, running_end),
        },
        "result": json.loads(run.result_json) if run.result_json else None,
        "problem": json.loads(run.problem_json) if run.problem_json else None,
        "links": links(run.kind, run.id, run.base_run_id),
    }


def accepted_body(
    run_id: str, kind: str, created_at: datetime, base_run_id: str | None
) -> dict[str, Any]:
    """The 202 body of a new run (stored with it, so an idempotent replay repeats it)."""
    return {
        "id": run_id,
        "kind": kind,
        "status": "queued",
        "created_at": rfc3339(created_at),
        "links": links(kind, run_id, base_run_id),
    }


def run_summary(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "created_at": rfc3339(run.created_at),
        "finished_at": rfc3339(run.finished_at),
        "objective": run.objective,
        "gap": run.gap,
        "links": links(run.kind, run.id, run.base_run_id),
    }


# ----------------------------------------------------------------------------------------
# request validation
# ----------------------------------------------------------------------------------------
def _envelope_errors(exc: ValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors(include_url=False):
        msg = "unknown key" if e["type"] == "extra_forbidden" else str(e["msg"])
        out.append({"pointer": pointer(tuple(e["loc"])), "detail": msg})
    return out


def _input_json(inp: dict[str, Any], fast: bool) -> str:
    """Compact JSON of a submission's input, refusing NaN and infinities (ValueError).

    ``fast``: ``inp`` came from pydantic-core's parser (no NaN, no lone surrogates), so
    its serializer (a fifth of the time of json.dumps) applies; an overflowing number
    such as ``1e400`` still parses to infinity, and any text that may hold one takes
    the strict json.dumps path.
    """
    if fast:
        out = to_json(inp)
        if b"Infinity" not in out and b"NaN" not in out:
            return out.decode("utf-8")
    return json.dumps(inp, separators=(",", ":"), allow_nan=False)


def prepare(
    kind: str,
    raw: bytes,
    tenant_id: int,
    idempotency_key: str | None,
    settings: ServiceSettings,
) -> R.Submission:
    """Validate a submission body; every problem is listed with a JSON pointer.

    Raises
    ------
    ProblemError
        400 (not JSON) or 422 (invalid), with ``errors``.
    """
    # pydantic-core's parser takes half the time of json.loads; anything it refuses
    # (NaN, lone surrogates, UTF-16...) goes through json.loads, which decides as before.
    fast = True
    try:
        data = from_json(raw, allow_inf_nan=False)
    except ValueError:
        fast = False
    try:
        if not fast:
            data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProblemError(
            400, "malformed-json", f"the body is not valid JSON: {exc}", title="Malformed JSON"
        ) from None
    except RecursionError:
        raise ProblemError(
            400, "malformed-json", "the body is nested too deeply", title="Malformed JSON"
        ) from None
    if not isinstance(data, dict):
        raise ProblemError(
            422,
            "validation-error",
            "the request body must be a JSON object",
            title="Invalid request",
            errors=[{"pointer": "", "detail": "must be an object with config and input"}],
        )
    errors: list[dict[str, Any]] = []
    envelope_data = {k: v for k, v in data.items() if k != "input"}
    envelope: ScheduleEnvelope | StrategyEnvelope | None = None
    model = ScheduleEnvelope if kind == "schedule" else StrategyEnvelope
    try:
        envelope = model.model_validate(envelope_data)
    except ValidationError as exc:
        errors.extend(_envelope_errors(exc))
    base_run_id = envelope.base_run_id if isinstance(envelope, ScheduleEnvelope) else None
    if envelope is not None:
        limit = envelope.config.time_limit_s
        if limit is not None and limit > settings.max_time_limit_s:
            errors.append(
                {
                    "pointer": "/config/time_limit_s",
                    "detail": f"must be at most {settings.max_time_limit_s:g} s on this server",
                }
            )
        if isinstance(envelope, StrategyEnvelope):
            reps = envelope.config.replications
            if reps is not None and reps > settings.strategy_max_replications:
                errors.append(
                    {
                        "pointer": "/config/replications",
                        "detail": f"must be at most {settings.strategy_max_replications}",
                    }
                )
    scenario_limit: float | None = None
    inp = data.get("input")
    input_json: str | None = None
    if inp is None:
        reuse = kind == "schedule" and "base_run_id" in data
        if not reuse:
            errors.append({"pointer": "/input", "detail": "required field is missing"})
    elif not isinstance(inp, dict):
        errors.append({"pointer": "/input", "detail": "must be an object (a scenario)"})
    else:
        try:
            scn = parse_scenario(inp)
            scenario_limit = min(scn.plan.time_limit_s, settings.max_time_limit_s)
            input_json = _input_json(inp, fast)
        except ScenarioError as exc:
            errors.extend(
                {"pointer": "/input" + p.as_dict()["pointer"], "detail": p.message}
                for p in exc.problems
            )
        except ValueError as exc:  # e.g. NaN that escaped JSON parsing
            errors.append({"pointer": "/input", "detail": str(exc)[:500]})
    if errors or envelope is None:
        raise ProblemError(
            422,
            "validation-error",
            f"the request has {len(errors)} problem(s)",
            title="Invalid request",
            errors=errors,
        )
    config = envelope.config.model_dump(exclude_none=True)
    if kind == "strategy" and "time_limit_s" not in config:
        scenario_limit = settings.max_time_limit_s
    # Only a request with an Idempotency-Key is ever compared with another one; hashing
    # the canonical form of every body would cost as much as validating a small one.
    digest = (
        hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()
        if idempotency_key is not None
        else None
    )
    return R.Submission(
        tenant_id=tenant_id,
        kind=kind,
        config=config,
        input_json=input_json,
        base_run_id=base_run_id,
        idempotency_key=idempotency_key,
        request_sha256=digest,
        time_limit_s=scenario_limit,
    )


# ----------------------------------------------------------------------------------------
# application
# ----------------------------------------------------------------------------------------
class Services:
    """What the request handlers share (kept on ``app.state.services``)."""

    def __init__(self, settings: ServiceSettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.auth = Authenticator(store, settings.api_key_pepper.get_secret_value())
        self.supervisor: Supervisor | None = None
        self.hub: EventHub | None = None
        self.batcher: SubmitBatcher | None = None


# ----------------------------------------------------------------------------------------
# dependencies and parameters
# ----------------------------------------------------------------------------------------
bearer = HTTPBearer(
    auto_error=False,
    description="API key of the tenant: `Authorization: Bearer opp_...`",
)


async def tenant_id_of(
    request: Request,
    cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> int:
    """The tenant of the request's API key (401 problem when missing or unknown)."""
    services: Services = request.app.state.services
    challenge = {"WWW-Authenticate": 'Bearer realm="opportune"'}
    if cred is None:
        raise ProblemError(
            401,
            "unauthorized",
            "an API key is required: Authorization: Bearer <key>",
            title="Unauthorized",
            headers=challenge,
        )
    key = cred.credentials
    # A cached key is answered on the event loop; only a miss costs a database read.
    tenant_id = services.auth.cached(key)
    if tenant_id is None:
        tenant_id = await to_thread.run_sync(services.auth.tenant_of, key)
    if tenant_id is None:
        raise ProblemError(
            401,
            "unauthorized",
            "the API key is unknown or revoked",
            title="Unauthorized",
            headers=challenge,
        )
    return tenant_id


TenantId = Annotated[int, Depends(tenant_id_of)]
IDEM_DOC = (
    "Same key + same body replays the original answer (no new run); same key + another "
    "body is a 422."
)
IDEM_MAX = 255


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
"""OpenAPI of what ``post_run`` reads itself: the dependencies it no longer declares."""

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


def _problem_doc(description: str) -> dict[str, Any]:
    """OpenAPI response of a problem document."""
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem_doc("Missing or unknown API key"),
    404: _problem_doc("Unknown run (or another tenant's)"),
    422: _problem_doc("Invalid request: every problem with a JSON pointer"),
}
SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    400: _problem_doc("Body is not JSON"),
    404: _problem_doc("Unknown base run (or another tenant's)"),
    413: _problem_doc("Body over the size limit"),
    415: _problem_doc("Body is not application/json"),
    429: _problem_doc("Too many queued runs for this tenant (see Retry-After)"),
    503: _problem_doc("Service queue full (see Retry-After)"),
}


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
    store = Store.from_url(cfg.database_url)
    services = Services(cfg, store)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Few threads: more would only fight over the GIL (and the SQLite write lock)
        # and make every request slower; database calls are short.
        to_thread.current_default_thread_limiter().total_tokens = THREADS
        # The submission writer thread releases the GIL at every SQLite call and must
        # get it back while the event loop thread is busy validating requests: with the
        # default 5 ms switch interval each hand-back waits up to 5 ms, and a batch of
        # a few statements took 10-50 ms under a burst; at 0.5 ms batches take ~1 ms.
        switch_s = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_S)
        hub = EventHub(store)
        hub.start()
        services.hub = hub
        batcher = SubmitBatcher(store, cfg, accepted_body)
        batcher.start()
        services.batcher = batcher
        if start_workers:
            sup = Supervisor(store, cfg)
            await to_thread.run_sync(sup.start)
            services.supervisor = sup
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
            services.batcher = None
            await to_thread.run_sync(batcher.stop)
            await hub.stop()
            if services.supervisor is not None:
                await to_thread.run_sync(services.supervisor.stop)
            store.dispose()

    app = FastAPI(
        title="Opportune scheduling service",
        version=API_VERSION,
        summary="Grouped maintenance scheduling and strategy comparison for CMMS / EAM systems.",
        description=(
            "Submit a scenario (assets, RUL models, crews, parts) and get grouped work "
            "orders back. Runs are asynchronous: POST returns 202 with the run id; poll "
            "`GET` (optionally `?wait_s=`), or follow `/events` (server-sent events). "
            "Errors are RFC 9457 problem details (`application/problem+json`). "
            "Timestamps are RFC 3339 with offsets; durations carry their unit in the field "
            "name (`_s` seconds, `_h` hours)."
        ),
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.services = services
    install_handlers(app)
    if cfg.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cfg.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"],
            expose_headers=["Location", "Retry-After", "Idempotent-Replayed"],
        )
    app.add_middleware(BodyLimit, max_bytes=cfg.max_request_bytes)

    router = APIRouter(prefix="/v1")

    async def submit(kind: str, request: Request, tenant_id: int, key: str | None) -> JSONResponse:
        ctype = request.headers.get("content-type", "application/json").lower()
        if "json" not in ctype:
            raise ProblemError(
                415,
                "unsupported-media-type",
                f"send the body as application/json (got {ctype!r})",
                title="Unsupported media type",
            )
        raw = await request.body()
        if len(raw) <= INLINE_PREPARE_BYTES:
            # ~0.3 ms for a small scenario: cheaper here than a hand-off to a thread
            sub = prepare(kind, raw, tenant_id, key, cfg)
        else:  # a large fleet takes long to validate: keep the event loop free
            sub = await to_thread.run_sync(prepare, kind, raw, tenant_id, key, cfg)
        batcher = services.batcher
        if batcher is not None:
            body, replayed = await batcher.submit(sub)
        else:  # the app is used without its lifespan (some tests)
            body, replayed = await to_thread.run_sync(
                lambda: R.submit(
                    store,
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

    async def get_one(kind: str, run_id: str, tenant_id: int, wait_s: float) -> JSONResponse:
        wait = min(wait_s, cfg.max_wait_s)
        deadline = time.monotonic() + wait
        hub = services.hub
        while True:
            token = hub.token(run_id) if hub is not None else None
            try:
                run = await to_thread.run_sync(lambda: R.get_run(store, tenant_id, run_id, kind))
                left = deadline - time.monotonic()
                if run.status in R.TERMINAL or left <= 0 or token is None:
                    return JSONResponse(run_view(run, utcnow()))
                await EventHub.wait(token, left)
            finally:
                if hub is not None and token is not None:
                    hub.release(run_id, token)

    async def events(
        kind: str, run_id: str, tenant_id: int, last_event_id: str | None
    ) -> StreamingResponse:
        await to_thread.run_sync(
            lambda: R.get_run(store, tenant_id, run_id, kind, with_result=False)
        )
        try:
            after = max(0, int(last_event_id)) if last_event_id else 0
        except ValueError:
            after = 0

        async def stream() -> AsyncIterator[str]:
            last = after
            end = time.monotonic() + cfg.events_max_s
            yield "retry: 2000\n\n"
            while True:
                hub = services.hub
                token = hub.token(run_id) if hub is not None else None
                try:
                    rows = await to_thread.run_sync(R.events_after, store, run_id, last)
                    done = False
                    for e in rows:
                        last = e.id
                        data = {
                            "run_id": run_id,
                            "status": e.status,
                            "at": rfc3339(e.at),
                            "detail": json.loads(e.detail) if e.detail else None,
                        }
                        yield f"id: {e.id}\nevent: status\ndata: {dumps(data)}\n\n"
                        done = done or e.status in R.TERMINAL
                    if done or time.monotonic() >= end:
                        return
                    if token is None:
                        await asyncio.sleep(0.5)
                    elif not await EventHub.wait(token, min(15.0, end - time.monotonic())):
                        yield ": keep-alive\n\n"
                finally:
                    if hub is not None and token is not None:
                        hub.release(run_id, token)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def cancel(kind: str, run_id: str, tenant_id: int) -> JSONResponse:
        run = await to_thread.run_sync(lambda: R.cancel(store, tenant_id, run_id, kind))
        if services.hub is not None:
            services.hub.poke(run_id)
        return JSONResponse(run_view(run, utcnow()))

    async def listing(
        kind: str, tenant_id: int, status: str | None, limit: int, before: str | None
    ) -> JSONResponse:
        cutoff: datetime | None = None
        if before is not None:
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
        rows = await to_thread.run_sync(
            lambda: R.list_runs(store, tenant_id, kind, status=status, limit=limit, before=cutoff)
        )
        nxt = rfc3339(rows[-1].created_at) if len(rows) == limit else None
        return JSONResponse({"items": [run_summary(r) for r in rows], "next_before": nxt})

    sse_doc: dict[int | str, dict[str, Any]] = {
        **PROBLEM_RESPONSES,
        200: {
            "description": "Server-sent events: `event: status`, data {run_id, status, at, "
            "detail}; the stream ends after a terminal status.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    }

    for kind, path, noun in (
        ("schedule", "/schedule-runs", "schedule run"),
        ("strategy", "/strategy-runs", "strategy run"),
    ):
        req_model = "ScheduleRunRequest" if kind == "schedule" else "StrategyRunRequest"
        body_doc = {
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{req_model}"}}
                },
            }
        }

        def bind(kind: str, path: str, noun: str, body_doc: dict[str, Any]) -> None:
            async def post_run(request: Request) -> Any:
                # The hot path of a submission burst: the key and the header are read
                # here rather than through FastAPI's dependency resolution (a fifth of
                # the event loop's time per submission); same checks, same answers,
                # and the same OpenAPI operation (see SUBMIT_PARAMS).
                tenant_id = await tenant_id_of(request, await bearer(request))
                return await submit(kind, request, tenant_id, idempotency_key(request))

            async def get_run(run_id: str, tenant_id: TenantId, wait_s: WaitS = 0.0) -> Any:
                return await get_one(kind, run_id, tenant_id, wait_s)

            async def run_events(
                run_id: str, tenant_id: TenantId, last_event_id: LastEventId = None
            ) -> Any:
                return await events(kind, run_id, tenant_id, last_event_id)

            async def delete_run(run_id: str, tenant_id: TenantId) -> Any:
                return await cancel(kind, run_id, tenant_id)

            async def list_runs(
                tenant_id: TenantId,
                status: StatusQ = None,
                limit: LimitQ = 50,
                before: BeforeQ = None,
            ) -> Any:
                return await listing(kind, tenant_id, status, limit, before)

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
                responses=sse_doc,
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

        bind(kind, path, noun, body_doc)

    @router.get(
        "/strategy-runs/{run_id}/report",
        response_class=HTMLResponse,
        responses={
            **PROBLEM_RESPONSES,
            404: _problem_doc("Unknown run, or no report (report module missing or failed)"),
            409: _problem_doc("The run has not completed"),
            200: {"content": {"text/html": {}}, "description": "Self-contained HTML report"},
        },
        summary="HTML report of a strategy comparison",
        operation_id="strategy_run_report",
    )
    async def strategy_report(run_id: str, tenant_id: TenantId, request: Request) -> Any:
        run = await to_thread.run_sync(
            lambda: R.get_run(store, tenant_id, run_id, "strategy", with_result=False)
        )
        art = await to_thread.run_sync(R.get_artifact, store, run_id, "report.html")
        if art is not None:
            headers = {"Vary": "Accept-Encoding"}
            if "gzip" in request.headers.get("accept-encoding", ""):
                headers["Content-Encoding"] = "gzip"
                return Response(art.content_gzip, media_type=art.media_type, headers=headers)
            html = await to_thread.run_sync(gzip.decompress, art.content_gzip)
            return Response(html, media_type=art.media_type, headers=headers)
        if run.status in ("queued", "running"):
            raise ProblemError(
                409,
                "run-not-completed",
                f"run {run_id} is {run.status}; its report is written when it completes",
                title="No report yet",
            )
        if importlib.util.find_spec("optimizer.report") is None:
            why = "HTML reports are not available on this server (no optimizer.report module)"
        else:
            why = f"run {run_id} ({run.status}) has no report; see its result notes or problem"
        raise ProblemError(404, "report-unavailable", why, title="Report not available")

    @router.get("/healthz", response_model=Health, summary="Liveness", operation_id="healthz")
    async def healthz() -> Any:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        response_model=Ready,
        responses={503: _problem_doc("Not ready (see Retry-After)")},
        summary="Readiness: database reachable and workers alive",
        operation_id="readyz",
    )
    async def readyz() -> Any:
        db_ok = True
        try:
            await to_thread.run_sync(lambda: ping(store.engine))
        except Exception:
            log.exception("readiness: database unreachable")
            db_ok = False
        sup = services.supervisor
        expected = cfg.workers if sup is not None else 0
        alive = sup.alive() if sup is not None else 0
        ready = db_ok and (expected == 0 or alive >= 1)
        body = {
            "status": "ready" if ready else "not_ready",
            "database": "ok" if db_ok else "unreachable",
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
                {"Retry-After": str(cfg.retry_after_s)},
            )
        return body

    app.include_router(router)
    _install_openapi(app)
    return app


def _install_openapi(app: FastAPI) -> None:
    """Add the request-body schemas (with the scenario schema) to the OpenAPI document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        _, defs = models_json_schema(
            [(ScheduleRunRequest, "validation"), (StrategyRunRequest, "validation")],
            ref_template="#/components/schemas/{model}",
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in defs.get("$defs", {}).items():
            if name in schemas and schemas[name] != schema:
                raise RuntimeError(f"OpenAPI component name clash: {name}")
            schemas[name] = schema
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
