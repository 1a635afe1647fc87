"""One cost language: every headline cost equals the sum of its breakdown (issue 12, item 4)."""

from __future__ import annotations

import json

import pytest

from optimizer.cli import KPI_ROWS
from optimizer.planning.pipeline import PlanResult
from optimizer.planning.workorders import reconcile
from optimizer.scenario import Scenario
from optimizer.sim.simulate import simulate


def test_plan_json_cost_split_sums_to_objective(bundled_plan: PlanResult) -> None:
    res = bundled_plan  # the suite's shared plan of each bundled scenario
    d = json.loads(json.dumps(res.as_dict(), default=str))
    assert res.plan.feasible
    split = d["cost_split"]
    assert "total" not in split
    assert sum(split.values()) == pytest.approx(d["objective"], rel=1e-9)
    if res.built.problem.has_parts and res.plan.replacements is None:
        # purchasing appears term by term, never as one lump
        assert {"ordering", "expediting", "holding"} <= set(split)
        assert "purchasing" not in split
    # the openings' cost in two terms: set-up and production lost (never one lump)
    assert {"setup", "production_loss"} <= set(split) and "opening" not in split
    assert split["setup"] >= 0.0 and split["production_loss"] >= 0.0
    pb = res.built.problem
    assert pb.setup_cost is not None
    assert split["setup"] == pytest.approx(
        sum(
            float(pb.setup_cost[pb.system_ids.index(g.unit), _period(res, g.group_id)])
            for g in res.groups
        ),
        rel=1e-9,
        abs=1e-9,
    )
    if res.plan.replacements is None:
        # work orders + deferred risk + purchasing = headline
        rec = reconcile(res.orders, res.deferred, split)
        assert rec["total"] == pytest.approx(d["objective"], rel=1e-9)
        assert sum(w["expected_cost"] for w in d["work_orders"]) == pytest.approx(
            rec["work_orders"], abs=0.005 * max(len(d["work_orders"]), 1)
        )
    budget = d["budget"]
    assert budget["total"] == pytest.approx(
        sum(v for k, v in budget.items() if k != "total"), rel=1e-9
    )
    # the budget pays each planned job's direct cost; the objective does not
    assert budget["preventive_work"] > 0.0
    assert "objective" in d["cost_basis"] and "budget" in d["cost_basis"]


def _period(res: PlanResult, gid: str) -> int:
    pb = res.built.problem
    day = gid.rsplit("@", 1)[1]
    return next(t for t in range(pb.n_periods) if f"{pb.local_period_start(t):%Y-%m-%d}" == day)


def test_simulate_table_lines_sum_to_total(bundled: Scenario) -> None:
    res = simulate(bundled, "optimal-age", replications=2, years=1.0, seed=3, workers=1)
    money = [k for k, _, kind in KPI_ROWS if kind == "money"]
    assert money[0] == "cost_total"
    lines = sum(res.kpis[k].mean for k in money[1:] if k in res.kpis)
    assert lines == pytest.approx(res.kpis["cost_total"].mean, rel=1e-9)
    assert res.kpis["cost_total"].mean > 0.0
