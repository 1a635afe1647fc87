"""Stock that cannot run short: holding cost folded into the penalties is exact."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose

from optimizer.loading import parse_scenario
from optimizer.problem.build import build_problem
from optimizer.problem.plan import evaluate
from optimizer.solvers import solve, stock_can_bind
from optimizer.solvers.stock import fold_holding

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from fleetgen import make_scenario


def _problem(stock: str, crews: str = "loose", n: int = 40):  # type: ignore[no-untyped-def]
    return build_problem(
        parse_scenario(make_scenario(n, 4, seed=5, crews=crews, stock=stock))
    ).problem


def test_linear_holding_equals_purchasing_of_any_plan() -> None:
    pb = _problem("ample")
    assert not stock_can_bind(pb)
    folded, const, exact = fold_holding(pb)
    assert exact and folded.parts is None
    extra = folded.penalty - pb.penalty
    extra_beyond = folded.penalty_beyond - pb.penalty_beyond
    rng = np.random.default_rng(1)
    idx = np.arange(pb.n_components)
    for _ in range(10):
        period = rng.integers(-1, pb.n_periods, pb.n_components)
        lin = np.where(period >= 0, extra[idx, np.maximum(period, 0)], extra_beyond).sum() + const
        ev = evaluate(pb, period)
        assert_allclose(ev["ordering"] + ev["expediting"] + ev["holding"], lin, rtol=1e-10)


def test_dp_and_milp_agree_and_beat_every_single_move() -> None:
    pb = _problem("ample")
    dp = solve(pb, "dp")
    milp = solve(pb, "milp")
    assert str(dp.status) == "optimal" and str(milp.status) == "optimal"
    assert_allclose(dp.objective, milp.objective, rtol=1e-7)
    assert_allclose(dp.objective, evaluate(pb, dp.period)["total"], rtol=1e-10)
    # local optimality against the true cost (purchasing included): no single move helps
    base = evaluate(pb, dp.period)["total"]
    rng = np.random.default_rng(2)
    for _ in range(30):
        i = int(rng.integers(pb.n_components))
        alt = dp.period.copy()
        alt[i] = -1 if alt[i] >= 0 else int(np.argmax(pb.allowed[i]))
        assert evaluate(pb, alt)["total"] >= base - 1e-6


def test_tight_stock_binds() -> None:
    assert stock_can_bind(_problem("tight", n=80))
