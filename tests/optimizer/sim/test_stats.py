"""Tests for optimizer.sim.stats against scipy.stats and plain numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from optimizer.scenario import Scenario
from optimizer.sim.simulate import simulate
from optimizer.sim.stats import RunningStats, mean_ci, paired_ci, t_quantile


def test_mean_ci_matches_scipy_t_interval() -> None:
    rng = np.random.default_rng(1)
    x = rng.gamma(2.0, 3.0, size=37)
    est = mean_ci(x, 0.95)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert_allclose([est.mean, est.ci_low, est.ci_high], [np.mean(x), lo, hi], rtol=1e-12)
    assert_allclose(est.sd, np.std(x, ddof=1), rtol=1e-12)
    assert est.n == 37
    assert_allclose(est.half_width, 0.5 * (hi - lo), rtol=1e-12)


def test_confidence_level_changes_width() -> None:
    x = np.arange(10.0)
    w90 = mean_ci(x, 0.90).half_width
    w99 = mean_ci(x, 0.99).half_width
    se = np.std(x, ddof=1) / math.sqrt(10)
    assert_allclose(w90, stats.t.ppf(0.95, 9) * se, rtol=1e-12)
    assert_allclose(w99, stats.t.ppf(0.995, 9) * se, rtol=1e-12)


def test_paired_ci_is_ci_of_differences() -> None:
    rng = np.random.default_rng(2)
    common = rng.normal(100.0, 30.0, 50)
    a = common + rng.normal(1.0, 1.0, 50)
    b = common
    est = paired_ci(a, b)
    d = a - b
    lo, hi = stats.t.interval(0.95, 49, loc=d.mean(), scale=stats.sem(d))
    assert_allclose([est.mean, est.ci_low, est.ci_high], [d.mean(), lo, hi], rtol=1e-12)
    # common random numbers: the paired interval is far tighter than the unpaired one
    unpaired = stats.sem(a) ** 2 + stats.sem(b) ** 2
    assert est.half_width < 0.2 * stats.t.ppf(0.975, 49) * math.sqrt(unpaired)


def test_single_observation_has_no_interval() -> None:
    est = mean_ci([3.0])
    assert est.mean == 3.0 and math.isnan(est.ci_low) and math.isnan(est.sd)
    assert est.as_dict()["ci_low"] is None


@pytest.mark.parametrize(
    ("values", "match"),
    [([], "non-empty"), ([1.0, float("nan")], "finite"), ([[1.0, 2.0]], "1-D")],
)
def test_mean_ci_rejects_bad_input(values: list[float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        mean_ci(values)


def test_paired_ci_rejects_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="same shape"):
        paired_ci([1.0, 2.0], [1.0])


@pytest.mark.parametrize(("conf", "n"), [(0.0, 5), (1.0, 5), (0.95, 1)])
def test_t_quantile_rejects(conf: float, n: int) -> None:
    with pytest.raises(ValueError):
        t_quantile(conf, n)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=3, max_size=3),
        min_size=2,
        max_size=40,
    )
)
def test_running_stats_equals_batch_statistics(rows: list[list[float]]) -> None:
    rs = RunningStats(["a", "b", "c"])
    for r in rows:
        rs.add(r)
    x = np.array(rows)
    assert_allclose(rs.mean, x.mean(axis=0), rtol=1e-9, atol=1e-6)
    assert_allclose(rs.variance, x.var(axis=0, ddof=1), rtol=1e-7, atol=1e-3)
    est = rs.estimates()
    for j, name in enumerate("abc"):
        ref = mean_ci(x[:, j])
        assert_allclose(est[name].mean, ref.mean, rtol=1e-9, atol=1e-6)
        assert_allclose(est[name].half_width, ref.half_width, rtol=1e-6, atol=1e-3)


def test_running_stats_validates_rows() -> None:
    rs = RunningStats(["a", "b"])
    with pytest.raises(ValueError, match="shape"):
        rs.add([1.0])
    with pytest.raises(ValueError, match=r"non-finite values for \['b'\]"):
        rs.add([1.0, float("inf")])
    assert np.isnan(rs.variance).all()


def test_interval_is_intersected_with_the_range_of_the_quantity() -> None:
    # a skewed non-negative KPI (a rare failure cost): the plain t interval dips below 0
    x = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 500.0])
    plain = mean_ci(x)
    t = stats.t.ppf(0.975, 7)
    half = t * np.std(x, ddof=1) / np.sqrt(8)
    assert_allclose([plain.ci_low, plain.ci_high], [62.5 - half, 62.5 + half], rtol=1e-12)
    assert plain.ci_low < 0.0
    clipped = plain.within(0.0, math.inf)
    assert clipped.ci_low == 0.0 and math.copysign(1.0, clipped.ci_low) == 1.0  # no "-0.0"
    assert clipped.ci_high == plain.ci_high and clipped.mean == plain.mean

    rs = RunningStats(
        ["cost", "availability", "diff"], {"cost": (0.0, math.inf), "availability": (0.0, 1.0)}
    )
    for row in ([0.0, 1.0, -3.0], [0.0, 0.9, 2.0], [40.0, 1.0, -1.0]):
        rs.add(row)
    est = rs.estimates()
    assert est["cost"].ci_low == 0.0
    assert est["availability"].ci_high == 1.0
    assert_allclose(est["availability"].ci_low, mean_ci([1.0, 0.9, 1.0]).ci_low, rtol=1e-12)
    # an unbounded KPI (a paired difference) is untouched
    assert_allclose(est["diff"].ci_low, mean_ci([-3.0, 2.0, -1.0]).ci_low, rtol=1e-12)


def test_simulated_kpis_have_no_impossible_interval_bounds(conveyor: Scenario) -> None:
    res = simulate(conveyor, "run-to-failure", replications=6, seed=2, years=0.5, workers=1)
    for name, est in res.kpis.items():
        assert est.ci_low >= 0.0, name
        if name.startswith("availability"):
            assert est.ci_high <= 1.0, name
