"""Tests for optimizer.sim.strategies.simple: the strategies that need no scheduler.

Reference values: closed-form Weibull residual quantiles solved with scipy.optimize.brentq,
lognormal and Weibull cost curves minimized by brute force with scipy.stats and quad,
and event times worked out by hand.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, optimize, stats

sys.path.insert(0, str(Path(__file__).parents[1]))
from sim_scenarios import (
    component,
    fixed,
    minimal_repair_scenario,
    minimal_repair_t_star_h,
    scenario,
    system,
    weibull,
)

from optimizer.reliability import distributions as rul
from optimizer.sim.model import compile_model
from optimizer.sim.simulate import simulate
from optimizer.sim.strategies.simple import (
    ConditionBased,
    FixedInterval,
    Predictive,
    lognormal_optimum,
    residual_quantile_crossing,
)
from optimizer.sim.twin import Twin

H_PER_YEAR = 8760.0


def _events(scn: Any, strategy: Any, hours: float, twin: str = "none", seed: int = 1) -> Any:
    res = simulate(
        scn,
        strategy,
        replications=1,
        seed=seed,
        years=hours / H_PER_YEAR,
        twin_accuracy=twin,
        workers=1,
        keep_events=True,
    )
    return res, res.events


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: FixedInterval(-1.0), "interval_h"),
        (lambda: ConditionBased(rul_quantile=1.5), "rul_quantile"),
        (lambda: ConditionBased(threshold_h=0.0), "threshold_h"),
        (lambda: ConditionBased(lead_time_h=-1.0), "lead_time_h"),
        (lambda: Predictive(0.0), "replan_every_days"),
    ],
)
def test_bad_parameters(factory: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        factory()


def test_condition_based_perfect_twin_timing() -> None:
    # life 1000 h; perfect twin, threshold 100 h: alarm at age 900, detected at the next
    # daily look (912 h), work planned 10 h later (922 h)
    scn = scenario([system("S", [component("A", life=fixed(1000.0))], setup=0.0)])
    pol = ConditionBased(
        rul_quantile=0.1, threshold_h=100.0, lead_time_h=10.0, inspect_every_h=24.0
    )
    res, ev = _events(scn, pol, 1500.0, twin="perfect")
    assert_allclose(ev[ev.event == "opening"].time_h.iloc[0], 922.0)
    assert res["failures"].mean == 0.0


def test_condition_based_without_twin_is_the_population_age_rule() -> None:
    beta, eta, q, thr = 2.5, 1000.0, 0.1, 200.0
    scn = scenario([system("S", [component("A", life=weibull(beta, eta))])])
    model = compile_model(scn, years=1.0)
    pol = ConditionBased(rul_quantile=q, threshold_h=thr)
    pol.prepare(model, Twin("none"))

    def res_q(a: float) -> float:  # closed-form Weibull residual quantile at age a
        return eta * ((a / eta) ** beta - math.log(1.0 - q)) ** (1.0 / beta) - a

    a_c = optimize.brentq(lambda a: res_q(a) - thr, 0.0, 5 * eta, xtol=1e-10)
    assert_allclose(pol._age_new[0], a_c, rtol=1e-6)
    assert_allclose(residual_quantile_crossing(rul.Weibull(beta, eta), q, thr), a_c, rtol=1e-6)
    # never below the threshold: no crossing; already below at age 0: crossing 0
    assert residual_quantile_crossing(rul.Exponential(1000.0), 0.1, 50.0) == math.inf
    assert residual_quantile_crossing(rul.Weibull(2.0, 100.0), 0.1, 500.0) == 0.0


def test_optimal_age_replaces_at_t_star() -> None:
    scn = scenario([system("S", [component("A", life=weibull(3.0, 1000.0))])])
    model = compile_model(scn, years=1.0)
    t_star = float(model.t_star_h[0])
    for seed in range(3):
        _, ev = _events(scn, "optimal-age", 3.0 * t_star, seed=seed)
        first = ev[ev.event.isin(["failure", "opening"])].iloc[0]
        if first.event == "opening":
            assert_allclose(first.time_h, t_star, rtol=1e-9)
        else:
            assert first.value < t_star  # the part failed younger than t*


def test_fixed_interval_block_replaces_every_part() -> None:
    comps = [component(f"C{i}", life=fixed(1e6)) for i in range(3)]
    scn = scenario([system("S", comps, op_h_per_day=12.0)])
    res, ev = _events(scn, FixedInterval(500.0), 3500.0)
    # 500 operating hours at 12 h/day = 1000 calendar hours
    assert_allclose(ev[ev.event == "opening"].time_h, [1000.0, 2000.0, 3000.0])
    assert_allclose(res["preventive_replacements"].mean, 9.0)
    assert_allclose(res["openings"].mean, 3.0)


def test_predictive_perfect_twin_prevents_every_failure() -> None:
    # lives far longer than the re-plan interval (a part younger than one interval is
    # not looked at before its first revision)
    comps = [component(f"C{i}", life=weibull(4.0, 600.0)) for i in range(3)]
    scn = scenario([system(f"S{i}", [c]) for i, c in enumerate(comps)])
    res = simulate(
        scn,
        Predictive(replan_every_days=1.0),
        replications=3,
        years=0.3,
        seed=2,
        twin_accuracy="perfect",
        workers=1,
    )
    assert res["failures"].mean == 0.0
    assert res["preventive_replacements"].mean > 10.0


def test_predictive_without_twin_uses_the_penalty_optimum() -> None:
    beta, eta, age = 3.0, 1000.0, 300.0
    scn = scenario([system("S", [component("A", life=weibull(beta, eta), age_h=age)])])
    model = compile_model(scn, years=1.0)
    pol = Predictive()
    pol.prepare(model, Twin("none"))
    assert pol.decision_interval_h is None
    cp, cf, g = (
        float(model.cost_pm_individual[0]),
        float(model.cost_cm[0]),
        float(model.cost_rate[0]),
    )
    dist = stats.weibull_min(beta, scale=eta)

    def c(t: float) -> float:  # c(t) of the residual life at the current age
        s = dist.sf(age + t) / dist.sf(age)
        return (
            cp * s
            + cf * (1 - s)
            - g * integrate.quad(lambda u: dist.sf(age + u), 0, t)[0] / dist.sf(age)
        )

    grid = np.linspace(0.0, 2000.0, 401)
    j = int(np.argmin([c(t) for t in grid]))
    best = optimize.minimize_scalar(c, bounds=(grid[max(j - 1, 0)], grid[j + 1]), method="bounded")
    assert_allclose(pol._t_init[0], age + best.x, rtol=1e-4)


def test_lognormal_optimum_matches_brute_force() -> None:
    med = np.array([500.0, 1000.0, 200.0])
    sig = np.array([0.2, 0.5, 0.05])
    cp = np.array([100.0, 300.0, 50.0])
    cf = np.array([2000.0, 1000.0, 5000.0])
    g = np.array([0.8, 0.4, 1.0])
    got = lognormal_optimum(med, sig, cp, cf, g)
    for k in range(3):
        d = stats.lognorm(sig[k], scale=med[k])
        # brute force: a fine grid, integral of the survival by the trapezoidal rule
        t = np.concatenate([[0.0], med[k] * np.exp(sig[k] * np.linspace(-8, 6, 200001))])
        int_s = integrate.cumulative_trapezoid(d.sf(t), t, initial=0.0)
        c = cp[k] * d.sf(t) + cf[k] * d.cdf(t) - g[k] * int_s
        ref = t[int(np.argmin(c))]
        assert_allclose(got[k], ref, rtol=0.06)
        c_got = np.interp(got[k], t, c)
        assert c_got <= c.min() + 1e-3 * cp[k]  # within the 0.05-sigma grid resolution


def test_lognormal_optimum_run_to_failure_and_replace_now() -> None:
    # a preventive replacement dearer than a failure: never replace early
    out = lognormal_optimum(
        np.array([500.0]), np.array([0.3]), np.array([150.0]), np.array([100.0]), np.array([0.1])
    )
    assert out[0] == np.inf
    # no credit for the life used (g = 0) and c_p < c_f: the risk only grows, replace now
    out = lognormal_optimum(
        np.array([500.0]), np.array([0.3]), np.array([100.0]), np.array([150.0]), np.array([0.0])
    )
    assert out[0] == 0.0
    # a failure 1e5 times dearer: replace far in the left tail of the life
    out = lognormal_optimum(
        np.array([1.0]), np.array([0.1]), np.array([10.0]), np.array([1e6]), np.array([1.0])
    )
    assert 0.0 < out[0] < math.exp(-0.1 * 4.0)


def test_predictive_keeps_the_age_rule_for_minimally_repaired_parts() -> None:
    # Issue #13 cause 5: with a perfect twin, predictive replaced a minimally repaired
    # part just before each predicted failure (wind pitch drives: 6.7 -> 27.1
    # replacements a year), although a repair (as bad as old) is far cheaper than a
    # renewal.  The optimum is the Barlow-Hunter periodic replacement age
    # T* = eta (c_p / ((beta - 1) c_f))^(1 / beta) = 2000 (500 / 30)^(1 / 1.3) ~ 17,400 h
    # here, so in 2 years about one planned replacement, whatever the twin.
    scn = minimal_repair_scenario()
    t_star = 2000.0 * (500.0 / (0.3 * 100.0)) ** (1.0 / 1.3)
    assert_allclose(minimal_repair_t_star_h(), t_star, rtol=1e-12)
    model = compile_model(scn, years=2.0)
    assert_allclose(model.t_star_h[0], t_star, rtol=2e-3)
    pm = {}
    for twin in ("none", "perfect"):
        res = simulate(model, "predictive", replications=4, seed=2, twin_accuracy=twin, workers=1)
        pm[twin] = res["preventive_replacements"].mean
    assert pm["perfect"] == pm["none"] == 1.0
