"""Scheduler backends and the public dispatch :func:`solve`.

Backends share one signature, ``solve_X(problem, *, time_limit_s=None, gap=1e-6,
warm_start=None) -> Plan``:

* ``dp`` -- exact open-period dynamic programme (:mod:`optimizer.solvers.dp`), exact
  when crews cannot bind and every penalty row is unimodal on its cost window;
* ``milp`` -- Pyomo/HiGHS MILP (:mod:`optimizer.solvers.milp`);
* ``cpsat`` -- OR-Tools CP-SAT (:mod:`optimizer.solvers.cpsat`; OR-Tools is imported
  only there);
* ``brute`` -- full enumeration for tiny instances (:mod:`optimizer.solvers.brute`);
* ``auto`` -- the DP when :func:`~optimizer.solvers.dp.dp_is_exact` holds, else the MILP.

The MILP and CP-SAT modules are imported lazily, so importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from optimizer.plan import Plan
from optimizer.problem import PlanningProblem
from optimizer.solvers.dp import dp_is_exact

__all__ = ["METHODS", "dp_is_exact", "solve"]

METHODS: tuple[str, ...] = ("auto", "dp", "milp", "cpsat", "brute")
"""Valid values of ``method`` in :func:`solve`."""

_BACKENDS: dict[str, tuple[str, str]] = {
    "dp": ("optimizer.solvers.dp", "solve_dp"),
    "milp": ("optimizer.solvers.milp", "solve_milp"),
    "cpsat": ("optimizer.solvers.cpsat", "solve_cpsat"),
    "brute": ("optimizer.solvers.brute", "solve_brute"),
}


def _backend(name: str) -> Callable[..., Plan]:
    module_name, func_name = _BACKENDS[name]
    fn: Callable[..., Plan] = getattr(importlib.import_module(module_name), func_name)
    return fn


def solve(
    problem: PlanningProblem,
    method: str = "auto",
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-6,
    warm_start: np.ndarray | None = None,
) -> Plan:
    """Solve a grouping instance with the chosen backend.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.
    method : {"auto", "dp", "milp", "cpsat", "brute"}
        Backend; ``auto`` uses the exact DP when :func:`dp_is_exact` holds and the MILP
        otherwise, and records the choice and its reason in ``Plan.log``.
    time_limit_s : float or None
        Wall-clock limit, seconds (``None`` = none); backends that cannot stop early
        ignore it.
    gap : float
        Relative optimality gap at which a backend may stop.
    warm_start : ndarray of int, shape (n,), or None
        A plan (``BEYOND`` = deferred) to start from.

    Returns
    -------
    Plan
        The backend's plan.

    Raises
    ------
    ValueError
        If ``method`` is not one of :data:`METHODS` (or the backend rejects the input).
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}; got {method!r}")
    note: str | None = None
    if method == "auto":
        exact, why = dp_is_exact(problem)
        method = "dp" if exact else "milp"
        note = f"auto: picked {method} because " + (why if exact else f"the DP is not exact: {why}")
    plan = _backend(method)(problem, time_limit_s=time_limit_s, gap=gap, warm_start=warm_start)
    if note is not None:
        plan = replace(plan, log=(note, *plan.log))
    return plan
