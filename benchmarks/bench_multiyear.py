"""Multi-year plans of life-limited fleets: the published ORP proven, against HiGHS (issue 14).

Cases (``scenarios/orp10.yaml``: 10 parts, set-up 20, published optimum 615 for
``T = 100``), each planned through the normal pipeline (``plan_scenario``, method
``auto``: :mod:`optimizer.solvers.orp`'s exact search) and, in the same process, by the
straightforward ORP x/z model of the reference (``shared/reference/orp10.md``) solved by
HiGHS (highspy, one thread, relative gap 0):

* ``T100``: ``T = 100`` (horizon 101 periods), end condition ``t_last + U_i > T``;
* ``T125``: ``T = 125``, the variant of the published course report (Gurobi: 5.4 s);
* ``T100r2`` / ``T100r9``: ``T = 100``, every part must survive ``r`` = 2 / 9 periods
  past the horizon (``plan.end_reserve_days``).

Times are wall and CPU seconds of the solve (the pipeline's also include building the
interval costs and the work orders).  ``--fleet`` adds the 2,000-position x 260-week
case of ``bench_fleet.py`` (``multiyear``: failure distributions, not of ORP form, so the
Lagrangian decomposition runs; 60 s limit); ``--crews`` adds the same fleet with binding
crews (``multiyearcrews``: fleetgen's ``tight`` crews, priced and respected by the
decomposition), and ``--crews-case multiyear100`` picks a smaller fleet for it;
``--crews-scale 1.5,2`` multiplies those crews' hours (crews that bind but leave room
for a 5-year plan: the issue's "<= 3% with binding crews" case); ``--limit`` is the
multi-year time limit (60 s).

``--station``: ``scenarios/multiyear.yaml`` (8 positions in 2 systems x 156 weeks, failure
distributions, spare parts) through ``plan_scenario`` with ``--gap 0.01`` and a 30 s
limit (the issue's "proven within 1%"), and ``multiyear20`` / ``multiyear100`` of
``bench_fleet.py`` (60 s, relative gap 1e-4): the exact per-system search of
:mod:`optimizer.solvers.multiyear_exact` after the subgradient.

``--random N``: a random ORP of ``N`` parts (``T = 100``), ``auto`` against the x/z
model, both with ``--highs-limit`` seconds.

Run: ``python3 benchmarks/bench_multiyear.py [--cases T100,T125] [--highs-limit 600]
[--fleet] [--station] [--random 12]`` (prints one JSON line per run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import highspy
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

COST = [34, 25, 14, 21, 16, 3, 10, 5, 7, 10]
LIFE = [42, 18, 90, 94, 49, 49, 34, 90, 37, 11]
SETUP = 20.0
CASES = {"T100": (100, 0), "T125": (125, 0), "T100r2": (100, 2), "T100r9": (100, 9)}


def highs_xz(
    big_t: int,
    reserve: int,
    limit_s: float,
    costs: list[float] | None = None,
    lives: list[int] | None = None,
) -> dict[str, object]:
    """The ORP x/z model of the reference: x_it (part i replaced in t), z_t (occasion).

    ``min sum c_i x_it + d z_t`` s.t. ``sum_{t=l+1}^{min(l+U_i, T)} x_it >= 1`` for
    ``l = 0..T+r-U_i`` and ``x_it <= z_t``; binary; periods ``1..T``.
    """
    costs = COST if costs is None else costs
    lives = LIFE if lives is None else lives
    n = len(costs)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("time_limit", float(limit_s))
    nx = n * big_t
    cost = np.array([c for c in costs for _ in range(big_t)] + [SETUP] * big_t, dtype=float)
    h.addVars(nx + big_t, np.zeros(nx + big_t), np.ones(nx + big_t))
    h.changeColsCost(nx + big_t, np.arange(nx + big_t), cost)
    h.changeColsIntegrality(
        nx + big_t, np.arange(nx + big_t), np.array([highspy.HighsVarType.kInteger] * (nx + big_t))
    )
    for i, u in enumerate(lives):
        for lo in range(0, big_t + reserve - u + 1):
            idx = np.array([i * big_t + t - 1 for t in range(lo + 1, min(lo + u, big_t) + 1)])
            h.addRow(1.0, highspy.kHighsInf, idx.size, idx, np.ones(idx.size))
        for t in range(1, big_t + 1):
            h.addRow(
                -highspy.kHighsInf, 0.0, 2, np.array([i * big_t + t - 1, nx + t - 1]), [1.0, -1.0]
            )
    w0, c0 = time.perf_counter(), time.process_time()
    h.run()
    info = h.getInfo()
    return {
        "solver": "highs-xz",
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": round(float(info.objective_function_value), 4),
        "bound": round(float(info.mip_dual_bound), 4),
        "nodes": int(info.mip_node_count),
        "wall_s": round(time.perf_counter() - w0, 2),
        "cpu_s": round(time.process_time() - c0, 2),
    }


def auto(big_t: int, reserve: int) -> dict[str, object]:
    """``scenarios/orp10.yaml`` with horizon ``T + 1`` days, planned by the pipeline."""
    from optimizer.loading import load_scenario
    from optimizer.planning.pipeline import plan_scenario

    scn = load_scenario(ROOT / "scenarios" / "orp10.yaml")
    cal = scn.calendar.model_copy(update={"horizon_days": big_t + 1})
    plan = scn.plan.model_copy(update={"end_reserve_days": float(reserve)})
    scn = scn.model_copy(update={"calendar": cal, "plan": plan})
    w0, c0 = time.perf_counter(), time.process_time()
    r = plan_scenario(scn)
    return {
        "solver": "auto",
        "method": r.plan.method,
        "status": str(r.plan.status),
        "objective": round(r.plan.objective, 4),
        "bound": round(r.plan.lower_bound, 4),
        "wall_s": round(time.perf_counter() - w0, 2),
        "cpu_s": round(time.process_time() - c0, 2),
        "solve_wall_s": round(r.timings_s.get("solve", float("nan")), 3),
    }


def random_orp(n: int, seed: int, limit_s: float) -> list[dict[str, object]]:
    """A random ORP: ``n`` parts, lives 8..94, costs 1..39, set-up 20, ``T = 100``.

    Stated as ``scenarios/orp10.yaml`` with ``n`` part types and planned by the pipeline
    (``auto``, time limit ``limit_s``: the exact search gets half, seeded with the
    decomposition's repaired plan), against the x/z model in HiGHS (``limit_s``).
    """
    import yaml

    from optimizer.loading import parse_scenario
    from optimizer.planning.pipeline import plan_scenario

    rng = np.random.default_rng(seed)
    life = [int(u) for u in rng.integers(8, 95, n)]
    alpha = [float(a) for a in rng.integers(1, 40, n)]
    doc = yaml.safe_load((ROOT / "scenarios" / "orp10.yaml").read_text())
    doc["component_types"] = {
        f"q{i}": {
            "max_age_h": 24.0 * u,
            "preventive": {"duration_h": 0, "cost": a},
            "skill": "mech",
        }
        for i, (u, a) in enumerate(zip(life, alpha, strict=True))
    }
    system = doc["fleet"]["sites"][0]["systems"][0]
    system["components"] = [{"id": f"Q{i}", "type": f"q{i}", "age_h": 0} for i in range(n)]
    doc["plan"]["time_limit_s"] = float(limit_s)
    w0, c0 = time.perf_counter(), time.process_time()
    r = plan_scenario(parse_scenario(doc))
    row: dict[str, object] = {
        "case": f"random{n}-{seed}",
        "solver": "auto",
        "method": r.plan.method,
        "status": str(r.plan.status),
        "objective": round(r.plan.objective, 4),
        "bound": round(r.plan.lower_bound, 4),
        "wall_s": round(time.perf_counter() - w0, 2),
        "cpu_s": round(time.process_time() - c0, 2),
    }
    hx = highs_xz(100, 0, limit_s, alpha, life)
    return [row, {"case": f"random{n}-{seed}", **hx}]


def station() -> list[dict[str, object]]:
    """``scenarios/multiyear.yaml`` at ``--gap 0.01``, then ``multiyear20`` / ``multiyear100``."""
    from bench_fleet import run_multiyear

    from optimizer.loading import load_scenario
    from optimizer.planning.pipeline import plan_scenario

    scn = load_scenario(ROOT / "scenarios" / "multiyear.yaml")
    c0, t0 = time.process_time(), time.perf_counter()
    res = plan_scenario(scn, gap=0.01, time_limit_s=30.0)
    p = res.plan
    rows: list[dict[str, object]] = [
        {
            "case": "multiyear.yaml",
            "status": p.status.value,
            "plan": round(float(p.objective), 2),
            "bound": round(float(p.lower_bound), 2),
            "gap": round(float((p.objective - p.lower_bound) / abs(p.objective)), 5),
            "cpu_s": round(time.process_time() - c0, 2),
            "wall_s": round(time.perf_counter() - t0, 2),
            "log": [line for line in p.log if "exact search" in line],
        }
    ]
    for case in ("multiyear20", "multiyear100"):
        out = run_multiyear(case, "multiyear", 60.0, 0)
        out.pop("trace", None)
        rows.append(out)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--highs-limit", type=float, default=600.0)
    ap.add_argument("--no-highs", action="store_true")
    ap.add_argument("--fleet", action="store_true")
    ap.add_argument("--crews", action="store_true", help="the fleet with binding crews")
    ap.add_argument("--crews-case", default="multiyear")
    ap.add_argument(
        "--crews-scale",
        default="1",
        help="comma-separated factors on the crews' hours (1.5,2: crews that bind with room)",
    )
    ap.add_argument("--limit", type=float, default=60.0, help="multi-year time limit, s")
    ap.add_argument("--random", type=int, default=0, help="parts of a random ORP (0: none)")
    ap.add_argument("--station", action="store_true", help="multiyear.yaml, multiyear20/100")
    args = ap.parse_args()
    if args.station:
        for row in station():
            print(json.dumps(row), flush=True)
        return
    if args.random:
        for row in random_orp(args.random, 0, args.highs_limit):
            print(json.dumps(row), flush=True)
        return
    for case in args.cases.split(","):
        big_t, reserve = CASES[case]
        row = {"case": case, "T": big_t, "r": reserve, **auto(big_t, reserve)}
        print(json.dumps(row), flush=True)
        if not args.no_highs:
            row = {
                "case": case,
                "T": big_t,
                "r": reserve,
                **highs_xz(big_t, reserve, args.highs_limit),
            }
            print(json.dumps(row), flush=True)
    if args.fleet:
        from bench_fleet import run_multiyear

        out = run_multiyear("multiyear", "multiyear", args.limit, 0)
        out.pop("trace", None)
        print(json.dumps(out), flush=True)
    if args.crews:
        from bench_fleet import run_multiyear

        for scale in args.crews_scale.split(","):
            out = run_multiyear(args.crews_case + "crews", "multiyear", args.limit, 0, float(scale))
            out.pop("trace", None)
            out["load_avg"] = [round(v, 1) for v in os.getloadavg()]
            print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
