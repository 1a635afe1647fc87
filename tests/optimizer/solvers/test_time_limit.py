"""The MILP time limit is a wall-clock limit from the start of ``solve_milp``.

Issue #3/#4: a time limit returns the best plan found with its gap, never nothing, and is
honoured even when HiGHS spends long in a phase that does not check it (on the 1,000-
component fleet benchmark HiGHS 1.16's presolve and MIP setup ran 40 s past a 7 s limit).
These tests check that the limit holds (with generous slack for a loaded machine: they
test the mechanism, not speed) and that the returned plan is valid.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import highspy
import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import BEYOND, Status, evaluate, violations
from optimizer.solvers import highs, milp

LIMIT_S = 0.5
SLACK_S = 2.5
"""Allowed overrun: ABANDON_GRACE_S (0.5 s) plus scheduling noise on a shared machine."""


def _check_plan(problem: PlanningProblem, plan: Any) -> None:
    assert plan.status is Status.TIME_LIMIT
    assert plan.period.shape == (problem.n_components,)
    assert not violations(problem, plan.period)
    assert_allclose(plan.objective, evaluate(problem, plan.period)["total"], rtol=1e-9)
    assert plan.lower_bound <= plan.objective + 1e-9 * abs(plan.objective)


def test_limit_holds_on_a_moderately_large_instance(
    make_problem: Callable[..., PlanningProblem],
) -> None:
    # 300 components, 20 systems, 120 periods, crews: HiGHS does not finish in 0.5 s
    problem = make_problem(300, 20, 120, 1, capacitated=True)
    t0 = time.perf_counter()
    plan = milp.solve_milp(problem, time_limit_s=LIMIT_S, gap=1e-9)
    wall = time.perf_counter() - t0
    assert wall < LIMIT_S + SLACK_S
    _check_plan(problem, plan)


class _StuckHighs:
    """A ``highspy.Highs`` whose ``run`` first blocks for ``stall_s`` seconds.

    Stands in for a HiGHS phase that checks neither the time limit nor the interrupt
    callbacks (presolve Enumeration, the objective clique partition).
    """

    def __init__(self, inner: Any, stall_s: float) -> None:
        self._inner = inner
        self._stall_s = stall_s

    def run(self) -> Any:
        time.sleep(self._stall_s)
        return self._inner.run()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.mark.parametrize("warm", [False, True])
def test_a_stuck_highs_run_is_abandoned_at_the_deadline(
    make_problem: Callable[..., PlanningProblem],
    monkeypatch: pytest.MonkeyPatch,
    warm: bool,
) -> None:
    problem = make_problem(30, 4, 20, 2, capacitated=True)
    real = highs.new_highs
    monkeypatch.setattr(highs, "new_highs", lambda: _StuckHighs(real(), 4.0))
    ws = None
    if warm:
        # an all-deferred plan is feasible here (no pins); it must come back unchanged
        ws = np.full(problem.n_components, BEYOND, dtype=np.int64)
        assert not violations(problem, ws)
    seen: list[float] = []
    t0 = time.perf_counter()
    plan = milp.solve_milp(
        problem,
        time_limit_s=LIMIT_S,
        gap=1e-9,
        warm_start=ws,
        on_incumbent=lambda p: seen.append(time.perf_counter()),
    )
    wall = time.perf_counter() - t0
    assert wall < LIMIT_S + SLACK_S  # the stuck run alone would take 4 s
    _check_plan(problem, plan)
    assert any("abandoned" in line for line in plan.log)
    if ws is not None:
        np.testing.assert_array_equal(plan.period, ws)
    # nothing reported after the solve returned (the abandoned run must stay silent)
    time.sleep(0.2)
    assert all(t <= t0 + wall for t in seen)


def test_call_bounded_returns_result_raises_or_gives_up() -> None:
    assert highs.call_bounded(lambda: 42, time.perf_counter() + 5.0) == (True, 42)

    def boom() -> None:
        raise ValueError("inner failure")

    with pytest.raises(ValueError, match="inner failure"):
        highs.call_bounded(boom, time.perf_counter() + 5.0)
    t0 = time.perf_counter()
    done, out = highs.call_bounded(lambda: time.sleep(3.0), time.perf_counter() + 0.1)
    assert (done, out) == (False, None)
    assert time.perf_counter() - t0 < 2.0


def test_call_bounded_cancels_and_joins() -> None:
    """A run past its deadline is asked to stop and joined: no thread is left behind."""
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def run() -> str:
        workers.append(threading.current_thread())
        stop.wait(10.0)
        return "stopped" if stop.is_set() else "timed out"

    t0 = time.perf_counter()
    done, out = highs.call_bounded(run, time.perf_counter() + 0.1, cancel=stop.set)
    assert (done, out) == (True, "stopped")
    assert time.perf_counter() - t0 < 0.1 + highs.CANCEL_WAIT_S + 1.0
    (worker,) = workers
    worker.join(1.0)
    assert not worker.is_alive()
    assert not worker.daemon  # the interpreter never tears a HiGHS run down mid-call


def test_a_run_that_ignores_cancel_is_counted() -> None:
    release = threading.Event()
    workers: list[threading.Thread] = []

    def run() -> None:
        workers.append(threading.current_thread())
        release.wait(10.0)

    done, _ = highs.call_bounded(run, time.perf_counter() + 0.05, cancel=lambda: None)
    assert not done
    assert highs.unfinished_runs() >= 1
    release.set()
    workers[0].join(2.0)
    assert not workers[0].is_alive()


def test_a_real_highs_run_stops_on_cancel(
    make_problem: Callable[..., PlanningProblem],
) -> None:
    """highspy's interrupt callbacks stop a MILP that has no time limit of its own
    (at HiGHS's next check: its MIP interrupt callback is first called after presolve and
    the MIP setup, see ABANDON_GRACE_S)."""
    from optimizer.solvers.model import build_direct_model

    # large enough that no machine solves it in the 0.3 s before the cancel (the 60 x 60
    # instance used before was solved in time on the idle CI machine)
    model = build_direct_model(make_problem(200, 10, 120, 1, capacitated=True))
    h = highs.new_highs()
    h.HandleUserInterrupt = True
    h.passModel(highs.highs_lp(model, relax=False))
    workers: list[threading.Thread] = []

    def run() -> Any:
        workers.append(threading.current_thread())
        return h.run()

    t0 = time.perf_counter()
    highs.call_bounded(run, t0 + 0.3, cancel=h.cancelSolve)
    workers[0].join(10.0)
    assert not workers[0].is_alive()
    assert h.getModelStatus() == highspy.HighsModelStatus.kInterrupt
    assert time.perf_counter() - t0 < 5.0  # without the cancellation: many seconds


@pytest.mark.parametrize("limit_s", ["2", "3"])
def test_cli_exits_0_after_a_time_limited_plan(limit_s: str) -> None:
    """#18: `plan plant.yaml --time-limit-s 5` exited 134 (SIGABRT, "terminate called
    without an active exception") in 11 of 30 runs: the abandoned HiGHS thread was torn
    down at interpreter exit.  2 s and 3 s cover a run that stops on cancellation and
    one that is still busy (both seen on this machine)."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "optimizer",
            "plan",
            "scenarios/plant.yaml",
            "--time-limit-s",
            limit_s,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    # the plan itself: time_limit, optimal, or feasible (the hour-level re-solve rounds
    # of the plant judge a re-solved plan against the first model's bound)
    assert any(f"status {s}" in run.stdout for s in ("time_limit", "optimal", "feasible"))
