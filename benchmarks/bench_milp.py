"""Benchmark of the grouping MILP: model construction Pyomo vs direct, LP strengthening.

Run from the repository root::

    python3 benchmarks/bench_milp.py                 # 200 and 1,000 components x 365 periods
    python3 benchmarks/bench_milp.py --sizes 200 --window 365   # dense eligibility
    python3 benchmarks/bench_milp.py --gap-only      # root LP gap with / without strengthening

Construction is timed in two parts: *build* (index sets + model object: the Pyomo
``ConcreteModel`` or the CSR arrays) and *load* (handing the model to HiGHS: APPSI's
``set_instance`` or ``Highs.passModel``).  The solve is not timed here.

The synthetic fleet: ``n`` components in ``n / 10`` systems, 3 skills, daily periods;
each component's penalty is an asymmetric convex curve around its own best day (early
replacement wastes life linearly, late replacement risks failure super-linearly); a
component is eligible in ``--window`` days around its best day (the sparsity the design
asks for); opening costs vary by day (weekends cheaper); crews have ``--crew-h``
technician-hours per skill and day.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.problem.data import PlanningProblem
from optimizer.solvers.highs import new_highs
from optimizer.solvers.milp import root_lp_bound, solve_milp
from optimizer.solvers.milp_pyomo import build_pyomo_model
from optimizer.solvers.model import build_direct_model


def make_fleet(
    n: int,
    n_periods: int,
    rng: np.random.Generator,
    *,
    window: int = 60,
    crew_h: float = np.inf,
    n_skills: int = 3,
) -> PlanningProblem:
    """Synthetic fleet instance (see module docstring)."""
    n_sys = max(1, n // 10)
    t = np.arange(n_periods)
    best = rng.integers(0, n_periods, n)
    early = rng.uniform(5.0, 20.0, n)  # currency per day too early
    late = rng.uniform(0.5, 3.0, n)  # late risk grows like days**1.5
    d = t[None, :] - best[:, None]
    penalty = np.where(d < 0, -d * early[:, None], late[:, None] * np.abs(d) ** 1.5)
    allowed = np.abs(d) <= window // 2
    weekend = (t % 7) >= 5
    base = rng.uniform(500.0, 3000.0, n_sys)
    opening = base[:, None] * np.where(weekend, 0.6, 1.0)[None, :]
    pb = late * np.maximum(n_periods - best, 1) ** 1.5 + 2000.0
    return PlanningProblem(
        start=datetime(2027, 1, 1, tzinfo=UTC),
        period_h=24.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=tuple(f"S{k}" for k in range(n_sys)),
        system_of=rng.integers(0, n_sys, n),
        penalty=penalty,
        penalty_beyond=pb,
        allowed=allowed,
        opening_cost=opening,
        open_allowed=np.ones((n_sys, n_periods), dtype=bool),
        duration_h=rng.uniform(2.0, 10.0, n),
        skill_of=rng.integers(0, n_skills, n),
        crew_qty=rng.integers(1, 3, n),
        skill_ids=tuple(f"skill{s}" for s in range(n_skills)),
        crew_hours=np.full((n_skills, n_periods), crew_h),
        pinned_period=np.full(n, -1),
    )


def time_direct(problem: PlanningProblem) -> tuple[float, float, int, int]:
    """Build and load times (s) of the direct model, and its columns / rows."""
    import highspy

    t0 = time.perf_counter()
    model = build_direct_model(problem)
    t1 = time.perf_counter()
    h = new_highs()
    a = model.matrix
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = model.cost, model.col_lb, model.col_ub
    lp.row_lower_, lp.row_upper_ = model.row_lb, model.row_ub
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * a.shape[1]
    h.passModel(lp)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, a.shape[1], a.shape[0]


def time_pyomo(problem: PlanningProblem) -> tuple[float, float]:
    """Build and load (APPSI ``set_instance``) times of the Pyomo model, seconds."""
    from pyomo.contrib.appsi.solvers import Highs

    t0 = time.perf_counter()
    m = build_pyomo_model(problem)
    t1 = time.perf_counter()
    opt = Highs()
    opt.set_instance(m)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def bench_construction(sizes: list[int], n_periods: int, window: int, crew_h: float) -> None:
    print(f"construction, {n_periods} periods, window {window} days, crew {crew_h} h/day")
    print(
        f"{'n':>6} {'cols':>8} {'rows':>8} {'direct build':>13} {'direct load':>12}"
        f" {'pyomo build':>12} {'pyomo load':>11} {'ratio':>6}"
    )
    for n in sizes:
        p = make_fleet(n, n_periods, np.random.default_rng(n), window=window, crew_h=crew_h)
        db, dl, cols, rows = time_direct(p)
        pb, pl = time_pyomo(p)
        ratio = (pb + pl) / (db + dl)
        print(
            f"{n:>6} {cols:>8} {rows:>8} {db:>12.3f}s {dl:>11.3f}s {pb:>11.3f}s {pl:>10.3f}s"
            f" {ratio:>5.0f}x"
        )


def bench_root_gap(n: int, n_periods: int, crew_h: float, seeds: int) -> None:
    """Root LP gap with and without the crew/opening strengthening rows."""
    print(f"root LP gap, n={n}, {n_periods} periods, crew {crew_h} h/day (tight)")
    for seed in range(seeds):
        p = make_fleet(
            n, n_periods, np.random.default_rng(100 + seed), window=14, crew_h=crew_h, n_skills=2
        )
        opt = solve_milp(p, time_limit_s=60.0)
        lp_s = root_lp_bound(p, strengthen=True)
        lp_w = root_lp_bound(p, strengthen=False)
        z = opt.objective
        print(
            f"  seed {seed}: MILP {z:.1f} ({opt.status}), LP strengthened {lp_s:.1f}"
            f" (gap {100 * (z - lp_s) / z:.2f}%), LP plain {lp_w:.1f}"
            f" (gap {100 * (z - lp_w) / z:.2f}%)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    ap.add_argument("--periods", type=int, default=365)
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--crew-h", type=float, default=24.0)
    ap.add_argument("--gap-only", action="store_true")
    args = ap.parse_args()
    if not args.gap_only:
        bench_construction(args.sizes, args.periods, args.window, args.crew_h)
    bench_root_gap(60, 28, 10.0, 3)


if __name__ == "__main__":
    main()
