"""Tests of the hour-level shutdown schedule (optimizer/solvers/shutdown.py).

Makespans of the hand cases are derived in the comments; random cases are checked
against an exhaustive assignment of unit-demand jobs to technicians (P||Cmax).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.problem.plan import Status
from optimizer.solvers.shutdown import (
    CrewCalendar,
    ShutdownJob,
    ShutdownSchedule,
    schedule_shutdown,
)


def check_feasible(
    sched: ShutdownSchedule, jobs: list[ShutdownJob], crews: dict[str, CrewCalendar]
) -> None:
    """Independent check: work inside shifts, right amount of work, crew never exceeded."""
    for j in jobs:
        segs = sched.segments_h[j.job_id]
        assert_allclose(sum(b - a for a, b in segs), j.duration_h, atol=1e-9)
        assert_allclose(segs[0][0], sched.start_h[j.job_id])
        assert_allclose(segs[-1][1], sched.finish_h[j.job_id])
        shifts = crews[j.skill].shifts_h
        if shifts is not None:
            for a, b in segs:
                assert any(s <= a and b <= e for s, e in shifts), (j.job_id, a, b)
    # crew load at every segment start (load is piecewise constant between those)
    for skill, crew in crews.items():
        mine = [j for j in jobs if j.skill == skill]
        events = {a for j in mine for a, _ in sched.segments_h[j.job_id]}
        for t in events:
            used = sum(
                j.crew_qty for j in mine if any(a <= t < b for a, b in sched.segments_h[j.job_id])
            )
            assert used <= crew.headcount, (skill, t, used)


def test_three_jobs_two_technicians() -> None:
    # Three 4 h jobs, 2 technicians: two in parallel (0-4), the third after (4-8) -> 8 h.
    jobs = [ShutdownJob(f"J{i}", 4.0, "mech") for i in range(3)]
    crews = {"mech": CrewCalendar(headcount=2)}
    s = schedule_shutdown(jobs, crews)
    assert s.status is Status.OPTIMAL
    assert_allclose(s.makespan_h, 8.0)
    assert_allclose(s.lower_bound_h, 8.0)
    check_feasible(s, jobs, crews)


def test_mixed_demands() -> None:
    # Capacity 3: two jobs needing 2 technicians for 3 h cannot overlap (4 > 3): 6 h;
    # the 1-technician 6 h job runs beside them.  Makespan 6 h.
    jobs = [
        ShutdownJob("A", 3.0, "mech", 2),
        ShutdownJob("B", 3.0, "mech", 2),
        ShutdownJob("C", 6.0, "mech", 1),
    ]
    crews = {"mech": CrewCalendar(3)}
    s = schedule_shutdown(jobs, crews)
    assert_allclose(s.makespan_h, 6.0)
    check_feasible(s, jobs, crews)


def test_job_pauses_over_shift_break() -> None:
    # One technician working 0-8 and 16-24: a 10 h job works 0-8, pauses, and
    # finishes at 16 + 2 = 18.
    jobs = [ShutdownJob("overhaul", 10.0, "mech")]
    crews = {"mech": CrewCalendar(1, ((0.0, 8.0), (16.0, 24.0)))}
    s = schedule_shutdown(jobs, crews)
    assert_allclose(s.makespan_h, 18.0)
    assert s.segments_h["overhaul"] == ((0.0, 8.0), (16.0, 18.0))
    check_feasible(s, jobs, crews)


def test_two_jobs_one_technician_day_shifts() -> None:
    # Day shifts 0-8 and 24-32, one technician, two 6 h jobs: 12 working hours =
    # the full first shift (8 h) + 4 h of the second -> finish at 24 + 4 = 28 h.
    jobs = [ShutdownJob("A", 6.0, "elec"), ShutdownJob("B", 6.0, "elec")]
    crews = {"elec": CrewCalendar(1, [(24.0, 32.0), (0.0, 8.0)])}  # unsorted on purpose
    s = schedule_shutdown(jobs, crews)
    assert_allclose(s.makespan_h, 28.0)
    check_feasible(s, jobs, crews)


def test_late_shift_start() -> None:
    # The crew only arrives at hour 6 (shift 6-14): a 3 h job finishes at 9.
    jobs = [ShutdownJob("A", 3.0, "mech")]
    crews = {"mech": CrewCalendar(1, ((6.0, 14.0),))}
    s = schedule_shutdown(jobs, crews)
    assert_allclose(s.start_h["A"], 6.0)
    assert_allclose(s.makespan_h, 9.0)


def test_skills_in_parallel() -> None:
    # Skills do not share technicians: mech needs 2 x 5 h on one technician = 10 h;
    # elec one 7 h job -> makespan max(10, 7) = 10.
    jobs = [
        ShutdownJob("M1", 5.0, "mech"),
        ShutdownJob("M2", 5.0, "mech"),
        ShutdownJob("E1", 7.0, "elec"),
    ]
    crews = {"mech": CrewCalendar(1), "elec": CrewCalendar(4)}
    s = schedule_shutdown(jobs, crews)
    assert_allclose(s.makespan_h, 10.0)
    assert_allclose(s.finish_h["E1"] - s.start_h["E1"], 7.0)
    check_feasible(s, jobs, crews)


def brute_makespan(durations: list[int], machines: int) -> int:
    """Optimal P||Cmax by enumerating every assignment of jobs to identical machines."""
    best = sum(durations)
    for assign in itertools.product(range(machines), repeat=len(durations)):
        loads = np.bincount(assign, weights=durations, minlength=machines)
        best = min(best, int(loads.max()))
    return best


@settings(max_examples=15, deadline=None)
@given(
    durations=st.lists(st.integers(1, 9), min_size=1, max_size=6),
    machines=st.integers(1, 3),
)
def test_unit_demand_matches_brute_force(durations: list[int], machines: int) -> None:
    # Jobs needing one technician each on a crew of c: the minimum makespan is that of
    # scheduling on c identical machines.
    jobs = [ShutdownJob(f"J{i}", float(d), "mech") for i, d in enumerate(durations)]
    crews = {"mech": CrewCalendar(machines)}
    s = schedule_shutdown(jobs, crews)
    assert s.status is Status.OPTIMAL
    assert_allclose(s.makespan_h, brute_makespan(durations, machines))
    check_feasible(s, jobs, crews)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_schedules_respect_crews_and_shifts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shifts = ((0.0, 8.0), (12.0, 20.0), (24.0, 32.0), (36.0, 44.0), (48.0, 56.0))
    crews = {"mech": CrewCalendar(3, shifts), "elec": CrewCalendar(2, shifts[::2])}
    jobs = [
        ShutdownJob(
            f"J{i}",
            float(rng.choice([1.0, 2.5, 4.0, 9.0])),
            str(rng.choice(["mech", "elec"])),
            int(rng.integers(1, 3)),
        )
        for i in range(int(rng.integers(1, 7)))
    ]
    s = schedule_shutdown(jobs, crews, time_limit_s=5)
    if s.status is Status.INFEASIBLE:
        assert s.diagnosis
        return
    check_feasible(s, jobs, crews)
    assert s.lower_bound_h <= s.makespan_h + 1e-9


def test_diagnosis_too_many_technicians() -> None:
    jobs = [ShutdownJob("rotor", 6.0, "mech", crew_qty=3)]
    s = schedule_shutdown(jobs, {"mech": CrewCalendar(2)})
    assert s.status is Status.INFEASIBLE
    assert s.diagnosis == ("job rotor needs 3 mech technicians at once, the crew has 2",)
    assert s.makespan_h == float("inf")


def test_diagnosis_missing_skill_and_short_shifts() -> None:
    s = schedule_shutdown([ShutdownJob("x", 1.0, "welding")], {"mech": CrewCalendar(2)})
    assert s.status is Status.INFEASIBLE
    assert "skill welding" in s.diagnosis[0]
    # 2 technicians x 8 h = 16 technician-hours of shifts; 3 x 6 h jobs need 18
    jobs = [ShutdownJob(f"J{i}", 6.0, "mech") for i in range(3)]
    s = schedule_shutdown(jobs, {"mech": CrewCalendar(2, ((0.0, 8.0),))})
    assert s.status is Status.INFEASIBLE
    assert "skill mech needs 18.0 technician-hours, its shifts offer 16.0 h" in s.diagnosis[0]


def test_empty_and_bad_input() -> None:
    s = schedule_shutdown([], {"mech": CrewCalendar(1)})
    assert s.status is Status.OPTIMAL and s.makespan_h == 0.0
    with pytest.raises(ValueError, match="overlap"):
        CrewCalendar(1, ((0.0, 8.0), (4.0, 10.0)))
    with pytest.raises(ValueError, match="headcount"):
        CrewCalendar(-1)
    with pytest.raises(ValueError, match="unique"):
        schedule_shutdown([ShutdownJob("a", 1, "m"), ShutdownJob("a", 1, "m")], {})
    with pytest.raises(ValueError, match="duration_h"):
        schedule_shutdown([ShutdownJob("a", -1, "m")], {})
    with pytest.raises(ValueError, match="crew_qty"):
        schedule_shutdown([ShutdownJob("a", 1, "m", 0)], {})


def test_fewer_technicians_on_some_shifts() -> None:
    # Early shift 2 mechanics, late shift 1 (the shifts touch, so a job works through
    # both), next day's early shift 2 again. A 2-technician job fits only inside one
    # early shift; the 1-technician jobs fill the late shift.
    crews = {"m": CrewCalendar(2, [(0.0, 8.0), (8.0, 16.0), (24.0, 32.0)], heads=[2, 1, 2])}
    jobs = [ShutdownJob("big", 8.0, "m", 2), ShutdownJob("a", 6.0, "m"), ShutdownJob("b", 2.0, "m")]
    s = schedule_shutdown(jobs, crews)
    assert s.status is Status.OPTIMAL
    assert s.start_h["big"] == 0.0 and s.finish_h["big"] == 8.0
    # a and b one after another on the late shift's one mechanic: 8 + 6 + 2
    assert s.makespan_h == 16.0
    assert sorted((s.start_h[j], s.finish_h[j]) for j in "ab") in (
        [(8.0, 10.0), (10.0, 16.0)],
        [(8.0, 14.0), (14.0, 16.0)],
    )
    # a 2-technician job longer than an early shift cannot pass through the late shift
    long = [ShutdownJob("long", 10.0, "m", 2)]
    assert schedule_shutdown(long, crews).status is Status.INFEASIBLE


def test_heads_must_match_the_shifts() -> None:
    with pytest.raises(ValueError, match="heads"):
        CrewCalendar(2, [(0.0, 8.0)], heads=[3])
    with pytest.raises(ValueError, match="heads"):
        CrewCalendar(2, [(0.0, 8.0), (8.0, 9.0)], heads=[1])
    # stored sorted together with the shifts
    assert CrewCalendar(2, [(8.0, 9.0), (0.0, 8.0)], heads=[1, 2]).heads == (2, 1)
