"""Work orders of a multi-year plan: one per planned replacement of every position.

A plan from :mod:`optimizer.solvers.multiyear` holds every replacement of each position
(``Plan.replacements``).  Each occurrence becomes its own work order (id
``PM-<component>-<yyyymmdd>``, unique per occurrence since two replacements of a
position never share a period), with reasons in numbers: which occurrence it is, the
interval since the previous replacement against the optimal age and the life limit,
the interval's expected cost relative to the long-run rate, the shared opening, and,
for the last one, what the part left at the horizon end is worth.  Jobs start and
finish at the hours of the shutdown schedule
(:func:`optimizer.planning.shutdowns.schedule_shutdowns`: on the crews' shifts, never
more technicians at once than the pool has), or at their period's start without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import numpy as np

from optimizer.planning.shutdowns import ShutdownResult, group_id
from optimizer.planning.workorders import Deferred, WorkOrder, money, pct, pm_order
from optimizer.problem.build import BuiltProblem
from optimizer.problem.multiyear import MultiYearProblem
from optimizer.problem.plan import Plan


def multiyear_work_orders(
    built: BuiltProblem,
    mp: MultiYearProblem,
    plan: Plan,
    shutdowns: Mapping[str, ShutdownResult] | None = None,
) -> tuple[list[WorkOrder], list[Deferred]]:
    """Work orders (one per replacement) and positions without any in the horizon.

    Parameters
    ----------
    built : BuiltProblem
        The first-interval problem with its fleet model (``built.problem is mp.base``).
    mp : MultiYearProblem
        The multi-year problem.
    plan : Plan
        A feasible plan with ``replacements``.
    shutdowns : mapping of str to ShutdownResult, optional
        Hour-level schedule of each shutdown by group id; a job not in it starts at its
        period's start.

    Returns
    -------
    (list of WorkOrder, list of Deferred)
        Sorted by start, group and component.
    """
    pb = mp.base
    fm = built.fleet
    cur = pb.currency
    rep = plan.replacements if plan.replacements is not None else np.zeros((0, 2), np.int64)
    size: dict[tuple[int, int], int] = {}
    for i, t in rep:
        key = (int(pb.system_of[i]), int(t))
        size[key] = size.get(key, 0) + 1
    period_days = pb.period_h / 24.0
    # intervals in weeks when periods are whole weeks, else in days
    unit, per_unit = ("weeks", period_days / 7.0) if period_days % 7 == 0 else ("days", period_days)
    unpriced = built.scenario.plan.end_state == "unpriced"
    orders: list[WorkOrder] = []
    deferred: list[Deferred] = []
    for i, comp in enumerate(fm.components):
        ts = [int(t) for t in rep[rep[:, 0] == i, 1]]
        per = float(mp.period_op_h[i])
        if not ts:
            hor = pb.n_periods * per
            p_h = float(np.asarray(fm.residual[i].cdf(hor)))
            risk = float(pb.penalty_beyond[i])
            deferred.append(
                Deferred(
                    comp.id,
                    comp.system_id,
                    p_h,
                    risk,
                    f"no replacement in the horizon: leaving the installed part costs"
                    f" {money(risk, cur)} more than its best date (risk and end-state value);"
                    f" P(fail within horizon) {pct(p_h)}",
                )
            )
            continue
        limit = float(mp.limit_h[i])
        for j, t in enumerate(ts):
            k = int(pb.system_of[i])
            jobs = size[(k, t)]
            opening = float(pb.opening_cost[k, t])
            share = opening / jobs
            start = pb.period_start(t)
            head = f"replacement {j + 1} of {len(ts)} of position {comp.position}: "
            reasons: list[str] = []
            if j == 0:
                rel = float(pb.penalty[i, t])
                p_fail = float(np.asarray(fm.residual[i].cdf(t * per)))
                reasons.append(
                    head + f"installed part (age {comp.age_h:,.0f} h now): replacing it on"
                    f" {pb.local(start):%Y-%m-%d} costs {money(rel, cur)} more than at its own best"
                    f" date; P(fail before) {pct(p_fail)}"
                )
            else:
                d = t - ts[j - 1]
                hours = d * per
                rel = float(mp.interval_cost[i, d])
                p_fail = float(np.asarray(fm.life[i].cdf(hours)))
                t_star = float(mp.t_star_h[i])
                opt_txt = (
                    f"optimal age of a new part {t_star:,.0f} h"
                    if np.isfinite(t_star)
                    else "a new part alone would run to failure"
                )
                reasons.append(
                    head + f"{d * per_unit:,.0f} {unit} ({hours:,.0f} h) after the previous"
                    " replacement"
                    f" ({opt_txt}): expected cost of the interval relative to the long-run"
                    f" rate {money(rel, cur)}; P(fail before) {pct(p_fail)}"
                )
                if np.isfinite(limit):
                    reasons.append(
                        f"life limit {limit:,.0f} h respected: the part reaches"
                        f" {hours:,.0f} h ({100 * hours / limit:.0f}% of it)"
                    )
            reasons.append(
                f"opening of {comp.system_id} on {pb.local(start):%Y-%m-%d}: {money(opening, cur)}"
                + (f" shared by {jobs} jobs ({money(share, cur)} each)" if jobs > 1 else "")
            )
            if j == len(ts) - 1:
                left = pb.n_periods * per - t * per
                reasons.append(
                    f"last in the horizon: leaves a part of age {left:,.0f} h at its end, "
                    + (
                        "not priced (plan.end_state: unpriced)"
                        if unpriced
                        else f"priced {money(float(mp.end_cost[i, t]), cur)} (its value to"
                        " the next horizon, relative to the long-run rate)"
                    )
                )
            gid = group_id(pb, k, t)
            sched = shutdowns.get(gid) if shutdowns is not None else None
            slot = sched.slots.get(comp.id) if sched is not None else None
            begin = start + timedelta(hours=slot[0]) if slot is not None else start
            finish = start + timedelta(hours=slot[1]) if slot is not None else None
            orders.append(
                pm_order(
                    built,
                    i,
                    start,
                    begin,
                    finish,
                    group=gid,
                    expected_cost=float(share + rel),
                    p_fail=p_fail,
                    reasons=reasons,
                    target_date=None,
                    pinned=bool(j == 0 and pb.pinned_period[i] >= 0),
                    extra={"occurrence": j + 1, "occurrences": len(ts), "relative_cost": rel},
                )
            )
    orders.sort(key=lambda w: (w.scheduled_start, w.group_id, w.component_id))
    return orders, deferred
