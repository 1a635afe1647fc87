"""Validation of solver arguments, shared by every scheduler backend."""

from __future__ import annotations

import numpy as np

from optimizer._typing import IntArray
from optimizer.problem.data import PIN_BEYOND, PlanningProblem
from optimizer.problem.plan import BEYOND


def check_inputs(
    problem: PlanningProblem,
    time_limit_s: float | None,
    gap: float,
    warm_start: np.ndarray | None,
    *,
    nonnegative_opening: bool = False,
) -> IntArray | None:
    """Validate solver arguments and the numeric content of ``problem``.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.
    time_limit_s : float or None
        Solver time limit, seconds; ``None`` for none.
    gap : float
        Relative optimality gap at which the solver may stop, >= 0.
    warm_start : ndarray of int, shape (n,), or None
        A plan's ``period`` array (``BEYOND`` = deferred) to start from.
    nonnegative_opening : bool
        Also require ``opening_cost >= 0`` wherever a system may open (the DP's
        exactness argument needs it).

    Returns
    -------
    ndarray of int or None
        ``warm_start`` as an int64 array.

    Raises
    ------
    ValueError
        On NaN costs, negative durations, pins out of range, a non-positive time limit,
        a negative gap or a warm start of the wrong shape or range.
    """
    if time_limit_s is not None and not (time_limit_s > 0 and np.isfinite(time_limit_s)):
        raise ValueError(f"time_limit_s: must be a positive finite number, got {time_limit_s}")
    if not (gap >= 0 and np.isfinite(gap)):
        raise ValueError(f"gap: must be a finite number >= 0, got {gap}")
    for name in ("penalty", "penalty_beyond", "opening_cost", "crew_hours", "duration_h"):
        arr = getattr(problem, name)
        if np.isnan(arr).any():
            raise ValueError(f"problem.{name}: contains NaN")
    if (problem.duration_h < 0).any() or not np.isfinite(problem.duration_h).all():
        raise ValueError("problem.duration_h: must be finite and >= 0")
    if (problem.crew_qty < 0).any():
        raise ValueError("problem.crew_qty: must be >= 0")
    if (problem.crew_hours < 0).any():
        raise ValueError("problem.crew_hours: must be >= 0 (use inf for uncapacitated)")
    if (problem.penalty == -np.inf).any() or (problem.opening_cost == -np.inf).any():
        raise ValueError("problem.penalty / opening_cost: -inf is not a cost")
    if (problem.penalty_beyond == -np.inf).any():
        raise ValueError("problem.penalty_beyond: -inf is not a cost")
    if nonnegative_opening:
        usable = problem.open_allowed & np.isfinite(problem.opening_cost)
        if (problem.opening_cost[usable] < 0).any():
            k, t = np.argwhere(usable & (problem.opening_cost < 0))[0]
            raise ValueError(
                f"problem.opening_cost: must be >= 0 where the system may open; system"
                f" {problem.system_ids[k]} has {problem.opening_cost[k, t]} in period {t}"
            )
    pin = problem.pinned_period
    bad = (pin < PIN_BEYOND) | (pin >= problem.n_periods)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"problem.pinned_period: component {problem.component_ids[i]} has pin {pin[i]},"
            f" expected -2, -1 or a period in [0, {problem.n_periods})"
        )
    if warm_start is None:
        return None
    ws = np.asarray(warm_start)
    if ws.shape != (problem.n_components,):
        raise ValueError(f"warm_start: expected shape ({problem.n_components},), got {ws.shape}")
    if not np.issubdtype(ws.dtype, np.integer):
        raise ValueError(f"warm_start: expected integer periods, got dtype {ws.dtype}")
    ws = ws.astype(np.int64)
    if ((ws < BEYOND) | (ws >= problem.n_periods)).any():
        raise ValueError(f"warm_start: periods must be -1 (beyond) or in [0, {problem.n_periods})")
    return ws
