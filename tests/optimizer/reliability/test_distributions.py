"""Tests of optimizer.reliability.distributions against scipy.stats, scipy quad and by hand."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs
from numpy.testing import assert_allclose, assert_array_equal
from scipy import special as sc
from scipy.integrate import quad
from scipy.optimize import brentq

from optimizer.reliability.distributions import (
    Deterministic,
    Empirical,
    Exponential,
    Gamma,
    LifeDistribution,
    Lognormal,
    Normal,
    Residual,
    Weibull,
    from_spec,
    progpy_normal,
    progpy_samples,
)


def _tn(mean_h: float, sd_h: float) -> st.rv_continuous:
    return st.truncnorm(-mean_h / sd_h, np.inf, loc=mean_h, scale=sd_h)


# (ours, scipy reference, time grid in hours reaching deep into the tail)
CASES: list[tuple[str, LifeDistribution, st.rv_continuous, np.ndarray]] = [
    (
        "weibull-wearout",
        Weibull(2.5, 1000.0),
        st.weibull_min(2.5, scale=1000.0),
        np.array([1e-6, 1.0, 100.0, 900.0, 1000.0, 2500.0, 5000.0]),
    ),
    (
        "weibull-infant",
        Weibull(0.6, 1000.0),
        st.weibull_min(0.6, scale=1000.0),
        np.array([1e-6, 1.0, 100.0, 1000.0, 1e4, 1e5]),
    ),
    (
        "lognormal",
        Lognormal(800.0, 0.7),
        st.lognorm(0.7, scale=800.0),
        np.array([1e-3, 10.0, 500.0, 800.0, 3000.0, 2e4]),
    ),
    (
        "gamma",
        Gamma(3.0, 300.0),
        st.gamma(3.0, scale=300.0),
        np.array([1e-4, 10.0, 500.0, 900.0, 3000.0, 1e4]),
    ),
    (
        "gamma-k<1",
        Gamma(0.5, 300.0),
        st.gamma(0.5, scale=300.0),
        np.array([1e-4, 10.0, 150.0, 900.0, 3000.0, 1e4]),
    ),
    (
        "exponential",
        Exponential(700.0),
        st.expon(scale=700.0),
        np.array([1e-6, 10.0, 700.0, 5000.0, 2e4]),
    ),
    (
        "normal",
        Normal(1000.0, 300.0),
        _tn(1000.0, 300.0),
        np.array([1e-3, 10.0, 500.0, 1000.0, 2000.0, 3500.0]),
    ),
    (
        "normal-overdue",
        Normal(-200.0, 300.0),
        _tn(-200.0, 300.0),
        np.array([1e-3, 10.0, 100.0, 500.0, 2000.0]),
    ),
]
IDS = [c[0] for c in CASES]


def _quad(f: Callable[[float], float], a: float, b: float) -> float:
    return float(quad(f, a, b, limit=400, epsabs=0.0, epsrel=1e-12)[0])


# --------------------------------------------------------------------------------------
# parametric distributions against scipy.stats
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "d", "ref", "t"), CASES, ids=IDS)
def test_against_scipy_stats(
    name: str, d: LifeDistribution, ref: st.rv_continuous, t: np.ndarray
) -> None:
    assert_allclose(d.sf(t), ref.sf(t), rtol=1e-9, atol=0)
    assert_allclose(d.cdf(t), ref.cdf(t), rtol=1e-9, atol=0)  # also where tiny
    assert_allclose(d.pdf(t), ref.pdf(t), rtol=1e-9, atol=0)
    assert_allclose(d.cum_hazard(t), -ref.logsf(t), rtol=1e-9, atol=1e-300)
    assert_allclose(d.hazard(t), np.exp(ref.logpdf(t) - ref.logsf(t)), rtol=1e-9)
    q = np.array([0.0, 1e-12, 1e-3, 0.1, 0.5, 0.9, 0.999, 1 - 1e-9, 1.0])
    # absolute slack of ~1e-13 of the scale: the truncated normal's quantiles near 0 are
    # mean - sd * w with w ~ mean / sd, which cancels (inherent in double precision)
    assert_allclose(d.ppf(q), ref.ppf(q), rtol=1e-9, atol=1e-13 * ref.mean())
    assert_allclose(d.mean(), ref.mean(), rtol=1e-10)


@pytest.mark.parametrize(("name", "d", "ref", "t"), CASES, ids=IDS)
def test_int_sf_and_mrl_against_quad(
    name: str, d: LifeDistribution, ref: st.rv_continuous, t: np.ndarray
) -> None:
    grid = np.concatenate(([0.0], t))
    expected = [_quad(ref.sf, 0.0, x) for x in grid]
    assert_allclose(d.int_sf(grid), expected, rtol=1e-8, atol=0)
    assert_allclose(d.int_sf(np.inf), ref.mean(), rtol=1e-10)

    # mrl from the survival ratio exp(logsf(u) - logsf(x)), integrated by quad
    def mrl_ref_at(x: float) -> float:
        log_sx = float(ref.logsf(x))
        return _quad(lambda u: float(np.exp(ref.logsf(u) - log_sx)), x, np.inf)

    mrl_ref = [mrl_ref_at(float(x)) for x in grid]
    assert_allclose(d.mrl(grid), mrl_ref, rtol=1e-8)
    assert_allclose(d.mrl(0.0), ref.mean(), rtol=1e-10)


def test_tiny_cdf_is_accurate() -> None:
    # F(t) ~ (t/eta)^beta for small t: 1 - S would return 0 here.
    d = Weibull(2.0, 1000.0)
    assert_allclose(d.cdf(1e-6), (1e-9) ** 2, rtol=1e-12)
    g = Gamma(2.0, 10.0)
    assert_allclose(g.cdf(1e-7), sc.gammainc(2.0, 1e-8), rtol=1e-12)
    assert g.cdf(1e-7) > 0.0


def test_tail_closed_forms_where_sf_underflows() -> None:
    # Weibull beta=2: integral_t^inf S = eta sqrt(pi)/2 erfc(t/eta), so mrl = eta sqrt(pi)/2 erfcx
    w = Weibull(2.0, 100.0)
    t = np.array([10.0, 500.0, 4000.0, 1e5])  # S(4000) = exp(-1600) underflows
    assert_allclose(w.mrl(t), 100.0 * math.sqrt(math.pi) / 2 * sc.erfcx(t / 100.0), rtol=1e-12)
    assert_allclose(w.cum_hazard(t), (t / 100.0) ** 2, rtol=1e-14)
    # Gamma k=3: Q(3, x) = e^-x (1 + x + x^2/2), integral_x^inf Q = e^-x (3 + 2x + x^2/2)
    g = Gamma(3.0, 50.0)
    x = np.array([0.5, 5.0, 100.0, 2000.0, 1e4])
    assert_allclose(g.cum_hazard(50.0 * x), x - np.log1p(x + x * x / 2), rtol=1e-13)
    assert_allclose(
        g.mrl(50.0 * x), 50.0 * (3 + 2 * x + x * x / 2) / (1 + x + x * x / 2), rtol=1e-9
    )
    assert_allclose(g.hazard(50.0 * x), (x * x / 2) / (1 + x + x * x / 2) / 50.0, rtol=1e-9)
    # Lognormal: -log S from scipy's log_ndtr, far beyond underflow of S
    ln = Lognormal(800.0, 0.5)
    tt = 800.0 * np.exp(0.5 * np.array([3.0, 30.0, 45.0]))
    assert_allclose(ln.cum_hazard(tt), -sc.log_ndtr(-np.array([3.0, 30.0, 45.0])), rtol=1e-13)
    assert np.all(np.isfinite(ln.mrl(tt))) and np.all(ln.mrl(tt) > 0)


# --------------------------------------------------------------------------------------
# conventions: t < 0, t = inf, bounds of q, validation
# --------------------------------------------------------------------------------------
ALL = [c[1] for c in CASES] + [
    Deterministic(500.0),
    Empirical([1.0, 2.0, 5.0], [False, False, True]),
    Empirical([3.0, 1.0, 2.0]),
    Weibull(2.0, 100.0).residual(250.0),
]


@pytest.mark.parametrize("d", ALL, ids=repr)
def test_edges_are_finite_and_conventional(d: LifeDistribution) -> None:
    t = np.array([-5.0, 0.0, np.inf])
    for name in ("sf", "cdf", "pdf", "hazard", "cum_hazard", "int_sf", "mrl"):
        out = getattr(d, name)(t)
        assert not np.any(np.isnan(out)), name
    assert_array_equal(d.sf([-5.0, np.inf]), [1.0, 0.0])
    assert_array_equal(d.cdf([-5.0, np.inf]), [0.0, 1.0])
    assert d.pdf(-1.0) == 0.0 and d.hazard(-1.0) == 0.0 and d.int_sf(-1.0) == 0.0
    assert d.cum_hazard(np.inf) == np.inf
    assert_allclose(d.int_sf(np.inf), d.mean(), rtol=1e-12)
    assert d.ppf(0.0) >= 0.0
    with pytest.raises(ValueError, match="NaN"):
        d.sf([1.0, np.nan])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        d.ppf(1.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        d.ppf(np.nan)
    with pytest.raises(ValueError, match="n must be"):
        d.sample(-1, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("factory", "param"),
    [
        (lambda v: Weibull(v, 1.0), "shape"),
        (lambda v: Weibull(1.0, v), "scale_h"),
        (lambda v: Gamma(v, 1.0), "shape"),
        (lambda v: Gamma(1.0, v), "scale_h"),
        (lambda v: Lognormal(v, 1.0), "median_h"),
        (lambda v: Lognormal(1.0, v), "sigma"),
        (lambda v: Exponential(v), "mean_h"),
        (lambda v: Normal(1.0, v), "sd_h"),
        (lambda v: Deterministic(v), "life_h"),
    ],
)
@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf, [1.0, -2.0]])
def test_parameter_validation_names_parameter(
    factory: Callable[[object], LifeDistribution], param: str, bad: object
) -> None:
    with pytest.raises(ValueError, match=param):
        factory(bad)


def test_normal_accepts_nonpositive_mean_but_not_nan() -> None:
    assert Normal(0.0, 1.0).mean() > 0
    with pytest.raises(ValueError, match="mean_h"):
        Normal(np.nan, 1.0)


# --------------------------------------------------------------------------------------
# batches and broadcasting
# --------------------------------------------------------------------------------------
def test_batch_broadcasting_matches_elementwise() -> None:
    beta = np.array([0.8, 1.5, 3.0])
    eta = np.array([100.0, 1000.0, 5000.0])
    t = np.array([0.0, 50.0, 800.0, 3000.0])
    d = Weibull(shape=beta[:, None], scale_h=eta[:, None])
    assert d.batch_shape == (3, 1)
    for name in ("sf", "cdf", "pdf", "hazard", "cum_hazard", "int_sf", "mrl"):
        out = getattr(d, name)(t)
        assert out.shape == (3, 4), name
        for i in range(3):
            assert_allclose(out[i], getattr(Weibull(beta[i], eta[i]), name)(t), rtol=1e-14)
    assert d.mean().shape == (3, 1)
    assert d.ppf(np.array([0.1, 0.5])).shape == (3, 2)
    assert d.sample(7, np.random.default_rng(1)).shape == (7, 3, 1)
    # scalar parameters with a matrix of times; mixed batch of a single parameter
    assert Lognormal(100.0, 0.5).sf(np.ones((2, 5))).shape == (2, 5)
    g = Gamma(np.array([1.0, 2.0]), 10.0)
    assert g.batch_shape == (2,) and g.mean().shape == (2,)
    assert_allclose(g.mean(), [10.0, 20.0])
    # residual with per-component ages
    age = np.array([0.0, 500.0, 4000.0])[:, None]
    r = d.residual(age)
    assert isinstance(r, Residual) and r.batch_shape == (3, 1)
    out = r.int_sf(t)
    assert out.shape == (3, 4)
    for i in range(3):
        ri = Weibull(beta[i], eta[i]).residual(float(age[i, 0]))
        assert_allclose(out[i], ri.int_sf(t), rtol=1e-13)
    assert r.sample(4, np.random.default_rng(0)).shape == (4, 3, 1)


def test_each_distribution_broadcasts_like_scipy() -> None:
    t = np.linspace(0.0, 3000.0, 11)
    p = np.array([1.0, 2.0, 4.0])[:, None]
    pairs: list[tuple[LifeDistribution, st.rv_continuous]] = [
        (Weibull(p, 1000.0), st.weibull_min(p, scale=1000.0)),
        (Gamma(p, 300.0), st.gamma(p, scale=300.0)),
        (Lognormal(800.0 * p, 0.5), st.lognorm(0.5, scale=800.0 * p)),
        (Exponential(500.0 * p), st.expon(scale=500.0 * p)),
        (Normal(500.0 * p, 200.0), st.truncnorm(-500.0 * p / 200.0, np.inf, 500.0 * p, 200.0)),
    ]
    for d, ref in pairs:
        assert d.sf(t).shape == (3, 11)
        assert_allclose(d.sf(t), ref.sf(t), rtol=1e-9, atol=1e-300)
        assert_allclose(d.mean(), ref.mean(), rtol=1e-10)


# --------------------------------------------------------------------------------------
# residual life
# --------------------------------------------------------------------------------------
def _age_for_sf(ref: st.rv_continuous, log_s: float) -> float:
    return float(ref.isf(math.exp(log_s)))


RESIDUAL_CASES = [
    (Weibull(2.5, 1000.0), st.weibull_min(2.5, scale=1000.0)),
    (Weibull(0.7, 1000.0), st.weibull_min(0.7, scale=1000.0)),
    (Lognormal(800.0, 0.5), st.lognorm(0.5, scale=800.0)),
    (Gamma(3.0, 300.0), st.gamma(3.0, scale=300.0)),
    (Gamma(0.5, 300.0), st.gamma(0.5, scale=300.0)),
    (Normal(1000.0, 300.0), _tn(1000.0, 300.0)),
]


@pytest.mark.parametrize(("d", "ref"), RESIDUAL_CASES, ids=lambda x: repr(x)[:30])
@pytest.mark.parametrize("log_s_age", [math.log(0.95), math.log(0.2), math.log(1e-30)])
def test_residual_against_quad(
    d: LifeDistribution, ref: st.rv_continuous, log_s_age: float
) -> None:
    age = _age_for_sf(ref, log_s_age)
    res = d.residual(age)
    log_sa = float(ref.logsf(age))

    def s_res(u: float) -> float:
        return float(np.exp(ref.logsf(age + u) - log_sa))

    mean_ref = _quad(s_res, 0.0, np.inf)
    scale = mean_ref
    t = scale * np.array([1e-3, 0.1, 0.5, 1.0, 3.0])
    assert_allclose(res.sf(t), [s_res(x) for x in t], rtol=1e-9)
    assert_allclose(res.int_sf(t), [_quad(s_res, 0.0, x) for x in t], rtol=1e-6)
    assert_allclose(res.mean(), mean_ref, rtol=1e-8)
    assert_allclose(res.mrl(t), [_quad(s_res, x, np.inf) / s_res(x) for x in t], rtol=1e-7)
    assert_allclose(res.hazard(t), np.exp(ref.logpdf(age + t) - ref.logsf(age + t)), rtol=1e-8)
    assert_allclose(res.pdf(t), np.exp(ref.logpdf(age + t) - log_sa), rtol=1e-8)
    # quantiles by root finding on the reference log-survival
    for q in (1e-6, 0.3, 0.5, 0.99):
        expected = brentq(
            lambda u, q=q: float(ref.logsf(age + u)) - log_sa - math.log1p(-q),
            0.0,
            100.0 * scale,
            xtol=1e-14 * scale,
            rtol=1e-14,
        )
        # adding -log(1 - q) to H(age) keeps ~1e-16 H(age) / q of relative precision
        assert_allclose(res.ppf(q), expected, rtol=max(1e-9, 1e-14 * -log_s_age / q))


def test_residual_of_astronomically_old_parts_is_finite_and_correct() -> None:
    # S(age) far below 1e-300: closed forms / asymptotics
    w = Weibull(2.0, 100.0)
    r = w.residual(5000.0)  # H = 2500
    # mrl = eta sqrt(pi)/2 erfcx(a/eta); int_sf(t) = mrl(a) - S_res(t) mrl(a+t)

    def m(a: float | np.ndarray) -> np.ndarray:
        return np.asarray(100.0 * math.sqrt(math.pi) / 2 * sc.erfcx(np.asarray(a) / 100.0))

    assert_allclose(r.mean(), m(5000.0), rtol=1e-12)
    t = np.array([0.1, 1.0, 5.0])
    s_res = np.exp(-((5000.0 + t) ** 2 - 5000.0**2) / 1e4)
    assert_allclose(r.sf(t), s_res, rtol=1e-12)
    assert_allclose(r.int_sf(t), m(5000.0) - s_res * m(5000.0 + t), rtol=1e-9)
    g = Gamma(3.0, 50.0)
    x_a = 3000.0
    rg = g.residual(50.0 * x_a)

    def h_exact(x: float) -> float:
        return x - math.log1p(x + x * x / 2)

    for q in (0.01, 0.5, 0.99):
        x = brentq(lambda y, q=q: h_exact(y) - h_exact(x_a) + math.log1p(-q), x_a, x_a + 100.0)
        assert_allclose(rg.ppf(q), 50.0 * (x - x_a), rtol=1e-8)
    draws = rg.sample(2000, np.random.default_rng(3))
    assert np.all(np.isfinite(draws)) and np.all(draws >= 0)
    n = Normal(1000.0, 300.0).residual(1e6)
    w_a = (1000.0 - 1e6) / 300.0
    # mrl of a normal deep in its tail: s G(w)/Phi(w) with G from erfcx, cf. Mills' ratio
    assert_allclose(n.mean(), 300.0 / abs(w_a) * (1 - 2 / w_a**2 + 10 / w_a**4), rtol=1e-9)


def test_residual_samples_follow_residual_cdf() -> None:
    rng = np.random.default_rng(12345)
    ref = st.weibull_min(2.5, scale=1000.0)
    age = 1500.0
    draws = Weibull(2.5, 1000.0).residual(age).sample(3000, rng)
    cdf = lambda x: -np.expm1(ref.logsf(age + x) - ref.logsf(age))  # noqa: E731
    assert st.kstest(draws, cdf).pvalue > 0.01


def test_exponential_and_deterministic_residuals() -> None:
    e = Exponential(300.0)
    assert e.residual(1234.0) is e
    assert e.residual(np.zeros(3)).batch_shape == (3,)
    d = Deterministic(100.0)
    r = d.residual(30.0)
    assert isinstance(r, Deterministic)
    assert_allclose(r.life_h, 70.0)
    with pytest.raises(ValueError, match="life_h"):
        d.residual(100.0)
    assert_array_equal(d.sf([0.0, 99.9, 100.0]), [1.0, 1.0, 0.0])
    assert_array_equal(d.int_sf([50.0, 150.0]), [50.0, 100.0])
    assert_allclose(d.mrl([0.0, 40.0, 200.0]), [100.0, 60.0, 0.0], rtol=1e-14)
    assert_array_equal(d.sample(3, np.random.default_rng(0)), [100.0] * 3)
    generic = Residual(d, 30.0)
    assert_allclose(generic.sf([0.0, 69.0, 70.0]), [1.0, 1.0, 0.0])
    assert_allclose(generic.int_sf([10.0, 100.0]), [10.0, 70.0])
    assert_allclose(generic.mean(), 70.0)
    assert_allclose(generic.sample(2, np.random.default_rng(0)), [70.0, 70.0])


def test_residual_validation() -> None:
    w = Weibull(2.0, 10.0)
    assert w.residual(0.0) is w
    for bad in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="age_h"):
            w.residual(bad)
    with pytest.raises(ValueError, match="age_h"):
        Empirical([1.0, 2.0]).residual(2.0)  # S(2) = 0
    with pytest.raises(ValueError, match="age_h"):
        Residual(w, [1.0, -1.0])


# --------------------------------------------------------------------------------------
# sampling
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "d", "ref", "t"), CASES, ids=IDS)
def test_sampling_ks_and_mean(
    name: str, d: LifeDistribution, ref: st.rv_continuous, t: np.ndarray
) -> None:
    draws = d.sample(4000, np.random.default_rng(2024))
    assert draws.shape == (4000,)
    assert st.kstest(draws, ref.cdf).pvalue > 0.01
    half_width = 4.5 * ref.std() / math.sqrt(draws.size)
    assert abs(draws.mean() - ref.mean()) < half_width
    # same generator state -> same draws (reproducible, inverse transform of rng.random)
    again = d.sample(4000, np.random.default_rng(2024))
    assert_array_equal(draws, again)
    assert_allclose(draws, d.ppf(np.random.default_rng(2024).random(4000)), rtol=1e-15)


# --------------------------------------------------------------------------------------
# empirical / Kaplan-Meier
# --------------------------------------------------------------------------------------
def _km_example() -> Empirical:
    # times 1, 2, 2(c), 3, 4(c), 5(c): at risk 6, 5, 3 at the failures 1, 2, 3
    return Empirical([1.0, 2.0, 2.0, 3.0, 4.0, 5.0], [False, True, False, False, True, True])


def test_kaplan_meier_hand_example() -> None:
    e = _km_example()
    s1, s2, s3 = 5 / 6, 5 / 6 * 4 / 5, 5 / 6 * 4 / 5 * 2 / 3
    lam = 3 / 17  # 3 failures / (1 + 2 + 2 + 3 + 4 + 5) h on test
    assert_allclose(e.tail_rate_per_h, lam)
    t = np.array([0.0, 0.999, 1.0, 1.5, 2.0, 2.9, 3.0, 4.5, 5.0, 7.0])
    expected = [1, 1, s1, s1, s2, s2, s3, s3, s3, s3 * math.exp(-lam * 2.0)]
    assert_allclose(e.sf(t), expected, rtol=1e-14)
    assert_allclose(e.cdf(t), 1 - np.array(expected), rtol=1e-14, atol=1e-16)
    area_5 = 1 + s1 + s2 + 2 * s3
    assert_allclose(e.int_sf([1.0, 2.5, 5.0]), [1.0, 1 + s1 + 0.5 * s2, area_5], rtol=1e-14)
    assert_allclose(e.mean(), area_5 + s3 / lam, rtol=1e-14)
    assert_allclose(e.int_sf(7.0), area_5 + s3 * (1 - math.exp(-2 * lam)) / lam, rtol=1e-14)
    assert_allclose(e.ppf([0.0, 0.1, 0.5, 0.6]), [0, 1, 3, 5 + math.log(s3 / 0.4) / lam])
    assert e.ppf(1.0) == np.inf
    assert_allclose(e.mrl(2.5), (0.5 * s2 + 2 * s3 + s3 / lam) / s2, rtol=1e-14)
    assert_allclose(e.mrl(6.0), 1 / lam, rtol=1e-12)
    assert_allclose(e.hazard([2.5, 6.0]), [0.0, lam])


def test_empirical_consistency_with_quad_and_sampling() -> None:
    rng = np.random.default_rng(7)
    x = rng.weibull(2.0, 60) * 100.0
    cens = rng.random(60) < 0.3
    cens[np.argmax(x)] = True  # tail needed
    e = Empirical(x, cens)
    knots = np.sort(np.concatenate(([0.0], x)))
    grid = np.array([0.0, 10.0, 50.0, 100.0, float(x.max()), float(x.max()) + 80.0])

    def integral(a: float, b: float) -> float:
        pts = [p for p in knots if a < p < b]
        return float(quad(lambda u: float(e.sf(u)), a, b, points=pts or None, limit=500)[0])

    assert_allclose(e.int_sf(grid), [integral(0.0, g) for g in grid], rtol=1e-9)
    tail_end = float(x.max()) + 80.0
    upper = float(e.sf(tail_end)) / e.tail_rate_per_h  # exponential tail beyond tail_end
    assert_allclose(e.mean(), integral(0.0, tail_end) + upper, rtol=1e-9)
    assert_allclose(e.mrl(grid), (e.mean() - e.int_sf(grid)) / e.sf(grid), rtol=1e-9)
    # ppf is the generalized inverse of the cdf: F(ppf(q)) >= q and F(ppf(q) - eps) < q
    q = rng.random(200)
    tq = e.ppf(q)
    assert np.all(e.cdf(tq) >= q - 1e-12)
    assert np.all(e.cdf(np.maximum(tq - 1e-9, 0.0)) < q)
    draws = e.sample(20000, np.random.default_rng(8))
    assert abs(draws.mean() - e.mean()) < 4.5 * draws.std() / math.sqrt(draws.size)


def test_uncensored_empirical_is_the_ecdf_and_samples_resample() -> None:
    e = Empirical([3.0, 1.0, 2.0, 2.0])
    assert_allclose(e.sf([0.5, 1.0, 2.0, 2.5, 3.0, 9.0]), [1, 0.75, 0.25, 0.25, 0.0, 0.0])
    assert_allclose(e.mean(), 2.0)
    assert_allclose(e.int_sf([1.5, 10.0]), [1.0 + 0.5 * 0.75, 2.0])
    assert e.ppf(1.0) == 3.0
    assert e.tail_rate_per_h == 0.0
    z = Empirical([0.0, 2.0])  # a failure at age 0: S(0) = 1/2, but S = 1 before 0
    assert_allclose(z.sf([-1.0, 0.0, 1.0]), [1.0, 0.5, 0.5])
    assert_allclose(z.cum_hazard([-1.0, 0.0]), [0.0, math.log(2.0)])
    draws = e.sample(40000, np.random.default_rng(1))
    values, counts = np.unique(draws, return_counts=True)
    assert_array_equal(values, [1.0, 2.0, 3.0])
    assert_allclose(counts / draws.size, [0.25, 0.5, 0.25], atol=4.5 * math.sqrt(0.25 / 40000))


@pytest.mark.parametrize(
    ("samples", "censored", "match"),
    [
        ([], None, "empty"),
        ([1.0, -2.0], None, ">= 0"),
        ([1.0, np.nan], None, "finite"),
        ([1.0, np.inf], None, "finite"),
        ([[1.0, 2.0]], None, "1-D"),
        ([1.0, 2.0], [True, True], "every sample is censored"),
        ([1.0, 2.0], [True], "censored"),
    ],
)
def test_empirical_validation(
    samples: list[float], censored: list[bool] | None, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        Empirical(samples, censored)


# --------------------------------------------------------------------------------------
# specs and ProgPy conversions
# --------------------------------------------------------------------------------------
def test_from_spec_builds_each_distribution() -> None:
    t = np.array([10.0, 500.0])
    specs_and_refs: list[tuple[dict[str, object], LifeDistribution]] = [
        ({"distribution": "weibull", "shape": 2.5, "scale_h": 1000}, Weibull(2.5, 1000.0)),
        ({"distribution": "Lognormal", "median_h": 800, "sigma": 0.5}, Lognormal(800.0, 0.5)),
        ({"distribution": "gamma", "shape": 2, "scale_h": 100}, Gamma(2.0, 100.0)),
        ({"distribution": "exponential", "mean_h": 400}, Exponential(400.0)),
        ({"distribution": "normal", "mean_h": 300, "sd_h": 50}, Normal(300.0, 50.0)),
        ({"distribution": "deterministic", "life_h": 450}, Deterministic(450.0)),
        (
            {"distribution": "empirical", "samples_h": [100, 600], "censored": [False, True]},
            Empirical([100.0, 600.0], [False, True]),
        ),
    ]
    for spec, ref in specs_and_refs:
        d = from_spec(spec)
        assert type(d) is type(ref)
        assert_allclose(d.sf(t), ref.sf(t), rtol=1e-15)
    bad_specs: list[tuple[dict[str, object], str]] = [
        ({"distribution": "weibul", "shape": 1, "scale_h": 1}, "unknown"),
        ({"shape": 1}, "distribution"),
        ({"distribution": "weibull", "shape": 1}, "scale_h"),
        ({"distribution": "weibull", "shape": 1, "scale_h": 1, "scale": 2}, "unexpected"),
        ({"distribution": "gamma", "shape": -1, "scale_h": 1}, "shape"),
    ]
    for bad, match in bad_specs:
        with pytest.raises(ValueError, match=match):
            from_spec(bad)


def _progpy_prediction() -> dict[str, object]:
    # event times in seconds: 10 h, 20 h, not reached, 30 h, whole sample without events
    return {
        "type": "UnweightedSamples",
        "samples": [
            {"EOD": 36000.0, "EOL": 1.0},
            {"EOD": 72000.0, "EOL": 1.0},
            {"EOD": None, "EOL": 1.0},
            {"EOD": 108000.0, "EOL": 1.0},
            None,
        ],
    }


def test_progpy_samples_kaplan_meier_and_elapsed() -> None:
    e = progpy_samples(_progpy_prediction(), "EOD", horizon_s=144000.0)  # horizon 40 h
    # failures at 10, 20, 30 h (at risk 5, 4, 3), two censored at 40 h
    assert_allclose(e.sf([5.0, 10.0, 20.0, 30.0, 40.0]), [1.0, 0.8, 0.6, 0.4, 0.4])
    assert_allclose(e.tail_rate_per_h, 3 / (10 + 20 + 30 + 40 + 40))
    # 15 h later: conditional on survival, from now
    r = progpy_samples(_progpy_prediction(), "EOD", elapsed_h=15.0, horizon_s=144000.0)
    t = np.array([0.0, 4.0, 5.0, 15.0, 24.0])
    assert_allclose(r.sf(t), e.sf(15.0 + t) / e.sf(15.0), rtol=1e-14)
    assert_allclose(r.tail_rate_per_h, 2 / (5 + 15 + 25 + 25))
    # default horizon = largest observed event (30 h); other units and origin
    d = progpy_samples(_progpy_prediction(), "EOD")
    assert_allclose(d.sf([29.0, 30.0]), [0.6, 0.4])
    assert_allclose(d.tail_rate_per_h, 3 / (10 + 20 + 30 + 30 + 30))
    shifted = {"samples": {"EOD": [1060.0, 1120.0, None, 1180.0]}}  # minutes, origin 1000
    m = progpy_samples(shifted, "EOD", time_unit_s=60.0, t0_s=1000.0, horizon_s=1240.0)
    assert_allclose(m.sf([0.5, 1.0, 2.0, 3.0, 4.0]), [1.0, 0.75, 0.5, 0.25, 0.25])
    with pytest.raises(ValueError, match="EOX"):
        progpy_samples(_progpy_prediction(), "EOX")
    with pytest.raises(ValueError, match="horizon_s"):
        progpy_samples(_progpy_prediction(), "EOD", horizon_s=100000.0)
    with pytest.raises(ValueError, match="elapsed_h"):
        progpy_samples(_progpy_prediction(), "EOD", elapsed_h=31.0)
    with pytest.raises(ValueError, match="type"):
        progpy_samples({"type": "MultivariateNormalDist", "samples": []}, "EOD")


def test_progpy_normal_marginal_and_conditioning() -> None:
    pred = {
        "type": "MultivariateNormalDist",
        "labels": ["EOD", "EOL"],
        "mean": [36000.0, 72000.0],
        "covar": [[(2 * 3600.0) ** 2, 1e6], [1e6, (3 * 3600.0) ** 2]],
    }
    n = progpy_normal(pred, "EOL")
    assert_allclose([n.mean_h, n.sd_h], [20.0, 3.0])
    cond = progpy_normal(pred, "EOD", elapsed_h=3.0)
    assert_allclose([cond.mean_h, cond.sd_h], [7.0, 2.0])
    # conditioning the truncated normal on survival to 3 h is the shifted truncated normal
    t = np.array([0.0, 1.0, 5.0, 9.0])
    assert_allclose(cond.sf(t), Normal(10.0, 2.0).residual(3.0).sf(t), rtol=1e-12)
    assert_allclose(cond.mean(), Normal(10.0, 2.0).residual(3.0).mean(), rtol=1e-12)
    with pytest.raises(ValueError, match="EOX"):
        progpy_normal(pred, "EOX")
    bad = dict(pred, covar=[[0.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="variance"):
        progpy_normal(bad, "EOD")


# --------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------
def _dist_strategy() -> hs.SearchStrategy[LifeDistribution]:
    pos = hs.floats(0.3, 6.0)
    scale = hs.floats(1.0, 1e4)
    return hs.one_of(
        hs.builds(Weibull, pos, scale),
        hs.builds(Gamma, pos, scale),
        hs.builds(Lognormal, scale, hs.floats(0.1, 2.0)),
        hs.builds(Normal, hs.floats(-100.0, 1e4), hs.floats(1.0, 1e3)),
        hs.builds(Exponential, scale),
    )


_times = hs.lists(hs.floats(0.0, 5e4), min_size=2, max_size=20)


@settings(max_examples=40, deadline=None)
@given(d=_dist_strategy(), ts=_times)
def test_sf_monotone_and_int_sf_bounded(d: LifeDistribution, ts: list[float]) -> None:
    t = np.sort(np.array(ts))
    s = d.sf(t)
    assert np.all(np.diff(s) <= 1e-15)
    assert np.all((s >= 0) & (s <= 1))
    i = d.int_sf(t)
    assert np.all(np.diff(i) >= -1e-9 * np.maximum(i[1:], 1.0))
    assert np.all(i <= t * (1 + 1e-12) + 1e-12)
    assert np.all(i <= d.mean() * (1 + 1e-12))
    assert_allclose(d.sf(t) + d.cdf(t), 1.0, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    d=_dist_strategy(),
    frac_a=hs.floats(0.0, 0.9),
    frac_b=hs.floats(0.0, 0.9),
    ts=_times,
)
def test_residual_of_residual_is_residual_of_summed_age(
    d: LifeDistribution, frac_a: float, frac_b: float, ts: list[float]
) -> None:
    a = float(d.ppf(frac_a))
    b = float(d.residual(a).ppf(frac_b))
    t = np.sort(np.array(ts)) * float(d.mean()) / 1e4
    rr = d.residual(a).residual(b)
    direct = d.residual(a + b)
    assert_allclose(rr.sf(t), direct.sf(t), rtol=1e-12)
    assert_allclose(rr.int_sf(t), direct.int_sf(t), rtol=1e-12)
    # against the definition S(a + b + t) / S(a + b), via the single residual
    first = d.residual(a)
    assert_allclose(rr.sf(t), first.sf(b + t) / first.sf(b), rtol=1e-9, atol=1e-300)
    expected_int = (first.int_sf(b + t) - first.int_sf(b)) / first.sf(b)
    assert_allclose(rr.int_sf(t), expected_int, rtol=1e-7, atol=1e-9 * float(d.mean()))
