"""Submissions: validating a request body, and storing many per transaction.

:func:`prepare` turns a ``POST`` body into a :class:`~optimizer.service.runs.Submission`
(every problem listed with a JSON pointer); :class:`SubmitBatcher` stores the
submissions of concurrent requests from one thread, many per transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import json
import logging
import multiprocessing as mp
import queue
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from anyio import to_thread
from pydantic import ValidationError
from pydantic_core import from_json, to_json

from optimizer.loading import ScenarioError, parse_scenario
from optimizer.scenario import Scenario
from optimizer.service import runs as R
from optimizer.service.db import Store
from optimizer.service.jsonutil import canonical
from optimizer.service.problems import ProblemError, pointer
from optimizer.service.schemas import ScheduleEnvelope, StrategyEnvelope, WhatIfEnvelope
from optimizer.service.settings import ServiceSettings

log = logging.getLogger("opportune.service")

_T = TypeVar("_T")

INLINE_PREPARE_BYTES = 16 * 1024
"""Submission bodies up to this size are validated on the event loop (no hand-off);
larger ones in a :class:`ValidationPool` process."""


def envelope_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """The problems of an invalid envelope (``config``, ``base_run_id``), with JSON pointers."""
    out = []
    for e in exc.errors(include_url=False):
        msg = "unknown key" if e["type"] == "extra_forbidden" else str(e["msg"])
        out.append({"pointer": pointer(tuple(e["loc"])), "detail": msg})
    return out


def compact_input_json(inp: dict[str, Any], fast: bool) -> str:
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
    except ValueError as exc:  # valid JSON, but a number Python will not convert
        raise ProblemError(
            422,
            "validation-error",
            f"the body holds a number too large to read: {str(exc)[:120]}",
            title="Invalid request",
            errors=[{"pointer": "", "detail": "a number has too many digits (limit 4300)"}],
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
    envelope: ScheduleEnvelope | StrategyEnvelope | WhatIfEnvelope | None = None
    model: type[ScheduleEnvelope | StrategyEnvelope | WhatIfEnvelope]
    if kind == "schedule":
        model = ScheduleEnvelope
    elif kind == "strategy":
        model = StrategyEnvelope
    else:
        model = WhatIfEnvelope
    try:
        envelope = model.model_validate(envelope_data)
    except ValidationError as exc:
        errors.extend(envelope_errors(exc))
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
        if isinstance(envelope, StrategyEnvelope | WhatIfEnvelope):
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
            input_json = compact_input_json(inp, fast)
            if isinstance(envelope, WhatIfEnvelope):
                errors.extend(whatif_option_errors(scn, envelope))
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
    if kind in ("strategy", "whatif") and "time_limit_s" not in config:
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


def whatif_option_errors(scn: Scenario, envelope: WhatIfEnvelope) -> list[dict[str, Any]]:
    """The options of a what-if request that cannot be served, each with its pointer
    (``/config/options/<j>``) and a message naming the option.

    The scenario must plan one replacement per component (no ``repeated_replacements``).
    """
    from optimizer.sim.whatif import check_options

    if scn.plan.repeated_replacements:
        return [
            {
                "pointer": "/input/plan/repeated_replacements",
                "detail": "what-if compares next-replacement plans; must be false",
            }
        ]
    cfg = envelope.config
    return [
        {"pointer": f"/config/options/{j}", "detail": str(exc)}
        for j, exc in check_options(scn, cfg.options, days=cfg.days)
    ]


def _init_validator() -> None:
    """Initializer of a validation process: Ctrl-C is the server's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _warm() -> None:
    """Starts a validation process and loads what a what-if check and a ``POST /v1/risk``
    validation need (seconds) before the first request."""
    for name in ("optimizer.sim.whatif", "optimizer.service.routes.risk"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


class ValidationPool:
    """Parses and validates large submission bodies in other processes.

    Validation is CPU work that holds the GIL (pydantic-core validates a whole scenario
    in one call), so a thread would stall the event loop just the same: health checks
    and every other tenant would wait.  Here a body is validated in one of
    ``processes`` spawned processes (the least busy); a body that takes longer than
    ``timeout_s`` is answered 422 ``input-too-complex`` and its process is killed and
    replaced, so no CPU is left burning on it.  A request queued behind it in that
    process is validated again in the replacement.

    Parameters
    ----------
    processes : int
        Validation processes (at least 1).
    timeout_s : float
        Longest validation of one body, seconds.
    """

    def __init__(self, processes: int, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._slots: list[ProcessPoolExecutor | None] = [None] * max(1, processes)
        self._busy = [0] * len(self._slots)
        self._lock = threading.Lock()
        self._stopped = False
        self.restarts = 0

    @staticmethod
    def _new_process() -> ProcessPoolExecutor:
        proc = ProcessPoolExecutor(
            1, mp_context=mp.get_context("spawn"), initializer=_init_validator
        )
        proc.submit(_warm)  # start it (and its imports) before the first request
        return proc

    def start(self) -> None:
        """Start the processes (they import the scenario schema in the background)."""
        with self._lock:
            self._slots = [p or self._new_process() for p in self._slots]

    @staticmethod
    def _kill(proc: ProcessPoolExecutor) -> None:
        procs = list(getattr(proc, "_processes", {}).values())
        for p in procs:
            with contextlib.suppress(Exception):
                p.kill()
        proc.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            with contextlib.suppress(Exception):
                p.join(5.0)

    def _replace(self, i: int, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._stopped or self._slots[i] is not broken:
                return  # replaced already (or shutting down)
            self._slots[i] = self._new_process()
            self.restarts += 1
        self._kill(broken)

    def stop(self) -> None:
        """Kill the processes (validations in progress are abandoned)."""
        with self._lock:
            self._stopped = True
            procs, self._slots = self._slots, [None] * len(self._slots)
        for p in procs:
            if p is not None:
                self._kill(p)

    def _pick(self) -> tuple[int, ProcessPoolExecutor]:
        with self._lock:
            if self._stopped:
                raise ProblemError(
                    503, "shutting-down", "the server is shutting down", title="Unavailable"
                )
            i = min(range(len(self._slots)), key=self._busy.__getitem__)
            proc = self._slots[i]
            if proc is None:
                proc = self._slots[i] = self._new_process()
            self._busy[i] += 1
            return i, proc

    async def prepare(
        self,
        kind: str,
        raw: bytes,
        tenant_id: int,
        idempotency_key: str | None,
        settings: ServiceSettings,
    ) -> R.Submission:
        """:func:`prepare` in a validation process, within ``timeout_s``.

        Raises
        ------
        ProblemError
            What :func:`prepare` raises, or 422 ``input-too-complex`` on timeout.
        """
        return await self.call(prepare, len(raw), kind, raw, tenant_id, idempotency_key, settings)

    async def call(self, fn: Callable[..., _T], size: int, *args: Any) -> _T:
        """``fn(*args)`` in a validation process, within ``timeout_s``.

        ``fn`` and its arguments and result must be picklable (a module-level function);
        ``size`` is the body's size in bytes (for the log).

        Raises
        ------
        ProblemError
            What ``fn`` raises, 422 ``input-too-complex`` on timeout, or 503 when no
            process could run it.
        """
        for _attempt in range(2):
            i, proc = self._pick()
            try:
                fut: Future[_T] = proc.submit(fn, *args)
                return await asyncio.wait_for(asyncio.wrap_future(fut), self.timeout_s)
            except TimeoutError:
                log.warning(
                    "a %d-byte request body took over %g s to validate", size, self.timeout_s
                )
                await to_thread.run_sync(self._replace, i, proc)
                raise ProblemError(
                    422,
                    "input-too-complex",
                    f"the request body could not be validated within {self.timeout_s:g} s "
                    "(OPPORTUNE_VALIDATE_TIMEOUT_S): send a smaller scenario",
                    title="Input too complex",
                    errors=[{"pointer": "", "detail": "validation took too long"}],
                ) from None
            except (BrokenProcessPool, RuntimeError):
                # the process was replaced under this request (another body's timeout)
                # or died: once more in a fresh one
                await to_thread.run_sync(self._replace, i, proc)
            finally:
                with self._lock:
                    self._busy[i] -= 1
        raise ProblemError(
            503,
            "validation-unavailable",
            "the request could not be validated now; retry",
            title="Unavailable",
            headers={"Retry-After": "1"},
        )


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
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
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
        self._queue.put(Pending(sub, fut, loop))
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
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Pending, Any]]] = {}
            for p, res in zip(batch, results, strict=True):
                by_loop.setdefault(p.loop, []).append((p, res))
            for loop, items in by_loop.items():
                with contextlib.suppress(RuntimeError):  # loop closed: nobody waits
                    loop.call_soon_threadsafe(resolve_batch, items)


class Pending:
    """A queued submission and the future its request awaits."""

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


def resolve_batch(items: list[tuple[Pending, Any]]) -> None:
    """Answer the requests of one event loop (run on that loop)."""
    for p, res in items:
        if p.fut.done():  # the client went away; the run is stored all the same
            continue
        if isinstance(res, BaseException):
            p.fut.set_exception(res)
        else:
            p.fut.set_result(res)
