"""Clique rows of the MILP: ``sum_{i in Q} x[i,t] <= y[k,t]`` for jobs that cannot share.

Checked against an independent enumeration (every subset of a small group), for
validity (every feasible plan satisfies them: see also test_spans'
``test_every_feasible_plan_satisfies_all_rows``) and for what they buy (the LP bound
never drops and never passes the optimum).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.problem.data import PlanningProblem
from optimizer.solvers.milp import root_lp_bound, solve_milp
from optimizer.solvers.milp_pyomo import build_pyomo_model
from optimizer.solvers.model import _clique_rows, build_direct_model


def maximal_cliques(load: np.ndarray, cap: float) -> set[frozenset[int]]:
    """Maximal sets (size >= 2) of jobs no two of which fit ``cap`` together (enumeration)."""
    n = len(load)

    def clique(q: tuple[int, ...]) -> bool:
        return all(load[a] + load[b] > cap for a, b in itertools.combinations(q, 2))

    all_q = [
        frozenset(q)
        for r in range(2, n + 1)
        for q in itertools.combinations(range(n), r)
        if clique(q)
    ]
    return {q for q in all_q if not any(q < other for other in all_q)}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3), st.sampled_from([0.5, 1.0, 2.0, 3.0, 4.0, 4.5, 5.0, 6.0, 8.0])
        ),
        min_size=1,
        max_size=14,
    ),
    st.sampled_from([8.0, 9.0, 12.0]),
)
def test_clique_rows_are_exactly_the_maximal_cliques(
    jobs: list[tuple[int, float]], cap: float
) -> None:
    keys = np.array([g for g, _ in jobs], dtype=np.int64)
    load = np.array([ld for _, ld in jobs], dtype=np.float64)
    cols = np.arange(len(jobs), dtype=np.int64) + 100  # arbitrary column ids
    ent_col, ent_row, row_first = _clique_rows(keys, load, np.full(len(jobs), cap), cols)
    got: set[frozenset[int]] = set()
    for r in range(len(row_first)):
        members = frozenset(int(c) - 100 for c in ent_col[ent_row == r])
        assert len(members) == int((ent_row == r).sum())  # no repeated member
        assert {keys[m] for m in members} == {keys[row_first[r]]}  # one group per row
        got.add(members)
    assert len(got) == len(row_first)  # no duplicate rows
    want: set[frozenset[int]] = set()
    for g in np.unique(keys):
        idx = np.flatnonzero(keys == g)
        for q in maximal_cliques(load[idx], cap):
            want.add(frozenset(int(idx[m]) for m in q))
    assert got == want


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_cliques_raise_the_lp_bound_but_not_past_the_optimum(
    make_problem: Callable[..., PlanningProblem], seed: int
) -> None:
    p = make_problem(12, 2, 15, seed, capacitated=True, max_span=2)
    with_rows = root_lp_bound(p, strengthen=True)
    plain = root_lp_bound(p, strengthen=False)
    optimum = solve_milp(p, gap=1e-9).objective
    assert plain <= with_rows + 1e-6
    assert with_rows <= optimum + 1e-6


def test_clique_rows_bind_on_a_hand_example(monkeypatch: pytest.MonkeyPatch) -> None:
    # One system, one skill, 8 h per period, two periods.  Jobs A, B of 5 h and C of
    # 2 h: A and B cannot share a period, C fits with either.  Every job costs 0 in
    # period 0 and 10 in period 1 (deferral 1000); an opening costs 100.
    # Integer optimum: both periods open (200), A or B moves to period 1 (10): 210.
    # LP with the clique rows x_A0 + x_B0 <= y_0 and x_A1 + x_B1 <= y_1: adding them
    # and the assignment rows of A and B gives y_0 + y_1 >= 2 (cost >= 200), and
    # x_A1 + x_B1 = 2 - (x_A0 + x_B0) >= 2 - y_0 >= 1 (cost >= 10): the LP bound is 210.
    from datetime import UTC, datetime

    from optimizer.solvers import model as grouping_model

    p = PlanningProblem(
        start=datetime(2027, 1, 1, tzinfo=UTC),
        period_h=24.0,
        component_ids=("A", "B", "C"),
        system_ids=("S",),
        system_of=np.zeros(3, dtype=np.int64),
        penalty=np.array([[0.0, 10.0]] * 3),
        penalty_beyond=np.full(3, 1000.0),
        allowed=np.ones((3, 2), dtype=bool),
        opening_cost=np.full((1, 2), 100.0),
        open_allowed=np.ones((1, 2), dtype=bool),
        duration_h=np.array([5.0, 5.0, 2.0]),
        skill_of=np.zeros(3, dtype=np.int64),
        crew_qty=np.ones(3, dtype=np.int64),
        skill_ids=("mech",),
        crew_hours=np.full((1, 2), 8.0),
        pinned_period=np.full(3, -1, dtype=np.int64),
    )
    model = build_direct_model(p)
    # per period one clique {A, B}; C conflicts with neither and keeps its linking rows
    assert model.n_rows_by_family["cliques"] == 2
    assert model.n_rows_by_family["linking"] == 2
    assert_allclose(solve_milp(p, gap=1e-9).objective, 210.0)
    assert_allclose(root_lp_bound(p, strengthen=True), 210.0, atol=1e-6)
    # without the clique rows (strengthening rows only) the LP bound is lower
    none = np.zeros(0, dtype=np.int64)
    monkeypatch.setattr(grouping_model, "_clique_rows", lambda *a: (none, none, none))
    assert root_lp_bound(p, strengthen=True) < 210.0 - 1.0


def test_pyomo_model_has_the_same_rows(make_problem: Callable[..., PlanningProblem]) -> None:
    p = make_problem(14, 3, 20, 5, capacitated=True)
    model = build_direct_model(p)
    m = build_pyomo_model(p)
    assert model.n_rows_by_family["cliques"] > 0
    assert len(m.cliques) == model.n_rows_by_family["cliques"]
    assert len(m.linking) == model.n_rows_by_family["linking"]
    assert_allclose(
        solve_milp(p, backend="pyomo", gap=1e-9).objective,
        solve_milp(p, backend="direct", gap=1e-9).objective,
        rtol=1e-7,
    )
