"""Grouped maintenance scheduling as a MILP, solved by HiGHS.

The model (assignment, linking, crew, strengthening and clique rows, spare-part stock)
is written out in :mod:`optimizer.solvers.model`, which builds it as a numpy CSR
matrix; :mod:`optimizer.solvers.milp_pyomo` builds the same model with Pyomo.
``solve_milp(..., backend="direct")`` is the default because building the Pyomo model
costs a Python object per variable and constraint term (``benchmarks/bench_milp.py``,
365 daily periods: building and loading into HiGHS takes 0.06 s direct vs 3.8 s Pyomo
at 1,000 components with a 60-day eligibility window, and 0.5 s vs 18 s with every
period eligible -- 35-66x).  On crew-capacitated models the full solve starts from the
plan of the LP-guided heuristic (:mod:`optimizer.solvers.lp_heuristic`).  HiGHS runs
under a hard wall-clock limit (:mod:`optimizer.solvers.highs`).

References
----------
.. [1] R. E. Wildeman, R. Dekker, A. C. J. M. Smit, "A dynamic policy for grouping
   maintenance activities", European Journal of Operational Research 99 (1997).
.. [2] Q. Huangfu, J. A. J. Hall, "Parallelizing the dual revised simplex method",
   Mathematical Programming Computation 10 (2018) -- HiGHS.
"""

from __future__ import annotations

import time
from typing import Literal

import highspy
import numpy as np

from optimizer._typing import FloatArray, IntArray
from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import Plan, Status, violations
from optimizer.solvers.common import (
    check_inputs,
    pinned_diagnosis,
    plan_from_period,
    presolved_plan,
)
from optimizer.solvers.highs import ABANDON_GRACE_S, plan_from_highs, run_highs
from optimizer.solvers.incumbent import IncumbentCallback, IncumbentFeed
from optimizer.solvers.lp_heuristic import opening_heuristic
from optimizer.solvers.model import DirectModel, build_direct_model, stock_columns

__all__ = [
    "HEURISTIC",
    "Backend",
    "root_lp_bound",
    "solve_milp",
    "solve_milp_direct",
]

Backend = Literal["pyomo", "direct"]

HEURISTIC = True
"""Run the LP-guided start heuristic before the full solve on crew-capacitated models
(:func:`_heuristic_start`; tests switch it off to compare)."""


def root_lp_bound(problem: PlanningProblem, *, strengthen: bool = True) -> float:
    """Optimal value of the LP relaxation of the grouping MILP (HiGHS simplex).

    Used to measure what the crew/opening strengthening rows buy: the root gap is
    ``(z_MILP - z_LP) / z_MILP``.
    """
    if pinned_diagnosis(problem):
        return float("inf")
    model = build_direct_model(problem, strengthen=strengthen)
    return run_highs(model, time_limit_s=None, gap=0.0, warm_col=None, relax=True).dual_bound


def solve_milp_direct(
    problem: PlanningProblem,
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-6,
    warm_start: np.ndarray | None = None,
    strengthen: bool = True,
    on_incumbent: IncumbentCallback | None = None,
) -> Plan:
    """Solve the grouping MILP with HiGHS on a numpy-built sparse model.

    Parameters and return as :func:`solve_milp` (``backend="direct"``).
    """
    t0 = time.perf_counter()
    ws = check_inputs(problem, time_limit_s, gap, warm_start)
    # the limit is wall clock from here: model build, start heuristic and full solve
    deadline = None if time_limit_s is None else t0 + time_limit_s
    done = presolved_plan(problem, method="milp", t0=t0, log=("backend=direct",))
    if done is not None:
        return done
    model = build_direct_model(problem, strengthen=strengthen)
    build_s = time.perf_counter() - t0
    warm_col = model.columns_from_period(ws) if ws is not None else None
    if warm_col is not None and ws is not None and model.parts_cols is not None:
        warm_col[model.parts_cols[0] :] = stock_columns(problem, model, ws)
    feed = IncumbentFeed(on_incumbent)

    def offer(period: IntArray, bound: float, note: str) -> None:
        feed.offer(
            plan_from_period(
                problem,
                period,
                status=Status.FEASIBLE,
                lower_bound=bound if np.isfinite(bound) else -np.inf,
                method="milp",
                runtime_s=time.perf_counter() - t0,
                log=(note,),
            )
        )

    def improving(col: FloatArray, bound: float) -> None:
        period = model.period_from_columns(col, problem.n_components)
        if not violations(problem, period):
            offer(period, bound, "incumbent")

    warm_col, ws, lp_bound, heur_log = _heuristic_start(
        problem, model, ws, warm_col, time_limit_s, gap, deadline
    )
    fam = ", ".join(f"{k} {v}" for k, v in model.n_rows_by_family.items())
    if heur_log and warm_col is not None and ws is not None and not violations(problem, ws):
        if feed.active:
            # the start heuristic's plan is the first incumbent (the full MILP may not run)
            offer(ws, lp_bound, "incumbent (start heuristic)")
        start_cost = float(model.cost @ warm_col)
        if start_cost - lp_bound <= gap * max(abs(start_cost), 1e-9):
            # the LP bound already proves the starting plan within the requested gap
            log = (
                f"backend=direct (numpy CSR -> highspy), build {build_s:.3f} s",
                f"columns: x {model.index.n_x}, y {model.index.n_y},"
                f" z {problem.n_components}; rows: {fam}",
                *heur_log,
                "within the gap of the LP bound: full MILP not run",
            )
            return plan_from_highs(
                problem,
                highspy.HighsModelStatus.kOptimal,
                None,
                lp_bound,
                model,
                ws,
                t0,
                log,
                period=ws,
                deadline=deadline,
            )
    res = run_highs(
        model,
        time_limit_s=None,
        gap=gap,
        warm_col=warm_col,
        relax=False,
        on_solution=improving if feed.active else None,
        deadline=deadline,
    )
    log = (
        f"backend=direct (numpy CSR -> highspy), build {build_s:.3f} s, solve {res.solve_s:.3f} s",
        f"columns: x {model.index.n_x}, y {model.index.n_y}, z {problem.n_components}; rows: {fam}",
        *heur_log,
        f"HiGHS status {res.status}",
    )
    if res.abandoned:
        log = (*log, f"HiGHS still busy {ABANDON_GRACE_S} s after the deadline: abandoned")
    return plan_from_highs(
        problem,
        res.status,
        res.col_value,
        max(res.dual_bound, lp_bound),
        model,
        ws,
        t0,
        log,
        deadline=deadline,
    )


def _heuristic_start(
    problem: PlanningProblem,
    model: DirectModel,
    ws: IntArray | None,
    warm_col: FloatArray | None,
    time_limit_s: float | None,
    gap: float,
    deadline: float | None = None,
) -> tuple[FloatArray | None, IntArray | None, float, tuple[str, ...]]:
    """Starting incumbent for the full solve: the better of ``ws`` and the LP heuristic.

    The LP-guided heuristic (:mod:`optimizer.solvers.lp_heuristic`) runs only when crew
    rows couple the components (there HiGHS finds good plans late; without crews the
    model is solved quickly as it is).  It never removes anything from the full model,
    so the optimum is unchanged; its LP value is a valid lower bound.

    Returns
    -------
    (warm_col, warm_period, lp_bound, log)
        The incumbent to pass to HiGHS (column vector and assignment), the LP bound
        (``-inf`` if not computed) and log lines.
    """
    if not model.n_rows_by_family.get("crew", 0) or not HEURISTIC:
        return warm_col, ws, -np.inf, ()
    heur = opening_heuristic(problem, model, time_limit_s=time_limit_s, gap=gap, deadline=deadline)
    if heur.col_value is None:
        return warm_col, ws, heur.lp_bound, (heur.log,)
    if warm_col is not None and ws is not None and not violations(problem, ws):
        if float(model.cost @ warm_col) <= heur.objective:
            return warm_col, ws, heur.lp_bound, (heur.log, "kept the given warm start (cheaper)")
    period = model.period_from_columns(heur.col_value, problem.n_components)
    return heur.col_value, period, heur.lp_bound, (heur.log,)


def solve_milp(
    problem: PlanningProblem,
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-6,
    warm_start: np.ndarray | None = None,
    backend: Backend = "direct",
    strengthen: bool = True,
    on_incumbent: IncumbentCallback | None = None,
) -> Plan:
    """Solve the grouped maintenance MILP with HiGHS.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.
    time_limit_s : float or None
        Wall-clock limit from the start of the call, seconds: it covers the model
        build, the start heuristic and the full solve.  With ``backend="direct"`` it is
        hard (a HiGHS run still busy :data:`~optimizer.solvers.highs.ABANDON_GRACE_S`
        after it is abandoned and the best plan known is returned); with
        ``backend="pyomo"`` HiGHS gets what is left after the build and may overrun it
        in setup phases that do not check it.
    gap : float
        Relative MIP gap at which HiGHS stops (``mip_rel_gap``).
    warm_start : ndarray of int, shape (n,), or None
        A plan's ``period`` array; passed to HiGHS as a starting incumbent (ignored by
        HiGHS if infeasible) and returned at a time limit if no better plan was found.
    backend : {"direct", "pyomo"}
        ``"direct"`` (default, faster to build: numpy CSR -> highspy) or ``"pyomo"``
        (Pyomo model -> APPSI HiGHS).  Same model, same optimum.
    strengthen : bool
        Add the crew/opening strengthening and clique rows (tighter LP bound).
    on_incumbent : callable or None
        Called with each improved feasible plan HiGHS finds (status ``feasible``, its
        exact objective and the bound at that moment); ``backend="direct"`` only.

    Returns
    -------
    Plan
        ``OPTIMAL``; ``TIME_LIMIT`` with the incumbent (or the warm start / deferral
        plan when HiGHS had none), its exact cost and the solver bound; or
        ``INFEASIBLE`` with a plain-language ``diagnosis``.  ``objective`` is always
        recomputed with :func:`optimizer.problem.plan.evaluate`.

    Raises
    ------
    ValueError
        On invalid arguments (see :func:`check_inputs`) or an unknown ``backend``.
    """
    if backend == "direct":
        return solve_milp_direct(
            problem,
            time_limit_s=time_limit_s,
            gap=gap,
            warm_start=warm_start,
            strengthen=strengthen,
            on_incumbent=on_incumbent,
        )
    if backend == "pyomo":
        # lazy: Pyomo takes about a second to import and only this backend needs it
        from optimizer.solvers.milp_pyomo import solve_milp_pyomo

        return solve_milp_pyomo(
            problem,
            time_limit_s=time_limit_s,
            gap=gap,
            warm_start=warm_start,
            strengthen=strengthen,
        )
    raise ValueError(f"backend: expected 'direct' or 'pyomo', got {backend!r}")
