"""Planning-problem construction: calendars, windows, crews, limits, pins, pruning."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import yaml
from numpy.testing import assert_allclose

from optimizer.loading import parse_scenario
from optimizer.problem.build import build_problem, period_edges
from optimizer.scenario import Scenario
from optimizer.solvers import solve


@pytest.fixture()
def doc(conveyor_text: str) -> dict[str, Any]:
    return dict(yaml.safe_load(conveyor_text))


def _scn(doc: dict[str, Any]) -> Scenario:
    return parse_scenario(copy.deepcopy(doc))


def test_period_grid(conveyor: Scenario) -> None:
    edges = period_edges(conveyor)
    assert len(edges) == 181
    assert edges[0] == datetime(2027, 1, 4, 6, tzinfo=timezone(timedelta(hours=1)))
    # Daily periods are days of Europe/Berlin: 06:00 local on every day, so the horizon
    # (to 2027-07-03 06:00 CEST) is one hour short of 180 x 24 h (clocks went forward on
    # 2027-03-28 at 02:00, inside the period from 03-27 06:00, which lasts 23 h).
    assert edges[-1] - edges[0] == timedelta(days=180, hours=-1)
    berlin = ZoneInfo("Europe/Berlin")
    assert {e.astimezone(berlin).time() for e in edges} == {time(6, 0)}
    j = next(j for j, e in enumerate(edges) if e.astimezone(berlin).date() == date(2027, 3, 27))
    assert [edges[j + d + 1] - edges[j + d] for d in (-1, 0, 1)] == [
        timedelta(hours=24),
        timedelta(hours=23),
        timedelta(hours=24),
    ]
    assert str(edges[j + 1].astimezone(berlin)) == "2027-03-28 06:00:00+02:00"


def test_opening_cost_uses_value_profile_and_windows(conveyor: Scenario) -> None:
    b = build_problem(conveyor)
    pb = b.problem
    k = pb.system_ids.index("C1")
    durations = sorted(b.fleet.pm_duration_h[b.problem.system_of == k], reverse=True)
    assert durations[:2] == [8.0, 6.0]  # the belt, then the gearbox
    # The opening is priced with the second-longest job (6 h); the belt's 2 extra hours
    # of stop are its own (issue 13, cause 3: a stop lasts the longest job IN it).
    belt = b.fleet.components.index(next(c for c in b.fleet.components if c.id == "C1-BELT"))
    edges = period_edges(conveyor)
    mult = {0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 0.2, 6: 0}
    for t in range(14):
        # A period runs 06:00 -> 06:00: 18 h of its own day, 6 h of the next.
        m = (18 * mult[edges[t].weekday()] + 6 * mult[(edges[t].weekday() + 1) % 7]) / 24
        assert_allclose(pb.opening_cost[k, t], 900 + 1200 * m * (1.5 + 6.0))
        if pb.allowed[belt, t]:
            extra = pb.penalty[belt, t] - b.curves.penalty[belt, t]
            assert_allclose(extra, 1200 * m * (8.0 - 6.0), atol=1e-6)
    # Easter window 2027-04-02..04-06: set-up x0.3, no production lost.
    inside = [
        t
        for t in range(pb.n_periods)
        if datetime(2027, 4, 2, tzinfo=UTC) <= edges[t] < datetime(2027, 4, 5, tzinfo=UTC)
    ]
    assert inside
    for t in inside:
        assert_allclose(pb.opening_cost[k, t], 900 * 0.3)


def test_redundant_pair_is_its_own_unit(conveyor: Scenario) -> None:
    pb = build_problem(conveyor).problem
    assert "C1/C1-TNS" in pb.system_ids
    k = pb.system_ids.index("C1/C1-TNS")
    assert_allclose(pb.opening_cost[k, :5], 900.0)


def _uncapacitated(doc: dict[str, Any]) -> Scenario:
    for crew in doc["crews"]:
        crew["headcount"] = 50
        crew["days_off"] = []
        crew["shifts"] = [{"start": "00:00", "end": "23:59"}]
    return _scn(doc)


def test_every_period_a_plan_may_use_is_kept(doc: dict[str, Any]) -> None:
    # the built problem is the full problem: no period is dropped for being dear
    # (exact reductions are the solvers' presolve, tests/optimizer/solvers/test_presolve.py)
    scn = _uncapacitated(doc)
    pb = build_problem(scn, parts=False).problem
    assert np.array_equal(pb.allowed, np.isfinite(pb.penalty) & pb.allowed)
    dear = pb.penalty > np.nanmin(np.where(pb.allowed, pb.penalty, np.nan), axis=1)[:, None] + 1e4
    assert (pb.allowed & dear).any()  # dear periods are still allowed


def test_life_limit_forces_replacement_in_time(doc: dict[str, Any]) -> None:
    # Motor at 38,000 h with a 39,000 h hard limit; 16 h/day -> limit after 62.5 days.
    doc["fleet"]["sites"][0]["systems"][0]["components"][0]["max_age_h"] = 39000
    scn = _scn(doc)
    b = build_problem(scn)
    i = b.problem.component_ids.index("C1-MOT")
    assert np.isinf(b.problem.penalty_beyond[i])
    assert not b.problem.allowed[i, 63:].any()
    plan = solve(b.problem, method="milp")
    assert 0 <= plan.period[i] <= 62


def test_risk_cap_limits_periods(doc: dict[str, Any]) -> None:
    doc["fleet"]["sites"][0]["systems"][0]["components"][1]["max_p_fail"] = 0.05
    scn = _scn(doc)
    b = build_problem(scn)
    i = b.problem.component_ids.index("C1-GBX")
    t_op = np.arange(b.problem.n_periods) * 16.0
    p = b.fleet.residual[i].cdf(t_op)
    assert not (b.problem.allowed[i] & (p > 0.05)).any()
    plan = solve(b.problem, method="milp")
    t = plan.period[i]
    assert t >= 0 and p[t] <= 0.05


def test_released_work_order_is_pinned(doc: dict[str, Any]) -> None:
    doc["plan"]["open_work_orders"] = [
        {
            "id": "WO-1",
            "component": "C1-BRG-TAIL",
            "status": "released",
            "scheduled_start": "2027-01-20T08:00:00+01:00",
        }
    ]
    b = build_problem(_scn(doc))
    i = b.problem.component_ids.index("C1-BRG-TAIL")
    assert b.problem.pinned_period[i] == 16
    plan = solve(b.problem)
    assert plan.period[i] == 16


def test_frozen_horizon_blocks_early_periods(doc: dict[str, Any]) -> None:
    doc["plan"]["frozen_until"] = "2027-01-15T00:00:00+01:00"
    b = build_problem(_scn(doc))
    assert not b.problem.allowed[:, :11].any()
    plan = solve(b.problem)
    assert (plan.period[plan.period >= 0] >= 11).all()
