"""The CLI glue: the typer options parse, and the writers do what the commands ask."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from typer.testing import CliRunner

from optimizer.loading import load_scenario
from optimizer.planning.pipeline import PlanResult, plan_scenario
from optimizer.report.cli import (
    ReportOpt,
    TwinStudyOpt,
    XlsxOpt,
    write_compare_outputs,
    write_plan_outputs,
)
from optimizer.scenario import Scenario
from optimizer.sim.simulate import Comparison

ROOT = Path(__file__).resolve().parents[3]


def _mini_app() -> typer.Typer:
    """A command shaped like ``opportune plan`` with the report options."""
    app = typer.Typer()

    @app.command()
    def plan(
        file: Path, report: ReportOpt = None, xlsx: XlsxOpt = None, twin: TwinStudyOpt = True
    ) -> None:
        result = plan_scenario(load_scenario(file))
        written = write_plan_outputs(
            result, report=report, xlsx=xlsx, scenario_file=file, echo=typer.echo
        )
        typer.echo(f"twin={twin} n={len(written)}")

    @app.command()
    def other() -> None:  # a second command so typer keeps sub-command names
        pass

    return app


def test_options_parse_and_write(tmp_path: Path) -> None:
    runner = CliRunner()
    scn = ROOT / "scenarios" / "conveyor.yaml"
    res = runner.invoke(
        _mini_app(),
        [
            "plan",
            str(scn),
            "--report",
            str(tmp_path / "p.html"),
            "--xlsx",
            str(tmp_path / "p.xlsx"),
            "--no-twin-study",
        ],
    )
    assert res.exit_code == 0, res.output
    assert f"written {tmp_path / 'p.html'}" in res.output
    assert "twin=False n=2" in res.output
    assert (tmp_path / "p.html").stat().st_size > 1_000_000
    assert "Work orders" in pd.read_excel(tmp_path / "p.xlsx", sheet_name=None)
    res = runner.invoke(_mini_app(), ["plan", str(scn)])
    assert res.exit_code == 0 and "n=0" in res.output


def test_report_option_rejects_a_folder(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        _mini_app(), ["plan", str(ROOT / "scenarios" / "conveyor.yaml"), "--report", str(tmp_path)]
    )
    assert res.exit_code == 2


def test_write_compare_outputs(
    conveyor_scn: Scenario, conveyor_cmp: Comparison, tmp_path: Path
) -> None:
    lines: list[str] = []
    written = write_compare_outputs(
        conveyor_scn,
        conveyor_cmp,
        report=tmp_path / "r.html",
        twin_study=False,
        workers=1,
        echo=lines.append,
    )
    assert [p.name for p in written] == ["r.html", "comparison.csv"]
    assert lines[-1] == f"written {tmp_path / 'comparison.csv'}"
    assert "Not computed" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert write_compare_outputs(conveyor_scn, conveyor_cmp) == []


def test_write_plan_outputs_nothing_asked(conveyor_plan: PlanResult) -> None:
    assert write_plan_outputs(conveyor_plan) == []


def test_opportune_plan_report(tmp_path: Path) -> None:
    """End to end through ``opportune plan --report``."""
    from optimizer import cli

    out = tmp_path / "plan.html"
    res = CliRunner().invoke(
        cli.app,
        [
            "plan",
            str(ROOT / "scenarios" / "conveyor.yaml"),
            "--report",
            str(out),
            "--xlsx",
            str(tmp_path / "plan.xlsx"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert out.exists() and (tmp_path / "plan.xlsx").exists()
