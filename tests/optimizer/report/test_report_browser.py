"""The reports in a real browser: headless Chromium loads each page from disk (no network),
every chart draws its SVG, no script error or console message appears, and a screenshot
is saved under the test's tmp folder for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from optimizer.planning.pipeline import PlanResult
from optimizer.report.comparison import write_compare_report
from optimizer.report.plan_report import write_plan_report
from optimizer.risk import system_risk
from optimizer.scenario import Scenario
from optimizer.sim.simulate import Comparison
from optimizer.sim.twin_study import TwinStudy

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _chart_ids(html: str) -> list[str]:
    """Ids of the chart containers that the page's scripts draw into."""
    return re.findall(r'Plotly\.newPlot\(\s*"([^"]+)"', html)


def _check(rendered: Any, html: str) -> None:
    ids = _chart_ids(html)
    assert ids, "the page defines no chart"
    assert set(rendered.plots) == set(ids), (sorted(rendered.plots), sorted(ids))
    not_drawn = [k for k, drawn in rendered.plots.items() if not drawn]
    assert not not_drawn, f"charts without an SVG: {not_drawn}"
    # The page itself logs nothing: any console line is a script error or a warning.
    assert rendered.console == [], rendered.console
    # The page's own error trap stays hidden.
    m = re.search(r'<div id="js-errors" class="warn"([^>]*)>(.*?)</div>', rendered.dom, re.S)
    assert m is not None and m.group(2).strip() == "", m.group(0) if m else "no error box"
    assert f'data-charts="{len(ids)}"' in rendered.dom
    png = rendered.screenshot.read_bytes()
    assert png[:8] == PNG_MAGIC and len(png) > 20_000


def test_plan_report_renders_in_chromium(
    plant_plan: PlanResult, chromium: Any, tmp_path: Path
) -> None:
    risk = system_risk(plant_plan.built.scenario, 30)
    page = write_plan_report(
        plant_plan, tmp_path / "plan.html", scenario_file="plant.yaml", risk=risk
    )
    rendered = chromium(page, tmp_path / "plan.png", height=3200)
    html = page.read_text(encoding="utf-8")
    _check(rendered, html)
    assert "plan-gantt" in rendered.plots
    assert "plan-risk-chart" in rendered.plots
    # The Gantt holds one bar per work order: plotly draws each as a path in a .point group.
    gantt = rendered.dom[rendered.dom.index('id="plan-gantt"') :]
    assert gantt.count('class="point"') >= len(plant_plan.orders)


def test_compare_report_renders_in_chromium(
    conveyor_scn: Scenario,
    conveyor_cmp: Comparison,
    conveyor_twin: TwinStudy,
    conveyor_plan: PlanResult,
    chromium: Any,
    tmp_path: Path,
) -> None:
    paths = write_compare_report(
        conveyor_scn,
        conveyor_cmp,
        report=tmp_path / "report.html",
        plan=conveyor_plan,
        twin=conveyor_twin,
        scenario_file="scenarios/conveyor.yaml",
    )
    page = paths[0]
    rendered = chromium(page, tmp_path / "report.png", height=4200)
    html = page.read_text(encoding="utf-8")
    _check(rendered, html)
    expected = {
        "chart-cost",
        "chart-availability",
        "chart-failures",
        "chart-paired",
        "chart-twin",
        "plan-gantt",
    }
    assert set(rendered.plots) == expected
    # A narrow (printed or phone) window still draws every chart.
    narrow = chromium(page, tmp_path / "report-narrow.png", width=800, height=1200)
    assert all(narrow.plots.values()) and narrow.console == []
