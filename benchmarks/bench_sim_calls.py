"""Python function calls of one simulator replication (deterministic hot-path check).

CPU time per replication is noisy on a shared machine; the number of Python function
calls of the same replication is not.  Run it on two code versions (e.g. ``main`` and a
branch, each with its own ``PYTHONPATH``) to see what a change adds to the hot path of a
scenario that does not use the new feature (the package is imported from ``PYTHONPATH``
when it is set, else from this checkout)::

    PYTHONPATH=. python3 benchmarks/bench_sim_calls.py
    PYTHONPATH=/path/to/main python3 benchmarks/bench_sim_calls.py

Fleet: :func:`bench_simulate.synthetic_fleet` with 40 systems x 10 components (400),
10 years, twin none, replication 1 of seed 1 (replication 0 warms the caches).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "benchmarks"))

# the package (from PYTHONPATH) before bench_simulate, which puts this checkout first on
# sys.path when it is imported (inside main)
from optimizer.sim.engine import run_replication  # noqa: E402
from optimizer.sim.model import compile_model  # noqa: E402
from optimizer.sim.strategies import make_policy  # noqa: E402
from optimizer.sim.twin import Twin  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "strategies", nargs="*", default=["run-to-failure", "fixed-interval", "optimal-age"]
    )
    ap.add_argument("--systems", type=int, default=40)
    args = ap.parse_args()
    import optimizer

    synthetic_fleet = importlib.import_module("bench_simulate").synthetic_fleet
    print(f"optimizer from {Path(optimizer.__file__).parent}")
    model = compile_model(synthetic_fleet(args.systems, 10), years=10.0)
    twin = Twin("none")
    for name in args.strategies:
        policy = make_policy(name)
        policy.prepare(model, twin)
        run_replication(model, policy, twin, 1, 0)
        prof = cProfile.Profile()
        cpu = time.process_time()
        prof.enable()
        run_replication(model, policy, twin, 1, 1)
        prof.disable()
        cpu = time.process_time() - cpu
        stats = pstats.Stats(prof)
        print(
            f"{name:15s} {stats.total_calls:>9,d} Python calls per replication"
            f" (CPU {1000 * cpu:.0f} ms under the profiler)"
        )


if __name__ == "__main__":
    main()
