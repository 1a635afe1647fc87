"""The documented top-level API works as the issue writes it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, optimize, stats

import optimizer


def test_age_replacement_as_documented() -> None:
    dist = optimizer.Weibull(shape=2.5, scale=1000.0)
    res = optimizer.age_replacement(dist, cost_pm=1.0, cost_cm=10.0)
    # independent: minimize g(T) with scipy on the closed-form Weibull
    life = stats.weibull_min(2.5, scale=1000.0)

    def g(t: float) -> float:
        return float((life.sf(t) + 10.0 * life.cdf(t)) / integrate.quad(life.sf, 0, t)[0])

    ref = optimize.minimize_scalar(g, bounds=(50, 3000), method="bounded", options={"xatol": 1e-6})
    assert_allclose(res.t_star, ref.x, rtol=1e-4)
    assert_allclose(res.cost_rate, ref.fun, rtol=1e-8)
    assert_allclose(res.cost_rate_run_to_failure, 10.0 / life.mean(), rtol=1e-12)


def test_shape_one_has_no_finite_optimum() -> None:
    res = optimizer.age_replacement(
        optimizer.Weibull(shape=1.0, scale=100.0),
        cost_pm=1.0,
        cost_cm=10.0,
    )
    assert math.isinf(res.t_star)
    assert_allclose(res.cost_rate, 10.0 / 100.0)
    assert not np.isnan(res.cost_rate)


def test_minimal_repair_closed_form() -> None:
    beta, eta, cp, cf = 3.0, 500.0, 2.0, 7.0
    res = optimizer.minimal_repair_replacement(
        optimizer.Weibull(shape=beta, scale=eta), cost_pm=cp, cost_cm=cf
    )
    x_star = eta * (cp / (cf * (beta - 1))) ** (1 / beta)
    assert_allclose(res.t_star, x_star, rtol=1e-9)
    assert_allclose(res.cost_rate, (cp + cf * (x_star / eta) ** beta) / x_star, rtol=1e-9)


def test_weibull_scale_alias_is_exclusive() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        optimizer.Weibull(shape=2.0, scale_h=1.0, scale=1.0)
    with pytest.raises(ValueError, match="exactly one"):
        optimizer.Weibull(shape=2.0)


def test_solve_and_plan_scenario_entry_points(conveyor: optimizer.Scenario) -> None:
    result = optimizer.plan_scenario(conveyor)
    again = optimizer.solve(result.built.problem, method="milp")
    assert_allclose(again.objective, result.plan.objective, rtol=1e-7)
