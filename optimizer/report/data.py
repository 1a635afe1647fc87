"""The numbers of the reports as tables: one place that both the HTML and the exports read.

Simulator KPIs are totals over the simulated horizon; the reports show them *per year*
(divide the mean and both confidence bounds by the horizon in years, which keeps the
interval exact because the scaling is linear). Fractions (availability, utilization)
are shown as they are.
"""

from __future__ import annotations

import math
import platform
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer.report.formatting import (
    COST_CATEGORIES,
    fmt_money,
    fmt_money_range,
    fmt_pct,
    strategy_label,
)
from optimizer.sim.twin import TWIN_ACCURACIES

if TYPE_CHECKING:
    from optimizer.planning.pipeline import PlanResult
    from optimizer.scenario import Scenario
    from optimizer.sim.simulate import Comparison
    from optimizer.sim.stats import Estimate
    from optimizer.sim.twin_study import TwinStudy

__all__ = [
    "FRACTION_KPIS",
    "Headline",
    "assumptions_frame",
    "comparison_long",
    "cost_breakdown_frame",
    "deferred_frame",
    "groups_frame",
    "headline",
    "next_work_orders",
    "paired_frame",
    "resources_frame",
    "software_versions",
    "strategy_summary",
    "twin_value_frame",
    "work_orders_frame",
]

FRACTION_KPIS: frozenset[str] = frozenset({"availability_fleet", "crew_utilization"})
"""KPIs that are fractions of time (not totals over the horizon)."""


def is_fraction(kpi: str) -> bool:
    """True for KPIs that are fractions (availability, utilization), not totals."""
    return kpi in FRACTION_KPIS or kpi.startswith("availability[") or kpi.startswith("crew_utiliz")


def kpi_unit(kpi: str, currency: str) -> str:
    """Unit of a KPI total over the horizon (``<kpi>[<id>]``: that of ``<kpi>``)."""
    if is_fraction(kpi):
        return "fraction"
    base = kpi.split("[", 1)[0]
    if base.startswith("cost_") or base.endswith("_cost"):
        return currency
    if base.endswith("_h"):
        return "h"
    if base.endswith("_days"):
        return "days"
    return "count"


def _years(cmp: Comparison) -> float:
    first = next(iter(cmp.results.values()))
    years = float(first.years)
    if not (years > 0 and math.isfinite(years)):
        raise ValueError(f"comparison: simulated years must be positive, got {years!r}")
    return years


def _scaled(e: Estimate, factor: float) -> tuple[float, float, float]:
    return e.mean * factor, e.ci_low * factor, e.ci_high * factor


def _per_year(kpi: str, years: float) -> float:
    return 1.0 if is_fraction(kpi) else 1.0 / years


def _currency(cmp: Comparison) -> str:
    return str(next(iter(cmp.results.values())).currency)


# --------------------------------------------------------------------------------------
# comparison tables
# --------------------------------------------------------------------------------------
_SUMMARY_KPIS: tuple[tuple[str, str], ...] = (
    ("cost_total", "cost_per_year"),
    ("availability_fleet", "availability"),
    ("downtime_unplanned_h", "unplanned_downtime_h_per_year"),
    ("downtime_planned_h", "planned_downtime_h_per_year"),
    ("failures", "failures_per_year"),
    ("preventive_replacements", "preventive_actions_per_year"),
    ("openings", "shutdowns_per_year"),
    ("stockouts", "stockouts_per_year"),
)


def strategy_summary(cmp: Comparison) -> pd.DataFrame:
    """One row per strategy: the headline KPIs per year with their 95% CIs.

    Parameters
    ----------
    cmp : Comparison
        Result of :func:`optimizer.sim.simulate.compare`.

    Returns
    -------
    pandas.DataFrame
        Columns ``strategy``, ``label``, then for each KPI ``<name>``, ``<name>_ci_low``,
        ``<name>_ci_high`` (costs in the scenario currency per year, hours per year, counts
        per year, availability as a fraction), then the paired saving per year against the
        baseline (``saving_per_year`` and its CI; 0 for the baseline) and
        ``saving_significant``.
    """
    years = _years(cmp)
    rows: list[dict[str, Any]] = []
    for name, res in cmp.results.items():
        row: dict[str, Any] = {"strategy": name, "label": strategy_label(name)}
        for kpi, col in _SUMMARY_KPIS:
            if kpi not in res.kpis:
                continue
            m, lo, hi = _scaled(res.kpis[kpi], _per_year(kpi, years))
            row[col], row[f"{col}_ci_low"], row[f"{col}_ci_high"] = m, lo, hi
        d = cmp.differences.get(name)
        if d is not None and "cost_total" in d:
            e = d["cost_total"]
            # Saving = baseline - strategy = -(strategy - baseline): the interval flips.
            row["saving_per_year"] = -e.mean / years
            row["saving_per_year_ci_low"] = -e.ci_high / years
            row["saving_per_year_ci_high"] = -e.ci_low / years
            row["saving_significant"] = bool(e.ci_low > 0 or e.ci_high < 0)
        else:
            row["saving_per_year"] = 0.0
            row["saving_per_year_ci_low"] = 0.0
            row["saving_per_year_ci_high"] = 0.0
            row["saving_significant"] = False
        rows.append(row)
    return pd.DataFrame(rows)


def cost_breakdown_frame(cmp: Comparison) -> pd.DataFrame:
    """Cost per year by report category and strategy (the stacked bars).

    Returns
    -------
    pandas.DataFrame
        One row per strategy: ``strategy``, ``label``, one column per category key of
        :data:`~optimizer.report.formatting.COST_CATEGORIES` (currency per year), and
        ``total``, ``total_ci_low``, ``total_ci_high`` from the simulator's ``cost_total``.
    """
    years = _years(cmp)
    rows: list[dict[str, Any]] = []
    for name, res in cmp.results.items():
        row: dict[str, Any] = {"strategy": name, "label": strategy_label(name)}
        for key, _label, kpis in COST_CATEGORIES:
            row[key] = sum(res.kpis[k].mean for k in kpis if k in res.kpis) / years
        t = res.kpis["cost_total"]
        row["total"], row["total_ci_low"], row["total_ci_high"] = _scaled(t, 1.0 / years)
        rows.append(row)
    return pd.DataFrame(rows)


RESOURCE_KPIS: tuple[tuple[str, str], ...] = (
    ("resource_mobilisations", "mobilisations_per_year"),
    ("resource_charter_days", "charter_days_per_year"),
    ("cost_resources", "cost_per_year"),
    ("resource_wait_h", "wait_h_per_year"),
)
"""Campaign-resource KPIs of the simulator and their per-year columns."""


def resources_frame(cmp: Comparison) -> pd.DataFrame:
    """Campaign resources (vessels, cranes, teams) per strategy, per year.

    Returns
    -------
    pandas.DataFrame
        One row per strategy: ``strategy``, ``label``, then for each of
        :data:`RESOURCE_KPIS` its mean per year and 95% CI (``<col>``, ``<col>_ci_low``,
        ``<col>_ci_high``): mobilisations, paid charter days, resource cost (currency)
        and hours requests waited for a resource.
    """
    years = _years(cmp)
    rows: list[dict[str, Any]] = []
    for name, res in cmp.results.items():
        row: dict[str, Any] = {"strategy": name, "label": strategy_label(name)}
        for kpi, col in RESOURCE_KPIS:
            if kpi in res.kpis:
                m, lo, hi = _scaled(res.kpis[kpi], 1.0 / years)
                row[col], row[f"{col}_ci_low"], row[f"{col}_ci_high"] = m, lo, hi
        rows.append(row)
    return pd.DataFrame(rows)


_PAIRED_KPIS: tuple[tuple[str, str], ...] = (
    ("cost_total", "Total cost per year"),
    ("cost_preventive", "Preventive cost per year"),
    ("cost_corrective", "Corrective cost per year"),
    ("cost_setup", "Set-up cost per year"),
    ("cost_lost_production", "Lost production per year"),
    ("cost_labour", "Labour cost per year"),
    ("availability_fleet", "Fleet availability"),
    ("downtime_unplanned_h", "Unplanned downtime h per year"),
    ("failures", "Failures per year"),
    ("preventive_replacements", "Preventive actions per year"),
)


def paired_frame(cmp: Comparison) -> pd.DataFrame:
    """Paired differences (strategy minus baseline) per year, with CIs and a verdict.

    Returns
    -------
    pandas.DataFrame
        Columns ``strategy``, ``label``, ``baseline``, ``kpi``, ``measure``, ``unit``,
        ``difference``, ``ci_low``, ``ci_high``, ``significant`` and ``verdict``
        (``"real"`` when the 95% interval excludes 0, else ``"noise"``). Costs are in the
        currency per year, availability in fractions, hours and counts per year.
    """
    years = _years(cmp)
    cur = _currency(cmp)
    rows: list[dict[str, Any]] = []
    for name, diffs in cmp.differences.items():
        for kpi, measure in _PAIRED_KPIS:
            if kpi not in diffs:
                continue
            m, lo, hi = _scaled(diffs[kpi], _per_year(kpi, years))
            sig = bool(lo > 0 or hi < 0)
            rows.append(
                {
                    "strategy": name,
                    "label": strategy_label(name),
                    "baseline": cmp.baseline,
                    "kpi": kpi,
                    "measure": measure,
                    "unit": kpi_unit(kpi, cur) + ("" if is_fraction(kpi) else " per year"),
                    "difference": m,
                    "ci_low": lo,
                    "ci_high": hi,
                    "significant": sig,
                    "verdict": "real" if sig else "noise",
                }
            )
    cols = [
        "strategy",
        "label",
        "baseline",
        "kpi",
        "measure",
        "unit",
        "difference",
        "ci_low",
        "ci_high",
        "significant",
        "verdict",
    ]
    return pd.DataFrame(rows, columns=cols)


def comparison_long(cmp: Comparison) -> pd.DataFrame:
    """Every KPI of every strategy, over the horizon and per year, with the paired
    difference against the baseline: the content of ``comparison.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``strategy``, ``kpi``, ``unit``, ``years``, ``mean``, ``ci_low``,
        ``ci_high``, ``sd``, ``n`` (over the simulated horizon), ``mean_per_year``,
        ``ci_low_per_year``, ``ci_high_per_year`` (equal to the horizon values for
        fractions), ``baseline``, ``diff_vs_baseline``, ``diff_ci_low``, ``diff_ci_high``
        (over the horizon; empty for the baseline itself) and ``diff_significant``.
    """
    years = _years(cmp)
    cur = _currency(cmp)
    rows: list[dict[str, Any]] = []
    for name, res in cmp.results.items():
        diffs = cmp.differences.get(name, {})
        for kpi, e in res.kpis.items():
            f = _per_year(kpi, years)
            d = diffs.get(kpi)
            rows.append(
                {
                    "strategy": name,
                    "kpi": kpi,
                    "unit": kpi_unit(kpi, cur),
                    "years": years,
                    "mean": e.mean,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    "sd": e.sd,
                    "n": e.n,
                    "mean_per_year": e.mean * f,
                    "ci_low_per_year": e.ci_low * f,
                    "ci_high_per_year": e.ci_high * f,
                    "baseline": cmp.baseline,
                    "diff_vs_baseline": d.mean if d is not None else math.nan,
                    "diff_ci_low": d.ci_low if d is not None else math.nan,
                    "diff_ci_high": d.ci_high if d is not None else math.nan,
                    "diff_significant": (
                        bool(d.ci_low > 0 or d.ci_high < 0) if d is not None else None
                    ),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# headline
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Headline:
    """The recommendation in numbers and in one quotable sentence.

    Costs and savings are in the currency per year; availability is a fraction.
    """

    recommended: str
    baseline: str
    currency: str
    cost_per_year: tuple[float, float, float]
    availability: tuple[float, float, float]
    saving_per_year: tuple[float, float, float]
    saving_significant: bool
    sentence: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def headline(cmp: Comparison) -> Headline:
    """Recommend the strategy with the lowest expected cost and say what it saves.

    The recommendation is the lowest mean total cost; the saving is the paired
    difference against the baseline (current practice, the scenario's
    ``simulation.baseline``) with its 95% confidence interval, so a saving whose
    interval contains 0 is called out as not distinguishable from noise.

    Parameters
    ----------
    cmp : Comparison

    Returns
    -------
    Headline
    """
    years = _years(cmp)
    cur = _currency(cmp)
    recs: dict[str, dict[str, Any]] = {
        str(r["strategy"]): {str(k): v for k, v in r.items()}
        for r in strategy_summary(cmp).to_dict("records")
    }
    # Lowest mean cost; ties go to the first listed (the scenario's order).
    ranked = sorted(recs, key=lambda s: float(recs[s]["cost_per_year"]))
    best = ranked[0]
    row = recs[best]
    cost = (
        float(row["cost_per_year"]),
        float(row["cost_per_year_ci_low"]),
        float(row["cost_per_year_ci_high"]),
    )
    avail = (
        float(row.get("availability", math.nan)),
        float(row.get("availability_ci_low", math.nan)),
        float(row.get("availability_ci_high", math.nan)),
    )
    # Availability cannot exceed 100%: a t-interval on few replications can.
    avail = (avail[0], max(avail[1], 0.0), min(avail[2], 1.0))
    saving = (
        float(row["saving_per_year"]),
        float(row["saving_per_year_ci_low"]),
        float(row["saving_per_year_ci_high"]),
    )
    sig = bool(row["saving_significant"])
    base_label = strategy_label(cmp.baseline).lower()
    n = int(next(iter(cmp.results.values())).kpis["cost_total"].n)
    cost_txt = (
        f"an expected annual cost of {fmt_money(cost[0], cur)} "
        f"(95% CI {fmt_money_range(cost[1], cost[2], cur)})"
    )
    avail_txt = (
        f"fleet availability {fmt_pct(avail[0], 2)} "
        f"(95% CI {fmt_pct(avail[1], 2)} to {fmt_pct(avail[2], 2)})"
    )
    notes: list[str] = []
    if best == cmp.baseline:
        sentence = (
            f"Recommendation: keep {strategy_label(best)}, the current practice, with "
            f"{cost_txt} and {avail_txt}; none of the strategies compared has a lower "
            f"expected cost."
        )
    else:
        if saving[0] >= 0:
            save_txt = (
                f"saves {fmt_money(saving[0], cur)} a year against the current practice "
                f"({base_label}; 95% CI {fmt_money_range(saving[1], saving[2], cur)})"
            )
        else:  # pragma: no cover - the cheapest strategy never costs more than the baseline
            save_txt = f"costs {fmt_money(-saving[0], cur)} a year more than {base_label}"
        sentence = (
            f"Recommendation: {strategy_label(best)}, with {cost_txt} and {avail_txt}; it "
            f"{save_txt}."
        )
        if not sig:
            notes.append(
                f"The saving against {base_label} is not statistically significant: its 95% "
                f"confidence interval includes zero. More replications (now {n:,}) would "
                "narrow it."
            )
    if len(ranked) > 1:
        second = ranked[1]
        gap = float(recs[second]["cost_per_year"]) - cost[0]
        # Overlapping intervals are reported as a fact, not as a test of the difference.
        overlap = float(recs[second]["cost_per_year_ci_low"]) <= cost[2]
        close = "; the two 95% intervals overlap" if overlap else ""
        notes.append(
            f"Runner-up: {strategy_label(second)}, {fmt_money(gap, cur)} a year more "
            f"expensive on average{close}."
        )
    notes.append(
        f"Simulated over {years:g} years in {n:,} replications with common random numbers; "
        "annual figures are the totals divided by the years."
    )
    return Headline(best, cmp.baseline, cur, cost, avail, saving, sig, sentence, tuple(notes))


# --------------------------------------------------------------------------------------
# value of the twin
# --------------------------------------------------------------------------------------
def twin_value_frame(tv: TwinStudy) -> pd.DataFrame:
    """Cost per year (and availability, failures) of the strategy at each twin accuracy.

    Parameters
    ----------
    tv : TwinStudy
        Output of :func:`optimizer.sim.twin_study.run_twin_study`.

    Returns
    -------
    pandas.DataFrame
        Columns ``twin_accuracy``, ``strategy``, ``current``, ``cost_per_year``,
        ``cost_per_year_ci_low``, ``cost_per_year_ci_high``, ``availability``,
        ``failures_per_year``; rows from worst to best twin.
    """
    rows = []
    order = [a for a in TWIN_ACCURACIES if a in tv.results] + [
        a for a in tv.results if a not in TWIN_ACCURACIES
    ]
    for acc in order:
        res = tv.results[acc]
        years = float(res.years)
        c = res.kpis["cost_total"]
        rows.append(
            {
                "twin_accuracy": acc,
                "strategy": tv.strategy,
                "current": acc == tv.current,
                "cost_per_year": c.mean / years,
                "cost_per_year_ci_low": c.ci_low / years,
                "cost_per_year_ci_high": c.ci_high / years,
                "availability": res.kpis["availability_fleet"].mean,
                "failures_per_year": res.kpis["failures"].mean / years,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# plan tables
# --------------------------------------------------------------------------------------
def _labour_text(wo: Any) -> str:
    return "; ".join(f"{x.skill} × {x.qty}" for x in wo.labor)


def _materials_text(wo: Any) -> str:
    return "; ".join(f"{m.part_id} × {m.qty}" for m in wo.materials)


def work_orders_frame(result: PlanResult) -> pd.DataFrame:
    """All work orders of a plan in the CMMS's vocabulary, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``asset_id``, ``site_id``, ``component_id``, ``work_type``,
        ``scheduled_start``, ``scheduled_finish`` (RFC 3339 text), ``duration_h``,
        ``crew`` (skill × technicians), ``parts``, ``group_id``, ``expected_cost``
        (currency), ``p_fail_before_start`` (fraction), ``pinned``, ``reason`` (the
        first, deciding reason) and ``reasons`` (all, joined with ``" | "``).
    """
    rows = [
        {
            "id": w.id,
            "asset_id": w.asset_id,
            "site_id": w.site_id,
            "component_id": w.component_id,
            "work_type": w.work_type,
            "scheduled_start": w.scheduled_start,
            "scheduled_finish": w.scheduled_finish,
            "duration_h": float(w.duration_h),
            "crew": _labour_text(w),
            "parts": _materials_text(w),
            "group_id": w.group_id,
            "expected_cost": float(w.expected_cost),
            "p_fail_before_start": float(w.p_fail_before_start),
            "pinned": bool(w.pinned),
            "reason": w.reasons[0] if w.reasons else "",
            "reasons": " | ".join(w.reasons),
        }
        for w in result.orders
    ]
    cols = [
        "id",
        "asset_id",
        "site_id",
        "component_id",
        "work_type",
        "scheduled_start",
        "scheduled_finish",
        "duration_h",
        "crew",
        "parts",
        "group_id",
        "expected_cost",
        "p_fail_before_start",
        "pinned",
        "reason",
        "reasons",
    ]
    return pd.DataFrame(rows, columns=cols)


def next_work_orders(
    result: PlanResult, days: float = 30.0, *, now: datetime | None = None
) -> pd.DataFrame:
    """Work orders starting within ``days`` of ``now`` (default: the plan start).

    Parameters
    ----------
    result : PlanResult
    days : float
        Window length, days (> 0).
    now : datetime, optional
        Start of the window (time-zone aware); default the plan's start.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`work_orders_frame` with ``now <= start < now + days``.

    Raises
    ------
    ValueError
        If ``days`` is not positive and finite.
    """
    if not (math.isfinite(days) and days > 0):
        raise ValueError(f"days must be positive and finite, got {days!r}")
    t0 = now if now is not None else result.built.problem.start
    t1 = t0 + timedelta(days=days)
    df = work_orders_frame(result)
    if df.empty:
        return df
    starts = [datetime.fromisoformat(s) for s in df["scheduled_start"]]
    keep = np.array([t0 <= s < t1 for s in starts], dtype=bool)
    return df.loc[keep].reset_index(drop=True)


def groups_frame(result: PlanResult) -> pd.DataFrame:
    """Shutdown groups of a plan: one row per opening of a system.

    Returns
    -------
    pandas.DataFrame
        Columns ``group_id``, ``unit``, ``start``, ``jobs``, ``opening_cost``,
        ``penalty_cost`` (currency) and ``components`` (comma-separated).
    """
    rows = [
        {
            "group_id": g.group_id,
            "unit": g.unit,
            "start": g.start,
            "jobs": len(g.components),
            "opening_cost": float(g.opening_cost),
            "penalty_cost": float(g.penalty_cost),
            "components": ", ".join(g.components),
        }
        for g in result.groups
    ]
    cols = ["group_id", "unit", "start", "jobs", "opening_cost", "penalty_cost", "components"]
    return pd.DataFrame(rows, columns=cols)


PURCHASE_ORDER_COLUMNS: tuple[str, ...] = (
    "part_id",
    "warehouse",
    "qty",
    "order_date",
    "arrival_date",
    "expedited",
    "serves",
    "unit_price",
    "goods",
    "order_fee",
    "expedite_fee",
    "total",
)
"""Columns of the purchase-order table (as ``purchase_orders.csv``)."""


def purchase_orders_frame(result: PlanResult) -> pd.DataFrame:
    """The plan's purchase orders, one row each (``purchase_orders.csv``'s columns).

    Returns
    -------
    pandas.DataFrame
        :data:`PURCHASE_ORDER_COLUMNS`; ``serves`` is the component ids joined by blanks;
        money in the scenario's currency, dates ``YYYY-MM-DD`` (period starts, local).
    """
    rows = [{**po, "serves": " ".join(po.get("serves", []))} for po in result.purchase_orders]
    return pd.DataFrame(rows, columns=list(PURCHASE_ORDER_COLUMNS))


def deferred_frame(result: PlanResult) -> pd.DataFrame:
    """Components left beyond the horizon, highest probability of failure first.

    Returns
    -------
    pandas.DataFrame
        Columns ``component_id``, ``asset_id``, ``p_fail_within_horizon`` (fraction),
        ``risk_cost`` (currency) and ``reason``.
    """
    rows = [
        {
            "component_id": d.component_id,
            "asset_id": d.asset_id,
            "p_fail_within_horizon": float(d.p_fail_within_horizon),
            "risk_cost": float(d.risk_cost),
            "reason": d.reason,
        }
        for d in result.deferred
    ]
    cols = ["component_id", "asset_id", "p_fail_within_horizon", "risk_cost", "reason"]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values("p_fail_within_horizon", ascending=False, kind="stable").reset_index(
        drop=True
    )


# --------------------------------------------------------------------------------------
# assumptions and versions
# --------------------------------------------------------------------------------------
def software_versions() -> dict[str, str]:
    """Versions of Opportune and the libraries whose numbers the report shows."""
    from importlib import metadata

    out: dict[str, str] = {}
    try:
        out["opportune"] = metadata.version("opportune")
    except metadata.PackageNotFoundError:  # pragma: no cover - source checkout, not installed
        out["opportune"] = "unknown (not installed)"
    out["python"] = platform.python_version()
    for pkg in ("numpy", "scipy", "pandas", "simpy", "highspy", "ortools", "plotly"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover
            continue
    return out


def _cost_rows(result: PlanResult, cur: str) -> list[tuple[str, str, str]]:
    """Mean preventive and failure cost per component type (what drives every decision)."""
    fm = result.built.fleet
    types = np.array([c.type or c.id for c in fm.components], dtype=object)
    rows: list[tuple[str, str, str]] = []
    for t in dict.fromkeys(types.tolist()):
        sel = types == t
        rows.append(
            (
                "Costs",
                f"{t} ({int(sel.sum())} installed)",
                f"preventive {fmt_money(float(fm.cost_pm[sel].mean()), cur, compact=False)}, "
                f"failure {fmt_money(float(fm.cost_cm[sel].mean()), cur, compact=False)} "
                f"(incl. lost production); opening the unit "
                f"{fmt_money(float(fm.opening_cost_mean[sel].mean()), cur, compact=False)}",
            )
        )
    return rows


def assumptions_frame(
    scn: Scenario,
    *,
    result: PlanResult | None = None,
    cmp: Comparison | None = None,
    scenario_file: str | None = None,
    generated_at: datetime | None = None,
) -> pd.DataFrame:
    """What to know to reproduce the report: scenario, settings, costs, software.

    Parameters
    ----------
    scn : Scenario
    result : PlanResult, optional
        Adds the planning settings and the cost figures per component type.
    cmp : Comparison, optional
        Adds the simulation settings actually used (replications, seed, years, twin)
        and each strategy's parameters.
    scenario_file : str, optional
        Path of the scenario file, as given.
    generated_at : datetime, optional
        When the report was made (default now).

    Returns
    -------
    pandas.DataFrame
        Columns ``section``, ``item``, ``value`` (text).
    """
    cal = scn.calendar
    rows: list[tuple[str, str, str]] = [("Scenario", "Name", scn.name)]
    if scenario_file:
        rows.append(("Scenario", "File", scenario_file))
    n_sys = sum(1 for _ in scn.systems())
    rows += [
        (
            "Scenario",
            "Fleet",
            f"{len(scn.fleet.sites)} site(s), {n_sys} unit(s), {len(scn.components())} "
            f"component(s), {len(scn.crews)} crew(s)",
        ),
        ("Scenario", "Currency", scn.currency),
        (
            "Planning",
            "Horizon",
            f"{cal.horizon_days:g} days from {cal.start.astimezone(cal.zone):%Y-%m-%d %H:%M %z}"
            f" ({cal.timezone}; shifts in its local time, daylight saving included) in periods of "
            f"{cal.period_days:g} days",
        ),
    ]
    if result is not None:
        p = result.plan
        gap = f"{100 * p.gap:.2f}%" if math.isfinite(p.gap) else "n/a"
        rows.append(
            (
                "Planning",
                "Solver",
                f"{p.method}, status {p.status}, optimality gap {gap}, {p.runtime_s:.2f} s",
            )
        )
    sim = scn.simulation
    if cmp is not None:
        first = next(iter(cmp.results.values()))
        rows += [
            ("Simulation", "Simulated years", f"{float(first.years):g}"),
            ("Simulation", "Replications", f"{int(first.replications):,}"),
            ("Simulation", "Seed", str(first.seed)),
            ("Simulation", "Twin accuracy", str(first.twin_accuracy)),
            ("Simulation", "Baseline (current practice)", strategy_label(cmp.baseline)),
            (
                "Simulation",
                "Confidence intervals",
                "95%, Student t; paired on common random numbers",
            ),
        ]
        for name, res in cmp.results.items():
            params = ", ".join(f"{k} = {_fmt_param(v)}" for k, v in res.params.items())
            rows.append(("Strategies", strategy_label(name), params or "no parameters"))
    else:
        rows += [
            ("Simulation", "Simulated years", f"{sim.years:g}"),
            ("Simulation", "Replications", f"{sim.replications:,}"),
            ("Simulation", "Seed", str(sim.seed)),
        ]
    crews = ", ".join(
        f"{c.id} {c.headcount} × {'/'.join(c.skills)} at "
        f"{fmt_money(c.rate_per_h, scn.currency, compact=False)}/h"
        for c in scn.crews
    )
    rows.append(("Costs", "Crews", crews))
    if result is not None:
        rows += _cost_rows(result, scn.currency)
    when = generated_at or datetime.now().astimezone()
    versions = software_versions()
    rows.append(
        (
            "Software",
            "Opportune",
            f"{versions.get('opportune', '?')}, report {when:%Y-%m-%d %H:%M %Z}",
        )
    )
    rows.append(
        (
            "Software",
            "Libraries",
            ", ".join(f"{k} {v}" for k, v in versions.items() if k != "opportune"),
        )
    )
    return pd.DataFrame(rows, columns=["section", "item", "value"])


def _fmt_param(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)
