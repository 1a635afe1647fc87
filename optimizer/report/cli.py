"""Command-line glue for the reports: typer options and what the commands call.

Kept free of plotly imports (they happen only when a report is written), so the
``opportune`` command starts as fast as before. Usage inside a typer command::

    from optimizer.report.cli import ReportOpt, XlsxOpt, write_plan_outputs

    def plan(file: FileArg, ..., report: ReportOpt = None, xlsx: XlsxOpt = None) -> None:
        ...
        write_plan_outputs(result, report=report, xlsx=xlsx, scenario_file=file, echo=err.print)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from optimizer.planning.pipeline import PlanResult
    from optimizer.scenario import Scenario
    from optimizer.sim.simulate import Comparison

__all__ = [
    "ReportOpt",
    "TwinStudyOpt",
    "XlsxOpt",
    "write_compare_outputs",
    "write_plan_outputs",
]

ReportOpt = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="Write a self-contained HTML report (charts work offline) to this file.",
        dir_okay=False,
    ),
]
XlsxOpt = Annotated[
    Path | None,
    typer.Option(
        "--xlsx", help="Write the report's tables to this Excel workbook.", dir_okay=False
    ),
]
TwinStudyOpt = Annotated[
    bool,
    typer.Option(
        "--twin-study/--no-twin-study",
        help="With --report/--xlsx: also simulate the prescriptive strategy with no, poor, "
        "good and perfect twins (value of the twin; three more simulations).",
    ),
]

Echo = Callable[[str], Any]


def write_plan_outputs(
    result: PlanResult,
    *,
    report: Path | None = None,
    xlsx: Path | None = None,
    scenario_file: Path | str | None = None,
    echo: Echo | None = None,
) -> list[Path]:
    """Write the plan report and/or workbook; nothing when both are ``None``.

    Parameters
    ----------
    result : PlanResult
        Output of :func:`optimizer.planning.pipeline.plan_scenario`.
    report : Path, optional
        HTML file.
    xlsx : Path, optional
        Excel workbook (work orders, next 30 days, shutdowns, deferred, assumptions).
    scenario_file : Path or str, optional
        Scenario path as given on the command line (shown in the assumptions).
    echo : callable, optional
        Called with one line per file written (e.g. the CLI's stderr console).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    if report is None and xlsx is None:
        return []
    from optimizer.report.export import write_xlsx
    from optimizer.report.plan_report import plan_tables, write_plan_report

    src = str(scenario_file) if scenario_file is not None else None
    written: list[Path] = []
    if report is not None:
        written.append(write_plan_report(result, report, scenario_file=src))
    if xlsx is not None:
        written.append(write_xlsx(plan_tables(result, scenario_file=src), xlsx))
    if echo is not None:
        for p in written:
            echo(f"written {p}")
    return written


def write_compare_outputs(
    scn: Scenario,
    cmp: Comparison,
    *,
    report: Path | None = None,
    xlsx: Path | None = None,
    scenario_file: Path | str | None = None,
    twin_study: bool = True,
    workers: int | None = None,
    executor: Any = None,
    echo: Echo | None = None,
) -> list[Path]:
    """Write the comparison report (with ``comparison.csv`` beside it) and/or workbook.

    Parameters
    ----------
    scn : Scenario
        The scenario that was compared.
    cmp : Comparison
        Output of :func:`optimizer.sim.simulate.compare`.
    report : Path, optional
        HTML file; ``comparison.csv`` is written in the same folder.
    xlsx : Path, optional
        Excel workbook, one sheet per table.
    scenario_file : Path or str, optional
        Scenario path as given on the command line.
    twin_study : bool
        Simulate the prescriptive strategy at every twin accuracy for the "value of the
        twin" chart (uses the comparison's replications, seed and years).
    workers, executor : optional
        Passed to the twin-study simulations.
    echo : callable, optional
        Called with progress messages and one line per file written.

    Returns
    -------
    list of pathlib.Path
        The files written (nothing when ``report`` and ``xlsx`` are both ``None``).
    """
    if report is None and xlsx is None:
        return []
    from optimizer.planning.pipeline import plan_scenario
    from optimizer.report.comparison import twin_value, write_compare_report

    tv = None
    if twin_study:
        tv = twin_value(scn, cmp, workers=workers, executor=executor, progress=echo)
    if echo is not None:
        echo("planning and writing the report")
    written = write_compare_report(
        scn,
        cmp,
        report=report,
        xlsx=xlsx,
        plan=plan_scenario(scn),
        twin=tv,
        scenario_file=str(scenario_file) if scenario_file is not None else None,
    )
    if echo is not None:
        for p in written:
            echo(f"written {p}")
    return written
