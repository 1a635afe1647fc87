"""Run lifecycle in the store: submit, read, cancel, claim, lease, finish, recover.

Status machine::

    queued --claim--> running --finish--> completed | time_limit | failed
       |                 |  \\--lease lost / worker died--> queued (attempt < max)
       |                 |                                 failed (attempt = max)
       +--cancel--> cancelled <--cancel--+

Every transition is one conditional ``UPDATE`` (``WHERE status = ...``), so two actors
racing on the same run (a worker finishing and a client cancelling) cannot both win,
and each transition appends a ``run_events`` row in the same transaction.

Claiming is ``UPDATE runs SET status='running' ... WHERE id = (SELECT id FROM runs WHERE
status='queued' ORDER BY created_at LIMIT 1 [FOR UPDATE SKIP LOCKED]) AND
status='queued' RETURNING id``: on PostgreSQL the row lock with ``SKIP LOCKED`` lets
concurrent workers take different runs without waiting; on SQLite the whole statement
runs under ``BEGIN IMMEDIATE``, which serializes writers.

References
----------
.. [1] PostgreSQL documentation, "SELECT ... FOR UPDATE SKIP LOCKED" (The Locking Clause).
.. [2] Timefold Solver, "Solver service" REST lifecycle (submit, poll, terminate early).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from optimizer.service.db import Run, RunArtifact, RunEvent, Store, utcnow
from optimizer.service.jsonutil import dumps
from optimizer.service.problems import ProblemError, not_found, problem_body

RUNS = cast(Table, Run.__table__)
RUN_EVENTS = cast(Table, RunEvent.__table__)
"""The tables, for Core inserts (cheaper than ORM inserts on the submit path)."""
TERMINAL = frozenset({"completed", "time_limit", "failed", "cancelled"})
STATUSES = ("queued", "running", "completed", "time_limit", "failed", "cancelled")
KINDS = ("schedule", "strategy", "whatif")
HOST = socket.gethostname()[:60]
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "json": "application/json"}


def new_run_id() -> str:
    """A fresh run id (UUID4 text)."""
    return str(uuid.uuid4())


def worker_identity(index: int) -> str:
    """``host:pid:wN`` of the calling worker process (used to find orphaned runs)."""
    return f"{HOST}:{os.getpid()}:w{index}"


def _event(s: Session, run_id: str, status: str, at: datetime, detail: Any = None) -> None:
    s.add(
        RunEvent(
            run_id=run_id, at=at, status=status, detail=None if detail is None else dumps(detail)
        )
    )


# ----------------------------------------------------------------------------------------
# API side
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Submission:
    """A validated request to create a run."""

    tenant_id: int
    kind: str
    config: dict[str, Any]
    input_json: str | None
    base_run_id: str | None
    idempotency_key: str | None
    request_sha256: str | None
    """SHA-256 of the canonical body; only computed when there is an idempotency key."""
    time_limit_s: float | None


def submit(
    store: Store,
    sub: Submission,
    *,
    accepted_body: Callable[[str, str, datetime], dict[str, Any]],
    max_queued_per_tenant: int,
    max_queued_total: int,
    retry_after_s: int,
) -> tuple[dict[str, Any], bool]:
    """Store a new run, or replay the run an idempotency key already created.

    Parameters
    ----------
    store : Store
        The run store.
    sub : Submission
        The validated request.
    accepted_body : callable
        ``(run_id, kind, created_at) -> dict``: the 202 body to return (and to replay).
    max_queued_per_tenant, max_queued_total : int
        Queue limits (429 / 503 beyond them).
    retry_after_s : int
        ``Retry-After`` of the 429 / 503 answers.

    Returns
    -------
    (dict, bool)
        The accepted body, and True when it is a replay of an earlier request.

    Raises
    ------
    ProblemError
        422 (key reused with another body), 404 (unknown base run), 429, 503.
    """
    for _attempt in range(3):
        try:
            (answer,) = _submit_batch(
                store,
                [sub],
                lambda rid, k, at, _base: accepted_body(rid, k, at),
                max_queued_per_tenant,
                max_queued_total,
                retry_after_s,
            )
        except IntegrityError:
            # Two requests with the same idempotency key raced; the loser replays.
            continue
        if isinstance(answer, ProblemError):
            raise answer
        return answer
    raise ProblemError(409, "conflict", "concurrent requests with the same Idempotency-Key")


def _key_reused(prior_id: str) -> ProblemError:
    return ProblemError(
        422,
        "idempotency-key-reused",
        "this Idempotency-Key was used with a different request body "
        f"(run {prior_id}); use a new key for a new request",
        title="Idempotency-Key reused",
        run_id=prior_id,
    )


def _queue_full(
    queued_tenant: int,
    queued_all: int,
    max_queued_per_tenant: int,
    max_queued_total: int,
    retry_after_s: int,
) -> ProblemError | None:
    if queued_tenant >= max_queued_per_tenant:
        return ProblemError(
            429,
            "queue-full",
            f"this tenant already has {queued_tenant} queued run(s) (limit "
            f"{max_queued_per_tenant}); retry later",
            title="Too many queued runs",
            headers={"Retry-After": str(retry_after_s)},
        )
    if queued_all >= max_queued_total:
        return ProblemError(
            503,
            "service-busy",
            f"the service has {queued_all} queued run(s) (limit {max_queued_total}); retry later",
            title="Service busy",
            headers={"Retry-After": str(retry_after_s)},
        )
    return None


def _resolved(s: Session, sub: Submission) -> tuple[dict[str, Any], str, float | None]:
    """Configuration, input and time limit of a submission, its base run's filled in.

    Raises
    ------
    ProblemError
        404 for an unknown (or foreign) base run.
    """
    config = dict(sub.config)
    input_json = sub.input_json
    time_limit = sub.time_limit_s
    if sub.base_run_id is not None:
        base = s.scalar(
            select(Run)
            .options(undefer(Run.input_json))
            .where(
                Run.id == sub.base_run_id,
                Run.tenant_id == sub.tenant_id,
                Run.kind == sub.kind,
            )
        )
        if base is None:
            raise not_found("base run", sub.base_run_id)
        base_config = json.loads(base.config_json)
        config = {**base_config, **{k: v for k, v in config.items() if v is not None}}
        if input_json is None:
            input_json = base.input_json
            time_limit = base.time_limit_s
    if input_json is None:  # pragma: no cover - the handler checks this first
        raise ProblemError(422, "validation-error", "input is required")
    if config.get("time_limit_s") is not None:
        time_limit = float(config["time_limit_s"])
    return config, input_json, time_limit


def _row(
    sub: Submission,
    run_id: str,
    now: datetime,
    body: dict[str, Any],
    resolved: tuple[dict[str, Any], str, float | None],
) -> dict[str, Any]:
    config, input_json, time_limit = resolved
    return {
        "id": run_id,
        "tenant_id": sub.tenant_id,
        "kind": sub.kind,
        "status": "queued",
        "config_json": dumps(config),
        "input_json": input_json,
        "base_run_id": sub.base_run_id,
        "idempotency_key": sub.idempotency_key,
        "request_sha256": sub.request_sha256,
        "accepted_json": dumps(body),
        "created_at": now,
        "updated_at": now,
        "attempts": 0,
        "time_limit_s": time_limit,
        # columns an ORM insert would fill with NULL (executemany needs every key)
        "started_at": None,
        "finished_at": None,
        "lease_expires_at": None,
        "worker_id": None,
        "result_json": None,
        "problem_json": None,
        "plan_status": None,
        "objective": None,
        "lower_bound": None,
        "gap": None,
        "run_s": None,
    }


Accepted = Callable[[str, str, datetime, str | None], dict[str, Any]]
"""``(run_id, kind, created_at, base_run_id) -> dict``: the 202 body of a new run."""


def submit_many(
    store: Store,
    subs: list[Submission],
    *,
    accepted_body: Accepted,
    max_queued_per_tenant: int,
    max_queued_total: int,
    retry_after_s: int,
) -> list[tuple[dict[str, Any], bool] | ProblemError]:
    """Store several submissions in one transaction (group commit).

    Each submission gets exactly the answer :func:`submit` would give it had they
    been sent one after the other in this order (idempotency replays and conflicts,
    queue limits counting the runs accepted earlier in the batch, unknown base runs),
    but the batch pays for one write lock and one commit.  Nothing is answered before
    the commit: a run reported accepted is stored.

    Returns
    -------
    list
        Per submission: ``(accepted body, replayed)`` or the :class:`ProblemError`
        to answer with.
    """

    def one(sub: Submission) -> tuple[dict[str, Any], bool] | ProblemError:
        try:
            return submit(
                store,
                sub,
                accepted_body=lambda rid, k, at: accepted_body(rid, k, at, sub.base_run_id),
                max_queued_per_tenant=max_queued_per_tenant,
                max_queued_total=max_queued_total,
                retry_after_s=retry_after_s,
            )
        except ProblemError as exc:
            return exc

    if len(subs) == 1:
        return [one(subs[0])]
    try:
        return _submit_batch(
            store, subs, accepted_body, max_queued_per_tenant, max_queued_total, retry_after_s
        )
    except IntegrityError:
        # Another process inserted a run with one of these idempotency keys meanwhile:
        # the batch was rolled back; one by one, the loser of that race replays.
        return [one(sub) for sub in subs]


def _submit_batch(
    store: Store,
    subs: list[Submission],
    accepted_body: Accepted,
    max_queued_per_tenant: int,
    max_queued_total: int,
    retry_after_s: int,
) -> list[tuple[dict[str, Any], bool] | ProblemError]:
    out: list[tuple[dict[str, Any], bool] | ProblemError] = []
    with store.write() as s, s.begin():
        keys = {sub.idempotency_key for sub in subs if sub.idempotency_key is not None}
        prior: dict[tuple[int, str, str | None], tuple[str, str | None, dict[str, Any]]] = {}
        if keys:
            for r in s.execute(
                select(
                    Run.tenant_id,
                    Run.kind,
                    Run.idempotency_key,
                    Run.id,
                    Run.request_sha256,
                    Run.accepted_json,
                ).where(Run.idempotency_key.in_(keys))
            ):
                prior[(r[0], r[1], r[2])] = (r[3], r[4], json.loads(r[5] or "{}"))
        queued: dict[int, int] = {
            int(t): int(n)
            for t, n in s.execute(
                select(Run.tenant_id, func.count())
                .where(Run.status == "queued")
                .group_by(Run.tenant_id)
            )
        }
        queued_all = sum(queued.values())
        runs: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for sub in subs:
            ident = (
                (sub.tenant_id, sub.kind, sub.idempotency_key)
                if sub.idempotency_key is not None
                else None
            )
            if ident is not None and ident in prior:
                prior_id, sha, body = prior[ident]
                out.append(_key_reused(prior_id) if sha != sub.request_sha256 else (body, True))
                continue
            full = _queue_full(
                queued.get(sub.tenant_id, 0),
                queued_all,
                max_queued_per_tenant,
                max_queued_total,
                retry_after_s,
            )
            if full is not None:
                out.append(full)
                continue
            try:
                resolved = _resolved(s, sub)
            except ProblemError as exc:
                out.append(exc)
                continue
            now = utcnow()
            run_id = new_run_id()
            body = accepted_body(run_id, sub.kind, now, sub.base_run_id)
            runs.append(_row(sub, run_id, now, body, resolved))
            events.append({"run_id": run_id, "at": now, "status": "queued", "detail": None})
            queued[sub.tenant_id] = queued.get(sub.tenant_id, 0) + 1
            queued_all += 1
            if ident is not None:
                prior[ident] = (run_id, sub.request_sha256, body)
            out.append((body, False))
        if runs:
            # Core executemany on the tables: no ORM unit of work per row.
            s.execute(insert(RUNS), runs)
            s.execute(insert(RUN_EVENTS), events)
    return out


def get_run(
    store: Store, tenant_id: int, run_id: str, kind: str, *, with_result: bool = True
) -> Run:
    """The tenant's run of this kind (with its result loaded).

    Raises
    ------
    ProblemError
        404 when the run does not exist, is another tenant's, or is of another kind.
    """
    with store.read() as s:
        q = select(Run).where(Run.id == run_id, Run.tenant_id == tenant_id, Run.kind == kind)
        if with_result:
            q = q.options(undefer(Run.result_json))
        run = s.scalar(q)
    if run is None:
        raise not_found("run", run_id)
    return run


def list_runs(
    store: Store,
    tenant_id: int,
    kind: str,
    *,
    status: str | None,
    limit: int,
    before: datetime | None,
) -> list[Run]:
    """The tenant's runs of a kind, newest first."""
    with store.read() as s:
        q = select(Run).where(Run.tenant_id == tenant_id, Run.kind == kind)
        if status is not None:
            q = q.where(Run.status == status)
        if before is not None:
            q = q.where(Run.created_at < before)
        return list(s.scalars(q.order_by(Run.created_at.desc(), Run.id.desc()).limit(limit)))


def cancel(store: Store, tenant_id: int, run_id: str, kind: str) -> Run:
    """Cancel a queued or running run (no change when it already ended).

    A running run is marked ``cancelled`` at once; the worker that runs it notices
    within a second, kills the solver process and stores the newest incumbent it
    received (:func:`keep_incumbent`).  Any result already stored stays, with
    ``plan_status`` ``cancelled``.

    Raises
    ------
    ProblemError
        404 for an unknown or foreign run.
    """
    now = utcnow()
    with store.write() as s, s.begin():
        run = s.scalar(
            select(Run).where(Run.id == run_id, Run.tenant_id == tenant_id, Run.kind == kind)
        )
        if run is None:
            raise not_found("run", run_id)
        if run.status in ("queued", "running"):
            was = run.status
            res = s.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == was)
                .values(
                    status="cancelled",
                    finished_at=now,
                    updated_at=now,
                    lease_expires_at=None,
                    # an incumbent already stored is now the plan of a stopped solve
                    plan_status=case((Run.plan_status.is_(None), None), else_="cancelled"),
                )
            )
            if getattr(res, "rowcount", 0):
                _event(s, run_id, "cancelled", now, {"requested_while": was})
    return get_run(store, tenant_id, run_id, kind)


def events_after(store: Store, run_id: str, after_id: int) -> list[RunEvent]:
    """Events of a run with ``id > after_id``, in order."""
    with store.read() as s:
        return list(
            s.scalars(
                select(RunEvent)
                .where(RunEvent.run_id == run_id, RunEvent.id > after_id)
                .order_by(RunEvent.id)
            )
        )


def latest_event_id(store: Store) -> int:
    """Largest event id in the store (0 when empty): changes whenever any run changes."""
    with store.read() as s:
        return int(s.scalar(select(func.max(RunEvent.id))) or 0)


def changes_after(store: Store, after_id: int, limit: int = 10_000) -> tuple[int, set[str]]:
    """Runs with events after ``after_id``, and the largest event id seen."""
    with store.read() as s:
        rows = s.execute(
            select(RunEvent.id, RunEvent.run_id)
            .where(RunEvent.id > after_id)
            .order_by(RunEvent.id)
            .limit(limit)
        ).all()
    if not rows:
        return after_id, set()
    return int(rows[-1][0]), {str(r[1]) for r in rows}


# ----------------------------------------------------------------------------------------
# Worker side
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claimed:
    """A run a worker took, with everything needed to execute it."""

    id: str
    kind: str
    attempt: int
    config: dict[str, Any]
    input_json: str
    base_result_json: str | None
    base_run_id: str | None
    time_limit_s: float | None


def oldest_queued() -> Select[str]:
    """``SELECT id ... ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`` (the lock
    clause is dropped on SQLite, where ``BEGIN IMMEDIATE`` serializes claims)."""
    return (
        select(Run.id)
        .where(Run.status == "queued")
        .order_by(Run.created_at, Run.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def claim(store: Store, worker_id: str, lease_s: float) -> Claimed | None:
    """Atomically take the oldest queued run, or None when the queue is empty."""
    with store.read() as s:
        # A cheap read first: idle workers polling an empty queue take no write lock.
        if s.scalar(select(Run.id).where(Run.status == "queued").limit(1)) is None:
            return None
    now = utcnow()
    with store.write() as s, s.begin():
        oldest = oldest_queued().scalar_subquery()
        run_id = s.scalar(
            update(Run)
            .where(Run.id == oldest, Run.status == "queued")
            .values(
                status="running",
                worker_id=worker_id,
                started_at=now,
                updated_at=now,
                lease_expires_at=now + timedelta(seconds=lease_s),
                attempts=Run.attempts + 1,
            )
            .returning(Run.id)
        )
        if run_id is None:
            return None
        run = s.scalar(select(Run).options(undefer(Run.input_json)).where(Run.id == run_id))
        assert run is not None
        _event(s, run.id, "running", now, {"attempt": run.attempts, "worker": worker_id})
        base_json: str | None = None
        if run.base_run_id is not None:
            base_json = s.scalar(
                select(Run.result_json).where(
                    Run.id == run.base_run_id, Run.tenant_id == run.tenant_id
                )
            )
        return Claimed(
            id=run.id,
            kind=run.kind,
            attempt=run.attempts,
            config=json.loads(run.config_json),
            input_json=run.input_json,
            base_result_json=base_json,
            base_run_id=run.base_run_id,
            time_limit_s=run.time_limit_s,
        )


def get_artifact(store: Store, run_id: str, name: str) -> RunArtifact | None:
    """A stored file of a run (the caller has checked the run's tenant)."""
    with store.read() as s:
        return s.scalar(
            select(RunArtifact).where(RunArtifact.run_id == run_id, RunArtifact.name == name)
        )


def renew_lease(store: Store, run_id: str, worker_id: str, lease_s: float) -> bool:
    """Extend the lease; False when the run is no longer this worker's (cancelled...)."""
    now = utcnow()
    with store.write() as s, s.begin():
        res = s.execute(
            update(Run)
            .where(Run.id == run_id, Run.worker_id == worker_id, Run.status == "running")
            .values(lease_expires_at=now + timedelta(seconds=lease_s))
        )
        return bool(getattr(res, "rowcount", 0))


@dataclass(frozen=True)
class Outcome:
    """What a worker reports when a run ends."""

    status: str
    result: dict[str, Any] | None = None
    problem: dict[str, Any] | None = None
    plan_status: str | None = None
    objective: float | None = None
    lower_bound: float | None = None
    gap: float | None = None
    run_s: float | None = None
    artifacts: dict[str, str] | None = None
    """``name -> text`` files to keep with the run (``report.html``)."""


def finish(store: Store, run_id: str, worker_id: str, outcome: Outcome) -> bool:
    """Record a run's outcome; False if the run was cancelled or taken over meanwhile.

    A plan that arrives after the run was cancelled is still attached to it (the
    status stays ``cancelled``; it replaces the incumbent stored while solving, which
    it is never worse than), so cancelling never throws a finished plan away.
    """
    now = utcnow()
    result_json = None if outcome.result is None else dumps(outcome.result)
    problem_json = None if outcome.problem is None else dumps(outcome.problem)
    values: dict[str, Any] = {
        "result_json": result_json,
        "problem_json": problem_json,
        "plan_status": outcome.plan_status,
        "objective": outcome.objective,
        "lower_bound": outcome.lower_bound,
        "gap": outcome.gap,
        "run_s": outcome.run_s,
        "updated_at": now,
    }
    with store.write() as s, s.begin():
        res = s.execute(
            update(Run)
            .where(Run.id == run_id, Run.worker_id == worker_id, Run.status == "running")
            .values(status=outcome.status, finished_at=now, lease_expires_at=None, **values)
        )
        if getattr(res, "rowcount", 0):
            detail = {
                k: v
                for k, v in {
                    "plan_status": outcome.plan_status,
                    "objective": outcome.objective,
                    "lower_bound": outcome.lower_bound,
                    "gap": outcome.gap,
                    "problem": (outcome.problem or {}).get("detail"),
                }.items()
                if v is not None
            }
            _event(s, run_id, outcome.status, now, detail or None)
            for name, content in (outcome.artifacts or {}).items():
                s.add(
                    RunArtifact(
                        run_id=run_id,
                        name=name,
                        media_type=MEDIA_TYPES.get(name.rsplit(".", 1)[-1], "text/plain"),
                        content_gzip=gzip.compress(content.encode("utf-8"), compresslevel=6),
                        created_at=now,
                    )
                )
            return True
        if result_json is not None:
            late = s.execute(
                update(Run)
                .where(
                    Run.id == run_id,
                    Run.worker_id == worker_id,
                    Run.status == "cancelled",
                )
                .values(**values)
            )
            if getattr(late, "rowcount", 0):
                _event(s, run_id, "cancelled", now, {"note": "plan stored after cancellation"})
        return False


def progress(store: Store, run_id: str, worker_id: str, best: Outcome) -> bool:
    """Store a running run's best plan so far (an incumbent); False if the run is no
    longer this worker's running run, or already holds a plan at least as good (an
    earlier attempt's), and nothing was written."""
    values = _plan_values(best)
    better = (
        Run.objective.is_(None)
        if best.objective is None
        else or_(Run.objective.is_(None), Run.objective > best.objective)
    )
    with store.write() as s, s.begin():
        res = s.execute(
            update(Run)
            .where(Run.id == run_id, Run.worker_id == worker_id, Run.status == "running", better)
            .values(updated_at=utcnow(), **values)
        )
        return bool(getattr(res, "rowcount", 0))


def keep_incumbent(store: Store, run_id: str, worker_id: str, best: Outcome) -> bool:
    """Attach the newest incumbent to a run cancelled while its solver was working.

    The plan is stored with ``plan_status`` ``cancelled`` (the solve was stopped on
    request: the plan is the best found, its gap what the bound proved by then).
    Only when the run is ``cancelled``, was this worker's and holds no better plan
    (an earlier attempt's); False otherwise.
    """
    result = dict(best.result or {})
    result["status"] = "cancelled"
    values = _plan_values(dataclasses.replace(best, result=result, plan_status="cancelled"))
    # the same plan as stored (rewritten with its new status), or a better one
    not_worse = (
        Run.objective.is_(None)
        if best.objective is None
        else or_(Run.objective.is_(None), Run.objective >= best.objective)
    )
    with store.write() as s, s.begin():
        res = s.execute(
            update(Run)
            .where(
                Run.id == run_id, Run.worker_id == worker_id, Run.status == "cancelled", not_worse
            )
            .values(updated_at=utcnow(), **values)
        )
        return bool(getattr(res, "rowcount", 0))


def _plan_values(outcome: Outcome) -> dict[str, Any]:
    return {
        "result_json": None if outcome.result is None else dumps(outcome.result),
        "plan_status": outcome.plan_status,
        "objective": outcome.objective,
        "lower_bound": outcome.lower_bound,
        "gap": outcome.gap,
    }


def release(
    store: Store,
    run_id: str,
    worker_id: str | None,
    reason: str,
    *,
    count_attempt: bool,
    max_attempts: int,
) -> str | None:
    """Take a running run away from a worker that stopped: re-queue it or fail it.

    Parameters
    ----------
    store : Store
        The run store.
    run_id : str
        The run.
    worker_id : str or None
        Only release it if this worker still holds it (None: whoever holds it).
    reason : str
        Why (stored in the event, and in the problem when the run fails).
    count_attempt : bool
        False for a graceful shutdown: the interrupted attempt is not counted.
    max_attempts : int
        A run interrupted this many times is failed instead of queued again.

    Returns
    -------
    str or None
        The new status (``queued`` or ``failed``), or None if the run was not released.
    """
    now = utcnow()
    with store.write() as s, s.begin():
        run = s.scalar(select(Run).where(Run.id == run_id, Run.status == "running"))
        if run is None or (worker_id is not None and run.worker_id != worker_id):
            return None
        attempts = run.attempts if count_attempt else max(0, run.attempts - 1)
        give_up = attempts >= max_attempts
        cond = [Run.id == run_id, Run.status == "running", Run.worker_id == run.worker_id]
        if give_up:
            problem = problem_body(
                500,
                "worker-lost",
                f"the run was interrupted {attempts} time(s) ({reason}); giving up",
                title="Run interrupted",
            )
            s.execute(
                update(Run)
                .where(*cond)
                .values(
                    status="failed",
                    finished_at=now,
                    updated_at=now,
                    lease_expires_at=None,
                    attempts=attempts,
                    problem_json=dumps(problem),
                )
            )
            _event(s, run_id, "failed", now, {"reason": reason, "attempts": attempts})
            return "failed"
        s.execute(
            update(Run)
            .where(*cond)
            .values(
                status="queued",
                worker_id=None,
                lease_expires_at=None,
                updated_at=now,
                attempts=attempts,
            )
        )
        _event(s, run_id, "queued", now, {"reason": reason, "attempts": attempts})
        return "queued"


def running_runs(store: Store) -> list[tuple[str, str | None, datetime | None]]:
    """``(run_id, worker_id, lease_expires_at)`` of every running run."""
    with store.read() as s:
        rows = s.execute(
            select(Run.id, Run.worker_id, Run.lease_expires_at).where(Run.status == "running")
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def pid_alive(pid: int) -> bool:
    """True if a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def orphaned(worker_id: str | None, lease_expires_at: datetime | None, now: datetime) -> str | None:
    """Why a running run's worker is gone, or None if it may still be working.

    A run is orphaned when its lease ran out, or when its worker ran on this host and
    its process no longer exists (then there is no need to wait for the lease).
    """
    if lease_expires_at is None or lease_expires_at < now:
        return "its worker stopped renewing the lease"
    if worker_id:
        parts = worker_id.split(":")
        if len(parts) == 3 and parts[0] == HOST and parts[1].isdigit():
            if not pid_alive(int(parts[1])):
                return "its worker process is gone (server restarted)"
    return None


def recover(store: Store, max_attempts: int) -> list[tuple[str, str]]:
    """Release every orphaned running run; returns ``(run_id, new_status)`` pairs."""
    now = utcnow()
    out: list[tuple[str, str]] = []
    for run_id, worker_id, lease in running_runs(store):
        why = orphaned(worker_id, lease, now)
        if why is None:
            continue
        status = release(
            store, run_id, worker_id, why, count_attempt=True, max_attempts=max_attempts
        )
        if status is not None:
            out.append((run_id, status))
    return out
