"""Shared fixtures of the solver tests: a seeded instance generator and the backends.

``make_problem(n, K, T, seed, ...)`` builds a :class:`PlanningProblem` with realistic
penalty rows: ``shape="quadratic"`` gives asymmetric quadratic bowls
``h_i(t) = a_i (t - m_i)^2`` (left and right curvature differ) around random
minimisers, ``shape="weibull"`` the age-replacement penalty of the design,
``c_i(t) = c_p S(t) + c_f F(t) - g* int_0^t S``, ``h = c - min c``, for a Weibull part
of random age (unimodal because the hazard increases).  ``max_span > 1`` gives each
job a random span of 1..max_span periods and multiplies its duration by it (long jobs
whose per-period share is that of a one-period job), drawn after every other number so
instances with ``max_span=1`` are unchanged.  ``method`` runs every backend (DP,
MILP, CP-SAT); a missing backend fails the tests rather than skipping them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy import special

from optimizer.problem.data import NO_PIN, PIN_BEYOND, PlanningProblem
from optimizer.problem.plan import Plan

BACKENDS = {"dp": "solve_dp", "milp": "solve_milp", "cpsat": "solve_cpsat"}


def weibull_penalty(
    t: np.ndarray, beta: float, eta: float, age: float, c_p: float, c_f: float
) -> np.ndarray:
    """Penalty ``h(t) = c(t) - min c`` of planning the PM of a part of age ``age`` at ``t``.

    ``c(t) = c_p S(t) + c_f F(t) - g* int_0^t S(u) du`` with ``S`` the residual
    survival ``S0(age + t) / S0(age)`` and ``g*`` the optimal age-replacement cost rate
    of a new part (grid search over ``T``).  ``int S`` uses the regularized lower
    incomplete gamma function: ``int_0^x exp(-(u/eta)^beta) du = eta/beta Gamma(1/beta)
    P(1/beta, (x/eta)^beta)``.
    """

    def cum_s0(x: np.ndarray) -> np.ndarray:
        return np.asarray(
            eta / beta * special.gamma(1 / beta) * special.gammainc(1 / beta, (x / eta) ** beta)
        )

    grid = np.linspace(eta * 1e-3, 4 * eta, 4000)
    s0 = np.exp(-((grid / eta) ** beta))
    g_star = float(np.min((c_p * s0 + c_f * (1 - s0)) / cum_s0(grid)))
    s_age = np.exp(-((age / eta) ** beta))
    surv = np.exp(-(((age + t) / eta) ** beta)) / s_age
    integral = (cum_s0(age + t) - cum_s0(np.asarray(age))) / s_age
    c = c_p * surv + c_f * (1 - surv) - g_star * integral
    return np.asarray(c - c.min())


def build_problem(
    n: int,
    K: int,
    T: int,
    seed: int,
    *,
    capacitated: bool = False,
    windows: bool = False,
    pins: bool = False,
    shape: str = "quadratic",
    setup_cost: float = 100.0,
    time_varying: bool = True,
    n_skills: int = 2,
    max_span: int = 1,
) -> PlanningProblem:
    """Random, seeded, realistic grouping instance (see the module docstring)."""
    rng = np.random.default_rng(seed)
    t = np.arange(T, dtype=np.float64)
    system_of = np.sort(rng.integers(0, K, size=n)) if K > 0 else np.zeros(n, np.int64)
    penalty = np.empty((n, T))
    beyond = np.empty(n)
    for i in range(n):
        if shape == "quadratic":
            m = rng.uniform(-0.2 * T, 1.2 * T)
            # a shift of `reach` periods costs about one set-up
            reach_l, reach_r = rng.uniform(0.5, 0.4 * T + 1, size=2)
            a = np.where(t < m, setup_cost / reach_l**2, setup_cost / reach_r**2)
            penalty[i] = a * (t - m) ** 2
            beyond[i] = setup_cost / reach_r**2 * max(T - m, 0.0) ** 2 + rng.uniform(0, setup_cost)
        elif shape == "weibull":
            beta = rng.uniform(1.5, 4.0)
            eta = rng.uniform(0.5 * T, 2.0 * T)
            age = rng.uniform(0.0, eta)
            c_p = rng.uniform(0.5, 2.0) * setup_cost
            c_f = c_p * rng.uniform(3.0, 10.0)
            row = weibull_penalty(np.arange(T + 1.0), beta, eta, age, c_p, c_f)
            penalty[i], beyond[i] = row[:T], row[T]
        else:
            raise ValueError(f"shape: expected 'quadratic' or 'weibull', got {shape!r}")
    allowed = np.ones((n, T), dtype=bool)
    if windows and T > 1:
        # eligibility ranges trimmed at the ends of the horizon
        first = rng.integers(0, max(T // 3, 1), size=n)
        allowed &= t[None, :] >= first[:, None]
    base = rng.uniform(0.5, 1.5, size=(K, 1)) * setup_cost
    opening = np.repeat(base, T, axis=1)
    if time_varying:
        opening = opening * rng.choice([0.3, 1.0, 1.0, 2.5], size=(K, T))
    open_allowed = np.ones((K, T), dtype=bool)
    if windows:
        open_allowed = rng.random((K, T)) < 0.6
    skill_of = rng.integers(0, n_skills, size=n)
    duration = rng.choice([2.0, 4.0, 8.0], size=n)
    crew_qty = rng.integers(1, 3, size=n)
    crew_hours = np.full((n_skills, T), np.inf)
    if capacitated:
        crew_hours = rng.choice([8.0, 16.0, 24.0], size=(n_skills, T))
    pinned = np.full(n, NO_PIN, dtype=np.int64)
    if pins and n:
        i = int(rng.integers(0, n))
        k = system_of[i]
        ok = np.flatnonzero(open_allowed[k] & allowed[i])
        pinned[i] = int(rng.choice(ok)) if len(ok) and rng.random() < 0.7 else PIN_BEYOND
    span = np.ones(n, dtype=np.int64)
    if max_span > 1:
        span = rng.integers(1, max_span + 1, size=n)
        duration = duration * span
    return PlanningProblem(
        start=datetime(2027, 1, 1, tzinfo=UTC),
        period_h=24.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=tuple(f"S{k}" for k in range(K)),
        system_of=system_of,
        penalty=penalty,
        penalty_beyond=beyond,
        allowed=allowed,
        opening_cost=opening,
        open_allowed=open_allowed,
        duration_h=duration,
        skill_of=skill_of,
        crew_qty=crew_qty,
        skill_ids=tuple(["electrical", "mechanical", "hydraulic"][:n_skills]),
        crew_hours=crew_hours,
        pinned_period=pinned,
        span_periods=span,
    )


@pytest.fixture
def make_problem() -> Callable[..., PlanningProblem]:
    """The seeded instance generator :func:`build_problem`."""
    return build_problem


@pytest.fixture(params=sorted(BACKENDS))
def method(request: pytest.FixtureRequest) -> Callable[..., Plan]:
    """Every scheduler backend (a missing one is an error, not a skip)."""
    return load_backend(request.param)


def load_backend(name: str) -> Callable[..., Plan]:
    """Backend function by name (for tests that need one outside the fixture)."""
    module = importlib.import_module(f"optimizer.solvers.{name}")
    fn: Callable[..., Plan] = getattr(module, BACKENDS[name])
    return fn
