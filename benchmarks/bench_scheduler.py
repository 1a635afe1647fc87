"""Scheduler benchmarks of issue "Scheduler: grouped maintenance plans" (not timed tests).

Each case is compared, in the same run, with the straightforward approach: one
monolithic Pyomo MILP of all components and periods (plain crew rows, no
strengthening), solved by HiGHS.

1. ``dp10k``: 10,000 components in 500 systems, 365 daily periods, nothing coupling
   the systems (seeded Weibull fleet, set-up 2,000-8,000 per opening, weekends and a
   low-demand season cheaper). Opportune: ``solve(method="auto")`` (the exact DP).
   Monolithic: Pyomo MILP restricted to +-30 days around each component's own optimum
   (the full model has 3.65 M binaries and does not build in reasonable time here).
2. ``tight200``: 200 components, tight crews, ample spare-part stock (held at a cost)
   (``benchmarks/fleetgen.py``), target
   <= 1% gap in <= 15 s. Opportune: ``solve(method="auto")`` (MILP, direct highspy
   build with strengthening and clique rows, LP-guided start heuristic; CPU time and
   load are printed too). Monolithic: the Pyomo model with plain crew rows.
3. ``request200``: a 200-component request end to end (validate the JSON-like
   scenario, fleet model and penalty curves, solve, work orders), repeated; p50/p95.

Run: ``python3 benchmarks/bench_scheduler.py [--cases dp10k,tight200,request200]``
(``--seeds 7,1,2`` runs ``tight200`` on further fleets; the recorded figure is seed 7).
Results are recorded in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dp import build as build_dp_instance
from fleetgen import make_scenario

from optimizer.loading import parse_scenario
from optimizer.planning.pipeline import plan_scenario
from optimizer.problem.build import build_problem
from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import evaluate
from optimizer.solvers import solve
from optimizer.solvers.milp import solve_milp


def windowed(problem: PlanningProblem, half_width: int) -> PlanningProblem:
    """The same instance with each component restricted to +-half_width periods."""
    own = np.argmin(problem.penalty, axis=1)
    t = np.arange(problem.n_periods)[None, :]
    allowed = problem.allowed & (np.abs(t - own[:, None]) <= half_width)
    from dataclasses import replace

    return replace(problem, allowed=allowed)


def monolithic(problem: PlanningProblem, time_limit_s: float) -> tuple[float, float, float, str]:
    """Pyomo MILP, plain rows: (wall s, objective, bound, status)."""
    t0 = time.perf_counter()
    plan = solve_milp(problem, backend="pyomo", strengthen=False, time_limit_s=time_limit_s)
    wall = time.perf_counter() - t0
    obj = evaluate(problem, plan.period)["total"] if plan.feasible else float("inf")
    return wall, obj, plan.lower_bound, str(plan.status)


def case_dp10k(args: argparse.Namespace) -> None:
    pb = build_dp_instance(10_000, 500, 365, 20270101)
    solve(pb, method="auto")  # warm-up (imports)
    t0 = time.perf_counter()
    plan = solve(pb, method="auto")
    t_ours = time.perf_counter() - t0
    print(
        f"[dp10k] opportune auto -> {plan.method}: {t_ours:.3f} s, status {plan.status}, "
        f"objective {plan.objective:,.0f}, bound {plan.lower_bound:,.0f}, gap {plan.gap:.2e}"
    )
    if args.skip_monolithic:
        return
    mono_pb = windowed(pb, 30)
    wall, obj, bound, status = monolithic(mono_pb, args.mono_time_limit_s)
    print(
        f"[dp10k] monolithic Pyomo/HiGHS (+-30 days): {wall:.1f} s, status {status}, "
        f"objective {obj:,.0f}, bound {bound:,.0f}"
    )
    print(
        f"[dp10k] time ratio {wall / t_ours:,.0f}x, objective ratio (mono/ours) {obj / plan.objective:.3f}"
    )


def case_tight200(args: argparse.Namespace) -> None:
    for seed in [int(x) for x in args.seeds.split(",")]:
        tight200_one(args, seed)


def tight200_one(args: argparse.Namespace, seed: int) -> None:
    scn = parse_scenario(make_scenario(200, 10, seed=seed, crews="tight", stock="ample"))
    pb = build_problem(scn).problem
    c0 = time.process_time()
    t0 = time.perf_counter()
    plan = solve(pb, method="auto", time_limit_s=15, gap=0.01)
    t_ours = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(
        f"[tight200 seed {seed}] opportune auto -> {plan.method}: {t_ours:.2f} s wall, {cpu:.2f} s CPU, "
        f"status {plan.status}, objective {plan.objective:,.0f}, bound {plan.lower_bound:,.0f}, "
        f"gap {100 * plan.gap:.2f}% (load {os.getloadavg()[0]:.2f})"
    )
    if args.skip_monolithic:
        return
    wall, obj, bound, status = monolithic(pb, 15.0)
    gap = (obj - bound) / obj if np.isfinite(obj) else float("inf")
    print(
        f"[tight200 seed {seed}] monolithic Pyomo/HiGHS (plain crew rows, 15 s): {wall:.2f} s, status {status}, "
        f"objective {obj:,.0f}, bound {bound:,.0f}, gap {100 * gap:.2f}%"
    )
    print(
        f"[tight200 seed {seed}] time ratio {wall / t_ours:.2f}x, objective ratio {obj / plan.objective:.4f}"
    )


def case_request200(args: argparse.Namespace) -> None:
    for crews in ("loose", "tight"):
        data = make_scenario(200, 10, seed=3, crews=crews, stock="ample")
        times = []
        for _ in range(args.repeat if crews == "loose" else 5):
            t0 = time.perf_counter()
            result = plan_scenario(parse_scenario(data), time_limit_s=15, gap=0.01)
            times.append(time.perf_counter() - t0)
        arr = np.array(times[1:] if len(times) > 1 else times)
        print(
            f"[request200/{crews}] method {result.plan.method}, {len(result.orders)} work orders: "
            f"p50 {1000 * np.percentile(arr, 50):.0f} ms, p95 {1000 * np.percentile(arr, 95):.0f} ms, "
            f"max {1000 * arr.max():.0f} ms over {arr.size} runs"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cases", default="dp10k,tight200,request200")
    ap.add_argument("--repeat", type=int, default=40)
    ap.add_argument("--mono-time-limit-s", type=float, default=120.0)
    ap.add_argument("--skip-monolithic", action="store_true")
    ap.add_argument(
        "--seeds", default="7", help="fleet seeds of the tight200 case (comma-separated)"
    )
    args = ap.parse_args()
    for name in args.cases.split(","):
        {"dp10k": case_dp10k, "tight200": case_tight200, "request200": case_request200}[name](args)


if __name__ == "__main__":
    main()
