"""Benchmark: what-if of 3 options on the plant with 1,000 replications (prints results).

The decision: the L1 press gearbox (``L1-GBX-MAIN``, its twin predicts a bearing
failure within the year) replaced on 2027-03-06 (a Saturday, the first weekend its
spare can be there), in the summer shutdown (2027-07-31), or deferred.  The rest of the
plant is re-planned around each option (``--hold`` keeps it at the current plan), then
every option is simulated over the one-year horizon on common random numbers.

Reports the wall time of each stage (planning per option, simulation, summary), the
peak RSS of this process and of the simulation workers, the verdict and the paired
differences, and the exact against the simulated P(failure before the action).

Usage::

    python3 benchmarks/bench_whatif.py                      # 1,000 replications, 2 workers
    python3 benchmarks/bench_whatif.py --replications 200 --hold
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OPTIONS = (
    "replace L1-GBX-MAIN on 2027-03-06",
    "replace L1-GBX-MAIN on 2027-07-31",
    "defer L1-GBX-MAIN",
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--hold", action="store_true", help="hold the rest to the current plan")
    args = ap.parse_args()

    from optimizer.loading import load_scenario
    from optimizer.sim.whatif import whatif

    scn = load_scenario(ROOT / "scenarios" / "plant.yaml")
    t0 = time.perf_counter()
    stages: list[tuple[str, float]] = []

    def say(msg: str) -> None:
        stages.append((msg, time.perf_counter() - t0))

    res = whatif(
        scn,
        list(OPTIONS),
        replications=args.replications,
        seed=args.seed,
        workers=args.workers,
        hold=args.hold,
        say=say,
    )
    total = time.perf_counter() - t0
    stages.append(("done", total))
    print(f"what-if on plant.yaml: {len(OPTIONS)} options, {res.replications} replications,")
    print(f"  {res.days:g} days, mode {res.mode}, {args.workers} workers")
    for (msg, a), (_, b) in itertools.pairwise(stages):
        print(f"  {b - a:8.1f} s  {msg}")
    print(f"  {total:8.1f} s  total")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak RSS {own:,.0f} MiB (this process), {kids:,.0f} MiB (largest worker)")
    cur = res.currency
    for o in res.options:
        c = o.kpis["cost_total"]
        line = f"  {o.name} ({o.option.text}): cost {c.mean:,.0f} [{c.ci_low:,.0f}, {c.ci_high:,.0f}] {cur}"
        if o.paired:
            d = o.paired["cost_total"]
            line += f"; vs option 1 {d.mean:+,.0f} [{d.ci_low:+,.0f}, {d.ci_high:+,.0f}]"
        print(line)
        for a in o.actions:
            s = a["p_fail_sim"]
            print(
                f"      P(fail before) exact {a['p_fail_exact']:.4f},"
                f" simulated {s.mean:.4f} [{s.ci_low:.4f}, {s.ci_high:.4f}]"
            )
        print(
            f"      first-life expected cost {o.model_cost['total']:,.0f},"
            f" planner objective {o.planner_cost['total']:,.0f}"
        )
    print("  cheaper:", res.cheaper.text)
    print("  less risky:", res.less_risky.text)
    print(json.dumps({"total_s": round(total, 1), "replications": res.replications}))


if __name__ == "__main__":
    main()
