"""Is the solvers' time limit honoured on a large instance? (issues 3 and 4)

A time limit must return the best plan found with its gap, within the limit: measured
from the start of the call (model build included).  Instance: ``fleet1k`` of
``benchmarks/bench_fleet.py`` (1,000 components, 188,791 x columns).  Each solver runs
in a fresh subprocess, so a HiGHS run abandoned at the deadline (it finishes in the
background) does not disturb the next measurement.  Reports wall seconds of the call,
CPU seconds of the process, the 1-minute load, status, objective and bound.

Run: ``python3 benchmarks/bench_time_limit.py [--limit 10] [--solvers direct,pyomo,cpsat]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _one(solver: str, limit: float, case: str) -> dict[str, object]:
    sys.path.insert(0, str(HERE))
    import bench_fleet

    pb = bench_fleet.build(case)
    t0, c0 = time.perf_counter(), time.process_time()
    if solver == "cpsat":
        from optimizer.solvers.cpsat import solve_cpsat

        plan = solve_cpsat(pb, time_limit_s=limit, gap=1e-3)
    else:
        from optimizer.solvers.milp import solve_milp

        plan = solve_milp(pb, time_limit_s=limit, gap=1e-3, backend=solver)  # type: ignore[arg-type]
    return {
        "solver": solver,
        "limit_s": limit,
        "wall_s": round(time.perf_counter() - t0, 2),
        "cpu_s": round(time.process_time() - c0, 2),
        "load1": os.getloadavg()[0],
        "status": str(plan.status.value),
        "objective": plan.objective,
        "lower_bound": plan.lower_bound,
        "log": list(plan.log),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=float, default=10.0)
    ap.add_argument("--solvers", default="direct,pyomo,cpsat")
    ap.add_argument("--case", default="fleet1k")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        # child: print the one result as the last stdout line
        print(json.dumps(_one(args.one, args.limit, args.case)))
        return
    for solver in args.solvers.split(","):
        cmd = [sys.executable, __file__, "--one", solver, "--limit", str(args.limit)]
        cmd += ["--case", args.case]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{res['solver']:>6}: limit {res['limit_s']} s, wall {res['wall_s']} s, "
            f"CPU {res['cpu_s']} s, load {res['load1']:.2f}, {res['status']}, "
            f"objective {res['objective']:,.2f}, bound {res['lower_bound']:,.2f}"
        )
        for line in res["log"]:
            print(f"        {line}")


if __name__ == "__main__":
    main()
