"""Greedy repair of a plan to the crew capacities and spare-part stock.

:class:`Room` keeps the technician-hours left per skill and period and the units left
of each part before the earliest delivery of a new order, and answers whether a job
still fits.  :func:`make_stock_feasible` uses it to turn the plan of a backend that
ignores stock (the DP, CP-SAT, brute force) into one that respects crews and stock;
the decomposition (:mod:`optimizer.solvers.lagrange`) builds its greedy plans, local
search and repairs on the same :class:`PairData` and :class:`Room`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer._typing import BoolArray, FloatArray, IntArray
from optimizer.problem.data import NO_PIN, PIN_BEYOND, PlanningProblem
from optimizer.problem.plan import BEYOND, crew_load_h
from optimizer.solvers.common import eligible_pairs

__all__ = ["MAX_UNITS", "PairData", "Room", "make_stock_feasible", "prepare_pairs", "restock"]

MAX_UNITS = 64
CAP_SLACK_H = 1e-6
"""Crew hours a feasible plan may exceed a capacity by (``violations``' default ``tol``)."""
"""Most capacity units per knapsack (finer crews are discretized, rounding weights down)."""


@dataclass(frozen=True)
class PairData:
    """Pairs, groups and coefficients that stay fixed over the iterations."""

    pi: IntArray  # component of each free pair
    pt: IntArray  # period of each free pair
    pk: IntArray  # system of each pair
    ps: IntArray  # skill of each pair (-1: no skill)
    h: FloatArray  # penalty of each pair
    grp: IntArray  # knapsack group (k, t, s) of each pair
    yk: IntArray  # opening (k, t) index of each pair
    w_units: IntArray  # weight in capacity units (0 when the skill is uncapacitated)
    g_cap: IntArray  # capacity units of each group (large when uncapacitated)
    g_y: IntArray  # opening of each group
    y_k: IntArray  # system of each opening
    y_t: IntArray  # period of each opening
    y_cost: FloatArray  # opening cost
    y_forced: BoolArray  # opening forced by pinned work
    free: IntArray  # free components
    b: FloatArray  # deferral cost of every component (inf: must do)
    cap: FloatArray  # (S, T) capacity, 0 where infinite (only finite cells dualized)
    cap_fin: BoolArray  # (S, T) finite capacity
    span: IntArray  # span of each component
    load: FloatArray  # per-period load of each component
    pinned_const: float  # cost of pinned work (penalty + deferral + openings forced)
    pin_load: FloatArray  # (S, T) load of pinned work
    part_first: IntArray  # (P,) earliest delivery period of a new order
    supply: FloatArray  # (P, T) on-hand + ordered units by t
    hold: FloatArray  # (P,) holding per unit and period
    pin_use: FloatArray  # (P, T) units used by pinned work in each period


def capacity_unit(load: FloatArray, cap: FloatArray) -> float:
    """Capacity unit (hours) of the knapsacks: exact when every load is a multiple of it.

    Only the *loads* need to be multiples of the unit ``u``: then every subset's load is
    ``m u`` for an integer ``m``, and ``m u <= C`` holds exactly when
    ``m <= floor(C / u)``, whatever ``C`` (fleet crews: 12.98 h a day, jobs of whole
    hours; requiring ``C`` to be a multiple too, as before, fell back to ``C / 64`` units
    with weights rounded down, which let 13 h of whole-hour jobs into 12.98 h and
    weakened the Lagrangian bound).  The unit is the largest such one on a grid of
    0.05 h (the greatest common divisor of the loads: fewest units for the knapsack's
    dynamic programme), provided the largest finite capacity is at most
    :data:`MAX_UNITS` units.  Otherwise weights are rounded down to the unit
    ``top / MAX_UNITS``, which only relaxes (a valid bound, inexact knapsacks).
    """
    loads = load[load > 0]
    top = float(cap[np.isfinite(cap)].max()) if np.isfinite(cap).any() else 1.0
    if not len(loads):
        return 1.0
    grid = 0.05
    steps = np.round(loads / grid)
    if np.allclose(loads / grid, steps, atol=1e-9, rtol=0.0) and steps.min() >= 1:
        u = float(np.gcd.reduce(steps.astype(np.int64))) * grid
        if top / u <= MAX_UNITS:
            return u
    return max(top / MAX_UNITS, 1e-9)


def prepare_pairs(problem: PlanningProblem) -> PairData:
    n_t, n_s = problem.n_periods, len(problem.skill_ids)
    elig = eligible_pairs(problem, crew_filter=True)
    pin = problem.pinned_period
    free_mask = pin == NO_PIN
    elig[~free_mask] = False
    pi, pt = np.nonzero(elig)
    pi = pi.astype(np.int64)
    pt = pt.astype(np.int64)
    pk = problem.system_of[pi]
    ps = problem.skill_of[pi] if n_s else np.full(len(pi), -1, dtype=np.int64)
    load = problem.load_per_period_h
    span = problem.span_periods
    cap = problem.crew_hours if n_s else np.zeros((0, n_t))
    cap_fin = np.isfinite(cap)
    pinned = np.flatnonzero(pin >= 0)
    pin_period = np.where(pin >= 0, pin, BEYOND)
    pin_load = crew_load_h(problem, pin_period) if n_s else np.zeros((0, n_t))
    unit = capacity_unit(load, cap)
    # capacity per (k, t, s) group: the pool's capacity minus pinned load there
    fin_pair = cap_fin[ps, pt] if n_s else np.zeros(len(pi), dtype=bool)
    # exact multiples round to themselves (loads are sums of floats), others round down
    w_units = np.where(fin_pair, np.floor(load[pi] / unit + 1e-9), 0).astype(np.int64)
    n_k = problem.n_systems
    y_key = pk * n_t + pt
    forced = np.zeros((n_k, n_t), dtype=bool)
    forced[problem.system_of[pinned], pin[pinned]] = True
    fk, ft = np.nonzero(forced)
    all_y = np.unique(np.concatenate([y_key, fk * n_t + ft]))
    yk = np.searchsorted(all_y, y_key)
    y_k, y_t = np.divmod(all_y, n_t)
    y_forced = forced[y_k, y_t]
    g_key = yk * max(n_s, 1) + np.maximum(ps, 0)
    ug, grp = np.unique(g_key, return_inverse=True)
    g_y, g_s = np.divmod(ug, max(n_s, 1))
    if n_s:
        g_t = y_t[g_y]
        g_capf = cap[g_s, g_t]
        # the pinned load of the same system, skill and period occupies the local copy
        same = np.zeros(len(ug))
        if len(pinned):
            pk_key = (
                np.searchsorted(all_y, problem.system_of[pinned] * n_t + pin[pinned]) * max(n_s, 1)
                + problem.skill_of[pinned]
            )
            pos = np.searchsorted(ug, pk_key)
            ok = (pos < len(ug)) & (ug[np.minimum(pos, len(ug) - 1)] == pk_key)
            np.add.at(same, pos[ok], load[pinned[ok]])
        g_cap = np.where(
            np.isfinite(g_capf),
            # a plan may load a crew up to CAP_SLACK_H above its hours (the checker's
            # tolerance, :func:`optimizer.problem.plan.violations`): every such subset
            # keeps fitting, so the knapsack stays a relaxation
            np.floor(np.maximum(g_capf - same + CAP_SLACK_H, 0.0) / unit + 1e-9),
            10**9,
        ).astype(np.int64)
    else:
        g_cap = np.full(len(ug), 10**9, dtype=np.int64)
    pinned_const = float(problem.penalty[pinned, pin[pinned]].sum())
    pinned_const += float(problem.penalty_beyond[pin == PIN_BEYOND].sum())
    pinned_const += float(problem.opening_cost[forced].sum())
    parts = problem.parts
    if problem.has_parts and parts is not None:
        first = np.clip(parts.expedite_periods(problem.period_h), 0, n_t)
        supply = parts.on_hand[:, None] + np.cumsum(parts.arrivals, axis=1)
        hold = parts.holding_per_unit_period(problem.period_h)
        pin_use = np.zeros((parts.n_parts, n_t))
        on = (pin >= 0) & (parts.part_of >= 0)
        np.add.at(pin_use, (parts.part_of[on], pin[on]), parts.qty[on].astype(np.float64))
    else:
        first = np.zeros(0, dtype=np.int64)
        supply = np.zeros((0, n_t))
        hold = np.zeros(0)
        pin_use = np.zeros((0, n_t))
    return PairData(
        pi=pi,
        pt=pt,
        pk=pk,
        ps=ps,
        h=problem.penalty[pi, pt].astype(np.float64),
        grp=grp.astype(np.int64),
        yk=yk.astype(np.int64),
        w_units=w_units,
        g_cap=g_cap,
        g_y=g_y.astype(np.int64),
        y_k=y_k.astype(np.int64),
        y_t=y_t.astype(np.int64),
        # a forced opening's cost is in pinned_const
        y_cost=np.where(y_forced, 0.0, problem.opening_cost[y_k, y_t]).astype(np.float64),
        y_forced=y_forced,
        free=np.flatnonzero(free_mask),
        b=problem.penalty_beyond.astype(np.float64),
        cap=np.where(cap_fin, cap, 0.0),
        cap_fin=cap_fin,
        span=span,
        load=load,
        pinned_const=pinned_const,
        pin_load=pin_load,
        part_first=first,
        supply=supply,
        hold=hold,
        pin_use=pin_use,
    )


class Room:
    """Remaining crew hours and stock before the earliest delivery, with fit tests."""

    def __init__(self, problem: PlanningProblem, d: PairData) -> None:
        self.problem = problem
        self.d = d
        self.cap = np.where(d.cap_fin, d.cap - d.pin_load, np.inf) * (1 + 1e-9) + 1e-9
        self.has_parts = problem.has_parts
        if self.has_parts and problem.parts is not None:
            self.part_of = problem.parts.part_of
            self.qty = problem.parts.qty.astype(np.float64)
            # slack[p, t] = supply - cumulative use, only t < first matters
            self.slack = d.supply - np.cumsum(d.pin_use, axis=1)
            self.first = d.part_first

    def fits(self, i: int, t: int) -> bool:
        d = self.d
        if d.cap.shape[0]:
            s = int(self.problem.skill_of[i])
            end = min(t + int(d.span[i]), self.problem.n_periods)
            if (self.cap[s, t:end] < d.load[i] - 1e-12).any():
                return False
        if self.has_parts:
            p = int(self.part_of[i])
            if p >= 0 and t < self.first[p] and self.qty[i] > 0:
                if (self.slack[p, t : self.first[p]] < self.qty[i] - 1e-9).any():
                    return False
        return True

    def take(self, i: int, t: int, sign: float = 1.0) -> None:
        d = self.d
        if d.cap.shape[0]:
            s = int(self.problem.skill_of[i])
            end = min(t + int(d.span[i]), self.problem.n_periods)
            self.cap[s, t:end] -= sign * d.load[i]
        if self.has_parts:
            p = int(self.part_of[i])
            if p >= 0:
                self.slack[p, t:] -= sign * self.qty[i]


def make_stock_feasible(problem: PlanningProblem, period: IntArray) -> IntArray:
    """A plan that respects crews and stock, as close to ``period`` as a greedy pass gets.

    Jobs are kept in order of their period while every crew period they span and the
    stock before the earliest delivery of a new order have room; the others are
    deferred, or moved to their cheapest feasible period when they may not be deferred.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.
    period : ndarray of int, shape (n,)
        A plan (``-1`` = deferred), e.g. from a backend that ignores stock.

    Returns
    -------
    ndarray of int, shape (n,)
    """
    d = prepare_pairs(problem)
    return restock(
        problem, d, np.asarray(period, dtype=np.int64), eligible_pairs(problem, crew_filter=True)
    )


def restock(problem: PlanningProblem, d: PairData, period: IntArray, elig: BoolArray) -> IntArray:
    """Make a plan stock-feasible: drop jobs that run short, then re-place must-do work."""
    room = Room(problem, d)
    out = np.where(problem.pinned_period >= 0, problem.pinned_period, BEYOND).astype(np.int64)
    order = np.argsort(np.where(period >= 0, period, problem.n_periods), kind="stable")
    for i in order.tolist():
        t = int(period[i])
        if t < 0 or problem.pinned_period[i] != NO_PIN:
            continue
        if room.fits(i, t):
            out[i] = t
            room.take(i, t)
    # re-place the dropped jobs (and must-do work) at their cheapest period that has
    # room, counting the opening where the system is not open yet; most valuable first
    lost = (out == BEYOND) & (problem.pinned_period == NO_PIN)
    was = lost & (period >= 0)
    must = lost & ~np.isfinite(d.b)
    todo = np.flatnonzero(was | must)
    gain = np.where(
        must[todo],
        np.inf,
        d.b[todo] - problem.penalty[todo, np.maximum(period[todo], 0)],
    )
    is_open = np.zeros((problem.n_systems, problem.n_periods), dtype=bool)
    done = np.flatnonzero(out >= 0)
    is_open[problem.system_of[done], out[done]] = True
    for i in todo[np.argsort(-gain, kind="stable")].tolist():
        k = int(problem.system_of[i])
        cost = problem.penalty[i] + np.where(is_open[k], 0.0, problem.opening_cost[k])
        cost = np.where(elig[i], cost, np.inf)
        limit = np.inf if not np.isfinite(d.b[i]) else d.b[i]
        for t in np.argsort(cost, kind="stable").tolist():
            if not cost[t] < limit:
                break
            if room.fits(i, t):
                out[i] = t
                room.take(i, t)
                is_open[k, t] = True
                break
    return out
