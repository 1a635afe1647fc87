"""Benchmark of the fleet simulator (prints results; not a timed test).

1. Non-optimizing strategies (run-to-failure, fixed-interval, optimal-age) on a synthetic
   fleet of 1,000 components (100 systems x 10, with redundancy, two crews, ten spare
   part types with (s, S) and order-on-use stock) over 10 years: wall time for
   ``--reps`` replications with 1 and 2 worker processes, events per second, and the
   ratio to the vectorized numpy renewal simulator on the same policy.
2. The prescriptive strategy on ``scenarios/plant.yaml`` (100 components), 5 years,
   weekly re-planning.

Targets (issue): (1) 1,000 replications <= 30 s on 2 cores; (2) 200 replications
<= 60 s.

Usage::

    python3 benchmarks/bench_simulate.py            # full size (several minutes)
    python3 benchmarks/bench_simulate.py --quick    # a smoke run
    # the prescriptive target alone (200 replications, twin good, 2 workers):
    python3 benchmarks/bench_simulate.py --skip-fleet --prescriptive-twins good
    # CPU per replication only (insensitive to other load; no worker runs):
    python3 benchmarks/bench_simulate.py --cpu-only --reps 100 --skip-prescriptive

``events/rep`` counts the events the engine's loop processes: since the light-weight
processes and zero-delay calls of :class:`optimizer.sim.engine` (no events for a
failure signal, a process start or end) it is about 2/3 of the SimPy events of the
same run before them, for the same work.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.loading import load_scenario  # noqa: E402
from optimizer.scenario import Scenario  # noqa: E402
from optimizer.sim.engine import run_replication  # noqa: E402
from optimizer.sim.model import SimModel, compile_model  # noqa: E402
from optimizer.sim.renewal import simulate_renewal  # noqa: E402
from optimizer.sim.simulate import simulate  # noqa: E402
from optimizer.sim.strategies import make_policy  # noqa: E402
from optimizer.sim.twin import Twin  # noqa: E402


def synthetic_fleet(n_systems: int = 100, per_system: int = 10, seed: int = 7) -> Scenario:
    """A reproducible fleet of ``n_systems x per_system`` components."""
    rng = np.random.default_rng(seed)
    parts = [
        {
            "id": f"P{q}",
            "on_hand": int(rng.integers(1, 4)),
            "lead_time_days": float(rng.choice([7, 14, 28])),
            "cost_unit": float(rng.uniform(200, 5000)),
            "cost_order": 50.0,
            "expedite_lead_time_days": 3.0,
            "cost_expedite_premium": 400.0,
            "reorder": {"policy": "s_S", "s": 1, "S": 4} if q % 2 else {"policy": "order_on_use"},
        }
        for q in range(10)
    ]
    systems = []
    for k in range(n_systems):
        comps = []
        for j in range(per_system):
            comps.append(
                {
                    "id": f"S{k}-C{j}",
                    "age_h": float(rng.uniform(0, 30000)),
                    "life": {
                        "distribution": "weibull",
                        "shape": float(rng.uniform(1.5, 3.5)),
                        "scale_h": float(rng.uniform(20000, 80000)),
                    },
                    "preventive": {"duration_h": float(rng.choice([2, 4, 8]))},
                    "corrective": {
                        "duration_h": {"distribution": "lognormal", "median_h": 6.0, "sigma": 0.5},
                        "cost_secondary_damage": float(rng.uniform(0, 3000)),
                    },
                    "spare_part": f"P{int(rng.integers(0, 10))}",
                    "skill": "mech" if j % 3 else "elec",
                }
            )
        systems.append(
            {
                "id": f"S{k}",
                "production_value_per_h": float(rng.uniform(100, 2000)),
                "value_profile": "week" if k % 2 else None,
                "operating_h_per_day": float(rng.choice([16.0, 24.0])),
                "setup": {"cost": float(rng.uniform(200, 2000)), "duration_h": 1.0},
                "redundancy": [{"id": f"G{k}", "k": 1, "components": [f"S{k}-C8", f"S{k}-C9"]}],
                "components": comps,
            }
        )
    data: dict[str, Any] = {
        "name": "synthetic fleet",
        "currency": "EUR",
        "calendar": {
            "start": "2027-01-04T06:00:00Z",
            "horizon_days": 90,
            "value_profiles": {"week": {"kind": "weekly", "multipliers": [1, 1, 1, 1, 1, 0.5, 0]}},
        },
        "fleet": {"sites": [{"id": "A", "systems": systems}]},
        "crews": [
            {
                "id": "M",
                "skills": ["mech"],
                "headcount": 6,
                "rate_per_h": 60.0,
                "cost_callout": 200.0,
                "response_delay_h": {"distribution": "lognormal", "median_h": 2.0, "sigma": 0.5},
                "shifts": [{"start": "06:00", "end": "14:00"}, {"start": "14:00", "end": "22:00"}],
            },
            {
                "id": "E",
                "skills": ["elec"],
                "headcount": 3,
                "rate_per_h": 70.0,
                "cost_callout": 250.0,
                "response_delay_h": 3.0,
            },
        ],
        "inventory": {"parts": parts},
    }
    return Scenario.model_validate(data)


def count_events(
    model: SimModel, strategy: str, reps: int, seed: int = 1, twin_name: str = "none"
) -> int:
    """Events processed by ``reps`` replications (the engine loop's own count)."""
    import optimizer.sim.engine as eng

    twin = Twin(twin_name)
    pol = make_policy(strategy)
    pol.prepare(model, twin)
    total = 0
    orig = eng._Env.run_to

    def counting(env: Any, until: float) -> None:
        nonlocal total
        orig(env, until)
        total += env.processed

    eng._Env.run_to = counting  # type: ignore[method-assign,assignment]
    try:
        for r in range(reps):
            run_replication(model, pol, twin, seed, r)
    finally:
        eng._Env.run_to = orig  # type: ignore[method-assign]
    return total


def _cpu_per_rep(model: SimModel, strategy: str, reps: int, twin_name: str = "none") -> float:
    """CPU seconds per replication in this process (insensitive to other load)."""
    twin = Twin(twin_name)
    pol = make_policy(strategy)
    pol.prepare(model, twin)
    t = time.process_time()
    for r in range(reps):
        run_replication(model, pol, twin, 1, r)
    return (time.process_time() - t) / reps


def bench_fleet_cpu(reps: int, strategies: list[str], twin_name: str = "none") -> None:
    """CPU per replication of each strategy in this process (``--cpu-only``)."""
    scn = synthetic_fleet()
    model = compile_model(scn, years=10.0)
    print(
        f"synthetic fleet: {model.n} components, {model.n_systems} systems, 10 years;"
        f" load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    for strat in strategies:
        ev_per_rep = count_events(model, strat, 2, twin_name=twin_name) / 2
        load0 = os.getloadavg()[0]
        cpu = _cpu_per_rep(model, strat, reps, twin_name)
        print(
            f"  {strat:15s} CPU {1000 * cpu:.1f} ms/rep over {reps} reps"
            f" -> {cpu * 1000 / 2:.1f} s per 1,000 reps on 2 idle cores;"
            f" {ev_per_rep:,.0f} events/rep, {ev_per_rep / cpu:,.0f} events/CPU-s;"
            f" load {load0:.2f} -> {os.getloadavg()[0]:.2f}"
        )


def bench_fleet(reps: int, strategies: list[str]) -> None:
    scn = synthetic_fleet()
    t0 = time.perf_counter()
    model = compile_model(scn, years=10.0)
    print(
        f"synthetic fleet: {model.n} components, {model.n_systems} systems,"
        f" compile {time.perf_counter() - t0:.2f} s; load average {os.getloadavg()[0]:.2f}"
        f" on {os.cpu_count()} CPUs"
    )
    for strat in strategies:
        ev_per_rep = count_events(model, strat, 2) / 2
        cpu = _cpu_per_rep(model, strat, min(reps, 20))
        times = {}
        for workers in (1, 2):
            t = time.perf_counter()
            res = simulate(
                model, strat, replications=reps, seed=1, twin_accuracy="none", workers=workers
            )
            times[workers] = time.perf_counter() - t
        kw: dict[str, Any] = {}
        if strat == "fixed-interval":
            pol = make_policy("fixed-interval")
            pol.prepare(model, Twin("none"))
            kw["interval_h"] = pol.interval_h  # type: ignore[attr-defined]
        t = time.perf_counter()
        simulate_renewal(model, strat, replications=reps, seed=1, **kw)
        t_ren = time.perf_counter() - t
        print(
            f"  {strat:15s} reps={reps}: 1 worker {times[1]:7.2f} s, 2 workers {times[2]:7.2f} s"
            f" (speed-up {times[1] / times[2]:.2f}x); CPU {1000 * cpu:.1f} ms/rep"
            f" -> {cpu * 1000 / 2:.1f} s per 1,000 reps on 2 idle cores;"
            f" {ev_per_rep:,.0f} events/rep, {ev_per_rep / cpu:,.0f} events/CPU-s;"
            f" numpy renewal {t_ren:.2f} s (SimPy/renewal {times[1] / t_ren:.1f}x);"
            f" failures/rep {res['failures'].mean:.0f}; load {os.getloadavg()[0]:.2f}"
        )


def bench_prescriptive(reps: int, twins: list[str], cpu_reps: int) -> None:
    scn = load_scenario(ROOT / "scenarios" / "plant.yaml")
    model = compile_model(scn, years=5.0)
    for acc in twins:
        # CPU per replication in this process (insensitive to other load)
        twin = Twin(acc)
        pol = make_policy("prescriptive")
        pol.prepare(model, twin)
        c = time.process_time()
        for r in range(cpu_reps):
            run_replication(model, pol, twin, 1, r)
        cpu = (time.process_time() - c) / max(cpu_reps, 1)
        load0 = os.getloadavg()[0]
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        c0 = time.process_time()
        t = time.perf_counter()
        res = simulate(
            model, "prescriptive", replications=reps, seed=1, twin_accuracy=acc, workers=2
        )
        dt = time.perf_counter() - t
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_all = (
            time.process_time() - c0 + (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        )
        print(
            f"prescriptive plant.yaml ({model.n} components, 5 years, weekly re-plan, twin {acc}): "
            f"{reps} reps on 2 workers {dt:.1f} s wall ({1000 * dt / reps:.0f} ms/rep wall), "
            f"CPU incl. workers {cpu_all:.1f} s; in-process CPU {1000 * cpu:.0f} ms/rep"
            f" -> {cpu * reps / 2:.1f} s for {reps} reps on 2 idle cores;"
            f" load {load0:.2f} -> {os.getloadavg()[0]:.2f}; "
            f"cost/rep {res['cost_total'].mean:,.0f}, openings {res['openings'].mean:.1f}, "
            f"PMs {res['preventive_replacements'].mean:.1f}"
        )
        if reps < 200:
            print(f"    -> extrapolated to 200 replications: {dt * 200 / reps:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small smoke run")
    ap.add_argument("--reps", type=int, default=None, help="replications of the fleet benchmark")
    ap.add_argument("--prescriptive-reps", type=int, default=None)
    ap.add_argument(
        "--prescriptive-twins",
        nargs="+",
        default=["good", "none"],
        help="twin accuracies of the prescriptive benchmark (the target is on 'good')",
    )
    ap.add_argument(
        "--prescriptive-cpu-reps",
        type=int,
        default=None,
        help="replications timed in-process for CPU per replication",
    )
    ap.add_argument(
        "--cpu-only",
        action="store_true",
        help="fleet benchmark: CPU ms per replication over --reps (default 100) only",
    )
    ap.add_argument(
        "--strategies",
        default="run-to-failure,fixed-interval,optimal-age",
        help="fleet benchmark: comma-separated strategies (e.g. add condition-based,predictive)",
    )
    ap.add_argument(
        "--twin",
        default="none",
        help="fleet benchmark with --cpu-only: twin accuracy (none, poor, good, perfect)",
    )
    ap.add_argument("--skip-fleet", action="store_true")
    ap.add_argument("--skip-prescriptive", action="store_true")
    args = ap.parse_args()
    reps = args.reps or (20 if args.quick else 1000)
    p_reps = args.prescriptive_reps or (10 if args.quick else 200)
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    if not args.skip_fleet and args.cpu_only:
        bench_fleet_cpu(args.reps or 100, strategies, args.twin)
    elif not args.skip_fleet:
        bench_fleet(reps, strategies)
    if not args.skip_prescriptive:
        cpu_reps = args.prescriptive_cpu_reps or (2 if args.quick else 8)
        bench_prescriptive(p_reps, args.prescriptive_twins, cpu_reps)


if __name__ == "__main__":
    main()
