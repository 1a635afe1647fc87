"""The reports' tables against the simulator's own tables and hand computations.

Independent paths: ``Comparison.table()`` / ``Comparison.paired()`` (the simulator's
DataFrames) for every number the report annualizes; the cost categories against the
simulator's ``cost_total`` (an accounting identity the stacked bars rely on); brute-force
filters for the work-order tables; hand-built comparisons for the headline's branches.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optimizer.planning.pipeline import PlanResult
from optimizer.report import data
from optimizer.report.formatting import COST_CATEGORIES
from optimizer.scenario import Scenario
from optimizer.sim.simulate import Comparison, SimulationResult
from optimizer.sim.stats import Estimate, mean_ci


def _kpi(cmp: Comparison, strategy: str, kpi: str, col: str = "mean") -> float:
    t = cmp.table()
    return float(t[(t["strategy"] == strategy) & (t["kpi"] == kpi)][col].iloc[0])


def _diff(cmp: Comparison, strategy: str, kpi: str, col: str = "mean") -> float:
    p = cmp.paired()
    return float(p[(p["strategy"] == strategy) & (p["kpi"] == kpi)][col].iloc[0])


def test_strategy_summary_annualizes_the_simulator_table(conveyor_cmp: Comparison) -> None:
    summ = data.strategy_summary(conveyor_cmp).set_index("strategy")
    years = 2.0
    assert list(summ.index) == list(conveyor_cmp.results)
    for s in summ.index:
        for col, kpi in [("cost_per_year", "cost_total"), ("failures_per_year", "failures")]:
            for suffix, tcol in [("", "mean"), ("_ci_low", "ci_low"), ("_ci_high", "ci_high")]:
                assert_allclose(summ.loc[s, col + suffix], _kpi(conveyor_cmp, s, kpi, tcol) / years)
        # Fractions are not divided by the years.
        assert_allclose(summ.loc[s, "availability"], _kpi(conveyor_cmp, s, "availability_fleet"))
        if s == conveyor_cmp.baseline:
            assert summ.loc[s, "saving_per_year"] == 0.0
            continue
        # Saving = -(strategy - baseline); the interval bounds swap.
        assert_allclose(
            summ.loc[s, "saving_per_year"], -_diff(conveyor_cmp, s, "cost_total") / years
        )
        assert_allclose(
            summ.loc[s, "saving_per_year_ci_low"],
            -_diff(conveyor_cmp, s, "cost_total", "ci_high") / years,
        )
        assert_allclose(
            summ.loc[s, "saving_per_year_ci_high"],
            -_diff(conveyor_cmp, s, "cost_total", "ci_low") / years,
        )
        assert summ.loc[s, "saving_significant"] == bool(
            conveyor_cmp.paired()
            .query("strategy == @s and kpi == 'cost_total'")["significant"]
            .iloc[0]
        )


def test_cost_categories_add_up_to_the_total(conveyor_cmp: Comparison) -> None:
    bd = data.cost_breakdown_frame(conveyor_cmp)
    keys = [k for k, _, _ in COST_CATEGORIES]
    # Every cost KPI of the simulator is in exactly one category.
    kpis = [k for _, _, ks in COST_CATEGORIES for k in ks]
    sim_cost = {
        k for k in conveyor_cmp.table()["kpi"] if k.startswith("cost_") and k != "cost_total"
    }
    assert sorted(kpis) == sorted(sim_cost)
    for r in bd.to_dict("records"):
        total = _kpi(conveyor_cmp, r["strategy"], "cost_total") / 2.0
        assert_allclose(sum(r[k] for k in keys), total, rtol=1e-9)
        assert_allclose(r["total"], total)


def test_paired_frame_matches_paired_table(conveyor_cmp: Comparison) -> None:
    pf = data.paired_frame(conveyor_cmp)
    assert set(pf["strategy"]) == set(conveyor_cmp.results) - {conveyor_cmp.baseline}
    for r in pf.to_dict("records"):
        scale = 1.0 if r["kpi"] == "availability_fleet" else 0.5
        assert_allclose(r["difference"], _diff(conveyor_cmp, r["strategy"], r["kpi"]) * scale)
        assert_allclose(r["ci_low"], _diff(conveyor_cmp, r["strategy"], r["kpi"], "ci_low") * scale)
        sig = _diff(conveyor_cmp, r["strategy"], r["kpi"], "significant")
        assert r["significant"] == bool(sig)
        assert r["verdict"] == ("real" if sig else "noise")


def test_comparison_long_holds_every_kpi(conveyor_cmp: Comparison) -> None:
    long = data.comparison_long(conveyor_cmp)
    t = conveyor_cmp.table()
    assert len(long) == len(t)
    merged = long.merge(t, on=["strategy", "kpi"], suffixes=("", "_sim"))
    assert_allclose(merged["mean"], merged["mean_sim"])
    assert_allclose(merged["ci_high"], merged["ci_high_sim"])
    frac = merged["kpi"].map(data.is_fraction)
    assert_allclose(merged["mean_per_year"][frac], merged["mean"][frac])
    assert_allclose(merged["mean_per_year"][~frac], merged["mean"][~frac] / 2.0)
    base = long[long["strategy"] == conveyor_cmp.baseline]
    assert base["diff_vs_baseline"].isna().all()
    other = long[long["strategy"] != conveyor_cmp.baseline].merge(
        conveyor_cmp.paired(), on=["strategy", "kpi"]
    )
    assert_allclose(other["diff_vs_baseline"], other["mean_y"])


def test_headline_recommends_the_cheapest(conveyor_cmp: Comparison) -> None:
    h = data.headline(conveyor_cmp)
    t = conveyor_cmp.table()
    costs = t[t["kpi"] == "cost_total"].set_index("strategy")["mean"]
    assert h.recommended == costs.idxmin()
    assert_allclose(h.cost_per_year[0], costs.min() / 2.0)
    assert h.baseline == "run-to-failure"
    assert "95% CI" in h.sentence and "Recommendation" in h.sentence
    assert 0.0 <= h.availability[1] <= h.availability[0] <= h.availability[2] <= 1.0


# --------------------------------------------------------------------------------------
# hand-built comparisons: the headline's branches
# --------------------------------------------------------------------------------------
def _result(name: str, costs: np.ndarray, avail: np.ndarray, years: float) -> SimulationResult:
    kpis = {
        "cost_total": mean_ci(costs),
        "availability_fleet": mean_ci(avail),
        "failures": mean_ci(np.ones_like(costs)),
    }
    return SimulationResult(name, {}, kpis, len(costs), 7, years, "good", "EUR", 0.0)


def _comparison(costs: dict[str, np.ndarray], baseline: str, years: float = 4.0) -> Comparison:
    rng = np.random.default_rng(5)
    results = {
        s: _result(s, c, np.clip(0.97 + 0.001 * rng.standard_normal(c.size), 0, 1), years)
        for s, c in costs.items()
    }
    diffs = {
        s: {"cost_total": mean_ci(c - costs[baseline])} for s, c in costs.items() if s != baseline
    }
    return Comparison(results, baseline, diffs)


def test_headline_real_saving_matches_hand_computation() -> None:
    rng = np.random.default_rng(1)
    base = 1_000_000 + 50_000 * rng.standard_normal(30)
    cheaper = base - 200_000 + 5_000 * rng.standard_normal(30)
    cmp = _comparison({"run-to-failure": base, "prescriptive": cheaper}, "run-to-failure")
    h = data.headline(cmp)
    assert h.recommended == "prescriptive"
    d = cheaper - base
    n = d.size
    half = 2.045229642132703 * d.std(ddof=1) / math.sqrt(n)  # t_{0.975, 29}
    assert_allclose(h.saving_per_year[0], -d.mean() / 4.0)
    assert_allclose(h.saving_per_year[1], -(d.mean() + half) / 4.0, rtol=1e-9)
    assert_allclose(h.saving_per_year[2], -(d.mean() - half) / 4.0, rtol=1e-9)
    assert h.saving_significant
    assert "saves 50.0 thousand EUR a year" in h.sentence
    assert not any("not statistically significant" in note for note in h.notes)


def test_headline_flags_a_saving_within_noise() -> None:
    rng = np.random.default_rng(2)
    base = 1_000_000 + 50_000 * rng.standard_normal(6)
    z = 60_000 * rng.standard_normal(6)
    noisy = base - 1_000 + (z - z.mean())  # 1,000 cheaper on average, very noisy
    cmp = _comparison({"run-to-failure": base, "predictive": noisy}, "run-to-failure")
    h = data.headline(cmp)
    assert h.recommended == "predictive"
    assert_allclose(h.saving_per_year[0], 1_000 / 4.0)
    assert h.saving_per_year[1] < 0 < h.saving_per_year[2]
    assert not h.saving_significant
    assert any("not statistically significant" in note for note in h.notes)


def test_headline_keeps_the_baseline_when_it_is_cheapest() -> None:
    base = np.array([100.0, 110.0, 90.0, 105.0])
    cmp = _comparison({"run-to-failure": base, "optimal-age": base + 50.0}, "run-to-failure")
    h = data.headline(cmp)
    assert h.recommended == "run-to-failure"
    assert h.sentence.startswith("Recommendation: keep Run to failure")
    assert h.saving_per_year == (0.0, 0.0, 0.0)


def test_years_must_be_positive() -> None:
    cmp = _comparison({"run-to-failure": np.array([1.0, 2.0])}, "run-to-failure", years=0.0)
    with pytest.raises(ValueError, match="years"):
        data.strategy_summary(cmp)


# --------------------------------------------------------------------------------------
# plan tables
# --------------------------------------------------------------------------------------
def test_work_orders_frame_matches_the_orders(plant_plan: PlanResult) -> None:
    df = data.work_orders_frame(plant_plan)
    assert list(df["id"]) == [w.id for w in plant_plan.orders]
    assert_allclose(df["expected_cost"], [w.expected_cost for w in plant_plan.orders])
    assert all(
        r.startswith(w.reasons[0]) for r, w in zip(df["reasons"], plant_plan.orders, strict=True)
    )
    for crew, w in zip(df["crew"], plant_plan.orders, strict=True):
        for lab in w.labor:
            assert f"{lab.skill} × {lab.qty}" in crew


@pytest.mark.parametrize("days", [1.0, 7.0, 30.0, 200.0])
def test_next_work_orders_is_a_window_filter(plant_plan: PlanResult, days: float) -> None:
    t0 = plant_plan.built.problem.start
    expect = [
        w.id
        for w in plant_plan.orders
        if t0 <= datetime.fromisoformat(w.scheduled_start) < t0 + timedelta(days=days)
    ]
    got = data.next_work_orders(plant_plan, days)
    assert list(got["id"]) == expect


def test_next_work_orders_rejects_bad_days(plant_plan: PlanResult) -> None:
    for bad in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="days"):
            data.next_work_orders(plant_plan, bad)


def test_groups_and_deferred_frames(plant_plan: PlanResult) -> None:
    g = data.groups_frame(plant_plan)
    assert g["jobs"].sum() == len(plant_plan.orders)
    assert set(g["group_id"]) == {w.group_id for w in plant_plan.orders}
    d = data.deferred_frame(plant_plan)
    assert len(d) == len(plant_plan.deferred)
    assert (np.diff(d["p_fail_within_horizon"].to_numpy()) <= 0).all()


def test_assumptions_name_the_settings(
    conveyor_scn: Scenario, conveyor_cmp: Comparison, conveyor_plan: PlanResult
) -> None:
    a = data.assumptions_frame(
        conveyor_scn, result=conveyor_plan, cmp=conveyor_cmp, scenario_file="x.yaml"
    )
    items = dict(zip(a["item"], a["value"], strict=False))
    assert items["Replications"] == "8"
    assert items["Seed"] == "11"
    assert items["Simulated years"] == "2"
    assert items["File"] == "x.yaml"
    assert "opportune" not in items["Libraries"] and "plotly" in items["Libraries"]
    assert set(a["section"]) >= {"Scenario", "Planning", "Simulation", "Strategies", "Costs"}


def test_twin_value_frame(conveyor_twin: data.TwinStudy) -> None:
    f = data.twin_value_frame(conveyor_twin)
    assert list(f["twin_accuracy"]) == ["none", "poor", "good", "perfect"]
    assert f["current"].sum() == 1 and f.loc[f["current"], "twin_accuracy"].item() == "good"
    for r in f.to_dict("records"):
        res = conveyor_twin.results[r["twin_accuracy"]]
        assert_allclose(r["cost_per_year"], res.kpis["cost_total"].mean / res.years)
        assert res.replications == 8 and res.seed == 11


def test_is_fraction_and_units() -> None:
    assert data.is_fraction("availability[L1]") and data.is_fraction("crew_utilization[x]")
    assert not data.is_fraction("failures")
    assert data.kpi_unit("cost_setup", "EUR") == "EUR"
    assert data.kpi_unit("downtime_planned_h", "EUR") == "h"
    assert data.kpi_unit("stockouts", "EUR") == "count"


def test_estimate_nan_intervals_do_not_break_tables() -> None:
    one = Estimate(10.0, math.nan, math.nan, math.nan, 1)
    res = SimulationResult(
        "run-to-failure",
        {},
        {"cost_total": one, "availability_fleet": Estimate(0.9, math.nan, math.nan, math.nan, 1)},
        1,
        1,
        1.0,
        "good",
        "EUR",
        0.0,
    )
    cmp = Comparison({"run-to-failure": res}, "run-to-failure", {})
    s = data.strategy_summary(cmp)
    assert math.isnan(s["cost_per_year_ci_low"].iloc[0])
    assert isinstance(data.comparison_long(cmp), pd.DataFrame)
    h = data.headline(cmp)
    assert "n/a" in h.sentence
