"""Rotable (repairable) spares against closed forms and a CTMC (issue 17).

Tolerance rule of the statistical checks: ``|mean - reference| <= 3 sd / sqrt(R)`` over
``R`` independent replications.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, scenario, system

from optimizer.scenario import Scenario
from optimizer.sim.engine import kpi_names, run_replication
from optimizer.sim.model import compile_model
from optimizer.sim.strategies import make_policy
from optimizer.sim.twin import Twin

H_PER_YEAR = 8760.0


def _within(values: Any, reference: float) -> None:
    v = np.asarray(values, dtype=float)
    half = 3.0 * v.std(ddof=1) / np.sqrt(len(v))
    assert abs(v.mean() - reference) <= max(half, 1e-12), (v.mean(), reference, half)


def _rotable_fleet(
    n: int, *, life_mean_h: float, shop: dict[str, Any], on_hand: int, **part: Any
) -> Scenario:
    comps = [
        component(
            f"C{j}",
            life={"distribution": "exponential", "mean_h": life_mean_h},
            spare="R",
            cost_cm_other=0.0,
        )
        for j in range(n)
    ]
    spec = {
        "id": "R",
        "on_hand": on_hand,
        "lead_time_days": 30.0,
        "cost_unit": 1000.0,
        "cost_order": 50.0,
        "holding_rate_per_year": 0.0,
        "repairable": shop,
        **part,
    }
    return scenario([system(f"S{j}", [c]) for j, c in enumerate(comps)], parts=[spec])


def _run(scn: Scenario, years: float, reps: int, *, events: bool = False) -> Any:
    model = compile_model(scn, years=years)
    policy = make_policy("run-to-failure")
    twin = Twin("none")
    policy.prepare(model, twin)
    names = kpi_names(model)
    out = [run_replication(model, policy, twin, 11, r, keep_events=events) for r in range(reps)]
    kpis = {name: np.array([k[j] for k, _ in out]) for j, name in enumerate(names)}
    return model, kpis, [ev for _, ev in out]


def test_palm_theorem_units_in_repair_and_metric_backorders() -> None:
    """Palm's theorem: Poisson demand (rate ``lam``) into a shop with unlimited channels
    and any repair-time law of mean ``T`` keeps ``Poisson(lam T)`` units in repair.  So a
    base stock ``S`` has METRIC's expected backorders
    ``EBO(S) = sum_{x > S} (x - S) p(x)`` and fill rate ``P(X <= S - 1)`` (Sherbrooke,
    *Optimal Inventory Modeling of Systems*, ch. 2).  The stock is ample (no stock-out,
    so the demand is exactly Poisson); the pipeline is read off the event log and
    ``EBO`` / fill of a stock ``S`` computed from it.  Repair times lognormal (mean 100 h):
    the result only depends on the mean (insensitivity)."""
    n, life, median, sigma = 20, 1000.0, 100.0, 0.5
    mean_rep = median * np.exp(0.5 * sigma**2)
    shop = {"duration_h": {"distribution": "lognormal", "median_h": median, "sigma": sigma}}
    scn = _rotable_fleet(n, life_mean_h=life, shop=shop, on_hand=60)
    years, reps, warm = 3.0, 16, 2000.0
    model, kpis, evs = _run(scn, years, reps, events=True)
    assert np.all(kpis["stockouts"] == 0.0)
    assert np.all(kpis["cost_spares_ordering"] == 0.0)  # repairs replenish, nothing bought
    horizon = model.horizon_h
    lam_t = n / life * mean_rep
    pois = stats.poisson(lam_t)
    x = np.arange(200)
    stocks = (0, 1, 2, 3, 4)
    ebo: dict[int, list[float]] = {s: [] for s in stocks}
    fill: dict[int, list[float]] = {s: [] for s in stocks}
    mean_in_repair = []
    for ev in evs:
        rows = [(t, +1) for _, t, e, _, _, _ in ev if e == "failure"]
        rows += [(t, -1) for _, t, e, _, _, _ in ev if e == "repaired_unit"]
        rows.sort(key=lambda r: (r[0], -r[1]))  # a unit fails before one returns
        t = np.array([r[0] for r in rows])
        level = np.cumsum([r[1] for r in rows])
        before = np.concatenate([[0], level[:-1]])
        # time average of f(pipeline) over [warm, horizon]
        edges = np.clip(np.append(t, horizon), warm, horizon)
        dt = np.diff(edges)
        mean_in_repair.append(float(np.sum(level * dt)) / (horizon - warm))
        fails = (np.array([r[1] for r in rows]) > 0) & (t >= warm)
        for s in stocks:
            ebo[s].append(float(np.sum(np.maximum(level - s, 0) * dt)) / (horizon - warm))
            fill[s].append(float(np.mean(before[fails] < s)))
    _within(mean_in_repair, lam_t)
    for s in stocks:
        _within(ebo[s], float(np.sum(np.maximum(x - s, 0) * pois.pmf(x))))
        _within(fill[s], float(pois.cdf(s - 1)) if s > 0 else 0.0)


def _machine_repair_ctmc(n: int, spares: int, channels: int, lam: float, mu: float) -> Any:
    """Stationary law of the units out (failed or in repair) in Ross's machine-repair
    model with spares: ``n`` machines needed, ``spares`` cold spares, ``channels``
    repairmen, lives Exp(lam) while working, repairs Exp(mu).  Solved with numpy."""
    m = n + spares
    q = np.zeros((m + 1, m + 1))
    for i in range(m + 1):
        working = n - max(i - spares, 0)
        if i < m:
            q[i, i + 1] = working * lam
        if i > 0:
            q[i, i - 1] = min(i, channels) * mu
        q[i, i] = -q[i].sum()
    a = np.vstack([q.T, np.ones(m + 1)])
    b = np.zeros(m + 2)
    b[-1] = 1.0
    pi, *_ = np.linalg.lstsq(a, b, rcond=None)
    return pi


@pytest.mark.parametrize(("n", "spares", "channels"), [(4, 1, 1), (5, 2, 2)])
def test_finite_shop_availability_matches_machine_repair_ctmc(
    n: int, spares: int, channels: int
) -> None:
    """``n`` components (each a system), ``spares`` rotable units on the shelf, a shop of
    ``channels`` parallel repairs: the fleet availability is the machine-repair CTMC's
    ``1 - E[(X - spares)^+] / n`` (Ross, *Introduction to Probability Models*, machine
    repair with spares); no unit is ever bought."""
    life, rep = 500.0, 150.0
    shop = {
        "duration_h": {"distribution": "exponential", "mean_h": rep},
        "channels": channels,
        "cost_repair": 200.0,
    }
    scn = _rotable_fleet(n, life_mean_h=life, shop=shop, on_hand=spares)
    pi = _machine_repair_ctmc(n, spares, channels, 1.0 / life, 1.0 / rep)
    x = np.arange(len(pi))
    expect = 1.0 - float(np.sum(np.maximum(x - spares, 0) * pi)) / n
    _, kpis, _ = _run(scn, 8.0, 12)
    _within(kpis["availability_fleet"], expect)
    assert np.all(kpis["cost_spares_ordering"] == 0.0)
    # every failure sends its unit to the shop: 200 per repair, in the corrective costs
    assert_allclose(kpis["cost_corrective"], 200.0 * kpis["failures"])


def test_scrapped_units_are_bought_by_the_reorder_policy() -> None:
    """Scrap probability 1: every removed unit is scrapped and the order-on-use policy
    buys one per failure (its unit price in the corrective costs)."""
    shop = {"duration_h": 100.0, "cost_repair": 200.0, "scrap_probability": 1.0}
    scn = _rotable_fleet(3, life_mean_h=400.0, shop=shop, on_hand=3, lead_time_days=1.0)
    _, kpis, evs = _run(scn, 0.5, 2, events=True)
    f = kpis["failures"]
    assert np.all(f > 5)
    orders = np.array([sum(1 for e in ev if e[2] == "order") for ev in evs])
    assert_allclose(orders, f)
    assert_allclose(kpis["cost_spares_ordering"], 50.0 * f)
    assert_allclose(kpis["cost_corrective"], 1000.0 * f)
    assert not any(e[2] == "repaired_unit" for ev in evs for e in ev)


def test_preventive_removals_go_to_the_shop_and_come_back() -> None:
    """Deterministic lives 100 h replaced preventively at 50 h (age policy via the
    fleet model is not needed: the optimal-age alarm fires before failure), a shop of
    one 10 h channel and one spare: no failure, no purchase, repair cost per removal."""
    shop = {"duration_h": 10.0, "channels": 1, "cost_repair": 30.0}
    comp = component(
        "C",
        life={"distribution": "weibull", "shape": 6.0, "scale_h": 400.0},
        spare="R",
        cost_cm_other=5000.0,
    )
    part = {
        "id": "R",
        "on_hand": 1,
        "lead_time_days": 30.0,
        "cost_unit": 1000.0,
        "cost_order": 50.0,
        "holding_rate_per_year": 0.0,
        "repairable": shop,
    }
    scn = scenario([system("S", [comp])], parts=[part])
    model = compile_model(scn, years=1.0)
    policy = make_policy("optimal-age")
    twin = Twin("none")
    policy.prepare(model, twin)
    names = kpi_names(model)
    k, ev = run_replication(model, policy, twin, 3, 0, keep_events=True)
    kp = dict(zip(names, k, strict=True))
    removals = sum(1 for e in ev if e[2] == "removal")
    repaired = sum(1 for e in ev if e[2] == "repaired_unit")
    assert removals > 5
    assert kp["cost_spares_ordering"] == 0.0
    assert repaired in (removals + kp["failures"], removals + kp["failures"] - 1)
    assert_allclose(kp["cost_preventive"], removals * (100.0 + 30.0))
