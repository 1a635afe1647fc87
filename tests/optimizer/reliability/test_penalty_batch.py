"""The batched age-replacement optimizer agrees with the scalar one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.reliability import distributions as rul
from optimizer.reliability.penalty import age_replacement, age_replacement_batch

DISTS = [
    rul.Weibull(2.5, 45000.0),
    rul.Weibull(1.2, 1000.0),
    rul.Weibull(6.0, 100.0),
    rul.Lognormal(1000.0, 0.8),
    rul.Gamma(3.0, 100.0),
    rul.Empirical(np.random.default_rng(0).weibull(2.0, 50) * 100.0),
    rul.Deterministic(100.0),
]


@pytest.mark.parametrize("dist", DISTS, ids=lambda d: type(d).__name__)
def test_batch_equals_scalar(dist: rul.LifeDistribution) -> None:
    rng = np.random.default_rng(1)
    cp = rng.uniform(1, 10, 15)
    cf = cp * rng.uniform(0.5, 60, 15)  # includes c_p >= c_f (run-to-failure) cases
    batch = age_replacement_batch(dist, cost_pm=cp, cost_cm=cf)
    singles = [age_replacement(dist, cost_pm=x, cost_cm=y) for x, y in zip(cp, cf, strict=True)]
    for x, y, a, b in zip(cp, cf, batch, singles, strict=True):
        assert a.policy == b.policy, (x, y)
        assert_allclose(a.cost_rate, b.cost_rate, rtol=1e-9)
        if np.isfinite(b.t_star):
            # the cost rate is flat at its minimum: t* agrees to the square root of eps
            assert_allclose(a.t_star, b.t_star, rtol=1e-4)


@settings(max_examples=30, deadline=None)
@given(
    shape=st.floats(1.1, 6.0),
    ratio=st.floats(1.5, 50.0),
)
def test_batch_weibull_property(shape: float, ratio: float) -> None:
    d = rul.Weibull(shape, 1000.0)
    (a,) = age_replacement_batch(d, cost_pm=[1.0], cost_cm=[ratio])
    b = age_replacement(d, cost_pm=1.0, cost_cm=ratio)
    assert_allclose(a.cost_rate, b.cost_rate, rtol=1e-9)


def test_batch_rejects_bad_costs() -> None:
    with pytest.raises(ValueError, match="cost_pm"):
        age_replacement_batch(DISTS[0], cost_pm=[-1.0], cost_cm=[2.0])
    with pytest.raises(ValueError, match="same length"):
        age_replacement_batch(DISTS[0], cost_pm=[1.0, 2.0], cost_cm=[2.0])
