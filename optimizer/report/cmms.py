"""HTML reports of the CMMS commands: life-data fits (``opportune fit --report``, with a
Weibull probability plot per group) and fleet benchmarking (``opportune benchmark
--report``)."""

from __future__ import annotations

import html as _html
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go  # type: ignore[import-untyped]

from optimizer.reliability.fitting import median_rank_points
from optimizer.report.data import software_versions
from optimizer.report.html import Chart, Section, Table, render_page, trusted

if TYPE_CHECKING:
    from optimizer.cmms.benchmark import BenchmarkResult
    from optimizer.cmms.history import GroupFit, History

__all__ = ["benchmark_report_html", "fit_report_html", "write_cmms_report"]


def _h(x: float) -> str:
    return "–" if not np.isfinite(x) else f"{x:,.0f}"


def benchmark_report_html(result: BenchmarkResult, *, source: str) -> str:
    """The benchmarking report: method, under-performers with evidence, every group."""
    rows = [
        [
            r.type,
            r.group,
            "UNDER-PERFORMER" if r.flagged else ("differs" if r.differs else "in line"),
            str(r.n_failures),
            str(r.n_censored),
            f"{_h(r.mean_life_h)} ({_h(r.mean_life_ci_h[0])}–{_h(r.mean_life_ci_h[1])})",
            f"{_h(r.rest_mean_life_h)} ({_h(r.rest_mean_life_ci_h[0])}–"
            f"{_h(r.rest_mean_life_ci_h[1])})",
            _h(r.fleet_mean_life_h),
            "–" if not np.isfinite(r.p_value) else f"{r.p_value:.3g}",
            r.note,
        ]
        for r in result.rows
    ]
    table = Table(
        columns=[
            "Type",
            result.by.capitalize(),
            "Verdict",
            "Failures",
            "Censored",
            "Mean life h (95%)",
            "Rest of fleet h (95%)",
            "Fleet h",
            "p-value",
            "Evidence",
        ],
        rows=rows,
        align=["l", "l", "l", "r", "r", "r", "r", "r", "r", "l"],
        empty="No groups.",
    )
    n_flag = len(result.flagged)
    lead = trusted(
        f"<p><b>{n_flag}</b> under-performing {_html.escape(result.by)}(s) flagged among "
        f"{len(result.rows)} groups (false-alarm rate {result.alpha:g} per type).</p>"
    )
    v = software_versions().get("opportune", "?")
    return render_page(
        title="Fleet benchmarking",
        subtitle=f"History {source} · generated {datetime.now().astimezone():%Y-%m-%d %H:%M}",
        lead=lead,
        sections=[
            Section(id="method", title="Method", intro=result.method),
            Section(id="groups", title="Groups", tables=[table], css_class="long"),
        ],
        footer=f"Opportune {v}",
        generator=f"Opportune {v}",
    )


def _probability_plot(fit: GroupFit, history: History, by: str, idx: int) -> Chart | None:
    col = "asset_id" if by == "asset" else by
    g = history.lives[history.lives[col].astype(str) == fit.key]
    b = fit.best
    if b is None:
        return None
    t, f_hat = median_rank_points(g["hours"].to_numpy(float), g["failed"].to_numpy(bool))
    dist = b.distribution()
    grid = np.geomspace(float(t.min()) * 0.5, float(t.max()) * 2.0, 60)
    cdf = np.clip(np.asarray(dist.cdf(grid), dtype=float), 1e-9, 1 - 1e-9)

    def ww(p: Any) -> Any:
        return np.log(-np.log1p(-np.asarray(p)))

    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t, y=ww(f_hat), mode="markers", name="failures (median ranks)"))
    fig.add_trace(go.Scatter(x=grid, y=ww(cdf), mode="lines", name=f"fitted {b.family}"))
    fig.update_xaxes(type="log", title="life, h")
    fig.update_yaxes(title="log(-log(1 - F))  (Weibull paper)")
    fig.update_layout(height=320, margin={"l": 60, "r": 20, "t": 30, "b": 50})
    return Chart(figure=fig, id=f"pp-{idx}")


def fit_report_html(fits: list[GroupFit], history: History, *, by: str) -> str:
    """The fit report: a table of fits (parameters, intervals, AIC per family, warnings)
    and a Weibull probability plot per fitted group."""
    rows = []
    for g in fits:
        d = g.as_dict()
        params = ", ".join(
            f"{k} {v:,.4g} ({d['ci95'][k][0]:,.4g}–{d['ci95'][k][1]:,.4g})"
            for k, v in d.get("params", {}).items()
        )
        aic = ", ".join(f"{k} {v:,.1f}" for k, v in d["aic"].items())
        rows.append(
            [g.key, g.chosen or "–", str(g.n_failures), str(g.n_censored), params, aic,
             "; ".join(g.warnings)]
        )  # fmt: skip
    charts = [
        c for i, g in enumerate(fits) if (c := _probability_plot(g, history, by, i)) is not None
    ]
    v = software_versions().get("opportune", "?")
    return render_page(
        title="Life-data fits",
        subtitle=f"History {history.source} · as of {history.as_of}",
        lead=trusted(f"<p>{len(fits)} group(s) by {_html.escape(by)}.</p>"),
        sections=[
            Section(
                id="fits",
                title="Fits",
                intro="Maximum likelihood with right censoring; 95% Wald intervals; lower AIC "
                "is better.",
                tables=[
                    Table(
                        columns=["Group", "Family", "Failures", "Censored", "Parameters (95%)",
                                 "AIC", "Warnings"],
                        rows=rows,
                    )
                ],
            ),
            Section(
                id="plots",
                title="Probability plots",
                intro="Failures at their median ranks (Johnson's adjustment for censoring) "
                "on Weibull paper, with the fitted distribution: " + ", ".join(
                    g.key for g in fits if g.best is not None
                ),
                charts=charts,
            ),
        ],
        footer=f"Opportune {v}",
        generator=f"Opportune {v}",
    )  # fmt: skip


def write_cmms_report(html: str, path: str | Path) -> Path:
    """Write a report page."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
