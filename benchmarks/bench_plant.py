"""How long does the bundled plant plan take, and what does it cost? (issue 12, #13 cause 8)

Plans ``scenarios/plant.yaml`` as ``opportune plan`` does (:func:`plan_scenario`, its own
settings unless ``--limits`` overrides the time limit), each run in a fresh subprocess
(a HiGHS run abandoned at its deadline finishes in the background and would disturb the
next one).  Reports wall and CPU seconds of the plan (build to work orders), the
1-minute load, status, objective, bound, gap, the first solve's objective (before the
hour-level rounds), the rounds run and whether ``opportune check`` prices the work
orders at the objective (relative difference).

Run: ``python3 benchmarks/bench_plant.py [--limits 60,10]`` from the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _one(limit: float | None) -> dict[str, object]:
    from optimizer.check import check_plan
    from optimizer.loading import load_scenario
    from optimizer.planning.pipeline import plan_scenario

    scn = load_scenario(ROOT / "scenarios" / "plant.yaml")
    t0, c0 = time.perf_counter(), time.process_time()
    res = plan_scenario(scn, time_limit_s=limit)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    p = res.plan
    rounds = [m for m in p.log if m.startswith("hour-level round")]
    first = None
    if rounds:
        hit = re.search(r": ([\d,.]+) ->", rounds[0])
        first = float(hit.group(1).replace(",", "")) if hit else None
    chk = check_plan(scn, [w.as_dict() for w in res.orders])
    return {
        "limit_s": limit if limit is not None else scn.plan.time_limit_s,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "load_1min": os.getloadavg()[0],
        "status": str(p.status),
        "objective": round(p.objective, 2),
        "lower_bound": round(p.lower_bound, 2),
        "gap_pct": round(100 * p.gap, 3),
        "first_solve_objective": first if first is not None else round(p.objective, 2),
        "rounds": len(rounds),
        "timings_s": {k: round(v, 2) for k, v in res.timings_s.items()},
        "check_rel_diff": (chk.cost["total"] - p.objective) / max(abs(p.objective), 1e-9),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limits", default="60,10", help="time limits, s ('own': the scenario's)")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(_one(None if args.one == "own" else float(args.one))))
        return
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for lim in args.limits.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--one", lim.strip()],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
