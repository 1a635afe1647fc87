"""Opportune: prescriptive maintenance from remaining-useful-life models.

Public API (each name is loaded on first use, so ``import optimizer`` and the
``opportune`` command start fast; PEP 562 module ``__getattr__``)::

    import optimizer
    scn = optimizer.load_scenario("scenarios/conveyor.yaml")
    result = optimizer.plan_scenario(scn)                  # PlanResult: plan + work orders
    plan = optimizer.solve(optimizer.build_problem(scn).problem, method="auto")  # -> Plan
    sim = optimizer.simulate(scn, "prescriptive", replications=200, seed=1)
    cmp = optimizer.compare(scn, replications=200, seed=1)
    wi = optimizer.whatif(scn, ["replace C1-GBX on 2027-02-16", "defer C1-GBX"])  # one decision
    risk = optimizer.system_risk(scn, days=30)             # P(system down), drivers, ranking
    optimizer.age_replacement(optimizer.Weibull(shape=2.5, scale=1000.0), cost_pm=1.0, cost_cm=10.0)

Layers (each imports only from the layers above it; enforced by
``tests/optimizer/test_layering.py``)::

    _typing, scenario, loading            schema, validation, files
    calendar                              crews' working hours, shifts, windows, value profiles
    reliability/                          life distributions, fitting, age replacement, penalties
    fleet                                 per-component costs and policies (uses cost_models)
    cmms/                                 CMMS registers and histories in, fits, benchmarking
                                          (cmms.exports: plans out, above planning)
    risk                                  system health: P(down within D days), drivers, ranking
    problem/                              the frozen planning problem, its builders, plans
    solvers/                              solve(problem, method) -> Plan (DP, MILP, CP-SAT, ...)
    planning/                             scenario -> PlanResult (groups, purchases, work orders)
    sim/                                  SimPy fleet simulator, twin model, statistics, strategies,
                                          what-if of one decision (plans + simulation)
    report/  service/  cli                adapters: parse, call the core, format

``cost_models`` (a sibling package) holds every money computation; any layer may use it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optimizer.loading import ScenarioError, load_scenario, parse_scenario
    from optimizer.planning.pipeline import PlanResult, plan_scenario
    from optimizer.planning.workorders import WorkOrder
    from optimizer.problem.build import BuiltProblem, build_problem
    from optimizer.problem.data import PlanningProblem
    from optimizer.problem.plan import Plan, Status
    from optimizer.reliability.distributions import (
        Deterministic,
        Empirical,
        Exponential,
        Gamma,
        LifeDistribution,
        Lognormal,
        Normal,
        Weibull,
    )
    from optimizer.reliability.penalty import (
        PenaltyCurves,
        ReplacementResult,
        age_replacement,
        age_replacement_batch,
        minimal_repair_replacement,
        penalty_curves,
    )
    from optimizer.risk import RiskResult, system_risk
    from optimizer.scenario import Scenario
    from optimizer.sim.simulate import Comparison, SimulationResult, compare, simulate
    from optimizer.sim.strategies import Policy, make_policy
    from optimizer.sim.whatif import WhatIfResult, whatif
    from optimizer.solvers import solve

__version__ = "0.1.0"

# public name -> module that defines it
_WHERE: dict[str, str] = {
    "ScenarioError": "optimizer.loading",
    "load_scenario": "optimizer.loading",
    "parse_scenario": "optimizer.loading",
    "Scenario": "optimizer.scenario",
    "LifeDistribution": "optimizer.reliability.distributions",
    "Weibull": "optimizer.reliability.distributions",
    "Lognormal": "optimizer.reliability.distributions",
    "Gamma": "optimizer.reliability.distributions",
    "Exponential": "optimizer.reliability.distributions",
    "Normal": "optimizer.reliability.distributions",
    "Deterministic": "optimizer.reliability.distributions",
    "Empirical": "optimizer.reliability.distributions",
    "PenaltyCurves": "optimizer.reliability.penalty",
    "ReplacementResult": "optimizer.reliability.penalty",
    "age_replacement": "optimizer.reliability.penalty",
    "age_replacement_batch": "optimizer.reliability.penalty",
    "minimal_repair_replacement": "optimizer.reliability.penalty",
    "penalty_curves": "optimizer.reliability.penalty",
    "PlanningProblem": "optimizer.problem.data",
    "BuiltProblem": "optimizer.problem.build",
    "build_problem": "optimizer.problem.build",
    "Plan": "optimizer.problem.plan",
    "Status": "optimizer.problem.plan",
    "solve": "optimizer.solvers",
    "PlanResult": "optimizer.planning.pipeline",
    "plan_scenario": "optimizer.planning.pipeline",
    "WorkOrder": "optimizer.planning.workorders",
    "simulate": "optimizer.sim.simulate",
    "compare": "optimizer.sim.simulate",
    "SimulationResult": "optimizer.sim.simulate",
    "Comparison": "optimizer.sim.simulate",
    "Policy": "optimizer.sim.strategies",
    "make_policy": "optimizer.sim.strategies",
    "whatif": "optimizer.sim.whatif",
    "WhatIfResult": "optimizer.sim.whatif",
    "RiskResult": "optimizer.risk",
    "system_risk": "optimizer.risk",
}
_SUBPACKAGES = frozenset(
    {"reliability", "problem", "solvers", "planning", "sim", "report", "service"}
)

__all__ = [
    "BuiltProblem",
    "Comparison",
    "Deterministic",
    "Empirical",
    "Exponential",
    "Gamma",
    "LifeDistribution",
    "Lognormal",
    "Normal",
    "PenaltyCurves",
    "Plan",
    "PlanResult",
    "PlanningProblem",
    "Policy",
    "ReplacementResult",
    "RiskResult",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "Status",
    "Weibull",
    "WhatIfResult",
    "WorkOrder",
    "__version__",
    "age_replacement",
    "age_replacement_batch",
    "build_problem",
    "compare",
    "load_scenario",
    "make_policy",
    "minimal_repair_replacement",
    "parse_scenario",
    "penalty_curves",
    "plan_scenario",
    "simulate",
    "solve",
    "system_risk",
    "whatif",
]


def __getattr__(name: str) -> Any:
    """Load a public name (or a subpackage) on first use."""
    if name in _SUBPACKAGES:
        return import_module(f"optimizer.{name}")
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    value = getattr(import_module(where), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE, *_SUBPACKAGES})
