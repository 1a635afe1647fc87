"""The ``opportune`` command line: parse arguments, call the core, format the result.

Exit codes: 0 success, 2 invalid input (every problem listed with its field path and
line), 1 an internal error (reported in one line; ``OPPORTUNE_DEBUG=1`` shows the
traceback).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from optimizer.loading import ScenarioError, load_scenario
from optimizer.scenario import Scenario, scenario_json_schema, scenario_summary

app = typer.Typer(
    name="opportune",
    help="Opportune: prescriptive maintenance planning from remaining-useful-life models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

FileArg = Annotated[
    Path, typer.Argument(help="Scenario file (YAML or JSON).", show_default=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def _load(path: Path, as_json: bool) -> Scenario:
    try:
        return load_scenario(path)
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
            err.print(f"[bold red]{path}[/]: {len(exc.problems)} problem(s)")
            for p in exc.problems:
                where = f"line {p.line}: " if p.line is not None else ""
                err.print(f"  {where}[bold]{p.path}[/]: {p.message}", markup=True)
        raise typer.Exit(2) from None


@app.command()
def validate(file: FileArg, as_json: JsonOpt = False) -> None:
    """Check a scenario file and print a short summary.

    Exits 0 if valid; 2 with every problem (field path, line, what is wrong) if not.
    """
    scn = _load(file, as_json)
    summary = dict(scenario_summary(scn))
    if as_json:
        _emit_json({"valid": True, "file": str(file), "summary": summary})
        return
    out.print(f"[green]valid[/]: {file}")
    out.print(
        f"{summary['name']}: {summary['sites']} site(s), {summary['systems']} system(s), "
        f"{summary['components']} component(s) ({summary['with_prognostics']} with twin "
        f"prognostics), {summary['crews']} crew(s) / {summary['technicians']} technicians, "
        f"{summary['parts']} spare part(s); plan from {summary['plan_start']} over "
        f"{summary['horizon_days']} days in {summary['periods']} period(s); currency "
        f"{summary['currency']}"
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (draft 2020-12)."""
    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


def _fmt_money(x: float) -> str:
    return f"{x:,.0f}"


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``opportune`` console script."""
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback
        if os.environ.get("OPPORTUNE_DEBUG"):
            raise
        err.print(f"[bold red]error[/]: {type(exc).__name__}: {exc}")
        err.print("set OPPORTUNE_DEBUG=1 to see the traceback")
        raise SystemExit(1) from None


if __name__ == "__main__":  # pragma: no cover
    main()
