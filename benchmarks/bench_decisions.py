"""Decision quality: prescriptive against TUNED baselines on every bundled scenario.

For each scenario: every baseline strategy is tuned on common random numbers with seed
``seed + 1`` (:mod:`optimizer.sim.tuning`), then all strategies are compared on
``seed`` with ``--replications`` paired replications; the paired 95% interval of
``cost(prescriptive) - cost(best tuned baseline)`` says whether prescriptive wins (in
cash and with the end state credited, both intervals below 0, and not significantly
less available: the paired interval of the availability difference reaches 0).
Then the prescriptive strategy is simulated at every twin accuracy (none, poor, good,
perfect) on the same seed, and the paired step of each improvement is reported (the
value of the twin must never be a significant cost increase).

Prints a Markdown table for ``benchmarks/README.md``.  Heavy: the issue asks for >= 400
replications (several minutes per scenario on 2 cores).

Usage::

    python3 benchmarks/bench_decisions.py                       # all scenarios, 400 reps
    python3 benchmarks/bench_decisions.py --scenarios conveyor --replications 100
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.loading import load_scenario  # noqa: E402
from optimizer.sim.stats import paired_ci  # noqa: E402
from optimizer.sim.tuning import compare_tuned  # noqa: E402
from optimizer.sim.twin_study import run_twin_study  # noqa: E402

SCENARIOS = ("conveyor", "plant", "windfarm", "multiyear")
BASELINES = ("run-to-failure", "fixed-interval", "optimal-age", "condition-based", "predictive")


def _fmt(x: float) -> str:
    return f"{x:,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--replications", type=int, default=400)
    ap.add_argument("--tune-replications", type=int, default=50)
    ap.add_argument("--years", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--twin", default="good")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-twin-study", action="store_true")
    args = ap.parse_args()

    rows = []
    twin_rows = []
    for name in args.scenarios.split(","):
        scn = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        t0 = time.perf_counter()
        cmp = compare_tuned(
            scn,
            [*BASELINES, "prescriptive"],
            tune_replications=args.tune_replications,
            replications=args.replications,
            seed=args.seed,
            years=args.years,
            twin_accuracy=args.twin,
            workers=args.workers,
            baseline="prescriptive",
            keep_costs=True,
        )
        wall = time.perf_counter() - t0
        years = cmp.results["prescriptive"].years
        best = min(BASELINES, key=lambda s: cmp.results[s]["cost_total"].mean)
        d = cmp.differences[best]["cost_total"]  # best - prescriptive
        de = cmp.differences[best]["total_with_end_state_cost"]
        a = cmp.differences[best]["availability_fleet"]
        # a win must hold on the horizon's cash AND with the end state credited, and
        # prescriptive must not be significantly less available (its paired interval of
        # availability(prescriptive) - availability(baseline) must reach 0 or above)
        won = d.ci_low > 0 and de.ci_low > 0 and -a.ci_low >= 0
        tuned = {s: t["chosen"] for s, t in cmp.tuning.items()}
        rows.append(
            (
                name,
                best,
                ", ".join(f"{k}={v:g}" for k, v in tuned.get(best, {}).items() if k != "name"),
                cmp.results[best]["cost_total"].mean / years,
                cmp.results["prescriptive"]["cost_total"].mean / years,
                -d.mean / years,
                -d.ci_high / years,
                -d.ci_low / years,
                (-a.mean, -a.ci_high, -a.ci_low),
                won,
                -de.mean / years,
                -de.ci_high / years,
                -de.ci_low / years,
                wall,
            )
        )
        print(f"{name}: {wall:.0f} s", file=sys.stderr)
        if not args.skip_twin_study:
            tv = run_twin_study(scn, cmp, workers=args.workers)
            if tv is not None:
                for lo, hi, e in tv.steps():
                    twin_rows.append(
                        (name, f"{lo} -> {hi}", e.mean / years, e.ci_low / years, e.ci_high / years)
                    )
                # the biggest jump too: none -> perfect
                c0 = tv.results["none"].cost_per_replication
                c1 = tv.results["perfect"].cost_per_replication
                if c0 is not None and c1 is not None:
                    e = paired_ci(c1, c0)
                    twin_rows.append(
                        (
                            name,
                            "none -> perfect",
                            e.mean / years,
                            e.ci_low / years,
                            e.ci_high / years,
                        )
                    )

    print(
        f"\n{args.replications} paired replications x {args.years:g} years, seed {args.seed}, "
        f"twin {args.twin}; baselines tuned with {args.tune_replications} replications per "
        f"candidate on seed {args.seed + 1}; money per year\n"
    )
    print(
        "| scenario | best tuned baseline | its parameters | baseline cost/yr | prescriptive "
        "cost/yr | prescriptive - baseline [95% paired CI] | availability diff [95% paired CI] | "
        "incl. end state [95% paired CI] | prescriptive wins | wall s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r[0]} | {r[1]} | {r[2] or '-'} | {_fmt(r[3])} | {_fmt(r[4])} | "
            f"{_fmt(r[5])} [{_fmt(r[6])}, {_fmt(r[7])}] | {r[8][0] * 100:+.3f} pp "
            f"[{r[8][1] * 100:+.3f}, {r[8][2] * 100:+.3f}] | "
            f"{_fmt(r[10])} [{_fmt(r[11])}, {_fmt(r[12])}] | "
            f"{'yes' if r[9] else 'no'} | {r[13]:.0f} |"
        )
    if twin_rows:
        print("\nValue of the twin (prescriptive; paired steps, cost change per year):\n")
        print("| scenario | step | change/yr [95% paired CI] | monotone |")
        print("|---|---|---|---|")
        for s, step, m, lo, hi in twin_rows:
            ok = "yes" if lo <= 0 else "NO (significant increase)"
            print(f"| {s} | {step} | {_fmt(m)} [{_fmt(lo)}, {_fmt(hi)}] | {ok} |")


if __name__ == "__main__":
    main()
