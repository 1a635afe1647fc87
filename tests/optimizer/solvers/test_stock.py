"""Spare-part stock in the scheduler: lot sizing, stock rows, purchase orders, diagnosis.

Every cost is checked against an independent computation: brute-force enumeration of
order sets (lot sizing) and of whole plans (the MILP with stock rows), and holding /
expediting costs written out by hand from the definitions.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from pytest import approx

from optimizer.problem.data import NO_PIN, PlanningProblem, SpareParts
from optimizer.problem.plan import BEYOND, Status, evaluate, violations
from optimizer.problem.purchasing import (
    lot_sizing,
    must_do_shortages,
    purchase_orders_table,
    purchase_plan,
    stock_shortages,
)
from optimizer.solvers import solve
from optimizer.solvers.milp import solve_milp

HOURS_PER_YEAR = 8760.0


def _brute_lot(d: np.ndarray, first: int, lead: int, k: float, prem: float, hold: float) -> float:
    """Cheapest order plan by enumerating every set of arrival periods >= first.

    Given the set, each period's demand is served by the latest arrival at or before
    it (later arrivals hold less and never pay more premium).
    """
    n_t = len(d)
    periods = list(range(first, n_t))
    best = np.inf
    for r in range(len(periods) + 1):
        for s in itertools.combinations(periods, r):
            cost = k * len(s)
            ok = True
            for t in np.flatnonzero(d > 0):
                src = [a for a in s if a <= t]
                if not src:
                    ok = False
                    break
                a = max(src)
                cost += d[t] * (prem * (a < lead) + hold * (t - a))
            if ok:
                best = min(best, cost)
    return best


@settings(max_examples=40, deadline=None)
@given(
    d=st.lists(st.integers(0, 3), min_size=6, max_size=8),
    first=st.integers(0, 2),
    extra=st.integers(0, 3),
    k=st.floats(0.0, 50.0),
    prem=st.floats(0.0, 20.0),
    hold=st.floats(0.0, 10.0),
)
def test_lot_sizing_matches_enumeration(
    d: list[int], first: int, extra: int, k: float, prem: float, hold: float
) -> None:
    dem = np.array(d, dtype=float)
    dem[:first] = 0.0  # demand before the first delivery is a stock-out, tested apart
    lead = first + extra
    orders = lot_sizing(dem, first, lead, k, prem, hold)
    cost = 0.0
    for a, q, served in orders:
        assert a >= first
        cost += k + q * prem * (a < lead) + hold * sum(dem[t] * (t - a) for t in served)
        assert_allclose(q, sum(dem[t] for t in served))
    assert_allclose(sum(q for _, q, _ in orders), dem.sum())
    assert_allclose(cost, _brute_lot(dem, first, lead, k, prem, hold), rtol=1e-9, atol=1e-9)


def _problem(
    *,
    n: int = 4,
    n_t: int = 6,
    on_hand: float = 1.0,
    lead_days: float = 3.0,
    expedite_days: float = np.inf,
    premium: float = 0.0,
    cost_order: float = 10.0,
    must: bool = False,
    seed: int = 0,
    arrivals: np.ndarray | None = None,
) -> PlanningProblem:
    """Tiny instance: every job uses one unit of part P1 and wants to be early."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_t, dtype=float)
    penalty = np.array([rng.uniform(5, 20) * t + rng.uniform(0, 5) for _ in range(n)])
    beyond = np.full(n, np.inf) if must else rng.uniform(150, 300, size=n)
    parts = SpareParts(
        part_ids=("P1",),
        warehouse=("main",),
        part_of=np.zeros(n, dtype=np.int64),
        qty=np.ones(n, dtype=np.int64),
        on_hand=np.array([on_hand]),
        arrivals=np.zeros((1, n_t)) if arrivals is None else arrivals,
        lead_time_days=np.array([lead_days]),
        expedite_lead_time_days=np.array([expedite_days]),
        cost_unit=np.array([1000.0]),
        holding_rate_per_year=np.array([0.25]),
        cost_order=np.array([cost_order]),
        cost_expedite_premium=np.array([premium]),
    )
    return PlanningProblem(
        start=datetime(2027, 1, 4, tzinfo=UTC),
        period_h=24.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=("S0", "S1"),
        system_of=np.arange(n) % 2,
        penalty=penalty,
        penalty_beyond=beyond,
        allowed=np.ones((n, n_t), dtype=bool),
        opening_cost=np.full((2, n_t), 30.0),
        open_allowed=np.ones((2, n_t), dtype=bool),
        duration_h=np.full(n, 2.0),
        skill_of=np.zeros(n, dtype=np.int64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_ids=("mech",),
        crew_hours=np.full((1, n_t), np.inf),
        pinned_period=np.full(n, NO_PIN, dtype=np.int64),
        parts=parts,
    )


def _brute(problem: PlanningProblem) -> tuple[float, np.ndarray]:
    """Best feasible plan by enumeration, costed by ``evaluate`` (grouping + purchasing)."""
    best, arg = np.inf, np.zeros(0, dtype=np.int64)
    opts = range(-1, problem.n_periods)
    for combo in itertools.product(opts, repeat=problem.n_components):
        per = np.array(combo, dtype=np.int64)
        if violations(problem, per):
            continue
        c = evaluate(problem, per)["total"]
        if c < best:
            best, arg = c, per
    return best, arg


def test_holding_and_order_cost_by_hand() -> None:
    pb = _problem(n=2, n_t=6, on_hand=2.0, lead_days=3.0)
    per = np.array([3, BEYOND])
    pp = purchase_plan(pb, per)
    # stock at the end of periods 0..5: 2, 2, 2, 1, 1, 1 -> 9 unit-periods of 24 h
    assert_allclose(pp.stock[0], [2, 2, 2, 1, 1, 1])
    assert_allclose(pp.cost["holding"], 9 * 1000.0 * 0.25 * 24.0 / HOURS_PER_YEAR)
    assert pp.orders == ()
    assert_allclose(pp.available_period, [0, -1])
    # three jobs, two on hand: one order arriving exactly when needed
    pb3 = _problem(n=3, n_t=6, on_hand=2.0, lead_days=3.0)
    pp3 = purchase_plan(pb3, np.array([0, 1, 4]))
    assert len(pp3.orders) == 1
    o = pp3.orders[0]
    assert (o.arrival_period, o.order_period, o.qty, o.expedited) == (4, 1, 1, False)
    assert o.serves == (2,)
    assert_allclose(pp3.cost["ordering"], 10.0)
    # stock: 1, 0, 0, 0, 0(arrived and used), 0
    assert_allclose(pp3.stock[0], [1, 0, 0, 0, 0, 0])
    ev3 = evaluate(pb3, np.array([0, 1, 4]))
    assert_allclose(ev3["ordering"] + ev3["expediting"] + ev3["holding"], pp3.cost["total"])
    for term in ("ordering", "expediting", "holding"):
        assert_allclose(ev3[term], pp3.cost[term])


def test_stock_binds_and_milp_matches_enumeration() -> None:
    pb = _problem(n=4, n_t=6, on_hand=1.0, lead_days=3.0)
    free = replace(pb, parts=None)
    free_plan = solve_milp(free)
    # without stock every job is done early (penalties grow with t)
    assert (free_plan.period[free_plan.period >= 0] < 3).sum() >= 2
    assert stock_shortages(pb, free_plan.period)  # that plan runs out of P1
    best, _ = _brute(pb)
    for backend in ("direct", "pyomo"):
        plan = solve_milp(pb, backend=backend)  # type: ignore[arg-type]
        assert plan.status is Status.OPTIMAL
        assert violations(pb, plan.period) == []
        assert_allclose(plan.objective, best, rtol=1e-7)
        assert_allclose(plan.lower_bound, best, rtol=1e-6)
    # at most one job before the first delivery (period 3)
    plan = solve_milp(pb)
    assert ((plan.period >= 0) & (plan.period < 3)).sum() <= 1


def test_expedite_binds_and_is_priced() -> None:
    # lead 5 days (beyond the horizon of 6 minus), expedite 1 day at 15 per unit
    pb = _problem(n=3, n_t=6, on_hand=0.0, lead_days=5.0, expedite_days=1.0, premium=15.0)
    best, _ = _brute(pb)
    plan = solve_milp(pb)
    assert_allclose(plan.objective, best, rtol=1e-7)
    pp = purchase_plan(pb, plan.period)
    exp_units = sum(o.qty for o in pp.orders if o.expedited)
    assert exp_units >= 1  # waiting for a regular order costs more than the premium
    assert_allclose(pp.cost["expediting"], 15.0 * exp_units)
    rows = purchase_orders_table(pb, pp)
    assert any(r["expedited"] for r in rows)
    for r in rows:
        assert set(r) == {
            "part_id",
            "warehouse",
            "qty",
            "order_date",
            "arrival_date",
            "expedited",
            "serves",
            "unit_price",
            "goods",
            "order_fee",
            "expedite_fee",
            "total",
        }
        assert r["order_date"] <= r["arrival_date"]
        assert r["expedite_fee"] == approx(15.0 * r["qty"] if r["expedited"] else 0.0)
        assert r["total"] == approx(r["goods"] + r["order_fee"] + r["expedite_fee"])


def test_existing_order_arrival_counts() -> None:
    arr = np.zeros((1, 6))
    arr[0, 2] = 2.0
    pb = _problem(n=3, n_t=6, on_hand=0.0, lead_days=10.0, arrivals=arr)
    assert stock_shortages(pb, np.array([1, BEYOND, BEYOND]))
    assert stock_shortages(pb, np.array([2, 2, BEYOND])) == []
    assert stock_shortages(pb, np.array([2, 2, 3]))  # the third unit is never there
    best, _ = _brute(pb)
    assert_allclose(solve_milp(pb).objective, best, rtol=1e-7)


def test_diagnosis_names_part_quantity_date_and_lead_time() -> None:
    # three must-do jobs allowed only in periods 0..2, one unit on hand, lead time 45 days
    pb = _problem(n=3, n_t=6, on_hand=1.0, lead_days=45.0, must=True)
    allowed = np.zeros((3, 6), dtype=bool)
    allowed[:, :3] = True
    pb = replace(pb, allowed=allowed)
    msgs = must_do_shortages(pb)
    assert len(msgs) == 1
    msg = msgs[0]
    assert "part P1" in msg and "3 needed by 2027-01-06" in msg
    assert "1 on hand" in msg and "lead time 45 days" in msg
    for method in ("milp", "lagrange"):
        plan = solve(pb, method=method)
        assert plan.status is Status.INFEASIBLE
        assert any("part P1" in m for m in plan.diagnosis)


def test_auto_and_stockless_backends_respect_stock() -> None:
    pb = _problem(n=4, n_t=6, on_hand=1.0, lead_days=3.0)
    best, _ = _brute(pb)
    auto = solve(pb)
    assert auto.method == "milp" and "stock" in auto.log[0]
    assert_allclose(auto.objective, best, rtol=1e-7)
    for method in ("dp", "cpsat", "lagrange"):
        plan = solve(pb, method=method, time_limit_s=10)
        assert plan.feasible, method
        assert violations(pb, plan.period) == [], method
        assert plan.lower_bound <= best + 1e-6, method
        assert plan.objective >= best - 1e-6, method
        assert_allclose(plan.objective, evaluate(pb, plan.period)["total"], rtol=1e-9)


def test_fifo_available_on_and_serves() -> None:
    pb = _problem(n=4, n_t=6, on_hand=1.0, lead_days=2.0, cost_order=0.0)
    per = np.array([0, 2, 3, BEYOND])
    pp = purchase_plan(pb, per)
    assert pp.feasible
    # the unit on hand serves period 0; zero order cost -> one order per use
    assert_allclose(pp.available_period, [0, 2, 3, -1])
    served = sorted(i for o in pp.orders for i in o.serves)
    assert served == [1, 2]


def test_scenario_parts_and_purchase_orders(tmp_path: Any) -> None:
    from optimizer.loading import load_scenario
    from optimizer.planning.pipeline import plan_scenario
    from optimizer.problem.build import build_problem

    scn = load_scenario("scenarios/windfarm.yaml")
    b = build_problem(scn)
    parts = b.problem.parts
    assert parts is not None and b.problem.has_parts
    gbx = parts.part_ids.index("GBX-3MW")
    spec = scn.part("GBX-3MW")
    assert parts.on_hand[gbx] + parts.arrivals[gbx].sum() >= spec.on_hand
    assert_allclose(parts.lead_time_days[gbx], spec.lead_time_days)
    res = plan_scenario(scn, time_limit_s=20)
    assert res.plan.feasible
    assert violations(b.problem, res.plan.period) == []
    d = res.as_dict()
    assert {"ordering", "expediting", "holding"} <= set(d["cost_split"])
    for po in d["purchase_orders"]:
        assert po["serves"], po
    for wo in d["work_orders"]:
        for m in wo["materials"]:
            assert m["available_on"] is not None
            assert m["available_on"] <= wo["scheduled_start"][:10]


def test_risk_cap_binds() -> None:
    """``max_p_fail`` moves the replacement earlier than the unconstrained optimum.

    The cap is set to half the risk the unconstrained plan accepts for its riskiest job,
    so it binds by construction."""
    from optimizer.loading import load_scenario
    from optimizer.problem.build import build_problem

    scn = load_scenario("scenarios/conveyor.yaml")
    base = build_problem(scn, parts=False).problem
    free = solve(base, method="milp")
    b0 = build_problem(scn, parts=False)
    fm = b0.fleet
    t_op = (
        np.arange(base.n_periods)
        * float(scn.calendar.period_days)
        * fm.operating_h_per_day[:, None]
    )
    p = np.array([fm.residual[i].cdf(t_op[i]) for i in range(base.n_components)])
    # pick the component whose unconstrained plan has the highest P(fail before it)
    done = np.flatnonzero(free.period >= 0)
    risk = p[done, free.period[done]]
    i = int(done[np.argmax(risk)])
    assert risk.max() > 0, "the unconstrained plan should accept some failure risk"
    cap = float(risk.max()) / 2
    doc = scn.model_dump(mode="json")
    for site in doc["fleet"]["sites"]:
        for system in site["systems"]:
            for comp in system["components"]:
                if comp["id"] == base.component_ids[i]:
                    comp["max_p_fail"] = cap
    from optimizer.loading import parse_scenario

    capped = build_problem(parse_scenario(doc), parts=False).problem
    plan = solve(capped, method="milp")
    t = int(plan.period[i])
    assert t >= 0 and p[i, t] <= cap + 1e-12
    assert t < int(free.period[i])


def test_stock_rows_only_at_event_periods_and_exact() -> None:
    """Stock rows exist only at period 0, arrivals and the periods jobs may use; orders
    only in job periods.  The MILP on that model still matches enumeration, and the
    column vector of any plan (its Wagner-Whitin orders) satisfies every row and costs
    what ``evaluate`` says."""
    from optimizer.solvers.model import build_direct_model, stock_columns

    n_t = 12
    arrivals = np.zeros((1, n_t))
    arrivals[0, 5] = 1.0
    pb = _problem(n=3, n_t=n_t, on_hand=0.0, lead_days=2.0, arrivals=arrivals, seed=4)
    allowed = np.zeros((3, n_t), dtype=bool)
    allowed[0, [1, 2, 9]] = True
    allowed[1, [2, 7]] = True
    allowed[2, [7, 10]] = True
    pb = replace(pb, allowed=allowed)
    model = build_direct_model(pb)
    assert model.stock is not None
    # events: 0, arrival 5, job periods 1 2 7 9 10; orders from period 2 (lead) on
    assert_allclose(model.stock.stock_period, [0, 1, 2, 5, 7, 9, 10])
    assert_allclose(model.stock.order_period, [2, 7, 9, 10])
    # M[p, a]: units of the jobs with a column in a or later (C0 C1 C2, C0 C1 C2, C0 C2, C2)
    assert_allclose(model.stock.order_big, [3, 3, 2, 1])
    best, _ = _brute(pb)
    plan = solve_milp(pb)
    assert_allclose(plan.objective, best, rtol=1e-9)
    assert_allclose(plan.lower_bound, best, rtol=1e-6)
    n_x = model.index.n_x
    for combo in itertools.product(*[[-1, *np.flatnonzero(allowed[i])] for i in range(3)]):
        per = np.array(combo, dtype=np.int64)
        if violations(pb, per):
            continue  # a stock-out no order can prevent
        cost = evaluate(pb, per)["total"]
        v = model.columns_from_period(per)
        v[model.parts_cols[0] :] = stock_columns(pb, model, per)  # type: ignore[index]
        a = model.matrix @ v
        assert np.all(a >= model.row_lb - 1e-9) and np.all(a <= model.row_ub + 1e-9), per
        assert_allclose(model.cost @ v, cost, rtol=1e-9)
        assert v[:n_x].sum() == (per >= 0).sum()
