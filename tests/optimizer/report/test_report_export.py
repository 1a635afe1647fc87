"""comparison.csv and the Excel workbook: read back and compared with the tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optimizer.planning.pipeline import PlanResult
from optimizer.report import data
from optimizer.report.comparison import compare_tables, write_compare_report
from optimizer.report.export import sheet_name, write_csv, write_xlsx
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
    assert list(book) == ["Work orders", "Next 30 days", "Shutdowns", "Deferred", "Assumptions"]
    wo = book["Work orders"]
    assert list(wo["id"]) == [w.id for w in plant_plan.orders]
    assert_allclose(wo["expected_cost"], [w.expected_cost for w in plant_plan.orders])
    assert_allclose(wo["p_fail_before_start"], [w.p_fail_before_start for w in plant_plan.orders])
    ws = openpyxl.load_workbook(path)["Work orders"]
    header = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=header.index("p_fail_before_start") + 1).number_format == "0.00%"


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
