"""The ``opportune`` command line: parse arguments, call the core, format the result.

Exit codes (:data:`EXIT_CODES`, stable; each command's ``--help`` lists its own): 0
success, 1 internal error (reported in one line; ``OPPORTUNE_DEBUG=1`` shows the
traceback), 2 invalid input (every problem listed with its field path and line, or a
bad or missing option), 3 infeasible plan (``plan``), 4 plan violates constraints
(``check``), 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from optimizer.loading import LIMITS, ScenarioError, load_scenario
from optimizer.scenario import Scenario, scenario_json_schema, scenario_summary

if TYPE_CHECKING:
    from optimizer.planning.pipeline import PlanResult

app = typer.Typer(
    name="opportune",
    help="Opportune: prescriptive maintenance planning from remaining-useful-life models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (files, CI logs) gets a wide fixed width instead of rich's 80 columns.
# User text (names, ids, paths, messages) is always passed through rich.markup.escape:
# "Pump [spare]" is a name, not a style tag; emoji codes (":x:") are not replaced.
out = Console(
    highlight=False, emoji=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160
)
err = Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)


def _echo(message: str) -> None:
    """Print a progress or status line of plain text (no markup) on stderr."""
    err.print(message, markup=False)


EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "internal error (one line; OPPORTUNE_DEBUG=1 shows the traceback)",
    2: "invalid input: the scenario (every problem with its field path and line) or an option",
    3: "infeasible plan: no plan meets the hard constraints (the plan and why are printed)",
    4: "the plan violates constraints (every violation is listed)",
    130: "interrupted",
}
"""Every exit code of the command line; the README's "Exit codes" table lists the same."""


def _exits(*codes: int) -> str:
    """The ``--help`` epilog listing a command's exit codes (130, interrupted, for all)."""
    return "Exit codes: " + "; ".join(f"{c} {EXIT_CODES[c]}" for c in (*codes, 130)) + "."


FileArg = Annotated[Path, typer.Argument(help="Scenario file (YAML or JSON).", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
ReportOpt = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="Write a self-contained HTML report (charts work offline) to this file.",
        dir_okay=False,
    ),
]
XlsxOpt = Annotated[
    Path | None,
    typer.Option(
        "--xlsx", help="Write the report's tables to this Excel workbook.", dir_okay=False
    ),
]


def _output_problem(path: Path, *, folder: bool) -> str | None:
    """Why ``path`` cannot be written (as a folder, or as a file), or ``None`` if it can.

    Checked before any work, so that a long solve does not end in an error.
    """
    if path.exists():
        if folder and not path.is_dir():
            return f"{path} exists and is not a folder"
        if not folder and path.is_dir():
            return f"{path} is a folder, not a file"
        if not os.access(path, os.W_OK):
            return f"{path} is not writable"
        return None
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{path}: {ancestor} is a file, so no folder can be created under it"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{path}: folder {ancestor} is not writable"
    return None


def _check_outputs(folders: dict[str, Path | None], files: dict[str, Path | None]) -> None:
    """Exit 2 naming the option when an output cannot be written (before any work)."""
    for kind, paths in ((True, folders), (False, files)):
        for option, path in paths.items():
            why = None if path is None else _output_problem(path, folder=kind)
            if why is not None:
                err.print(f"[bold red]{option}[/]: {escape(why)}")
                raise typer.Exit(2)


TwinStudyOpt = Annotated[
    bool,
    typer.Option(
        "--twin-study/--no-twin-study",
        help="With --report/--xlsx: also simulate the prescriptive strategy with no, poor, "
        "good and perfect twins (value of the twin; three more simulations).",
    ),
]


def _emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def _load(path: Path, as_json: bool, *, plans: bool = False) -> Scenario:
    """The scenario, or exit 2 listing its problems; ``plans``: also refuse a scenario
    too large to plan in the memory available (before any work)."""
    try:
        scn = load_scenario(path)
        if plans:
            from optimizer.planning.pipeline import check_plan_memory

            check_plan_memory(scn)
        return scn
    except ScenarioError as exc:
        if as_json:
            _emit_json(
                {
                    "valid": False,
                    "file": str(path),
                    "problems": [p.as_dict() for p in exc.problems],
                }
            )
        else:
            err.print(f"[bold red]{escape(str(path))}[/]: {len(exc.problems)} problem(s)")
            for p in exc.problems:
                where = f"line {p.line}: " if p.line is not None else ""
                err.print(f"  {where}[bold]{escape(p.path)}[/]: {escape(p.message)}")
        raise typer.Exit(2) from None


def _limits_help() -> str:
    """The documented size limits, for ``validate --help``."""
    return "Limits: " + "; ".join(f"{k} {v:,} ({what})" for k, (v, what) in LIMITS.items()) + "."


@app.command(epilog=_exits(0, 1, 2) + "\n\n" + _limits_help())
def validate(file: FileArg, as_json: JsonOpt = False) -> None:
    """Check a scenario file and print a short summary.

    Exits 0 if valid; 2 with every problem (field path, line, what is wrong) if not.
    A scenario over a size limit (listed below; README "Scenario limits") is refused
    before validation, naming the limit and the value.
    """
    scn = _load(file, as_json)
    summary = dict(scenario_summary(scn))
    if as_json:
        _emit_json({"valid": True, "file": str(file), "summary": summary})
        return
    out.print(f"[green]valid[/]: {escape(str(file))}")
    out.print(
        f"{escape(str(summary['name']))}: {summary['sites']} site(s), "
        f"{summary['systems']} system(s), "
        f"{summary['components']} component(s) ({summary['with_prognostics']} with twin "
        f"prognostics), {summary['crews']} crew(s) / {summary['technicians']} technicians, "
        f"{summary['parts']} spare part(s); plan from {summary['plan_start']} "
        f"({summary['timezone']}) over "
        f"{summary['horizon_days']} days in {summary['periods']} period(s); currency "
        f"{summary['currency']}"
    )


@app.command(epilog=_exits(0, 1))
def schema() -> None:
    """Print the JSON Schema of scenario files (draft 2020-12)."""
    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


def _fmt_money(x: float) -> str:
    return f"{x:,.0f}" if np.isfinite(x) else "inf"


def _fmt_h(x: float) -> str:
    return f"{x:,.0f}" if np.isfinite(x) else "never"


@app.command(epilog=_exits(0, 1, 2))
def info(file: FileArg, as_json: JsonOpt = False) -> None:
    """Fleet summary: counts, each component's optimal age and own best date, cost rates
    and RUL quantiles."""
    from optimizer.fleet import best_date_text, own_best_dates, rul_quantiles
    from optimizer.problem.build import build_problem

    scn = _load(file, as_json)
    built = build_problem(scn)
    fm = built.fleet
    q = rul_quantiles(fm, (0.1, 0.5, 0.9))
    best = own_best_dates(built.problem.start, built.curves.t_opt_h, fm.operating_h_per_day)
    rows: list[dict[str, Any]] = []
    for i, c in enumerate(fm.components):
        pol = fm.policy[i]
        day = best[i]
        rows.append(
            {
                "component": c.id,
                "system": c.system_id,
                "type": c.type,
                "age_h": c.age_h,
                "twin": c.prognostics.kind if c.prognostics is not None else None,
                "policy": pol.policy,
                "t_star_h": pol.t_star if np.isfinite(pol.t_star) else None,
                "best_date": None if day is None else built.problem.local(day).date().isoformat(),
                "best_date_note": best_date_text(day, fm.residual[i]),
                "cost_rate_per_h": pol.cost_rate,
                "cost_rate_run_to_failure_per_h": pol.cost_rate_run_to_failure,
                "cost_pm": float(fm.cost_pm[i]),
                "cost_cm": float(fm.cost_cm[i]),
                "rul_p10_h": float(q[i, 0]),
                "rul_p50_h": float(q[i, 1]),
                "rul_p90_h": float(q[i, 2]),
            }
        )
    summary = dict(scenario_summary(scn))
    if as_json:
        _emit_json({"summary": summary, "components": rows})
        return
    cur = scn.currency
    out.print(
        f"[bold]{escape(str(summary['name']))}[/]: {summary['sites']} site(s), "
        f"{summary['systems']} "
        f"system(s), {summary['components']} component(s), {summary['crews']} crew(s), "
        f"{summary['parts']} part(s); currency {cur}"
    )
    table = Table(title="Components (hours are operating hours)", show_lines=False)
    for col, just in [
        ("component", "left"),
        ("system", "left"),
        ("age h", "right"),
        ("twin", "left"),
        ("optimal age h", "right"),
        ("best date", "right"),
        (f"{cur}/1000 h opt.", "right"),
        (f"{cur}/1000 h RTF", "right"),
        ("RUL p10 h", "right"),
        ("RUL p50 h", "right"),
        ("RUL p90 h", "right"),
    ]:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(
            escape(str(r["component"])),
            escape(str(r["system"])),
            _fmt_h(float(r["age_h"])),
            escape(str(r["twin"] or "")),
            _fmt_h(r["t_star_h"] if r["t_star_h"] is not None else float("inf")),
            str(r["best_date"] or r["best_date_note"]),
            f"{1000 * float(r['cost_rate_per_h']):,.2f}",
            f"{1000 * float(r['cost_rate_run_to_failure_per_h']):,.2f}",
            _fmt_h(float(r["rul_p10_h"])),
            _fmt_h(float(r["rul_p50_h"])),
            _fmt_h(float(r["rul_p90_h"])),
        )
    out.print(table)
    out.print(
        "[dim]optimal age: of a new part, each replacement paying a stand-alone opening; best"
        " date: when the current part's expected cost is lowest with the opening shared (the"
        " plan's target date), so it can be today for a part younger than its optimal age[/]"
    )


MethodOpt = Annotated[
    str,
    typer.Option(
        "--method",
        help="auto (fastest exact method), dp, milp or cpsat. Default: the scenario's plan.method.",
    ),
]


@app.command(epilog=_exits(0, 1, 2, 3))
def plan(
    file: FileArg,
    method: MethodOpt = "",
    time_limit_s: Annotated[
        float | None, typer.Option("--time-limit-s", min=0.001, help="Solver time limit, s.")
    ] = None,
    gap: Annotated[
        float | None, typer.Option("--gap", min=0.0, max=1.0, help="Relative optimality gap.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write work_orders.csv, work_orders.json, plan.json here."),
    ] = None,
    report: ReportOpt = None,
    xlsx: XlsxOpt = None,
    cmms_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Also write CMMS import files to --out: maximo, sap or generic (work orders, "
            "labour, materials, purchase requisitions; CSV and one XLSX).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan grouped maintenance: work orders with reasons, bound and gap."""
    from optimizer.planning.pipeline import plan_scenario
    from optimizer.planning.workorders import WORK_ORDER_FIELDS
    from optimizer.solvers import METHODS

    if method and method not in METHODS:
        err.print(f"[bold red]--method[/]: '{escape(method)}' is not one of {', '.join(METHODS)}")
        raise typer.Exit(2)
    if cmms_format is not None:
        _check_choice("--format", cmms_format, ("maximo", "sap", "generic"))
        if out_dir is None:
            err.print("[bold red]--format[/]: needs --out DIR (where the files go)")
            raise typer.Exit(2)
    written = {f"--out ({n})": out_dir / n for n in PLAN_FILES} if out_dir is not None else {}
    _check_outputs({"--out": out_dir}, {**written, "--report": report, "--xlsx": xlsx})
    scn = _load(file, as_json, plans=True)
    if as_json:
        result = plan_scenario(scn, method=method or None, time_limit_s=time_limit_s, gap=gap)
    else:
        with err.status("planning...") as status:
            result = plan_scenario(
                scn,
                method=method or None,
                time_limit_s=time_limit_s,
                gap=gap,
                progress=lambda msg: status.update(escape(msg)),
            )
    payload = result.as_dict()
    if out_dir is not None:
        _write_plan_files(payload, out_dir, WORK_ORDER_FIELDS)
    if cmms_format is not None and out_dir is not None:
        from optimizer.cmms.exports import cmms_tables
        from optimizer.report.export import write_cmms_files

        files = write_cmms_files(
            cmms_tables(result, cmms_format),  # type: ignore[arg-type]
            out_dir,
            timezone=scn.calendar.timezone,
            xlsx=out_dir / f"cmms_{cmms_format}.xlsx",
        )
        err.print(f"CMMS files ({cmms_format}): " + ", ".join(p.name for p in files))
    if report is not None or xlsx is not None:
        from optimizer.report.outputs import write_plan_outputs
        from optimizer.report.plan_report import NEXT_DAYS
        from optimizer.risk import system_risk

        write_plan_outputs(
            result,
            report=report,
            xlsx=xlsx,
            scenario_file=file,
            echo=_echo,
            risk=system_risk(scn, NEXT_DAYS),
        )
    if as_json:
        _emit_json(payload)
    else:
        _print_plan(result)
        if out_dir is not None:
            out.print(f"files written to {escape(str(out_dir))}/: {', '.join(PLAN_FILES)}")
    if not result.plan.feasible:
        raise typer.Exit(3)


@app.command(epilog=_exits(0, 1, 2, 4))
def check(
    file: FileArg,
    plan_file: Annotated[
        Path,
        typer.Option(
            "--plan", help="work_orders.json (or plan.json) written by `opportune plan --out`."
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Check a plan (edited by hand or not): its cost by term and every violated constraint.

    Recomputes the cost from the scenario alone, by its own code path, and checks crew
    time per skill and day, technicians at once, spare-part stock, windows, life limits,
    pins and the frozen period.  Exits 0 when the plan is feasible, 4 when it violates
    constraints, 2 on invalid input (scenario or plan).
    """
    from optimizer.check import check_plan

    scn = _load(file, as_json)
    try:
        res = check_plan(scn, plan_file)
    except ValueError as exc:
        if as_json:
            _emit_json({"valid": False, "file": str(plan_file), "problems": [str(exc)]})
        else:
            err.print(f"[bold red]{escape(str(plan_file))}[/]: {escape(str(exc))}")
        raise typer.Exit(2) from None
    if as_json:
        _emit_json(res.as_dict())
    else:
        cur = escape(res.currency)
        verdict = "[green]feasible[/]" if res.feasible else "[bold red]violates constraints[/]"
        out.print(
            f"[bold]{escape(res.scenario)}[/]: {res.jobs} work order(s),"
            f" {len(res.deferred)} component(s) beyond the horizon; {verdict}"
        )
        table = Table(title=f"Cost by term ({cur})")
        table.add_column("term")
        table.add_column(cur, justify="right")
        for term, value in res.cost.items():
            if term != "total":
                table.add_row(term, f"{value:,.2f}")
        table.add_row("[bold]total[/]", f"[bold]{res.cost['total']:,.2f}[/]")
        out.print(table)
        for v in res.violations:
            out.print(f"  [red]{v.kind}[/]: {escape(v.message)}")
    if not res.feasible:
        raise typer.Exit(4)


PLAN_FILES = (
    "plan.json",
    "work_orders.json",
    "work_orders.csv",
    "purchase_orders.json",
    "purchase_orders.csv",
)
"""Files ``plan --out`` writes into its folder."""


def _write_plan_files(payload: dict[str, Any], out_dir: Path, columns: tuple[str, ...]) -> None:
    """``plan.json``, ``work_orders.{json,csv}`` and ``purchase_orders.{json,csv}``.

    ``payload`` is the plan's :meth:`~optimizer.planning.pipeline.PlanResult.as_dict`;
    ``columns`` the work-order fields, in CSV column order.
    """
    import csv

    from optimizer.report.data import PURCHASE_ORDER_COLUMNS
    from optimizer.report.export import neutralise

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "plan.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    (out_dir / "work_orders.json").write_text(
        json.dumps(payload["work_orders"], indent=2, default=str) + "\n"
    )
    with (out_dir / "work_orders.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for wo in payload["work_orders"]:
            row = dict(wo)
            row["labor"] = "; ".join(
                f"{x['skill']} x{x['qty']} {x['hours']:g} h" for x in wo["labor"]
            )
            row["materials"] = "; ".join(f"{x['part_id']} x{x['qty']}" for x in wo["materials"])
            row["reasons"] = " | ".join(wo["reasons"])
            w.writerow([neutralise(row[c]) for c in columns])
    purchases = payload.get("purchase_orders", [])
    (out_dir / "purchase_orders.json").write_text(json.dumps(purchases, indent=2) + "\n")
    p_cols = PURCHASE_ORDER_COLUMNS  # the one column list (report tables, workbook, CSV)
    with (out_dir / "purchase_orders.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(p_cols)
        for po in purchases:
            w.writerow([neutralise(" ".join(po[c]) if c == "serves" else po[c]) for c in p_cols])


def _print_plan(result: PlanResult) -> None:
    p = result.plan
    pb = result.built.problem
    cur = pb.currency
    status_colour = "green" if str(p.status) == "optimal" else "yellow"
    gap_txt = f"{100 * p.gap:.3f}%" if np.isfinite(p.gap) else "n/a"
    out.print(
        f"[bold]{escape(result.built.scenario.name)}[/]: status [{status_colour}]{p.status}[/] "
        f"by {p.method} in {p.runtime_s:.2f} s; cost {_fmt_money(p.objective)} {cur}, "
        f"lower bound {_fmt_money(p.lower_bound)} {cur}, gap {gap_txt}"
    )
    for line in p.log:
        out.print(f"  [dim]{escape(line)}[/]")
    if not p.feasible:
        err.print("[bold red]no feasible plan[/]:")
        for d in p.diagnosis:
            err.print(f"  - {escape(d)}")
        return
    split = " + ".join(f"{k} {_fmt_money(v)}" for k, v in p.cost_split.items())
    out.print(
        f"  objective ({cur}, relative to each part's long-run rate) {_fmt_money(p.objective)}"
        f" = {split}"
    )
    budget = result.budget()
    if budget:
        spend = " + ".join(f"{k} {_fmt_money(v)}" for k, v in budget.items() if k != "total")
        out.print(
            f"  budget ({cur}, cash spent in the horizon) {_fmt_money(budget['total'])} = {spend}"
        )
    table = Table(title=f"Shutdown groups ({len(result.groups)})")
    table.add_column("start")
    table.add_column("unit")
    table.add_column("jobs", justify="right")
    table.add_column(f"opening {cur}", justify="right")
    table.add_column(f"risk {cur}", justify="right")
    table.add_column("components")
    for g in result.groups:
        comps = g.components
        shown = ", ".join(comps[:6]) + (f" +{len(comps) - 6}" if len(comps) > 6 else "")
        table.add_row(
            g.start[:10],
            escape(g.unit),
            str(len(comps)),
            _fmt_money(g.opening_cost),
            _fmt_money(g.penalty_cost),
            escape(shown),
        )
    out.print(table)
    if result.orders:
        out.print("[bold]Why these dates[/] (first work orders):")
        for wo in result.orders[:8]:
            out.print(
                f"  {wo.scheduled_start[:10]} {escape(wo.component_id)}: {escape(wo.reasons[0])}"
            )
    if result.deferred:
        n_def = len(result.deferred)
        risky = sorted(result.deferred, key=lambda x: -x.p_fail_within_horizon)[:5]
        out.print(f"[bold]{n_def} component(s) best left beyond the horizon[/]; highest risk:")
        for dfr in risky:
            out.print(f"  {escape(dfr.component_id)}: {escape(dfr.reason)}")


StrategyOpt = Annotated[
    str,
    typer.Option(
        "--strategy",
        help="Required: run-to-failure, fixed-interval, optimal-age, condition-based, "
        "predictive or prescriptive (parameters from the scenario's simulation.strategies).",
        show_default=False,
    ),
]
ReplicationsOpt = Annotated[
    int | None,
    typer.Option("--replications", min=1, help="Monte Carlo replications (scenario default)."),
]
SeedOpt = Annotated[int | None, typer.Option("--seed", min=0, help="Random seed.")]
YearsOpt = Annotated[
    float | None, typer.Option("--years", min=0.01, help="Simulated years (scenario default).")
]
TwinOpt = Annotated[
    str | None,
    typer.Option("--twin", help="Twin accuracy: perfect, good, poor or none (scenario default)."),
]
WorkersOpt = Annotated[
    int | None, typer.Option("--workers", min=1, help="Local worker processes (default: cores).")
]
DaskOpt = Annotated[
    str | None,
    typer.Option("--dask", help="Address of a Dask scheduler, e.g. tcp://host:8786."),
]

KPI_ROWS = [
    # cash spent over the simulated years: the indented lines sum to the total
    ("cost_total", "total cost", "money"),
    ("cost_preventive", "  preventive", "money"),
    ("cost_corrective", "  corrective", "money"),
    ("cost_setup", "  set-up", "money"),
    ("cost_lost_production", "  lost production", "money"),
    ("cost_labour", "  labour", "money"),
    ("cost_spares_ordering", "  spares order fees", "money"),
    ("cost_spares_expediting", "  spares expedite fees", "money"),
    ("cost_spares_holding", "  spares holding", "money"),
    ("cost_resources", "  campaign resources (vessels, cranes, teams)", "money"),
    # not cash: what the parts left at the horizon are worth against new ones
    ("end_state_cost", "end state (parts left vs new)", "value"),
    ("total_with_end_state_cost", "total incl. end state", "value"),
    ("availability_fleet", "availability", "pct"),
    ("downtime_unplanned_h", "unplanned downtime h", "num"),
    ("failures", "failures", "num"),
    ("system_failures", "system failures (unplanned stops)", "num"),
    ("time_to_first_system_failure_h", "time to first system failure h (capped at horizon)", "num"),
    ("mtbsf_h", "mean time between system failures h (up)", "num"),
    ("preventive_replacements", "preventive replacements", "num"),
    ("stockout_h", "stock-out h", "num"),
    ("crew_utilization", "crew utilization", "pct"),
    ("resource_mobilisations", "resource mobilisations", "num"),
    ("resource_charter_days", "resource charter days (paid)", "num"),
    ("resource_wait_h", "hours waited for resources", "num"),
]


def _fmt_est(mean: float, lo: float, hi: float, kind: str) -> str:
    if kind == "pct":
        return f"{100 * mean:.2f}% [{100 * lo:.2f}, {100 * hi:.2f}]"
    if kind in ("money", "value"):  # value: money that is not cash of the horizon
        return f"{mean:,.0f} [{lo:,.0f}, {hi:,.0f}]"
    return f"{mean:,.1f} [{lo:,.1f}, {hi:,.1f}]"


def _check_choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        err.print(f"[bold red]{name}[/]: '{escape(value)}' is not one of {', '.join(allowed)}")
        raise typer.Exit(2)


def _progress_bar(total_label: str) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        f"[bold]{total_label}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


@app.command(epilog=_exits(0, 1, 2))
def simulate(
    file: FileArg,
    strategy: StrategyOpt,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    years: YearsOpt = None,
    twin: TwinOpt = None,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate one strategy by Monte Carlo: KPIs with 95% confidence intervals."""
    from optimizer.scenario import STRATEGIES
    from optimizer.sim.simulate import simulate as _simulate

    _check_choice("--strategy", strategy, STRATEGIES)
    _check_choice("--twin", twin, ("perfect", "good", "poor", "none"))
    scn = _load(file, as_json)
    with _progress_bar(f"simulating {strategy}") as bar:
        task = bar.add_task("sim", total=None)
        res = _simulate(
            scn,
            strategy,
            replications=replications,
            seed=seed,
            years=years,
            twin_accuracy=twin,
            workers=workers,
            dask_address=dask,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        _emit_json(res.as_dict())
        return
    table = Table(
        title=f"{escape(scn.name)}: {strategy}, {res.replications} replications x "
        f"{res.years:g} years, "
        f"seed {res.seed}, twin {res.twin_accuracy} ({res.runtime_s:.1f} s)"
    )
    table.add_column("KPI (over the simulated years)")
    table.add_column(f"mean [95% CI] ({scn.currency} for costs)", justify="right")
    for key, label, kind in KPI_ROWS:
        if key in res.kpis:
            e = res.kpis[key]
            table.add_row(label, _fmt_est(e.mean, e.ci_low, e.ci_high, kind))
    out.print(table)
    _print_system_kpis(res.kpis, [s.id for _, s in scn.systems()])


def _print_system_kpis(kpis: dict[str, Any], system_ids: list[str]) -> None:
    """Per-system failures, time to the first and MTBSF, mean [95% CI]."""
    from rich.markup import escape

    table = Table(title="Systems: failure stops over the simulated years, mean [95% CI]")
    for col, just in [
        ("system", "left"),
        ("availability", "right"),
        ("system failures", "right"),
        ("time to first h (capped)", "right"),
        ("MTBSF h (up time per failure)", "right"),
    ]:
        table.add_column(col, justify=just)  # type: ignore[arg-type]

    def cell(key: str, kind: str) -> str:
        e = kpis.get(key)
        if e is None or not np.isfinite(e.mean):
            return "n/a (no failure)" if key.startswith("mtbsf") else ""
        return _fmt_est(e.mean, e.ci_low, e.ci_high, kind)

    for sid in system_ids:
        table.add_row(
            escape(sid),
            cell(f"availability[{sid}]", "pct"),
            cell(f"system_failures[{sid}]", "num"),
            cell(f"time_to_first_system_failure_h[{sid}]", "num"),
            cell(f"mtbsf_h[{sid}]", "num"),
        )
    out.print(table)


@app.command(epilog=_exits(0, 1, 2))
def compare(
    file: FileArg,
    strategies: Annotated[
        str | None,
        typer.Option("--strategies", help="Comma-separated names (default: the scenario's list)."),
    ] = None,
    baseline: Annotated[
        str | None, typer.Option("--baseline", help="Strategy to compare against.")
    ] = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    years: YearsOpt = None,
    twin: TwinOpt = None,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    report: ReportOpt = None,
    xlsx: XlsxOpt = None,
    twin_study: TwinStudyOpt = True,
    tune: Annotated[
        bool | None,
        typer.Option(
            "--tune/--no-tune",
            help="Tune the baselines first (fixed-interval interval, optimal-age factor,"
            " condition-based quantile/threshold, predictive lead) on common random numbers"
            " with seed+1, then compare on seed. Default: on with --report/--xlsx, else off.",
        ),
    ] = None,
    tune_replications: Annotated[
        int,
        typer.Option("--tune-replications", min=2, help="Replications per tuning candidate."),
    ] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Compare strategies on common random numbers: KPIs and paired differences vs a baseline."""
    from optimizer.scenario import STRATEGIES
    from optimizer.sim.simulate import compare as _compare
    from optimizer.sim.tuning import compare_tuned

    names = [x.strip() for x in strategies.split(",") if x.strip()] if strategies else None
    for name in names or []:
        _check_choice("--strategies", name, STRATEGIES)
    _check_choice("--baseline", baseline, STRATEGIES)
    _check_choice("--twin", twin, ("perfect", "good", "poor", "none"))
    _check_outputs({}, {"--report": report, "--xlsx": xlsx})
    scn = _load(file, as_json, plans=report is not None or xlsx is not None)
    if names is not None:
        specs: dict[str, Any] = {s.name: s for s in scn.simulation.strategies}
        chosen: list[Any] = [specs[n] if n in specs else n for n in names]
    else:
        chosen = list(scn.simulation.strategies)
    do_tune = tune if tune is not None else (report is not None or xlsx is not None)
    if do_tune:
        err.print(f"tuning the baselines ({tune_replications} replications per candidate)")
    with _progress_bar("simulating strategies") as bar:
        task = bar.add_task("sim", total=None)
        run = compare_tuned if do_tune else _compare
        extra: dict[str, Any] = {"tune_replications": tune_replications} if do_tune else {}
        cmp = run(
            scn,
            chosen,
            baseline=baseline,
            replications=replications,
            seed=seed,
            years=years,
            twin_accuracy=twin,
            workers=workers,
            dask_address=dask,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            keep_costs=twin_study and (report is not None or xlsx is not None),
            **extra,
        )
    if report is not None or xlsx is not None:
        from optimizer.planning.pipeline import plan_scenario
        from optimizer.report.outputs import write_compare_outputs
        from optimizer.sim.twin_study import run_twin_study

        tv = run_twin_study(scn, cmp, workers=workers, progress=_echo) if twin_study else None
        err.print("planning and writing the report")
        write_compare_outputs(
            scn,
            cmp,
            plan=plan_scenario(scn),
            twin=tv,
            report=report,
            xlsx=xlsx,
            scenario_file=file,
            echo=_echo,
        )
    if as_json:
        _emit_json(cmp.as_dict())
        return
    first = next(iter(cmp.results.values()))
    table = Table(
        title=f"{escape(scn.name)}: {first.replications} replications x "
        f"{first.years:g} years, seed "
        f"{first.seed}, twin {first.twin_accuracy}; mean [95% CI], {scn.currency} over the horizon"
    )
    table.add_column("KPI")
    for name in cmp.results:
        table.add_column(name, justify="right")
    for key, label, kind in KPI_ROWS:
        row = [label]
        for r in cmp.results.values():
            e = r.kpis.get(key)
            row.append(_fmt_est(e.mean, e.ci_low, e.ci_high, kind) if e is not None else "")
        table.add_row(*row)
    out.print(table)
    diff = Table(title=f"Paired difference vs {cmp.baseline} (negative cost = saving)")
    diff.add_column("strategy")
    diff.add_column(f"total cost {scn.currency} [95% CI]", justify="right")
    diff.add_column("incl. end state [95% CI]", justify="right")
    diff.add_column("failures [95% CI]", justify="right")
    diff.add_column("availability [95% CI]", justify="right")
    diff.add_column("verdict")
    for name, est in cmp.differences.items():
        c = est["cost_total"]
        real = c.ci_high < 0 or c.ci_low > 0
        verdict = ("saves" if c.mean < 0 else "costs more") if real else "no significant difference"
        ce = est["total_with_end_state_cost"]
        diff.add_row(
            name,
            _fmt_est(c.mean, c.ci_low, c.ci_high, "money"),
            _fmt_est(ce.mean, ce.ci_low, ce.ci_high, "money"),
            _fmt_est(est["failures"].mean, est["failures"].ci_low, est["failures"].ci_high, "num"),
            _fmt_est(
                est["availability_fleet"].mean,
                est["availability_fleet"].ci_low,
                est["availability_fleet"].ci_high,
                "pct",
            ),
            verdict,
        )
    out.print(diff)
    for name, t in cmp.tuning.items():
        params = ", ".join(f"{k}={v:g}" for k, v in t["chosen"].items() if k != "name")
        out.print(f"tuned {name}: {params} (best of {len(t['candidates'])} on seed {t['seed']})")


@app.command(epilog=_exits(0, 1, 2))
def whatif(
    file: FileArg,
    option: Annotated[
        list[str],
        typer.Option(
            "--option",
            help="An option, repeated: 'replace C1-GBX on 2027-01-12', 'replace C1-GBX and "
            "C1-MOT on 2027-01-19', 'defer C1-GBX'. The first is the reference.",
        ),
    ],
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    days: Annotated[
        float | None,
        typer.Option("--days", min=1, help="Simulated days (default: the planning horizon)."),
    ] = None,
    hold: Annotated[
        bool,
        typer.Option(
            "--hold/--replan",
            help="Hold the rest of the fleet to the current plan, or re-plan it around each "
            "option (default).",
        ),
    ] = False,
    workers: WorkersOpt = None,
    report: ReportOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What-if of one decision: options compared on common random numbers.

    Each option pins the named actions; the rest of the fleet is re-planned around it
    (or held to the current plan with --hold) and every option's plan is simulated over
    the days: cost by category, P(failure before the action) simulated and exact,
    downtime, spare parts, crews, with paired 95% intervals against the first option.
    """
    from optimizer.sim.whatif import OptionError
    from optimizer.sim.whatif import whatif as _whatif

    _check_outputs({}, {"--report": report})
    scn = _load(file, as_json, plans=True)
    try:
        with _progress_bar("simulating options") as bar:
            task = bar.add_task("sim", total=None)
            res = _whatif(
                scn,
                option,
                days=days,
                replications=replications,
                seed=seed,
                hold=hold,
                workers=workers,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                say=lambda msg: bar.update(task, description=escape(msg)),
            )
    except OptionError as exc:
        if as_json:
            _emit_json({"valid": False, "option": exc.option, "problems": [str(exc)]})
        else:
            err.print(f"[bold red]--option {escape(repr(exc.option))}[/]: {escape(exc.reason)}")
        raise typer.Exit(2) from None
    except ValueError as exc:
        if as_json:
            _emit_json({"valid": False, "problems": [str(exc)]})
        else:
            err.print(f"[bold red]{escape(str(file))}[/]: {escape(str(exc))}")
        raise typer.Exit(2) from None
    if report is not None:
        from optimizer.report.whatif import whatif_report

        report.write_text(whatif_report(res, scenario_file=str(file)), encoding="utf-8")
        err.print(f"wrote {escape(str(report))}")
    if as_json:
        _emit_json(res.as_dict())
        return
    cur = escape(res.currency)
    table = Table(
        title=f"{escape(res.scenario)}: {res.replications} replications x {res.days:g} days, "
        f"seed {res.seed}, rest of the fleet "
        + ("held to the current plan" if res.mode == "hold" else "re-planned")
        + f"; mean [95% CI], {cur}"
    )
    table.add_column("KPI")
    for o in res.options:
        table.add_column(f"{o.name}\n{escape(o.option.text)}", justify="right")
    rows = [
        ("cost_total", "total cost", "money"),
        ("cost_preventive", "  preventive", "money"),
        ("cost_corrective", "  corrective", "money"),
        ("cost_setup", "  set-up", "money"),
        ("cost_lost_production", "  lost production", "money"),
        ("cost_labour", "  labour", "money"),
        ("cost_spares_holding", "  spares holding", "money"),
        ("cost_spares_ordering", "  spares order fees", "money"),
        ("cost_spares_expediting", "  spares expediting", "money"),
        ("cost_resources", "  campaign resources", "money"),
        ("downtime_unplanned_h", "unplanned downtime h", "num"),
        ("downtime_planned_h", "planned downtime h", "num"),
        ("failures", "failures", "num"),
        ("stockouts", "stock-outs", "num"),
        ("crew_utilization", "crew utilization", "pct"),
    ]
    for key, label, kind in rows:
        cells = [label]
        for o in res.options:
            e = o.kpis[key]
            cells.append(_fmt_est(e.mean, e.ci_low, e.ci_high, kind))
        table.add_row(*cells)
    cells = ["P(stock-out)"]
    for o in res.options:
        e = o.p_stockout
        cells.append(_fmt_est(e.mean, e.ci_low, e.ci_high, "pct"))
    table.add_row(*cells)
    cells = ["first-life expected cost (exact)"]
    cells += [f"{o.model_cost['total']:,.0f}" for o in res.options]
    table.add_row(*cells)
    cells = ["planner objective (exact)"]
    cells += [f"{o.planner_cost['total']:,.0f}" for o in res.options]
    table.add_row(*cells)
    out.print(table)
    if len(res.options) > 1:
        diff = Table(title=f"Paired difference vs option 1 ({cur}; negative = cheaper)")
        diff.add_column("option")
        diff.add_column("total cost [95% CI]", justify="right")
        diff.add_column("failures [95% CI]", justify="right")
        diff.add_column("unplanned downtime h [95% CI]", justify="right")
        diff.add_column("cost verdict")
        for o in res.options[1:]:
            c = o.paired["cost_total"]
            real = c.ci_high < 0 or c.ci_low > 0
            f = o.paired["failures"]
            dt = o.paired["downtime_unplanned_h"]
            diff.add_row(
                f"{o.name}: {escape(o.option.text)}",
                _fmt_est(c.mean, c.ci_low, c.ci_high, "money"),
                _fmt_est(f.mean, f.ci_low, f.ci_high, "num"),
                _fmt_est(dt.mean, dt.ci_low, dt.ci_high, "num"),
                "real" if real else "noise",
            )
        out.print(diff)
    act = Table(title=escape("P(failure before the action): exact and simulated [95% CI]"))
    act.add_column("option")
    act.add_column("component")
    act.add_column("planned start")
    act.add_column("exact", justify="right")
    act.add_column("simulated", justify="right")
    for o in res.options:
        for a in o.actions:
            e = a["p_fail_sim"]
            act.add_row(
                o.name,
                escape(str(a["component_id"])),
                escape(str(a["start"] or "not within the days")),
                f"{100 * a['p_fail_exact']:.2f}%",
                _fmt_est(e.mean, e.ci_low, e.ci_high, "pct"),
            )
    out.print(act)
    for o in res.options:
        for v in o.violations:
            out.print(f"  [yellow]{o.name}[/]: {escape(v)}")
    out.print(f"[bold]cheaper[/]: {escape(res.cheaper.text)}")
    out.print(f"[bold]less risky[/]: {escape(res.less_risky.text)}")


# --- CMMS data: import assets, fit life data, benchmark sites (optimizer.cmms) ----------
import_app = typer.Typer(help="Import CMMS data (asset registers) into a scenario.")
app.add_typer(import_app, name="import")

MapOpt = Annotated[
    Path | None,
    typer.Option("--map", help="Column mapping (YAML): preset, columns, types, date formats."),
]
PresetOpt = Annotated[
    str | None,
    typer.Option("--preset", help="maximo, sap or generic (overrides the mapping's preset)."),
]
HistoryArg = Annotated[
    Path, typer.Argument(help="History export (CSV or XLSX).", show_default=False)
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Censoring date of running units, YYYY-MM-DD (default: the scenario's plan start "
        "with --into, else the latest date in the file).",
    ),
]


def _cmms_fail(exc: Exception, as_json: bool) -> typer.Exit:
    """Print every problem of a CMMS input (file, row, column) and return exit 2."""
    from rich.markup import escape

    problems = list(getattr(exc, "problems", []))
    if as_json:
        _emit_json({"ok": False, "problems": [p.as_dict() for p in problems]})
    else:
        err.print(f"[bold red]{len(problems)} problem(s)[/]")
        for p in problems[:200]:
            err.print(f"  {escape(str(p))}")
        if len(problems) > 200:
            err.print(f"  ... and {len(problems) - 200} more")
    return typer.Exit(2)


def _scenario_data_or_exit(path: Path, as_json: bool) -> dict[str, Any]:
    from optimizer.cmms.assets import load_scenario_data

    try:
        return load_scenario_data(path)
    except ScenarioError:
        _load(path, as_json)  # prints the problems and exits 2
        raise


def _asset_maps(scn: Scenario) -> tuple[dict[str, str], dict[str, str], dict[str, float]]:
    """Type, site and operating hours per day of each component id of a scenario."""
    types: dict[str, str] = {}
    sites: dict[str, str] = {}
    hpd: dict[str, float] = {}
    for site in scn.fleet.sites:
        for system in site.systems:
            for comp in system.components:
                sites[comp.id] = site.id
                hpd[comp.id] = system.operating_h_per_day
                if comp.type is not None:
                    types[comp.id] = comp.type
    return types, sites, hpd


def _as_of(text: str | None) -> Any:
    from datetime import date

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[bold red]--as-of[/]: {text!r} is not a date YYYY-MM-DD")
        raise typer.Exit(2) from None


@import_app.command("assets", epilog=_exits(0, 1, 2))
def import_assets(
    register: Annotated[
        Path, typer.Argument(help="Asset register export (CSV or XLSX).", show_default=False)
    ],
    into: Annotated[
        Path, typer.Option("--into", help="Scenario file to merge the fleet into (rewritten).")
    ],
    mapping: MapOpt = None,
    preset: PresetOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report; write nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Merge an asset register (Maximo ASSET, SAP equipment, generic) into a scenario."""
    from optimizer.cmms.assets import dump_scenario
    from optimizer.cmms.assets import import_assets as run_import
    from optimizer.cmms.mapping import load_mapping
    from optimizer.cmms.tables import CmmsInputError

    _check_outputs({}, {"--into": None if dry_run else into})
    data = _scenario_data_or_exit(into, as_json)
    try:
        result = run_import(register, load_mapping(mapping, preset=preset), data)
    except CmmsInputError as exc:
        raise _cmms_fail(exc, as_json) from None
    if not dry_run:
        dump_scenario(result.data, into)
    summary = {"ok": True, "scenario": str(into), "written": not dry_run, **result.summary()}
    if as_json:
        _emit_json(summary)
        return
    out.print(
        f"{len(result.added)} component(s) added, {len(result.updated)} updated"
        + (
            f", systems created: {', '.join(result.created_systems)}"
            if result.created_systems
            else ""
        )
        + ("" if dry_run else f"; written {into}"),
        markup=False,
    )
    for note in result.notes:
        out.print(f"  note: {note}", markup=False)


@app.command(epilog=_exits(0, 1, 2))
def fit(
    history: HistoryArg,
    by: Annotated[str, typer.Option("--by", help="Group by type, site or asset.")] = "type",
    family: Annotated[
        str, typer.Option("--family", help="weibull, lognormal or auto (lower AIC).")
    ] = "auto",
    mapping: MapOpt = None,
    preset: PresetOpt = None,
    into: Annotated[
        Path | None,
        typer.Option(
            "--into",
            help="Write the fitted lives (by type) and current ages into this scenario.",
        ),
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="Read-only scenario giving each asset's type, site and operating hours.",
        ),
    ] = None,
    as_of: AsOfOpt = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="HTML report with probability plots.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit life distributions with right censoring to a failure / work-order history."""
    from datetime import date

    from optimizer.cmms.assets import dump_scenario
    from optimizer.cmms.history import fit_groups, fits_into_scenario, read_history
    from optimizer.cmms.mapping import load_mapping
    from optimizer.cmms.tables import CmmsInputError

    _check_choice("--by", by, ("type", "site", "asset"))
    _check_choice("--family", family, ("weibull", "lognormal", "auto"))
    if into is not None and by != "type":
        err.print("[bold red]--into[/]: writes component types, so it needs --by type")
        raise typer.Exit(2)
    _check_outputs({}, {"--into": into, "--report": report})
    when = _as_of(as_of)
    data: dict[str, Any] | None = None
    types: dict[str, str] = {}
    sites: dict[str, str] = {}
    hpd: dict[str, float] = {}
    source = into if into is not None else scenario
    if source is not None:
        from optimizer.loading import parse_scenario

        data = _scenario_data_or_exit(source, as_json)
        scn = parse_scenario(data)
        types, sites, hpd = _asset_maps(scn)
        if when is None:
            when = scn.calendar.start.date()
    try:
        hist = read_history(
            history,
            load_mapping(mapping, preset=preset),
            as_of=when,
            asset_types=types,
            asset_sites=sites,
            asset_h_per_day=hpd,
        )
    except CmmsInputError as exc:
        raise _cmms_fail(exc, as_json) from None
    if by == "site" and (hist.lives["site"] == "").any():
        err.print("[bold red]--by site[/]: some records have no site (map a site column, or "
                  "give --scenario / --into with a scenario that has the assets)")  # fmt: skip
        raise typer.Exit(2)
    fits = fit_groups(hist, by=by, family=family)  # type: ignore[arg-type]
    notes: list[str] = []
    if hist.no_start:
        notes.append(
            f"{hist.no_start} first removal(s) without install date only start the next life"
        )
    if hist.zero_censored:
        notes.append(
            f"{hist.zero_censored} censored life(s) of 0 h (removed, or as of, the day the"
            " part was installed) add nothing to the likelihood: not in the fits"
        )
    if into is not None and data is not None:
        new, more = fits_into_scenario(data, fits, hist, fitted_on=date.today())
        try:
            dump_scenario(new, into)
        except ScenarioError as exc:
            raise _cmms_fail(exc, as_json) from None
        notes += [*more, f"written {into}"]
    if report is not None:
        from optimizer.report.cmms import fit_report_html, write_cmms_report

        write_cmms_report(fit_report_html(fits, hist, by=by), report)
        notes.append(f"written {report}")
    if as_json:
        _emit_json(
            {"source": str(history), "as_of": hist.as_of, "by": by,
             "groups": [g.as_dict() for g in fits], "notes": notes}
        )  # fmt: skip
        return
    t = Table(title=f"Life fits by {by} (as of {hist.as_of}; 95% intervals)")
    for c in ("group", "family", "fail", "cens", "parameters", "mean life h", "AIC", "warnings"):
        t.add_column(c, overflow="fold")
    for g in fits:
        d = g.as_dict()
        params = ", ".join(
            f"{k} {v:,.4g} [{d['ci95'][k][0]:,.4g}, {d['ci95'][k][1]:,.4g}]"
            for k, v in d.get("params", {}).items()
        )
        mean = (
            f"{d['mean_life_h']:,.0f} [{d['mean_life_ci95_h'][0]:,.0f}, "
            f"{d['mean_life_ci95_h'][1]:,.0f}]"
            if "mean_life_h" in d
            else "-"
        )
        aic = ", ".join(f"{k} {v:,.1f}" for k, v in d["aic"].items())
        from rich.markup import escape

        t.add_row(escape(g.key), g.chosen or "-", str(g.n_failures), str(g.n_censored), params,
                  mean, aic, escape("; ".join(g.warnings)))  # fmt: skip
    out.print(t)
    for n in notes:
        out.print(f"  {n}", markup=False)


@app.command(epilog=_exits(0, 1, 2))
def benchmark(
    history: HistoryArg,
    by: Annotated[str, typer.Option("--by", help="Compare sites or assets.")] = "site",
    family: Annotated[str, typer.Option("--family", help="weibull or lognormal.")] = "weibull",
    alpha: Annotated[
        float,
        typer.Option("--alpha", min=1e-6, max=0.5, help="False-alarm rate per component type."),
    ] = 0.05,
    mapping: MapOpt = None,
    preset: PresetOpt = None,
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Scenario giving the type and site of each asset."),
    ] = None,
    as_of: AsOfOpt = None,
    report: Annotated[Path | None, typer.Option("--report", help="HTML report.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Benchmark like components across sites: flag under-performers with evidence."""
    from optimizer.cmms.benchmark import benchmark as run_benchmark
    from optimizer.cmms.history import read_history
    from optimizer.cmms.mapping import load_mapping
    from optimizer.cmms.tables import CmmsInputError

    _check_choice("--by", by, ("site", "asset"))
    _check_choice("--family", family, ("weibull", "lognormal"))
    _check_outputs({}, {"--report": report})
    types: dict[str, str] = {}
    sites: dict[str, str] = {}
    hpd: dict[str, float] = {}
    if scenario is not None:
        types, sites, hpd = _asset_maps(_load(scenario, as_json))
    try:
        hist = read_history(
            history,
            load_mapping(mapping, preset=preset),
            as_of=_as_of(as_of),
            asset_types=types,
            asset_sites=sites,
            asset_h_per_day=hpd,
        )
    except CmmsInputError as exc:
        raise _cmms_fail(exc, as_json) from None
    if by == "site" and (hist.lives["site"] == "").any():
        err.print("[bold red]--by site[/]: some records have no site (map a site column or "
                  "pass --scenario)")  # fmt: skip
        raise typer.Exit(2)
    res = run_benchmark(hist.lives, by=by, family=family, alpha=alpha)  # type: ignore[arg-type]
    if report is not None:
        from optimizer.report.cmms import benchmark_report_html, write_cmms_report

        write_cmms_report(benchmark_report_html(res, source=str(history)), report)
    if as_json:
        _emit_json(res.as_dict())
        return
    out.print(res.method, markup=False)
    t = Table(title=f"Benchmark by {by}")
    for c in ("type", by, "verdict", "fail", "mean life h [95%]", "rest of fleet h", "p"):
        t.add_column(c)
    for r in res.rows:
        verdict = (
            "[bold red]UNDER-PERFORMER[/]"
            if r.flagged
            else (
                "differs" if r.differs else ("in line" if np.isfinite(r.p_value) else "not tested")
            )
        )
        mean = (
            f"{r.mean_life_h:,.0f} [{r.mean_life_ci_h[0]:,.0f}, {r.mean_life_ci_h[1]:,.0f}]"
            if np.isfinite(r.mean_life_h)
            else "-"
        )
        rest = f"{r.rest_mean_life_h:,.0f}" if np.isfinite(r.rest_mean_life_h) else "-"
        p = f"{r.p_value:.3g}" if np.isfinite(r.p_value) else "-"
        from rich.markup import escape

        t.add_row(escape(r.type), escape(r.group), verdict, str(r.n_failures), mean, rest, p)
    out.print(t)
    for r in res.flagged:
        out.print(f"  {r.group} ({r.type}): {r.note}", markup=False)
    if report is not None:
        out.print(f"written {report}", markup=False)


@app.command(epilog=_exits(0, 1, 2))
def risk(
    file: FileArg,
    days: Annotated[
        float, typer.Option("--days", help="Window from the plan start, calendar days.")
    ] = 30.0,
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", help="Write the ranked systems to this CSV file.", dir_okay=False),
    ] = None,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair/--no-repair",
            help="Systems with redundancy: simulate failed members being repaired in the "
            "window (Monte Carlo) instead of the exact no-repair probability.",
        ),
    ] = False,
    replications: Annotated[
        int, typer.Option("--replications", min=1, help="Replications per simulated system.")
    ] = 10_000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed (--repair).")] = 0,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows of each table shown.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """System health and risk: P(system down within --days), production at risk, drivers.

    Exact for independent components (series and k-out-of-n groups); the health score is
    100 x (1 - P(down)).
    """
    from optimizer.risk import system_risk

    _check_outputs({}, {"--csv": csv_path})
    scn = _load(file, as_json)
    try:
        res = system_risk(scn, days, repair=repair, replications=replications, seed=seed)
    except ValueError as exc:
        msg = str(exc)
        err.print(
            f"[bold red]invalid input[/]: {escape(('--' if msg.startswith('days:') else '') + msg)}"
        )
        raise typer.Exit(2) from None
    if csv_path is not None:
        from optimizer.report.export import write_records_csv

        cols = (
            "rank", "system_id", "site_id", "name", "p_down", "p_down_ci", "expected_loss",
            "outage_h", "health", "method", "drivers",
        )  # fmt: skip
        write_records_csv(res.rows(), cols, csv_path)
    if as_json:
        _emit_json(res.as_dict())
        return
    cur = escape(res.currency)
    table = Table(
        title=f"{escape(res.scenario)}: risk over {res.days:g} days from "
        f"{res.start:%Y-%m-%d}; production at risk {_fmt_money(res.expected_loss)} {cur}"
    )
    for col, just in [
        ("#", "right"),
        ("system", "left"),
        ("P(down)", "right"),
        (f"at risk {cur}", "right"),
        ("health", "right"),
        ("method", "left"),
        ("drivers (Birnbaum importance)", "left"),
    ]:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for s in res.systems[:top]:
        name = s.system_id + (f" ({s.name})" if s.name else "")
        p_txt = f"{100 * s.p_down:.2f}%"
        if s.p_down_ci is not None:
            p_txt += f" [{100 * s.p_down_ci[0]:.2f}, {100 * s.p_down_ci[1]:.2f}]"
        table.add_row(
            str(s.rank),
            escape(name),
            p_txt,
            _fmt_money(s.expected_loss),
            f"{s.health:.1f}",
            escape(s.method.split(" (")[0]),
            escape(", ".join(f"{d.component_id} {d.importance:.2f}" for d in s.drivers[:3])),
        )
    out.print(table)
    ctab = Table(title="Components: production at risk removed by renewing each today")
    for col, just in [
        ("component", "left"),
        ("system", "left"),
        (f"P(fail in {res.days:g} d)", "right"),
        ("importance", "right"),
        ("P(down) drop", "right"),
        (f"{cur} at risk removed", "right"),
        ("RUL from", "left"),
    ]:
        ctab.add_column(col, justify=just)  # type: ignore[arg-type]
    for c in res.components[:top]:
        ctab.add_row(
            escape(c.component_id),
            escape(c.system_id),
            f"{100 * c.p_fail:.2f}%",
            f"{c.importance:.3f}",
            f"{100 * c.renewal_drop:.2f} pt",
            _fmt_money(c.loss_reduction),
            c.source,
        )
    out.print(ctab)
    out.print(
        "[dim]health = 100 x (1 - P(down)): the chance in % of no failure stop in the window;"
        " exact = independent parts, no repair inside the window (series systems: exact with"
        " repair too)[/]"
    )
    if csv_path is not None:
        err.print(f"written: {escape(str(csv_path))}")


@app.command("worker", epilog=_exits(0, 1, 2))
def worker_cmd(
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Solver processes (OPPORTUNE_WORKERS)."),
    ] = None,
) -> None:
    """Solve queued runs of the service's store, without serving HTTP (scale-out).

    Run it on any number of machines against the same PostgreSQL as
    `opportune serve --workers 0`; SIGTERM or Ctrl-C drains it (a busy worker gets
    OPPORTUNE_SHUTDOWN_GRACE_S to finish its run).
    """
    from optimizer.service.admin import run_workers

    run_workers(workers)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``opportune`` console script.

    Called without ``argv`` (as the process's entry point), a command that leaves a
    HiGHS run busy past its time limit (a HiGHS phase that checks no interrupt, see
    :data:`optimizer.solvers.highs.ABANDON_GRACE_S`) ends the process at once with its
    exit code after flushing its output, instead of waiting for that run.
    """
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit as exc:
        highs = sys.modules.get("optimizer.solvers.highs")
        if argv is None and highs is not None and highs.unfinished_runs():
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None
    except Exception as exc:
        if os.environ.get("OPPORTUNE_DEBUG"):
            raise
        err.print(f"[bold red]error[/]: {type(exc).__name__}: {escape(str(exc))}")
        err.print("set OPPORTUNE_DEBUG=1 to see the traceback")
        raise SystemExit(1) from None


if __name__ == "__main__":  # pragma: no cover
    main()


# --- HTTP service: thin hooks into optimizer.service (imported only when used) ---------
@app.command(epilog=_exits(0, 1, 2))
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[
        int | None, typer.Option("--workers", min=0, help="Solver processes (OPPORTUNE_WORKERS).")
    ] = None,
) -> None:
    """Run the HTTP scheduling service (settings: OPPORTUNE_* environment variables)."""
    from optimizer.service.admin import serve as _serve

    _serve(host, port, workers)


keys_app = typer.Typer(help="API keys of the HTTP service.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create", epilog=_exits(0, 1, 2))
def keys_create(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant (created if new).")],
) -> None:
    """Create a key; it is printed once, alone on the last line."""
    from optimizer.service.admin import create_key

    try:
        create_key(tenant)
    except ValueError as exc:
        err.print(f"[bold red]--tenant[/]: {escape(str(exc))}")
        raise typer.Exit(2) from None


@keys_app.command("list", epilog=_exits(0, 1))
def keys_list() -> None:
    """List keys (id, tenant, prefix, state); keys themselves are never shown."""
    from optimizer.service.admin import list_keys

    list_keys()


@keys_app.command("revoke", epilog=_exits(0, 1, 2))
def keys_revoke(key_id: Annotated[int, typer.Argument(help="Key id from `keys list`.")]) -> None:
    """Revoke a key (takes effect within 10 s on running servers)."""
    from optimizer.service.admin import revoke_key

    if not revoke_key(key_id):
        err.print(f"no active key #{key_id}")
        raise typer.Exit(2)
