"""Tests of cost_models.profile.ValueProfile against independent integrals."""

from __future__ import annotations

import calendar
import math
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import integrate

from cost_models.profile import FOUR_YEAR_CYCLE_H, ValueProfile

FAST = settings(max_examples=60, deadline=None)


def reference_integral(p: ValueProfile, a: float, b: float) -> float:
    """Brute force: enumerate every segment of every period overlapping [a, b]."""
    bp = [float(x) for x in p.breakpoints_h]
    vals = [float(x) for x in p.values_per_h]
    if p.period_h is None:
        ends = [*bp[1:], math.inf]
        return math.fsum(
            v * max(0.0, min(b, e) - max(a, s)) for s, e, v in zip(bp, ends, vals, strict=True)
        )
    per = p.period_h
    ends = [*bp[1:], per]
    terms = []
    for k in range(math.floor(a / per) - 1, math.floor(b / per) + 2):
        for s, e, v in zip(bp, ends, vals, strict=True):
            lo, hi = max(a, k * per + s), min(b, k * per + e)
            if hi > lo:
                terms.append(v * (hi - lo))
    return math.fsum(terms)


def reference_rate(p: ValueProfile, t: float) -> float:
    """Brute force: scan the segments for the one containing t."""
    if p.period_h is not None:
        t = t - math.floor(t / p.period_h) * p.period_h
    out = float(p.values_per_h[0])
    for s, v in zip(p.breakpoints_h, p.values_per_h, strict=True):
        if t >= s:
            out = float(v)
    return out


@st.composite
def profiles(draw: st.DrawFn, periodic: bool | None = None) -> ValueProfile:
    m = draw(st.integers(1, 6))
    gaps = draw(st.lists(st.floats(0.25, 50.0), min_size=m - 1, max_size=m - 1))
    b = np.concatenate(([0.0], np.cumsum(gaps)))
    v = draw(st.lists(st.floats(0.0, 1000.0), min_size=m, max_size=m))
    is_periodic = draw(st.booleans()) if periodic is None else periodic
    period = float(b[-1]) + draw(st.floats(0.25, 50.0)) if is_periodic else None
    return ValueProfile(b, np.array(v), period)


def tol(p: ValueProfile, *lengths: float) -> float:
    """Absolute tolerance for rounding: a few ulps of (max rate x time span)."""
    span = sum(abs(x) for x in lengths) + (p.period_h or 0.0) + float(p.breakpoints_h[-1])
    return 1e-10 * (float(p.values_per_h.max()) + 1.0) * (span + 1.0)


SHIFTS = ValueProfile(np.array([0.0, 8.0, 16.0]), np.array([100.0, 50.0, 10.0]))
SHIFTS_DAILY = ValueProfile(np.array([0.0, 8.0, 16.0]), np.array([100.0, 50.0, 10.0]), 24.0)


def test_constant_integral_is_rate_times_duration() -> None:
    p = ValueProfile.constant(120.0)
    assert_allclose(p.integral(3.5, 10.0), 1200.0)
    assert_allclose(p.rate_at([0.0, 1e6]), [120.0, 120.0])


def test_hand_computed_non_periodic() -> None:
    # [4, 8): 4 h x 100, [8, 16): 8 h x 50, [16, 24): 8 h x 10 (last value holds for ever)
    assert_allclose(SHIFTS.integral(4.0, 20.0), 4 * 100 + 8 * 50 + 8 * 10)
    assert_allclose(SHIFTS.integral(100.0, 5.0), 50.0)
    assert_allclose(SHIFTS.rate_at([0.0, 7.999, 8.0, 16.0, 1e5]), [100, 100, 50, 10, 10])


def test_hand_computed_periodic_wraps() -> None:
    # [20, 24): 4 x 10, [24, 32): 8 x 100, [32, 40): 8 x 50, [40, 48): 8 x 10, [48, 50): 2 x 100
    assert_allclose(SHIFTS_DAILY.integral(20.0, 30.0), 40 + 800 + 400 + 80 + 200)
    assert SHIFTS_DAILY.period_integral == pytest.approx(8 * 100 + 8 * 50 + 8 * 10)
    # negative times are valid for a periodic profile: -4 h is 20 h of the previous day
    assert_allclose(SHIFTS_DAILY.rate_at([-4.0, -16.0, 24.0, 32.5]), [10, 50, 100, 50])
    assert_allclose(SHIFTS_DAILY.integral(-4.0, 12.0), 4 * 10 + 8 * 100)


@pytest.mark.parametrize(("a", "d"), [(0.0, 24.0), (3.3, 50.0), (17.0, 5.5), (100.0, 71.2)])
def test_integral_matches_quad(a: float, d: float) -> None:
    def rate(t: float) -> float:
        return float(SHIFTS_DAILY.rate_at(t))

    pts = [x for x in np.arange(0.0, a + d + 24.0, 8.0) if a < x < a + d]
    expected, _ = integrate.quad(rate, a, a + d, points=pts, limit=200)
    assert_allclose(SHIFTS_DAILY.integral(a, d), expected, rtol=1e-10)


def test_integral_many_periods_matches_riemann_sum() -> None:
    p = ValueProfile(np.array([0.0, 30.0, 90.0, 100.5]), np.array([7.0, 0.0, 13.0, 2.5]), 168.0)
    a, d = 1234.5, 168.0 * 57 + 41.3
    n = 2_000_000
    mids = a + (np.arange(n) + 0.5) * (d / n)
    riemann = float(np.sum(p.rate_at(mids)) * (d / n))
    # midpoint-rule error: at most half a step times the jump, per discontinuity
    n_jumps = 4 * (int(d // 168.0) + 2)
    assert_allclose(p.integral(a, d), riemann, atol=n_jumps * 0.5 * (d / n) * 13.0)
    assert_allclose(p.integral(a, d), reference_integral(p, a, a + d), rtol=1e-12)


def test_integral_broadcasts() -> None:
    starts = np.array([[0.0], [5.0], [30.0]])
    durations = np.array([0.0, 1.0, 17.5, 100.0])
    got = SHIFTS_DAILY.integral(starts, durations)
    assert got.shape == (3, 4)
    expected = [
        [reference_integral(SHIFTS_DAILY, s, s + d) for d in durations] for s in starts[:, 0]
    ]
    assert_allclose(got, expected, rtol=1e-12)


@FAST
@given(p=profiles(), a=st.floats(0.0, 500.0), d=st.floats(0.0, 2000.0))
def test_integral_matches_brute_force(p: ValueProfile, a: float, d: float) -> None:
    assert_allclose(
        p.integral(a, d), reference_integral(p, a, a + d), rtol=1e-10, atol=tol(p, a, d)
    )


@FAST
@given(
    p=profiles(),
    a=st.floats(0.0, 500.0),
    x=st.floats(0.0, 300.0),
    y=st.floats(0.0, 300.0),
)
def test_integral_is_additive(p: ValueProfile, a: float, x: float, y: float) -> None:
    left = p.integral(a, x) + p.integral(a + x, y)
    assert_allclose(left, p.integral(a, x + y), rtol=1e-10, atol=tol(p, a, x, y))


@FAST
@given(p=profiles(), a=st.floats(0.0, 500.0), d=st.floats(0.0, 300.0), e=st.floats(0.0, 300.0))
def test_integral_non_negative_and_monotone(p: ValueProfile, a: float, d: float, e: float) -> None:
    short, long = p.integral(a, d), p.integral(a, d + e)
    assert short >= 0.0
    assert long >= short - tol(p, a, d, e)
    # bounded by the extreme rates
    assert short <= float(p.values_per_h.max()) * d + tol(p, a, d)


@FAST
@given(p=profiles(periodic=True), a=st.floats(-500.0, 500.0), d=st.floats(0.0, 300.0))
def test_periodic_invariance(p: ValueProfile, a: float, d: float) -> None:
    assert p.period_h is not None
    assert_allclose(p.integral(a + p.period_h, d), p.integral(a, d), rtol=1e-9, atol=tol(p, a, d))
    assert_allclose(p.integral(a, p.period_h), p.period_integral, rtol=1e-9, atol=tol(p, a))
    assert_allclose(p.integral(a, d), reference_integral(p, a, a + d), rtol=1e-9, atol=tol(p, a, d))


@FAST
@given(p=profiles(), t=st.lists(st.floats(0.0, 1000.0), min_size=1, max_size=20))
def test_rate_at_matches_scan(p: ValueProfile, t: list[float]) -> None:
    assert_allclose(p.rate_at(np.array(t)), [reference_rate(p, x) for x in t])


@FAST
@given(
    p=profiles(),
    offset=st.floats(0.0, 400.0),
    t=st.lists(st.floats(0.0, 500.0), min_size=1, max_size=10),
    d=st.floats(0.0, 200.0),
)
def test_shifted(p: ValueProfile, offset: float, t: list[float], d: float) -> None:
    q = p.shifted(offset)
    assert q.period_h == p.period_h
    ts = np.array(t)
    # compare away from breakpoints, where rounding of t + offset may flip the segment
    bp = p.breakpoints_h
    period = p.period_h or math.inf
    phase = np.mod(ts + offset, period) if p.periodic else ts + offset
    clear = np.min(np.abs(phase[:, None] - np.append(bp, period)[None, :]), axis=1) > 1e-6
    assert_allclose(q.rate_at(ts[clear]), p.rate_at(ts[clear] + offset))
    assert_allclose(
        q.integral(ts, d), p.integral(ts + offset, d), rtol=1e-9, atol=tol(p, offset, 500.0, d)
    )


def test_shifted_rejects_negative_offset_without_period() -> None:
    with pytest.raises(ValueError, match="offset_h"):
        SHIFTS.shifted(-1.0)
    assert_allclose(SHIFTS_DAILY.shifted(-4.0).rate_at(0.0), 10.0)


@FAST
@given(p=profiles(periodic=True), h=st.floats(1.0, 600.0), a=st.floats(0.0, 600.0))
def test_unrolled_agrees_on_horizon(p: ValueProfile, h: float, a: float) -> None:
    u = p.unrolled(h)
    assert u.period_h is None
    start, d = min(a, h), h - min(a, h)
    assert_allclose(u.integral(start, d), p.integral(start, d), rtol=1e-9, atol=tol(p, h))
    # beyond the horizon the rate in force at the horizon holds
    assert_allclose(u.rate_at(h + 1000.0), u.rate_at(np.nextafter(h, 0.0)))


def test_product_periodic_commensurate() -> None:
    daily = SHIFTS_DAILY
    weekly = ValueProfile.periodic_uniform([1, 1, 1, 1, 1, 0.5, 0.0], 24.0)
    prod = daily.product(weekly)
    assert prod.period_h == pytest.approx(168.0)
    t = np.arange(0.0, 400.0, 0.37)
    assert_allclose(prod.rate_at(t), daily.rate_at(t) * weekly.rate_at(t))
    # one week: five full days, half a Saturday, no Sunday
    assert_allclose(prod.period_integral, 5.5 * daily.period_integral)


def test_product_with_window_needs_horizon() -> None:
    window = ValueProfile(np.array([0.0, 50.0, 70.0]), np.array([1.0, 0.2, 1.0]))
    with pytest.raises(ValueError, match="horizon_h"):
        SHIFTS_DAILY.product(window)
    prod = SHIFTS_DAILY.product(window, horizon_h=240.0)
    expected = reference_integral(SHIFTS_DAILY, 0.0, 240.0) - 0.8 * reference_integral(
        SHIFTS_DAILY, 50.0, 70.0
    )
    assert_allclose(prod.integral(0.0, 240.0), expected, rtol=1e-12)
    both_np = SHIFTS.product(window)
    assert_allclose(both_np.rate_at([0.0, 10.0, 60.0, 100.0]), [100, 50, 10 * 0.2, 10])
    with pytest.raises(ValueError, match="horizon_h"):
        SHIFTS_DAILY.product(ValueProfile.periodic_uniform([1.0], 10.0))


def test_scaled() -> None:
    assert_allclose(
        SHIFTS_DAILY.scaled(2.5).integral(3.0, 77.0), 2.5 * SHIFTS_DAILY.integral(3.0, 77.0)
    )
    with pytest.raises(ValueError, match="factor"):
        SHIFTS_DAILY.scaled(-1.0)


def test_periodic_uniform_phase() -> None:
    hourly = np.arange(168.0)
    p = ValueProfile.periodic_uniform(hourly, 1.0, phase_h=100.5)
    assert_allclose(p.rate_at([0.0, 0.6, 67.0, 67.5, 68.0]), [100.0, 101.0, 167.0, 0.0, 0.0])
    assert_allclose(p.period_integral, hourly.sum())


def test_weekly_aligned_with_start() -> None:
    start = datetime(2024, 1, 3, 6, 0, tzinfo=UTC)  # a Wednesday
    days = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 5.0, 1.0])
    p = ValueProfile.weekly(days, start)
    n = 1000
    hours = np.datetime64("2024-01-03T06") + np.arange(n).astype("timedelta64[h]")
    weekday = (hours.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    assert_allclose(p.rate_at(np.arange(n) + 0.5), days[weekday])
    assert_allclose(p.integral(0.0, float(n)), days[weekday].sum(), rtol=1e-12)


@pytest.mark.parametrize("start", [datetime(2024, 1, 1), datetime(2023, 3, 15, 12, 0)])
def test_monthly_follows_calendar(start: datetime) -> None:
    months = np.array([12.0, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1])
    p = ValueProfile.monthly(months, start)
    assert p.period_h == FOUR_YEAR_CYCLE_H
    n = 9 * 8784  # nine years: several leap days and more than two cycles
    hours = np.datetime64(start) + np.arange(n).astype("timedelta64[h]")
    month = hours.astype("datetime64[M]").astype(np.int64) % 12
    assert_allclose(p.rate_at(np.arange(n) + 0.5), months[month])
    assert_allclose(p.integral(0.0, float(n)), months[month].sum(), rtol=1e-12)
    # 29 days from 1 February next year: all of February, then March if February is short
    feb_h = (datetime(start.year + 1, 2, 1) - start).total_seconds() / 3600.0
    feb_days = calendar.monthrange(start.year + 1, 2)[1]
    expected = 11.0 * feb_days * 24 + 10.0 * (29 - feb_days) * 24
    assert_allclose(p.integral(feb_h, 29 * 24.0), expected)


def test_monthly_aware_start_matches_naive() -> None:
    months = np.arange(1.0, 13.0)
    naive = ValueProfile.monthly(months, datetime(2025, 7, 20, 8, 0))
    aware = ValueProfile.monthly(months, datetime(2025, 7, 20, 8, 0, tzinfo=UTC))
    assert_allclose(aware.breakpoints_h, naive.breakpoints_h)
    assert_allclose(aware.values_per_h, naive.values_per_h)
    # 11 days 16 hours of July remain after the start, then August
    assert_allclose(naive.breakpoints_h[1], 11 * 24 + 16)
    assert_allclose(naive.values_per_h[:2], [7.0, 8.0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"breakpoints_h": [0.0, 1.0], "values_per_h": [1.0, float("nan")]}, "values_per_h"),
        ({"breakpoints_h": [0.0, 1.0], "values_per_h": [1.0, -2.0]}, "values_per_h"),
        ({"breakpoints_h": [0.0, 1.0], "values_per_h": [1.0, np.inf]}, "values_per_h"),
        ({"breakpoints_h": [0.0, 1.0], "values_per_h": [1.0]}, "values_per_h"),
        ({"breakpoints_h": [1.0, 2.0], "values_per_h": [1.0, 2.0]}, "breakpoints_h"),
        ({"breakpoints_h": [0.0, 2.0, 2.0], "values_per_h": [1.0, 2.0, 3.0]}, "breakpoints_h"),
        ({"breakpoints_h": [], "values_per_h": []}, "breakpoints_h"),
        ({"breakpoints_h": [0.0, 5.0], "values_per_h": [1.0, 2.0], "period_h": 5.0}, "period_h"),
        ({"breakpoints_h": [0.0], "values_per_h": [1.0], "period_h": float("nan")}, "period_h"),
    ],
)
def test_constructor_validation(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ValueProfile(**kwargs)  # type: ignore[arg-type]


def test_evaluation_validation() -> None:
    with pytest.raises(ValueError, match="duration_h"):
        SHIFTS_DAILY.integral(0.0, -1.0)
    with pytest.raises(ValueError, match="start_h"):
        SHIFTS.integral(-1.0, 1.0)
    with pytest.raises(ValueError, match="start_h"):
        SHIFTS_DAILY.integral(float("nan"), 1.0)
    with pytest.raises(ValueError, match="duration_h"):
        SHIFTS_DAILY.integral(0.0, np.inf)
    with pytest.raises(ValueError, match="t_h"):
        SHIFTS.rate_at([1.0, -0.5])
    with pytest.raises(ValueError, match="broadcast"):
        SHIFTS.integral(np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="weekly"):
        ValueProfile.weekly(np.ones(6), datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="monthly"):
        ValueProfile.monthly(np.ones(7), datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="step_h"):
        ValueProfile.periodic_uniform([1.0], 0.0)


def test_arrays_are_read_only() -> None:
    with pytest.raises(ValueError, match="read-only"):
        SHIFTS.values_per_h[0] = 1.0
