"""Report generation for the bundled fleet stays fast and small.

The simulation is kept tiny (2 replications of 1 year); what is timed is everything
the report adds on top of it: planning the fleet, the charts, the page, the CSV and the
workbook. Budget: 10 s (CPU time of this process) and 10 MB (the page carries plotly.js,
about 4.6 MB, once).
"""

from __future__ import annotations

import time
from pathlib import Path

from optimizer.loading import load_scenario
from optimizer.planning.pipeline import plan_scenario
from optimizer.report.comparison import write_compare_report
from optimizer.sim.simulate import compare
from optimizer.sim.twin_study import run_twin_study

ROOT = Path(__file__).resolve().parents[3]


def test_windfarm_report_within_budget(tmp_path: Path) -> None:
    scn = load_scenario(ROOT / "scenarios" / "windfarm.yaml")
    cmp = compare(scn, replications=2, seed=3, years=1.0, workers=1)
    tv = run_twin_study(scn, cmp, workers=1)
    t0, c0 = time.perf_counter(), time.process_time()
    written = write_compare_report(
        scn,
        cmp,
        report=tmp_path / "report.html",
        xlsx=tmp_path / "report.xlsx",
        plan=plan_scenario(scn),
        twin=tv,
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    # The report runs in this process only: its CPU time is the wall time of an unloaded
    # machine and does not fail when other jobs share the cores.
    assert cpu < 10.0, f"report took {cpu:.1f} s of CPU ({wall:.1f} s wall)"
    html = written[0]
    size = html.stat().st_size
    assert size < 10 * 1024 * 1024, f"report is {size / 2**20:.1f} MiB"
    # 42 turbines, 252 components: the per-system tables are in the CSV, not the page.
    assert (tmp_path / "comparison.csv").stat().st_size > 10_000
