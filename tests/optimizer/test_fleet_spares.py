"""Shared spare stock priced at failure (issue 13, cause 8) against the simulator and
closed forms.

Tolerance rule of the statistical checks: ``|mean - reference| <= 3 sd / sqrt(R)`` over
``R`` independent replications, plus the finite-source bias stated in each test.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
from numpy.testing import assert_allclose
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent / "sim"))
from sim_scenarios import component, scenario, system

from optimizer.fleet import failure_part_wait, fleet_model, part_demand_rates
from optimizer.scenario import Scenario
from optimizer.sim.engine import kpi_names, run_replication
from optimizer.sim.model import compile_model
from optimizer.sim.strategies import make_policy
from optimizer.sim.twin import Twin


def _shared_fleet(n: int, *, life_mean_h: float, on_hand: int, **part: Any) -> Scenario:
    """``n`` single-component systems, exponential lives, one shared part ``P``."""
    comps = [
        component(f"C{j}", life={"distribution": "exponential", "mean_h": life_mean_h}, spare="P")
        for j in range(n)
    ]
    spec = {
        "id": "P",
        "on_hand": on_hand,
        "lead_time_days": 30.0,
        "cost_unit": 1000.0,
        "holding_rate_per_year": 0.0,
        **part,
    }
    return scenario([system(f"S{j}", [c], value=100.0) for j, c in enumerate(comps)], parts=[spec])


def _simulated_wait_per_failure(scn: Scenario, years: float, reps: int) -> np.ndarray:
    model = compile_model(scn, years=years)
    policy = make_policy("run-to-failure")
    twin = Twin("none")
    policy.prepare(model, twin)
    names = kpi_names(model)
    out = [run_replication(model, policy, twin, 11, r)[0] for r in range(reps)]
    wait = np.array([k[names.index("stockout_h")] for k in out])
    fails = np.array([k[names.index("failures")] for k in out])
    return wait / fails


def test_shared_stock_of_one_prices_the_part_wait_the_simulator_sees() -> None:
    """40 positions (exponential lives, mean 40,000 h, run to failure) share one spare
    with a 30-day lead time, order-on-use.  The fleet model (on today's main: 0 h, since
    one unit is "stocked") must price the mean part wait the simulator measures per
    failure.  Reference closed form (independent of the code under test): METRIC's
    ``EBO(1) / lambda`` with ``lambda = 40 / 40,000`` per hour, ``L = 720`` h
    (Sherbrooke, ch. 2; Little's law).  A down position does not fail, so the simulated
    demand is a few per cent below Poisson (finite source): 6 % relative slack."""
    n, life, lead_h = 40, 40_000.0, 720.0
    scn = _shared_fleet(n, life_mean_h=life, on_hand=1)
    lam = n / life
    x = np.arange(100)
    pois = stats.poisson(lam * lead_h)
    ebo = float(np.sum(np.maximum(x - 1, 0) * pois.pmf(x)))
    reference = ebo / lam
    assert_allclose(part_demand_rates(scn)["P"], lam, rtol=1e-12)
    fm = fleet_model(scn)
    wait_model = failure_part_wait(scn, scn.components()[0])[0]
    assert_allclose(wait_model, reference, rtol=1e-9)
    # the wait is lost production (100 EUR/h; no response delay, no repair time)
    assert_allclose(fm.cost_cm_downtime, 100.0 * reference, rtol=1e-9)
    sim = _simulated_wait_per_failure(scn, years=8.0, reps=12)
    half = 3.0 * sim.std(ddof=1) / np.sqrt(len(sim))
    assert abs(sim.mean() - wait_model) <= half + 0.06 * wait_model, (sim.mean(), wait_model)


def test_expedited_shortfall_matches_the_simulator() -> None:
    """Same fleet with an expedited delivery of 5 days (premium 400 per unit): a failure
    finding the shelf empty waits ``min(5 d, time to the covering order)``.  Checked
    against a Monte Carlo of the M/D/infinity pipeline drawn here with numpy (Poisson
    count, uniform residual lead times, FIFO) and against the simulator (12 % slack:
    finite source, and expedited orders shorten the pipeline the closed form assumes)."""
    n, life = 40, 40_000.0
    scn = _shared_fleet(
        n, life_mean_h=life, on_hand=1, expedite_lead_time_days=5.0, cost_expedite_premium=400.0
    )
    wait_model, premium = failure_part_wait(scn, scn.components()[0])
    rng = np.random.default_rng(5)
    lam, lead_h, exp_h = n / life, 720.0, 120.0
    counts = rng.poisson(lam * lead_h, 400_000)
    w = np.zeros(counts.size)
    expedited = np.zeros(counts.size, dtype=bool)
    for i in np.flatnonzero(counts >= 1):
        resid = np.sort(rng.uniform(0.0, lead_h, counts[i]))
        cover = resid[counts[i] - 1]  # k = n - S + 1 = n-th arrival with S = 1
        w[i] = min(exp_h, cover)
        expedited[i] = exp_h < cover
    half = 3.0 * w.std() / np.sqrt(w.size)
    assert abs(wait_model - w.mean()) <= half, (wait_model, w.mean())
    assert_allclose(premium, 400.0 * expedited.mean(), atol=400.0 * 3 * 0.5 / np.sqrt(w.size))
    sim = _simulated_wait_per_failure(scn, years=8.0, reps=12)
    half = 3.0 * sim.std(ddof=1) / np.sqrt(len(sim))
    assert abs(sim.mean() - wait_model) <= half + 0.12 * wait_model, (sim.mean(), wait_model)


def test_ample_and_s_S_stock() -> None:
    """An ample stock prices no wait; an (s, S) policy averages the base-stock wait over
    the inventory positions ``s + 1 .. S`` (uniform under unit Poisson demand)."""
    ample = _shared_fleet(4, life_mean_h=40_000.0, on_hand=20)
    assert failure_part_wait(ample, ample.components()[0])[0] < 1e-9
    ss = _shared_fleet(
        40, life_mean_h=40_000.0, on_hand=2, reorder={"policy": "s_S", "s": 0, "S": 2}
    )
    lam, lead_h = 40 / 40_000.0, 720.0
    x = np.arange(100)
    pmf = stats.poisson(lam * lead_h).pmf(x)
    ref = np.mean([np.sum(np.maximum(x - s, 0) * pmf) / lam for s in (1, 2)])
    assert_allclose(failure_part_wait(ss, ss.components()[0])[0], ref, rtol=1e-9)


def test_planned_replacements_draw_on_the_shared_stock() -> None:
    """Wear-out parts (Weibull shape 3, scale 20,000 h) on 20 positions share one spare
    (30-day lead time, order-on-use): their age replacement at ``T*`` takes units from
    the same shelf, so a failure's wait is that of all the demand, ``1 / integral_0^T S``
    per position (renewal-reward), not of the failures alone (``1 / MTTF``; the fleet
    model before the plant follow-up of issue 13).  Reference, independent of the code:
    the demand by quadrature, METRIC's ``EBO(1) / lambda`` by a Poisson sum, and ``T*``
    checked as the age-replacement optimum at the failure cost that wait implies (the
    fixed point demand -> wait -> failure cost -> ``T*``) by scipy."""
    from scipy import integrate, optimize

    n, scale, lead_h = 20, 20_000.0, 720.0
    comps = [
        component(
            f"C{j}",
            life={"distribution": "weibull", "shape": 3.0, "scale_h": scale},
            spare="P",
            cost_pm_other=100.0,
            cost_cm_other=1000.0,
        )
        for j in range(n)
    ]
    spec = {
        "id": "P",
        "on_hand": 1,
        "lead_time_days": 30.0,
        "cost_unit": 1000.0,
        "holding_rate_per_year": 0.0,
    }
    scn = scenario([system(f"S{j}", [c], value=100.0) for j, c in enumerate(comps)], parts=[spec])
    fm = fleet_model(scn)
    life = stats.weibull_min(3.0, scale=scale)
    t_star = fm.policy[0].t_star
    assert 3_000.0 < t_star < 15_000.0  # a finite optimum: planned demand is real
    cycle = integrate.quad(life.sf, 0.0, t_star)[0]
    lam = n / cycle
    assert lam > 1.5 * n / life.mean()  # much more than the failures alone
    x = np.arange(200)
    ebo = float(np.sum(np.maximum(x - 1, 0) * stats.poisson(lam * lead_h).pmf(x)))
    wait = ebo / lam
    # the wait is lost production at 100 EUR/h (no response delay, no repair time)
    assert_allclose(fm.cost_cm_downtime, 100.0 * wait, rtol=1e-5)
    assert_allclose(part_demand_rates(scn, [t_star] * n)["P"], lam, rtol=1e-6)
    # the failures-only wait is much shorter (what the fleet model priced before)
    lam_f = n / life.mean()
    ebo_f = float(np.sum(np.maximum(x - 1, 0) * stats.poisson(lam_f * lead_h).pmf(x)))
    assert wait > 1.5 * ebo_f / lam_f
    # and T* is the age-replacement optimum at the failure cost with that wait
    cp, cf = fm.cost_pm_individual[0], fm.cost_cm[0]
    assert_allclose(cf, fm.cost_cm_direct[0] + 100.0 * wait, rtol=1e-5)

    def rate(t: float) -> float:
        return (cp * life.sf(t) + cf * life.cdf(t)) / integrate.quad(life.sf, 0.0, t)[0]

    best = optimize.minimize_scalar(rate, bounds=(500.0, 40_000.0), method="bounded")
    assert_allclose(t_star, best.x, rtol=2e-3)
