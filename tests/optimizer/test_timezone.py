"""Time zones: shifts are local wall-clock times across DST, timestamps carry their own offset."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.calendar import crew_hours, crew_intervals, plan_zone
from optimizer.loading import ScenarioError, parse_scenario
from optimizer.planning.pipeline import plan_scenario
from optimizer.problem.build import build_problem
from optimizer.scenario import Crew, Scenario

BERLIN = ZoneInfo("Europe/Berlin")
# 2027: clocks go forward on Sunday 28 March (02:00 CET -> 03:00 CEST) and back on
# Sunday 31 October (03:00 CEST -> 02:00 CET).


def crew(**kw: Any) -> Crew:
    spec: dict[str, Any] = {
        "id": "C",
        "skills": ["mech"],
        "headcount": 1,
        "rate_per_h": 50,
        "days_off": [],
    }
    spec.update(kw)
    return Crew.model_validate(spec)


def local_midnights(first: date, n: int, tz: ZoneInfo = BERLIN) -> list[datetime]:
    return [datetime.combine(first + timedelta(days=d), time(0), tzinfo=tz) for d in range(n + 1)]


# --------------------------------------------------------------------------------------
# hand-computed crew hours across the two changes
# --------------------------------------------------------------------------------------
def test_day_shift_is_local_time_across_spring_change() -> None:
    c = crew(shifts=[{"start": "06:00", "end": "14:00"}])
    edges = local_midnights(date(2027, 3, 26), 4)  # Fri 26 .. Mon 29 March
    # Every day 8 h; the day of the change itself is 23 h long.
    assert_allclose(crew_hours(c, edges, BERLIN), [8, 8, 8, 8])
    iv = crew_intervals(c, edges[0], edges[-1], BERLIN)
    # Hours from Fri 00:00 CET: Fri 6-14, Sat 30-38; Sunday 06:00 CEST is 04:00 UTC, i.e.
    # 53 real hours after Fri 00:00 CET (= Thu 23:00 UTC), Monday 77.
    assert_allclose(iv, [[6, 14], [30, 38], [53, 61], [77, 85]])
    # (adding hours to a zone-aware datetime adds wall-clock time: go through UTC)
    starts = [(edges[0].astimezone(UTC) + timedelta(hours=a)).astimezone(BERLIN) for a, _ in iv]
    assert [s.strftime("%H:%M%z") for s in starts] == [
        "06:00+0100",
        "06:00+0100",
        "06:00+0200",
        "06:00+0200",
    ]


def test_day_shift_is_local_time_across_autumn_change() -> None:
    c = crew(shifts=[{"start": "06:00", "end": "14:00"}])
    edges = local_midnights(date(2027, 10, 30), 2)  # Sat 30, Sun 31 October (25 h)
    iv = crew_intervals(c, edges[0], edges[-1], BERLIN)
    # Sat 00:00 CEST = Fri 22:00 UTC; Sunday 06:00 CET = 05:00 UTC = 31 h later.
    assert_allclose(iv, [[6, 14], [31, 39]])
    assert edges[-1].astimezone(UTC) - edges[0].astimezone(UTC) == timedelta(hours=49)
    assert_allclose(crew_hours(c, edges, BERLIN), [8, 8])


def test_night_shift_lasts_7_h_in_spring_and_9_h_in_autumn() -> None:
    c = crew(headcount=2, shifts=[{"start": "22:00", "end": "06:00"}])
    spring = crew_intervals(c, *local_midnights(date(2027, 3, 27), 1)[:2], BERLIN)
    # Sat 22:00 CET -> Sun 06:00 CEST: 7 real hours (cut at Sunday's midnight: 2 h + 5 h).
    origin = datetime(2027, 3, 27, 22, tzinfo=BERLIN)
    iv = crew_intervals(c, origin, origin + timedelta(hours=12), BERLIN)
    assert_allclose(iv[0], [0, 7])
    autumn = datetime(2027, 10, 30, 22, tzinfo=BERLIN)
    iv = crew_intervals(c, autumn, autumn + timedelta(hours=12), BERLIN)
    assert_allclose(iv[0], [0, 9])
    # Technician-hours of the night per local day: 2 x (2 h before midnight + the rest).
    assert_allclose(spring[-1], [22, 24])
    edges = local_midnights(date(2027, 3, 27), 2)
    assert_allclose(crew_hours(c, edges, BERLIN), [2 * (6 + 2), 2 * (5 + 2)])
    edges = local_midnights(date(2027, 10, 30), 2)
    assert_allclose(crew_hours(c, edges, BERLIN), [2 * (6 + 2), 2 * (7 + 2)])


def test_holiday_and_day_off_are_local_days() -> None:
    # Crew off on Sundays and on Easter Monday (29 March 2027 is a Monday).
    c = crew(shifts=[{"start": "00:30", "end": "08:30"}], days_off=["sun"], holidays=["2027-03-29"])
    edges = local_midnights(date(2027, 3, 27), 4)  # Sat .. Tue
    # Tuesday's 00:30 CEST is Monday 22:30 UTC: it still belongs to Tuesday.
    assert_allclose(crew_hours(c, edges, BERLIN), [8, 0, 0, 8])


# --------------------------------------------------------------------------------------
# the calendar field
# --------------------------------------------------------------------------------------
def _doc(conveyor_text: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(conveyor_text)
    return doc


def test_timezone_validation(conveyor_text: str) -> None:
    doc = _doc(conveyor_text)
    assert parse_scenario(copy.deepcopy(doc)).calendar.timezone == "Europe/Berlin"
    bad = copy.deepcopy(doc)
    bad["calendar"]["timezone"] = "Europe/Atlantis"
    with pytest.raises(ScenarioError) as err:
        parse_scenario(bad)
    (e,) = err.value.problems
    assert e.loc == ("calendar", "timezone") and "Europe/Atlantis" in e.message
    # An offset in the start without a zone would read the shifts in UTC: rejected.
    missing = copy.deepcopy(doc)
    del missing["calendar"]["timezone"]
    with pytest.raises(ScenarioError, match=r"calendar\.timezone is not set"):
        parse_scenario(missing)
    # A UTC start needs no zone: the default is UTC.
    utc = copy.deepcopy(missing)
    utc["calendar"]["start"] = "2027-01-04T05:00:00Z"
    assert parse_scenario(utc).calendar.timezone == "UTC"


def test_default_utc_keeps_the_utc_clock(conveyor_text: str) -> None:
    doc = _doc(conveyor_text)
    del doc["calendar"]["timezone"]
    doc["calendar"]["start"] = "2027-01-04T06:00:00"  # naive = UTC
    scn = parse_scenario(doc)
    assert plan_zone(scn.calendar) == ZoneInfo("UTC")
    pb = build_problem(scn, parts=False).problem
    mech = pb.skill_ids.index("mechanical@PLANT-A")
    # Daily periods of exactly 24 h from 06:00 UTC; MECH-DAY (2 x 06-14 UTC, Sundays off)
    # gives 16 h on every working day, the DST dates of Europe included.
    assert all(pb.period_start(t).hour == 6 for t in range(pb.n_periods))
    sundays = [t for t in range(pb.n_periods) if pb.period_start(t).weekday() == 6]
    assert_allclose(pb.crew_hours[mech, sundays], 0)
    others = [t for t in range(pb.n_periods) if t not in set(sundays)]
    assert_allclose(pb.crew_hours[mech, others], 16)


def test_fixed_offset_zone_keeps_the_old_fixed_offset_reading(conveyor_text: str) -> None:
    # Etc/GMT-1 is UTC+1 all year: the reading of shifts before time zones existed.
    doc = _doc(conveyor_text)
    doc["calendar"]["timezone"] = "Etc/GMT-1"
    scn = parse_scenario(doc)
    pb = build_problem(scn, parts=False).problem
    june = next(t for t in range(pb.n_periods) if pb.period_start(t).month == 6)
    assert pb.local_period_start(june).utcoffset() == timedelta(hours=1)
    assert pb.local_period_start(june).hour == 6


# --------------------------------------------------------------------------------------
# work orders carry the offset of their own date
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def summer_to_winter(conveyor_text: str) -> Scenario:
    """The conveyor from July 2027 to January 2028, two jobs pinned (Mondays)."""
    doc = _doc(conveyor_text)
    doc["calendar"]["start"] = "2027-07-05T06:00:00+02:00"
    doc["calendar"]["horizon_days"] = 210
    doc["plan"]["open_work_orders"] = [
        {"id": "WO-AUG", "component": "C1-TNS-A", "scheduled_start": "2027-08-02T06:00:00+02:00"},
        {"id": "WO-JAN", "component": "C1-TNS-B", "scheduled_start": "2028-01-10T06:00:00+01:00"},
    ]
    return parse_scenario(doc)


def test_work_orders_in_august_and_january(summer_to_winter: Scenario) -> None:
    result = plan_scenario(summer_to_winter)
    by_comp = {w.component_id: w for w in result.orders}
    aug, jan = by_comp["C1-TNS-A"], by_comp["C1-TNS-B"]
    assert aug.group_id.endswith("@2027-08-02") and jan.group_id.endswith("@2028-01-10")
    assert aug.id == "PM-C1-TNS-A-20270802" and jan.id == "PM-C1-TNS-B-20280110"
    first = {
        g: min(w.scheduled_start for w in result.orders if w.group_id == g)
        for g in (aug.group_id, jan.group_id)
    }
    # The shutdown starts with the 06:00 shift, local time, on each date.
    assert first[aug.group_id] == "2027-08-02T06:00+02:00"
    assert first[jan.group_id] == "2028-01-10T06:00+01:00"
    for w in result.orders:
        for stamp in (w.scheduled_start, w.scheduled_finish):
            t = datetime.fromisoformat(stamp)
            assert t.utcoffset() == t.astimezone(BERLIN).utcoffset(), stamp
    groups = {g.group_id: g.start for g in result.groups}
    assert groups[aug.group_id] == "2027-08-02T06:00+02:00"
    assert result.as_dict()["plan_start"] == "2027-07-05T06:00:00+02:00"


# --------------------------------------------------------------------------------------
# property: a shift starts at its stated wall-clock time in any zone, on any date
# --------------------------------------------------------------------------------------
ZONES = sorted(available_timezones())


def _exists(d: date, t: time, tz: ZoneInfo) -> bool:
    """The local time ``t`` on ``d`` exists in ``tz`` (not inside a spring gap)."""
    local = datetime.combine(d, t, tzinfo=tz)
    return local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None)


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)),
    start_min=st.integers(min_value=0, max_value=23 * 60),
    length_min=st.integers(min_value=15, max_value=16 * 60),
)
def test_shift_starts_at_its_wall_clock_time(
    zone: str, day: date, start_min: int, length_min: int
) -> None:
    tz = ZoneInfo(zone)
    begin = time(start_min // 60, start_min % 60)
    end_min = min(start_min + length_min, 24 * 60 - 1)
    end = time(end_min // 60, end_min % 60)
    first = day - timedelta(days=9)  # measured from 9 days earlier: across any clock change
    assume(all(_exists(d, t, tz) for d in (first, day) for t in (time(0), begin, end)))
    c = crew(shifts=[{"start": begin.strftime("%H:%M"), "end": end.strftime("%H:%M")}])
    origin = datetime.combine(first, time(0), tzinfo=tz)
    iv = crew_intervals(c, origin, datetime.combine(day + timedelta(days=1), time(0), tz), tz)
    assert len(iv) >= 1  # (9 + 1 days, fewer where a zone skipped a whole day)
    got = (origin.astimezone(UTC) + timedelta(hours=float(iv[-1, 0]))).astimezone(tz)
    assert got.date() == day and (got.hour, got.minute) == (begin.hour, begin.minute)
    # its length is the real time between the two wall-clock times of that date
    want_h = (
        datetime.combine(day, end, tzinfo=tz).astimezone(UTC)
        - datetime.combine(day, begin, tzinfo=tz).astimezone(UTC)
    ) / timedelta(hours=1)
    assert float(iv[-1, 1] - iv[-1, 0]) == pytest.approx(want_h, abs=1e-6)
