"""Benchmark: simulator memory against the number of replications (prints results).

The issue asks for memory flat in the number of replications: per-replication KPI
vectors are folded into running statistics as batches come back, at most four batches
per worker are in flight, and events are kept only with ``keep_events=True``.

For each replication count (default 50, 200, 800) a fresh Python process compiles a
moderate synthetic fleet (``--systems`` x 10 components with crews, spares and
redundancy, from :func:`bench_simulate.synthetic_fleet`), warms up with a few
replications, then runs the study and reports

* ``traced``: the peak of Python allocations during the study (``tracemalloc``, one
  worker, in-process), minus what was allocated before it;
* ``rss``: the process's peak resident set size (``getrusage(RUSAGE_SELF).ru_maxrss``)
  after the study, and its growth over the peak before it (one worker, in-process);
* ``rss 2 workers``: peak RSS of this process and of the worker processes
  (``RUSAGE_CHILDREN``, the largest child) for the same study on 2 local workers.

``keep_events=True`` is measured too for the smaller counts, as the contrast: the event
log does grow with the replications, as documented.

Usage::

    python3 benchmarks/bench_sim_memory.py                  # 50, 200, 800 replications
    python3 benchmarks/bench_sim_memory.py --reps 50 200 --systems 10
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _child(reps: int, mode: str, systems: int, years: float, strategy: str) -> dict[str, Any]:
    from bench_simulate import synthetic_fleet

    from optimizer.sim.model import compile_model
    from optimizer.sim.simulate import simulate

    model = compile_model(synthetic_fleet(n_systems=systems), years=years)
    keep = mode == "events"
    workers = 2 if mode == "rss2" else 1
    kw: dict[str, Any] = {"seed": 1, "twin_accuracy": "none", "keep_events": keep}
    simulate(model, strategy, replications=4, workers=1, **kw)  # imports, caches
    out: dict[str, Any] = {"reps": reps, "mode": mode}
    if mode in ("trace", "events"):
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t, c = time.perf_counter(), time.process_time()
    res = simulate(model, strategy, replications=reps, workers=workers, **kw)
    out["wall_s"] = time.perf_counter() - t
    out["cpu_s"] = time.process_time() - c
    if mode in ("trace", "events"):
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["traced_peak_mib"] = (peak - base) / 2**20
    out["rss_before_mib"] = rss0 / 1024
    out["rss_peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["children_peak_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out["events"] = 0 if res.events is None else len(res.events)
    out["cost_mean"] = res["cost_total"].mean
    out["components"] = model.n
    return out


def _run(reps: int, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        str(reps),
        mode,
        "--systems",
        str(args.systems),
        "--years",
        str(args.years),
        "--strategy",
        args.strategy,
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, nargs="+", default=[50, 200, 800])
    ap.add_argument("--systems", type=int, default=30, help="systems of 10 components")
    ap.add_argument("--years", type=float, default=3.0)
    ap.add_argument("--strategy", default="optimal-age")
    ap.add_argument("--events-up-to", type=int, default=200, help="keep_events runs up to N")
    ap.add_argument("--child", nargs=2, metavar=("REPS", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        out = _child(int(args.child[0]), args.child[1], args.systems, args.years, args.strategy)
        print(json.dumps(out))
        return
    print(
        f"synthetic fleet {args.systems * 10} components, {args.years:g} years, {args.strategy};"
        f" load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(
        "  reps | traced peak (1 worker) | RSS peak / growth (1 worker) |"
        " RSS 2 workers: parent / largest worker | wall 1w | CPU 1w"
    )
    for reps in args.reps:
        tr = _run(reps, "trace", args)
        r1 = _run(reps, "rss", args)
        r2 = _run(reps, "rss2", args)
        grow = r1["rss_peak_mib"] - r1["rss_before_mib"]
        print(
            f"  {reps:4d} | {tr['traced_peak_mib']:8.2f} MiB |"
            f" {r1['rss_peak_mib']:7.1f} MiB / +{grow:5.1f} MiB |"
            f" {r2['rss_peak_mib']:7.1f} / {r2['children_peak_mib']:7.1f} MiB |"
            f" {r1['wall_s']:6.1f} s | {r1['cpu_s']:6.1f} s"
        )
    for reps in [r for r in args.reps if r <= args.events_up_to]:
        ev = _run(reps, "events", args)
        print(
            f"  keep_events=True, {reps:4d} reps: traced peak {ev['traced_peak_mib']:8.2f} MiB,"
            f" {ev['events']:,} events"
        )
    print(f"  load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
