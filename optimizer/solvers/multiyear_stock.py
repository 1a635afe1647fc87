"""Spare-part stock in multi-year plans: a repair that respects it, purchasing, infeasibility.

A multi-year plan (:mod:`optimizer.solvers.multiyear`) replaces a position several times;
every replacement takes ``qty_i`` units of its part pool ``p`` in its period, exactly as a
single-horizon job (:class:`~optimizer.problem.data.SpareParts`).  With ``U_p(t)`` the
units the plan uses in periods ``0..t`` and ``E_p(t)`` those on hand or already ordered
by ``t``, the stock constraint is

    U_p(t) <= E_p(t)          for every t < first_p,

``first_p`` the earliest arrival of a new order (expedited when possible): from
``first_p`` on, new orders cover any requirement (at a price), so the rows are
cumulative-resource rows over the lead-time window only.  Purchasing (ordering,
expediting, holding; :func:`optimizer.problem.purchasing.purchase_costs`, the same
Wagner-Whitin orders as single-horizon plans) is added to the plan's objective.

*Plan.*  :func:`fit_stock` repairs a plan that breaks a row: while some pool is short,
each position using it with a job at or before the first short period ``t`` may take
its best path (openings shared with the others free, :func:`shortest_paths`) with its
replacements forbidden in ``[tau, t]`` for one of its jobs ``tau <= t`` (or in ``[0, t]``,
or no replacement at all where deferral is allowed); the move that lowers the total
shortage ``sum_{p, t < first_p} max(0, U_p(t) - E_p(t))`` at the least cost increase is
made (and, with crews that can bind, only a move that does not add crew overload).  The
shortage is an integer that strictly decreases, so the repair ends.

*Bound.*  The stock rows and the purchasing terms (``>= 0``) are left out of the
Lagrangian bound of :func:`~optimizer.solvers.multiyear.solve_multiyear`: a relaxation,
so its bound stays a valid bound of the problem with stock; :func:`purchasing_floor`
(an order per pool that must buy, expediting of the units needed before a regular order
can arrive) is added to it; the status is recomputed from the gap of the plan returned
(with purchasing) to that bound.

*Infeasibility.*  :func:`forced_shortages` proves a request infeasible: the fewest
replacements position ``i`` needs by period ``t`` (its installed part's last allowed
period when it may not be left, then every ``L_i`` periods, the latest allowed
period each time: the greedy latest schedule minimizes every prefix count) summed over
a pool exceeds ``E_p(t)`` for some ``t < first_p``; the diagnosis names the part, the
warehouse and the date.

References
----------
.. [1] H. M. Wagner, T. M. Whitin, "Dynamic version of the economic lot size model",
   Management Science 5 (1958) 89-96 (the purchase orders).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from optimizer._typing import BoolArray, FloatArray
from optimizer.problem.multiyear import MultiYearProblem
from optimizer.problem.plan import BEYOND, Plan, Status
from optimizer.problem.purchasing import PURCHASING_TERMS, purchase_costs, stock_profile
from optimizer.solvers.multiyear import (
    crew_load_multiyear,
    crews_can_bind,
    evaluate_multiyear,
    path_arrays,
    shortest_paths,
    solve_multiyear,
)

__all__ = [
    "add_purchasing",
    "fit_stock",
    "forced_shortages",
    "improve_within_stock",
    "inner_gap",
    "purchasing_floor",
    "solve_multiyear_stock",
    "stock_shortage",
]


def _window(mp: MultiYearProblem) -> tuple[FloatArray, np.ndarray]:
    """Supply ``E_p(t)`` (P, T) and the earliest new arrival ``first_p`` (P,), periods."""
    pb = mp.base
    assert pb.parts is not None
    parts = pb.parts
    supply = parts.on_hand[:, None] + np.cumsum(parts.arrivals, axis=1)
    first = np.minimum(parts.expedite_periods(pb.period_h), pb.n_periods)
    return supply, first


def stock_shortage(mp: MultiYearProblem, x: BoolArray) -> FloatArray:
    """Units short per pool and period (0 from ``first_p`` on), shape ``(P, T)``.

    ``max(0, U_p(t) - E_p(t))`` for ``t < first_p``; all zero when the plan respects the
    stock (or the problem models no parts).
    """
    pb = mp.base
    if not pb.has_parts:
        return np.zeros((0, pb.n_periods))
    used, supply = stock_profile(pb, x)
    _, first = _window(mp)
    short = np.maximum(used - supply, 0.0)
    short[np.arange(pb.n_periods)[None, :] >= first[:, None]] = 0.0
    out: FloatArray = short
    return out


def forced_shortages(mp: MultiYearProblem) -> list[str]:
    """Pools that every plan leaves short (a proof of infeasibility), in plain language.

    Returns
    -------
    list of str
        One sentence per pool, e.g. ``"part PRV-2 (warehouse main): at least 3 units
        needed by 2027-03-01 (life limits of A-PRV, B-PRV), 2 on hand or on order by then,
        the earliest new delivery 2027-03-29"``; empty when no pool is forced short.
    """
    pb = mp.base
    if not pb.has_parts or pb.parts is None:
        return []
    parts = pb.parts
    supply, first = _window(mp)
    n_t = pb.n_periods
    cum, who = _forced_need(mp)
    out: list[str] = []
    for p in range(parts.n_parts):
        lim = int(first[p])
        bad = np.flatnonzero(cum[p, :lim] > supply[p, :lim] + 1e-9)
        if not bad.size:
            continue
        t = int(bad[0])
        names = ", ".join(sorted(set(who.get(p, []))))
        when = pb.local_period_start(lim).date().isoformat() if lim < n_t else "after the horizon"
        out.append(
            f"part {parts.part_ids[p]} (warehouse {parts.warehouse[p]}): at least"
            f" {cum[p, t]:g} unit{'' if cum[p, t] == 1 else 's'} needed by"
            f" {pb.local_period_start(t).date().isoformat()}"
            f" (life limits and deadlines of {names}), {supply[p, t]:g} on hand or on order by"
            f" then; the earliest new delivery is {when}"
        )
    return out


def purchasing_floor(mp: MultiYearProblem) -> float:
    """Least purchasing cost of any plan (a valid addition to a bound), currency.

    With ``N_p(t)`` the fewest units every plan uses by period ``t`` (the forced counts of
    :func:`forced_shortages`) and ``E_p(t)`` those on hand or on order: a pool with
    ``N_p(T - 1) > E_p(T - 1)`` needs at least one new order (``cost_order``), and the
    units ``max_{t < lead_p} (N_p(t) - E_p(t))`` needed before a regular order can arrive
    are expedited (``cost_expedite_premium`` each).  Holding is bounded by 0.  So
    ``purchasing(x) >= floor`` for every feasible plan ``x`` and ``min_x [C(x) + P(x)] >=
    min_x C(x) + floor``.
    """
    pb = mp.base
    if not pb.has_parts or pb.parts is None:
        return 0.0
    parts = pb.parts
    supply, _ = _window(mp)
    cum, _ = _forced_need(mp)
    lead = np.minimum(parts.lead_periods(pb.period_h), pb.n_periods)
    total = 0.0
    for p in range(parts.n_parts):
        if cum[p, -1] > supply[p, -1] + 1e-9:
            total += float(parts.cost_order[p])
        early = cum[p, : int(lead[p])] - supply[p, : int(lead[p])]
        if early.size and early.max() > 1e-9:
            total += float(parts.cost_expedite_premium[p]) * float(early.max())
    return total


def _forced_need(mp: MultiYearProblem) -> tuple[FloatArray, dict[int, list[str]]]:
    """Fewest units each pool's positions use by each period, cumulative ``(P, T)``, and
    the positions that force them (see the module docstring)."""
    pb = mp.base
    assert pb.parts is not None
    parts = pb.parts
    first_arr, interval, _, beyond, node_ok = path_arrays(mp)
    n_t = pb.n_periods
    need = np.zeros((parts.n_parts, n_t))
    who: dict[int, list[str]] = {}
    for i in np.flatnonzero((parts.part_of >= 0) & (parts.qty > 0)).tolist():
        if np.isfinite(beyond[i]):
            continue  # may be left: no replacement is forced
        ok_first = np.flatnonzero(np.isfinite(first_arr[i]))
        if ok_first.size == 0:
            continue  # no plan at all: the path diagnosis explains it
        lens = np.flatnonzero(np.isfinite(interval[i]))
        longest = int(lens.max()) if lens.size else 0
        t = int(ok_first.max())
        p = int(parts.part_of[i])
        while t < n_t:
            need[p, t] += float(parts.qty[i])
            who.setdefault(p, []).append(pb.component_ids[i])
            if longest == 0 or t + longest >= n_t:
                break
            nxt = [u for u in range(t + longest, t, -1) if node_ok[i, u]]
            if not nxt:
                break
            t = nxt[0]
    cum: FloatArray = np.cumsum(need, axis=1)
    return cum, who


_Arrays = tuple[FloatArray, FloatArray, FloatArray, FloatArray, BoolArray]


def _system_cost(mp: MultiYearProblem, x: BoolArray, k: int, arrays: _Arrays) -> float:
    """Cost of system ``k``'s positions (paths + openings), currency."""
    pb = mp.base
    first, _, end, beyond, _ = arrays
    total = 0.0
    rows = np.flatnonzero(pb.system_of == k)
    for i in rows.tolist():
        ts = np.flatnonzero(x[i])
        if ts.size == 0:
            total += float(beyond[i])
            continue
        total += float(first[i, ts[0]] + end[i, ts[-1]])
        total += float(mp.interval_cost[i, np.diff(ts)].sum())
    used = x[rows].any(axis=0)
    opening = np.where(pb.open_allowed[k], pb.opening_cost[k], np.inf)
    total += float(np.where(used, opening, 0.0).sum())
    return total


def _overload_h(mp: MultiYearProblem, x: BoolArray) -> float:
    """Crew-hours of ``x`` above the crews' capacity (0 when the crews cannot bind)."""
    if not crews_can_bind(mp):
        return 0.0
    crew_hours = mp.base.crew_hours
    cap = np.where(np.isfinite(crew_hours), crew_hours, np.inf)
    return float(np.maximum(crew_load_multiyear(mp, x) - cap, 0.0).sum())


def _position_path(arrays: _Arrays, i: int, node: FloatArray) -> tuple[float, BoolArray]:
    """Cheapest replacement path of position ``i`` alone at opening prices ``node``
    (by period; ``inf`` forbids a period): ``(cost, row of x)``."""
    first, interval, end, beyond, node_ok = arrays
    path = shortest_paths(
        first[i : i + 1],
        interval[i : i + 1],
        end[i : i + 1],
        beyond[i : i + 1],
        node_ok[i : i + 1],
        node[None, :],
    )
    return float(path.cost[0]), path.x[0]


def fit_stock(
    mp: MultiYearProblem, x0: BoolArray, deadline: float = np.inf
) -> tuple[BoolArray, bool]:
    """Move or drop jobs until no pool is short (see the module docstring).

    Returns
    -------
    (ndarray of bool, bool)
        The plan and whether it respects the stock.
    """
    pb = mp.base
    x = np.array(x0, dtype=bool, copy=True)
    if not pb.has_parts or pb.parts is None:
        return x, True
    parts = pb.parts
    arrays = path_arrays(mp)
    beyond = arrays[3]
    crews = crews_can_bind(mp)
    s_cost = np.where(pb.open_allowed, pb.opening_cost, np.inf)

    short = stock_shortage(mp, x)
    while short.sum() > 1e-9 and time.perf_counter() < deadline:
        # the earliest short period of any pool
        cols = np.flatnonzero((short > 1e-9).any(axis=0))
        t = int(cols[0])
        p = int(np.flatnonzero(short[:, t] > 1e-9)[0])
        total = float(short.sum())
        over = _overload_h(mp, x)
        best: tuple[float, int, BoolArray] | None = None
        users = np.flatnonzero((parts.part_of == p) & x[:, : t + 1].any(axis=1))
        for i in users.tolist():
            k = int(pb.system_of[i])
            others = x[pb.system_of == k].sum(axis=0) - x[i]
            share = np.where(others > 0, 0.0, s_cost[k])
            taus = np.flatnonzero(x[i, : t + 1]).tolist()
            cands: list[BoolArray] = []
            for lo in sorted({0, *taus}):
                node = share.copy()
                node[lo : t + 1] = np.inf
                cost, row = _position_path(arrays, i, node)
                if np.isfinite(cost):
                    cands.append(row)
            if np.isfinite(beyond[i]):
                cands.append(np.zeros(pb.n_periods, dtype=bool))
            old = _system_cost(mp, x, k, arrays)
            for row in cands:
                trial = x.copy()
                trial[i] = row
                if stock_shortage(mp, trial).sum() >= total - 1e-9:
                    continue
                if crews and _overload_h(mp, trial) > over + 1e-6:
                    continue
                delta = _system_cost(mp, trial, k, arrays) - old
                if best is None or delta < best[0]:
                    best = (delta, i, row)
        if best is None:
            return x, False
        x[best[1]] = best[2]
        short = stock_shortage(mp, x)
    return x, bool(short.sum() <= 1e-9)


def improve_within_stock(
    mp: MultiYearProblem, x0: BoolArray, deadline: float = np.inf
) -> BoolArray:
    """Best responses of single positions that keep the plan within the stock.

    :func:`fit_stock` stops as soon as no pool is short, so a position it moved may
    leave another position on a path that no longer pays (e.g. a replacement that
    could now join the opening the move created).  Each position in turn takes its
    cheapest path given the openings of the others (a shared opening is free, a new
    one costs its opening cost); the move is kept only when the plan stays within the
    stock, the crews are not more overloaded, and the plan's whole cost (paths,
    openings and purchasing, :func:`evaluate_multiyear` + :func:`purchase_costs`)
    falls.  Repeated until no position improves or ``deadline``
    (``time.perf_counter()`` seconds).  Each accepted move lowers the cost, so it ends.

    Returns
    -------
    ndarray of bool
        The improved plan (``x0`` itself is not changed).
    """
    pb = mp.base
    x = np.array(x0, dtype=bool, copy=True)
    arrays = path_arrays(mp)
    s_cost = np.where(pb.open_allowed, pb.opening_cost, np.inf)

    def whole(xx: BoolArray) -> float:
        return float(evaluate_multiyear(mp, xx)["total"] + purchase_costs(pb, xx)["total"])

    cost, over = whole(x), _overload_h(mp, x)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for i in range(mp.n_components):
            k = int(pb.system_of[i])
            others = x[pb.system_of == k].sum(axis=0) - x[i]
            node = np.where(others > 0, 0.0, s_cost[k])
            path_cost, row = _position_path(arrays, i, node)
            if not np.isfinite(path_cost) or np.array_equal(row, x[i]):
                continue
            trial = x.copy()
            trial[i] = row
            if stock_shortage(mp, trial).sum() > 1e-9:
                continue
            trial_over = _overload_h(mp, trial)
            if trial_over > over + 1e-6:
                continue
            c = whole(trial)
            if c < cost - 1e-9 * max(1.0, abs(cost)):
                x, cost, over, improved = trial, c, trial_over, True
    return x


def add_purchasing(mp: MultiYearProblem, plan: Plan, gap: float) -> Plan:
    """The plan with its purchasing terms in the objective; status from the gap.

    ``cost_split`` gains ``ordering``, ``expediting`` and ``holding``
    (:data:`~optimizer.problem.purchasing.PURCHASING_TERMS`); the bound gains only
    :func:`purchasing_floor` (the rest of purchasing is left out of it: still valid), so
    the status is ``OPTIMAL``
    exactly when the plan with purchasing is within ``gap`` of it (else ``FEASIBLE``,
    or the limit that stopped the search).
    """
    pb = mp.base
    if not plan.feasible or not pb.has_parts or plan.replacements is None:
        return plan
    x = np.zeros((mp.n_components, mp.n_periods), dtype=bool)
    if len(plan.replacements):
        x[plan.replacements[:, 0], plan.replacements[:, 1]] = True
    buy = purchase_costs(pb, x)
    split = {**plan.cost_split, **{k: float(buy[k]) for k in PURCHASING_TERMS}}
    total = float(plan.objective + buy["total"])
    lb = min(float(plan.lower_bound) + purchasing_floor(mp), total)
    status = plan.status
    if total - lb <= gap * max(abs(total), 1e-9):
        status = Status.OPTIMAL  # proven within the requested gap, with purchasing
    elif status is Status.OPTIMAL:
        status = Status.FEASIBLE
    return dataclasses.replace(
        plan, objective=total, lower_bound=lb, status=status, cost_split=split
    )


def inner_gap(mp: MultiYearProblem, gap: float) -> float:
    """Gap to ask of the decomposition so that the plan *with* purchasing meets ``gap``.

    The decomposition stops at ``gap`` on its own objective; purchasing ``P`` is added
    after and left out of the bound, which widens the gap by about ``P / objective``.
    ``P`` and the objective are estimated on the positions' free shortest paths (no
    openings shared): ``gap - 1.2 P_est / |objective_est|``, at least ``gap / 2``.
    """
    pb = mp.base
    if not pb.has_parts:
        return gap
    first, interval, end, beyond, node_ok = path_arrays(mp)
    free = shortest_paths(first, interval, end, beyond, node_ok, np.zeros(first.shape))
    buy = purchase_costs(pb, free.x)["total"]
    total = evaluate_multiyear(mp, free.x)["total"] + buy
    if not np.isfinite(total) or abs(total) <= 0.0:
        return gap
    return max(gap - 1.2 * buy / abs(total), 0.5 * gap)


def solve_multiyear_stock(
    mp: MultiYearProblem,
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-4,
    plan: Plan | None = None,
) -> Plan:
    """Multi-year plan within the spare-part stock, with its purchasing cost.

    Parameters
    ----------
    mp : MultiYearProblem
        The instance (``mp.base.parts`` set for stock to matter).
    time_limit_s : float or None
        Wall-clock limit, seconds, shared with :func:`solve_multiyear`.
    gap : float
        Requested relative gap of the plan with its purchasing (the decomposition is
        asked for :func:`inner_gap`).
    plan : Plan, optional
        A plan of the problem without stock to start from (default: one from
        :func:`solve_multiyear`).

    Returns
    -------
    Plan
        Within the stock, with ``ordering``, ``expediting``, ``holding`` in
        ``cost_split`` and the objective; ``INFEASIBLE`` with the part and the date when
        :func:`forced_shortages` proves it; ``TIME_LIMIT`` without a plan when the
        repair found none (not a proof; the diagnosis names the part and the period).
    """
    t0 = time.perf_counter()
    deadline = t0 + (time_limit_s if time_limit_s is not None else np.inf)
    pb = mp.base
    if pb.has_parts:
        proof = forced_shortages(mp)
        if proof:
            return Plan.infeasible(
                pb,
                method="multiyear",
                diagnosis=tuple(proof),
                runtime_s=time.perf_counter() - t0,
            )
    if plan is None:
        inner = inner_gap(mp, gap)
        plan = solve_multiyear(mp, time_limit_s=time_limit_s, gap=inner)
        # once: the purchasing of the plan found is known; ask for the gap it leaves
        done = _priced(mp, plan, gap, deadline)
        if done is not None and done.status is Status.FEASIBLE:
            left = deadline - time.perf_counter()
            buy = done.objective - plan.objective
            tighter = max(gap - 1.2 * buy / max(abs(done.objective), 1e-9), 0.5 * gap)
            if tighter < inner and left > time.perf_counter() - t0:
                again = solve_multiyear(
                    mp, time_limit_s=None if not np.isfinite(left) else left, gap=tighter
                )
                if again.feasible and again.objective <= plan.objective:
                    lb = max(again.lower_bound, plan.lower_bound)
                    plan = dataclasses.replace(again, lower_bound=min(lb, again.objective))
                elif again.feasible:
                    plan = dataclasses.replace(
                        plan,
                        lower_bound=min(max(again.lower_bound, plan.lower_bound), plan.objective),
                    )
    done = _priced(mp, plan, gap, deadline)
    out = plan if done is None else done
    return dataclasses.replace(out, runtime_s=time.perf_counter() - t0)


def _priced(mp: MultiYearProblem, plan: Plan, gap: float, deadline: float) -> Plan | None:
    """``plan`` within the stock (repaired) with its purchasing; ``None``: nothing to do."""
    t0 = time.perf_counter()
    pb = mp.base
    if not plan.feasible or not pb.has_parts or plan.replacements is None:
        return None
    x = np.zeros((mp.n_components, mp.n_periods), dtype=bool)
    if len(plan.replacements):
        x[plan.replacements[:, 0], plan.replacements[:, 1]] = True
    short = stock_shortage(mp, x)
    if short.sum() > 1e-9:
        x, ok = fit_stock(mp, x, deadline + 5.0)
        if ok:
            x = improve_within_stock(mp, x, deadline + 5.0)
        if not ok:
            left = stock_shortage(mp, x)
            p, t = (int(v) for v in np.argwhere(left > 1e-9)[0])
            parts = pb.parts
            assert parts is not None
            msg = (
                f"stock: no plan found within the stock of part {parts.part_ids[p]} (warehouse"
                f" {parts.warehouse[p]}) by {pb.local_period_start(t).date().isoformat()},"
                " before the earliest new delivery (the repair could not move or drop enough"
                " jobs; not proven impossible): add stock on hand or orders, or allow deferral"
            )
            failed = Plan.infeasible(
                pb, method=plan.method, diagnosis=(msg,), runtime_s=time.perf_counter() - t0
            )
            return dataclasses.replace(
                failed, status=Status.TIME_LIMIT, lower_bound=plan.lower_bound
            )
        cost = evaluate_multiyear(mp, x)
        ii, tt = np.nonzero(x)
        period = np.where(x.any(axis=1), np.argmax(x, axis=1), BEYOND).astype(np.int64)
        plan = dataclasses.replace(
            plan,
            period=period,
            objective=float(cost["total"]),
            lower_bound=min(float(plan.lower_bound), float(cost["total"])),
            status=Status.FEASIBLE,
            cost_split={k: v for k, v in cost.items() if k != "total"},
            replacements=np.stack([ii, tt], axis=1) if ii.size else np.zeros((0, 2), np.int64),
            log=(
                *plan.log,
                f"stock: plan repaired to fit the spare parts on hand and on order before"
                f" the earliest deliveries, then improved position by position within them"
                f" ({int(x.sum())} replacements)",
            ),
        )
        if float(cost["total"]) - plan.lower_bound <= gap * max(abs(float(cost["total"])), 1e-9):
            plan = dataclasses.replace(plan, status=Status.OPTIMAL)
    return add_purchasing(mp, plan, gap)
