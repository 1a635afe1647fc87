"""Plotly figures of the reports.

Each function takes the tables of :mod:`optimizer.report.data` and returns a
``plotly.graph_objects.Figure``. Conventions: one colour per strategy everywhere
(:data:`~optimizer.report.formatting.STRATEGY_COLOURS`), confidence intervals as whiskers,
money axes scaled to thousand / million with the currency and "per year" in the title,
thousands separators in ticks and hover text.

References
----------
.. [1] Plotly Python graphing library, https://plotly.com/python/ (figure reference:
   bar, scatter, error bars, date axes, subplots).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go  # type: ignore[import-untyped]
from plotly.colors import sample_colorscale  # type: ignore[import-untyped]
from plotly.subplots import make_subplots  # type: ignore[import-untyped]

from optimizer.report.formatting import (
    CATEGORY_COLOURS,
    COST_CATEGORIES,
    money_scale,
    strategy_colour,
    strategy_label,
)

if TYPE_CHECKING:
    from optimizer.planning.pipeline import PlanResult
    from optimizer.risk import RiskResult

Figure = Any
"""``plotly.graph_objects.Figure`` (plotly ships no type information)."""

__all__ = [
    "availability_downtime_chart",
    "cost_chart",
    "failures_chart",
    "gantt_chart",
    "paired_chart",
    "risk_chart",
    "twin_value_chart",
]

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
GROUP_PALETTE: tuple[str, ...] = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
"""Tableau 10: shutdown groups in the Gantt chart."""


def _layout(fig: Figure, *, height: int, title: str | None = None, legend: bool = True) -> Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        font={"family": FONT, "size": 13, "color": "#222"},
        margin={"l": 90, "r": 30, "t": 60 if title else 30, "b": 60},
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 15}} if title else None,
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0.0},
        hoverlabel={"font": {"family": FONT, "size": 12}, "align": "left"},
        separators=".,",
    )
    # Axis titles and tick labels push the margins out rather than being clipped.
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def _tick_labels(strategies: Sequence[str], baseline: str | None) -> list[str]:
    # A line break keeps long names from colliding on narrow (printed) pages.
    return [
        strategy_label(s).replace(" ", "<br>", 1)
        + ("<br><i>(current)</i>" if s == baseline else "")
        for s in strategies
    ]


def _err(mean: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> dict[str, Any]:
    """Asymmetric whiskers; NaN bounds (one replication) draw no whisker."""
    plus = np.where(np.isfinite(hi), hi - mean, 0.0)
    minus = np.where(np.isfinite(lo), mean - lo, 0.0)
    return {
        "type": "data",
        "symmetric": False,
        "array": np.maximum(plus, 0.0),
        "arrayminus": np.maximum(minus, 0.0),
        "thickness": 1.5,
        "width": 6,
        "color": "#222",
    }


def _headroom(values: np.ndarray, upper: np.ndarray) -> float:
    """Top of a bar axis: 8% above the highest bar or whisker (1 when all are 0)."""
    top = float(np.nanmax(np.concatenate([values, upper[np.isfinite(upper)]]), initial=0.0))
    return top * 1.08 if top > 0 else 1.0


def cost_chart(breakdown: pd.DataFrame, currency: str, baseline: str | None = None) -> Figure:
    """Expected cost per year by category, stacked per strategy, with the total's 95% CI.

    Parameters
    ----------
    breakdown : pandas.DataFrame
        :func:`optimizer.report.data.cost_breakdown_frame`.
    currency : str
        ISO 4217 code for the axis title.
    baseline : str, optional
        Strategy marked as current practice.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    strategies = breakdown["strategy"].tolist()
    x = _tick_labels(strategies, baseline)
    div, word = money_scale(float(np.nanmax(breakdown["total_ci_high"].to_numpy(), initial=0.0)))
    unit = f"{word} {currency}".strip()
    fig = go.Figure()
    for key, label, _ in COST_CATEGORIES:
        y = breakdown[key].to_numpy(dtype=float)
        fig.add_trace(
            go.Bar(
                name=label,
                x=x,
                y=y / div,
                marker={"color": CATEGORY_COLOURS[key], "line": {"width": 0}},
                customdata=y,
                hovertemplate=f"{label}: %{{customdata:,.0f}} {currency} per year<extra></extra>",
            )
        )
    tot = breakdown["total"].to_numpy(dtype=float)
    lo = breakdown["total_ci_low"].to_numpy(dtype=float)
    hi = breakdown["total_ci_high"].to_numpy(dtype=float)
    fig.add_trace(
        go.Scatter(
            name="Total, 95% CI",
            x=x,
            y=tot / div,
            mode="markers",
            marker={
                "symbol": "diamond",
                "size": 11,
                "color": [strategy_colour(s, strategies) for s in strategies],
                "line": {"color": "#222", "width": 1},
            },
            error_y=_err(tot / div, lo / div, hi / div),
            customdata=np.column_stack([tot, lo, hi]),
            hovertemplate=(
                f"<b>Total</b> %{{customdata[0]:,.0f}} {currency} per year<br>"
                f"95% CI %{{customdata[1]:,.0f}} to %{{customdata[2]:,.0f}} {currency}"
                "<extra></extra>"
            ),
        )
    )
    top = np.where(np.isfinite(hi), hi, tot)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=top / div,
            mode="text",
            text=[f"{v / div:,.0f}" if div > 1 else f"{v:,.0f}" for v in tot],
            textposition="top center",
            textfont={"size": 12, "color": "#222"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.update_layout(barmode="stack", bargap=0.35)
    fig.update_yaxes(
        title_text=f"Expected cost, {unit} per year",
        tickformat=",.0f",
        rangemode="tozero",
        range=[0, float(np.nanmax(top, initial=0.0)) / div * 1.12 or 1.0],
    )
    fig = _layout(fig, height=480)
    # Room above the plot for a legend of two lines (narrow windows) below the tool bar.
    fig.update_layout(legend_traceorder="normal", margin_t=95)
    return fig


def availability_downtime_chart(summary: pd.DataFrame, baseline: str | None = None) -> Figure:
    """Fleet availability (dot and whisker) and unplanned downtime per year (bars).

    Availability is drawn as points on a zoomed axis rather than as bars, since bars
    from 0% would hide differences of a fraction of a percent.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`optimizer.report.data.strategy_summary`.
    baseline : str, optional
        Strategy marked as current practice.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    strategies = summary["strategy"].tolist()
    x = _tick_labels(strategies, baseline)
    colours = [strategy_colour(s, strategies) for s in strategies]
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("Fleet availability", "Unplanned downtime"),
        horizontal_spacing=0.12,
    )
    a = 100 * summary["availability"].to_numpy(dtype=float)
    alo = 100 * np.maximum(summary["availability_ci_low"].to_numpy(dtype=float), 0.0)
    ahi = 100 * np.minimum(summary["availability_ci_high"].to_numpy(dtype=float), 1.0)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=a,
            mode="markers",
            marker={"size": 12, "color": colours, "line": {"color": "#222", "width": 1}},
            error_y=_err(a, alo, ahi),
            customdata=np.column_stack([alo, ahi]),
            hovertemplate="Availability %{y:.2f}%<br>95% CI %{customdata[0]:.2f}% to "
            "%{customdata[1]:.2f}%<extra></extra>",
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    lo_all = float(np.nanmin(np.where(np.isfinite(alo), alo, a)))
    span = max(100.0 - lo_all, 0.2)
    fig.update_yaxes(
        title_text="Availability, % of time",
        ticksuffix="%",
        tickformat=".1f",
        range=[max(0.0, lo_all - 0.15 * span), 100.0 + 0.05 * span],
        row=1,
        col=1,
    )
    d = summary["unplanned_downtime_h_per_year"].to_numpy(dtype=float)
    dlo = summary["unplanned_downtime_h_per_year_ci_low"].to_numpy(dtype=float)
    dhi = summary["unplanned_downtime_h_per_year_ci_high"].to_numpy(dtype=float)
    fig.add_trace(
        go.Bar(
            x=x,
            y=d,
            marker={"color": colours},
            error_y=_err(d, np.maximum(dlo, 0.0), dhi),
            customdata=np.column_stack([dlo, dhi]),
            hovertemplate="Unplanned downtime %{y:,.0f} h per year<br>95% CI "
            "%{customdata[0]:,.0f} to %{customdata[1]:,.0f} h<extra></extra>",
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    fig.update_yaxes(
        title_text="Unplanned downtime, h per year (all units)",
        tickformat=",.0f",
        range=[0.0, _headroom(d, dhi)],
        row=1,
        col=2,
    )
    fig.update_layout(bargap=0.35)
    fig = _layout(fig, height=440, legend=False)
    fig.update_layout(margin_t=70)
    return fig


def failures_chart(summary: pd.DataFrame, baseline: str | None = None) -> Figure:
    """Failures and preventive actions per year per strategy, with 95% CIs.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`optimizer.report.data.strategy_summary`.
    baseline : str, optional
        Strategy marked as current practice.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    strategies = summary["strategy"].tolist()
    x = _tick_labels(strategies, baseline)
    colours = [strategy_colour(s, strategies) for s in strategies]
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("Failures", "Preventive replacements"),
        horizontal_spacing=0.12,
    )
    for col, (key, what) in enumerate(
        [("failures_per_year", "Failures"), ("preventive_actions_per_year", "Preventive actions")],
        start=1,
    ):
        y = summary[key].to_numpy(dtype=float)
        lo = summary[f"{key}_ci_low"].to_numpy(dtype=float)
        hi = summary[f"{key}_ci_high"].to_numpy(dtype=float)
        fig.add_trace(
            go.Bar(
                x=x,
                y=y,
                marker={"color": colours},
                error_y=_err(y, np.maximum(lo, 0.0), hi),
                customdata=np.column_stack([lo, hi]),
                hovertemplate=f"{what} %{{y:,.1f}} per year<br>95% CI %{{customdata[0]:,.1f}} "
                "to %{customdata[1]:,.1f}<extra></extra>",
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(
            title_text=f"{what} per year (fleet)",
            tickformat=",.0f" if np.nanmax(y, initial=0.0) >= 10 else ",.1f",
            range=[0.0, _headroom(y, hi)],
            row=1,
            col=col,
        )
    fig.update_layout(bargap=0.35)
    fig = _layout(fig, height=440, legend=False)
    fig.update_layout(margin_t=70)
    return fig


def paired_chart(paired: pd.DataFrame, currency: str) -> Figure:
    """Paired differences against the baseline, oriented so that right is better.

    Three panels: saving per year (baseline minus strategy cost), availability gain in
    percentage points, failures avoided per year; each with its 95% CI. A filled marker
    is a real difference (the interval excludes 0), a hollow one is noise.

    Parameters
    ----------
    paired : pandas.DataFrame
        :func:`optimizer.report.data.paired_frame`.
    currency : str
        ISO 4217 code.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    strategies = list(dict.fromkeys(paired["strategy"].tolist()))
    baseline = str(paired["baseline"].iloc[0]) if len(paired) else ""
    ylab = [strategy_label(s) for s in strategies]
    sav = paired[paired["kpi"] == "cost_total"].set_index("strategy").reindex(strategies)
    div, word = money_scale(
        float(np.nanmax(np.abs(sav[["ci_low", "ci_high"]].to_numpy(dtype=float)), initial=0.0))
    )
    unit = f"{word} {currency}".strip()
    # (kpi, sign so that positive is better, plot divisor, panel title, number format, unit)
    panels = [
        ("cost_total", -1.0, div, f"Saving, {unit} per year", ",.0f", f" {currency}"),
        ("availability_fleet", 100.0, 1.0, "Availability gain, percentage points", ",.2f", " pp"),
        ("failures", -1.0, 1.0, "Failures avoided per year", ",.1f", ""),
    ]
    fig = make_subplots(
        rows=1,
        cols=3,
        shared_yaxes=True,
        horizontal_spacing=0.05,
        subplot_titles=[p[3] for p in panels],
    )
    colours = [strategy_colour(s, strategies) for s in strategies]
    for col, (kpi, sign, scale, _title, fmt, suffix) in enumerate(panels, start=1):
        df = paired[paired["kpi"] == kpi].set_index("strategy").reindex(strategies)
        m = df["difference"].to_numpy(dtype=float) * sign
        a = df["ci_low"].to_numpy(dtype=float) * sign
        b = df["ci_high"].to_numpy(dtype=float) * sign
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        sig = df["significant"].fillna(False).to_numpy(dtype=bool)
        fig.add_trace(
            go.Scatter(
                x=m / scale,
                y=ylab,
                mode="markers",
                marker={
                    "size": 12,
                    "color": [c if s else "white" for c, s in zip(colours, sig, strict=True)],
                    "line": {"color": colours, "width": 2},
                    "symbol": "circle",
                },
                error_x=_err(m / scale, lo / scale, hi / scale),
                customdata=[
                    [
                        float(mi),
                        float(li),
                        float(hj),
                        "real difference" if si else "noise: CI includes 0",
                    ]
                    for mi, li, hj, si in zip(m, lo, hi, sig, strict=True)
                ],
                hovertemplate=f"%{{y}}: %{{customdata[0]:{fmt}}}{suffix}<br>95% CI "
                f"%{{customdata[1]:{fmt}}} to %{{customdata[2]:{fmt}}}{suffix}<br>"
                "%{customdata[3]}<extra></extra>",
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        fig.add_vline(x=0, line={"color": "#999", "width": 1, "dash": "dot"}, row=1, col=col)
        # Auto ticks for small numbers; the cost panel needs thousands separators.
        fig.update_xaxes(
            tickformat=fmt if kpi == "cost_total" else None, zeroline=False, row=1, col=col
        )
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    fig.add_annotation(
        text=(
            f"Against {strategy_label(baseline).lower()} (current practice); right of the "
            "dotted line is better. Filled: real difference (95% CI excludes 0); hollow: noise."
        ),
        xref="paper",
        yref="paper",
        x=0.0,
        y=-0.16,
        showarrow=False,
        xanchor="left",
        font={"size": 12, "color": "#555"},
    )
    height = 170 + 46 * max(len(strategies), 1)
    fig = _layout(fig, height=height, legend=False)
    fig.update_layout(margin={"l": 130, "r": 30, "t": 70, "b": 70})
    return fig


def twin_value_chart(
    twin: pd.DataFrame,
    currency: str,
    references: Mapping[str, float] | None = None,
    current_practice: str | None = None,
) -> Figure:
    """Expected cost per year of a strategy against the twin's accuracy.

    Parameters
    ----------
    twin : pandas.DataFrame
        :func:`optimizer.report.data.twin_value_frame`.
    currency : str
        ISO 4217 code.
    references : mapping of str to float, optional
        Strategy name -> its cost per year, drawn as dashed horizontal lines (e.g. the
        current practice and the best strategy that needs no twin).
    current_practice : str, optional
        The baseline strategy, labelled as the current practice.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    strategy = str(twin["strategy"].iloc[0])
    refs = dict(references or {})
    allv = np.concatenate(
        [twin["cost_per_year_ci_high"].to_numpy(dtype=float), np.asarray(list(refs.values()))]
    )
    div, word = money_scale(float(np.nanmax(allv, initial=0.0)))
    unit = f"{word} {currency}".strip()
    x = [
        a.capitalize() + (" (scenario)" if cur else "")
        for a, cur in zip(twin["twin_accuracy"], twin["current"], strict=True)
    ]
    y = twin["cost_per_year"].to_numpy(dtype=float)
    lo = twin["cost_per_year_ci_low"].to_numpy(dtype=float)
    hi = twin["cost_per_year_ci_high"].to_numpy(dtype=float)
    colour = strategy_colour(strategy)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            name=f"{strategy_label(strategy)}, 95% CI",
            x=x,
            y=y / div,
            mode="lines+markers",
            line={"color": colour, "width": 2},
            marker={
                "size": [15 if c else 11 for c in twin["current"]],
                "color": colour,
                "line": {"color": "#222", "width": 1},
            },
            error_y=_err(y / div, lo / div, hi / div),
            customdata=np.column_stack([y, lo, hi]),
            hovertemplate=(
                "Twin %{x}: %{customdata[0]:,.0f} " + currency + " per year<br>95% CI "
                "%{customdata[1]:,.0f} to %{customdata[2]:,.0f}<extra></extra>"
            ),
        )
    )
    for name, value in refs.items():
        if not math.isfinite(value):
            continue
        fig.add_trace(
            go.Scatter(
                name=f"{strategy_label(name)}"
                + (" (current practice)" if name == current_practice else " (uses no twin)"),
                x=[x[0], x[-1]],
                y=[value / div, value / div],
                mode="lines",
                line={"color": strategy_colour(name), "width": 2, "dash": "dash"},
                hovertemplate=f"{strategy_label(name)}: {value:,.0f} {currency} per year"
                "<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="Accuracy of the digital twin's remaining-life prediction")
    fig.update_yaxes(title_text=f"Expected cost, {unit} per year", tickformat=",.0f")
    fig = _layout(fig, height=440)
    fig.update_layout(margin_t=80)
    return fig


# --------------------------------------------------------------------------------------
# plan
# --------------------------------------------------------------------------------------
def _naive(ts: str) -> datetime:
    """Wall-clock time of an RFC 3339 stamp: plotly date axes have no time zones."""
    return datetime.fromisoformat(ts).replace(tzinfo=None)


def _short(component: str, asset: str) -> str:
    """Component id without its asset prefix (``WF-N-T03-GBX`` on ``WF-N-T03`` -> ``GBX``)."""
    return component[len(asset) + 1 :] if component.startswith(asset + "-") else component


def gantt_chart(result: PlanResult, *, max_rows: int = 60) -> Figure:
    """Work-order timeline: a row per job grouped by unit, coloured by shutdown group,
    with the technicians each skill has assigned below.

    Parameters
    ----------
    result : PlanResult
        A solved plan.
    max_rows : int
        Above this many work orders, rows are units (jobs of a shutdown overlap).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    pb = result.built.problem
    orders = sorted(result.orders, key=lambda w: (w.asset_id, w.scheduled_start, w.component_id))
    # The axis is the site's wall clock (work orders carry local times).
    last_end = pb.period_start(pb.n_periods - 1) + pd.Timedelta(hours=pb.period_h)
    horizon_end = pb.local(last_end).replace(tzinfo=None)
    start0 = pb.local(pb.start).replace(tzinfo=None)
    by_row = len(orders) <= max_rows
    n_rows = len(orders) if by_row else len({w.asset_id for w in orders})
    # Geometry in pixels, so a plan with 3 jobs and one with 60 both read well.
    top_px, gap_px, crew_px = max(150, 24 * n_rows + 20), 75, 150
    plot_px = top_px + gap_px + crew_px
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[top_px / (top_px + crew_px), crew_px / (top_px + crew_px)],
        vertical_spacing=gap_px / plot_px,
        subplot_titles=("Work orders by unit, coloured by shutdown", "Technicians assigned"),
    )
    if not orders:
        fig.add_annotation(
            text="No work orders in the horizon",
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.6,
            showarrow=False,
            font={"size": 14},
        )
        fig.update_xaxes(range=[start0, horizon_end], type="date")
        return _layout(fig, height=300, legend=False)
    groups = list(
        dict.fromkeys(w.group_id for w in sorted(orders, key=lambda w: w.scheduled_start))
    )
    gcol = {g: GROUP_PALETTE[i % len(GROUP_PALETTE)] for i, g in enumerate(groups)}
    starts = [_naive(w.scheduled_start) for w in orders]
    finishes = [_naive(w.scheduled_finish) for w in orders]
    dur_ms = [(f - s).total_seconds() * 1000.0 for s, f in zip(starts, finishes, strict=True)]
    if by_row:
        y: Any = [
            [w.asset_id for w in orders],
            [_short(w.component_id, w.asset_id) for w in orders],
        ]
    else:
        y = [w.asset_id for w in orders]
    cur = pb.currency
    custom = [
        [
            w.id,
            w.component_id,
            w.group_id,
            f"{s:%Y-%m-%d %H:%M}",
            f"{f:%Y-%m-%d %H:%M}",
            f"{w.duration_h:,.0f}",
            "; ".join(f"{x.skill} × {x.qty}" for x in w.labor) or "none",
            "; ".join(f"{m.part_id} × {m.qty}" for m in w.materials) or "none",
            f"{w.expected_cost:,.0f} {cur}",
            f"{100 * w.p_fail_before_start:.1f}%",
            "<br>".join("• " + _wrap(r, 90) for r in w.reasons),
        ]
        for w, s, f in zip(orders, starts, finishes, strict=True)
    ]
    hover = (
        "<b>%{customdata[0]}</b><br>%{customdata[1]} in shutdown %{customdata[2]}<br>"
        "%{customdata[3]} to %{customdata[4]} (%{customdata[5]} h of work)<br>"
        "Crew: %{customdata[6]}; parts: %{customdata[7]}<br>"
        "Expected cost %{customdata[8]}; P(fail before start) %{customdata[9]}<br>"
        "<b>Why this date</b><br>%{customdata[10]}<extra></extra>"
    )
    colours = [gcol[w.group_id] for w in orders]
    fig.add_trace(
        go.Bar(
            orientation="h",
            base=[s.isoformat() for s in starts],
            x=dur_ms,
            y=y,
            marker={"color": colours, "line": {"color": colours, "width": 3}},
            customdata=custom,
            hovertemplate=hover,
            showlegend=False,
            width=0.6,
        ),
        row=1,
        col=1,
    )
    # A bar of a few hours is a sliver on a year's axis: mark every start as well.
    fig.add_trace(
        go.Scatter(
            x=[s.isoformat() for s in starts],
            y=y,
            mode="markers",
            marker={
                "symbol": "diamond",
                "size": 11,
                "color": colours,
                "line": {"color": "#222", "width": 0.8},
            },
            customdata=custom,
            hovertemplate=hover,
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    _crew_load(fig, orders, starts, finishes)
    height = plot_px + 70 + 100
    fig.update_yaxes(autorange="reversed", row=1, col=1, tickfont={"size": 11})
    fig.update_yaxes(title_text="technicians", rangemode="tozero", tickformat=",d", row=2, col=1)
    last = max(finishes)
    fig.update_xaxes(type="date", range=[start0, max(horizon_end, last)], row=2, col=1)
    fig.update_xaxes(
        type="date",
        showticklabels=True,
        rangeselector={
            "buttons": [
                {"count": 1, "label": "1 month", "step": "month", "stepmode": "todate"},
                {"count": 3, "label": "3 months", "step": "month", "stepmode": "todate"},
                {"step": "all", "label": "whole horizon"},
            ],
            "x": 0.0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
        },
        row=1,
        col=1,
    )
    fig.update_layout(bargap=0.3, hovermode="closest")
    fig = _layout(fig, height=height, legend=True)
    fig.update_layout(
        margin={"l": 40, "r": 30, "t": 70, "b": 100},
        legend={"orientation": "h", "yanchor": "top", "y": -60 / plot_px, "x": 0.0},
    )
    return fig


def _wrap(text: str, width: int) -> str:
    """Break a long reason into lines for the hover box."""
    words = text.split()
    lines: list[str] = []
    cur = ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return "<br>  ".join(lines)


def _crew_load(
    fig: Figure, orders: Sequence[Any], starts: Sequence[datetime], finishes: Sequence[datetime]
) -> None:
    """Step curve of technicians assigned per skill (from start to finish of each job)."""
    by_skill: dict[str, tuple[list[datetime], list[int]]] = {}
    for w, s, f in zip(orders, starts, finishes, strict=True):
        for lab in w.labor:
            t, d = by_skill.setdefault(lab.skill, ([], []))
            t += [s, f]
            d += [lab.qty, -lab.qty]
    palette = ("#333333", "#8c564b", "#1f77b4", "#d62728", "#9467bd", "#2ca02c")
    for k, (skill, (times, deltas)) in enumerate(sorted(by_skill.items())):
        order = np.argsort(np.array(times, dtype="datetime64[s]"), kind="stable")
        t_sorted = np.array(times, dtype="datetime64[s]")[order]
        level = np.cumsum(np.array(deltas)[order])
        xs = [str(t_sorted[0])] + [str(v) for v in t_sorted]
        ys = [0, *level.tolist()]
        fig.add_trace(
            go.Scatter(
                name=skill,
                x=xs,
                y=ys,
                mode="lines",
                line={"shape": "hv", "width": 1.5, "color": palette[k % len(palette)]},
                hovertemplate=f"{skill}: %{{y}} technicians from %{{x|%Y-%m-%d %H:%M}}"
                "<extra></extra>",
                legendgroup="crew",
                legendgrouptitle={"text": "Technicians by skill:"} if k == 0 else None,
            ),
            row=2,
            col=1,
        )


def risk_chart(risk: RiskResult, *, max_rows: int = 20) -> Figure:
    """Production at risk of the highest-ranked systems, coloured and labelled by P(down).

    Parameters
    ----------
    risk : RiskResult
        :func:`optimizer.risk.system_risk`.
    max_rows : int
        Systems shown (the first of the ranking).

    Returns
    -------
    plotly.graph_objects.Figure
        Horizontal bars (rank 1 on top); hover: P(down), health, method, top drivers.
    """
    shown = list(risk.systems[:max_rows])[::-1]
    loss = np.array([s.expected_loss for s in shown], dtype=float)
    p = np.array([s.p_down for s in shown], dtype=float)
    drivers = [
        ", ".join(f"{d.component_id} ({d.importance:.2f})" for d in s.drivers[:3]) for s in shown
    ]
    # colour by P(down) on a fixed yellow-orange-red scale (0% to the largest shown)
    top = max(float(np.max(p, initial=0.0)), 1e-12)
    colours = sample_colorscale("YlOrRd", list(np.clip(0.15 + 0.85 * p / top, 0.0, 1.0)))
    fig = go.Figure(
        go.Bar(
            x=loss,
            y=[f"{s.rank}. {s.system_id}" for s in shown],
            orientation="h",
            marker={"color": colours},
            text=[f"P(down) {100 * x:.1f}%" for x in p],
            textposition="auto",
            customdata=[
                [100.0 * float(x), s.health, s.method, d]
                for x, s, d in zip(p, shown, drivers, strict=True)
            ],
            hovertemplate=f"%{{y}}<br>at risk %{{x:,.0f}} {risk.currency}<br>"
            "P(down) %{customdata[0]:.2f}%, health %{customdata[1]:.1f}<br>"
            "%{customdata[2]}<br>drivers: %{customdata[3]}<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_xaxes(title_text=f"Production at risk in {risk.days:g} days ({risk.currency})")
    fig.update_xaxes(tickformat=",.0f")
    return _layout(fig, height=max(260, 60 + 26 * len(shown)), legend=False)
