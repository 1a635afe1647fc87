"""HTML reports and exports: strategy comparison for management, plan views for planners.

The report formats results it is given and runs nothing: the caller plans, simulates
and runs the twin study, then hands the results over.  Public API (imported lazily, so
``import optimizer.report`` does not load plotly)::

    from optimizer.report import write_plan_report, write_compare_report
    write_plan_report(plan_scenario(scn), "plan.html")
    cmp = compare(scn)
    write_compare_report(
        scn, cmp, report="report.html", xlsx="report.xlsx",
        plan=plan_scenario(scn), twin=run_twin_study(scn, cmp),
    )

:mod:`optimizer.report.outputs` holds the writers the ``plan`` and ``compare`` commands
call.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optimizer.report.comparison import (
        CompareReport,
        compare_report,
        compare_tables,
        write_compare_report,
    )
    from optimizer.report.export import write_csv, write_xlsx
    from optimizer.report.plan_report import plan_report_html, plan_tables, write_plan_report

__all__ = [
    "CompareReport",
    "compare_report",
    "compare_tables",
    "plan_report_html",
    "plan_tables",
    "write_compare_report",
    "write_csv",
    "write_plan_report",
    "write_xlsx",
]

_WHERE: dict[str, str] = {
    "CompareReport": "comparison",
    "compare_report": "comparison",
    "compare_tables": "comparison",
    "write_compare_report": "comparison",
    "write_csv": "export",
    "write_xlsx": "export",
    "plan_report_html": "plan_report",
    "plan_tables": "plan_report",
    "write_plan_report": "plan_report",
}


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'optimizer.report' has no attribute {name!r}")
    return getattr(import_module(f"optimizer.report.{mod}"), name)
