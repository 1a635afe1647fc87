"""Benchmark: exact risk ranking (``opportune risk``) of a 10,000-component fleet.

Run from the repository root::

    python3 benchmarks/bench_risk.py [--n 10000] [--systems 500] [--days 30] [--repeat 3]

The fleet is ``fleetgen.make_scenario(n, systems, seed)`` (mixed-age Weibull parts) with
structure and twins added so that every code path is exercised: every third system gets
a 2-out-of-3 group of its first three parts, every fifth a 1-out-of-2 of the next two,
and 5% of the components a twin prediction of 1,000 residual-life samples.  Timed:
:func:`optimizer.risk.system_risk` (probabilities, Birnbaum importances, renewal drops,
production at risk, both rankings) on the validated scenario; best and median of
``--repeat`` runs after one warm-up.  Validating the scenario is reported separately
(the CLI pays it for every command).  The 1-minute load average is printed, since the
machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleetgen import make_scenario

from optimizer.loading import parse_scenario
from optimizer.risk import system_risk


def fleet(n: int, n_systems: int, seed: int) -> dict[str, Any]:
    """The generator's fleet with redundancy groups and twin predictions added."""
    doc = make_scenario(n, n_systems, seed=seed)
    rng = np.random.default_rng(seed + 1)
    start = doc["calendar"]["start"]
    k = 0
    for site in doc["fleet"]["sites"]:
        for system in site["systems"]:
            ids = [c["id"] for c in system["components"]]
            groups = []
            if k % 3 == 0 and len(ids) >= 3:
                groups.append({"id": f"{system['id']}-G3", "k": 2, "components": ids[:3]})
            if k % 5 == 0 and len(ids) >= 5:
                groups.append({"id": f"{system['id']}-G2", "k": 1, "components": ids[3:5]})
            system["redundancy"] = groups
            k += 1
            for c in system["components"]:
                if rng.random() < 0.05:
                    c["prognostics"] = {
                        "kind": "samples",
                        "issued_at": start,
                        "residual_life_h": np.round(rng.gamma(4.0, 1500.0, 1000), 1).tolist(),
                    }
    return doc


def main() -> None:
    """Build the seeded fleet, time ``system_risk`` and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="components")
    parser.add_argument("--systems", type=int, default=500)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    doc = fleet(args.n, args.systems, args.seed)
    t0 = time.perf_counter()
    scn = parse_scenario(doc)
    t_validate = time.perf_counter() - t0
    n_groups = sum(len(s.redundancy) for _, s in scn.systems())
    n_twins = sum(1 for c in scn.components() if c.prognostics is not None)
    res = system_risk(scn, args.days)  # warm-up
    times = []
    cpu = []
    for _ in range(args.repeat):
        c0 = time.process_time()
        t0 = time.perf_counter()
        res = system_risk(scn, args.days)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    top = res.systems[0]
    print(
        f"fleet: {args.n:,} components, {len(res.systems):,} systems, {n_groups} k-out-of-n "
        f"groups, {n_twins} twin-sample components; window {args.days:g} days"
    )
    print(f"validate scenario: {t_validate:.2f} s (not in the figure below)")
    print(
        f"system_risk exact: best {min(times):.3f} s, median {statistics.median(times):.3f} s "
        f"wall; best {min(cpu):.3f} CPU s; load average (1 min) {os.getloadavg()[0]:.2f}"
    )
    print(
        f"riskiest: {top.system_id} p_down {top.p_down:.4f} at risk {top.expected_loss:,.0f} "
        f"{res.currency}; fleet at risk {res.expected_loss:,.0f} {res.currency}"
    )


if __name__ == "__main__":
    main()
