"""Tests for optimizer.sim.strategies: make_policy and the Policy protocol."""

from __future__ import annotations

import pytest

from optimizer.scenario import StrategySpec
from optimizer.sim.strategies import (
    STRATEGIES,
    ConditionBased,
    FixedInterval,
    OptimalAge,
    Policy,
    Predictive,
    Prescriptive,
    RunToFailure,
    make_policy,
)


def test_make_policy_names_and_parameters() -> None:
    specs = [
        StrategySpec(name="fixed-interval", interval_h=1234.0),
        StrategySpec(name="condition-based", rul_quantile=0.2, threshold_h=300.0, lead_time_h=10.0),
        StrategySpec(name="prescriptive", replan_every_days=3.0),
    ]
    kinds = {
        "run-to-failure": RunToFailure,
        "fixed-interval": FixedInterval,
        "optimal-age": OptimalAge,
        "condition-based": ConditionBased,
        "predictive": Predictive,
        "prescriptive": Prescriptive,
    }
    for name in STRATEGIES:
        pol = make_policy(name, specs)
        assert isinstance(pol, kinds[name]) and pol.name == name
        assert isinstance(pol, Policy)
    fi = make_policy("fixed-interval", specs)
    assert isinstance(fi, FixedInterval) and fi.interval_h == 1234.0
    cb = make_policy("condition-based", specs)
    assert isinstance(cb, ConditionBased)
    assert (cb.rul_quantile, cb.threshold_h, cb.lead_time_h) == (0.2, 300.0, 10.0)
    pr = make_policy("prescriptive", specs)
    assert isinstance(pr, Prescriptive) and pr.decision_interval_h == 72.0
    assert make_policy(fi) is fi
    with pytest.raises(ValueError, match="strategy"):
        make_policy("whenever")
