"""Tests for optimizer.sim.twin_study: the prescriptive strategy at every twin accuracy.

Reference: each level is the same study as a direct :func:`simulate` call with the
comparison's replications, seed and years (common random numbers), so the KPI tables must
be identical; the comparison's own level is reused, not simulated again.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, scenario, system, weibull

from optimizer.sim.simulate import compare, simulate
from optimizer.sim.twin import TWIN_ACCURACIES
from optimizer.sim.twin_study import TwinStudy, run_twin_study


@pytest.fixture(scope="module")
def fleet() -> Any:
    comps = [
        component(f"C{i}", life=weibull(3.0, 900.0), age_h=200.0 * i, pm_h=2.0, cm_h=8.0)
        for i in range(3)
    ]
    return scenario([system("S", comps, setup=500.0, value=20.0)])


@pytest.fixture(scope="module")
def cmp(fleet: Any) -> Any:
    return compare(
        fleet,
        ["run-to-failure", "prescriptive"],
        replications=3,
        seed=9,
        years=0.3,
        twin_accuracy="good",
        workers=1,
        keep_costs=True,
    )


def test_every_level_is_the_direct_simulation(fleet: Any, cmp: Any) -> None:
    messages: list[str] = []
    study = run_twin_study(fleet, cmp, workers=1, progress=messages.append)
    assert isinstance(study, TwinStudy)
    assert (study.strategy, study.current) == ("prescriptive", "good")
    assert list(study.results) == list(TWIN_ACCURACIES) == ["none", "poor", "good", "perfect"]
    assert study.results["good"] is cmp.results["prescriptive"]  # reused, not re-run
    assert messages == [
        f"simulating prescriptive with a '{a}' twin" for a in ("none", "poor", "perfect")
    ]
    for acc in ("none", "poor", "perfect"):
        ref = simulate(
            fleet, "prescriptive", replications=3, seed=9, years=0.3, twin_accuracy=acc, workers=1
        )
        got = study.results[acc]
        assert got.twin_accuracy == acc
        pd.testing.assert_frame_equal(got.table(), ref.table())
    # a perfect twin knows every failure time: no part fails in service
    assert study.results["perfect"]["failures"].mean == 0.0
    assert study.results["none"]["failures"].mean > 0.0


def test_strategy_not_compared_and_bad_arguments(fleet: Any, cmp: Any) -> None:
    assert run_twin_study(fleet, cmp, strategy="predictive", workers=1) is None
    with pytest.raises(ValueError, match="accuracies"):
        run_twin_study(fleet, cmp, accuracies=(), workers=1)
    only = run_twin_study(fleet, cmp, accuracies=("good",), workers=1)
    assert only is not None and dict(only.results) == {"good": cmp.results["prescriptive"]}


def test_steps_are_paired_differences_of_the_replications(fleet: Any, cmp: Any) -> None:
    # Issue #13 cause 11: the value-of-twin steps are paired (same replications), so each
    # step's mean is the difference of the level means and its interval is the paired
    # t-interval of the per-replication differences, computed here independently.
    import numpy as np
    from scipy import stats

    study = run_twin_study(fleet, cmp, workers=1)
    assert study is not None
    steps = study.steps()
    assert [(a, b) for a, b, _ in steps] == [
        ("none", "poor"),
        ("poor", "good"),
        ("good", "perfect"),
    ]
    for a, b, est in steps:
        ca = study.results[a].cost_per_replication
        cb = study.results[b].cost_per_replication
        assert ca is not None and cb is not None and len(ca) == 3
        d = cb - ca
        half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        np.testing.assert_allclose(est.mean, d.mean(), rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(
            est.mean,
            study.results[b]["cost_total"].mean - study.results[a]["cost_total"].mean,
            rtol=1e-9,
            atol=1e-9,
        )
        if np.isfinite(half) and half > 0:
            np.testing.assert_allclose(
                [est.ci_low, est.ci_high], [d.mean() - half, d.mean() + half], rtol=1e-9
            )
