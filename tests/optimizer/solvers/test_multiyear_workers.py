"""System-by-system path of large fleets in worker processes (``solve_multiyear(workers=)``).

Without crews the systems are independent, so the per-system subgradient and exact
search run on groups of systems in forked processes.  Checked here on instances small
enough to enumerate (the path is forced by lowering ``_SYS_MIN_N``): two processes give
the same plan and bound as one for a fixed number of iterations, the bound stays below
the brute-force optimum, the plan's cost is recomputed independently, and the planner's
work orders pass ``optimizer.check``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from optimizer.check import check_plan
from optimizer.loading import load_scenario
from optimizer.planning.pipeline import plan_scenario
from optimizer.solvers import multiyear
from optimizer.solvers.multiyear import evaluate_multiyear, solve_multiyear

from .test_multiyear import brute_force, make_instance

ROOT = Path(__file__).resolve().parents[3]


def _x(mp, plan):  # type: ignore[no-untyped-def]
    x = np.zeros((mp.n_components, mp.n_periods), dtype=bool)
    assert plan.replacements is not None
    x[plan.replacements[:, 0], plan.replacements[:, 1]] = True
    return x


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), k=st.integers(2, 3))
def test_two_workers_equal_one_and_stay_below_the_brute_force_optimum(seed: int, k: int) -> None:
    mp = make_instance(k + 2, k, 4, seed=seed, opening=(200.0, 6000.0))
    opt = brute_force(mp)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(multiyear, "_SYS_MIN_N", 0)  # the per-system path on a small instance
        one = solve_multiyear(mp, gap=1e-9, max_iter=60, workers=1)
        two = solve_multiyear(mp, gap=1e-9, max_iter=60, workers=2)
    assert any("2 worker processes" in line for line in two.log)
    assert_allclose(two.lower_bound, one.lower_bound, rtol=1e-12)
    assert_allclose(two.objective, one.objective, rtol=1e-12)
    assert_array_equal(_x(mp, two), _x(mp, one))
    scale = 1e-6 * max(1.0, abs(opt))
    assert two.lower_bound <= opt + scale
    assert two.objective >= opt - scale
    assert_allclose(evaluate_multiyear(mp, _x(mp, two))["total"], two.objective)


def test_groups_cover_every_system_once_with_balanced_positions() -> None:
    k_of = np.repeat(np.arange(7), [9, 1, 4, 4, 6, 0, 2][:7])
    groups = multiyear._system_groups(k_of, 7, 2)
    assert len(groups) == 2
    assert_array_equal(np.sum(groups, axis=0), np.ones(7))
    size = np.bincount(k_of, minlength=7)
    loads = sorted(int(size[g].sum()) for g in groups)
    assert loads == [13, 13]  # 9+4 | 6+4+2+1 (largest first into the lighter group)
    assert len(multiyear._system_groups(k_of, 7, 10)) == 6  # no more groups than systems


def test_workers_below_one_is_refused_naming_the_field() -> None:
    mp = make_instance(3, 2, 4, seed=0)
    with pytest.raises(ValueError, match="workers"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(multiyear, "_SYS_MIN_N", 0)
            solve_multiyear(mp, max_iter=5, workers=0)


def test_per_system_path_in_two_processes_passes_the_checker() -> None:
    scn = load_scenario(ROOT / "scenarios" / "multiyear.yaml")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(multiyear, "_SYS_MIN_N", 0)
        result = plan_scenario(scn, time_limit_s=6)
    assert any("2 worker processes" in line for line in result.plan.log)
    res = check_plan(scn, [w.as_dict() for w in result.orders])
    assert res.feasible, res.violations
    for term, value in result.plan.cost_split.items():
        assert_allclose(res.cost[term], value, rtol=1e-6, atol=1e-6 * abs(result.plan.objective))
    assert result.plan.lower_bound <= result.plan.objective + 1e-6


def _solve_in_child(send, mp) -> None:  # type: ignore[no-untyped-def]
    multiyear._SYS_MIN_N = 0  # the forked child has its own module state
    try:
        plan = solve_multiyear(mp, max_iter=5, time_limit_s=5)
        send.send(("ok", plan.objective, plan.lower_bound, list(plan.log)))
    except BaseException as exc:  # report any failure to the test process
        send.send(("error", repr(exc), 0.0, []))


def test_a_daemonic_process_plans_in_one_process() -> None:
    """The service runs each plan in a daemonic child, which may not start children:
    the per-system path must run there in one process and give one process's plan."""
    import multiprocessing

    mp = make_instance(3, 2, 4, seed=0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(multiyear, "_SYS_MIN_N", 0)
        ref = solve_multiyear(mp, max_iter=5, time_limit_s=5, workers=1)
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_solve_in_child, args=(send, mp), daemon=True)
    child.start()
    assert recv.poll(60), "no answer from the daemonic child"
    status, objective, bound, log = recv.recv()
    child.join(10)
    assert status == "ok", objective
    assert not any("worker processes" in line for line in log)
    assert_allclose([objective, bound], [ref.objective, ref.lower_bound], rtol=1e-12)
