"""Sign of the multi-year interval costs and the priced end state, by quadrature.

The reported "negative interval costs (g* includes the stand-alone opening)": the rate
``g*`` of a position is that of the stand-alone age-replacement policy (``c_p`` plus one
opening of its system per replacement), while an interval of a plan carries the direct
cost ``c_p`` only (its opening is paid by the plan's set-ups, shared).  So
``w(u) = w_alone(u) - opening S(u)`` with ``w_alone >= 0``: an interval may be negative by
at most its opening; these are relative costs, not a defect.  The priced end state,
however, must price the replacements *after* the horizon consistently with ``g*``
(stand-alone, ``c_p + opening``), so that ``E(u) = min_{s >= u} w_alone(s) >= 0`` and
``E(u) = 0`` for a part younger than ``T*``; it used ``c_p`` alone (a negative end state
of about ``-opening`` for every young part).  Here every value of
``scenarios/multiyear.yaml`` is recomputed from the Weibull laws of the scenario file by
``scipy.integrate.quad`` and a dense search of the minimum.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose
from scipy import integrate, optimize

from optimizer.fleet import fleet_model
from optimizer.loading import load_scenario
from optimizer.problem.multiyear import build_multiyear

ROOT = Path(__file__).resolve().parents[3]
# the unlimited Weibull positions of the scenario: filter (2.8, 3500 h), seal (1.9, 9000 h)
LAWS = {"A-FLT": (2.8, 3500.0), "A-SEAL": (1.9, 9000.0)}


def _sf(u: float, k: float, eta: float) -> float:
    return math.exp(-((u / eta) ** k))


def _renewal(u: float, k: float, eta: float, c_p: float, c_f: float, g: float) -> float:
    """``c_p S(u) + c_f F(u) - g int_0^u S`` with F and the integral by quadrature."""
    pdf = lambda v: (k / eta) * (v / eta) ** (k - 1) * _sf(v, k, eta)  # noqa: E731
    fail = integrate.quad(pdf, 0.0, u, limit=200)[0]
    length = integrate.quad(lambda v: _sf(v, k, eta), 0.0, u, limit=200)[0]
    return c_p * _sf(u, k, eta) + c_f * fail - g * length


def _rate(u: float, k: float, eta: float, c: float, c_f: float) -> float:
    """Cost rate of age replacement at ``u``: cycle cost over expected cycle length."""
    length = integrate.quad(lambda v: _sf(v, k, eta), 0.0, u)[0]
    return _renewal(u, k, eta, c, c_f, 0.0) / length


def test_rate_is_the_stand_alone_rate_and_intervals_may_be_negative() -> None:
    scn = load_scenario(ROOT / "scenarios" / "multiyear.yaml")
    built, mp = build_multiyear(scn)
    fm = built.fleet
    ids = [c.id for c in fm.components]
    negative = 0
    for cid, (k, eta) in LAWS.items():
        i = ids.index(cid)
        c_p, c_f = float(fm.cost_pm[i]), float(fm.cost_cm[i])
        alone = c_p + float(fm.opening_cost_mean[i])
        # g* = min_u (C S + c_f F) / int S over u, C the stand-alone cost (brute force)

        res = optimize.minimize_scalar(
            _rate, bounds=(0.05 * eta, 5 * eta), args=(k, eta, alone, c_f), method="bounded"
        )
        assert_allclose(fm.cost_rate[i], res.fun, rtol=1e-5)
        g = float(fm.cost_rate[i])
        per = float(mp.period_op_h[i])
        for d in (1, 5, 13, 30, 60):
            u = d * per
            want = _renewal(u, k, eta, c_p, c_f, g)
            assert_allclose(mp.interval_cost[i, d], want, rtol=1e-7, atol=1e-6)
            # never below minus the opening the interval's replacement shares
            w_alone = _renewal(u, k, eta, alone, c_f, g)
            assert w_alone >= -1e-6
            assert_allclose(mp.interval_cost[i, d], w_alone - (alone - c_p) * _sf(u, k, eta))
            negative += want < 0
    assert negative > 0  # the reported negative values are real and explained above


def test_priced_end_state_is_the_stand_alone_bias() -> None:
    scn = load_scenario(ROOT / "scenarios" / "multiyear.yaml")
    built, mp = build_multiyear(scn)
    fm = built.fleet
    ids = [c.id for c in fm.components]
    n_t = mp.n_periods
    for cid, (k, eta) in LAWS.items():
        i = ids.index(cid)
        c_f, g = float(fm.cost_cm[i]), float(fm.cost_rate[i])
        alone = float(fm.cost_pm[i] + fm.opening_cost_mean[i])
        per = float(mp.period_op_h[i])
        t_star = float(mp.t_star_h[i])
        for t in (0, 40, 100, n_t - 20, n_t - 2):
            left = (n_t - t) * per
            # E(u) = min_{s >= u} w_alone(s): dense grid then a bounded refinement
            grid = np.linspace(left, max(left, 6 * eta), 400)
            vals = [_renewal(s, k, eta, alone, c_f, g) for s in grid]
            j = int(np.argmin(vals))
            lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
            best = min(vals)
            if hi > lo:
                ref = optimize.minimize_scalar(
                    _renewal,
                    bounds=(lo, hi),
                    args=(k, eta, alone, c_f, g),
                    method="bounded",
                    options={"xatol": 1e-3},
                )
                best = min(best, float(ref.fun))
            assert_allclose(mp.end_cost[i, t], best, rtol=1e-6, atol=1e-4 * alone)
            assert mp.end_cost[i, t] >= -1e-6 * alone
            if left <= t_star:
                assert_allclose(mp.end_cost[i, t], 0.0, atol=1e-6 * alone)


def test_installed_part_left_in_place_is_priced_alike() -> None:
    # a position never replaced: its installed part (age a) at the horizon end, then the
    # stand-alone policy; penalty_beyond = min_{s >= H} c(s) - c_min with c the
    # residual-life cycle cost at the stand-alone price, c_min its minimum over s >= 0
    # at the direct price (the reference of the first interval's penalty curve)
    scn = load_scenario(ROOT / "scenarios" / "multiyear.yaml")
    built, mp = build_multiyear(scn)
    fm = fleet_model(scn)
    i = [c.id for c in fm.components].index("A-SEAL")
    k, eta = LAWS["A-SEAL"]
    age = fm.components[i].age_h
    c_p, c_f, g = float(fm.cost_pm[i]), float(fm.cost_cm[i]), float(fm.cost_rate[i])
    alone = c_p + float(fm.opening_cost_mean[i])
    s0 = _sf(age, k, eta)

    def resid(u: float, c: float) -> float:
        # cycle cost of the installed part's residual life (conditional on age)
        fail = 1.0 - _sf(age + u, k, eta) / s0
        length = integrate.quad(lambda v: _sf(age + v, k, eta) / s0, 0.0, u, limit=200)[0]
        return c * (1.0 - fail) + c_f * fail - g * length

    hor = mp.n_periods * float(mp.period_op_h[i])
    c_min = optimize.minimize_scalar(
        lambda u: resid(u, c_p), bounds=(0.0, 4 * eta), method="bounded"
    ).fun
    grid = np.linspace(hor, 6 * eta, 800)
    e = min(resid(s, alone) for s in grid)
    assert_allclose(built.curves.c_min[i], c_min, rtol=1e-5)
    assert_allclose(mp.base.penalty_beyond[i], e - c_min, rtol=1e-4)
