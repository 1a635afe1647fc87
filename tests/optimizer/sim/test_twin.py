"""Tests for optimizer.sim.twin: the twin's error model.

Reference values: normal probabilities from scipy.stats.norm; the threshold crossing
checked against the twin's own quantile point by point.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from optimizer.reliability import distributions as rul
from optimizer.sim.twin import Twin


def test_unknown_accuracy_is_rejected() -> None:
    with pytest.raises(ValueError, match="twin_accuracy"):
        Twin("excellent")


def test_twin_spread_shrinks_towards_failure() -> None:
    tw = Twin("good")
    r = np.array([0.0, 10.0, 100.0, 1000.0, 1e6])
    s = tw.spread(r, 1000.0)
    # issue #13 cause 10: the spread shrinks towards failure but never below the error
    # floor (35% of the nominal spread): sqrt(2R/(R+M)) < 0.35 for R < 65.2 h here
    assert_allclose(s, 0.15 * np.maximum(np.sqrt(2.0 * r / (r + 1000.0)), 0.35))
    assert_allclose(s[:2], 0.15 * 0.35)  # at failure and 10 h before it: the floor
    assert_allclose(Twin("poor").spread(0.0, 1000.0), 0.175)
    assert_allclose(s[3], 0.15)  # a new part (R = mean life) has the nominal spread
    assert np.all(np.diff(s[1:]) > 0)
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


def _plain_bisection_crossing(
    sig: float, q: float, thr: float, r0: float, z: float, m: float
) -> float:
    """The crossing by 48 plain bisection steps in ``log r``, every midpoint evaluated
    (the algorithm before the Newton band of :meth:`Twin.crossing`)."""
    w = z + float(stats.norm.ppf(q))
    log_t = math.log(thr)

    def f(r: float) -> float:
        return math.log(r) + sig * max(math.sqrt(2.0 * r / (r + m)), 0.35) * w - log_t

    if r0 <= 0.0 or f(r0) <= 0.0:
        return max(r0, 0.0)
    lo, hi = log_t - 2.0 * abs(sig * w) - 2.0, math.log(r0)
    if f(math.exp(lo)) > 0.0:
        return 0.0
    for _ in range(48):
        mid = 0.5 * (lo + hi)
        if f(math.exp(mid)) > 0.0:
            hi = mid
        else:
            lo = mid
    return math.exp(lo)


@pytest.mark.parametrize("acc", ["good", "poor", "perfect"])
def test_twin_crossing_is_bit_identical_to_plain_bisection(acc: str) -> None:
    # the Newton band only skips evaluations whose sign it knows: same float result,
    # including the draws with a large error where the band is switched off (poor twin)
    rng = np.random.default_rng(5)
    tw = Twin(acc)
    sig = float(tw.sigma or 0.0)
    for _ in range(6000):
        q = float(rng.choice([0.05, 0.1, 0.5, 0.9]))
        thr, r0 = float(rng.uniform(10.0, 2000.0)), float(rng.exponential(5000.0))
        z, m = float(rng.normal() * rng.choice([1.0, 4.0])), float(rng.uniform(500.0, 5e4))
        # (m up to 5e4 against thresholds up to 2,000 h: crossings in the error floor,
        # where the root is known in closed form, and above it, where Newton finds it)
        assert tw.crossing(q, thr, r0, z, m) == _plain_bisection_crossing(sig, q, thr, r0, z, m)
