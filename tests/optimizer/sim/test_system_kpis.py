"""System-level KPIs of the simulator (system failures, time to the first, MTBSF) against
closed forms: a series system of exponential parts with instant renewal (a Poisson
process of rate sum(lambda_i)) and a 1-out-of-2 parallel pair with exponential repairs
(a three-state CTMC)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.linalg import expm

from optimizer.sim.simulate import simulate
from optimizer.sim.stats import ratio_ci

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, scenario, system

HOURS_PER_YEAR = 8760.0


def _exp(mean_h: float) -> dict[str, float | str]:
    return {"distribution": "exponential", "mean_h": mean_h}


def _close(est: object, expect: float, rtol: float = 0.0) -> None:
    """The true value lies in the 99.9%-widened interval of the estimate (and near it)."""
    mean = est.mean  # type: ignore[attr-defined]
    half = 1.7 * est.half_width  # type: ignore[attr-defined]  (95% -> ~99.9%)
    assert abs(mean - expect) <= half + rtol * abs(expect), (mean, expect, half)


def test_series_of_exponential_parts_is_a_poisson_process() -> None:
    means = {"S1": (500.0, 1000.0, 2000.0), "S2": (800.0, 4000.0)}
    scn = scenario(
        [
            system(sid, [component(f"{sid}-C{j}", life=_exp(m)) for j, m in enumerate(ms)])
            for sid, ms in means.items()
        ]
    )
    years = 0.5
    h = years * HOURS_PER_YEAR
    res = simulate(scn, "run-to-failure", replications=300, seed=3, years=years, workers=1)
    k = res.kpis
    rate = {sid: sum(1.0 / m for m in ms) for sid, ms in means.items()}
    total = sum(rate.values())
    for sid, lam in rate.items():
        _close(k[f"system_failures[{sid}]"], lam * h)
        # restricted mean of an exponential first failure: (1 - e^{-lam H}) / lam
        _close(k[f"time_to_first_system_failure_h[{sid}]"], -math.expm1(-lam * h) / lam)
        _close(k[f"mtbsf_h[{sid}]"], 1.0 / lam)
        assert_allclose(k[f"uptime_h[{sid}]"].mean, h)  # instant renewal: never down
    _close(k["system_failures"], total * h)
    _close(k["time_to_first_system_failure_h"], -math.expm1(-total * h) / total)
    # fleet MTBSF: system-hours up per system failure = 2 H / (total H)
    _close(k["mtbsf_h"], 2.0 / total)
    # a series system: every component failure is a system failure
    assert_allclose(k["system_failures"].mean, k["failures"].mean)


def test_one_out_of_two_with_repair_matches_the_ctmc() -> None:
    lam, mu = 1.0 / 1000.0, 1.0 / 100.0
    scn = scenario(
        [
            system(
                "P",
                [component(c, life=_exp(1.0 / lam), cm_h=_exp(1.0 / mu)) for c in ("A", "B")],
                redundancy=[{"id": "G", "k": 1, "components": ["A", "B"]}],
            )
        ],
        headcount=2,  # one repairer per failed unit
    )
    years = 5.0
    h = years * HOURS_PER_YEAR
    res = simulate(scn, "run-to-failure", replications=200, seed=5, years=years, workers=1)
    k = res.kpis
    # states: units down 0, 1, 2; rates 0->1 2 lam, 1->0 mu, 1->2 lam, 2->1 2 mu
    pi = np.array([1.0, 2 * lam / mu, (2 * lam / mu) * lam / (2 * mu)])
    pi /= pi.sum()
    freq = pi[1] * lam  # system failures per hour (entries into state 2)
    _close(k["system_failures[P]"], freq * h, rtol=0.01)  # (start in state 0: transient)
    _close(k["mtbsf_h[P]"], (pi[0] + pi[1]) / freq, rtol=0.01)
    _close(k["availability[P]"], pi[0] + pi[1], rtol=0.001)
    # first passage to state 2 from state 0: phase-type with sub-generator q
    q = np.array([[-2 * lam, 2 * lam], [mu, -(mu + lam)]])
    e0 = np.array([1.0, 0.0])
    assert_allclose(e0 @ np.linalg.solve(-q, np.ones(2)), (3 * lam + mu) / (2 * lam**2))
    restricted = float(e0 @ np.linalg.solve(q, (expm(q * h) - np.eye(2)) @ np.ones(2)))
    _close(k["time_to_first_system_failure_h[P]"], restricted)
    # a redundant pair: far fewer system failures than unit failures
    assert k["system_failures"].mean < 0.25 * k["failures"].mean


def test_ratio_ci_delta_method_matches_a_direct_computation() -> None:
    rng = np.random.default_rng(0)
    y = rng.poisson(5.0, 400).astype(float) + 1.0
    x = 100.0 * y + rng.normal(0.0, 30.0, 400)
    est = ratio_ci(x, y)
    r = x.mean() / y.mean()
    z = (x - r * y) / y.mean()  # linearised ratio
    assert_allclose(est.mean, r)
    assert_allclose(est.sd, np.std(z, ddof=1), rtol=1e-10)
    with pytest.raises(ValueError):
        ratio_ci([1.0], [1.0, 2.0])
    assert math.isnan(ratio_ci([1.0, 2.0], [0.0, 0.0]).mean)
