"""Tests of the predictive strategy's fast paths (issue 17, performance): the parts it
screens at a decision (only those whose true residual life can be inside the screen,
:meth:`Predictive._screen_reach_h`), the twin reports in scalars, the view's
:meth:`twin_inputs`, and the cached rows of :func:`lognormal_optimum`.

Reference computations: the screen evaluated by brute force on a fine grid of residual
lives, the strategy as it was before (every part screened at every decision with the
fleet's :meth:`SimView.twin_report`, numpy arrays), :meth:`SimView.twin_report`, and the
general branch of :func:`lognormal_optimum`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from optimizer.loading import load_scenario
from optimizer.sim.engine import run_replication
from optimizer.sim.model import SimModel, compile_model
from optimizer.sim.strategies.base import SimView
from optimizer.sim.strategies.simple import (
    _Z_GRID,
    Predictive,
    lognormal_optimum,
)
from optimizer.sim.twin import Twin

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def plant() -> SimModel:
    return compile_model(load_scenario(ROOT / "scenarios" / "plant.yaml"), years=3.0)


class _ScreenAll(Predictive):
    """Predictive as on main 7f595b0, before the watch list and the scalar reports:
    every part screened at every decision with the whole fleet's twin report."""

    def decide(self, sim: SimView) -> None:
        m = self.model
        r, med, s = sim.twin_report()
        up = sim.up_mask()
        cand = np.flatnonzero(up & ~self._by_age)
        if cand.size == 0:
            return
        interval = self.decision_interval_h or 0.0
        rate_c = self._rate[cand]
        s_c = s[cand]
        low_q = med[cand] * np.exp(-7.0 * s_c)
        perfect = s_c <= 1e-9
        near = perfect | (low_q <= self._window_max_op[cand])
        near[near] = [not sim.pm_pending(i) for i in cand[near].tolist()]
        cand, rate_c, low_q, perfect = cand[near], rate_c[near], low_q[near], perfect[near]
        if cand.size == 0:
            return
        lead = np.array([sim.part_lead_h(int(i)) for i in cand])
        near = perfect | (low_q <= (interval + lead) * rate_c)
        cand = cand[near]
        if cand.size == 0:
            return
        s_c = s[cand]
        t_opt = np.where(
            s_c <= 1e-9,
            np.maximum(r[cand] * (1.0 - 1e-9) - 1e-6, 0.0),
            _lognormal_optimum_general(
                med[cand],
                np.maximum(s_c, 1e-9),
                m.cost_pm_individual[cand],
                m.cost_cm[cand],
                m.cost_rate[cand],
            ),
        )
        now = sim.now_h
        rate = m.rate[m.system_of[cand]]
        t_cal = np.maximum(now + t_opt / rate - self.lead_time_h, now)
        horizon = now + (self.decision_interval_h or 0.0)
        for i, t in zip(cand.tolist(), t_cal.tolist(), strict=True):
            if t <= horizon + sim.part_lead_h(i):
                sim.request_pm([i], sim.latest_work_start(i, t))


def _lognormal_optimum_general(med: Any, sig: Any, cp: Any, cf: Any, g: Any) -> Any:
    """:func:`lognormal_optimum` by its general branch, row by row (no cached rows)."""
    out = [
        lognormal_optimum(
            np.append(med[k], 100.0),
            np.append(sig[k], sig[k] + 0.1),
            np.append(cp[k], 1.0),
            np.append(cf[k], 10.0),
            np.append(g[k], 0.01),
        )[0]
        for k in range(len(med))
    ]
    return np.array(out, dtype=np.float64)


def _screen_passes(pol: Predictive, twin: Twin, i: int, r: Any, z: float) -> Any:
    """Whether a part with true residual ``r`` (array) and error ``z`` passes decide's
    screens and, for a perfect twin, its release (with the longest spare lead)."""
    m = pol.model
    med, s = twin.report(r, np.full(r.shape, z), np.full(r.shape, m.mean_life_h[i]))
    if twin.sigma == 0.0:
        interval = pol.decision_interval_h or 0.0
        t_opt = np.maximum(r * (1.0 - 1e-9) - 1e-6, 0.0)
        return t_opt / pol._rate[i] - pol.lead_time_h <= interval + pol._lead_max_h[i]
    return med * np.exp(-7.0 * s) <= pol._window_max_op[i]


@pytest.mark.parametrize("acc", ["good", "poor", "perfect"])
def test_screen_reach_bounds_every_passing_residual_life(plant: SimModel, acc: str) -> None:
    twin = Twin(acc)
    pol = Predictive(lead_time_h=12.0)
    pol.prepare(plant, twin)
    rng = np.random.default_rng(3)
    comps = rng.choice(np.flatnonzero(~pol._by_age), size=25)
    r = np.geomspace(1e-3, 1e7, 200_001)
    for i in comps.tolist():
        for _ in range(8):
            z = float(rng.normal() * rng.choice([1.0, 3.0]))
            col = int(np.searchsorted(_Z_GRID, z, side="right")) - 1  # grid value <= z
            reach = pol._reach_h[i, col] if col >= 0 else np.inf
            passing = r[_screen_passes(pol, twin, i, r, z)]
            assert passing.size  # a part at the end of its life always passes
            assert passing.max() <= reach
            if acc == "good":  # and the bound is tight (the watch list stays short)
                assert reach <= 1.1 * passing.max() + 1.0


@pytest.mark.parametrize("acc", ["good", "poor", "perfect"])
def test_predictive_releases_what_screening_every_part_releases(plant: SimModel, acc: str) -> None:
    twin = Twin(acc)
    runs = []
    for cls in (Predictive, _ScreenAll):
        pol = cls(lead_time_h=24.0)
        pol.prepare(plant, twin)
        runs.append([run_replication(plant, pol, twin, 5, r, keep_events=True) for r in range(2)])
    for (k_new, ev_new), (k_old, ev_old) in zip(*runs, strict=True):
        assert_array_equal(k_new, k_old)
        assert ev_new == ev_old
    assert any(e[2] == "opening" for _, ev in runs[0] for e in ev)  # it did release work


def test_twin_inputs_reproduce_twin_report(plant: SimModel) -> None:
    twin = Twin("good")
    checked: list[int] = []

    class Check(Predictive):
        def decide(self, sim: SimView) -> None:
            r, med, s = sim.twin_report()
            comps = np.arange(self.model.n)[::-1].copy()  # any order
            up, r_i, z = sim.twin_inputs(comps)
            med_i, s_i = twin.report(r_i, z, self.model.mean_life_h[comps])
            assert_array_equal(up, sim.up_mask()[comps])
            assert_array_equal(r_i[up], r[comps][up])
            assert_array_equal(med_i[up], med[comps][up])
            assert_array_equal(s_i[up], s[comps][up])
            checked.append(int((~up).sum()))
            super().decide(sim)

    pol = Check()
    pol.prepare(plant, twin)
    run_replication(plant, pol, twin, 2, 0)
    assert len(checked) > 100 and max(checked) > 0  # decisions with parts down too


def test_lognormal_optimum_equal_spreads_as_the_general_branch() -> None:
    rng = np.random.default_rng(11)
    for _ in range(400):
        m = int(rng.integers(1, 12))
        sig = float(rng.choice([0.0525, 0.175, rng.uniform(0.01, 1.0)]))
        med = rng.lognormal(6.0, 1.5, m)
        cp = rng.uniform(10.0, 1000.0, m)
        cf = cp * rng.uniform(0.5, 50.0, m)
        g = rng.uniform(0.0, 2.0, m) * cp / med
        fast = lognormal_optimum(med, np.full(m, sig), cp, cf, g)
        # one more row with another spread: the general branch, row by row the same
        general = lognormal_optimum(
            np.append(med, 100.0),
            np.append(np.full(m, sig), sig + 0.1),
            np.append(cp, 1.0),
            np.append(cf, 10.0),
            np.append(g, 0.01),
        )[:m]
        assert_array_equal(fast, general)
