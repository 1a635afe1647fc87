"""The report options of `opportune plan` / `opportune compare`: they parse, and the
commands run the core (plan, twin study) and hand the results to the report writers."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from optimizer import cli
from optimizer.cli import ReportOpt, TwinStudyOpt, XlsxOpt
from optimizer.loading import load_scenario
from optimizer.planning.pipeline import plan_scenario
from optimizer.report.outputs import write_plan_outputs

ROOT = Path(__file__).resolve().parents[2]
CONVEYOR = ROOT / "scenarios" / "conveyor.yaml"


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
    args = ["plan", str(CONVEYOR), "--report", str(tmp_path / "p.html")]
    res = runner.invoke(_mini_app(), [*args, "--xlsx", str(tmp_path / "p.xlsx"), "--no-twin-study"])
    assert res.exit_code == 0, res.output
    assert f"written {tmp_path / 'p.html'}" in res.output
    assert "twin=False n=2" in res.output
    assert "Work orders" in pd.read_excel(tmp_path / "p.xlsx", sheet_name=None)
    res = runner.invoke(_mini_app(), ["plan", str(CONVEYOR)])
    assert res.exit_code == 0 and "twin=True n=0" in res.output


def test_report_option_rejects_a_folder(tmp_path: Path) -> None:
    res = CliRunner().invoke(_mini_app(), ["plan", str(CONVEYOR), "--report", str(tmp_path)])
    assert res.exit_code == 2


def test_opportune_plan_report(tmp_path: Path) -> None:
    """End to end through ``opportune plan --report``."""
    out = tmp_path / "plan.html"
    res = CliRunner().invoke(
        cli.app, ["plan", str(CONVEYOR), "--report", str(out), "--xlsx", str(tmp_path / "p.xlsx")]
    )
    assert res.exit_code == 0, res.output
    assert out.exists() and (tmp_path / "p.xlsx").exists()


@pytest.mark.parametrize("study", [True, False])
def test_opportune_compare_report(tmp_path: Path, study: bool) -> None:
    """``opportune compare --report``: the twin study's three extra simulations (the
    scenario's own accuracy is reused), then the plan, then the files."""
    xlsx = tmp_path / "r.xlsx"
    res = CliRunner().invoke(
        cli.app,
        [
            "compare",
            str(CONVEYOR),
            "--strategies",
            "run-to-failure,prescriptive",
            "--replications",
            "2",
            "--years",
            "0.25",
            "--workers",
            "1",
            "--json",
            "--xlsx",
            str(xlsx),
            "--twin-study" if study else "--no-twin-study",
        ],
    )
    assert res.exit_code == 0, res.output
    current = load_scenario(CONVEYOR).simulation.twin_accuracy
    simulated = re.findall(r"simulating prescriptive with a '(\w+)' twin", res.output)
    if study:
        assert simulated == [a for a in ("none", "poor", "good", "perfect") if a != current]
    else:
        assert simulated == []
    assert "planning and writing the report" in res.output
    assert f"written {xlsx}" in res.output
    book = pd.read_excel(xlsx, sheet_name=None)
    assert ("Twin value" in book) is study
    assert len(book["Work orders"]) == len(plan_scenario(load_scenario(CONVEYOR)).orders)
