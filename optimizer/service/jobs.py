"""What a worker does with a claimed run: plan a scenario, compare strategies or study
the options of one decision (what-if).

Both kinds call the same core functions as the CLI
(:func:`optimizer.planning.pipeline.plan_scenario`
and :func:`optimizer.sim.simulate.compare`), so the same input gives the same plan either way;
a strategy run's HTML report is the CLI's (:func:`optimizer.report.comparison.compare_report`
of the comparison and the plan).
Errors become a failed :class:`~optimizer.service.runs.Outcome` with a problem document;
an infeasible plan is a *completed* run whose result carries the diagnosis.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from optimizer.loading import ScenarioError, parse_scenario
from optimizer.planning.pipeline import PlanResult, plan_result, plan_scenario
from optimizer.problem.build import BuiltProblem, period_edges
from optimizer.problem.plan import Plan, Status
from optimizer.report.comparison import compare_report
from optimizer.report.whatif import whatif_report
from optimizer.scenario import Scenario
from optimizer.service.jsonutil import finite_or_none, sanitize
from optimizer.service.problems import problem_body
from optimizer.service.runs import Claimed, Outcome
from optimizer.sim.simulate import Comparison, compare
from optimizer.sim.whatif import OptionError, whatif

log = logging.getLogger("opportune.service.worker")


def with_seed(scn: Scenario, seed: int | None) -> Scenario:
    """The scenario with ``simulation.seed`` replaced (models are frozen: copy)."""
    if seed is None:
        return scn
    sim = scn.simulation.model_copy(update={"seed": int(seed)})
    return scn.model_copy(update={"simulation": sim})


def assignment_of(result: PlanResult) -> dict[str, str | None]:
    """Start instant (RFC 3339) of each component's planned work, ``None`` = deferred."""
    pb = result.built.problem
    out: dict[str, str | None] = {}
    for i, cid in enumerate(pb.component_ids):
        t = int(result.plan.period[i])
        out[str(cid)] = pb.local_period_start(t).isoformat() if t >= 0 else None
    return out


def warm_start_from(
    scn: Scenario, base_result: dict[str, Any] | None
) -> tuple[np.ndarray | None, str]:
    """The earlier plan mapped onto this scenario's periods, and what happened.

    The earlier run's assignment is stored as a start instant per component; each is
    mapped to the period of the new calendar that contains it (so a rolled-forward plan
    start still lines up), and to ``-1`` (beyond the horizon) when it falls outside.
    The warm start is used only when the component sets are equal.
    """
    if base_result is None:
        return None, "the base run has no plan (yet): solved from scratch"
    assignment = base_result.get("assignment")
    if not isinstance(assignment, dict):
        return None, "the base run's result holds no assignment: solved from scratch"
    ids = [c.id for c in scn.components()]
    if set(ids) != set(assignment):
        return None, "component set differs from the base run: solved from scratch"
    edges = period_edges(scn)
    starts = np.array([(e - edges[0]) / timedelta(hours=1) for e in edges[:-1]])
    horizon_h = (edges[-1] - edges[0]) / timedelta(hours=1)
    ws = np.full(len(ids), -1, dtype=np.int64)
    for i, cid in enumerate(ids):
        when = assignment[cid]
        if when is None:
            continue
        off_h = (datetime.fromisoformat(str(when)) - edges[0]) / timedelta(hours=1)
        if 0 <= off_h < horizon_h:
            ws[i] = int(np.searchsorted(starts, off_h, side="right") - 1)
    return ws, "warm start from the base run's plan"


def _failure(slug: str, title: str, detail: str, status: int = 422) -> dict[str, Any]:
    return problem_body(status, slug, detail, title=title)


def _internal(exc: BaseException) -> dict[str, Any]:
    ref = uuid.uuid4().hex[:12]
    log.error("run failed with an internal error %s:\n%s", ref, traceback.format_exc())
    return problem_body(
        500,
        "internal-error",
        f"the run failed with an internal error; reference {ref}",
        title="Internal error",
        reference=ref,
    )


def _scenario(claimed: Claimed) -> Scenario:
    return parse_scenario(json.loads(claimed.input_json))


def _invalid(exc: ScenarioError) -> Outcome:
    errors = [
        {"pointer": "/input" + p.as_dict()["pointer"], "detail": p.message} for p in exc.problems
    ]
    return Outcome(
        "failed",
        problem=problem_body(
            422,
            "validation-error",
            f"the input has {len(errors)} problem(s)",
            title="Invalid input",
            errors=errors,
        ),
    )


PUBLISH_INTERVAL_S = 1.0
"""Shortest time between two incumbents sent to the worker (and stored)."""


class IncumbentPublisher:
    """Hands the solver's incumbents to ``send`` as ``running`` outcomes, from a thread.

    The solver's callback only keeps a reference to the newest plan (it holds up the
    search while it runs); this thread turns the newest one into work orders and sends
    it, at most once per ``interval_s`` and not in the first ``interval_s`` (a quick
    run sends nothing but its outcome); plans superseded in between are skipped.  The
    solvers release the GIL while they search, so the conversion runs alongside.

    Parameters
    ----------
    send : callable
        Receives the progress :class:`Outcome` (status ``running``).
    extra : dict
        Keys added to each result (``warm_start``, ``notes``), as in the final result.
    interval_s : float
        Shortest time between two sends, seconds.
    """

    def __init__(
        self,
        send: Callable[[Outcome], None],
        extra: dict[str, Any],
        interval_s: float = PUBLISH_INTERVAL_S,
    ) -> None:
        self._send = send
        self._extra = extra
        self._interval_s = interval_s
        self._pending: tuple[BuiltProblem, Plan] | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="incumbents", daemon=True)
        self.sent = 0

    def offer(self, built: BuiltProblem, plan: Plan) -> None:
        """The solver's callback: keep the newest plan (cheap)."""
        with self._lock:
            self._pending = (built, plan)
        self._wake.set()

    def __enter__(self) -> IncumbentPublisher:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        # The final outcome follows: incumbents still pending are not sent.
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def _loop(self) -> None:
        # Nothing before interval_s: a quick run's final outcome follows anyway, and a
        # plan published just before it would only cost a conversion and a write.
        self._stop.wait(self._interval_s)
        while not self._stop.is_set():
            self._wake.wait()
            with self._lock:
                item, self._pending = self._pending, None
                self._wake.clear()
            if item is None or self._stop.is_set():
                continue
            try:
                self._send(self._outcome(*item))
                self.sent += 1
            except Exception:
                log.exception("could not publish an incumbent")
            self._stop.wait(self._interval_s)

    def _outcome(self, built: BuiltProblem, plan: Plan) -> Outcome:
        res = plan_result(built, plan)
        result = sanitize(res.as_dict())
        result["assignment"] = assignment_of(res)
        result.update(self._extra)
        gap = plan.gap
        return Outcome(
            "running",
            result=result,
            plan_status=str(plan.status),
            objective=finite_or_none(plan.objective),
            lower_bound=finite_or_none(plan.lower_bound),
            gap=gap if math.isfinite(gap) else None,
        )


def execute(
    claimed: Claimed,
    *,
    max_time_limit_s: float,
    on_progress: Callable[[Outcome], None] | None = None,
    dask_address: str | None = None,
) -> Outcome:
    """Run a claimed run to its outcome (never raises for a bad input or a solver error).

    Parameters
    ----------
    claimed : Claimed
        The run.
    max_time_limit_s : float
        Cap on the solver time limit (the scenario's own ``plan.time_limit_s`` may be
        larger than the service allows).
    on_progress : callable, optional
        Receives the best plan so far of a schedule run (a ``running`` outcome) while
        the solver works, at most once per :data:`PUBLISH_INTERVAL_S`.
    dask_address : str, optional
        A Dask scheduler: a strategy run simulates its replications there.

    Returns
    -------
    Outcome
    """
    t0 = time.perf_counter()
    try:
        if claimed.kind == "schedule":
            out = _schedule(claimed, max_time_limit_s, on_progress)
        elif claimed.kind == "strategy":
            out = _strategy(claimed, dask_address)
        elif claimed.kind == "whatif":
            out = _whatif(claimed, max_time_limit_s)
        else:
            out = Outcome(
                "failed",
                problem=_failure("unknown-kind", "Unknown run kind", f"kind {claimed.kind!r}"),
            )
    except ScenarioError as exc:
        out = _invalid(exc)
    except ValueError as exc:
        # The core's documented way of rejecting an input it cannot plan.
        out = Outcome(
            "failed",
            problem=_failure("unprocessable-input", "Input cannot be processed", str(exc)[:2000]),
        )
    except Exception as exc:
        out = Outcome("failed", problem=_internal(exc))
    return dataclasses.replace(out, run_s=time.perf_counter() - t0)


def _schedule(
    claimed: Claimed,
    max_time_limit_s: float,
    on_progress: Callable[[Outcome], None] | None = None,
) -> Outcome:
    cfg = claimed.config
    scn = with_seed(_scenario(claimed), cfg.get("seed"))
    notes: list[str] = []
    limit = cfg.get("time_limit_s")
    if limit is None:
        limit = scn.plan.time_limit_s
        if limit > max_time_limit_s:
            notes.append(
                f"the scenario's time_limit_s {limit:g} s is capped at the service's "
                f"{max_time_limit_s:g} s"
            )
            limit = max_time_limit_s
    warm: np.ndarray | None = None
    warm_info: dict[str, Any] | None = None
    if claimed.base_run_id is not None:
        base = json.loads(claimed.base_result_json) if claimed.base_result_json else None
        warm, why = warm_start_from(scn, base)
        warm_info = {"base_run_id": claimed.base_run_id, "used": warm is not None, "note": why}
    extra = {"warm_start": warm_info, "notes": notes}
    with contextlib.ExitStack() as stack:
        pub = None
        if on_progress is not None:
            pub = stack.enter_context(IncumbentPublisher(on_progress, extra))
        res = plan_scenario(
            scn,
            method=cfg.get("method"),
            time_limit_s=float(limit),
            gap=cfg.get("gap"),
            warm_start=warm,
            on_incumbent=None if pub is None else pub.offer,
        )
    result = sanitize(res.as_dict())
    result["assignment"] = assignment_of(res)
    result.update(extra)
    plan = res.plan
    if plan.status is Status.TIME_LIMIT:
        status = "time_limit"
    elif plan.status is Status.CANCELLED:
        status = "cancelled"
    else:
        # optimal, feasible, and infeasible (the diagnosis is the answer) all complete.
        status = "completed"
    gap = plan.gap
    return Outcome(
        status,
        result=result,
        plan_status=str(plan.status),
        objective=finite_or_none(plan.objective),
        lower_bound=finite_or_none(plan.lower_bound),
        gap=gap if math.isfinite(gap) else None,
    )


def _strategy(claimed: Claimed, dask_address: str | None = None) -> Outcome:
    cfg = claimed.config
    scn = _scenario(claimed)
    comparison = compare(
        scn,
        cfg.get("strategies"),
        baseline=cfg.get("baseline"),
        replications=cfg.get("replications"),
        seed=cfg.get("seed"),
        years=cfg.get("years"),
        twin_accuracy=cfg.get("twin_accuracy"),
        # on a Dask cluster the replications are batched for its workers; else here
        workers=None if dask_address else 1,
        dask_address=dask_address,
    )
    result = sanitize(comparison.as_dict())
    html, note = _report_html(scn, comparison)
    result["notes"] = [note] if note else []
    return Outcome("completed", result=result, artifacts={"report.html": html} if html else None)


def _whatif(claimed: Claimed, max_time_limit_s: float) -> Outcome:
    """A what-if study (:func:`optimizer.sim.whatif.whatif`, as ``opportune whatif``) and
    its HTML report; an option that cannot be served fails the run with a 422 problem
    naming it."""
    cfg = claimed.config
    scn = _scenario(claimed)
    try:
        res = whatif(
            scn,
            list(cfg["options"]),
            days=cfg.get("days"),
            replications=cfg.get("replications"),
            seed=cfg.get("seed"),
            hold=bool(cfg.get("hold", False)),
            time_limit_s=min(scn.plan.time_limit_s, max_time_limit_s),
            workers=1,
        )
    except OptionError as exc:
        return Outcome(
            "failed",
            problem=problem_body(
                422,
                "invalid-option",
                str(exc)[:2000],
                title="Option cannot be served",
                errors=[{"pointer": "/config/options", "detail": str(exc)[:2000]}],
            ),
        )
    result = sanitize(res.as_dict())
    notes: list[str] = []
    html: str | None = None
    try:
        html = whatif_report(res)
    except Exception:
        ref = uuid.uuid4().hex[:12]
        log.error("report rendering failed %s:\n%s", ref, traceback.format_exc())
        notes.append(f"the HTML report could not be rendered (reference {ref})")
    result["notes"] = notes
    return Outcome("completed", result=result, artifacts={"report.html": html} if html else None)


def _report_html(scn: Scenario, comparison: Comparison) -> tuple[str | None, str | None]:
    """The comparison's HTML report with the scenario's plan, or why there is none.

    Rendered here, in the worker, because it needs the live ``Comparison`` object (the
    stored JSON summary is not enough to rebuild it).  A failure to plan or render costs
    the report only, not the run's results.
    """
    try:
        return compare_report(scn, comparison, plan=plan_scenario(scn)).html, None
    except Exception:
        ref = uuid.uuid4().hex[:12]
        log.error("report rendering failed %s:\n%s", ref, traceback.format_exc())
        return None, f"the HTML report could not be rendered (reference {ref})"
