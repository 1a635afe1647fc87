"""Exact search of ORP-form multi-year plans against brute force, HiGHS and the published 615."""

from __future__ import annotations

import itertools
from pathlib import Path

import highspy
import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.loading import load_scenario
from optimizer.planning.pipeline import plan_scenario
from optimizer.problem.multiyear import build_multiyear
from optimizer.solvers.orp import OrpForm, orp_form, solve_orp

ROOT = Path(__file__).resolve().parents[3]
ORP10 = ROOT / "scenarios" / "orp10.yaml"
COST = [34, 25, 14, 21, 16, 3, 10, 5, 7, 10]
LIFE = [42, 18, 90, 94, 49, 49, 34, 90, 37, 11]


def _form(
    alpha: list[float],
    life: list[int],
    n_t: int,
    reserve: int,
    opening: np.ndarray,
    occ: np.ndarray,
) -> OrpForm:
    """ORP with parts new at period 0, life ``U`` periods, ``reserve`` past the end."""
    n = len(alpha)
    first_by = np.array([min(u, n_t - 1) for u in life])
    end_from = np.array([n_t + reserve - u for u in life])
    return OrpForm(
        alpha=np.array(alpha, dtype=float),
        constant=np.zeros(n),
        first_by=first_by,
        max_gap=np.array(life),
        end_from=end_from,
        keep_ok=np.array([u >= n_t + reserve for u in life]),
        system_of=np.zeros(n, dtype=np.int64),
        occasion_ok=occ[None, :],
        opening=opening[None, :],
    )


def _brute(
    alpha: list[float],
    life: list[int],
    n_t: int,
    reserve: int,
    opening: np.ndarray,
    occ: np.ndarray,
) -> float:
    """Every replacement set of every part, checked against the ORP windows directly."""
    periods = [t for t in range(1, n_t) if occ[t]]
    best_part: list[dict[frozenset[int], float]] = []
    for a, u in zip(alpha, life, strict=True):
        sets: dict[frozenset[int], float] = {}
        for m in range(len(periods) + 1):
            for ts in itertools.combinations(periods, m):
                pts = [0, *ts]
                gaps_ok = all(b - a_ <= u for a_, b in itertools.pairwise(pts))
                if gaps_ok and (n_t + reserve) - pts[-1] <= u:
                    sets[frozenset(ts)] = a * m
        best_part.append(sets)
    best = np.inf
    for m in range(len(periods) + 1):
        for zs in itertools.combinations(periods, m):
            z = frozenset(zs)
            total = float(sum(opening[t] for t in zs))
            for sets in best_part:
                total += min((c for s, c in sets.items() if s <= z), default=np.inf)
            best = min(best, total)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_exact_search_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_t = int(rng.integers(7, 11))
    n = int(rng.integers(2, 4))
    life = [int(rng.integers(2, 7)) for _ in range(n)]
    alpha = [float(rng.integers(1, 30)) for _ in range(n)]
    reserve = int(rng.integers(0, 2))
    occ = np.ones(n_t, dtype=bool)
    if seed % 3 == 1:
        occ[rng.integers(1, n_t)] = False  # a period the unit may not open
    opening = np.full(n_t, 20.0)
    if seed % 3 == 2:
        opening = rng.integers(5, 40, n_t).astype(float)  # windows: cheaper periods
    occ[0] = False  # the parts are new in period 0
    res = solve_orp(_form(alpha, life, n_t, reserve, opening, occ))
    assert res is not None
    x, cost, _ = res
    assert_allclose(cost, _brute(alpha, life, n_t, reserve, opening, occ))
    if np.isfinite(cost):  # the plan returned costs what the search says
        z = x.any(axis=0)
        assert_allclose(float(np.dot(alpha, x.sum(axis=1)) + opening[z].sum()), cost)


def _highs_orp(n_t: int, reserve: int) -> float:
    """The ORP x/z model of the reference (orp10.md) solved by HiGHS, periods 1..n_t-1."""
    big_t = n_t - 1
    n = len(COST)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", 0.0)
    nx = n * big_t
    cost = np.array([c for c in COST for _ in range(big_t)] + [20.0] * big_t, dtype=float)
    h.addVars(nx + big_t, np.zeros(nx + big_t), np.ones(nx + big_t))
    h.changeColsCost(nx + big_t, np.arange(nx + big_t), cost)
    h.changeColsIntegrality(
        nx + big_t, np.arange(nx + big_t), np.array([highspy.HighsVarType.kInteger] * (nx + big_t))
    )
    for i, u in enumerate(LIFE):
        for lo in range(0, big_t + reserve - u + 1):
            idx = np.array([i * big_t + t - 1 for t in range(lo + 1, min(lo + u, big_t) + 1)])
            h.addRow(1.0, highspy.kHighsInf, idx.size, idx, np.ones(idx.size))
        for t in range(1, big_t + 1):
            h.addRow(
                -highspy.kHighsInf, 0.0, 2, np.array([i * big_t + t - 1, nx + t - 1]), [1.0, -1.0]
            )
    h.run()
    return float(h.getInfo().objective_function_value)


@pytest.mark.parametrize(("big_t", "reserve"), [(40, 0), (50, 3)])
def test_exact_search_matches_highs_on_the_published_parts(big_t: int, reserve: int) -> None:
    n_t = big_t + 1
    occ = np.ones(n_t, dtype=bool)
    occ[0] = False
    res = solve_orp(_form(list(map(float, COST)), LIFE, n_t, reserve, np.full(n_t, 20.0), occ))
    assert res is not None
    assert_allclose(res[1], _highs_orp(n_t, reserve), atol=1e-6)


def test_published_orp_through_the_scenario() -> None:
    """scenarios/orp10.yaml: the published optimum 615 (T = 100), proven by `auto`."""
    r = plan_scenario(load_scenario(ORP10))
    assert str(r.plan.status) == "optimal"
    assert_allclose(r.plan.objective, 615.0, atol=1e-6)
    assert_allclose(r.plan.lower_bound, 615.0, atol=1e-6)
    # every part within its life limit: gaps <= U_i from the installation to the end
    reps = np.asarray(r.plan.replacements)
    for i, u in enumerate(LIFE):
        ts = [0, *sorted(reps[reps[:, 0] == i, 1].tolist()), 101]
        assert max(b - a for a, b in itertools.pairwise(ts)) <= u
    assert len(r.orders) == len(reps)


@pytest.mark.parametrize(("reserve", "expected"), [(9, 670.0), (2, 635.0)])
def test_end_condition_variants(reserve: int, expected: float) -> None:
    """Every part must survive ``r`` periods past T = 100 (values also proven by HiGHS's
    x/z model, ``benchmarks/bench_multiyear.py``: 670 for r = 9, 635 for r = 2)."""
    scn = load_scenario(ORP10)
    scn = scn.model_copy(
        update={"plan": scn.plan.model_copy(update={"end_reserve_days": float(reserve)})}
    )
    r = plan_scenario(scn)
    assert str(r.plan.status) == "optimal"
    assert_allclose(r.plan.objective, expected, atol=1e-6)


def test_failure_distributions_are_not_of_orp_form() -> None:
    _, mp = build_multiyear(load_scenario(ROOT / "scenarios" / "multiyear.yaml"))
    pb = mp.base
    first = np.where(pb.allowed, pb.penalty, np.inf)
    form = orp_form(
        first,
        np.asarray(mp.interval_cost),
        np.asarray(mp.end_cost),
        np.asarray(pb.penalty_beyond),
        np.asarray(mp.node_ok),
        pb.system_of,
        pb.opening_cost,
        pb.open_allowed,
    )
    assert form is None


@pytest.mark.parametrize("seed", range(4))
def test_incumbent_start_gives_the_same_optimum(seed: int) -> None:
    """Seeded with a feasible plan (every part at its limit, one occasion each), or with
    the optimum itself, the search returns the brute-force optimum."""
    rng = np.random.default_rng(100 + seed)
    n_t, n = 9, 3
    life = [int(rng.integers(2, 6)) for _ in range(n)]
    alpha = [float(rng.integers(1, 30)) for _ in range(n)]
    occ = np.ones(n_t, dtype=bool)
    occ[0] = False
    opening = np.full(n_t, 20.0)
    form = _form(alpha, life, n_t, 0, opening, occ)
    naive = np.zeros((n, n_t), dtype=bool)
    for i, u in enumerate(life):
        ts = list(range(u, n_t, u))
        if n_t - (ts[-1] if ts else 0) > u:
            ts.append(n_t - 1)
        naive[i, ts] = True
    best = solve_orp(form)
    assert best is not None
    for start in (naive, best[0]):
        res = solve_orp(form, incumbent=start)
        assert res is not None
        assert_allclose(res[1], _brute(alpha, life, n_t, 0, opening, occ))
        z = res[0].any(axis=0)
        assert_allclose(float(np.dot(alpha, res[0].sum(axis=1)) + opening[z].sum()), res[1])
