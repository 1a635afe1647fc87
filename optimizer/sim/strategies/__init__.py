"""Maintenance strategies: policy objects that the fleet simulator drives.

A strategy is any object with the :class:`~optimizer.sim.strategies.base.Policy`
protocol (:mod:`optimizer.sim.strategies.base` says when the simulator calls what).
Six strategies, names exactly as in the scenario schema:

===================  =============================================================
``run-to-failure``   never replaces preventively
``fixed-interval``   block replacement: every ``interval_h`` operating hours each
                     system is opened and all its parts are replaced
``optimal-age``      each component at its optimal age ``t_star`` (Barlow-Proschan)
``condition-based``  replace (after ``lead_time_h``) when the twin's ``rul_quantile``
                     quantile of the residual life falls below ``threshold_h``
``predictive``       each component at its own optimum from its current RUL (the
                     twin's estimate), no grouping
``prescriptive``     the scheduler's grouped plan on a rolling horizon
                     (:mod:`optimizer.sim.strategies.prescriptive`)
===================  =============================================================

The first five live in :mod:`optimizer.sim.strategies.simple`.
"""

from __future__ import annotations

from collections.abc import Sequence

from optimizer.scenario import STRATEGIES, StrategySpec
from optimizer.sim.strategies.base import BasePolicy, Policy, SimView
from optimizer.sim.strategies.prescriptive import Prescriptive
from optimizer.sim.strategies.simple import (
    ConditionBased,
    FixedInterval,
    OptimalAge,
    Predictive,
    RunToFailure,
)

__all__ = [
    "STRATEGIES",
    "BasePolicy",
    "ConditionBased",
    "FixedInterval",
    "OptimalAge",
    "Policy",
    "Predictive",
    "Prescriptive",
    "RunToFailure",
    "SimView",
    "make_policy",
]


def make_policy(
    spec: str | StrategySpec | Policy, scenario_specs: Sequence[StrategySpec] = ()
) -> Policy:
    """The policy object for a strategy name or spec.

    Parameters
    ----------
    spec : str, StrategySpec or Policy
        A strategy name (parameters are then taken from ``scenario_specs`` when the
        scenario lists that strategy), a scenario spec, or a ready policy (returned as is).
    scenario_specs : sequence of StrategySpec
        The scenario's ``simulation.strategies``.

    Returns
    -------
    Policy

    Raises
    ------
    ValueError
        On an unknown strategy name.
    """
    if isinstance(spec, str):
        if spec not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {spec!r}")
        found = [s for s in scenario_specs if s.name == spec]
        spec = found[0] if found else StrategySpec(name=spec)
    if not isinstance(spec, StrategySpec):
        if isinstance(spec, Policy):
            return spec
        raise ValueError(f"strategy: expected a name, a StrategySpec or a Policy, got {spec!r}")
    name = spec.name
    if name == "run-to-failure":
        return RunToFailure()
    if name == "fixed-interval":
        return FixedInterval(spec.interval_h)
    if name == "optimal-age":
        return OptimalAge(spec.age_factor)
    if name == "condition-based":
        return ConditionBased(spec.rul_quantile, spec.threshold_h, spec.lead_time_h)
    if name == "predictive":
        return Predictive(spec.replan_every_days, spec.lead_time_h)
    return Prescriptive(spec.replan_every_days)
