"""Where planned downtime comes from: each opening's length against set-up + its longest job.

Simulates the tuned-best baseline of the conveyor (predictive, lead 0 h) and the
prescriptive policy on common random numbers and, from the event logs, sums per
replication the planned downtime, the lost production of the openings (the value
profile over each opening's actual stop) and what it would be for a stop of set-up +
the longest job in it (how the policy prices an opening), and the hours beyond that.
Used for the "Conveyor availability" follow-up in ``benchmarks/README.md``.

Usage::

    python3 benchmarks/diag_openings.py --replications 20 --seed 11
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.loading import load_scenario  # noqa: E402
from optimizer.scenario import StrategySpec  # noqa: E402
from optimizer.sim.model import compile_model  # noqa: E402
from optimizer.sim.simulate import compare  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="conveyor")
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--years", type=float, default=5.0)
    args = ap.parse_args()
    scn = load_scenario(ROOT / "scenarios" / f"{args.scenario}.yaml")
    model = compile_model(scn, years=args.years)
    t0 = time.process_time()
    cmp = compare(
        scn,
        [StrategySpec(name="predictive", lead_time_h=0), "prescriptive"],
        replications=args.replications,
        seed=args.seed,
        years=args.years,
        twin_accuracy="good",
        workers=1,
        keep_events=True,
    )
    cpu = time.process_time() - t0
    pm_h = dict(zip(model.component_ids, model.pm_duration_mean_h.tolist(), strict=True))
    sys_ix = {s: k for k, s in enumerate(model.system_ids)}
    reps = args.replications
    print(f"{reps} replications x {args.years:g} years, seed {args.seed}; CPU {cpu:.1f} s")
    print(
        "| strategy | availability | openings | planned downtime h | beyond set-up + longest h "
        "| lost production | as priced (set-up + longest) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, res in cmp.results.items():
        ev = res.events
        assert ev is not None
        beyond = lost = priced = 0.0
        n_open = 0
        for _, g in ev.groupby(["replication", "system"]):
            g = g.reset_index(drop=True)
            for o in g.index[g.event == "opening"].tolist():
                t_open = float(g.time_h[o])
                after = g[(g.index > o) & (g.event == "closing")]
                t_close = float(after.time_h.iloc[0])
                jobs = g[(g.time_h == t_open) & (g.event == "removal")].component.tolist()
                k = sys_ix[str(g.system[o])]
                prof = model.profiles[k]
                setup_h = float(model.setup_duration_h[k])
                longest = max(pm_h[c] for c in jobs)
                lost += float(prof.integral(np.array([t_open]), np.array([t_close - t_open]))[0])
                priced += float(prof.integral(np.array([t_open]), np.array([setup_h + longest]))[0])
                beyond += (t_close - t_open) - (setup_h + longest)
                n_open += 1
        print(
            f"| {name} | {res['availability_fleet'].mean:.5f} | {n_open / reps:.2f} | "
            f"{res['downtime_planned_h'].mean:.1f} | {beyond / reps:.1f} | "
            f"{lost / reps:,.0f} | {priced / reps:,.0f} |"
        )


if __name__ == "__main__":
    main()
