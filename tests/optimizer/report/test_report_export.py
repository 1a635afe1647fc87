"""comparison.csv and the Excel workbook: read back and compared with the tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optimizer.planning.pipeline import PlanResult
from optimizer.report import data
from optimizer.report.comparison import compare_tables, write_compare_report
from optimizer.report.export import local_cells, sheet_name, write_csv, write_xlsx
from optimizer.report.plan_report import plan_tables
from optimizer.scenario import Scenario
from optimizer.sim.simulate import Comparison
from optimizer.sim.twin_study import TwinStudy


def test_compare_outputs_round_trip(
    conveyor_scn: Scenario,
    conveyor_cmp: Comparison,
    conveyor_twin: TwinStudy,
    conveyor_plan: PlanResult,
    tmp_path: Path,
) -> None:
    written = write_compare_report(
        conveyor_scn,
        conveyor_cmp,
        report=tmp_path / "out" / "report.html",
        xlsx=tmp_path / "out" / "report.xlsx",
        plan=conveyor_plan,
        twin=conveyor_twin,
    )
    assert [p.name for p in written] == ["report.html", "comparison.csv", "report.xlsx"]
    csv = pd.read_csv(tmp_path / "out" / "comparison.csv")
    t = conveyor_cmp.table()
    merged = csv.merge(t, on=["strategy", "kpi"], suffixes=("", "_sim"))
    assert len(merged) == len(t) == len(csv)
    assert_allclose(merged["mean"], merged["mean_sim"], rtol=1e-12)
    assert_allclose(merged["ci_low"], merged["ci_low_sim"], rtol=1e-12, equal_nan=True)

    tables = compare_tables(conveyor_scn, conveyor_cmp, plan=conveyor_plan, twin=conveyor_twin)
    book = pd.read_excel(tmp_path / "out" / "report.xlsx", sheet_name=None)
    assert list(book) == list(tables)
    summary = book["Summary"].set_index("strategy")
    want = data.strategy_summary(conveyor_cmp).set_index("strategy")
    assert_allclose(summary["cost_per_year"], want["cost_per_year"], rtol=1e-12)
    assert_allclose(summary["saving_per_year_ci_high"], want["saving_per_year_ci_high"], rtol=1e-12)
    twin = book["Twin value"]
    assert list(twin["twin_accuracy"]) == ["none", "poor", "good", "perfect"]
    assert len(book["Work orders"]) == len(conveyor_plan.orders)

    wb = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx")
    ws = wb["Summary"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b
    header = [c.value for c in ws[1]]
    col = header.index("cost_per_year") + 1
    assert ws.cell(row=2, column=col).number_format == "#,##0"
    col = header.index("availability") + 1
    assert ws.cell(row=2, column=col).number_format == "0.00%"


def test_only_csv(
    conveyor_scn: Scenario, conveyor_cmp: Comparison, conveyor_plan: PlanResult, tmp_path: Path
) -> None:
    written = write_compare_report(
        conveyor_scn, conveyor_cmp, csv=tmp_path / "c.csv", plan=conveyor_plan
    )
    assert written == [tmp_path / "c.csv"]
    with pytest.raises(ValueError, match="at least one"):
        write_compare_report(conveyor_scn, conveyor_cmp, plan=conveyor_plan)


def test_plan_workbook(plant_plan: PlanResult, tmp_path: Path) -> None:
    tables = plan_tables(plant_plan, scenario_file="plant.yaml")
    path = write_xlsx(tables, tmp_path / "plan.xlsx")
    book = pd.read_excel(path, sheet_name=None)
    assert list(book) == [
        "Work orders",
        "Next 30 days",
        "Shutdowns",
        "Deferred",
        "Purchase orders",
        "Cost",
        "Assumptions",
    ]
    po = book["Purchase orders"]
    assert len(po) == len(plant_plan.purchase_orders)
    assert_allclose(po["total"], [r["total"] for r in plant_plan.purchase_orders])
    cost = book["Cost"]
    for measure in ("objective", "budget"):
        rows = cost[cost["measure"] == measure].set_index("term")["cost"]
        assert_allclose(rows.drop("total").sum(), rows["total"], rtol=1e-9)
    obj = cost[cost["measure"] == "objective"].set_index("term")["cost"]
    assert_allclose(obj["total"], plant_plan.plan.objective, rtol=1e-12)
    wo = book["Work orders"]
    assert list(wo["id"]) == [w.id for w in plant_plan.orders]
    assert_allclose(wo["expected_cost"], [w.expected_cost for w in plant_plan.orders])
    assert_allclose(wo["p_fail_before_start"], [w.p_fail_before_start for w in plant_plan.orders])
    ws = openpyxl.load_workbook(path)["Work orders"]
    header = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=header.index("p_fail_before_start") + 1).number_format == "0.00%"


def test_plan_workbook_dates_are_date_cells(plant_plan: PlanResult, tmp_path: Path) -> None:
    tables = plan_tables(plant_plan)
    path = write_xlsx(tables, tmp_path / "plan.xlsx", timezone="Europe/Berlin")
    ws = openpyxl.load_workbook(path)["Work orders"]
    header = [c.value for c in ws[1]]
    assert "scheduled_start" not in header  # renamed: the header states the zone
    col = header.index("scheduled_start (Europe/Berlin)") + 1
    fin = header.index("scheduled_finish (Europe/Berlin)") + 1
    summer = 0
    for row, w in enumerate(plant_plan.orders, start=2):
        cell = ws.cell(row=row, column=col)
        # a real date cell holding the local wall-clock time (Excel has no time zones)
        assert isinstance(cell.value, datetime) and cell.value.tzinfo is None
        assert cell.number_format == "yyyy-mm-dd hh:mm"
        local = datetime.fromisoformat(w.scheduled_start)
        assert cell.value == local.replace(tzinfo=None)
        assert ws.cell(row=row, column=fin).value == datetime.fromisoformat(
            w.scheduled_finish
        ).replace(tzinfo=None)
        summer += local.utcoffset() == timedelta(hours=2)
    assert summer > 0  # some orders in summer time, written at their local hour
    shut = openpyxl.load_workbook(path)["Shutdowns"]
    head = [c.value for c in shut[1]]
    start = shut.cell(row=2, column=head.index("start (Europe/Berlin)") + 1)
    assert isinstance(start.value, datetime)
    # Text columns stay text, numbers stay numbers.
    assert isinstance(ws.cell(row=2, column=header.index("id") + 1).value, str)


def test_local_cells() -> None:
    s = pd.Series(["2027-08-02T06:00+02:00", "2027-01-11T06:00+01:00", None])
    got = local_cells(s)
    assert got is not None
    values, fmt = got
    assert list(values[:2]) == [datetime(2027, 8, 2, 6), datetime(2027, 1, 11, 6)]
    assert values[2] is None and fmt == "yyyy-mm-dd hh:mm"
    dates = local_cells(pd.Series(["2027-02-15", "2027-03-01"]))
    assert dates is not None and dates[1] == "yyyy-mm-dd"
    assert list(dates[0]) == [date(2027, 2, 15), date(2027, 3, 1)]
    aware = pd.Series([datetime(2027, 8, 2, 4, tzinfo=UTC)], dtype=object)
    conv = local_cells(aware, "Europe/Berlin")
    assert conv is not None and conv[0][0] == datetime(2027, 8, 2, 6)
    assert local_cells(pd.Series(["C1", "2027-01-01"])) is None
    assert local_cells(pd.Series([1.0, 2.0])) is None


def test_write_csv_full_precision(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1 / 3, np.pi], "b": ["x", "y"]})
    back = pd.read_csv(write_csv(df, tmp_path / "d" / "t.csv"))
    assert_allclose(back["a"], df["a"], rtol=0, atol=0)


def test_sheet_names() -> None:
    assert sheet_name("a/b:c") == "a b c"
    assert len(sheet_name("x" * 40)) == 31
    with pytest.raises(ValueError, match="empty"):
        sheet_name("[]")
    with pytest.raises(ValueError, match="collide"):
        write_xlsx({"a/b": pd.DataFrame(), "a:b": pd.DataFrame()}, "unused.xlsx")
    with pytest.raises(ValueError, match="at least one"):
        write_xlsx({}, "unused.xlsx")
