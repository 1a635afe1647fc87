"""Tests for optimizer.sim.strategies, optimizer.sim.twin and optimizer.sim.strategies.prescriptive.

Reference values: closed-form Weibull residual quantiles solved with scipy.optimize.brentq,
lognormal cost curves minimized by brute force with scipy.stats and quad, normal
probabilities from scipy.stats.norm, and event times worked out by hand.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import integrate, optimize, special, stats

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, fixed, scenario, system, weibull

from optimizer.reliability import distributions as rul
from optimizer.scenario import StrategySpec
from optimizer.sim.model import compile_model
from optimizer.sim.simulate import compare, simulate
from optimizer.sim.strategies import (
    STRATEGIES,
    ConditionBased,
    FixedInterval,
    OptimalAge,
    Policy,
    Predictive,
    RunToFailure,
    _residual_quantile_crossing,
    lognormal_optimum,
    make_policy,
)
from optimizer.sim.strategies.prescriptive import Prescriptive, lognormal_curves
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


# --------------------------------------------------------------------------------------
# factory and protocol
# --------------------------------------------------------------------------------------
def test_make_policy_names_and_parameters() -> None:
    specs = [
        StrategySpec(name="fixed-interval", interval_h=1234.0),
        StrategySpec(name="condition-based", rul_quantile=0.2, threshold_h=300.0, lead_time_h=10.0),
        StrategySpec(name="prescriptive", replan_every_days=3.0),
    ]
    kinds = {
        "run-to-failure": RunToFailure,
        "fixed-interval": FixedInterval,
        "optimal-age": OptimalAge,
        "condition-based": ConditionBased,
        "predictive": Predictive,
        "prescriptive": Prescriptive,
    }
    for name in STRATEGIES:
        pol = make_policy(name, specs)
        assert isinstance(pol, kinds[name]) and pol.name == name
        assert isinstance(pol, Policy)
    fi = make_policy("fixed-interval", specs)
    assert isinstance(fi, FixedInterval) and fi.interval_h == 1234.0
    cb = make_policy("condition-based", specs)
    assert isinstance(cb, ConditionBased)
    assert (cb.rul_quantile, cb.threshold_h, cb.lead_time_h) == (0.2, 300.0, 10.0)
    pr = make_policy("prescriptive", specs)
    assert isinstance(pr, Prescriptive) and pr.decision_interval_h == 72.0
    assert make_policy(fi) is fi
    with pytest.raises(ValueError, match="strategy"):
        make_policy("whenever")


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: FixedInterval(-1.0), "interval_h"),
        (lambda: ConditionBased(rul_quantile=1.5), "rul_quantile"),
        (lambda: ConditionBased(threshold_h=0.0), "threshold_h"),
        (lambda: ConditionBased(lead_time_h=-1.0), "lead_time_h"),
        (lambda: Predictive(0.0), "replan_every_days"),
        (lambda: Prescriptive(replan_every_days=-2.0), "replan_every_days"),
        (lambda: Twin("excellent"), "twin_accuracy"),
    ],
)
def test_bad_parameters(factory: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        factory()


# --------------------------------------------------------------------------------------
# the twin model
# --------------------------------------------------------------------------------------
def test_twin_spread_shrinks_towards_failure() -> None:
    tw = Twin("good")
    r = np.array([0.0, 10.0, 100.0, 1000.0, 1e6])
    s = tw.spread(r, 1000.0)
    assert_allclose(s, 0.15 * np.sqrt(2.0 * r / (r + 1000.0)))
    assert_allclose(s[3], 0.15)  # a new part (R = mean life) has the nominal spread
    assert np.all(np.diff(s) > 0)
    assert_allclose(Twin("perfect").spread(r, 1000.0), 0.0)
    with pytest.raises(ValueError):
        Twin("none").spread(r, 1000.0)


@pytest.mark.parametrize("q", [0.05, 0.3, 0.5, 0.9])
def test_twin_is_calibrated(q: float) -> None:
    # given the truth R, the reported q-quantile exceeds R with probability q (z ~ N(0, 1))
    tw = Twin("poor")
    z = stats.norm.ppf((np.arange(20000) + 0.5) / 20000)
    quant = tw.quantile(q, 400.0, z, 1000.0)
    assert_allclose(np.mean(quant >= 400.0), q, atol=1e-3)
    med, s = tw.report(400.0, z, 1000.0)
    assert_allclose(np.median(med), 400.0, rtol=1e-3)
    d = tw.distribution(400.0, 0.7, 1000.0)
    assert isinstance(d, rul.Lognormal)
    assert_allclose(float(d.ppf(0.5)), 400.0 * math.exp(float(np.asarray(s).reshape(-1)[0]) * 0.7))
    assert isinstance(Twin("perfect").distribution(400.0, 0.7, 1000.0), rul.Deterministic)


@settings(max_examples=40, deadline=None)
@given(
    z=st.floats(-3.0, 3.0),
    q=st.floats(0.02, 0.98),
    thr=st.floats(5.0, 500.0),
    acc=st.sampled_from(["good", "poor"]),
)
def test_twin_crossing_solves_the_threshold_equation(
    z: float, q: float, thr: float, acc: str
) -> None:
    tw = Twin(acc)
    r0, m = 5000.0, 2000.0
    r_c = tw.crossing(q, thr, r0, z, m)
    assert 0.0 < r_c <= r0
    if r_c < r0:
        assert_allclose(float(tw.quantile(q, r_c, z, m)), thr, rtol=1e-9)
        above = np.linspace(r_c * 1.0001, r0, 50)
        assert np.all(tw.quantile(q, above, z, m) > thr)


def test_perfect_twin_crossing_is_the_threshold() -> None:
    tw = Twin("perfect")
    assert_allclose(tw.crossing(0.1, 100.0, 5000.0, 1.3, 2000.0), 100.0, rtol=1e-9)
    assert_allclose(tw.crossing(0.1, 100.0, 50.0, 1.3, 2000.0), 50.0)


# --------------------------------------------------------------------------------------
# strategies on hand-checkable fleets
# --------------------------------------------------------------------------------------
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
    assert_allclose(_residual_quantile_crossing(rul.Weibull(beta, eta), q, thr), a_c, rtol=1e-6)
    # never below the threshold: no crossing; already below at age 0: crossing 0
    assert _residual_quantile_crossing(rul.Exponential(1000.0), 0.1, 50.0) == math.inf
    assert _residual_quantile_crossing(rul.Weibull(2.0, 100.0), 0.1, 500.0) == 0.0


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


# --------------------------------------------------------------------------------------
# prescriptive
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared_setup() -> Any:
    comps = [
        component(
            f"C{i}",
            life=weibull(3.0, 2000.0),
            age_h=300.0 * i,
            pm_h=2.0,
            cm_h=8.0,
            cost_pm_other=100.0,
            cost_cm_other=3000.0,
        )
        for i in range(4)
    ]
    return scenario(
        [system("S", comps, setup=1500.0, value=50.0, setup_h=2.0)],
        shifts=[{"start": "06:00", "end": "14:00"}],
        days_off=["sat", "sun"],
    )


def test_prescriptive_groups_and_beats_individual_policies(shared_setup: Any) -> None:
    cmp = compare(
        shared_setup,
        ["optimal-age", "predictive", "prescriptive"],
        baseline="predictive",
        replications=12,
        years=2.0,
        seed=3,
        twin_accuracy="good",
        workers=1,
    )
    pres = cmp.results["prescriptive"]
    assert pres["openings"].mean < 0.7 * pres["preventive_replacements"].mean  # grouped
    pred = cmp.results["predictive"]
    assert_allclose(pred["openings"].mean, pred["preventive_replacements"].mean, rtol=0.05)
    d = cmp.differences["prescriptive"]["cost_total"]
    assert d.ci_high < 0.0  # paired CI: prescriptive is cheaper than predictive
    # and the twin is worth something: no twin costs more
    blind = simulate(
        shared_setup,
        "prescriptive",
        replications=12,
        years=2.0,
        seed=3,
        twin_accuracy="none",
        workers=1,
    )
    assert blind["cost_total"].mean > pres["cost_total"].mean


def test_lognormal_curves_match_quad_and_the_closed_form_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    med = np.exp(rng.uniform(math.log(1e-2), math.log(1e6), 40))[:, None]
    sig = rng.choice([1e-3, 0.05, 0.15, 0.5, 0.707, 1.0, 2.0], 40)[:, None]
    t = np.sort(
        np.concatenate([np.zeros((40, 1)), np.exp(rng.uniform(-5.0, 15.0, (40, 60)))], axis=1),
        axis=1,
    )
    surv, isf, mean = lognormal_curves(med, sig, t)
    # the closed form evaluated at every point (the tail shortcuts change no bit)
    with np.errstate(divide="ignore"):
        w = (np.log(np.maximum(t, 1e-300)) - np.log(med)) / sig
    s_all = special.ndtr(-w)
    np.testing.assert_array_equal(surv, s_all)
    np.testing.assert_array_equal(
        isf, med * np.exp(0.5 * sig * sig) * special.ndtr(w - sig) + t * s_all
    )
    # and against scipy.stats with numerical integration, on a few points
    for i, j in [(0, 30), (7, 45), (19, 10), (33, 60)]:
        d = stats.lognorm(s=float(sig[i, 0]), scale=float(med[i, 0]))
        assert_allclose(surv[i, j], d.sf(t[i, j]), rtol=1e-9, atol=1e-300)
        # beyond the 1 - 1e-18 quantile the survival adds nothing at this tolerance
        top = min(float(t[i, j]), float(d.isf(1e-18)))
        kinks = [float(x) for x in d.ppf([1e-9, 0.5]) if x < top]
        ref, _ = integrate.quad(d.sf, 0.0, top, points=kinks or None, limit=200)
        assert_allclose(isf[i, j], ref, rtol=1e-6)
        assert_allclose(mean[i], d.mean(), rtol=1e-12)


def test_prescriptive_releases_work_once(shared_setup: Any) -> None:
    # released work is pinned: every request leads to exactly one replacement or is
    # overtaken by a failure, never to two openings for one part
    res, ev = _events(
        shared_setup, Prescriptive(replan_every_days=7.0), 2.0 * H_PER_YEAR, twin="good"
    )
    pm = ev[ev.event == "pm_start"]
    assert len(pm) == res["preventive_replacements"].mean
    opened = ev[ev.event == "opening"]
    assert len(opened) == res["openings"].mean
    assert len(pm) >= len(opened)


def test_prescriptive_without_twin_and_with_crews(shared_setup: Any) -> None:
    res = simulate(
        shared_setup,
        Prescriptive(crews=True, method="auto"),
        replications=2,
        years=0.5,
        seed=1,
        twin_accuracy="none",
        workers=1,
    )
    assert res["cost_total"].mean > 0.0
