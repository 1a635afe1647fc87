"""The management report: ``opportune compare FILE --report report.html``.

What it shows, top to bottom: the recommendation in one quotable sentence (expected
annual cost, availability and saving against current practice, each with its 95%
confidence interval); cost per strategy by category; availability and unplanned
downtime; failures and preventive actions; the paired differences against the baseline
(which savings are real and which are noise); the value of the digital twin (cost of the
prescriptive strategy against the twin's accuracy); the plan and the next 30 days of
work orders; the assumptions and versions for reproduction.
"""

from __future__ import annotations

import html as _html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from optimizer.report import data
from optimizer.report.charts import (
    availability_downtime_chart,
    cost_chart,
    failures_chart,
    paired_chart,
    twin_value_chart,
)
from optimizer.report.export import neutralise_frame, write_csv, write_xlsx
from optimizer.report.formatting import (
    fmt_count,
    fmt_hours,
    fmt_money,
    fmt_money_range,
    fmt_pct,
    strategy_colour,
    strategy_label,
)
from optimizer.report.html import (
    Chart,
    Html,
    Section,
    Table,
    csv_download_link,
    render_page,
    trusted,
)
from optimizer.report.plan_report import NEXT_DAYS, assumptions_section, plan_sections

if TYPE_CHECKING:
    from optimizer.planning.pipeline import PlanResult
    from optimizer.scenario import Scenario
    from optimizer.sim.simulate import Comparison
    from optimizer.sim.twin_study import TwinStudy

__all__ = [
    "CompareReport",
    "compare_report",
    "compare_tables",
    "write_compare_report",
]

PLAN_STRATEGY = "prescriptive"
"""The strategy whose decisions the plan is (named in the plan section's title)."""

NO_TWIN_STRATEGIES: tuple[str, ...] = ("run-to-failure", "fixed-interval", "optimal-age")
"""Strategies that do not read the twin (reference lines in the twin chart)."""


@dataclass(frozen=True)
class CompareReport:
    """The rendered report and the tables behind it.

    ``tables`` maps sheet names to the tables of the Excel workbook;
    ``tables["All KPIs"]`` is the content of ``comparison.csv``.
    """

    html: str
    tables: dict[str, pd.DataFrame]


def compare_tables(
    scn: Scenario,
    cmp: Comparison,
    *,
    plan: PlanResult | None = None,
    twin: TwinStudy | None = None,
    scenario_file: str | None = None,
    generated_at: datetime | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table of the comparison report, keyed by Excel sheet name.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``Summary``, ``Cost by category``, ``Paired differences``, ``Twin value`` (if
        computed), ``Campaign resources`` (if the scenario has any), ``All KPIs``
        (= ``comparison.csv``), the plan's ``Work orders``, ``Next 30 days`` and
        ``Shutdowns`` (if a plan is given) and ``Assumptions``.
    """
    tables: dict[str, pd.DataFrame] = {
        "Summary": data.strategy_summary(cmp),
        "Cost by category": data.cost_breakdown_frame(cmp),
        "Paired differences": data.paired_frame(cmp),
    }
    if twin is not None:
        tables["Twin value"] = data.twin_value_frame(twin)
    if scn.resources:
        tables["Campaign resources"] = data.resources_frame(cmp)
    tables["All KPIs"] = data.comparison_long(cmp)
    if plan is not None:
        tables["Work orders"] = data.work_orders_frame(plan)
        tables[f"Next {NEXT_DAYS:g} days"] = data.next_work_orders(plan, NEXT_DAYS)
        tables["Shutdowns"] = data.groups_frame(plan)
    tables["Assumptions"] = data.assumptions_frame(
        scn, result=plan, cmp=cmp, scenario_file=scenario_file, generated_at=generated_at
    )
    return tables


# --------------------------------------------------------------------------------------
# page parts
# --------------------------------------------------------------------------------------
def _kpi(label: str, value: str, ci: str = "") -> str:
    ci_html = f'<div class="ci">{_html.escape(ci)}</div>' if ci else ""
    return (
        f'<div class="kpi"><div class="label">{_html.escape(label)}</div>'
        f'<div class="value">{_html.escape(value)}</div>{ci_html}</div>'
    )


def _lead(h: data.Headline, download: Html) -> Html:
    cur = h.currency
    notes = "".join(f"<li>{_html.escape(n)}</li>" for n in h.notes)
    saving_label = f"Saving per year vs {strategy_label(h.baseline).lower()}"
    if h.recommended == h.baseline:
        saving_value, saving_ci = "none", "the current practice is the cheapest"
    else:
        saving_value = fmt_money(h.saving_per_year[0], cur)
        saving_ci = "95% CI " + fmt_money_range(h.saving_per_year[1], h.saving_per_year[2], cur)
        if not h.saving_significant:
            saving_ci += " (not significant)"
    cards = "".join(
        [
            _kpi("Recommended strategy", strategy_label(h.recommended)),
            _kpi(
                "Expected cost per year",
                fmt_money(h.cost_per_year[0], cur),
                "95% CI " + fmt_money_range(h.cost_per_year[1], h.cost_per_year[2], cur),
            ),
            _kpi(
                "Fleet availability",
                fmt_pct(h.availability[0], 2),
                f"95% CI {fmt_pct(h.availability[1], 2)} to {fmt_pct(h.availability[2], 2)}",
            ),
            _kpi(saving_label, saving_value, saving_ci),
        ]
    )
    return trusted(
        f'<div class="headline"><p class="sentence">{_html.escape(h.sentence)}</p>'
        f'<ul>{notes}</ul></div><div class="kpis">{cards}</div><p>{download}</p>'
    )


def _swatch(name: str, order: Sequence[str], baseline: str) -> Html:
    label = strategy_label(name) + (" (current)" if name == baseline else "")
    return trusted(
        f'<span class="swatch" style="background:{strategy_colour(name, order)}"></span>'
        f"{_html.escape(label)}"
    )


def _ci(lo: float, hi: float, fmt: Callable[[float], str]) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a"
    return f"{fmt(lo)} to {fmt(hi)}"


def _badge(significant: bool, better: bool, identical: bool = False) -> Html:
    if identical:
        return trusted('<span class="badge noise">same</span>')
    if not significant:
        return trusted('<span class="badge noise">noise</span>')
    cls, word = ("real", "real") if better else ("worse", "worse")
    return trusted(f'<span class="badge {cls}">{word}</span>')


def _num(v: float, *, signed: bool = False) -> str:
    """A number at a precision that suits its size; never ``-0``; ``n/a`` if not finite.

    Whole numbers from 100, one decimal from 1, two significant figures below (in fixed
    point), ``0`` below one millionth.
    """
    if not math.isfinite(v):
        return "n/a"
    a = abs(v)
    r: float
    if a >= 100:
        r = float(round(v))
        text = f"{abs(r):,.0f}"
    elif a >= 1:
        r = round(v, 1)
        text = f"{abs(r):,.1f}"
    elif a >= 1e-6:
        # Two significant figures in fixed point (no "1e-05").
        decimals = 1 - math.floor(math.log10(a))
        text = f"{a:.{decimals}f}"
        r = float(text) * (1 if v > 0 else -1)
    else:
        r, text = 0.0, "0"
    if r == 0:
        return "0"
    sign = "-" if r < 0 else ("+" if signed else "")
    return sign + text


def _summary_table(summary: pd.DataFrame, cur: str, baseline: str) -> Table:
    order = summary["strategy"].tolist()

    def money0(v: float) -> str:
        return _num(v)

    rows = []
    for r in summary.to_dict("records"):
        is_base = r["strategy"] == baseline
        rows.append(
            [
                _swatch(r["strategy"], order, baseline),
                money0(r["cost_per_year"]),
                _ci(r["cost_per_year_ci_low"], r["cost_per_year_ci_high"], money0),
                fmt_pct(r["availability"], 2),
                fmt_hours(r["unplanned_downtime_h_per_year"]),
                fmt_count(r["failures_per_year"]),
                fmt_count(r["preventive_actions_per_year"]),
                "baseline" if is_base else money0(r["saving_per_year"]),
                ""
                if is_base
                else _ci(r["saving_per_year_ci_low"], r["saving_per_year_ci_high"], money0),
                ""
                if is_base
                else _badge(
                    bool(r["saving_significant"]),
                    r["saving_per_year"] > 0,
                    r["saving_per_year_ci_low"] == r["saving_per_year_ci_high"] == 0,
                ),
            ]
        )
    return Table(
        columns=[
            "Strategy",
            f"Cost {cur}/year",
            "95% CI",
            "Availability",
            "Unplanned downtime /year",
            "Failures /year",
            "Preventive actions /year",
            f"Saving {cur}/year",
            "95% CI",
            "",
        ],
        rows=rows,
        align=["l", "r", "r", "r", "r", "r", "r", "r", "r", "l"],
    )


_BETTER_WAY: dict[str, tuple[float, str, str]] = {
    # kpi -> (sign that makes "positive = better", row label, unit)
    "cost_total": (-1.0, "Total cost saved", "{cur}/year"),
    "cost_preventive": (-1.0, "Preventive cost saved", "{cur}/year"),
    "cost_corrective": (-1.0, "Corrective cost saved", "{cur}/year"),
    "cost_setup": (-1.0, "Set-up cost saved", "{cur}/year"),
    "cost_lost_production": (-1.0, "Lost production saved", "{cur}/year"),
    "cost_labour": (-1.0, "Labour cost saved", "{cur}/year"),
    "availability_fleet": (100.0, "Availability gained", "percentage points"),
    "downtime_unplanned_h": (-1.0, "Unplanned downtime avoided", "h/year"),
    "failures": (-1.0, "Failures avoided", "per year"),
    "preventive_replacements": (1.0, "Extra preventive actions", "per year"),
}


def _paired_table(paired: pd.DataFrame, cur: str) -> Table:
    """Measures down, strategies across; every cell oriented so that positive is better."""
    strategies = list(dict.fromkeys(paired["strategy"].tolist()))
    kpis = [k for k in _BETTER_WAY if k in set(paired["kpi"])]
    by = {(r["strategy"], r["kpi"]): r for r in paired.to_dict("records")}
    rows = []
    for kpi in kpis:
        sign, label, unit = _BETTER_WAY[kpi]
        row = [f"{label}, {unit.format(cur=cur)}"]
        for s in strategies:
            r = by.get((s, kpi))
            if r is None:
                row.append("")
                continue
            m = float(r["difference"]) * sign
            a, b = float(r["ci_low"]) * sign, float(r["ci_high"]) * sign
            lo, hi = min(a, b), max(a, b)
            identical = lo == hi == 0
            # More preventive work is a means, not an end: no verdict colour.
            badge = (
                trusted(
                    '<span class="badge noise">'
                    + ("real" if r["significant"] else "noise")
                    + "</span>"
                )
                if kpi == "preventive_replacements"
                else _badge(bool(r["significant"]), m > 0, identical)
            )
            ci = "" if identical else f"{_num(lo, signed=True)} to {_num(hi, signed=True)}"
            row.append(
                trusted(
                    f"{_html.escape(_num(m, signed=True))} {badge[1:]}"
                    + (f'<br><span class="note">{_html.escape(ci)}</span>' if ci else "")
                )
            )
        rows.append(row)
    return Table(
        columns=["Change against the baseline", *[strategy_label(s) for s in strategies]],
        rows=rows,
        align=["l", *["r"] * len(strategies)],
        widths=["20%", *[""] * len(strategies)],
        caption="Positive is better; second line: 95% confidence interval",
    )


def _twin_section(tv: TwinStudy | None, cmp: Comparison, cur: str) -> Section:
    intro = (
        "What a better digital twin is worth: the expected annual cost of the prescriptive "
        "strategy when the twin's remaining-life predictions are absent (none), poor, good or "
        "perfect, all else equal (same failures in every replication). Dashed lines: "
        "strategies that do not use the twin."
    )
    if tv is None:
        return Section(
            id="twin",
            title="Value of the digital twin",
            intro=intro,
            notes=[
                "Not computed: the comparison has no prescriptive strategy, or the twin study "
                "was switched off."
            ],
        )
    frame = data.twin_value_frame(tv)
    years = data._years(cmp)
    refs = {
        s: cmp.results[s].kpis["cost_total"].mean / years
        for s in NO_TWIN_STRATEGIES
        if s in cmp.results
    }
    # Only the current practice and the cheapest no-twin strategy: more lines clutter.
    keep = {cmp.baseline} | ({min(refs, key=refs.__getitem__)} if refs else set())
    refs = {s: v for s, v in refs.items() if s in keep}
    if cmp.baseline not in refs and cmp.baseline in cmp.results:
        refs[cmp.baseline] = cmp.results[cmp.baseline].kpis["cost_total"].mean / years
    rows = [
        [
            str(r["twin_accuracy"]).capitalize() + (" (scenario)" if r["current"] else ""),
            _num(r["cost_per_year"]),
            _ci(r["cost_per_year_ci_low"], r["cost_per_year_ci_high"], _num),
            fmt_pct(r["availability"], 2),
            fmt_count(r["failures_per_year"]),
        ]
        for r in frame.to_dict("records")
    ]
    notes = []
    by = frame.set_index("twin_accuracy")["cost_per_year"]
    if "none" in by and tv.current in by and tv.current != "none":
        value = float(by["none"] - by[tv.current])
        what = "saves" if value >= 0 else "costs"
        notes.append(
            f"With the scenario's '{tv.current}' twin, the {strategy_label(tv.strategy).lower()} "
            f"strategy {what} {fmt_money(abs(value), cur)} a year against running it without "
            "twin predictions: an estimate of what the twin is worth for this fleet."
        )
    return Section(
        id="twin",
        title="Value of the digital twin",
        intro=intro,
        charts=[Chart(twin_value_chart(frame, cur, refs, cmp.baseline), "chart-twin")],
        tables=[
            Table(
                columns=[
                    "Twin accuracy",
                    f"Cost {cur}/year",
                    "95% CI",
                    "Availability",
                    "Failures /year",
                ],
                rows=rows,
                align=["l", "r", "r", "r", "r"],
                caption=f"{strategy_label(tv.strategy)} strategy",
            ),
            Table(
                columns=["Twin improves", f"Cost change {cur}/year", "Paired 95% CI", "Verdict"],
                rows=[
                    [
                        f"{a} -> {b}",
                        _num(e.mean / years),
                        _ci(e.ci_low / years, e.ci_high / years, _num),
                        (
                            ("saves" if e.mean < 0 else "costs more")
                            if (e.ci_high < 0 or e.ci_low > 0)
                            else "no significant difference"
                        ),
                    ]
                    for a, b, e in tv.steps()
                ],
                align=["l", "r", "r", "l"],
                caption=(
                    "Each step paired on the same replications (common random numbers):"
                    " the interval of the change itself, not two separate intervals"
                ),
            ),
        ],
        notes=notes,
    )


def _resources_section(frame: pd.DataFrame, cur: str) -> Section:
    """Campaign resources per strategy: mobilisations, charter days, cost, waits."""
    cols = [col for _, col in data.RESOURCE_KPIS]
    fmts: dict[str, Callable[[float], str]] = {
        "mobilisations_per_year": lambda v: f"{v:,.2f}",
        "charter_days_per_year": lambda v: f"{v:,.1f}",
        "cost_per_year": lambda v: f"{v:,.0f}",
        "wait_h_per_year": lambda v: f"{v:,.0f}",
    }
    rows = []
    for r in frame.to_dict("records"):
        row: list[str | Html] = [str(r["label"])]
        for col in cols:
            f = fmts[col]
            row.append(f"{f(r[col])} [{f(r[col + '_ci_low'])}, {f(r[col + '_ci_high'])}]")
        rows.append(row)
    table = Table(
        columns=[
            "strategy",
            "mobilisations / year",
            "charter days / year (paid)",
            f"resource cost / year, {cur}",
            "hours waited / year",
        ],
        rows=rows,
        align=["l", "r", "r", "r", "r"],
        caption="Mean [95% CI] per year over all campaign resources.",
    )
    return Section(
        id="resources",
        title="Campaign resources",
        intro=(
            "Vessels, cranes and specialist teams that work waits for: how often they are "
            "mobilised, the charter days paid (at least the minimum charter each time), "
            "their cost (mobilisations, day rates, fixed cost of owned ones; part of the "
            "total cost above) and the hours requests waited for them."
        ),
        tables=[table],
    )


def compare_report(
    scn: Scenario,
    cmp: Comparison,
    *,
    plan: PlanResult | None,
    twin: TwinStudy | None = None,
    scenario_file: str | None = None,
    generated_at: datetime | None = None,
) -> CompareReport:
    """Render the strategy comparison as one self-contained HTML page.

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
        Output of :func:`optimizer.sim.twin_study.run_twin_study`; without it the twin
        section says it was not computed.
    scenario_file : str, optional
        Path of the scenario file, shown in the assumptions.
    generated_at : datetime, optional
        Time stamp of the report (default now).

    Returns
    -------
    CompareReport

    Raises
    ------
    ValueError
        If the comparison holds no strategy.
    """
    if not cmp.results:
        raise ValueError("cmp: the comparison holds no strategy")
    when = generated_at or datetime.now().astimezone()
    cur = str(next(iter(cmp.results.values())).currency)
    tables = compare_tables(
        scn, cmp, plan=plan, twin=twin, scenario_file=scenario_file, generated_at=when
    )
    summary = tables["Summary"]
    h = data.headline(cmp)
    csv_text = neutralise_frame(tables["All KPIs"]).to_csv(index=False)
    download = csv_download_link(csv_text, "comparison.csv", "Download all numbers (CSV)")
    base = cmp.baseline
    secs: list[Section] = [
        Section(
            id="cost",
            title="Cost per strategy",
            intro=(
                f"Expected cost per year in {cur}, split by category; the diamond is the total "
                "with its 95% confidence interval (whiskers)."
            ),
            charts=[Chart(cost_chart(tables["Cost by category"], cur, base), "chart-cost")],
            tables=[_summary_table(summary, cur, base)],
        ),
        Section(
            id="availability",
            title="Availability and unplanned downtime",
            intro=(
                "Fleet availability (share of time the units can run; note the zoomed axis) "
                "and unplanned downtime per year over all units, with 95% CIs."
            ),
            charts=[Chart(availability_downtime_chart(summary, base), "chart-availability")],
        ),
        Section(
            id="failures",
            title="Failures and preventive actions",
            intro=(
                "Failures per year and preventive replacements per year over the fleet, with "
                "95% CIs: preventive work is how a strategy buys fewer failures."
            ),
            charts=[Chart(failures_chart(summary, base), "chart-failures")],
        ),
    ]
    if "Campaign resources" in tables:
        secs.append(_resources_section(tables["Campaign resources"], cur))
    paired = tables["Paired differences"]
    if len(paired):
        secs.append(
            Section(
                id="paired",
                title="Real savings or noise?",
                intro=(
                    f"Each strategy against {strategy_label(base).lower()} (current practice) on "
                    "the same simulated failures (common random numbers), so the intervals "
                    "measure the difference itself. A difference is real when its 95% interval "
                    "excludes zero; otherwise it cannot be told from simulation noise."
                ),
                charts=[Chart(paired_chart(paired, cur), "chart-paired")],
                tables=[_paired_table(paired, cur)],
                css_class="long",
            )
        )
    secs.append(_twin_section(twin, cmp, cur))
    plan_secs = plan_sections(plan, id_prefix="plan") if plan is not None else []
    if plan_secs:
        first = plan_secs[0]
        plan_secs[0] = Section(
            id=first.id,
            title=f"The plan ({strategy_label(PLAN_STRATEGY).lower()} strategy)",
            intro=first.intro,
            charts=first.charts,
            tables=first.tables,
            notes=first.notes,
            css_class=first.css_class,
        )
    secs += [s for s in plan_secs if not s.id.endswith("deferred")]
    secs.append(assumptions_section(tables["Assumptions"]))
    versions = data.software_versions()
    first_res = next(iter(cmp.results.values()))
    html_text = render_page(
        title=f"Maintenance strategies compared: {scn.name}",
        subtitle=(
            f"{len(cmp.results)} strategies, {int(first_res.replications):,} replications over "
            f"{float(first_res.years):g} years (seed {first_res.seed}) · generated "
            f"{when:%Y-%m-%d %H:%M} · Opportune {versions.get('opportune', '?')}"
        ),
        lead=_lead(h, download),
        sections=secs,
        footer=(
            f"Opportune {versions.get('opportune', '?')} · scenario '{scn.name}'"
            + (f" ({scenario_file})" if scenario_file else "")
            + " · costs in "
            + cur
            + "; 95% confidence intervals (Student t) over the replications"
        ),
        generator=f"Opportune {versions.get('opportune', '?')}",
    )
    return CompareReport(html_text, tables)


def write_compare_report(
    scn: Scenario,
    cmp: Comparison,
    *,
    report: str | Path | None = None,
    xlsx: str | Path | None = None,
    csv: str | Path | None = None,
    plan: PlanResult | None,
    twin: TwinStudy | None = None,
    scenario_file: str | None = None,
    generated_at: datetime | None = None,
) -> list[Path]:
    """Write the comparison report, its CSV and its workbook.

    Parameters
    ----------
    scn, cmp, plan, twin, scenario_file, generated_at
        As in :func:`compare_report`.
    report : str or Path, optional
        HTML file. ``comparison.csv`` is written beside it unless ``csv`` is given.
    xlsx : str or Path, optional
        Excel workbook, one sheet per table.
    csv : str or Path, optional
        Where to write ``comparison.csv`` (every KPI of every strategy).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        If no output is asked for.
    """
    if report is None and xlsx is None and csv is None:
        raise ValueError("give at least one of report, xlsx or csv")
    rep = compare_report(
        scn,
        cmp,
        plan=plan,
        twin=twin,
        scenario_file=scenario_file,
        generated_at=generated_at,
    )
    written: list[Path] = []
    if report is not None:
        out = Path(report)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(rep.html, encoding="utf-8")
        written.append(out)
        if csv is None:
            csv = out.parent / "comparison.csv"
    if csv is not None:
        written.append(write_csv(rep.tables["All KPIs"], csv))
    if xlsx is not None:
        written.append(write_xlsx(rep.tables, xlsx, timezone=scn.calendar.timezone))
    return written
