"""Tests of cost_models.downtime against hand computations and quadrature."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import integrate

from cost_models.downtime import downtime_cost, expected_downtime_h
from cost_models.profile import ValueProfile

# Weekdays 2000/h, weekends 500/h, repeating weekly (plan starts on a Monday 00:00).
WEEK = ValueProfile(np.array([0.0, 120.0]), np.array([2000.0, 500.0]), 168.0)


def test_constant_value_is_rate_times_duration() -> None:
    p = ValueProfile.constant(1500.0)
    assert_allclose(downtime_cost(p, 10.0, 6.0), 9000.0)
    assert_allclose(downtime_cost(p, [0.0, 50.0], 6.0, loss_fraction=0.5), [4500.0, 4500.0])


def test_stop_across_weekend_hand_computed() -> None:
    # Friday 20:00 (116 h) for 60 h: 4 h at 2000, 48 h at 500, 8 h at 2000 (Monday)
    assert_allclose(downtime_cost(WEEK, 116.0, 60.0), 4 * 2000 + 48 * 500 + 8 * 2000)


@pytest.mark.parametrize(("start", "dur"), [(0.0, 3.0), (100.0, 30.0), (300.0, 200.0)])
def test_matches_quad(start: float, dur: float) -> None:
    pts = [x for x in np.arange(0.0, 1000.0, 24.0) if start < x < start + dur]
    pts += [x for x in (120.0, 168.0, 288.0, 336.0, 456.0, 504.0) if start < x < start + dur]
    expected, _ = integrate.quad(
        lambda t: 0.8 * float(WEEK.rate_at(t)), start, start + dur, points=sorted(pts), limit=300
    )
    assert_allclose(downtime_cost(WEEK, start, dur, loss_fraction=0.8), expected, rtol=1e-10)


@settings(max_examples=50, deadline=None)
@given(
    start=st.floats(0.0, 1000.0),
    dur=st.floats(0.0, 500.0),
    frac=st.floats(0.0, 1.0),
    k=st.integers(1, 5),
)
def test_linear_in_loss_fraction_and_non_negative(
    start: float, dur: float, frac: float, k: int
) -> None:
    full = downtime_cost(WEEK, start, dur)
    assert full >= 0.0
    assert_allclose(downtime_cost(WEEK, start, dur, loss_fraction=frac), frac * full)
    # k consecutive stops of equal length cost as much as one stop k times as long
    starts = start + dur * np.arange(k)
    total = np.sum(downtime_cost(WEEK, starts, dur))
    assert_allclose(total, downtime_cost(WEEK, start, k * dur), rtol=1e-9, atol=1e-6)


def test_expected_downtime_sums_means() -> None:
    got = expected_downtime_h([2.0, 4.0], 6.0, np.array([[0.0], [0.25 * 72.0]]))
    assert_allclose(got, [[8.0, 10.0], [26.0, 28.0]])


def test_expected_downtime_matches_simulation() -> None:
    # Independent check of the linearity argument with non-exponential phases.
    rng = np.random.default_rng(7)
    n = 200_000
    resp = rng.gamma(2.0, 1.5, n)
    rep = rng.lognormal(1.0, 0.5, n)
    wait = np.where(rng.random(n) < 0.1, rng.uniform(24.0, 96.0, n), 0.0)
    total = resp + rep + wait
    mean_wait = 0.1 * 60.0
    expected = expected_downtime_h(3.0, np.exp(1.0 + 0.125), mean_wait)
    assert abs(float(expected) - total.mean()) < 4.0 * total.std() / np.sqrt(n)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0.0, -1.0), {}, "duration_h"),
        ((0.0, 1.0), {"loss_fraction": 1.5}, "loss_fraction"),
        ((0.0, 1.0), {"loss_fraction": -0.1}, "loss_fraction"),
        ((float("nan"), 1.0), {}, "start_h"),
        ((np.zeros(2), np.ones(3)), {}, "broadcast"),
        ((np.zeros(2), 1.0), {"loss_fraction": np.ones(3)}, "broadcast"),
    ],
)
def test_downtime_cost_validation(
    args: tuple[object, object], kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        downtime_cost(WEEK, *args, **kwargs)  # type: ignore[arg-type]


def test_expected_downtime_validation() -> None:
    with pytest.raises(ValueError, match="response_mean_h"):
        expected_downtime_h(-1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="repair_mean_h"):
        expected_downtime_h(1.0, float("nan"), 0.0)
    with pytest.raises(ValueError, match="part_wait_mean_h"):
        expected_downtime_h(1.0, 1.0, np.inf)
