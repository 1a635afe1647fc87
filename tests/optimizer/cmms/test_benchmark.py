"""Fleet benchmarking: a planted under-performer is found; a homogeneous fleet is flagged
at (no more than) the stated false-alarm rate."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from optimizer.cmms.benchmark import benchmark


def _fleet(
    rng: np.random.Generator, n_sites: int, n_per_site: int, scales: list[float]
) -> pd.DataFrame:
    rows = []
    for s in range(n_sites):
        life = scales[s] * rng.weibull(2.0, n_per_site)
        pm = rng.uniform(3_000.0, 15_000.0, n_per_site)  # preventive removals censor
        for t, p in zip(life, pm, strict=True):
            rows.append(("pump", f"S{s}", f"S{s}-{len(rows)}", float(min(t, p)), bool(t < p)))
    return pd.DataFrame(rows, columns=["type", "site", "asset_id", "hours", "failed"])


def test_planted_under_performer_is_found() -> None:
    rng = np.random.default_rng(11)
    scales = [10_000.0] * 6
    scales[3] = 5_500.0  # site S3 wears out in about half the time
    res = benchmark(_fleet(rng, 6, 60, scales), by="site", alpha=0.05)
    assert [r.group for r in res.flagged] == ["S3"]
    s3 = res.flagged[0]
    assert s3.mean_life_ci_h[1] < s3.rest_mean_life_h  # the evidence: interval below the rest
    assert s3.n_failures > 0 and "UNDER-PERFORMER" in s3.note
    assert_allclose(s3.threshold, 0.05 / 6)
    # the test statistic from the fits it reports
    assert_allclose(s3.p_value, stats.chi2.sf(s3.lr_stat, 2), rtol=1e-12)


def test_homogeneous_fleets_false_alarm_rate() -> None:
    """200 homogeneous fleets of 5 sites: the share with any site reported as different
    is the Bonferroni family-wise rate, at most alpha = 5 %, within binomial tolerance."""
    rng = np.random.default_rng(2026)
    n_fleets, alpha = 200, 0.05
    any_differs = 0
    for _ in range(n_fleets):
        res = benchmark(_fleet(rng, 5, 40, [10_000.0] * 5), by="site", alpha=alpha)
        any_differs += any(r.differs for r in res.rows)
    rate = any_differs / n_fleets
    tol = 3.0 * math.sqrt(alpha * (1 - alpha) / n_fleets)
    assert rate <= alpha + tol, rate
    assert rate >= 0.005  # the test is not vacuous: it does raise alarms at about alpha


def test_groups_with_too_few_failures_are_not_tested() -> None:
    df = pd.DataFrame(
        {
            "type": ["t"] * 7,
            "site": ["A", "A", "A", "B", "B", "B", "C"],
            "asset_id": list("abcdefg"),
            "hours": [100.0, 150.0, 220.0, 120.0, 160.0, 210.0, 90.0],
            "failed": [True, True, True, True, True, False, False],
        }
    )
    res = benchmark(df)
    c = next(r for r in res.rows if r.group == "C")
    assert not c.differs and "not tested" in c.note
    with pytest.raises(ValueError, match="alpha"):
        benchmark(df, alpha=1.5)
