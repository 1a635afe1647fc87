"""Standby redundancy against closed forms (issue 17).

Tolerance rule of the statistical checks: ``|mean - reference| <= 3 sd / sqrt(R)`` over
``R`` independent replications.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, scenario, system

from optimizer.sim.engine import KPI_BASE, run_replication
from optimizer.sim.model import compile_model
from optimizer.sim.strategies import make_policy
from optimizer.sim.twin import Twin

MEAN_H = 100.0
NO_REPAIR_H = 1e5  # repairs outlast the horizon: the classic no-repair MTTF


def _pair(group: dict[str, Any]) -> Any:
    life = {"distribution": "exponential", "mean_h": MEAN_H}
    comps = [component(c, life=life, cm_h=NO_REPAIR_H) for c in ("A", "B")]
    return scenario(
        [system("S", comps, redundancy=[{"id": "G", "k": 1, "components": ["A", "B"], **group}])]
    )


def _system_failure_times(group: dict[str, Any], reps: int) -> Any:
    """Time of the second component failure (1-of-2 without repair: the system failure)."""
    model = compile_model(_pair(group), years=0.5)
    policy = make_policy("run-to-failure")
    twin = Twin("none")
    policy.prepare(model, twin)
    out = []
    for r in range(reps):
        _, ev = run_replication(model, policy, twin, 5, r, keep_events=True)
        t = [e[1] for e in ev if e[2] == "failure"]
        assert len(t) == 2
        out.append(t[1])
    return np.array(out)


def _within(values: Any, reference: float) -> None:
    half = 3.0 * values.std(ddof=1) / np.sqrt(len(values))
    assert abs(values.mean() - reference) <= half, (values.mean(), reference, half)


@pytest.mark.parametrize("p", [0.0, 0.3])
def test_cold_standby_mttf_is_2_minus_p_over_lambda(p: float) -> None:
    """1-of-2 cold standby, exponential lives (rate ``lam``), no repair: the standby
    unit does not age, so MTTF = 2 / lam with perfect switching and (2 - p) / lam when
    the switch-over fails with probability ``p`` (Rausand & Hoyland, *System Reliability
    Theory*, 2nd ed., sec. 6.4)."""
    t = _system_failure_times({"standby": "cold", "switch_failure_probability": p}, 800)
    _within(t, (2.0 - p) * MEAN_H)


def test_warm_standby_mttf() -> None:
    """Warm standby ageing at ``f`` times the running rate (standby failure rate
    ``lam_s = f lam``): MTTF = 1 / lam + 1 / (lam + lam_s) (Rausand & Hoyland, sec. 6.4)."""
    f = 0.4
    t = _system_failure_times({"standby": "warm", "standby_ageing_factor": f}, 800)
    lam = 1.0 / MEAN_H
    _within(t, 1.0 / lam + 1.0 / (lam + f * lam))


def test_active_pair_mttf_is_1_5_over_lambda() -> None:
    """Today's active 1-of-2 (both age): MTTF = 1/lam + 1/(2 lam) = 1.5 / lam."""
    _within(_system_failure_times({}, 800), 1.5 * MEAN_H)


def test_standby_fields_are_validated() -> None:
    with pytest.raises(ValidationError, match="standby_ageing_factor"):
        _pair({"standby": "warm"})
    with pytest.raises(ValidationError, match="need standby"):
        _pair({"switch_failure_probability": 0.1})


@pytest.mark.parametrize("f", [0.0, 0.5])
def test_standby_pair_with_one_repairman_matches_ctmc(f: float) -> None:
    """1-of-2 standby with repair by one technician, exponential lives (rate ``lam``,
    standby rate ``f lam``) and repairs (rate ``mu``): availability ``1 - pi_2`` of the
    birth-death chain on the failed count, ``0 -> 1`` at ``lam (1 + f)``, ``1 -> 2`` at
    ``lam``, down at ``mu`` (Ross, *Introduction to Probability Models*, standby system
    with repair)."""
    lam, mu = 1.0 / MEAN_H, 1.0 / 50.0
    life = {"distribution": "exponential", "mean_h": MEAN_H}
    rep = {"distribution": "exponential", "mean_h": 1.0 / mu}
    comps = [component(c, life=life, cm_h=rep) for c in ("A", "B")]
    group: dict[str, Any] = {"id": "G", "k": 1, "components": ["A", "B"]}
    group |= {"standby": "warm", "standby_ageing_factor": f} if f else {"standby": "cold"}
    scn = scenario([system("S", comps, redundancy=[group])], headcount=1)
    b0, b1 = lam * (1.0 + f), lam
    p1 = b0 / mu
    p2 = p1 * b1 / mu
    expect = 1.0 - p2 / (1.0 + p1 + p2)
    model = compile_model(scn, years=4.0)
    policy = make_policy("run-to-failure")
    twin = Twin("none")
    policy.prepare(model, twin)
    j = KPI_BASE.index("availability_fleet")
    avail = np.array([run_replication(model, policy, twin, 9, r)[0][j] for r in range(10)])
    _within(avail, expect)
