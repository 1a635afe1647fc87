"""Per-component costs and policies derived from scenarios, checked by hand."""

from __future__ import annotations

import math

import numpy as np
from numpy.testing import assert_allclose
from scipy import integrate, optimize, stats

from optimizer.fleet import fleet_model, mean_duration_h
from optimizer.scenario import LognormalSpec, Scenario


def _index(fm: object, cid: str) -> int:
    return [c.id for c in fm.components].index(cid)  # type: ignore[attr-defined]


def test_conveyor_gearbox_costs_by_hand(conveyor: Scenario) -> None:
    fm = fleet_model(conveyor)
    i = _index(fm, "C1-GBX")
    # PM: part GBX-25 3,800 + 6 h x 2 technicians x 65 EUR/h; no other cost.
    assert_allclose(fm.cost_pm[i], 3800 + 6 * 2 * 65)
    # Failure: part 3,800 (none on hand, one on order: a base stock of 1) +
    # 12 h x 2 x 65 x 1.5 (overtime) + call-out 250 + secondary damage 2,500, plus the
    # expected part wait and expedite premium of a base stock of 1 (issue 13, cause 8):
    # the only GBX-25 user renews at 1 / integral_0^T S per operating hour (failures
    # and its planned replacements at the policy's age T both take a unit; before
    # issue 13's plant follow-up only failures, 1 / MTTF, were counted), 16 of 24 h, so
    # the pipeline of 42-day orders is Poisson(lam L); with n orders out a failure waits
    # for the last of n uniform residuals (Beta(n, 1) x L), expedited at 14 days.  The
    # mean of min(e, L B) is integrated here by quadrature.
    life = stats.weibull_min(2.5, scale=45000.0)
    t_star = fm.policy[i].t_star
    assert 30000.0 < t_star < 45000.0
    lam = (16 / 24) / integrate.quad(life.sf, 0.0, t_star)[0]
    assert lam > 1.05 * (16 / 24) / (45000 * math.gamma(1 + 1 / 2.5))
    lead, exp_h = 42 * 24.0, 14 * 24.0
    ns = np.arange(1, 40)
    pmf = stats.poisson(lam * lead).pmf(ns)
    cond = [integrate.quad(lambda w, n=n: stats.beta(n, 1).sf(w / lead), 0, exp_h)[0] for n in ns]
    wait = float(np.sum(pmf * np.array(cond)))
    p_exp = float(np.sum(pmf * stats.beta(ns, 1).sf(exp_h / lead)))
    direct = 3800 + 12 * 2 * 65 * 1.5 + 250 + 2500 + 900 * p_exp
    assert_allclose(fm.cost_cm_direct[i], direct, rtol=1e-6)
    # Lost production: 1,200 EUR/h x mean weekly multiplier (5.2 / 7) x (mean response
    # delay of a lognormal(median 1.5, sigma 0.5) + 12 h repair + the part wait).
    response = 1.5 * math.exp(0.5**2 / 2)
    down = 1200 * (5.2 / 7) * (response + 12 + wait)
    assert_allclose(fm.cost_cm_downtime[i], down, rtol=1e-6)
    assert_allclose(fm.cost_cm[i], direct + down, rtol=1e-6)
    # Opening alone: set-up 900 + lost production over set-up 1.5 h + the 6 h task.
    assert_allclose(fm.opening_cost_mean[i], 900 + 1200 * (5.2 / 7) * 7.5)
    # ... and T is the age-replacement optimum at these costs (the fixed point of
    # demand -> wait -> failure cost -> T), minimised here by scipy
    cp, cf = fm.cost_pm_individual[i], direct + down

    def rate(t: float) -> float:
        return (cp * life.sf(t) + cf * life.cdf(t)) / integrate.quad(life.sf, 0.0, t)[0]

    best = optimize.minimize_scalar(rate, bounds=(5000.0, 90000.0), method="bounded")
    assert_allclose(t_star, best.x, rtol=2e-3)


def test_unstocked_part_waits_for_expedited_delivery(conveyor: Scenario) -> None:
    doc = conveyor.model_dump(mode="json")
    parts = doc["inventory"]["parts"]
    gbx = next(p for p in parts if p["id"] == "GBX-25")
    gbx["on_order"] = []  # nothing on hand, nothing on order
    from optimizer.loading import parse_scenario

    fm = fleet_model(parse_scenario(doc))
    i = _index(fm, "C1-GBX")
    response = 1.5 * math.exp(0.5**2 / 2)
    # expedited: 14 days of waiting and the 900 EUR premium
    assert_allclose(fm.cost_cm_direct[i], 3800 + 900 + 12 * 2 * 65 * 1.5 + 250 + 2500)
    assert_allclose(fm.cost_cm_downtime[i], 1200 * (5.2 / 7) * (response + 12 + 14 * 24))


def test_redundant_member_does_not_stop_the_line(conveyor: Scenario) -> None:
    fm = fleet_model(conveyor)
    i = _index(fm, "C1-TNS-A")
    assert fm.cost_cm_downtime[i] == 0.0
    assert_allclose(fm.opening_cost_mean[i], 900.0)  # set-up only


def test_policy_matches_brute_force_age_replacement(conveyor: Scenario) -> None:
    """Independent check of t* for the gearbox: grid search of g(T) with quad integrals."""
    fm = fleet_model(conveyor)
    i = _index(fm, "C1-GBX")
    cp, cf = fm.cost_pm_individual[i], fm.cost_cm[i]
    life = stats.weibull_min(2.5, scale=45000)

    def g(t: float) -> float:
        return float((cp * life.sf(t) + cf * life.cdf(t)) / integrate.quad(life.sf, 0, t)[0])

    grid = np.linspace(500, 60000, 3000)
    vals = np.array([g(t) for t in grid])
    t_best = grid[np.argmin(vals)]
    assert abs(fm.policy[i].t_star - t_best) <= 30.0
    assert_allclose(fm.policy[i].cost_rate, vals.min(), rtol=1e-4)


def test_residual_life_uses_twin_prognostics(conveyor: Scenario) -> None:
    fm = fleet_model(conveyor)
    i = _index(fm, "C1-BELT")
    # Normal(1400, 350) issued 12 h before the plan start on a line that runs
    # 16 h/day: conditioned on 8 operating hours survived.
    elapsed = 0.5 * 16
    base = stats.truncnorm(-1400 / 350, np.inf, loc=1400, scale=350)
    t = np.array([100.0, 1000.0, 1500.0])
    assert_allclose(fm.residual[i].sf(t), base.sf(t + elapsed) / base.sf(elapsed), rtol=1e-9)


def test_age_based_residual(conveyor: Scenario) -> None:
    fm = fleet_model(conveyor)
    i = _index(fm, "C1-MOT")
    life = stats.weibull_min(1.8, scale=60000)
    t = np.array([10.0, 5000.0, 40000.0])
    assert_allclose(fm.residual[i].sf(t), life.sf(38000 + t) / life.sf(38000), rtol=1e-9)


def test_mean_duration_of_distribution() -> None:
    spec = LognormalSpec(distribution="lognormal", median_h=5, sigma=0.4)
    assert_allclose(mean_duration_h(spec), 5 * math.exp(0.08))
    assert mean_duration_h(3.0) == 3.0
