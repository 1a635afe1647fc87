"""Interval costs and the end-state value, against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate

from optimizer.problem.multiyear import build_multiyear, continuation_cost, cycle_cost
from optimizer.reliability import distributions as rul
from optimizer.reliability.penalty import age_replacement, penalty_curves

CP, CF = 1000.0, 6000.0


def test_cycle_cost_matches_quadrature_weibull() -> None:
    d = rul.Weibull(2.5, 10_000.0)
    g = 0.2
    u = np.array([[500.0, 4000.0, 9000.0, 30_000.0]])
    got = cycle_cost(d, u, cost_pm=CP, cost_cm=CF, cost_rate=g)[0]
    for x, val in zip(u[0], got, strict=True):
        s = math.exp(-((x / 1e4) ** 2.5))
        integral = integrate.quad(lambda v: math.exp(-((v / 1e4) ** 2.5)), 0, x)[0]
        assert_allclose(val, CP * s + CF * (1 - s) - g * integral, rtol=1e-9)


def test_exponential_closed_forms() -> None:
    # Exponential life: g* = c_f lambda (run to failure), w(u) = c_p exp(-lambda u),
    # E(u) = inf_{s >= u} w = 0, and with a limit L: c_p exp(-lambda L).
    lam = 1 / 5000.0
    d = rul.Exponential(5000.0)
    g = CF * lam
    u = np.array([[0.0, 1000.0, 5000.0, 20_000.0]])
    assert_allclose(
        cycle_cost(d, u, cost_pm=CP, cost_cm=CF, cost_rate=g)[0], CP * np.exp(-lam * u[0])
    )
    assert_allclose(continuation_cost(d, u, cost_pm=CP, cost_cm=CF, cost_rate=g)[0], 0, atol=1e-6)
    lim = 8000.0
    e = continuation_cost(d, u, cost_pm=CP, cost_cm=CF, cost_rate=g, limit_h=lim)[0]
    assert_allclose(e[:3], CP * math.exp(-lam * lim), rtol=1e-9)
    assert e[3] == np.inf  # older than the limit: not allowed


def test_cycle_cost_vanishes_at_t_star() -> None:
    d = rul.Weibull(2.5, 10_000.0)
    pol = age_replacement(d, cost_pm=CP, cost_cm=CF)
    w = cycle_cost(
        d,
        [[pol.t_star, 0.8 * pol.t_star, 1.2 * pol.t_star]],
        cost_pm=CP,
        cost_cm=CF,
        cost_rate=pol.cost_rate,
    )[0]
    assert abs(w[0]) < 1e-6 * CP
    assert (w[1:] > 0).all()


def _bias_by_dynamic_programming(
    d: rul.LifeDistribution, step: float, n_steps: int
) -> tuple[float, np.ndarray]:
    """Average-cost MDP of age replacement in discrete time (independent check).

    State: age ``j * step``.  Each step: replace (``c_p``, new part) or run one step;
    the part fails in it with probability ``1 - S(a + step) / S(a)`` (cost ``c_f``,
    new part).  For a rate ``g`` the relative values with ``v(0) = 0`` follow by
    backward recursion from a forced replacement at the last age; ``g`` is the root of
    the consistency condition ``R(0) = 0``.  Returns ``g`` and ``v`` on the age grid.
    """
    ages = np.arange(n_steps + 1) * step
    s = np.asarray(d.sf(ages), dtype=float)
    q = 1.0 - s[1:] / np.maximum(s[:-1], 1e-300)

    def values(g: float) -> tuple[float, np.ndarray]:
        v = np.empty(n_steps + 1)
        v[n_steps] = CP
        for j in range(n_steps - 1, -1, -1):
            run = q[j] * CF + (1 - q[j]) * v[j + 1] - g * step
            v[j] = run if j == 0 else min(CP, run)
        return v[0], v

    lo, hi = 0.0, CF / step
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if values(mid)[0] > 0:
            lo = mid
        else:
            hi = mid
    g = 0.5 * (lo + hi)
    v = values(g)[1]
    v[0] = 0.0
    return g, v


def test_end_state_equals_bias_of_the_renewal_process() -> None:
    d = rul.Weibull(2.5, 10_000.0)
    pol = age_replacement(d, cost_pm=CP, cost_cm=CF)
    step = 5.0
    g_dp, v = _bias_by_dynamic_programming(d, step, 6000)
    assert_allclose(g_dp, pol.cost_rate, rtol=2e-3)
    u = np.array([1000.0, 3000.0, pol.t_star * 0.9, pol.t_star * 1.3, 15_000.0])
    e = continuation_cost(d, u[None, :], cost_pm=CP, cost_cm=CF, cost_rate=pol.cost_rate)[0]
    for x, val in zip(u, e, strict=True):
        s = math.exp(-((x / 1e4) ** 2.5))
        integral = integrate.quad(lambda t: math.exp(-((t / 1e4) ** 2.5)), 0, x)[0]
        bias = float(np.interp(x, np.arange(v.size) * step, v))
        ref = CF * (1 - s) - pol.cost_rate * integral + s * bias
        assert_allclose(val, ref, atol=3e-3 * CP)
    # increasing hazard: E(u) = w(max(u, T*))
    w = cycle_cost(
        d, np.maximum(u, pol.t_star)[None, :], cost_pm=CP, cost_cm=CF, cost_rate=pol.cost_rate
    )[0]
    assert_allclose(e, w, atol=1e-6 * CP)


def test_end_state_of_installed_part_matches_penalty_beyond() -> None:
    # The same formula on a residual life is the penalty module's deferral cost.
    base = rul.Weibull(2.0, 20_000.0)
    pol = age_replacement(base, cost_pm=CP, cost_cm=CF)
    res = [base.residual(a) for a in (2000.0, 9000.0, 25_000.0)]
    horizon = 8000.0
    curves = penalty_curves(
        res,
        cost_pm=np.full(3, CP),
        cost_cm=np.full(3, CF),
        cost_rate=np.full(3, pol.cost_rate),
        t_h=np.linspace(0, horizon, 9)[:-1],
        horizon_h=horizon,
    )
    for i, r in enumerate(res):
        e = continuation_cost(r, [[horizon]], cost_pm=CP, cost_cm=CF, cost_rate=pol.cost_rate)
        assert_allclose(e[0, 0] - curves.c_min[i], curves.penalty_beyond[i], atol=1e-6 * CP)


@pytest.mark.parametrize("minimal", [False, True])
def test_deterministic_life_and_minimal_repair(minimal: bool) -> None:
    if minimal:
        d: rul.LifeDistribution = rul.Weibull(3.0, 10_000.0)
        # periodic replacement with minimal repair: w(u) = c_p + c_f (u/eta)^3 - g u,
        # minimum at the closed-form optimum of Barlow and Hunter
        x = 1e4 * (CP / (CF * 2.0)) ** (1 / 3)
        g = (CP + CF * (x / 1e4) ** 3) / x
        e = continuation_cost(
            d, [[0.5 * x, 2 * x]], cost_pm=CP, cost_cm=CF, cost_rate=g, minimal_repair=True
        )[0]
        assert_allclose(e[0], 0.0, atol=1e-6 * CP)
        assert_allclose(e[1], CP + CF * (2 * x / 1e4) ** 3 - g * 2 * x, rtol=1e-9)
    else:
        d = rul.Deterministic(8000.0)
        g = CP / 8000.0  # replace just before the known end of life
        e = continuation_cost(d, [[1000.0, 7000.0, 8500.0]], cost_pm=CP, cost_cm=CF, cost_rate=g)[0]
        assert_allclose(e[:2], 0.0, atol=1e-6 * CP)
        assert_allclose(e[2], CF - g * 8000.0)  # past the life: the failure is certain


# --------------------------------------------------------------------------------------
# pure life limits and the end state (issue 14)
# --------------------------------------------------------------------------------------


def _orp_doc(**plan: object) -> dict[str, object]:
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[3]
    doc: dict[str, object] = yaml.safe_load((root / "scenarios" / "orp10.yaml").read_text())
    doc["plan"] = {**doc["plan"], **plan}  # type: ignore[dict-item]
    return doc


def test_pure_life_limit_never_fails_and_renews_at_its_limit() -> None:
    from optimizer.fleet import fleet_model
    from optimizer.loading import parse_scenario

    scn = parse_scenario(_orp_doc())
    comps = scn.components()
    assert comps[0].corrective == comps[0].preventive  # defaults to the preventive task
    fm = fleet_model(scn)
    life = fm.life[0]
    assert float(np.asarray(life.sf(1008.0))) == 1.0  # no failure up to the limit, inclusive
    # renewal at the limit, with its own set-up: g* = (c_p + set-up) / U = (34 + 20) / 1008
    assert_allclose(fm.cost_rate[0], 54.0 / 1008.0, rtol=1e-12)
    assert fm.policy[0].t_star == 1008.0


def test_life_without_limit_is_still_required() -> None:
    from optimizer.loading import ScenarioError, parse_scenario

    doc = _orp_doc()
    del doc["component_types"]["p1"]["max_age_h"]  # type: ignore[index]
    with pytest.raises(ScenarioError, match="max_age_h alone"):
        parse_scenario(doc)


def test_unpriced_end_state_is_the_cash_of_the_horizon() -> None:
    """Any plan: unpriced total = sum c_i m_i + 20 * occasions; priced: closed form too."""
    from optimizer.loading import parse_scenario
    from optimizer.solvers.multiyear import evaluate_multiyear

    cost = np.array([34, 25, 14, 21, 16, 3, 10, 5, 7, 10], dtype=float)
    life = [42, 18, 90, 94, 49, 49, 34, 90, 37, 11]
    _, mp0 = build_multiyear(parse_scenario(_orp_doc()))
    _, mp1 = build_multiyear(parse_scenario(_orp_doc(end_state="priced")))
    x = np.zeros((10, 101), dtype=bool)
    for i, u in enumerate(life):  # every part at its limit, plus once at the end if needed
        ts = list(range(u, 101, u))
        if 101 - (ts[-1] if ts else 0) > u:
            ts.append(100)
        x[i, ts] = True
    got = evaluate_multiyear(mp0, x)["total"]
    assert_allclose(got, float(cost @ x.sum(axis=1) + 20.0 * x.any(axis=0).sum()), rtol=1e-9)
    # priced: the part left at age u (periods) is charged min_{u<=s<=U} w_alone(s) =
    # c + 20 - g* U = 0 (the replacements after the horizon at the stand-alone price
    # of g* = (c + 20) / U) instead of -g* u: the difference is g* u per position, the
    # life the plan leaves used (tests/optimizer/problem/test_multiyear_endstate.py)
    last = np.array([np.flatnonzero(x[i]).max() for i in range(10)])
    u_end = 101 - last
    diff = float(np.sum((cost + 20.0) * u_end / np.array(life)))
    assert_allclose(evaluate_multiyear(mp1, x)["total"], got + diff, rtol=1e-9)
