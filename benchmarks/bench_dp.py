"""Scale benchmark of the exact grouping DP (not a timed test).

Seeded instance: 10,000 components in 500 systems, 365 daily periods, uncapacitated
crews, time-varying opening costs (weekends and a low-demand season cheaper), penalty
rows from Weibull age-replacement costs (``h = c - min c`` with
``c(t) = c_p S(t) + c_f F(t) - g* int_0^t S``) for parts of random age, so every row is
unimodal and the DP certifies the optimum.  Prints the DP time, the number of opened
periods and the saving against doing every component at its own optimum.

``--dates clustered`` draws ages so that most components' own optima fall in one 30-day
band (a fleet installed together) instead of spread over the year; ``--systems`` sets
few (e.g. 5,000: 2 per system) or many (e.g. 20: 500 per system) components per system.
Also times ``solve(method="auto")`` (exact presolve + the DP, what users run).

Run: ``python3 benchmarks/bench_dp.py [--n 10000 --systems 500 --periods 365
--dates spread|clustered]``.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np
from scipy import special

from optimizer.problem.data import NO_PIN, PlanningProblem
from optimizer.problem.plan import evaluate
from optimizer.solvers import solve
from optimizer.solvers.dp import dp_is_exact, solve_dp


def weibull_penalties(
    rng: np.random.Generator, n: int, n_t: int, setup: np.ndarray, dates: str = "spread"
) -> tuple[np.ndarray, np.ndarray]:
    """Penalty rows ``(n, T)`` and deferral costs ``(n,)`` (currency), vectorized."""
    beta = rng.uniform(1.5, 4.0, n)[:, None]
    eta = rng.uniform(200.0, 1500.0, n)[:, None]  # days
    if dates == "clustered":  # the same life fraction left: optima close together
        age = rng.uniform(0.55, 0.6, n)[:, None] * eta
    else:
        age = rng.uniform(0.2, 1.2, n)[:, None] * eta
    c_p = rng.uniform(0.3, 1.0, n)[:, None] * setup[:, None]
    c_f = c_p * rng.uniform(4.0, 12.0, n)[:, None]

    def cum_s0(x: np.ndarray) -> np.ndarray:
        out: np.ndarray = (
            eta / beta * special.gamma(1 / beta) * special.gammainc(1 / beta, (x / eta) ** beta)
        )
        return out

    grid = np.linspace(0.01, 4.0, 800)[None, :] * eta
    s0 = np.exp(-((grid / eta) ** beta))
    g_star = np.min((c_p * s0 + c_f * (1 - s0)) / cum_s0(grid), axis=1, keepdims=True)
    t = np.arange(n_t + 1.0)[None, :]
    s_age = np.exp(-((age / eta) ** beta))
    surv = np.exp(-(((age + t) / eta) ** beta)) / s_age
    integral = (cum_s0(age + t) - cum_s0(age)) / s_age
    c = c_p * surv + c_f * (1 - surv) - g_star * integral
    h = c - c.min(axis=1, keepdims=True)
    return h[:, :n_t], h[:, n_t]


def build(n: int, n_sys: int, n_t: int, seed: int, dates: str = "spread") -> PlanningProblem:
    """The seeded benchmark instance."""
    rng = np.random.default_rng(seed)
    system_of = np.sort(rng.integers(0, n_sys, n))
    setup_k = rng.uniform(2_000.0, 8_000.0, n_sys)
    penalty, beyond = weibull_penalties(rng, n, n_t, setup_k[system_of], dates)
    day = np.arange(n_t)
    factor = np.where(day % 7 >= 5, 0.4, 1.0) * np.where((day > 200) & (day < 230), 0.6, 1.0)
    opening = setup_k[:, None] * factor[None, :]
    return PlanningProblem(
        start=datetime(2027, 1, 1, tzinfo=UTC),
        period_h=24.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=tuple(f"S{k}" for k in range(n_sys)),
        system_of=system_of,
        penalty=penalty,
        penalty_beyond=beyond,
        allowed=np.ones((n, n_t), dtype=bool),
        opening_cost=opening,
        open_allowed=np.ones((n_sys, n_t), dtype=bool),
        duration_h=np.full(n, 4.0),
        skill_of=np.zeros(n, dtype=np.int64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_ids=("mechanical",),
        crew_hours=np.full((1, n_t), np.inf),
        pinned_period=np.full(n, NO_PIN, dtype=np.int64),
    )


def main() -> None:
    """Build the instance, solve it, print timings."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--systems", type=int, default=500)
    ap.add_argument("--periods", type=int, default=365)
    ap.add_argument("--seed", type=int, default=20270101)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dates", choices=["spread", "clustered"], default="spread")
    args = ap.parse_args()
    t0 = time.perf_counter()
    problem = build(args.n, args.systems, args.periods, args.seed, args.dates)
    print(f"instance built in {time.perf_counter() - t0:.2f} s")
    exact, why = dp_is_exact(problem)
    print(f"dp_is_exact: {exact} ({why})")
    times = []
    plan = solve_dp(problem)
    for _ in range(args.repeat):
        t1 = time.perf_counter()
        plan = solve_dp(problem)
        times.append(time.perf_counter() - t1)
    own = np.argmin(problem.penalty, axis=1)
    solo = evaluate(
        problem, np.where(problem.penalty[np.arange(args.n), own] < problem.penalty_beyond, own, -1)
    )
    opened = {(int(problem.system_of[i]), int(t)) for i, t in enumerate(plan.period) if t >= 0}
    n_open = len(opened)
    print(
        f"dp: status {plan.status}, objective {plan.objective:,.0f}, bound {plan.lower_bound:,.0f},"
        f" {n_open} openings, {int((plan.period < 0).sum())} deferred"
    )
    print(f"each at its own optimum: {solo['total']:,.0f} ({solo['opening']:,.0f} of openings)")
    print(f"dp time: best {min(times):.3f} s, median {float(np.median(times)):.3f} s")
    t2 = time.perf_counter()
    auto = solve(problem, "auto")
    print(
        f"solve(auto) -> {auto.method}: {time.perf_counter() - t2:.3f} s, status {auto.status},"
        f" objective {auto.objective:,.0f} ({auto.log[1] if len(auto.log) > 1 else ''})"
    )


if __name__ == "__main__":
    main()
