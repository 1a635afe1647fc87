"""The plan report's "System health and risk" section and the workbook's Risk sheet."""

from __future__ import annotations

from numpy.testing import assert_allclose

from optimizer.loading import parse_scenario
from optimizer.planning.pipeline import PlanResult
from optimizer.report.html import table_html
from optimizer.report.plan_report import (
    plan_report_html,
    plan_tables,
    risk_frame,
    risk_section,
)
from optimizer.risk import system_risk


def test_section_ranks_systems_like_the_core(plant_plan: PlanResult) -> None:
    risk = system_risk(plant_plan.built.scenario, 30)
    sec = risk_section(risk)
    (table,) = sec.tables
    assert [r[0] for r in table.rows] == [str(s.rank) for s in risk.systems]
    assert [r[1].split(" ")[0] for r in table.rows] == [s.system_id for s in risk.systems]
    losses = [float(r[3].replace(",", "")) for r in table.rows]
    assert_allclose(losses, [s.expected_loss for s in risk.systems], atol=0.5)
    assert losses == sorted(losses, reverse=True)
    (chart,) = sec.charts
    bars = chart.figure.data[0]
    assert list(bars.x)[::-1] == [s.expected_loss for s in risk.systems[: len(bars.x)]]
    html = plan_report_html(plant_plan, risk=risk)
    assert 'id="plan-risk"' in html and "plan-risk-chart" in html
    df = risk_frame(risk)
    assert_allclose(df["p_down"], [s.p_down for s in risk.systems])
    assert "Risk" in plan_tables(plant_plan, risk=risk)
    assert "Risk" not in plan_tables(plant_plan)


def test_user_text_is_escaped(plant_plan: PlanResult) -> None:
    doc = plant_plan.built.scenario.model_dump(mode="json", exclude_none=True)
    # (a leading NUL, once a trusted-HTML marker, is now refused by the schema)
    doc["fleet"]["sites"][0]["systems"][0]["name"] = "<script>alert(1)</script>"
    risk = system_risk(parse_scenario(doc), 30)
    html = table_html(risk_section(risk).tables[0])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
