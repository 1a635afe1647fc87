"""Spare-part stock over time and the purchase orders a plan needs.

Given a plan (the period of every job) the stock of each part pool ``p`` (a part in a
warehouse, :class:`~optimizer.problem.data.SpareParts`) evolves as

    I_p(t) = E_p(t) + Q_p(t) - U_p(t),      E_p(t) = on_hand_p + sum_{u <= t} arrivals_p(u),

with ``U_p(t)`` the units used in periods ``0..t`` and ``Q_p(t)`` the units of *new*
orders arrived by ``t``.  Stock must stay non-negative, so new orders must cover the
running requirement ``R_p(t) = max_{u <= t} max(0, U_p(u) - E_p(u))``; a new order can
arrive no earlier than the expedited lead time (regular lead time when the part cannot
be expedited).  A requirement before that is a *stock-out* the plan cannot fix by
purchasing: :func:`stock_shortages` explains it in plain language.

Purchasing cost (all priced by :mod:`cost_models.spares`):

* ordering: ``cost_order`` per purchase order (the unit price is already in the
  preventive cost ``c_p`` behind the penalty curves, so it is not counted again);
* expediting: ``cost_expedite_premium`` per unit of an order that arrives before the
  regular lead time;
* holding: ``holding_rate_per_year`` of ``cost_unit`` on the stock ``I_p(t)`` held at
  the end of every period of the horizon (on-hand stock included).

For a fixed plan the cheapest orders solve an uncapacitated lot-sizing problem per pool
with time-varying linear costs that never favour buying early (the premium only makes
earlier arrivals dearer), so an optimal policy orders only when the stock of earlier
units is used up (zero-inventory ordering) and the Wagner-Whitin recursion over the
periods with a net requirement is exact (:func:`lot_sizing`).

References
----------
.. [1] H. M. Wagner, T. M. Whitin, "Dynamic version of the economic lot size model",
   Management Science 5 (1958) 89-96.
.. [2] E. A. Silver, D. F. Pyke, D. J. Thomas, *Inventory and Production Management in
   Supply Chains*, 4th ed., CRC Press, 2017 (holding cost rates; expediting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cost_models.spares import expedite_cost, holding_cost, ordering_cost
from optimizer._typing import BoolArray, FloatArray, IntArray
from optimizer.problem.data import PlanningProblem, SpareParts

__all__ = [
    "PURCHASING_TERMS",
    "PurchaseOrder",
    "PurchasePlan",
    "lot_sizing",
    "must_do_shortages",
    "plan_jobs",
    "purchase_cost",
    "purchase_costs",
    "purchase_orders_table",
    "purchase_plan",
    "stock_profile",
    "stock_shortages",
]


PURCHASING_TERMS = ("ordering", "expediting", "holding")
"""Purchasing terms of a plan's objective, in display order (their sum is ``total``)."""


@dataclass(frozen=True)
class PurchaseOrder:
    """A new purchase order of one part pool.

    Parameters
    ----------
    part : int
        Pool index ``p``.
    qty : int
        Units ordered.
    order_period, arrival_period : int
        Period in which the order is placed and the first period its units can be used.
    expedited : bool
        Whether the order uses the expedited lead time (and pays the premium).
    serves : tuple of int
        Components whose work uses units of this order.
    """

    part: int
    qty: int
    order_period: int
    arrival_period: int
    expedited: bool
    serves: tuple[int, ...] = ()


@dataclass(frozen=True, eq=False)
class PurchasePlan:
    """Purchase orders and stock of a plan.

    Parameters
    ----------
    orders : tuple of PurchaseOrder
        New orders, sorted by order period then part.
    cost : dict of str to float
        ``ordering``, ``expediting``, ``holding`` and ``total`` (currency).
    shortages : tuple of str
        Plain-language stock-outs that no order can prevent (empty when feasible).
    available_period : ndarray of int, shape (n,)
        Period from which the parts of each job are in stock (``-1``: no part or the job
        is not planned).
    stock : ndarray of float, shape (P, T)
        End-of-period stock ``I_p(t)`` including the new orders.
    """

    orders: tuple[PurchaseOrder, ...]
    cost: dict[str, float]
    shortages: tuple[str, ...]
    available_period: IntArray
    stock: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def feasible(self) -> bool:
        """True when no stock-out remains."""
        return not self.shortages


def _parts(problem: PlanningProblem) -> SpareParts:
    if problem.parts is None:
        raise ValueError("problem.parts: the problem models no spare parts")
    return problem.parts


def plan_jobs(period: IntArray | BoolArray) -> tuple[IntArray, IntArray]:
    """Jobs ``(component, period)`` of a plan, sorted by period then component.

    ``period`` is either one period per component (shape ``(n,)``, ``-1`` = deferred:
    a next-replacement plan) or a replacement matrix ``x[i, t]`` (bool, shape ``(n,
    T)``: a multi-year plan, several jobs per component).
    """
    arr = np.asarray(period)
    if arr.ndim == 2:
        ii, tt = np.nonzero(arr.astype(bool))
    else:
        per: IntArray = np.asarray(arr, dtype=np.int64)
        ii = np.flatnonzero(per >= 0)
        tt = per[ii]
    order = np.lexsort((ii, tt))
    return ii[order].astype(np.int64), tt[order].astype(np.int64)


def stock_profile(
    problem: PlanningProblem, period: IntArray | BoolArray
) -> tuple[FloatArray, FloatArray]:
    """Cumulative usage and existing supply of every pool, shape ``(P, T)`` each.

    ``period``: see :func:`plan_jobs` (one period per component, or a multi-year
    replacement matrix).

    Returns
    -------
    (used, supply)
        ``used[p, t]`` units used in periods ``0..t``; ``supply[p, t]`` on-hand stock
        plus already-ordered units arrived by ``t``.
    """
    parts = _parts(problem)
    ii, tt = plan_jobs(period)
    n_t = problem.n_periods
    use = np.zeros((parts.n_parts, n_t))
    on = parts.part_of[ii] >= 0
    np.add.at(use, (parts.part_of[ii[on]], tt[on]), parts.qty[ii[on]].astype(np.float64))
    used: FloatArray = np.cumsum(use, axis=1)
    supply: FloatArray = parts.on_hand[:, None] + np.cumsum(parts.arrivals, axis=1)
    return used, supply


def _requirement(used: FloatArray, supply: FloatArray) -> FloatArray:
    """Running requirement ``R(t) = max_{u<=t} max(0, U(u) - E(u))`` of new orders."""
    short = np.maximum(used - supply, 0.0)
    out: FloatArray = np.maximum.accumulate(short, axis=1) if short.size else short
    return out


def _date(problem: PlanningProblem, t: int) -> str:
    return problem.local_period_start(int(t)).date().isoformat()


def stock_shortages(
    problem: PlanningProblem, period: IntArray | BoolArray, tol: float = 1e-9
) -> list[str]:
    """Stock-outs of a plan that no new order can prevent, in plain language.

    A pool is short when, in some period before the earliest arrival of a new order
    (expedited if the part can be expedited), more units are used than were on hand or
    on order by then.  One sentence per pool, at its first short period.

    Parameters
    ----------
    problem : PlanningProblem
        The instance (``problem.parts`` set).
    period : ndarray of int, shape (n,)
        The plan (``-1`` = deferred).
    tol : float
        Units of slack.

    Returns
    -------
    list of str
        E.g. ``"part GBX-12 (warehouse main): 3 needed by 2027-02-10, 1 on hand or on
        order by then, lead time 45 days (earliest delivery of a new order
        2027-02-18)"``.
    """
    if problem.parts is None:
        return []
    parts = problem.parts
    used, supply = stock_profile(problem, period)
    first = parts.expedite_periods(problem.period_h)
    out: list[str] = []
    n_t = problem.n_periods
    for p in range(parts.n_parts):
        lim = min(int(first[p]), n_t)
        bad = np.flatnonzero(used[p, :lim] > supply[p, :lim] + tol)
        if not len(bad):
            continue
        t = int(bad[0])
        lead = f"lead time {parts.lead_time_days[p]:g} days"
        if np.isfinite(parts.expedite_lead_time_days[p]):
            lead += f" (expedited {parts.expedite_lead_time_days[p]:g} days)"
        out.append(
            f"part {parts.part_ids[p]} (warehouse {parts.warehouse[p]}): "
            f"{used[p, t]:g} needed by {_date(problem, t)}, {supply[p, t]:g} on hand or on order"
            f" by then, {lead}; the earliest new delivery is "
            + (_date(problem, int(first[p])) if first[p] < n_t else "after the horizon")
        )
    return out


def must_do_shortages(problem: PlanningProblem, eligible: np.ndarray | None = None) -> list[str]:
    """Stock-outs forced by work that can neither be deferred nor wait for a delivery.

    A job that is pinned to a period, or that may not be deferred (infinite
    ``penalty_beyond``), must take its parts from stock by its *latest* eligible
    period.  When that lies before the earliest delivery of a new order the units must
    come from on-hand stock or orders already placed; serving such jobs earliest
    deadline first is optimal, so the plan is infeasible exactly when, for some
    deadline ``t``, the units these jobs need by ``t`` exceed the stock on hand or on
    order by ``t``.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.
    eligible : ndarray of bool, shape (n, T), optional
        Periods each job may start in (default: ``allowed`` and its system may open).

    Returns
    -------
    list of str
        One sentence per short pool, e.g. ``"part GBX-12 (warehouse main): 3 needed by
        2027-02-10 (work that may not be deferred: ...), 1 on hand or on order by then,
        lead time 45 days"``.
    """
    if not problem.has_parts:
        return []
    parts = _parts(problem)
    n_t = problem.n_periods
    if eligible is None:
        eligible = problem.allowed & problem.open_allowed[problem.system_of]
    pin = problem.pinned_period
    rev = eligible[:, ::-1]
    last = np.where(rev.any(axis=1), n_t - 1 - np.argmax(rev, axis=1), -1)
    deadline = np.where(pin >= 0, pin, last)
    must = ((pin >= 0) | ((pin == -1) & ~np.isfinite(problem.penalty_beyond))) & (deadline >= 0)
    first = parts.expedite_periods(problem.period_h)
    supply = parts.on_hand[:, None] + np.cumsum(parts.arrivals, axis=1)
    out: list[str] = []
    for p in range(parts.n_parts):
        jobs = np.flatnonzero(must & (parts.part_of == p) & (deadline < first[p]) & (parts.qty > 0))
        if not len(jobs):
            continue
        need = np.zeros(n_t)
        np.add.at(need, deadline[jobs], parts.qty[jobs].astype(np.float64))
        need = np.cumsum(need)
        bad = np.flatnonzero(need > supply[p] + 1e-9)
        if not len(bad):
            continue
        t = int(bad[0])
        who = ", ".join(problem.component_ids[i] for i in jobs[deadline[jobs] <= t][:8])
        lead = f"lead time {parts.lead_time_days[p]:g} days"
        if np.isfinite(parts.expedite_lead_time_days[p]):
            lead += f" (expedited {parts.expedite_lead_time_days[p]:g} days)"
        out.append(
            f"part {parts.part_ids[p]} (warehouse {parts.warehouse[p]}): {need[t]:g} needed by"
            f" {_date(problem, t)} (work that may not be deferred: {who}), {supply[p, t]:g} on"
            f" hand or on order by then, {lead}"
        )
    return out


def lot_sizing(
    demand: FloatArray,
    first: int,
    lead: int,
    cost_order: float,
    premium_unit: float,
    hold_unit_period: float,
) -> list[tuple[int, float, tuple[int, ...]]]:
    """Cheapest new orders covering a net demand (Wagner-Whitin).

    Parameters
    ----------
    demand : ndarray of float, shape (T,)
        Net requirement arising in each period (units; ``>= 0``).  Demand before
        ``first`` cannot be met and is served by the earliest possible order (the plan is
        then short; see :func:`stock_shortages`).
    first : int
        Earliest arrival period of a new order (expedited if possible).
    lead : int
        Regular lead time, periods: an order arriving before ``lead`` is expedited.
    cost_order, premium_unit, hold_unit_period : float
        Fixed cost per order, expediting premium per unit, holding per unit and period.

    Returns
    -------
    list of (arrival_period, qty, periods_served)
        One entry per order.

    Notes
    -----
    Orders arrive at demand periods only (zero-inventory ordering): an order arriving
    at ``a`` for the demand of periods ``tau_j..tau_k`` costs ``cost_order +
    premium_unit [a < lead] D + hold sum_l d_l (tau_l - a)``; ``f(k) = min_j f(j-1) +
    cost(j, k)`` in ``O(m^2)`` for ``m`` demand periods.
    """
    d = np.asarray(demand, dtype=np.float64).copy()
    n_t = len(d)
    first = max(int(first), 0)
    if first > 0 and first <= n_t - 1:
        d[first] += d[:first].sum()
        d[:first] = 0.0
    elif first > n_t - 1 and d.sum() > 0:
        # no order can arrive inside the horizon: the earliest is after it; book the
        # whole requirement on the last period so that it is at least priced.
        total = d.sum()
        d[:] = 0.0
        d[n_t - 1] = total
    tau = np.flatnonzero(d > 1e-12)
    m = len(tau)
    if m == 0:
        return []
    dv = d[tau]
    dc = np.concatenate([[0.0], np.cumsum(dv)])
    wc = np.concatenate([[0.0], np.cumsum(dv * tau)])
    f = np.zeros(m + 1)
    arg = np.zeros(m + 1, dtype=np.int64)
    prem = np.where(tau < lead, premium_unit, 0.0)
    for k in range(1, m + 1):
        j = np.arange(1, k + 1)
        qty = dc[k] - dc[j - 1]
        hold = hold_unit_period * ((wc[k] - wc[j - 1]) - tau[j - 1] * qty)
        c = f[j - 1] + cost_order + prem[j - 1] * qty + hold
        best = int(np.argmin(c))
        f[k] = c[best]
        arg[k] = best + 1
    out: list[tuple[int, float, tuple[int, ...]]] = []
    k = m
    while k > 0:
        jb = int(arg[k])
        out.append(
            (int(tau[jb - 1]), float(dc[k] - dc[jb - 1]), tuple(int(x) for x in tau[jb - 1 : k]))
        )
        k = jb - 1
    return out[::-1]


def _orders(
    problem: PlanningProblem, period: IntArray | BoolArray
) -> tuple[list[tuple[int, int, float, bool]], FloatArray, FloatArray, FloatArray]:
    """Optimal new orders ``(part, arrival, qty, expedited)``, usage, supply, new arrivals."""
    parts = _parts(problem)
    used, supply = stock_profile(problem, period)
    req = _requirement(used, supply)
    net = np.diff(req, axis=1, prepend=0.0)
    first = parts.expedite_periods(problem.period_h)
    lead = parts.lead_periods(problem.period_h)
    hold = parts.holding_per_unit_period(problem.period_h)
    new = np.zeros_like(used)
    out: list[tuple[int, int, float, bool]] = []
    for p in np.flatnonzero(net.sum(axis=1) > 1e-12):
        for a, q, _ in lot_sizing(
            net[p],
            int(first[p]),
            int(lead[p]),
            float(parts.cost_order[p]),
            float(parts.cost_expedite_premium[p]),
            float(hold[p]),
        ):
            out.append((int(p), a, q, bool(a < lead[p])))
            new[p, a] += q
    return out, used, supply, new


def _cost(
    problem: PlanningProblem,
    orders: list[tuple[int, int, float, bool]],
    used: FloatArray,
    supply: FloatArray,
    new: FloatArray,
) -> tuple[dict[str, float], FloatArray]:
    parts = _parts(problem)
    stock = np.maximum(supply + np.cumsum(new, axis=1) - used, 0.0)
    p_idx = np.array([o[0] for o in orders], dtype=np.int64)
    qty = np.array([o[2] for o in orders], dtype=np.float64)
    exp = np.array([o[3] for o in orders], dtype=bool)
    ordering = (
        float(np.sum(ordering_cost(1.0, parts.cost_order[p_idx], qty, 0.0))) if len(orders) else 0.0
    )
    expediting = (
        float(np.sum(expedite_cost(qty[exp], parts.cost_expedite_premium[p_idx[exp]])))
        if exp.any()
        else 0.0
    )
    holding = float(
        np.sum(
            holding_cost(
                stock,
                parts.cost_unit[:, None],
                parts.holding_rate_per_year[:, None],
                problem.period_h,
            )
        )
    )
    total = ordering + expediting + holding
    return (
        {"ordering": ordering, "expediting": expediting, "holding": holding, "total": total},
        stock,
    )


def purchase_costs(problem: PlanningProblem, period: IntArray | BoolArray) -> dict[str, float]:
    """Cheapest purchasing cost of a plan by term, currency.

    ``ordering``, ``expediting``, ``holding`` (:data:`PURCHASING_TERMS`) and their
    ``total``; all ``0`` for a problem without parts.
    """
    if not problem.has_parts:
        return {"ordering": 0.0, "expediting": 0.0, "holding": 0.0, "total": 0.0}
    orders, used, supply, new = _orders(problem, period)
    return _cost(problem, orders, used, supply, new)[0]


def purchase_cost(problem: PlanningProblem, period: IntArray | BoolArray) -> float:
    """Cheapest purchasing cost of a plan (ordering + expediting + holding), currency.

    ``0`` for a problem without parts.
    """
    return purchase_costs(problem, period)["total"]


def purchase_plan(problem: PlanningProblem, period: IntArray | BoolArray) -> PurchasePlan:
    """Purchase orders of a plan, the stock they give and when each job's parts are in.

    Parts are issued first in, first out: on-hand stock first, then orders already
    placed, then the new orders, in arrival order; so the ``k``-th unit used is the
    ``k``-th unit supplied, which arrives no later than it is used whenever the plan
    has no stock-out.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.
    period : ndarray of int, shape (n,), or ndarray of bool, shape (n, T)
        The plan (``-1`` = deferred), or a multi-year replacement matrix (see
        :func:`plan_jobs`); then ``available_period`` is that of each component's first
        job and ``serves`` lists a component once per order.

    Returns
    -------
    PurchasePlan
    """
    n = problem.n_components
    if problem.parts is None:
        return PurchasePlan(
            (),
            {"ordering": 0.0, "expediting": 0.0, "holding": 0.0, "total": 0.0},
            (),
            np.full(n, -1, dtype=np.int64),
        )
    parts = problem.parts
    orders, used, supply, new = _orders(problem, period)
    cost, stock = _cost(problem, orders, used, supply, new)
    lead = parts.lead_periods(problem.period_h)
    first = parts.expedite_periods(problem.period_h)
    avail = np.full(n, -1, dtype=np.int64)
    serves: dict[tuple[int, int], list[int]] = {}
    job_i, job_t = plan_jobs(period)
    for p in range(parts.n_parts):
        mine = (parts.part_of[job_i] == p) & (parts.qty[job_i] > 0)
        if not mine.any():
            continue
        # supply units in arrival order: (period, source) with source -1 = existing
        src_t = [0] * round(float(parts.on_hand[p]))
        src_o: list[int] = [-1] * round(float(parts.on_hand[p]))
        for t in np.flatnonzero(parts.arrivals[p] > 0):
            k = round(float(parts.arrivals[p, t]))
            src_t += [int(t)] * k
            src_o += [-1] * k
        for a, q, _exp in ((o[1], o[2], o[3]) for o in orders if o[0] == p):
            k = round(q)
            src_t += [a] * k
            src_o += [a] * k
        order = np.argsort(np.asarray(src_t, dtype=np.int64), kind="stable")
        st = np.asarray(src_t, dtype=np.int64)[order]
        so = np.asarray(src_o, dtype=np.int64)[order]
        pos = 0
        for i, t_i in zip(job_i[mine].tolist(), job_t[mine].tolist(), strict=True):
            q = int(parts.qty[i])
            take = slice(pos, pos + q)
            got_t, got_o = st[take], so[take]
            pos += q
            if avail[i] < 0:  # a component's first job (the only one in a plan of period)
                if len(got_t) < q:  # short: no unit left for part of the job
                    avail[i] = max(int(t_i), int(first[p]))
                else:
                    avail[i] = int(got_t.max())
            for a in set(int(x) for x in got_o if x >= 0):
                users = serves.setdefault((p, a), [])
                if int(i) not in users:
                    users.append(int(i))
    po = tuple(
        sorted(
            (
                PurchaseOrder(
                    part=p,
                    qty=round(q),
                    order_period=max(a - int(first[p] if exp else lead[p]), 0),
                    arrival_period=a,
                    expedited=exp,
                    serves=tuple(serves.get((p, a), [])),
                )
                for p, a, q, exp in orders
            ),
            key=lambda o: (o.order_period, o.part, o.arrival_period),
        )
    )
    return PurchasePlan(po, cost, tuple(stock_shortages(problem, period)), avail, stock)


def purchase_orders_table(problem: PlanningProblem, plan: PurchasePlan) -> list[dict[str, Any]]:
    """Purchase orders as JSON-friendly rows (dates at period starts).

    Each row: ``part_id``, ``warehouse``, ``qty``, ``order_date``, ``arrival_date``,
    ``expedited``, ``serves`` (component ids of the work orders it serves), the
    ``unit_price``, ``goods`` (``qty * unit_price``), ``order_fee``, ``expedite_fee``
    (premium per unit times ``qty``; 0 when not expedited) and ``total`` (goods plus
    fees: the cash the order costs), currency.  Only the fees are purchasing terms of
    the plan's objective; the unit price is in its preventive cost
    (:func:`optimizer.problem.plan.evaluate`).
    """
    if problem.parts is None:
        return []
    parts = problem.parts
    rows: list[dict[str, Any]] = []
    for o in plan.orders:
        prem = (
            float(np.sum(expedite_cost(o.qty, parts.cost_expedite_premium[o.part])))
            if o.expedited
            else 0.0
        )
        unit = float(parts.cost_unit[o.part])
        goods = unit * o.qty
        fee = float(np.sum(ordering_cost(1.0, parts.cost_order[o.part], o.qty, 0.0)))
        rows.append(
            {
                "part_id": parts.part_ids[o.part],
                "warehouse": parts.warehouse[o.part],
                "qty": o.qty,
                "order_date": _date(problem, o.order_period),
                "arrival_date": _date(problem, o.arrival_period),
                "expedited": o.expedited,
                "serves": [problem.component_ids[i] for i in o.serves],
                "unit_price": round(unit, 2),
                "goods": round(goods, 2),
                "order_fee": round(fee, 2),
                "expedite_fee": round(prem, 2),
                "total": round(goods + fee + prem, 2),
            }
        )
    return rows
