"""Tests for optimizer.reliability.fitting: censored Weibull / lognormal maximum likelihood."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import optimize, stats

from optimizer.reliability import distributions as rul
from optimizer.reliability.fitting import FitResult, fit_lognormal, fit_weibull, median_rank_points

Z95 = stats.norm.ppf(0.975)


def _censored_sample(
    rng: np.random.Generator, life: np.ndarray, censor_scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Random right censoring: exponential removal times independent of the life."""
    c = rng.exponential(censor_scale, size=life.shape[0])
    return np.minimum(life, c), life <= c


def _weibull_sample(rng: np.random.Generator, n: int, k: float, lam: float) -> np.ndarray:
    return lam * rng.weibull(k, size=n)


def _lognormal_sample(rng: np.random.Generator, n: int, med: float, sig: float) -> np.ndarray:
    return med * np.exp(sig * rng.standard_normal(n))


def _weibull_ll(log_p: np.ndarray, t: np.ndarray, f: np.ndarray) -> float:
    """Textbook censored Weibull log-likelihood through scipy.stats (independent of the code)."""
    k, lam = np.exp(log_p)
    d = stats.weibull_min(k, scale=lam)
    return float(d.logpdf(t[f]).sum() + d.logsf(t[~f]).sum())


def _lognormal_ll(p: np.ndarray, t: np.ndarray, f: np.ndarray) -> float:
    """Textbook censored lognormal log-likelihood in (log median, log sigma) via scipy.stats."""
    med, sig = math.exp(p[0]), math.exp(p[1])
    d = stats.lognorm(sig, scale=med)
    return float(d.logpdf(t[f]).sum() + d.logsf(t[~f]).sum())


def _num_hessian(fun: object, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian."""
    n = x.shape[0]
    out = np.empty((n, n))
    e = np.eye(n) * h
    for i in range(n):
        for j in range(n):
            out[i, j] = (
                fun(x + e[i] + e[j])  # type: ignore[operator]
                - fun(x + e[i] - e[j])  # type: ignore[operator]
                - fun(x - e[i] + e[j])  # type: ignore[operator]
                + fun(x - e[i] - e[j])  # type: ignore[operator]
            ) / (4 * h * h)
    return out


def _wald_from_hessian(log_est: np.ndarray, hess: np.ndarray) -> np.ndarray:
    se = np.sqrt(np.diag(np.linalg.inv(-hess)))
    return np.stack([np.exp(log_est - Z95 * se), np.exp(log_est + Z95 * se)], axis=1)


# --------------------------------------------------------------------------------------
# agreement with independent computations
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [0.7, 1.5, 3.5])
def test_uncensored_weibull_matches_scipy_fit(seed: int, k: float) -> None:
    rng = np.random.default_rng(seed)
    t = _weibull_sample(rng, 80, k, 1000.0)
    res = fit_weibull(t, np.ones(t.shape[0], dtype=bool))
    k_sp, _, lam_sp = stats.weibull_min.fit(t, floc=0)
    assert_allclose([res.params["shape"], res.params["scale_h"]], [k_sp, lam_sp], rtol=1e-4)
    # ours is the exact optimum: never worse than scipy's
    assert res.log_likelihood >= stats.weibull_min(k_sp, scale=lam_sp).logpdf(t).sum() - 1e-9
    assert res.n_failures == 80 and res.n_censored == 0


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_censored_weibull_matches_direct_optimization(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t, f = _censored_sample(rng, _weibull_sample(rng, 60, 2.2, 500.0), 600.0)
    res = fit_weibull(t, f)
    direct = optimize.minimize(
        lambda p: -_weibull_ll(p, t, f),
        x0=np.array([0.0, math.log(float(np.mean(t)))]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 10_000},
    )
    assert_allclose([res.params["shape"], res.params["scale_h"]], np.exp(direct.x), rtol=1e-6)
    assert_allclose(res.log_likelihood, -direct.fun, rtol=1e-10)


@pytest.mark.parametrize(("seed", "censor_scale"), [(6, 400.0), (7, 150.0), (8, 60.0)])
def test_censored_lognormal_matches_direct_optimization(seed: int, censor_scale: float) -> None:
    # censor_scale=60 h censors most records (heavy censoring)
    rng = np.random.default_rng(seed)
    t, f = _censored_sample(rng, _lognormal_sample(rng, 80, 200.0, 0.8), censor_scale)
    assert f.sum() >= 2
    res = fit_lognormal(t, f)
    direct = optimize.minimize(
        lambda p: -_lognormal_ll(p, t, f),
        x0=np.array([float(np.log(t).mean()), 0.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 10_000},
    )
    assert_allclose([res.params["median_h"], res.params["sigma"]], np.exp(direct.x), rtol=1e-6)
    assert_allclose(res.log_likelihood, -direct.fun, rtol=1e-10)
    assert res.n_failures == int(f.sum()) and res.n_censored == int((~f).sum())


def test_uncensored_lognormal_closed_form() -> None:
    rng = np.random.default_rng(9)
    t = _lognormal_sample(rng, 40, 50.0, 1.3)
    res = fit_lognormal(t, np.ones(40, dtype=bool))
    s_sp, _, scale_sp = stats.lognorm.fit(t, floc=0)
    assert_allclose([res.params["median_h"], res.params["sigma"]], [scale_sp, s_sp], rtol=1e-5)
    assert_allclose(res.log_likelihood, stats.lognorm(s_sp, scale=scale_sp).logpdf(t).sum())


@pytest.mark.parametrize("family", ["weibull", "lognormal"])
def test_ci_equals_wald_from_numerical_hessian(family: str) -> None:
    rng = np.random.default_rng(10)
    if family == "weibull":
        t, f = _censored_sample(rng, _weibull_sample(rng, 70, 1.8, 300.0), 400.0)
        res = fit_weibull(t, f)
        names = ("shape", "scale_h")

        def ll(p: np.ndarray) -> float:
            return _weibull_ll(p, t, f)
    else:
        t, f = _censored_sample(rng, _lognormal_sample(rng, 70, 300.0, 0.6), 400.0)
        res = fit_lognormal(t, f)
        names = ("median_h", "sigma")

        def ll(p: np.ndarray) -> float:
            return _lognormal_ll(p, t, f)

    log_est = np.log([res.params[names[0]], res.params[names[1]]])
    expected = _wald_from_hessian(log_est, _num_hessian(ll, log_est))
    got = np.array([res.ci[names[0]], res.ci[names[1]]])
    assert_allclose(got, expected, rtol=1e-5)
    for name in names:
        assert res.ci[name][0] < res.params[name] < res.ci[name][1]


# --------------------------------------------------------------------------------------
# statistical behaviour
# --------------------------------------------------------------------------------------


def _log_error_in_se(res: FitResult, name: str, true: float) -> float:
    """|log(estimate) - log(true)| in units of the Wald standard error."""
    lo, hi = res.ci[name]
    se = (math.log(hi) - math.log(lo)) / (2 * Z95)
    return abs(math.log(res.params[name]) - math.log(true)) / se


@pytest.mark.parametrize("seed", range(5))
def test_estimates_near_truth_several_seeds(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    t, f = _censored_sample(rng, _weibull_sample(rng, 150, 2.5, 2000.0), 3000.0)
    wb = fit_weibull(t, f)
    t2, f2 = _censored_sample(rng, _lognormal_sample(rng, 150, 800.0, 0.5), 1500.0)
    ln = fit_lognormal(t2, f2)
    # 3.9 standard errors: a 1e-4 two-sided tail, so a failure means a real bias or a bad se.
    for res, truth in (
        (wb, {"shape": 2.5, "scale_h": 2000.0}),
        (ln, {"median_h": 800.0, "sigma": 0.5}),
    ):
        for name, true in truth.items():
            assert _log_error_in_se(res, name, true) < 3.9, (res.family, name)


def test_large_sample_estimates_inside_95_ci() -> None:
    rng = np.random.default_rng(11)
    t, f = _censored_sample(rng, _weibull_sample(rng, 5000, 1.7, 10_000.0), 15_000.0)
    res = fit_weibull(t, f)
    assert res.ci["shape"][0] < 1.7 < res.ci["shape"][1]
    assert res.ci["scale_h"][0] < 10_000.0 < res.ci["scale_h"][1]
    assert_allclose(res.params["shape"], 1.7, rtol=0.05)
    assert_allclose(res.params["scale_h"], 10_000.0, rtol=0.05)


@pytest.mark.parametrize("family", ["weibull", "lognormal"])
def test_ci_coverage_about_95_percent(family: str) -> None:
    """200 replications, n=80 with about 30 % censoring.

    Binomial standard deviation of the coverage estimate is 1.5 %; the band
    [0.895, 0.99] is about -3.7 / +2.6 sd around 0.95.
    """
    rng = np.random.default_rng(12345)
    reps = 200
    hits = np.zeros(2)
    for _ in range(reps):
        if family == "weibull":
            truth = {"shape": 2.0, "scale_h": 100.0}
            t, f = _censored_sample(rng, _weibull_sample(rng, 80, 2.0, 100.0), 250.0)
            res = fit_weibull(t, f)
        else:
            truth = {"median_h": 100.0, "sigma": 0.7}
            t, f = _censored_sample(rng, _lognormal_sample(rng, 80, 100.0, 0.7), 300.0)
            res = fit_lognormal(t, f)
        for j, (name, true) in enumerate(truth.items()):
            lo, hi = res.ci[name]
            hits[j] += lo <= true <= hi
    coverage = hits / reps
    assert np.all(coverage >= 0.895), coverage
    assert np.all(coverage <= 0.99), coverage


# --------------------------------------------------------------------------------------
# invariants
# --------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    factor=st.floats(1e-3, 1e4),
    family=st.sampled_from(["weibull", "lognormal"]),
)
def test_time_scale_equivariance(seed: int, factor: float, family: str) -> None:
    """Changing the time unit scales scale/median and their CIs; shape/sigma are unchanged."""
    rng = np.random.default_rng(seed)
    t, f = _censored_sample(rng, _weibull_sample(rng, 30, 1.5, 10.0), 15.0)
    f[:2] = True  # guarantee two failures
    fit = fit_weibull if family == "weibull" else fit_lognormal
    try:
        a = fit(t, f)
    except ValueError:
        # degenerate draws (e.g. all failures at the largest time) are rejected for both
        with pytest.raises(ValueError):
            fit(t * factor, f)
        return
    b = fit(t * factor, f)
    scale_name, shape_name = ("scale_h", "shape") if family == "weibull" else ("median_h", "sigma")
    assert_allclose(b.params[scale_name], a.params[scale_name] * factor, rtol=1e-7)
    assert_allclose(b.params[shape_name], a.params[shape_name], rtol=1e-7)
    assert_allclose(b.ci[scale_name], np.multiply(a.ci[scale_name], factor), rtol=1e-6)
    assert_allclose(b.ci[shape_name], a.ci[shape_name], rtol=1e-6)
    assert_allclose(
        b.log_likelihood, a.log_likelihood - a.n_failures * math.log(factor), rtol=1e-8, atol=1e-8
    )


def test_order_and_int_flags_do_not_matter() -> None:
    rng = np.random.default_rng(13)
    t, f = _censored_sample(rng, _weibull_sample(rng, 40, 3.0, 50.0), 60.0)
    perm = rng.permutation(40)
    a = fit_weibull(t, f)
    b = fit_weibull(list(t[perm]), list(f[perm].astype(int)))
    assert_allclose(a.params["shape"], b.params["shape"], rtol=1e-10)
    assert_allclose(a.params["scale_h"], b.params["scale_h"], rtol=1e-10)


def test_median_ranks_uncensored_are_benard() -> None:
    t = np.array([5.0, 1.0, 3.0, 2.0, 4.0])
    tf, fh = median_rank_points(t, np.ones(5, dtype=bool))
    assert_allclose(tf, [1, 2, 3, 4, 5])
    assert_allclose(fh, (np.arange(1, 6) - 0.3) / 5.4)


def test_median_ranks_johnson_adjustment_by_hand() -> None:
    # n=5: 10 F, 20 C, 30 F, 40 F, 50 C.  Johnson's order numbers (by hand):
    #   10: 0 + (6-0)/(1+5) = 1;  30: 1 + (6-1)/(1+3) = 2.25;  40: 2.25 + (6-2.25)/(1+2) = 3.5
    t = np.array([40.0, 10.0, 50.0, 20.0, 30.0])
    f = np.array([True, True, False, False, True])
    tf, fh = median_rank_points(t, f)
    assert_allclose(tf, [10, 30, 40])
    assert_allclose(fh, (np.array([1.0, 2.25, 3.5]) - 0.3) / 5.4)


def test_distribution_returns_rul_objects() -> None:
    rng = np.random.default_rng(14)
    t, f = _censored_sample(rng, _weibull_sample(rng, 50, 2.0, 100.0), 150.0)
    wb = fit_weibull(t, f)
    d = wb.distribution()
    assert isinstance(d, rul.Weibull)
    x = np.array([10.0, 80.0, 200.0])
    assert_allclose(
        d.sf(x), stats.weibull_min(wb.params["shape"], scale=wb.params["scale_h"]).sf(x), rtol=1e-10
    )
    ln = fit_lognormal(t, f)
    d2 = ln.distribution()
    assert isinstance(d2, rul.Lognormal)
    assert_allclose(
        d2.sf(x), stats.lognorm(ln.params["sigma"], scale=ln.params["median_h"]).sf(x), rtol=1e-10
    )


# --------------------------------------------------------------------------------------
# input validation
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fit", [fit_weibull, fit_lognormal])
@pytest.mark.parametrize(
    ("times", "failed", "match"),
    [
        ([1.0, 2.0, 3.0], [True, False, False], "at least 2 failures"),
        ([1.0, 2.0, 3.0], [False, False, False], "at least 2 failures"),
        ([1.0, -2.0, 3.0], [True, True, True], "times_h.*> 0"),
        ([1.0, 0.0, 3.0], [True, True, True], "times_h.*> 0"),
        ([1.0, float("nan"), 3.0], [True, True, True], "times_h.*NaN"),
        ([1.0, float("inf"), 3.0], [True, True, False], "times_h.*infinite"),
        ([1.0, 2.0, 3.0], [True, True], "length mismatch"),
        ([1.0, 2.0, 3.0], [1, 2, 1], "failed.*boolean"),
        ([[1.0, 2.0]], [[True, True]], "times_h.*one-dimensional"),
    ],
)
def test_invalid_input_raises(fit: object, times: object, failed: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fit(times, failed)  # type: ignore[operator]


def test_weibull_unidentifiable_shape_raises() -> None:
    # every failure at the largest time: the likelihood increases without bound in the shape
    with pytest.raises(ValueError, match="not identifiable"):
        fit_weibull([5.0, 5.0, 2.0, 3.0], [True, True, False, False])


def test_lognormal_equal_failure_times_raises() -> None:
    with pytest.raises(ValueError, match="not identifiable"):
        fit_lognormal([5.0, 5.0, 9.0], [True, True, False])
