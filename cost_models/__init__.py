"""Opportune cost models: the one place where money is computed.

Plain vectorized numpy functions (array in, array out, broadcasting) shared by the
fleet simulator and the scheduler, so that a plan and its simulated outcome are priced
identically.  Amounts are in the scenario's single currency, which the caller tracks.
"""

from cost_models.downtime import downtime_cost, expected_downtime_h
from cost_models.labour import labour_cost, split_overtime
from cost_models.maintenance import (
    corrective_cost,
    expected_failure_cost,
    preventive_cost,
    setup_cost,
)
from cost_models.profile import ValueProfile
from cost_models.resources import charter_days, resource_cost
from cost_models.spares import (
    HOURS_PER_YEAR,
    base_stock_part_wait,
    eoq,
    eoq_annual_cost,
    expedite_cost,
    holding_cost,
    ordering_cost,
    stockout_probability_poisson,
)
from cost_models.summary import CATEGORIES, CostBreakdown

__all__ = [
    "CATEGORIES",
    "HOURS_PER_YEAR",
    "CostBreakdown",
    "ValueProfile",
    "base_stock_part_wait",
    "charter_days",
    "corrective_cost",
    "downtime_cost",
    "eoq",
    "eoq_annual_cost",
    "expected_downtime_h",
    "expected_failure_cost",
    "expedite_cost",
    "holding_cost",
    "labour_cost",
    "ordering_cost",
    "preventive_cost",
    "resource_cost",
    "setup_cost",
    "split_overtime",
    "stockout_probability_poisson",
]
