"""HiGHS through ``highspy``: run a :class:`~optimizer.solvers.model.DirectModel` under
a hard wall-clock limit, read its solution and bound, and map its outcome to a
:class:`~optimizer.problem.plan.Plan` (with an infeasibility diagnosis).

Shared by the MILP (:mod:`optimizer.solvers.milp`, both builders), the LP-guided start
heuristic (:mod:`optimizer.solvers.lp_heuristic`), CP-SAT's infeasibility diagnosis and
the decomposition's master and restricted MILPs (:mod:`optimizer.solvers.lagrange`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from optimizer._typing import FloatArray, IntArray
from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import Plan, Status, crew_load_h
from optimizer.solvers.common import (
    fallback_period,
    period_date,
    pinned_diagnosis,
    plan_from_period,
)
from optimizer.solvers.model import DirectModel, build_direct_model

__all__ = [
    "ABANDON_GRACE_S",
    "ENUMERATION_OFF_COLS",
    "ERROR_STATUSES",
    "PRESOLVE_RULE_ENUMERATION",
    "HighsResult",
    "call_bounded",
    "diagnose_infeasibility",
    "highs_lp",
    "is_infeasible",
    "new_highs",
    "plan_from_highs",
    "quiet_highs",
    "run_highs",
    "unfinished_runs",
]

ABANDON_GRACE_S = 0.5
"""Seconds a time-limited HiGHS run may exceed its deadline before it is abandoned.

HiGHS checks its ``time_limit`` (and the interrupt callbacks) only between phases of
work; some phases never check it.  Measured with highspy 1.16 on the 210k-column
``fleet1k`` model (benchmarks/bench_fleet.py) with a 7 s limit: the presolve rule
*Enumeration* ran 33 s past the limit and the MIP setup's objective clique partition
(``HighsObjectiveFunction::setupCliquePartition``) 17 s, and ``kCallbackMipInterrupt``
was first called after both (so an interrupt callback cannot stop them either).  A
time-limited run therefore runs in a worker thread (highspy releases the GIL); if it
has not returned ``ABANDON_GRACE_S`` after the deadline, the caller goes on without
it (no incumbent from that run) and the thread ends by itself at HiGHS's next
time-limit check."""

ENUMERATION_OFF_COLS = 100_000
"""Columns above which the HiGHS presolve rule *Enumeration* is switched off in a
time-limited MILP solve (it ignores the time limit, see :data:`ABANDON_GRACE_S`)."""

PRESOLVE_RULE_ENUMERATION = 1 << 16
"""Bit of the HiGHS option ``presolve_rule_off`` for the Enumeration rule (rule 16)."""


@dataclass(frozen=True)
class HighsResult:
    status: Any  # highspy.HighsModelStatus
    col_value: FloatArray | None
    objective: float
    dual_bound: float
    solve_s: float
    abandoned: bool = False
    """True when the run outlasted its deadline and was left to finish on its own."""


CANCEL_WAIT_S = 0.5
"""Seconds to wait for a HiGHS run to stop after its cancellation was requested."""

_UNFINISHED: list[threading.Thread] = []
"""Runs still busy after cancellation (a HiGHS phase that checks no interrupt)."""


def unfinished_runs() -> int:
    """Number of HiGHS runs still busy after their deadline and cancellation.

    A process about to exit with such runs would wait for them (their threads are not
    daemons); the command line instead ends at once with ``os._exit`` after flushing
    its output (see :func:`optimizer.cli.main`).
    """
    _UNFINISHED[:] = [t for t in _UNFINISHED if t.is_alive()]
    return len(_UNFINISHED)


def call_bounded(
    fn: Callable[[], Any], hard_deadline: float, cancel: Callable[[], None] | None = None
) -> tuple[bool, Any]:
    """Call ``fn()`` in a worker thread and wait for it until ``hard_deadline`` at most.

    Returns ``(True, fn's result)``, or ``(False, None)`` when ``fn`` is still running at
    ``hard_deadline`` (a :func:`time.perf_counter` instant).  Then ``cancel()`` (when
    given) asks it to stop and the thread is joined for up to :data:`CANCEL_WAIT_S`
    more; a thread still busy after that is left to finish, and the caller must not
    touch what ``fn`` uses any more.  The thread is *not* a daemon: the interpreter
    waits for it at exit instead of tearing it down inside HiGHS's C++ frames (which
    aborted the process, exit 134 "terminate called without an active exception").
    HiGHS releases the GIL while it runs, so waiting with a timeout works.  An
    exception raised by ``fn`` is re-raised here.
    """
    out: list[Any] = []
    failed: list[BaseException] = []

    def target() -> None:
        try:
            out.append(fn())
        except BaseException as exc:  # re-raised in the caller's thread
            failed.append(exc)

    worker = threading.Thread(target=target, name="highs-run", daemon=False)
    worker.start()
    worker.join(max(hard_deadline - time.perf_counter(), 0.0))
    if worker.is_alive():
        if cancel is None:
            _UNFINISHED.append(worker)
            return False, None
        cancel()
        worker.join(CANCEL_WAIT_S)
        if worker.is_alive():
            _UNFINISHED.append(worker)
            return False, None
    if failed:
        raise failed[0]
    return True, out[0]


_BANNER_SHOWN = False


def quiet_highs() -> Any:
    """A ``Highs`` object, created with the C-level stdout silenced the first time.

    HiGHS prints its copyright banner to the process's stdout when the first solver
    object is created, before any option can turn output off; that would corrupt
    machine-readable output (``opportune plan --json``), so fd 1 is pointed at
    ``/dev/null`` for that one call.
    """
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()  # type: ignore[no-untyped-call]
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        _BANNER_SHOWN = True
    return h


def new_highs() -> Any:
    """A silent, single-threaded ``Highs`` object with a fixed random seed (reproducible)."""
    h = quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    return h


def highs_lp(model: DirectModel, *, relax: bool) -> Any:
    """The ``highspy.HighsLp`` of ``model`` (its integer columns kept unless ``relax``)."""
    a = model.matrix
    lp = highspy.HighsLp()
    lp.num_col_ = a.shape[1]
    lp.num_row_ = a.shape[0]
    lp.col_cost_ = model.cost
    lp.col_lower_ = model.col_lb
    lp.col_upper_ = model.col_ub
    lp.row_lower_ = model.row_lb
    lp.row_upper_ = model.row_ub
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    n_int = model.index.n_x + model.index.n_y + len(model.index.z_lb)
    if not relax:
        if model.integer is not None:
            kinds = [
                highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous
                for v in model.integer.tolist()
            ]
        else:
            kinds = [highspy.HighsVarType.kInteger] * n_int
            kinds += [highspy.HighsVarType.kContinuous] * (a.shape[1] - n_int)
        lp.integrality_ = kinds
    return lp


def run_highs(
    model: DirectModel,
    *,
    time_limit_s: float | None,
    gap: float,
    warm_col: FloatArray | None,
    relax: bool,
    options: dict[str, int | float] | None = None,
    on_solution: Callable[[FloatArray, float], None] | None = None,
    deadline: float | None = None,
) -> HighsResult:
    """Pass ``model`` to highspy in one call, solve, read solution and bound.

    ``options``: further HiGHS options (e.g. ``mip_max_nodes``) for this solve.
    ``on_solution(col_value, dual_bound)`` is called from HiGHS's improving-solution
    callback with each new incumbent (MIP only).  ``deadline``: a
    :func:`time.perf_counter` instant the run must not outlast; the HiGHS time limit
    is the smaller of ``time_limit_s`` and the time left to it, and a run still busy
    :data:`ABANDON_GRACE_S` after it is abandoned (status ``kTimeLimit``, no solution,
    bound ``-inf``; see :data:`ABANDON_GRACE_S`).
    """
    start = time.perf_counter()
    limit = time_limit_s
    if deadline is not None:
        left = max(deadline - start, 1e-3)
        limit = left if limit is None else min(limit, left)
    h = new_highs()
    if limit is not None:
        h.setOptionValue("time_limit", float(limit))
        if not relax and model.matrix.shape[1] > ENUMERATION_OFF_COLS:
            h.setOptionValue("presolve_rule_off", PRESOLVE_RULE_ENUMERATION)
    h.setOptionValue("mip_rel_gap", float(gap))
    for name, value in (options or {}).items():
        h.setOptionValue(name, value)
    h.passModel(highs_lp(model, relax=relax))
    if warm_col is not None:
        sol = highspy.HighsSolution()
        sol.col_value = warm_col
        sol.value_valid = True
        h.setSolution(sol)
    raised: list[BaseException] = []
    abandoned: list[bool] = []
    if limit is not None:
        # highspy's interrupt callbacks (simplex, IPM, MIP): cancelSolve() stops the run
        # at HiGHS's next check, so a run past its deadline ends instead of being left.
        h.HandleUserInterrupt = True
    if on_solution is not None and not relax:

        def improving(event: Any) -> None:
            # An exception must not unwind through HiGHS's C++ frames: keep it, re-raise.
            # An abandoned run must not report plans after its caller has returned.
            if raised or abandoned:
                event.interrupt()
                return
            try:
                out = event.data_out
                on_solution(np.array(out.mip_solution, dtype=np.float64), out.mip_dual_bound)
            except BaseException as exc:
                raised.append(exc)
                event.interrupt()

        h.cbMipImprovingSolution.subscribe(improving)
    t0 = time.perf_counter()
    if limit is None:
        h.run()
    elif not call_bounded(h.run, start + limit + ABANDON_GRACE_S, h.cancelSolve)[0]:
        abandoned.append(True)
        return HighsResult(
            status=highspy.HighsModelStatus.kTimeLimit,
            col_value=None,
            objective=np.inf,
            dual_bound=-np.inf,
            solve_s=time.perf_counter() - t0,
            abandoned=True,
        )
    if raised:
        raise raised[0]
    solve_s = time.perf_counter() - t0
    status = h.getModelStatus()
    info = h.getInfo()
    has_sol = int(info.primal_solution_status) == int(
        highspy.SolutionStatus.kSolutionStatusFeasible
    )
    col = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_sol else None
    if relax:
        bound = float(info.objective_function_value) if has_sol else -np.inf
    elif status == highspy.HighsModelStatus.kOptimal and has_sol:
        bound = float(info.mip_dual_bound)
    else:
        bound = float(info.mip_dual_bound)
        if not np.isfinite(bound):
            bound = -np.inf
    return HighsResult(
        status=status,
        col_value=col,
        objective=float(info.objective_function_value) if has_sol else np.inf,
        dual_bound=bound,
        solve_s=solve_s,
    )


ERROR_STATUSES = (
    highspy.HighsModelStatus.kLoadError,
    highspy.HighsModelStatus.kModelError,
    highspy.HighsModelStatus.kPresolveError,
    highspy.HighsModelStatus.kSolveError,
    highspy.HighsModelStatus.kPostsolveError,
    highspy.HighsModelStatus.kMemoryLimit,
)


def is_infeasible(status: Any) -> bool:
    """Whether a HiGHS model status says the model has no feasible solution."""
    return bool(
        status == highspy.HighsModelStatus.kInfeasible
        or status == highspy.HighsModelStatus.kUnboundedOrInfeasible
    )


def diagnose_infeasibility(
    problem: PlanningProblem, *, time_limit_s: float | None = None
) -> tuple[str, ...]:
    """Explain why no plan exists, in plain sentences.

    First the checks of :func:`pinned_diagnosis`.  If they find nothing, the remaining
    coupling is the crew capacity shared by work that may not be deferred; an *elastic*
    variant of the MILP (crew rows get a slack column priced 1 per technician-hour,
    every other cost set to zero, no crew-based pruning of pairs) is solved, and every
    skill and period whose slack is positive is reported with the load the least
    overloaded plan puts there.

    Parameters
    ----------
    problem : PlanningProblem
        The infeasible instance.
    time_limit_s : float or None
        Time limit of the elastic solve, seconds.

    Returns
    -------
    tuple of str
    """
    pre = pinned_diagnosis(problem)
    if pre:
        return tuple(pre)
    model = build_direct_model(problem, strengthen=False, crew_filter=False, elastic=True)
    res = run_highs(model, time_limit_s=time_limit_s, gap=1e-9, warm_col=None, relax=False)
    if res.col_value is None:
        return (
            "no plan satisfies the assignment, window and crew constraints together"
            " (the elastic crew relaxation found no plan either)",
        )
    period = model.period_from_columns(res.col_value, problem.n_components)
    load = crew_load_h(problem, period)
    over = load > problem.crew_hours * (1 + 1e-7) + 1e-7
    out = [
        f"skill {problem.skill_ids[s]} needs {load[s, t]:.1f} h in period {t}"
        f" ({period_date(problem, t)}), has {problem.crew_hours[s, t]:.1f} h"
        " (work that may not be deferred)"
        for s, t in np.argwhere(over)
    ]
    return tuple(out) or ("the solver reports the model infeasible; no single cause found",)


def plan_from_highs(
    problem: PlanningProblem,
    status: Any,
    col_value: FloatArray | None,
    bound: float,
    model: DirectModel | None,
    ws: IntArray | None,
    t0: float,
    log: tuple[str, ...],
    period: IntArray | None = None,
    deadline: float | None = None,
) -> Plan:
    """Map a HiGHS outcome of the grouping MILP to a :class:`Plan` (both builders).

    ``deadline`` (a :func:`time.perf_counter` instant or None) bounds the
    infeasibility diagnosis.
    """
    if is_infeasible(status):
        left = None if deadline is None else max(deadline - time.perf_counter(), 0.05)
        diag = diagnose_infeasibility(problem, time_limit_s=left)
        return Plan.infeasible(
            problem, method="milp", diagnosis=diag, runtime_s=time.perf_counter() - t0, log=log
        )
    if status in ERROR_STATUSES:
        raise RuntimeError(f"HiGHS failed on the grouping model: {status}; log: {log}")
    if period is None and col_value is not None and model is not None:
        period = model.period_from_columns(col_value, problem.n_components)
    if status == highspy.HighsModelStatus.kOptimal and period is not None:
        st = Status.OPTIMAL
    else:
        st = Status.TIME_LIMIT
        if period is None:
            period = fallback_period(problem, ws)
            log = (*log, "no incumbent at the limit: returned the warm start / deferral plan")
    return plan_from_period(
        problem,
        period,
        status=st,
        lower_bound=bound,
        method="milp",
        runtime_s=time.perf_counter() - t0,
        log=log,
    )
