"""Benchmark: penalty curves of a 10,000-component Weibull fleet over 365 daily periods.

Run from the repository root::

    python3 benchmarks/bench_penalty.py [--n 10000] [--periods 365] [--seed 0]

Prints the wall time of :func:`optimizer.reliability.penalty.penalty_curves` (best of ``--repeat``
runs, after one warm-up) and its peak traced memory (``tracemalloc``).  The fleet is a
seeded mix of wear-out Weibull lives (shape 1.2-5, scale 2,000-40,000 h) at random ages,
about 10 % of them with minimal repair; the renewal rates ``g*`` come from
:func:`optimizer.reliability.penalty.age_replacement` / :func:`minimal_repair_replacement` of each
part's new-part life (computed once, not timed).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.reliability import distributions as rul
from optimizer.reliability.penalty import (
    age_replacement,
    minimal_repair_replacement,
    penalty_curves,
)


def main() -> None:
    """Build the seeded fleet, time ``penalty_curves`` and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="components")
    parser.add_argument("--periods", type=int, default=365, help="daily periods")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    n = args.n
    shape = rng.uniform(1.2, 5.0, n)
    scale_h = rng.uniform(2_000.0, 40_000.0, n)
    age_h = scale_h * rng.uniform(0.0, 1.2, n)
    cost_pm = rng.uniform(500.0, 5_000.0, n)
    cost_cm = cost_pm * rng.uniform(2.0, 30.0, n)
    minimal = rng.random(n) < 0.1

    t0 = time.perf_counter()
    rate = np.empty(n)
    for i in range(n):
        life = rul.Weibull(shape[i], scale_h[i])
        pol = (minimal_repair_replacement if minimal[i] else age_replacement)(
            life, cost_pm=cost_pm[i], cost_cm=cost_cm[i]
        )
        rate[i] = pol.cost_rate
    residual = [rul.Weibull(shape[i], scale_h[i]).residual(age_h[i]) for i in range(n)]
    setup_s = time.perf_counter() - t0

    period_h = 24.0
    t_h = np.arange(args.periods) * period_h
    horizon_h = args.periods * period_h

    def run() -> None:
        penalty_curves(
            residual,
            cost_pm=cost_pm,
            cost_cm=cost_cm,
            cost_rate=rate,
            t_h=t_h,
            horizon_h=horizon_h,
            minimal_repair=minimal,
        )

    run()  # warm-up
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"fleet set-up (g* per component, not timed): {setup_s:.2f} s")
    print(
        f"penalty_curves: n={n} components x {args.periods} periods: "
        f"best {min(times):.3f} s, median {float(np.median(times)):.3f} s "
        f"over {args.repeat} runs"
    )
    out_mib = n * args.periods * 8 / 2**20
    print(f"peak traced memory: {peak / 2**20:.1f} MiB (penalty matrix alone {out_mib:.1f} MiB)")


if __name__ == "__main__":
    main()
