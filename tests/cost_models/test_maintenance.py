"""Tests of cost_models.maintenance: hand computations, quadrature and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import integrate

from cost_models.downtime import downtime_cost
from cost_models.labour import labour_cost
from cost_models.maintenance import (
    corrective_cost,
    expected_failure_cost,
    preventive_cost,
    setup_cost,
)
from cost_models.profile import ValueProfile

# Weekdays 2000/h, weekends 500/h, repeating weekly (plan starts on a Monday 00:00).
WEEK = ValueProfile(np.array([0.0, 120.0]), np.array([2000.0, 500.0]), 168.0)
money = st.floats(0.0, 1e6)

FAILURE = {
    "cost_parts": 1000.0,
    "repair_mean_h": 5.0,
    "crew_qty": 2,
    "corrective_rate_per_h": 80.0,
    "production_value_per_h": 3000.0,
    "response_mean_h": 2.0,
    "callout_premium": 200.0,
    "cost_secondary_damage": 500.0,
    "stockout_probability": 0.1,
    "part_wait_h": 48.0,
    "cost_expedite": 300.0,
}


def test_preventive_and_corrective_sums() -> None:
    assert_allclose(preventive_cost(1200.0, 400.0), 1600.0)
    assert_allclose(preventive_cost([1200.0, 10.0], 400.0, cost_other=[50.0, 0.0]), [1650.0, 410.0])
    assert_allclose(corrective_cost(1200.0, 600.0, 2500.0, 9000.0), 13300.0)


@settings(max_examples=50, deadline=None)
@given(a=money, b=money, c=money, d=money)
def test_sums_are_symmetric_and_non_negative(a: float, b: float, c: float, d: float) -> None:
    assert_allclose(corrective_cost(a, b, c, d), corrective_cost(d, c, b, a))
    assert preventive_cost(a, b, c) >= max(a, b, c)


def test_setup_cost_hand_computed() -> None:
    # Friday 19:00 (115 h), 10 h shutdown: 5 h at 2000 then 5 h of weekend at 500
    assert_allclose(setup_cost(5000.0, 10.0, WEEK, 115.0), 5000.0 + 5 * 2000 + 5 * 500)
    # a Saturday opening costs the same whatever the week
    assert_allclose(setup_cost(5000.0, 10.0, WEEK, [130.0, 130.0 + 168.0 * 3]), 5000.0 + 5000.0)
    assert_allclose(setup_cost(5000.0, 0.0, WEEK, 17.0), 5000.0)


def test_setup_cost_vectorized_over_periods_matches_quad() -> None:
    starts = 24.0 * np.arange(21) + 7.0
    got = setup_cost(3000.0, 12.0, WEEK, starts, loss_fraction=0.75)
    expected = []
    for s in starts:
        pts = [x for x in (120.0, 168.0, 288.0, 336.0, 456.0, 504.0) if s < x < s + 12.0]
        lost, _ = integrate.quad(lambda t: float(WEEK.rate_at(t)), s, s + 12.0, points=pts or None)
        expected.append(3000.0 + 0.75 * lost)
    assert_allclose(got, expected, rtol=1e-10)


def test_expected_failure_cost_hand_computed() -> None:
    # 1000 + 0.1 * 300 + 2 * 80 * 5 + 200 + 500 + 3000 * (2 + 5 + 0.1 * 48)
    assert_allclose(expected_failure_cost(**FAILURE), 37930.0)


def test_expected_failure_cost_defaults() -> None:
    got = expected_failure_cost(
        cost_parts=100.0,
        repair_mean_h=2.0,
        crew_qty=1,
        corrective_rate_per_h=60.0,
        production_value_per_h=10.0,
    )
    assert_allclose(got, 100.0 + 120.0 + 20.0)


def test_expected_failure_cost_matches_priced_simulation() -> None:
    """The expectation equals the mean of failures priced one by one as the simulator does."""
    rng = np.random.default_rng(2024)
    n = 100_000
    f = FAILURE
    p = float(f["stockout_probability"])
    out = rng.random(n) < p
    response = rng.gamma(4.0, float(f["response_mean_h"]) / 4.0, n)
    repair = rng.lognormal(0.0, 0.6, n)
    repair *= float(f["repair_mean_h"]) / np.exp(0.18)  # lognormal mean exp(sigma^2 / 2)
    start = rng.uniform(0.0, 1000.0, n)
    stop_h = response + repair + out * float(f["part_wait_h"])
    realized = corrective_cost(
        float(f["cost_parts"]) + out * float(f["cost_expedite"]),
        labour_cost(
            repair,
            f["crew_qty"],
            f["corrective_rate_per_h"],
            callout_premium=f["callout_premium"],
        ),
        f["cost_secondary_damage"],
        downtime_cost(ValueProfile.constant(float(f["production_value_per_h"])), start, stop_h),
    )
    expected = float(expected_failure_cost(**f))
    assert abs(realized.mean() - expected) < 4.0 * realized.std() / np.sqrt(n)


@settings(max_examples=50, deadline=None)
@given(p=st.floats(0.0, 1.0), value=st.floats(0.0, 1e4), k=st.floats(0.0, 10.0))
def test_expected_failure_cost_monotone_and_linear(p: float, value: float, k: float) -> None:
    base = {**FAILURE, "stockout_probability": p, "production_value_per_h": value}
    cost = expected_failure_cost(**base)
    riskier = expected_failure_cost(**{**base, "stockout_probability": min(1.0, p + 0.1)})
    assert riskier >= cost
    # affine in the production value: slope = expected downtime
    slope = 2.0 + 5.0 + p * 48.0
    bumped = expected_failure_cost(**{**base, "production_value_per_h": value + k})
    assert_allclose(bumped - cost, k * slope, rtol=1e-9, atol=1e-6)


def test_expected_failure_cost_broadcasts() -> None:
    got = expected_failure_cost(
        **{**FAILURE, "production_value_per_h": np.array([0.0, 3000.0]), "crew_qty": [[1], [2]]}  # type: ignore[arg-type]
    )
    assert got.shape == (2, 2)
    assert_allclose(got[1, 1], 37930.0)
    assert_allclose(got[0, 1] - got[0, 0], 3000.0 * 11.8)
    assert_allclose(got[1, 0] - got[0, 0], 80.0 * 5.0)


@pytest.mark.parametrize(
    ("key", "bad", "match"),
    [
        ("cost_parts", -1.0, "cost_parts"),
        ("repair_mean_h", float("nan"), "repair_mean_h"),
        ("stockout_probability", 1.2, "stockout_probability"),
        ("stockout_probability", -0.2, "stockout_probability"),
        ("part_wait_h", np.inf, "part_wait_h"),
        ("cost_expedite", -3.0, "cost_expedite"),
        ("crew_qty", -1, "crew_qty"),
        ("corrective_rate_per_h", float("nan"), "corrective_rate_per_h"),
        ("callout_premium", -1.0, "callout_premium"),
        ("production_value_per_h", np.ones(3), "broadcast"),
    ],
)
def test_expected_failure_cost_validation(key: str, bad: object, match: str) -> None:
    args = {**FAILURE, key: bad, "response_mean_h": np.ones(2)}
    with pytest.raises(ValueError, match=match):
        expected_failure_cost(**args)  # type: ignore[arg-type]


def test_other_validation() -> None:
    with pytest.raises(ValueError, match="cost_other"):
        preventive_cost(1.0, 1.0, -1.0)
    with pytest.raises(ValueError, match="cost_downtime"):
        corrective_cost(1.0, 1.0, 1.0, float("nan"))
    with pytest.raises(ValueError, match="cost_fixed"):
        setup_cost(-1.0, 1.0, WEEK, 0.0)
    with pytest.raises(ValueError, match="shutdown_h"):
        setup_cost(1.0, -1.0, WEEK, 0.0)
    with pytest.raises(ValueError, match="loss_fraction"):
        setup_cost(1.0, 1.0, WEEK, 0.0, loss_fraction=2.0)
    with pytest.raises(ValueError, match="broadcast"):
        setup_cost(np.ones(4), 1.0, WEEK, np.zeros(3))
