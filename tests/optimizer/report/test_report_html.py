"""The HTML itself: self-contained, plotly.js once, escaped text, content in place."""

from __future__ import annotations

import base64
import io
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optimizer.planning.pipeline import PlanResult
from optimizer.report.comparison import compare_report
from optimizer.report.html import Section, Table, plotly_js, render_page, table_html, trusted
from optimizer.report.plan_report import plan_report_html
from optimizer.scenario import Scenario
from optimizer.sim.simulate import Comparison
from optimizer.sim.twin_study import TwinStudy

MAX_BYTES = 10 * 1024 * 1024


def _assert_self_contained(html: str) -> None:
    assert len(html.encode("utf-8")) < MAX_BYTES
    # plotly.js is inlined exactly once ...
    assert len(re.findall(r"\* plotly\.js v\d+\.\d+\.\d+", html)) == 1
    # ... and nothing else is loaded: no src or href to another file or server (the
    # inline library mentions its CDN in unused defaults; the page around it must not).
    js = plotly_js()
    assert html.count(js) == 1
    page = html.replace(js, "")
    assert re.findall(r"\bsrc=", page) == []
    assert [
        h for h in re.findall(r'\bhref="([^"]*)"', page) if not h.startswith(("#", "data:"))
    ] == []
    assert "https://" not in page and "http://" not in page


def test_plan_report_html(plant_plan: PlanResult) -> None:
    when = datetime(2027, 1, 2, 9, 30).astimezone()
    html = plan_report_html(plant_plan, scenario_file="scenarios/plant.yaml", generated_at=when)
    _assert_self_contained(html)
    assert "<title>Maintenance plan: " in html
    assert 'id="plan-gantt"' in html
    assert "2027-01-02 09:30" in html
    # Every work order of the next 30 days is listed, each with its deciding reason.
    t0 = plant_plan.built.problem.start
    soon = [
        w for w in plant_plan.orders if (datetime.fromisoformat(w.scheduled_start) - t0).days < 30
    ]
    assert soon
    for w in soon:
        assert w.id in html
    # Reasons reach the Gantt's hover text (JSON inside the page).
    assert plant_plan.orders[-1].reasons[0][:40].replace("'", "\\u0027")[:20] in html
    # Nothing like a 12-digit float in the visible tables.
    tables = re.findall(r"<table>.*?</table>", html, re.S)
    assert tables
    for t in tables:
        assert not re.search(r"\d\.\d{7,}", t), t[:200]


def test_compare_report_html(
    conveyor_scn: Scenario,
    conveyor_cmp: Comparison,
    conveyor_twin: TwinStudy,
    conveyor_plan: PlanResult,
) -> None:
    rep = compare_report(
        conveyor_scn, conveyor_cmp, plan=conveyor_plan, twin=conveyor_twin, scenario_file="c.yaml"
    )
    html = rep.html
    _assert_self_contained(html)
    for cid in ("chart-cost", "chart-availability", "chart-failures", "chart-paired", "chart-twin"):
        assert f'id="{cid}"' in html
    assert "Recommendation:" in html
    # The embedded CSV is the "All KPIs" table.
    m = re.search(
        r'download="comparison.csv" href="data:text/csv;charset=utf-8;base64,([^"]+)"', html
    )
    assert m is not None
    csv = pd.read_csv(io.StringIO(base64.b64decode(m.group(1)).decode("utf-8")))
    expect = rep.tables["All KPIs"]
    assert list(csv.columns) == list(expect.columns)
    assert_allclose(csv["mean"], expect["mean"], rtol=1e-12)
    # Every strategy appears with its display name.
    for name in ("Run to failure", "Fixed interval", "Optimal age", "Condition based"):
        assert name in html
    tables = re.findall(r"<table>.*?</table>", html, re.S)
    for t in tables:
        assert not re.search(r"\d\.\d{7,}", t), t[:200]
        assert ">-0<" not in t and ">+0<" not in t


def test_compare_report_without_twin_says_so(
    conveyor_scn: Scenario, conveyor_cmp: Comparison, conveyor_plan: PlanResult
) -> None:
    html = compare_report(conveyor_scn, conveyor_cmp, plan=conveyor_plan).html
    assert 'id="chart-twin"' not in html
    assert "Not computed" in html


def test_text_is_escaped() -> None:
    t = Table(["<b>col</b>"], [["<script>alert(1)</script>"], [trusted("<i>ok</i>")]])
    out = table_html(t)
    assert "<script>alert" not in out and "&lt;script&gt;" in out
    assert "&lt;b&gt;col" in out
    assert "<i>ok</i>" in out
    page = render_page(
        title="<x>",
        subtitle="a & b",
        lead="",
        sections=[Section(id="s", title="T<1>", intro="i<2>", tables=[t])],
        footer="f",
        generator="g",
    )
    assert "<title>&lt;x&gt;</title>" in page and "a &amp; b" in page
    assert "T&lt;1&gt;" in page and "i&lt;2&gt;" in page


def test_table_shape_errors() -> None:
    with pytest.raises(ValueError, match="align"):
        table_html(Table(["a", "b"], [], align=["l"]))
    with pytest.raises(ValueError, match="row 0"):
        table_html(Table(["a", "b"], [["1"]]))


def test_duplicate_chart_ids_rejected(plant_plan: PlanResult) -> None:
    from optimizer.report.plan_report import plan_sections

    secs = plan_sections(plant_plan) + plan_sections(plant_plan)
    with pytest.raises(ValueError, match="unique"):
        render_page(title="t", subtitle="", lead="", sections=secs, footer="", generator="g")


def test_write_reports_create_folders(plant_plan: PlanResult, tmp_path: Path) -> None:
    from optimizer.report.plan_report import write_plan_report

    out = write_plan_report(plant_plan, tmp_path / "a" / "b" / "plan.html")
    assert out.exists() and out.stat().st_size < MAX_BYTES
