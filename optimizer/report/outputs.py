"""What the ``plan`` and ``compare`` commands write: the reports and workbooks of results
they are given.

Nothing here plans or simulates: the caller (:mod:`optimizer.cli`) runs the core and
hands the results over.  This module loads plotly (through the report modules): the CLI
imports it only when a report or workbook is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimizer.report.comparison import write_compare_report
from optimizer.report.export import write_xlsx
from optimizer.report.plan_report import plan_tables, write_plan_report

if TYPE_CHECKING:
    from optimizer.planning.pipeline import PlanResult
    from optimizer.risk import RiskResult
    from optimizer.scenario import Scenario
    from optimizer.sim.simulate import Comparison
    from optimizer.sim.twin_study import TwinStudy

__all__ = ["write_compare_outputs", "write_plan_outputs"]

Echo = Callable[[str], Any]


def write_plan_outputs(
    result: PlanResult,
    *,
    report: Path | None = None,
    xlsx: Path | None = None,
    scenario_file: Path | str | None = None,
    echo: Echo | None = None,
    risk: RiskResult | None = None,
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
    risk : RiskResult, optional
        :func:`optimizer.risk.system_risk` of the scenario: the report's "System health
        and risk" section and the workbook's ``Risk`` sheet.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    if report is None and xlsx is None:
        return []
    src = str(scenario_file) if scenario_file is not None else None
    written: list[Path] = []
    if report is not None:
        written.append(write_plan_report(result, report, scenario_file=src, risk=risk))
    if xlsx is not None:
        written.append(
            write_xlsx(
                plan_tables(result, scenario_file=src, risk=risk),
                xlsx,
                timezone=result.built.scenario.calendar.timezone,
            )
        )
    if echo is not None:
        for p in written:
            echo(f"written {p}")
    return written


def write_compare_outputs(
    scn: Scenario,
    cmp: Comparison,
    *,
    plan: PlanResult | None,
    twin: TwinStudy | None = None,
    report: Path | None = None,
    xlsx: Path | None = None,
    scenario_file: Path | str | None = None,
    echo: Echo | None = None,
) -> list[Path]:
    """Write the comparison report (with ``comparison.csv`` beside it) and/or workbook.

    Parameters
    ----------
    scn : Scenario
        The scenario that was compared.
    cmp : Comparison
        Output of :func:`optimizer.sim.simulate.compare`.
    plan : PlanResult or None
        The plan to show (:func:`optimizer.planning.pipeline.plan_scenario` of ``scn``);
        ``None``: no plan sections.
    twin : TwinStudy, optional
        Output of :func:`optimizer.sim.twin_study.run_twin_study` for the "value of the
        twin" section; without it the section says it was not computed.
    report : Path, optional
        HTML file; ``comparison.csv`` is written in the same folder.
    xlsx : Path, optional
        Excel workbook, one sheet per table.
    scenario_file : Path or str, optional
        Scenario path as given on the command line.
    echo : callable, optional
        Called with one line per file written.

    Returns
    -------
    list of pathlib.Path
        The files written (nothing when ``report`` and ``xlsx`` are both ``None``).
    """
    if report is None and xlsx is None:
        return []
    written = write_compare_report(
        scn,
        cmp,
        report=report,
        xlsx=xlsx,
        plan=plan,
        twin=twin,
        scenario_file=str(scenario_file) if scenario_file is not None else None,
    )
    if echo is not None:
        for p in written:
            echo(f"written {p}")
    return written
