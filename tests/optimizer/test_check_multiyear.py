"""``opportune check`` on multi-year plans: the cost recomputed, every broken constraint caught.

The checker (:mod:`optimizer.check`) recomputes a multi-year plan's objective from the
scenario alone; it must agree with the planner to 1e-6 relative, term by term, on the
bundled multi-year scenarios, and name each constraint a hand edit breaks.  On the
published ORP the cost of *any* plan has a closed form (sum of the replacement costs +
20 per occasion), the independent reference of the edits.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from typer.testing import CliRunner

from optimizer.check import check_plan
from optimizer.cli import app
from optimizer.loading import load_scenario, parse_scenario
from optimizer.planning.pipeline import PlanResult, plan_scenario

ROOT = Path(__file__).resolve().parents[2]
MULTI = ROOT / "scenarios" / "multiyear.yaml"
ORP = ROOT / "scenarios" / "orp10.yaml"
ORP_COST = {f"P{i + 1}": c for i, c in enumerate([34, 25, 14, 21, 16, 3, 10, 5, 7, 10])}
ORP_LIFE_DAYS = dict(zip(ORP_COST, [42, 18, 90, 94, 49, 49, 34, 90, 37, 11], strict=True))


@pytest.fixture(scope="module")
def multi() -> PlanResult:
    return plan_scenario(load_scenario(MULTI), time_limit_s=20)


@pytest.fixture(scope="module")
def orp() -> PlanResult:
    return plan_scenario(load_scenario(ORP))


def _rows(result: PlanResult) -> list[dict[str, Any]]:
    return [w.as_dict() for w in result.orders]


def _kinds(res: Any) -> set[str]:
    return {v.kind for v in res.violations}


def _agree(result: PlanResult, scn_path: Path) -> None:
    res = check_plan(load_scenario(scn_path), _rows(result))
    assert res.feasible, res.violations
    split = result.plan.cost_split
    for term, value in split.items():
        assert_allclose(res.cost[term], value, rtol=1e-6, atol=1e-6 * abs(result.plan.objective))
    assert_allclose(res.cost["total"], result.plan.objective, rtol=1e-6)


def test_multiyear_plan_cost_agrees_with_the_planner(multi: PlanResult) -> None:
    assert multi.plan.feasible
    assert multi.plan.cost_split["ordering"] > 0  # stock and purchasing are in the objective
    _agree(multi, MULTI)


def test_orp_plan_agrees_and_costs_615(orp: PlanResult) -> None:
    assert_allclose(orp.plan.objective, 615.0, rtol=1e-9)
    _agree(orp, ORP)
    assert_allclose(check_plan(load_scenario(ORP), _rows(orp)).cost["total"], 615.0, rtol=1e-9)


def _orp_closed_form(rows: list[dict[str, Any]]) -> float:
    days = {r["scheduled_start"][:10] for r in rows}
    return float(sum(ORP_COST[r["component_id"]] for r in rows) + 20.0 * len(days))


def test_orp_hand_edits_are_priced_by_the_closed_form(orp: PlanResult) -> None:
    scn = load_scenario(ORP)
    rows = _rows(orp)
    assert_allclose(check_plan(scn, rows).cost["total"], _orp_closed_form(rows), rtol=1e-9)
    # a replacement moved a day earlier (where the next interval has a day to spare):
    # the occasions change, and the closed form follows
    start = datetime.fromisoformat(rows[0]["scheduled_start"]).date()
    edited: list[dict[str, Any]] = []
    for cid, life in ORP_LIFE_DAYS.items():
        days = sorted(
            (datetime.fromisoformat(r["scheduled_start"]).date() - start).days
            for r in rows
            if r["component_id"] == cid
        )
        nxt = [*days[1:], 101]
        for j in range(1, len(days)):
            if nxt[j] - days[j] + 1 <= life and days[j] - 1 > days[j - 1]:
                edited = [dict(r) for r in rows]
                k = next(
                    n
                    for n, r in enumerate(edited)
                    if r["component_id"] == cid
                    and (datetime.fromisoformat(r["scheduled_start"]).date() - start).days
                    == days[j]
                )
                moved = datetime.fromisoformat(edited[k]["scheduled_start"]) - timedelta(days=1)
                edited[k].update(
                    scheduled_start=moved.isoformat(),
                    scheduled_finish=moved.isoformat(),
                    group_id=f"hand-{moved:%Y%m%d}",
                )
                break
        if edited:
            break
    assert edited
    res = check_plan(scn, edited)
    assert_allclose(res.cost["total"], _orp_closed_form(edited), rtol=1e-9)
    assert res.feasible  # earlier is within the limit


def test_orp_dropped_replacement_breaks_the_life_limit(orp: PlanResult) -> None:
    scn = load_scenario(ORP)
    rows = _rows(orp)
    p10 = [r for r in rows if r["component_id"] == "P10"]
    assert len(p10) >= 8  # U = 11 days over 100
    # drop a middle replacement: the interval is then longer than 11 days
    res = check_plan(scn, [r for r in rows if r is not p10[3]])
    assert "life_limit" in _kinds(res)
    assert any(
        v.component == "P10" and "between the replacements" in v.message for v in res.violations
    )
    # drop the last one: the part left at the end is past its limit
    res = check_plan(scn, [r for r in rows if r is not p10[-1]])
    assert any(v.kind == "life_limit" and "horizon end" in v.message for v in res.violations)
    # drop them all: the installed part would pass its limit
    res = check_plan(scn, [r for r in rows if r["component_id"] != "P10"])
    assert any(v.kind == "life_limit" and "not replaced" in v.message for v in res.violations)
    assert "P10" in res.deferred


def test_twice_in_one_period_and_outside_the_horizon(orp: PlanResult) -> None:
    scn = load_scenario(ORP)
    rows = _rows(orp)
    twin = dict(rows[0])
    twin["scheduled_start"] = (
        datetime.fromisoformat(rows[0]["scheduled_start"]) + timedelta(hours=1)
    ).isoformat()
    twin["scheduled_finish"] = twin["scheduled_start"]
    twin["group_id"] = rows[0]["group_id"]
    assert "interval" in _kinds(check_plan(scn, [*rows, twin]))
    late = dict(rows[-1])
    late["scheduled_start"] = "2028-06-01T00:00:00+00:00"
    late["scheduled_finish"] = late["scheduled_start"]
    late["group_id"] = "late"
    assert "horizon" in _kinds(check_plan(scn, [*rows, late]))


def test_multiyear_crew_edit_is_caught(multi: PlanResult) -> None:
    scn = load_scenario(MULTI)
    rows = _rows(multi)
    # the jobs of the largest group all at the group's start: more technicians at once
    # than the 2 of the station, or more hours than its shift has
    by_group: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_group.setdefault(r["group_id"], []).append(r)
    gid = max(by_group, key=lambda g: len(by_group[g]))
    assert len(by_group[gid]) >= 3
    start = min(r["scheduled_start"] for r in by_group[gid])
    edited = []
    for r in rows:
        r = dict(r)
        if r["group_id"] == gid:
            r["scheduled_start"] = start
            r["scheduled_finish"] = (datetime.fromisoformat(start) + timedelta(hours=1)).isoformat()
        edited.append(r)
    kinds = _kinds(check_plan(scn, edited))
    assert kinds & {"crew_at_once", "shift_time"}


def test_multiyear_stock_edit_is_caught(multi: PlanResult) -> None:
    # the same plan against a warehouse without relief valves and a 400-day lead time
    doc = yaml.safe_load(MULTI.read_text())
    for part in doc["inventory"]["parts"]:
        if part["id"] == "PRV-2":
            part.update(on_hand=0, lead_time_days=400)
    res = check_plan(parse_scenario(doc), _rows(multi))
    bad = [v for v in res.violations if v.kind == "stock"]
    assert bad and "PRV-2" in bad[0].message


def test_multiyear_frozen_edit_is_caught(multi: PlanResult) -> None:
    doc = yaml.safe_load(MULTI.read_text())
    doc["plan"]["frozen_until"] = "2027-06-01T00:00:00+00:00"
    res = check_plan(parse_scenario(doc), _rows(multi))
    assert "frozen" in _kinds(res)


def test_cli_check_multiyear(tmp_path: Path, orp: PlanResult) -> None:
    runner = CliRunner()
    good = tmp_path / "work_orders.json"
    good.write_text(json.dumps(_rows(orp)))
    res = runner.invoke(app, ["check", str(ORP), "--plan", str(good), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["feasible"] and np.isclose(out["cost"]["total"], 615.0)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([r for r in _rows(orp) if r["component_id"] != "P2"]))
    res = runner.invoke(app, ["check", str(ORP), "--plan", str(bad)])
    assert res.exit_code == 4
    assert "life_limit" in res.output


TYPES = ("filter", "seal", "bearing", "relief_valve")


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    weeks=st.integers(6, 14),
    comps=st.lists(
        st.tuples(st.sampled_from(TYPES), st.integers(0, 8000), st.booleans()),
        min_size=2,
        max_size=4,
    ),
    end_state=st.sampled_from(["priced", "unpriced"]),
    reserve_days=st.sampled_from([0, 14]),
    headcount=st.integers(1, 2),
)
def test_checker_agrees_on_small_random_plans(
    weeks: int,
    comps: list[tuple[str, int, bool]],
    end_state: str,
    reserve_days: int,
    headcount: int,
) -> None:
    doc = yaml.safe_load(MULTI.read_text())
    doc["calendar"]["horizon_days"] = 7 * weeks
    systems = doc["fleet"]["sites"][0]["systems"]
    for s in systems:
        s["components"] = []
    for j, (kind, age, second) in enumerate(comps):
        limit = doc["component_types"][kind].get("max_age_h")
        age = min(age, int(limit) - 200) if limit else age
        systems[int(second)]["components"].append({"id": f"C{j}", "type": kind, "age_h": age})
    doc["fleet"]["sites"][0]["systems"] = [s for s in systems if s["components"]]
    doc["crews"][0]["headcount"] = headcount
    doc["plan"].update(end_state=end_state, end_reserve_days=reserve_days, gap=1e-6)
    scn = parse_scenario(doc)
    result = plan_scenario(scn, time_limit_s=10)
    if not result.plan.feasible:
        return  # e.g. a limit that the horizon end plus the reserve cannot meet
    res = check_plan(scn, _rows(result))
    assert res.feasible, res.violations
    assert_allclose(res.cost["total"], result.plan.objective, rtol=1e-6)


def test_multiyear_pinned_first_replacement_moved_is_caught() -> None:
    doc = yaml.safe_load(MULTI.read_text())
    doc["calendar"]["horizon_days"] = 364
    doc["plan"]["open_work_orders"] = [
        {
            "id": "WO-1",
            "component": "A-SEAL",
            "status": "released",
            "scheduled_start": "2027-03-08T07:00:00+00:00",
        }
    ]
    scn = parse_scenario(doc)
    result = plan_scenario(scn, time_limit_s=10)
    rows = _rows(result)
    seal = sorted(
        (r for r in rows if r["component_id"] == "A-SEAL"), key=lambda r: r["scheduled_start"]
    )
    assert seal[0]["scheduled_start"][:10] == "2027-03-08"  # the planner keeps the pin
    res = check_plan(scn, rows)
    assert res.feasible, res.violations
    assert_allclose(res.cost["total"], result.plan.objective, rtol=1e-6)
    moved = dict(seal[0])
    moved.update(
        scheduled_start="2027-03-22T07:00:00+00:00",
        scheduled_finish="2027-03-22T10:00:00+00:00",
        group_id="hand",
    )
    edited = [moved if r is seal[0] else r for r in rows]
    assert "pin" in _kinds(check_plan(scn, edited))


def test_orp_with_binding_crew_passes_the_checker() -> None:
    """8 h jobs, one technician (the opening knapsacks of the crew bound at work): the
    checker finds no violation (crews included), agrees with the planner to 1e-6, and the
    closed-form cost of the work orders is the plan's; bound in [615, plan]."""
    doc = yaml.safe_load(ORP.read_text())
    for ct in doc["component_types"].values():
        ct["preventive"]["duration_h"] = 8
    scn = parse_scenario(doc)
    r = plan_scenario(scn, time_limit_s=4.0)
    res = check_plan(scn, _rows(r))
    assert res.feasible, res.violations
    assert_allclose(res.cost["total"], r.plan.objective, rtol=1e-6)
    assert_allclose(_orp_closed_form(_rows(r)), r.plan.objective, rtol=1e-9)
    assert 615.0 - 1e-6 <= r.plan.lower_bound <= r.plan.objective + 1e-6
