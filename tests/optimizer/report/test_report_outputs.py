"""The writers the CLI calls: they write what is asked, from the results they are given."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.planning.pipeline import PlanResult
from optimizer.report.outputs import write_compare_outputs, write_plan_outputs
from optimizer.scenario import Scenario
from optimizer.sim.simulate import Comparison
from optimizer.sim.twin_study import TwinStudy


def test_write_plan_outputs(conveyor_plan: PlanResult, tmp_path: Path) -> None:
    lines: list[str] = []
    written = write_plan_outputs(
        conveyor_plan,
        report=tmp_path / "p.html",
        xlsx=tmp_path / "p.xlsx",
        scenario_file="c.yaml",
        echo=lines.append,
    )
    assert written == [tmp_path / "p.html", tmp_path / "p.xlsx"]
    assert lines == [f"written {tmp_path / 'p.html'}", f"written {tmp_path / 'p.xlsx'}"]
    assert (tmp_path / "p.html").stat().st_size > 1_000_000
    book = pd.read_excel(tmp_path / "p.xlsx", sheet_name=None)
    assert len(book["Work orders"]) == len(conveyor_plan.orders)


def test_write_plan_outputs_nothing_asked(conveyor_plan: PlanResult) -> None:
    assert write_plan_outputs(conveyor_plan) == []


def test_write_compare_outputs(
    conveyor_scn: Scenario,
    conveyor_cmp: Comparison,
    conveyor_plan: PlanResult,
    conveyor_twin: TwinStudy,
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    written = write_compare_outputs(
        conveyor_scn,
        conveyor_cmp,
        plan=None,
        report=tmp_path / "r.html",
        echo=lines.append,
    )
    assert [p.name for p in written] == ["r.html", "comparison.csv"]
    assert lines[-1] == f"written {tmp_path / 'comparison.csv'}"
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Not computed" in html
    assert 'id="plan-' not in html  # no plan given: no plan sections
    written = write_compare_outputs(
        conveyor_scn,
        conveyor_cmp,
        plan=conveyor_plan,
        twin=conveyor_twin,
        xlsx=tmp_path / "r.xlsx",
    )
    assert written == [tmp_path / "r.xlsx"]
    book = pd.read_excel(tmp_path / "r.xlsx", sheet_name=None)
    assert list(book["Twin value"]["twin_accuracy"]) == ["none", "poor", "good", "perfect"]
    assert len(book["Work orders"]) == len(conveyor_plan.orders)
    assert write_compare_outputs(conveyor_scn, conveyor_cmp, plan=conveyor_plan) == []
