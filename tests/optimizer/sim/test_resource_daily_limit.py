"""Daily start limit of a campaign resource (``resources[].max_jobs_per_day``, issue 17).

Hand-derived timelines (five requests open at once, five slots, two starts a day) in UTC
and in a shifted time zone, with calm-weather waits after the start (scanned from the
weather series), determinism, a property test (hypothesis: on a random small fleet no
local calendar day has more grants than the limit, days computed here from the event
log with :mod:`zoneinfo`), and validation (the field's path, ``validate`` exits 2).
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import START, component, fixed, run_to_failure, scenario, system

from optimizer.calendar import local_midnights_h
from optimizer.cli import main
from optimizer.loading import ScenarioError, load_text
from optimizer.scenario import Scenario
from optimizer.sim.engine import run_replication, weather_series
from optimizer.sim.model import compile_model
from optimizer.sim.simulate import SimulationResult
from optimizer.sim.strategies import make_policy
from optimizer.sim.twin import Twin

ROOT = Path(__file__).resolve().parents[3]
H_PER_YEAR = 8760.0
JOB_H = 5.0


def _five(per_day: int | None, tz: str | None = None, calm: bool = False) -> Scenario:
    """Five one-component systems failing together at 100 h (fixed life), each
    corrective job (5 h) needing vessel ``V`` (no mobilisation delay, five slots)."""
    cm: dict[str, Any] = {"duration_h": JOB_H, "cost_other": 1.0, "resource": "V"}
    if calm:
        cm["needs_calm"] = True
    systems = [
        system(f"S{j}", [component(f"C{j}", life=fixed(100.0), corrective=cm)]) for j in range(5)
    ]
    vessel: dict[str, Any] = {"id": "V", "kind": "vessel", "capacity": 5, "cost_per_day": 240.0}
    if per_day is not None:
        vessel["max_jobs_per_day"] = per_day
    data = scenario(systems, resources=[vessel]).model_dump(mode="json")
    if tz is not None:
        data["calendar"]["timezone"] = tz
    if calm:
        data["fleet"]["sites"][0]["weather"] = {"mean_calm_h": [10.0], "mean_rough_h": [40.0]}
    return Scenario.model_validate(data)


def _grants(res: SimulationResult) -> np.ndarray:
    ev = res.events
    g = ev[ev.event == "resource_granted"].sort_values(["time_h", "component"])
    return g.time_h.to_numpy()


@pytest.mark.parametrize(
    ("per_day", "tz", "grants"),
    [
        # 100 h = day 4, 04:00 UTC: two start then, two at the next midnights (120 h),
        # the last at 144 h -- days 0, 0, 1, 1, 2 counted from the failures' day
        (2, None, [100.0, 100.0, 120.0, 120.0, 144.0]),
        # Tokyo (UTC+9, no daylight saving): local midnights at 15 h + 24 h n -> 111, 135
        (2, "Asia/Tokyo", [100.0, 100.0, 111.0, 111.0, 135.0]),
        (3, None, [100.0, 100.0, 100.0, 120.0, 120.0]),
        (None, None, [100.0] * 5),  # no limit: all five slots at once
    ],
)
def test_five_open_requests_start_per_day(
    per_day: int | None, tz: str | None, grants: list[float]
) -> None:
    res = run_to_failure(_five(per_day, tz), years=170.0 / H_PER_YEAR)
    assert_allclose(_grants(res), grants)
    ev = res.events
    done = np.sort(ev[ev.event == "repaired"].time_h.to_numpy())
    assert_allclose(done, np.array(grants) + JOB_H)
    waits = np.array(grants) - 100.0
    assert_allclose(res["resource_wait_h"].mean, waits.sum())
    assert_allclose(res["downtime_unplanned_h"].mean, (waits + JOB_H).sum())
    # the charter stays on site (paid) while the queue waits for the next day
    (on_site,) = ev[ev.event == "demobilise"].value.to_numpy()
    assert_allclose(on_site, max(grants) + JOB_H - 100.0)
    assert_allclose(res["resource_mobilisations"].mean, 1.0)
    assert_allclose(res["cost_resources"].mean, 240.0 * on_site / 24.0)


def test_daily_limit_then_calm_weather_wait() -> None:
    """With calm-weather work the grants keep the daily timeline (100, 100, 120, 120,
    144 h: five slots, so a weather wait never holds back a grant) and each job then
    starts at the first instant ``>= its grant`` from which the site's series stays calm
    5 h (scanned here from ``weather_series``); repaired = that instant + 5 h."""
    scn = _five(2, calm=True)
    years = 900.0 / H_PER_YEAR
    model = compile_model(scn, years=years)
    policy = make_policy("run-to-failure")
    twin = Twin("none")
    policy.prepare(model, twin)
    grants = [100.0, 100.0, 120.0, 120.0, 144.0]
    moved = 0
    for rep in range(4):
        _, ev = run_replication(model, policy, twin, 3, rep, keep_events=True)
        spells = weather_series(model, 3, rep, 0).tolist()
        got = sorted(e[1] for e in ev if e[2] == "resource_granted")[:5]
        assert_allclose(got, grants)
        want = sorted(
            next(max(b, g) for b, e in spells if e - max(b, g) >= JOB_H - 1e-9) + JOB_H
            for g in grants
        )
        done = sorted(e[1] for e in ev if e[2] == "repaired")[:5]
        assert_allclose(done, want, atol=1e-9)
        moved += sum(w > g + JOB_H + 1e-6 for w, g in zip(want, grants, strict=True))
    assert moved > 0  # some job did wait for calm weather after its grant


def test_preventive_opening_stops_once_its_daily_grants_are_in() -> None:
    """A campaign at 102 h (2027-01-08 06:00 UTC) opens three 6-h jobs on one system,
    each needing the vessel (three slots, one start a day): the opening's slots are
    granted at 102, 120 and 144 h (the next midnights); it stops the system only then
    (waiting for the slots is not planned downtime), all three jobs run 144-150 h."""
    pm = {"duration_h": 6.0, "cost_other": 100.0, "resource": "V"}
    comps = [component(c, life=fixed(1e6), preventive=pm) for c in ("A", "B", "C")]
    vessel = {"id": "V", "kind": "vessel", "capacity": 3, "max_jobs_per_day": 1}
    data = scenario([system("S", comps)], resources=[vessel]).model_dump(mode="json")
    data["campaigns"] = [
        {"id": "c", "components": ["A", "B", "C"], "dates": ["2027-01-08T06:00:00Z"]}
    ]
    res = run_to_failure(Scenario.model_validate(data), years=300.0 / H_PER_YEAR)
    assert_allclose(_grants(res), [102.0, 120.0, 144.0])
    ev = res.events
    assert_allclose(np.sort(ev[ev.event == "removal"].time_h.to_numpy()), [144.0] * 3)
    assert_allclose(res["downtime_planned_h"].mean, 6.0)
    assert_allclose(res["resource_wait_h"].mean, 0.0 + 18.0 + 42.0)


def test_deterministic_for_a_seed() -> None:
    life = {"distribution": "exponential", "mean_h": 60.0}
    cm = {"duration_h": 8.0, "cost_other": 1.0, "resource": "V"}
    systems = [system(f"S{j}", [component(f"C{j}", life=life, corrective=cm)]) for j in range(4)]
    vessel = {"id": "V", "kind": "vessel", "capacity": 3, "max_jobs_per_day": 1}
    scn = scenario(systems, resources=[vessel])
    a, b, c = (run_to_failure(scn, 0.05, reps=2, seed=s) for s in (5, 5, 6))
    assert a.events.equals(b.events)
    assert a["resource_wait_h"].mean == b["resource_wait_h"].mean
    assert a["resource_wait_h"].mean != c["resource_wait_h"].mean


def test_local_midnights_across_daylight_saving() -> None:
    """Berlin 2027: one 23-h day (28 March) and one 25-h day (31 October)."""
    origin = datetime.fromisoformat(START)
    h = local_midnights_h(origin, 365 * 24.0, ZoneInfo("Europe/Berlin"))
    assert_allclose(h[0], -1.0)  # 2027-01-04 00:00 CET = 2027-01-03 23:00 UTC
    lengths = Counter(np.round(np.diff(h), 9).tolist())
    assert lengths == {24.0: len(h) - 3, 23.0: 1, 25.0: 1}
    assert h[-1] >= 365 * 24.0 + 24.0


# --------------------------------------------------------------------------------------
# property: no local day has more grants than the limit
# --------------------------------------------------------------------------------------
@st.composite
def _fleets(draw: st.DrawFn) -> tuple[Scenario, int, str]:
    per_day = draw(st.integers(1, 3))
    tz = draw(st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York", "Europe/Berlin"]))
    systems = []
    for j in range(draw(st.integers(2, 6))):
        life = {"distribution": "exponential", "mean_h": draw(st.floats(20.0, 200.0))}
        cm = {"duration_h": draw(st.floats(0.5, 30.0)), "cost_other": 1.0, "resource": "V"}
        systems.append(system(f"S{j}", [component(f"C{j}", life=life, corrective=cm)]))
    vessel = {
        "id": "V",
        "kind": "vessel",
        "capacity": draw(st.integers(1, 4)),
        "max_jobs_per_day": per_day,
        "mobilisation_delay_h": draw(st.floats(0.0, 30.0)),
        "min_charter_days": draw(st.floats(0.0, 3.0)),
        "trigger": {"rule": "open_requests", "n": draw(st.integers(1, 2))},
    }
    data = scenario(systems, resources=[vessel]).model_dump(mode="json")
    data["calendar"]["timezone"] = tz
    return Scenario.model_validate(data), per_day, tz


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_fleets(), st.integers(0, 1000))
def test_no_local_day_has_more_grants_than_the_limit(
    fleet: tuple[Scenario, int, str], seed: int
) -> None:
    scn, per_day, tz = fleet
    res = run_to_failure(scn, years=30 * 24.0 / H_PER_YEAR, seed=seed)
    ev = res.events
    origin = datetime.fromisoformat(START)
    zone = ZoneInfo(tz)
    times = ev[ev.event == "resource_granted"].time_h.to_numpy()
    days = Counter((origin + timedelta(hours=float(t))).astimezone(zone).date() for t in times)
    assert max(days.values(), default=0) <= per_day


# --------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [0, -1, 2.5, "two"])
def test_bad_daily_limit_names_the_field(value: Any, tmp_path: Path) -> None:
    doc: dict[str, Any] = yaml.safe_load((ROOT / "scenarios/conveyor.yaml").read_text())
    doc["resources"] = [{"id": "V", "kind": "vessel", "max_jobs_per_day": value}]
    with pytest.raises(ScenarioError) as info:
        load_text(yaml.safe_dump(doc))
    assert "resources[0].max_jobs_per_day" in [p.path for p in info.value.problems]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(path)])
    assert exit_info.value.code == 2
