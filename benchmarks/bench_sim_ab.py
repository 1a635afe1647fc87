"""CPU per replication of two versions of the simulator's event engine, interleaved.

On a shared machine the CPU time of a replication drifts with the load (cache and
frequency effects), so two engine versions measured one after the other are not
comparable.  This script loads an old ``optimizer/sim/engine.py`` from its file (e.g.
``git show main:optimizer/sim/engine.py > /tmp/engine_main.py``) next to the engine of
this checkout (``PYTHONPATH``) and runs them replication by replication, alternating,
on the same compiled model, policy and seeds: the ratio of their CPU times is
insensitive to the load.  It also checks that both give the same KPI vectors::

    git show main:optimizer/sim/engine.py > /tmp/engine_main.py
    PYTHONPATH=. python3 benchmarks/bench_sim_ab.py --old /tmp/engine_main.py --reps 30

Fleet: :func:`bench_simulate.synthetic_fleet` (1,000 components, 10 years, twin none).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "benchmarks"))

import optimizer.sim.engine as new_engine  # noqa: E402
from optimizer.sim.model import compile_model  # noqa: E402
from optimizer.sim.strategies import make_policy  # noqa: E402
from optimizer.sim.twin import Twin  # noqa: E402


def _load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("engine_old", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--old", required=True, help="path of the old engine.py")
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument(
        "--strategies", default="run-to-failure,fixed-interval,optimal-age", help="comma list"
    )
    args = ap.parse_args()
    from bench_simulate import synthetic_fleet

    old = _load(args.old)
    model = compile_model(synthetic_fleet(), years=10.0)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    for strat in args.strategies.split(","):
        twin = Twin("none")
        pol = make_policy(strat)
        pol.prepare(model, twin)
        cpu: dict[str, list[float]] = {"old": [], "new": []}
        load0 = os.getloadavg()[0]
        for r in range(args.reps + 1):
            order = (
                (("old", old), ("new", new_engine))
                if r % 2
                else (("new", new_engine), ("old", old))
            )
            kp = {}
            for name, eng in order:
                gc.collect()
                t = time.process_time()
                k, _ = eng.run_replication(model, pol, twin, 1, r)
                if r:  # replication 0 warms the caches
                    cpu[name].append(time.process_time() - t)
                kp[name] = k
            if not np.array_equal(kp["old"], kp["new"], equal_nan=True):
                print(f"  {strat} replication {r}: KPIs DIFFER")
        o, n = np.array(cpu["old"]), np.array(cpu["new"])
        print(
            f"  {strat:15s} CPU ms/rep old {1000 * o.mean():.1f}  new {1000 * n.mean():.1f}"
            f"  ({100 * (1 - n.sum() / o.sum()):.0f}% less; median of per-rep ratios"
            f" {statistics.median(n / o):.2f}); load {load0:.2f} -> {os.getloadavg()[0]:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
