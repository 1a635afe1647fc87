"""A multi-year plan never shows more technicians at work than the station has.

Issue 14 saw the report of ``scenarios/multiyear.yaml`` show 5 technicians at work at a
station with 2.  Here the station has ONE technician on a 3-hour shift (15 technician-
hours a week, less than two shutdowns' work): the technicians at work are counted from
the work orders by an independent sweep over their start and finish instants, read from
the report's crew chart, and checked at the hour by ``opportune check``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from optimizer.check import check_plan
from optimizer.loading import parse_scenario
from optimizer.planning.pipeline import PlanResult, plan_scenario
from optimizer.report.charts import gantt_chart
from optimizer.scenario import Scenario

ROOT = Path(__file__).resolve().parents[3]
HEADCOUNT = 1


@pytest.fixture(scope="module")
def tight() -> tuple[Scenario, PlanResult]:
    doc = yaml.safe_load((ROOT / "scenarios" / "multiyear.yaml").read_text())
    doc["crews"][0]["headcount"] = HEADCOUNT
    doc["crews"][0]["shifts"] = [{"start": "07:00", "end": "10:00"}]
    scn = parse_scenario(doc)
    return scn, plan_scenario(scn, time_limit_s=10)


def test_work_orders_never_book_more_technicians_than_exist(
    tight: tuple[Scenario, PlanResult],
) -> None:
    _, result = tight
    assert result.plan.feasible
    events: list[tuple[datetime, int]] = []
    for w in result.orders:
        qty = sum(lab.qty for lab in w.labor)
        assert w.scheduled_finish is not None
        events += [
            (datetime.fromisoformat(w.scheduled_start), qty),
            (datetime.fromisoformat(w.scheduled_finish), -qty),
        ]
    events.sort(key=lambda e: (e[0], e[1]))  # a job ending frees its people first
    level = peak = 0
    for _, dq in events:
        level += dq
        peak = max(peak, level)
    assert peak == HEADCOUNT  # work is done, and never by more people than exist


def test_report_chart_shows_at_most_the_headcount(tight: tuple[Scenario, PlanResult]) -> None:
    _, result = tight
    fig = gantt_chart(result)
    crew = [tr for tr in fig.data if tr.legendgroup == "crew"]
    assert crew
    assert max(max(tr.y) for tr in crew) == HEADCOUNT


def test_checker_finds_no_crew_violation(tight: tuple[Scenario, PlanResult]) -> None:
    scn, result = tight
    res = check_plan(scn, [w.as_dict() for w in result.orders])
    assert not [v for v in res.violations if v.kind.startswith(("crew", "shift"))]
    assert res.feasible
