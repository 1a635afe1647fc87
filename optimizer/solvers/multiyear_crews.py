"""Opening knapsacks: a stronger Lagrangian bound for multi-year plans with crews.

:func:`optimizer.solvers.multiyear.solve_multiyear` relaxes the opening rows ``x_it <=
y_kt`` with multipliers ``lambda_it >= 0`` and the crew rows with ``mu_sc >= 0``.  Its
opening term ``min(0, S_kt - sum_{i in k} lambda_it)`` lets one opening collect the
multipliers of *all* its positions, however many technician-hours their jobs need: with
crews that bind, the bound is then little more than the LP bound of the crew rows.

Here the opening side keeps a copy ``x'`` of the replacements (``lambda (x - x')``
relaxed instead of ``lambda (x - y)``) with the rows every feasible plan satisfies:
``x'_it <= y_kt`` and, per skill pool ``s`` with finite hours,

    sum_{i in k, s_i = s} load_i x'_it <= C_st

(the jobs *started* in ``t`` by system ``k`` alone load cell ``(s, t)`` with at most what
all jobs covering it load, so a plan within the crews satisfies it).  The opening term
becomes

    min(0, S_kt - sum_{i in k, uncapacitated} lambda_it - sum_s KS_kts(lambda)),

``KS_kts`` the 0/1 knapsack ``max sum lambda_it x'_i`` over the positions of system
``k`` with skill ``s`` within ``C_st``, solved exactly by the dynamic programme of the
single-horizon decomposition (:func:`optimizer.solvers.lagrange.knapsacks`) on the
capacity unit of :func:`optimizer.solvers.repair.capacity_unit` (exact when the loads
are multiples of it; otherwise weights are rounded down, which only relaxes).  The
capacity is floored with the checker's slack :data:`~optimizer.solvers.repair.CAP_SLACK_H`
(a plan may exceed a crew by it), so every feasible plan's ``x`` is feasible for the
knapsacks.

*Validity.*  For a plan ``(x, y)`` within the crews, ``x' = x`` satisfies the rows above,
so ``cost(x, y) >= [paths priced by lambda + mu load] + sum_kt (S_kt y_kt - sum_i
lambda_it x_it) - sum mu C`` and the opening part is at least the knapsack term: the
Lagrangian stays a lower bound.  It is never below the plain one (the knapsack value is
at most the sum of the multipliers).  The subgradient of ``lambda_it`` is ``x_it -
x'_it`` (``x'`` = the knapsack's picks in the opened periods).  The same strengthening
is the single-horizon decomposition's knapsack per opening (Fisher 1981, [1] of
:mod:`optimizer.solvers.multiyear`; Guignard and Kim, "Lagrangean decomposition",
*Mathematical Programming* 39, 1987, 215-228, for the copy ``x'``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer._typing import BoolArray, FloatArray, IntArray
from optimizer.problem.multiyear import MultiYearProblem
from optimizer.solvers.lagrange import knapsacks
from optimizer.solvers.repair import CAP_SLACK_H, capacity_unit

__all__ = ["OpeningKnapsacks", "opening_knapsacks", "opening_terms_knapsack"]


@dataclass(frozen=True)
class OpeningKnapsacks:
    """Items and groups of the opening knapsacks (fixed over the iterations).

    ``item_i``, ``item_t``: the capacitated ``(position, period)`` cells (skill with
    finite hours in ``t``); ``grp``: their group ``(k, t, s)``, ``0 .. n_g - 1``;
    ``w``: weights and ``g_cap``: capacities in capacity units; ``g_k``, ``g_t``: the
    opening of each group; ``unit_h``: the capacity unit, technician-hours.
    """

    item_i: IntArray
    item_t: IntArray
    grp: IntArray
    w: IntArray
    g_cap: IntArray
    g_k: IntArray
    g_t: IntArray
    n_g: int
    unit_h: float


def opening_knapsacks(mp: MultiYearProblem, usable: BoolArray) -> OpeningKnapsacks:
    """The knapsack groups of ``mp``: one per system, period and capacitated skill.

    Parameters
    ----------
    mp : MultiYearProblem
    usable : ndarray of bool, shape (n, T)
        Cells where a replacement may happen (``lambda`` is kept at 0 elsewhere).
    """
    pb = mp.base
    n_t = pb.n_periods
    n_s = max(len(pb.skill_ids), 1)
    cap = pb.crew_hours
    load = pb.load_per_period_h
    ii, tt = np.nonzero(usable & np.isfinite(cap[pb.skill_of]) & (load > 0)[:, None])
    unit = capacity_unit(load, cap)
    s_of = pb.skill_of[ii]
    key = (pb.system_of[ii] * n_t + tt) * n_s + s_of
    ug, grp = np.unique(key, return_inverse=True)
    g_kt, g_s = np.divmod(ug, n_s)
    g_k, g_t = np.divmod(g_kt, n_t)
    g_cap = np.floor(np.maximum(cap[g_s, g_t] + CAP_SLACK_H, 0.0) / unit + 1e-9).astype(np.int64)
    # exact multiples round to themselves (loads are sums of floats), others round down
    w = np.floor(load[ii] / unit + 1e-9).astype(np.int64)
    return OpeningKnapsacks(
        item_i=ii,
        item_t=tt,
        grp=grp.astype(np.int64),
        w=w,
        g_cap=g_cap,
        g_k=g_k.astype(np.int64),
        g_t=g_t.astype(np.int64),
        n_g=len(ug),
        unit_h=unit,
    )


def opening_terms_knapsack(
    mp: MultiYearProblem, kn: OpeningKnapsacks, lam: FloatArray, s_cost: FloatArray
) -> tuple[FloatArray, BoolArray]:
    """Reduced opening costs and the copy ``x'`` at multipliers ``lam``.

    Parameters
    ----------
    mp : MultiYearProblem
    kn : OpeningKnapsacks
        From :func:`opening_knapsacks`.
    lam : ndarray of float, shape (n, T)
        Opening multipliers ``lambda_it >= 0``, currency.
    s_cost : ndarray of float, shape (K, T)
        Opening costs ``S_kt`` (0 where not allowed), currency.

    Returns
    -------
    (ndarray of float, ndarray of bool)
        ``slack[k, t] = S_kt - (the most multipliers one opening can collect within the
        crews)`` (open where negative) and ``x'`` of shape ``(n, T)``: the cells the
        opened periods collect (every uncapacitated cell of an opened period, the
        knapsack's picks of the capacitated ones).
    """
    pb = mp.base
    n_k, n_t = pb.n_systems, pb.n_periods
    capped = np.zeros(lam.shape, dtype=bool)
    capped[kn.item_i, kn.item_t] = True
    free_lam = np.where(capped, 0.0, lam)
    collect = np.zeros((n_k, n_t))
    np.add.at(collect, pb.system_of, free_lam)
    val, pick = knapsacks(-lam[kn.item_i, kn.item_t], kn.grp, kn.w, kn.g_cap, kn.n_g)
    np.add.at(collect, (kn.g_k, kn.g_t), -val)
    slack: FloatArray = s_cost - collect
    opened = (slack < 0.0) & pb.open_allowed
    xp = ~capped & opened[pb.system_of]
    sel = pick & opened[pb.system_of[kn.item_i], kn.item_t]
    xp[kn.item_i[sel], kn.item_t[sel]] = True
    return slack, xp
