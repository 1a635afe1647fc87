"""Tests for optimizer.sim.renewal: the numpy renewal simulator.

Two independent checks: (1) on fleets whose components cannot interact, the numpy
simulator and the SimPy simulator, fed the same random streams, must agree event for
event; (2) long-run rates agree with renewal-reward formulas computed with
scipy.integrate.quad and with optimizer.reliability.penalty.age_replacement.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, stats

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, scenario, system, weibull

from optimizer.reliability import distributions as rul
from optimizer.reliability.penalty import age_replacement
from optimizer.sim.engine import kpi_names, run_replication
from optimizer.sim.model import compile_model
from optimizer.sim.renewal import age_replacement_rate, simulate_renewal
from optimizer.sim.stats import mean_ci
from optimizer.sim.strategies import FixedInterval, make_policy
from optimizer.sim.twin import Twin


@pytest.fixture(scope="module")
def independent_model() -> Any:
    """Five one-component systems, random repair and response times, ample crew."""
    systems = [
        system(
            f"S{i}",
            [
                component(
                    f"C{i}",
                    life=weibull(1.5 + 0.5 * i, 400.0 + 100.0 * i),
                    age_h=150.0 * i,
                    pm_h={"distribution": "gamma", "shape": 4.0, "scale_h": 1.0},
                    cm_h={"distribution": "lognormal", "median_h": 8.0, "sigma": 0.5},
                    cost_pm_other=50.0 + 10 * i,
                    cost_cm_other=900.0,
                )
            ],
            value=40.0 + i,
            setup=80.0,
            setup_h=0.5 * i,
        )
        for i in range(5)
    ]
    scn = scenario(
        systems,
        headcount=20,
        response_h={"distribution": "exponential", "mean_h": 2.0},
        rate_per_h=30.0,
        callout=50.0,
        overtime=1.5,
    )
    return compile_model(scn, years=3.0)


@pytest.mark.parametrize("policy", ["run-to-failure", "optimal-age", "fixed-interval"])
def test_matches_simpy_event_for_event(independent_model: Any, policy: str) -> None:
    model = independent_model
    reps, seed = 6, 21
    interval = 450.0
    rr = simulate_renewal(model, policy, replications=reps, seed=seed, interval_h=interval)
    twin = Twin("none")
    pol = FixedInterval(interval) if policy == "fixed-interval" else make_policy(policy)
    pol.prepare(model, twin)
    kn = kpi_names(model)
    rows = np.array([run_replication(model, pol, twin, seed, r)[0] for r in range(reps)])
    col = {k: rows[:, kn.index(k)] for k in kn}
    assert_allclose(rr.failures, col["failures"])
    assert_allclose(rr.preventive, col["preventive_replacements"])
    assert_allclose(rr.downtime_unplanned_h, col["downtime_unplanned_h"], rtol=1e-9, atol=1e-9)
    assert_allclose(rr.downtime_planned_h, col["downtime_planned_h"], rtol=1e-9, atol=1e-9)
    avail = np.stack([col[f"availability[S{i}]"] for i in range(5)], axis=1)
    assert_allclose(rr.availability, avail, rtol=1e-12, atol=1e-12)
    spares = (
        col["cost_spares_holding"] + col["cost_spares_ordering"] + col["cost_spares_expediting"]
    )
    assert_allclose(rr.cost, col["cost_total"] - spares, rtol=1e-9)
    if policy != "run-to-failure":
        assert rr.preventive.sum() > 0
    assert rr.failures.sum() > 0


@pytest.mark.parametrize(
    ("beta", "cp", "cf"), [(2.0, 100.0, 1000.0), (3.0, 50.0, 2000.0), (1.3, 10.0, 80.0)]
)
def test_age_replacement_rate_is_g_of_t(beta: float, cp: float, cf: float) -> None:
    eta = 500.0
    res = age_replacement(rul.Weibull(beta, eta), cost_pm=cp, cost_cm=cf)
    sf = stats.weibull_min(beta, scale=eta).sf
    t = res.t_star
    if math.isfinite(t):
        g = age_replacement_rate(cp, cf, float(sf(t)), integrate.quad(sf, 0.0, t)[0])
        assert_allclose(g, res.cost_rate, rtol=1e-8)
    # with down times: the cycle gains d_p S + d_f F
    t = 300.0
    s_t = float(sf(t))
    int_s = integrate.quad(sf, 0.0, t)[0]
    expect = (cp * s_t + cf * (1 - s_t)) / (int_s + 2.0 * s_t + 5.0 * (1 - s_t))
    assert_allclose(age_replacement_rate(cp, cf, s_t, int_s, 2.0, 5.0), expect, rtol=1e-12)


def test_long_run_rates_match_renewal_theory() -> None:
    beta, eta, t = 2.5, 1000.0, 700.0
    scn = scenario([system("S", [component("C", life=weibull(beta, eta))])])
    model = compile_model(scn, years=200.0)
    rr = simulate_renewal(
        model, "optimal-age", replications=10, seed=2, replace_age_h=np.array([t])
    )
    sf = stats.weibull_min(beta, scale=eta).sf
    s_t = float(sf(t))
    cycle = integrate.quad(sf, 0.0, t)[0]
    g = (200.0 * s_t + 1000.0 * (1.0 - s_t)) / cycle
    est = mean_ci(rr.cost / model.horizon_h)
    assert est.ci_low <= g <= est.ci_high
    fail_rate = mean_ci(rr.failures / model.horizon_h)
    assert fail_rate.ci_low <= (1.0 - s_t) / cycle <= fail_rate.ci_high


def test_run_to_failure_exponential_failure_count() -> None:
    scn = scenario(
        [
            system(
                "S",
                [component("C", life={"distribution": "exponential", "mean_h": 100.0}, cm_h=10.0)],
            )
        ]
    )
    model = compile_model(scn, years=20.0)
    rr = simulate_renewal(model, "run-to-failure", replications=30, seed=4)
    # an alternating renewal process: E[N(H)] ~ H / (MTTF + MTTR)
    est = mean_ci(rr.failures.astype(float))
    assert est.ci_low <= model.horizon_h / 110.0 + 1.0
    assert est.ci_high >= model.horizon_h / 110.0 - 1.0
    assert_allclose(rr.availability.mean(), 100.0 / 110.0, rtol=3e-3)


def test_block_replacement_counts() -> None:
    # lives far beyond the horizon: exactly floor(H / interval) blocks per component
    scn = scenario([system("S", [component("C", life=weibull(5.0, 1e6))])])
    model = compile_model(scn, years=1.0)
    rr = simulate_renewal(model, "fixed-interval", replications=3, seed=1, interval_h=1000.0)
    assert_allclose(rr.preventive, [8, 8, 8])
    assert_allclose(rr.failures, [0, 0, 0])


def test_extension_blocks_beyond_predrawn_lives() -> None:
    # many more renewals than pre-drawn lives: the extension streams take over
    scn = scenario([system("S", [component("C", life=weibull(2.0, 10.0))])])
    model = compile_model(scn, years=1.0)
    assert model.lives_hint() == 64
    rr = simulate_renewal(model, "run-to-failure", replications=2, seed=3)
    twin = Twin("none")
    pol = make_policy("run-to-failure")
    pol.prepare(model, twin)
    j = kpi_names(model).index("failures")
    simpy_f = [run_replication(model, pol, twin, 3, r)[0][j] for r in range(2)]
    assert rr.failures.min() > 500
    assert_allclose(rr.failures, simpy_f)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"policy": "sometimes"}, "policy"),
        ({"policy": "fixed-interval"}, "interval_h"),
        ({"policy": "run-to-failure", "replications": 0}, "replications"),
    ],
)
def test_bad_arguments(independent_model: Any, kwargs: dict[str, Any], match: str) -> None:
    args: dict[str, Any] = {"replications": 1, "seed": 1, **kwargs}
    policy = args.pop("policy")
    with pytest.raises(ValueError, match=match):
        simulate_renewal(independent_model, policy, **args)
