"""Determinism check of the simulator: per-replication KPI vectors and event logs of
every bundled scenario and strategy (plus the synthetic benchmark fleet) for fixed
seeds, written to JSON; ``--compare OLD.json`` checks a new snapshot against an old one.

Used to show that a change of the engine's code (e.g. a performance change) does not
change any number::

    PYTHONPATH=/path/to/old python3 benchmarks/sim_snapshot.py --out before.json
    PYTHONPATH=/path/to/new python3 benchmarks/sim_snapshot.py --out after.json \
        --compare before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from optimizer.loading import load_scenario  # noqa: E402
from optimizer.scenario import STRATEGIES  # noqa: E402
from optimizer.sim.engine import kpi_names, run_replication  # noqa: E402
from optimizer.sim.model import compile_model  # noqa: E402
from optimizer.sim.strategies import make_policy  # noqa: E402
from optimizer.sim.twin import Twin  # noqa: E402


def _cases(quick: bool) -> list[tuple[str, Any, str, str, int, float]]:
    """(label, scenario, strategy, twin, replications, years)."""
    out: list[tuple[str, Any, str, str, int, float]] = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        scn = load_scenario(path)
        for strat in STRATEGIES:
            if strat == "prescriptive":
                reps, years = 1, 1.0
            else:
                reps, years = (2 if quick else 6), 5.0
            twin = "good" if strat in ("predictive", "condition-based") else "none"
            out.append((f"{path.stem}/{strat}", scn, strat, twin, reps, years))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_simulate import synthetic_fleet

    fleet = synthetic_fleet()
    for strat in ("run-to-failure", "fixed-interval", "optimal-age"):
        out.append((f"synthetic/{strat}", fleet, strat, "none", 2, 10.0))
    for strat in ("condition-based", "predictive"):  # the twin-driven hot paths
        out.append((f"synthetic/{strat}", fleet, strat, "good", 2, 10.0))
        for acc in ("poor", "perfect"):  # their other branches (twin accuracy)
            out.append((f"synthetic/{strat}/{acc}", fleet, strat, acc, 1, 10.0))
    return out


def snapshot(quick: bool) -> dict[str, Any]:
    res: dict[str, Any] = {}
    models: dict[tuple[int, float], Any] = {}
    for label, scn, strat, twin_acc, reps, years in _cases(quick):
        key = (id(scn), years)
        if key not in models:
            models[key] = compile_model(scn, years=years)
        model = models[key]
        twin = Twin(twin_acc)
        pol = make_policy(strat, scn.simulation.strategies if hasattr(scn, "simulation") else ())
        pol.prepare(model, twin)
        t = time.process_time()
        kpis = []
        h = hashlib.sha256()
        n_ev = 0
        for r in range(reps):
            k, ev = run_replication(model, pol, twin, 11, r, keep_events=True)
            kpis.append([float(x) for x in k])
            h.update(repr(ev).encode())
            n_ev += len(ev)
        res[label] = {
            "names": list(kpi_names(model)),
            "kpis": kpis,
            "events_sha256": h.hexdigest(),
            "n_events": n_ev,
            "cpu_s": time.process_time() - t,
        }
        print(f"{label:40s} {res[label]['cpu_s']:7.2f} s  events {n_ev}", flush=True)
    return res


def compare(new: dict[str, Any], old: dict[str, Any]) -> int:
    bad = 0
    for label, o in old.items():
        n = new.get(label)
        if n is None:
            print(f"MISSING {label}")
            bad += 1
            continue
        if n["names"] != o["names"]:
            print(f"NAMES DIFFER {label}")
            bad += 1
            continue
        a, b = np.array(n["kpis"]), np.array(o["kpis"])
        same = np.array_equal(a, b, equal_nan=True)
        ev_same = n["events_sha256"] == o["events_sha256"]
        if not (same and ev_same):
            bad += 1
            diff = np.abs(a - b)
            j = int(np.nanargmax(diff)) % a.shape[1] if a.shape == b.shape else -1
            print(
                f"DIFF {label}: kpis equal {same}, events equal {ev_same}"
                f" (max |d| {np.nanmax(diff) if a.shape == b.shape else 'shape'}"
                f" at {n['names'][j] if j >= 0 else '-'})"
            )
        speed = o["cpu_s"] / max(n["cpu_s"], 1e-9)
        print(f"  {label:40s} identical={same and ev_same}  cpu old/new {speed:.2f}x")
    print("ALL IDENTICAL" if not bad else f"{bad} CASES DIFFER")
    return 1 if bad else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--compare", default=None)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    res = snapshot(args.quick)
    Path(args.out).write_text(json.dumps(res))
    if args.compare:
        sys.exit(compare(res, json.loads(Path(args.compare).read_text())))


if __name__ == "__main__":
    main()
