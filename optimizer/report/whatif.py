"""The HTML report of a what-if study (:func:`optimizer.sim.whatif.whatif`).

One self-contained page (:func:`optimizer.report.html.render_page`): the answer (the
cheaper and the less risky option, real or noise), the expected cost by category per
option with the total's 95% interval, the paired differences against the first option,
P(failure before the action) simulated and exact, downtime, spare parts and crews, the
non-simulated costs, and each option's plan.  Every piece of user text (scenario name,
option texts, component and part ids) is escaped by the page's tables and template.
"""

from __future__ import annotations

import html as _html
from datetime import UTC, datetime
from typing import Any

import numpy as np
import plotly.graph_objects as go  # type: ignore[import-untyped]
from plotly.subplots import make_subplots  # type: ignore[import-untyped]

from optimizer.report.charts import FONT
from optimizer.report.data import software_versions
from optimizer.report.formatting import (
    CATEGORY_COLOURS,
    COST_CATEGORIES,
    fmt_money,
    fmt_pct,
)
from optimizer.report.html import Chart, Section, Table, render_page, trusted
from optimizer.sim.stats import Estimate
from optimizer.sim.whatif import WhatIfResult

__all__ = ["whatif_report"]


def _label(o: Any) -> str:
    return f"{o.name}: {o.option.text}"


def _est(e: Estimate | None, kind: str, cur: str = "") -> str:
    if e is None:
        return ""
    if kind == "pct":
        return f"{fmt_pct(e.mean, 2)} [{fmt_pct(e.ci_low, 2)}, {fmt_pct(e.ci_high, 2)}]"
    if kind == "money":
        return f"{e.mean:,.0f} [{e.ci_low:,.0f}, {e.ci_high:,.0f}]"
    if kind == "diff":
        return f"{e.mean:+,.2f} [{e.ci_low:+,.2f}, {e.ci_high:+,.2f}]"
    return f"{e.mean:,.2f} [{e.ci_low:,.2f}, {e.ci_high:,.2f}]"


def _real(e: Estimate | None) -> str:
    if e is None:
        return ""
    if e.ci_low > 0 or e.ci_high < 0:
        return "real"
    return "noise"


def _layout(fig: Any, height: int) -> Any:
    fig.update_layout(
        template="plotly_white",
        height=height,
        font={"family": FONT, "size": 13, "color": "#222"},
        margin={"l": 90, "r": 30, "t": 50, "b": 60},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0.0},
        separators=".,",
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def cost_figure(res: WhatIfResult) -> Any:
    """Stacked expected cost by category per option, with the total's 95% interval."""
    names = [o.name for o in res.options]
    fig = go.Figure()
    for key, label, kpis in COST_CATEGORIES:
        y = [sum(o.kpis[k].mean for k in kpis if k in o.kpis) for o in res.options]
        fig.add_trace(go.Bar(name=label, x=names, y=y, marker={"color": CATEGORY_COLOURS.get(key)}))
    tot = np.array([o.kpis["cost_total"].mean for o in res.options])
    lo = np.array([o.kpis["cost_total"].ci_low for o in res.options])
    hi = np.array([o.kpis["cost_total"].ci_high for o in res.options])
    fig.add_trace(
        go.Scatter(
            name="total, 95% CI",
            x=names,
            y=tot,
            mode="markers",
            marker={"color": "#222", "size": 8},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": np.maximum(np.nan_to_num(hi - tot), 0.0),
                "arrayminus": np.maximum(np.nan_to_num(tot - lo), 0.0),
            },
        )
    )
    fig.update_layout(barmode="stack", yaxis_title=f"{res.currency} over {res.days:g} days")
    return _layout(fig, 420)


def paired_figure(res: WhatIfResult) -> Any:
    """Paired differences against the first option: cost, failures, unplanned downtime."""
    others = res.options[1:]
    panels = [
        ("cost_total", f"Total cost, {res.currency}"),
        ("failures", "Failures"),
        ("downtime_unplanned_h", "Unplanned downtime, h"),
    ]
    fig = make_subplots(rows=1, cols=3, shared_yaxes=True, subplot_titles=[p[1] for p in panels])
    ylab = [o.name for o in others]
    for col, (kpi, _title) in enumerate(panels, start=1):
        m = np.array([o.paired[kpi].mean for o in others])
        a = np.array([o.paired[kpi].ci_low for o in others])
        b = np.array([o.paired[kpi].ci_high for o in others])
        real = (a > 0) | (b < 0)
        fig.add_trace(
            go.Scatter(
                x=m,
                y=ylab,
                mode="markers",
                marker={
                    "size": 12,
                    "color": ["#0072b2" if r else "white" for r in real],
                    "line": {"color": "#0072b2", "width": 2},
                },
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": np.maximum(np.nan_to_num(b - m), 0.0),
                    "arrayminus": np.maximum(np.nan_to_num(m - a), 0.0),
                },
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        fig.add_vline(x=0, line={"color": "#999", "width": 1, "dash": "dot"}, row=1, col=col)
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    return _layout(fig, 170 + 46 * max(len(others), 1))


def whatif_report(res: WhatIfResult, *, scenario_file: str | None = None) -> str:
    """The complete HTML page of a what-if study.

    Parameters
    ----------
    res : WhatIfResult
        The study.
    scenario_file : str, optional
        Shown in the footer.

    Returns
    -------
    str
        A self-contained HTML document.
    """
    cur = res.currency
    opts = res.options
    lead = trusted(
        '<div class="headline"><p><strong>'
        + _html.escape(res.cheaper.text)
        + "</strong></p><p><strong>"
        + _html.escape(res.less_risky.text)
        + "</strong></p></div>"
    )
    cost_rows = []
    for o in opts:
        row = [_label(o)]
        for _key, _lab, kpis in COST_CATEGORIES:
            row.append(f"{sum(o.kpis[k].mean for k in kpis if k in o.kpis):,.0f}")
        row.append(_est(o.kpis["cost_total"], "money"))
        d = o.paired.get("cost_total")
        row += [_est(d, "diff"), _real(d)]
        cost_rows.append(row)
    cost_table = Table(
        columns=[
            "option",
            *[lab for _k, lab, _ in COST_CATEGORIES],
            f"total {cur} [95% CI]",
            "vs option 1 [95% CI]",
            "",
        ],
        rows=cost_rows,
        align=["l", *["r"] * len(COST_CATEGORIES), "r", "r", "l"],
        caption=f"Expected cost over {res.days:g} days, {cur} (the total is the sum)",
    )
    kpi_rows: list[list[str]] = []
    measures = [
        ("downtime_unplanned_h", "unplanned downtime h", "num"),
        ("downtime_planned_h", "planned downtime h", "num"),
        ("cost_lost_production", f"lost production {cur}", "money"),
        ("failures", "failures", "num"),
        ("preventive_replacements", "preventive replacements", "num"),
        ("stockouts", "stock-outs", "num"),
        ("stockout_h", "stock-out hours", "num"),
        ("crew_utilization", "crew utilization", "pct"),
    ]
    for o in opts:
        for key, lab, kind in measures:
            if key in o.kpis:
                d = o.paired.get(key)
                kpi_rows.append(
                    [
                        _label(o),
                        lab,
                        _est(o.kpis[key], kind),
                        _est(d, "diff") if kind != "pct" else _est(d, "pct"),
                        _real(d),
                    ]
                )
        kpi_rows.append(
            [
                _label(o),
                "P(stock-out)",
                _est(o.p_stockout, "pct"),
                _est(o.paired_p_stockout, "pct"),
                _real(o.paired_p_stockout),
            ]
        )
    kpi_table = Table(
        columns=["option", "measure", "mean [95% CI]", "vs option 1 [95% CI]", ""],
        rows=kpi_rows,
        align=["l", "l", "r", "r", "l"],
        caption=f"Downtime, failures, spare parts and crews over {res.days:g} days",
    )
    act_rows = []
    for o in opts:
        for a in o.actions:
            act_rows.append(
                [
                    _label(o),
                    str(a["component_id"]),
                    str(a["start"] or "not within the days"),
                    fmt_pct(float(a["p_fail_exact"]), 2),
                    _est(a["p_fail_sim"], "pct"),
                ]
            )
    act_table = Table(
        columns=["option", "component", "planned start", "P(fail) exact", "P(fail) simulated"],
        rows=act_rows,
        align=["l", "l", "d", "r", "r"],
        caption="P(failure before the action) (defer: within the days)",
    )
    spare_ids = sorted({p for o in opts for p in o.spares})
    spare_table = Table(
        columns=["option", *spare_ids],
        rows=[[_label(o), *[_est(o.spares[p], "num") for p in spare_ids]] for o in opts],
        align=["l", *["r"] * len(spare_ids)],
        caption="Spare-part units consumed [95% CI]",
    )
    exact_rows = []
    for o in opts:
        exact_rows.append(
            [
                _label(o),
                fmt_money(o.model_cost["total"], cur),
                fmt_money(o.kpis["cost_total"].mean, cur),
                fmt_money(o.planner_cost["total"], cur),
                f"{o.model_cost['total'] - opts[0].model_cost['total']:+,.0f}",
                f"{o.planner_cost['total'] - opts[0].planner_cost['total']:+,.0f}",
                f"{o.crew_hours_planned:,.1f}",
            ]
        )
    exact_table = Table(
        columns=[
            "option",
            "first-life expected cost",
            "simulated mean",
            "planner objective",
            "first-life vs option 1",
            "planner vs option 1",
            "planned crew h",
        ],
        rows=exact_rows,
        align=["l", "r", "r", "r", "r", "r", "r"],
        caption="Non-simulated costs",
    )
    plan_rows = [
        [o.name, str(r["component_id"]), str(r["scheduled_start"]), str(r.get("group_id") or "")]
        for o in opts
        for r in sorted(o.work_orders, key=lambda r: str(r["scheduled_start"]))
    ]
    plan_table = Table(
        columns=["option", "component", "scheduled start", "group"],
        rows=plan_rows,
        align=["l", "l", "d", "l"],
        caption="The plan simulated for each option",
    )
    notes = [
        f"{o.name}: the checker finds {len(o.violations)} violated constraint(s): "
        + "; ".join(o.violations[:5])
        for o in opts
        if o.violations
    ]
    secs = [
        Section(
            id="cost",
            title="Cost",
            intro=(
                "Expected cost by category over the simulated days, on common random numbers"
                " (every option meets the same part lives and repair times). The paired"
                " difference against option 1 is real when its 95% interval excludes 0."
            ),
            charts=[Chart(cost_figure(res), "whatif-cost")]
            + ([Chart(paired_figure(res), "whatif-paired")] if len(opts) > 1 else []),
            tables=[cost_table],
        ),
        Section(
            id="risk",
            title="Risk of failure before the action",
            intro=(
                "Exact: from the component's residual-life distribution at the operating"
                " hours until the planned start. Simulated: share of replications in which"
                " the installed part failed first (stops of the system pause its ageing)."
            ),
            tables=[act_table],
        ),
        Section(
            id="operations",
            title="Downtime, spare parts and crews",
            tables=[kpi_table, spare_table],
        ),
        Section(
            id="exact",
            title="Non-simulated costs",
            intro=(
                "First-life expected cost: c_f F(tau) + c_p S(tau) per replaced part (c_f"
                " F(D) otherwise) plus each opening times P(one of its parts still runs);"
                " exact when renewed parts cannot fail again within the days and crews and"
                " spares never queue. Planner objective: the scheduler's cost of the"
                " option's plan, relative to the best long-run policy (compare differences)."
            ),
            tables=[exact_table],
            notes=notes,
        ),
        Section(id="plans", title="Plans", tables=[plan_table]),
    ]
    versions = software_versions()
    when = datetime.now(UTC)
    return render_page(
        title=f"What-if: {res.scenario}",
        subtitle=(
            f"{len(opts)} options, {res.replications:,} replications over {res.days:g} days"
            f" (seed {res.seed}), rest of the fleet "
            + ("held to the current plan" if res.mode == "hold" else "re-planned")
            + f" · generated {when:%Y-%m-%d %H:%M} UTC"
        ),
        lead=lead,
        sections=secs,
        footer=(
            f"Opportune {versions.get('opportune', '?')} · scenario '{res.scenario}'"
            + (f" ({scenario_file})" if scenario_file else "")
            + f" · costs in {cur}"
        ),
        generator=f"Opportune {versions.get('opportune', '?')}",
    )
