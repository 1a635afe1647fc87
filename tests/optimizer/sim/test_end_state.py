"""The end-state value of the parts left at the simulated horizon (issue #13 cause 6).

Reference: for an increasing hazard the bias of the optimal age-replacement policy is,
with ``w(s) = c_p S(s) + c_f F(s) - g* int_0^s S`` minimal (0) at ``T*``,
``v(a) = (0 - c_f F(a) + g* int_0^a S) / S(a)`` below ``T*`` and ``v(a) = c_p`` above
(the next horizon replaces the worn part at once); computed here with scipy's quad.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose
from scipy import integrate, stats

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, scenario, system, weibull

from optimizer.sim.model import compile_model
from optimizer.sim.simulate import simulate


def _model() -> object:
    c = component("A", life=weibull(3.0, 1000.0), cost_pm_other=100.0, cost_cm_other=1000.0)
    return compile_model(scenario([system("S", [c], setup=0.0)]), years=1.0)


def test_end_state_value_matches_the_bias_of_age_replacement() -> None:
    m = _model()
    d = stats.weibull_min(3.0, scale=1000.0)
    cp, cf, g = m.cost_pm_individual[0], m.cost_cm[0], m.cost_rate[0]
    t_star = m.t_star_h[0]
    ages = np.array([0.0, 100.0, 250.0, 0.9 * t_star, 1.2 * t_star, 2.0 * t_star])

    def ref(a: float) -> float:
        if a >= t_star:
            return float(cp)
        run = cf * d.cdf(a) - g * integrate.quad(d.sf, 0.0, a)[0]
        return float(-run / d.sf(a))

    grid, val = m.end_age_h[0], m.end_value[0]
    got = np.interp(ages, grid, val)
    assert_allclose(got, [ref(a) for a in ages], rtol=2e-3, atol=0.5)
    assert got[0] == 0.0


def test_kpis_add_up() -> None:
    res = simulate(_model(), "run-to-failure", replications=20, seed=1, workers=1)
    assert_allclose(
        res["total_with_end_state_cost"].mean,
        res["cost_total"].mean + res["end_state_cost"].mean,
        rtol=1e-12,
    )
    # a running-to-failure part is left at a random age: valued between 0 and c_p
    assert 0.0 < res["end_state_cost"].mean < 100.0 + 1e-9
