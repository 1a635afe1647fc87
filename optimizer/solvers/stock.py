"""Spare-part stock as the solvers see it: can it run short, and its holding cost
folded into the penalties.

Backends that do not model stock (the DP, CP-SAT, brute force) and the decomposition
solve an instance without stock rows; :func:`fold_holding` prices the holding cost
that is linear in the plan into its penalties, exactly when stock cannot run short
(:func:`stock_can_bind`) and as a valid under-estimate otherwise.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from optimizer._typing import BoolArray
from optimizer.problem.data import PlanningProblem

__all__ = ["fold_holding", "short_pools", "stock_can_bind"]


def short_pools(problem: PlanningProblem) -> BoolArray:
    """Per spare-part pool: could it run short, whatever the plan? Shape ``(n_parts,)``.

    It cannot when it holds at the plan start at least the units that all the work
    eligible in the horizon could consume; then it adds only holding cost.
    """
    parts = problem.parts
    if parts is None:
        return np.zeros(0, dtype=bool)
    eligible = (problem.allowed & problem.open_allowed[problem.system_of]).any(axis=1)
    use = (parts.part_of >= 0) & eligible
    demand = np.zeros(len(parts.part_ids))
    np.add.at(demand, parts.part_of[use], parts.qty[use])
    out: BoolArray = demand > parts.on_hand + 1e-9
    return out


def stock_can_bind(problem: PlanningProblem) -> bool:
    """Whether spare-part stock could ever run short, whatever the plan (any pool of
    :func:`short_pools`)."""
    return bool(short_pools(problem).any())


def fold_holding(problem: PlanningProblem) -> tuple[PlanningProblem, float, bool]:
    """Instance without stock rows whose optimum plus a constant bounds the true one.

    Its penalties carry the holding cost that is linear in the plan.

    With ``E_p(t)`` the units of pool ``p`` on hand or already ordered by the end of
    period ``t`` and ``U_p(t)`` the units the plan uses by then, the stock held is
    ``I_p(t) >= max(0, E_p(t) - U_p(t))`` (new orders only add), so for any
    ``alpha[p, t]`` in ``[0, 1]``

        purchasing(plan) >= sum_{p,t} hold_p alpha[p, t] (E_p(t) - U_p(t))

    (ordering and expediting cost >= 0).  The right-hand side is linear in the plan: a
    use of ``q`` units in period ``tau`` adds ``-q hold_p A_p(tau)`` with
    ``A_p(tau) = sum_{t >= tau} alpha[p, t]``.  Shifted by ``q hold_p A_p(0)`` per
    component (the same on all its options), it becomes a non-negative extra penalty
    ``q hold_p (A_p(0) - A_p(tau))`` and deferral ``q hold_p A_p(0)``, plus a constant.
    ``alpha[p, t] = 1`` where ``E_p(t)`` covers all the work that could use the pool by
    ``t`` (then ``E - U >= 0`` for every plan and the term is exact), else 0.  Dropping
    the stock rows relaxes further.  So the returned instance's optimum plus the
    constant is a lower bound of the original optimum.

    When stock cannot run short (:func:`stock_can_bind` is false), ``alpha = 1``
    everywhere: no order is ever needed, the stock held is exactly
    ``I_p(t) = E_p(t) - U_p(t)``, a unit used in period ``tau`` saves
    ``hold_p (T - tau)``, the extra penalty is ``qty_i hold_p tau`` and the deferral
    ``qty_i hold_p T``, and ``purchasing(plan) = extra(plan) + constant`` for every
    plan: the folded instance is then exact.

    Returns
    -------
    (instance, constant, exact)
        ``exact``: stock cannot run short, so every plan costs the same in both.
    """
    if not problem.has_parts or problem.parts is None:
        return replace(problem, parts=None), 0.0, True
    parts = problem.parts
    n_t = problem.n_periods
    hold = parts.holding_per_unit_period(problem.period_h)
    level = parts.on_hand[:, None] + np.cumsum(parts.arrivals, axis=1)
    # most units each pool could have to supply by the end of period t
    elig = problem.allowed & problem.open_allowed[problem.system_of]
    first = np.where(elig.any(axis=1), elig.argmax(axis=1), n_t)
    use = (parts.part_of >= 0) & (first < n_t)
    demand = np.zeros((parts.n_parts, n_t + 1))
    np.add.at(demand, (parts.part_of[use], first[use]), parts.qty[use].astype(np.float64))
    most = np.cumsum(demand[:, :n_t], axis=1)
    alpha = (level >= most - 1e-9).astype(np.float64)
    tail = np.cumsum(alpha[:, ::-1], axis=1)[:, ::-1]  # A_p(tau)
    on = parts.part_of >= 0
    p_of = np.maximum(parts.part_of, 0)
    unit = np.where(on, hold[p_of] * parts.qty, 0.0)
    extra = unit[:, None] * (tail[p_of, :1] - tail[p_of])
    extra_beyond = unit * tail[p_of, 0]
    constant = float((hold[:, None] * alpha * level).sum()) - float(extra_beyond.sum())
    folded = replace(
        problem,
        parts=None,
        penalty=problem.penalty + extra,
        penalty_beyond=problem.penalty_beyond + extra_beyond,
    )
    return folded, constant, not stock_can_bind(problem)
