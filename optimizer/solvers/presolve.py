"""Exact presolve: drop (component, period) pairs that no optimal plan uses.

A planning problem as built from a scenario (:func:`optimizer.problem.build.build_problem`)
keeps every period in which a job is allowed. Most of them are far too dear to be
chosen; :func:`prune_exact` removes those of which it can PROVE that no optimal plan of
the full problem uses them, so that a model built on the rest has the same optimum and
its lower bound is a lower bound of the full problem.

The argument (for one component ``i`` of unit ``k``; ``h'_i`` its penalty with the
holding cost of its spare part folded in, ``b'_i`` its deferral cost likewise,
``S_k(t)`` the opening cost of its unit). Call ``i`` *movable* when

1. it is not pinned;
2. it uses no spare part, or its part's pool cannot run short: the units on hand at the
   plan start cover every job that could use the pool in the horizon (no order is ever
   needed, so purchasing is exactly the holding cost, linear in the plan and folded into
   ``h'_i`` and ``b'_i``; :func:`~optimizer.solvers.stock.fold_holding`).

Its *targets* are deferral (when ``b'_i`` is finite: deferring never needs a crew or a
part) and every period ``t'`` where it may be done and its unit may open and none of the
crew cells its job would load in ``t'`` can bind (the technician-hours of all work that
could load the cell fit its capacity whatever the plan:
:func:`~optimizer.solvers.common.binding_crew_cells`). With
``B_i = min(b'_i, min over targets t' of h'_i(t') + S_k(t'))``, every pair with
``h'_i(t) > B_i`` is dropped.

Why this is exact: take any plan that does ``i`` at such a ``t``, and move ``i`` to its
best target. The opening at ``t`` costs no more without ``i`` (an opening's cost does not
depend on the jobs in it; it is saved if ``i`` was alone); the target costs at most
``h'_i(t') + S_k(t')`` (less if the unit opens then anyway) or ``b'_i``; crews still fit
(the target's cells cannot bind whatever else is done then); stock still suffices (the
pool cannot run short) or is not touched; life limits, risk caps, windows and the frozen
period are part of "may be done" and "may open". The new plan is feasible and strictly
cheaper (by ``h'_i(t) - B_i > 0``). Moving every such component at once keeps each of
these facts (each move touches one component; several moved into one opening pay it
once), so every optimal plan of the full problem survives the pruning: the pruned and
full problems have the same optimum, the same feasibility, and every lower bound of the
pruned one bounds the full one.

A component that is not pinned but uses a pool that *can* run short (call it
*stock-bound*) has one target: deferral, when ``b_i`` is finite. With ``h_i``, ``b_i``
its own penalty and deferral cost (nothing folded), ``q_i`` its units and ``hold_p`` its
pool's holding cost per unit and period, the pair ``(i, t)`` is dropped when

    h_i(t) > b_i + hold_p q_i (T - t).

Why this is exact: take any plan that does ``i`` at ``t`` and defer ``i``, keeping every
purchase order of the plan. The opening at ``t`` costs no more; crews are only relieved;
the pool's stock at the end of periods ``t .. T - 1`` grows by ``q_i`` and is unchanged
before, so it stays non-negative and the same orders still serve the plan, at
``hold_p q_i (T - t)`` more holding (ordering and expediting unchanged). The cheapest
purchasing of the new plan costs no more than that, so the new plan costs at most
``b_i - h_i(t) + hold_p q_i (T - t) < 0`` more than the old one: it is strictly cheaper.
Deferring several such components at once adds their terms (each only raises stock).
Stock that can run short, crews and the rest of the plan are untouched otherwise, so
again every optimal plan survives.

Components that are neither keep all their periods. This is where the wave-1
pruning (each component bounded by its stand-alone best period, whatever the crews,
spare parts and life limits) went wrong: the wind fleet's main bearing lost every period
after its spare part arrives and was deferred at 79% failure risk.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from optimizer._typing import BoolArray, FloatArray, IntArray
from optimizer.problem.data import NO_PIN, PlanningProblem
from optimizer.problem.plan import BEYOND
from optimizer.solvers.common import binding_crew_cells, eligible_mask
from optimizer.solvers.stock import fold_holding, short_pools

__all__ = ["Pruned", "prune_exact"]

_TOL = 1e-9


@dataclass(frozen=True)
class Pruned:
    """The result of :func:`prune_exact`.

    Parameters
    ----------
    problem : PlanningProblem
        The problem with the provably useless pairs no longer allowed.
    movable : ndarray of bool, shape (n,)
        Components whose periods were pruned (see the module docstring).
    target : ndarray of int, shape (n,)
        Each movable component's best target (a period, or ``BEYOND``; ``BEYOND`` for a
        stock-bound component, see the module docstring); meaningless for the others.
        A plan that uses a dropped pair improves by moving it there.
    pairs_before, pairs_after : int
        Eligible (component, period) pairs before and after.
    """

    problem: PlanningProblem
    movable: BoolArray
    target: IntArray
    pairs_before: int
    pairs_after: int
    stock_bound: BoolArray | None = None
    """Stock-bound components whose dear periods were dropped for deferral (module
    docstring); ``None``: none."""

    @property
    def moved(self) -> BoolArray:
        """Components whose dropped pairs :meth:`repair` moves to their target."""
        if self.stock_bound is None:
            return self.movable
        out: BoolArray = self.movable | self.stock_bound
        return out

    def repair(self, period: IntArray) -> IntArray:
        """A plan (e.g. a warm start) with every dropped pair moved to its target.

        The result costs no more than ``period`` (module docstring) and uses only pairs
        the pruned problem allows, where ``period`` used only allowed pairs of the full
        problem.
        """
        out = np.array(period, dtype=np.int64, copy=True)
        n_t = self.problem.n_periods
        inside = (out >= 0) & (out < n_t)
        rows = np.flatnonzero(inside)
        bad = rows[~self.problem.allowed[rows, out[rows]] & self.moved[rows]]
        out[bad] = self.target[bad]
        return out

    @property
    def log(self) -> str:
        """One line for ``Plan.log``."""
        return (
            f"presolve: {self.pairs_before - self.pairs_after} of {self.pairs_before} "
            f"(component, period) pairs proven unused by any optimal plan "
            f"({int(self.movable.sum())} of {self.movable.size} components movable"
            + (
                f", {int(self.stock_bound.sum())} stock-bound"
                if self.stock_bound is not None
                else ""
            )
            + ")"
        )


def _blocked_starts(problem: PlanningProblem) -> BoolArray:
    """``(n, T)``: starting ``i`` in ``t`` loads a crew cell that could bind."""
    n, n_t = problem.n_components, problem.n_periods
    binding = np.zeros((len(problem.skill_ids), n_t), dtype=bool)
    for s, t, _ in binding_crew_cells(problem):
        binding[s, t] = True
    cells = binding[problem.skill_of].astype(np.int64)  # (n, T)
    csum = np.concatenate([np.zeros((n, 1), dtype=np.int64), np.cumsum(cells, axis=1)], axis=1)
    end = np.minimum(np.arange(n_t)[None, :] + problem.span_periods[:, None], n_t)
    out: BoolArray = (np.take_along_axis(csum, end, axis=1) - csum[:, :-1]) > 0
    return out


def prune_exact(problem: PlanningProblem) -> Pruned:
    """Drop the pairs no optimal plan of ``problem`` uses (proof in the module docstring).

    Parameters
    ----------
    problem : PlanningProblem
        The full problem.

    Returns
    -------
    Pruned
        The pruned problem (same optimum, same feasibility) and what was pruned.
    """
    elig = eligible_mask(problem)
    before = int(elig.sum())
    n = problem.n_components
    if n == 0 or problem.n_periods == 0:
        none = np.zeros(n, dtype=bool)
        return Pruned(problem, none, np.full(n, BEYOND, dtype=np.int64), before, before)
    free = problem.pinned_period == NO_PIN
    movable = free.copy()
    uses_short = np.zeros(n, dtype=bool)
    if problem.parts is not None:
        parts = problem.parts
        uses_short = (parts.part_of >= 0) & short_pools(problem)[np.maximum(parts.part_of, 0)]
        movable &= ~uses_short
    folded, _, _ = fold_holding(problem)  # exact for every pool that cannot run short
    pen: FloatArray = folded.penalty
    beyond: FloatArray = folded.penalty_beyond
    k = problem.system_of
    targets = elig & ~_blocked_starts(problem)
    solo = np.where(targets, pen + problem.opening_cost[k], np.inf)
    best = solo.min(axis=1)
    bound = np.minimum(beyond, best)
    movable &= np.isfinite(bound)
    target = np.where(beyond <= best, BEYOND, solo.argmin(axis=1)).astype(np.int64)
    tol = _TOL * (1.0 + np.abs(np.where(movable, bound, 0.0)))
    drop = movable[:, None] & (pen > bound[:, None] + tol[:, None])
    stock_bound = None
    if uses_short.any():
        stock_bound, defer_drop = _stock_bound_drops(problem, free & uses_short)
        drop |= defer_drop
        target[stock_bound] = BEYOND
    allowed = problem.allowed & ~drop
    after = int((elig & ~drop).sum())
    return Pruned(replace(problem, allowed=allowed), movable, target, before, after, stock_bound)


def _stock_bound_drops(problem: PlanningProblem, cand: BoolArray) -> tuple[BoolArray, BoolArray]:
    """Stock-bound components and their pairs dearer than deferral (module docstring).

    Parameters
    ----------
    cand : ndarray of bool, shape (n,)
        Unpinned components whose pool can run short.

    Returns
    -------
    (stock_bound, drop)
        ``stock_bound`` (n,): candidates that may be deferred; ``drop`` (n, T): pairs
        with ``h_i(t) > b_i + hold_p q_i (T - t)``.
    """
    parts = problem.parts
    assert parts is not None
    n_t = problem.n_periods
    beyond = problem.penalty_beyond
    stock_bound: BoolArray = cand & np.isfinite(beyond)
    hold = parts.holding_per_unit_period(problem.period_h)
    unit = np.where(stock_bound, hold[np.maximum(parts.part_of, 0)] * parts.qty, 0.0)
    left = n_t - np.arange(n_t, dtype=np.float64)  # periods t .. T - 1 held longer
    bound = np.where(stock_bound, beyond, 0.0)[:, None] + unit[:, None] * left[None, :]
    tol = _TOL * (1.0 + np.abs(bound))
    drop: BoolArray = stock_bound[:, None] & (problem.penalty > bound + tol)
    return stock_bound, drop
