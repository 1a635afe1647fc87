"""The planner's report: ``opportune plan FILE --report plan.html``.

A timeline of the work orders grouped into shutdowns (hover gives each date's reasons),
the technicians each skill has assigned, the next 30 days of work orders as the CMMS
receives them, the shutdowns, the components left beyond the horizon and the
assumptions needed to reproduce the plan.
"""

from __future__ import annotations

import html as _html
import math
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from optimizer.report import data
from optimizer.report.charts import gantt_chart, risk_chart
from optimizer.report.formatting import fmt_money, fmt_pct
from optimizer.report.html import Chart, Html, Section, Table, render_page, trusted

if TYPE_CHECKING:
    from optimizer.planning.pipeline import PlanResult
    from optimizer.risk import RiskResult

__all__ = [
    "plan_report_html",
    "plan_sections",
    "plan_tables",
    "risk_frame",
    "risk_section",
    "write_plan_report",
]

NEXT_DAYS = 30.0
"""Days of work orders listed for the CMMS."""

MAX_DEFERRED_ROWS = 15
MAX_RISK_ROWS = 25


def _kpi(label: str, value: str, ci: str = "") -> str:
    ci_html = f'<div class="ci">{_html.escape(ci)}</div>' if ci else ""
    return (
        f'<div class="kpi"><div class="label">{_html.escape(label)}</div>'
        f'<div class="value">{_html.escape(value)}</div>{ci_html}</div>'
    )


def _n(count: int, noun: str) -> str:
    """``"1 shutdown"``, ``"3 shutdowns"``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _fmt_when(ts: str) -> str:
    return datetime.fromisoformat(ts).strftime("%a %Y-%m-%d %H:%M")


def plan_lead(result: PlanResult) -> Html:
    """Headline box of the plan report (trusted HTML)."""
    p = result.plan
    pb = result.built.problem
    cur = pb.currency
    n_groups = len(result.groups)
    horizon_days = pb.n_periods * pb.period_h / 24.0
    if not p.feasible:
        items = "".join(f"<li>{_html.escape(d)}</li>" for d in p.diagnosis)
        return trusted(
            '<div class="headline" style="border-color:#d55e00;background:#fff1ec">'
            '<p class="sentence">No feasible plan: the constraints below cannot all be met.</p>'
            f"<ul>{items}</ul></div>"
        )
    first = min((w.scheduled_start for w in result.orders), default=None)
    split = p.cost_split
    sentence = (
        f"{_n(len(result.orders), 'preventive work order')} in {_n(n_groups, 'shutdown')} over the "
        f"next {horizon_days:,.0f} days, for an expected cost of {fmt_money(p.objective, cur)}"
        + (f"; the first shutdown starts {_fmt_when(first)}." if first else ".")
    )
    labels = {
        "opening": "unit openings (set-up and production lost while stopped)",
        "setup": "set-up of the unit openings",
        "production_loss": "production lost while units are stopped",
        "penalty": "failure risk and preventive cost of the planned jobs",
        "deferral": "risk of the components left beyond the horizon",
        "ordering": "purchase-order fees",
        "expediting": "expedite fees",
        "holding": "holding of spare-part stock",
    }
    terms = " + ".join(f"{labels.get(k, k)} {fmt_money(v, cur)}" for k, v in split.items())
    budget = result.budget()
    spend = " + ".join(
        f"{k.replace('_', ' ')} {fmt_money(v, cur)}" for k, v in budget.items() if k != "total"
    )
    notes = [
        f"Objective (relative to each part's long-run cost rate; the parts' unit price is in "
        f"the failure-risk and preventive term) {fmt_money(p.objective, cur)} = {terms}.",
        f"Budget (cash spent in the horizon, expected failures excluded) "
        f"{fmt_money(budget.get('total', math.nan), cur)} = {spend}.",
        f"{_n(len(result.deferred), 'component')} need"
        + ("s" if len(result.deferred) == 1 else "")
        + " no work within the horizon.",
    ]
    gap = f"{100 * p.gap:.2f}%" if math.isfinite(p.gap) else "n/a"
    cards = "".join(
        [
            _kpi("Work orders", f"{len(result.orders):,}"),
            _kpi("Shutdowns", f"{n_groups:,}"),
            _kpi(
                "Expected cost",
                fmt_money(p.objective, cur),
                f"lower bound {fmt_money(p.lower_bound, cur)}",
            ),
            _kpi("Solver", str(p.status), f"{p.method}, gap {gap}"),
        ]
    )
    items = "".join(f"<li>{_html.escape(n)}</li>" for n in notes)
    return trusted(
        f'<div class="headline"><p class="sentence">{_html.escape(sentence)}</p>'
        f'<ul>{items}</ul></div><div class="kpis">{cards}</div>'
    )


def _when(start: str, finish: str) -> Html:
    """Start date, then the hours (and the finish date when it differs), on two lines."""
    s, f = datetime.fromisoformat(start), datetime.fromisoformat(finish)
    end = f"{f:%H:%M}" if f.date() == s.date() else f"{f:%a %Y-%m-%d %H:%M}"
    return trusted(f"{s:%a %Y-%m-%d}<br>{s:%H:%M} – {_html.escape(end)}")


def _two_lines(first: str, second: str) -> Html:
    return trusted(f'{_html.escape(first)}<br><span class="note">{_html.escape(second)}</span>')


def _wo_table(df: pd.DataFrame, currency: str, caption: str | None, empty: str) -> Table:
    rows = [
        [
            _two_lines(str(r["id"]), str(r["component_id"])),
            str(r["asset_id"]),
            _when(str(r["scheduled_start"]), str(r["scheduled_finish"])),
            f"{float(r['duration_h']):,.0f}",
            str(r["crew"]),
            str(r["parts"]) or "none",
            f"{float(r['expected_cost']):,.0f}",
            fmt_pct(float(r["p_fail_before_start"])),
            str(r["reason"]),
        ]
        for r in df.to_dict("records")
    ]
    return Table(
        columns=[
            "Work order / component",
            "Unit",
            "Scheduled",
            "Work h",
            "Crew",
            "Parts",
            f"Expected cost {currency}",
            "P(fail) before start",
            "Why this date",
        ],
        rows=rows,
        align=["l", "l", "d", "r", "l", "l", "r", "r", "l"],
        caption=caption,
        row_titles=[str(r) for r in df["reasons"]] if len(df) else [],
        empty=empty,
        widths=["", "", "", "", "", "", "", "", "34%"],
    )


def plan_sections(result: PlanResult, *, id_prefix: str = "plan") -> list[Section]:
    """The plan's sections (timeline, next 30 days, shutdowns, purchase orders, deferred).

    Parameters
    ----------
    result : PlanResult
        A solved scenario.
    id_prefix : str
        Prefix of the element ids (unique within a page).

    Returns
    -------
    list of Section
    """
    pb = result.built.problem
    cur = pb.currency
    secs: list[Section] = []
    if result.plan.feasible:
        secs.append(
            Section(
                id=f"{id_prefix}-timeline",
                title="Maintenance plan",
                intro=(
                    "Each row is a work order, grouped by unit; one colour per shutdown (a "
                    "unit opened once for several jobs). Diamonds mark the starts. Hover for "
                    "the crew, parts, expected cost and the reasons for the date; use the "
                    "buttons or drag to zoom. Below: technicians assigned per skill."
                ),
                charts=[Chart(gantt_chart(result), f"{id_prefix}-gantt")],
            )
        )
    nxt = data.next_work_orders(result, NEXT_DAYS)
    start = pb.local(pb.start)
    zone = result.built.scenario.calendar.timezone
    secs.append(
        Section(
            id=f"{id_prefix}-next",
            title=f"Work orders of the next {NEXT_DAYS:g} days",
            intro=(
                f"What the CMMS receives: work orders starting from {start:%Y-%m-%d} to "
                f"{pb.local(pb.start + pd.Timedelta(days=NEXT_DAYS)):%Y-%m-%d} (local time,"
                f" {zone}). Hover a row for all of its reasons."
            ),
            tables=[
                _wo_table(
                    nxt,
                    cur,
                    None,
                    f"No work orders start in the first {NEXT_DAYS:g} days of the plan.",
                )
            ],
            css_class="long",
        )
    )
    gdf = data.groups_frame(result)
    secs.append(
        Section(
            id=f"{id_prefix}-shutdowns",
            title="Shutdowns",
            intro=(
                "Every opening of a unit in the plan: the opening cost (set-up and lost "
                "production) is paid once for all jobs in it; the risk is the extra expected "
                "failure cost of doing each job at this date rather than at its own best date."
            ),
            tables=[
                Table(
                    columns=[
                        "Shutdown",
                        "Unit",
                        "Period start",
                        "Jobs",
                        f"Opening {cur}",
                        f"Risk {cur}",
                        "Components",
                    ],
                    rows=[
                        [
                            str(r["group_id"]),
                            str(r["unit"]),
                            _fmt_when(str(r["start"])),
                            f"{int(r['jobs']):,}",
                            f"{float(r['opening_cost']):,.0f}",
                            f"{float(r['penalty_cost']):,.0f}",
                            str(r["components"]),
                        ]
                        for r in gdf.to_dict("records")
                    ],
                    align=["l", "l", "d", "r", "r", "r", "l"],
                    empty="No shutdowns planned in the horizon.",
                )
            ],
            css_class="long",
        )
    )
    pdf = data.purchase_orders_frame(result)
    secs.append(
        Section(
            id=f"{id_prefix}-purchases",
            title="Purchase orders",
            intro=(
                f"{_n(len(pdf), 'purchase order')} for the spare parts the plan uses: when to "
                "order, when the parts arrive, which components they serve, and the cash "
                f"each costs ({cur}: goods at unit price plus order and expedite fees)."
            ),
            tables=[
                Table(
                    columns=["Part", "Qty", "Order", "Arrival", "Expedited", "Serves",
                             f"Unit price {cur}", f"Total {cur}"],
                    rows=[
                        [
                            str(r["part_id"]),
                            str(r["qty"]),
                            str(r["order_date"]),
                            str(r["arrival_date"]),
                            "yes" if r["expedited"] else "no",
                            str(r["serves"]),
                            f"{float(r['unit_price']):,.2f}",
                            f"{float(r['total']):,.2f}",
                        ]
                        for r in pdf.to_dict("records")
                    ],
                    align=["l", "r", "l", "l", "l", "l", "r", "r"],
                    empty="No purchase orders: the stock on hand and on order covers the plan "
                    "(or the scenario models no spare parts).",
                )
            ],
        )
    )  # fmt: skip
    ddf = data.deferred_frame(result)
    shown = ddf.head(MAX_DEFERRED_ROWS)
    secs.append(
        Section(
            id=f"{id_prefix}-deferred",
            title="Left beyond the horizon",
            intro=(
                f"{_n(len(ddf), 'component')} {'is' if len(ddf) == 1 else 'are'} best replaced "
                "after the horizon; the "
                f"{len(shown):,} most likely to fail before then are listed, with the reason."
            ),
            tables=[
                Table(
                    columns=["Component", "Unit", "P(fail) in horizon", f"Risk {cur}", "Reason"],
                    rows=[
                        [
                            str(r["component_id"]),
                            str(r["asset_id"]),
                            fmt_pct(float(r["p_fail_within_horizon"])),
                            f"{float(r['risk_cost']):,.0f}",
                            str(r["reason"]),
                        ]
                        for r in shown.to_dict("records")
                    ],
                    align=["l", "l", "r", "r", "l"],
                    empty="Every component has a work order in the horizon.",
                )
            ],
        )
    )
    return secs


def _plain(text: str) -> str:
    """User text for a table cell: never the trusted-HTML marker of :func:`trusted`."""
    return text.lstrip("\x00")


def risk_frame(risk: RiskResult) -> pd.DataFrame:
    """The ranked systems of a risk assessment, one row each (the workbook's ``Risk``)."""
    rows = [
        {
            "rank": s.rank,
            "system_id": s.system_id,
            "site_id": s.site_id,
            "name": s.name or "",
            "p_down": s.p_down,
            "expected_loss": s.expected_loss,
            "outage_h": s.outage_h,
            "health": s.health,
            "method": s.method,
            "drivers": ", ".join(f"{d.component_id} ({d.importance:.3f})" for d in s.drivers[:5]),
        }
        for s in risk.systems
    ]
    cols = [
        "rank", "system_id", "site_id", "name", "p_down", "expected_loss", "outage_h", "health",
        "method", "drivers",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def risk_section(risk: RiskResult, *, id_prefix: str = "plan") -> Section:
    """System health and risk ranking: a chart and the ranked table.

    Parameters
    ----------
    risk : RiskResult
        :func:`optimizer.risk.system_risk` of the scenario.
    id_prefix : str
        Prefix of the element ids.

    Returns
    -------
    Section
    """
    cur = risk.currency
    shown = risk.systems[:MAX_RISK_ROWS]
    rows = [
        [
            str(s.rank),
            _plain(s.system_id + (f" ({s.name})" if s.name else "")),
            fmt_pct(s.p_down, 2)
            + (
                f" [{fmt_pct(s.p_down_ci[0], 2)}, {fmt_pct(s.p_down_ci[1], 2)}]"
                if s.p_down_ci is not None
                else ""
            ),
            f"{s.expected_loss:,.0f}",
            f"{s.health:.1f}",
            _plain(", ".join(f"{d.component_id} ({d.importance:.2f})" for d in s.drivers[:3])),
            s.method.split(" (")[0],
        ]
        for s in shown
    ]
    return Section(
        id=f"{id_prefix}-risk",
        title="System health and risk",
        intro=(
            f"Probability that each unit is stopped by a failure in the next {risk.days:g} days, "
            "from the components' remaining-life models (twin predictions where given) and the "
            "unit's structure (series parts, k-out-of-n groups), assuming no maintenance in "
            "between; production at risk is that probability times the value lost in an "
            "expected stop. Health = 100 x (1 - P(down)). Drivers: Birnbaum importance, the "
            "change of the unit's reliability with the part's. "
            f"{len(shown):,} of {len(risk.systems):,} units, riskiest first."
        ),
        charts=[Chart(risk_chart(risk), f"{id_prefix}-risk-chart")],
        tables=[
            Table(
                columns=[
                    "#",
                    "Unit",
                    f"P(down) in {risk.days:g} d",
                    f"At risk {cur}",
                    "Health",
                    "Drivers (importance)",
                    "Method",
                ],
                rows=rows,
                align=["r", "l", "r", "r", "r", "l", "l"],
                empty="No units.",
            )
        ],
        notes=[
            f"Production at risk over the fleet: {fmt_money(risk.expected_loss, cur)}. Exact "
            "for independent components; series units stay exact when failed parts are "
            "repaired, redundant groups are then over-estimated (opportune risk --repair "
            "simulates them)."
        ],
    )


def assumptions_section(df: pd.DataFrame) -> Section:
    """The assumptions table as a section."""
    return Section(
        id="assumptions",
        title="Assumptions and reproduction",
        intro=(
            "Everything needed to reproduce these numbers: run the same Opportune version on "
            "the same scenario file with the same settings and seed."
        ),
        tables=[
            Table(
                columns=["Section", "Item", "Value"],
                rows=[
                    [str(r["section"]), str(r["item"]), str(r["value"])]
                    for r in df.to_dict("records")
                ],
                align=["l", "l", "l"],
            )
        ],
        css_class="long",
    )


def cost_frame(result: PlanResult) -> pd.DataFrame:
    """The plan's objective and budget by term; each ``total`` row is the sum of its terms.

    Columns ``measure`` (``objective``: relative to each part's long-run cost rate;
    ``budget``: cash spent in the horizon), ``term`` and ``cost`` (currency).
    """
    p = result.plan
    rows: list[dict[str, object]] = [
        {"measure": "objective", "term": k, "cost": float(v)} for k, v in p.cost_split.items()
    ]
    rows.append({"measure": "objective", "term": "total", "cost": float(p.objective)})
    rows += [{"measure": "budget", "term": k, "cost": v} for k, v in result.budget().items()]
    return pd.DataFrame(rows, columns=["measure", "term", "cost"])


def plan_tables(
    result: PlanResult, *, scenario_file: str | None = None, risk: RiskResult | None = None
) -> dict[str, pd.DataFrame]:
    """The plan's tables for the Excel workbook, one sheet each.

    The ``Cost`` sheet lists the objective's terms and the budget's, each followed by
    its total (the sum of the rows above it); ``Risk`` (when ``risk`` is given) ranks
    the systems by production at risk.
    """
    extra = {"Risk": risk_frame(risk)} if risk is not None else {}
    return {
        "Work orders": data.work_orders_frame(result),
        f"Next {NEXT_DAYS:g} days": data.next_work_orders(result, NEXT_DAYS),
        "Shutdowns": data.groups_frame(result),
        "Deferred": data.deferred_frame(result),
        "Purchase orders": data.purchase_orders_frame(result),
        "Cost": cost_frame(result),
        **extra,
        "Assumptions": data.assumptions_frame(
            result.built.scenario, result=result, scenario_file=scenario_file
        ),
    }


def plan_report_html(
    result: PlanResult,
    *,
    scenario_file: str | None = None,
    generated_at: datetime | None = None,
    risk: RiskResult | None = None,
) -> str:
    """The plan report as one self-contained HTML document.

    Parameters
    ----------
    result : PlanResult
        Output of :func:`optimizer.planning.pipeline.plan_scenario`.
    scenario_file : str, optional
        Path of the scenario file, shown in the assumptions.
    generated_at : datetime, optional
        Time stamp of the report (default now).
    risk : RiskResult, optional
        :func:`optimizer.risk.system_risk` of the scenario: adds the "System health and
        risk" section.

    Returns
    -------
    str
    """
    scn = result.built.scenario
    when = generated_at or datetime.now().astimezone()
    versions = data.software_versions()
    secs = plan_sections(result)
    if risk is not None:
        secs.append(risk_section(risk))
    secs.append(
        assumptions_section(
            data.assumptions_frame(
                scn, result=result, scenario_file=scenario_file, generated_at=when
            )
        )
    )
    return render_page(
        title=f"Maintenance plan: {scn.name}",
        subtitle=(
            f"Plan from {result.built.problem.local(result.built.problem.start):%Y-%m-%d}"
            f" ({result.built.scenario.calendar.timezone}) · generated {when:%Y-%m-%d %H:%M} "
            f"· Opportune {versions.get('opportune', '?')}"
        ),
        lead=plan_lead(result),
        sections=secs,
        footer=(
            f"Opportune {versions.get('opportune', '?')} · scenario '{scn.name}'"
            + (f" ({scenario_file})" if scenario_file else "")
        ),
        generator=f"Opportune {versions.get('opportune', '?')}",
    )


def write_plan_report(
    result: PlanResult,
    path: str | Path,
    *,
    scenario_file: str | None = None,
    generated_at: datetime | None = None,
    risk: RiskResult | None = None,
) -> Path:
    """Write :func:`plan_report_html` to ``path`` (parent folders are created).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        plan_report_html(result, scenario_file=scenario_file, generated_at=generated_at, risk=risk),
        encoding="utf-8",
    )
    return out
