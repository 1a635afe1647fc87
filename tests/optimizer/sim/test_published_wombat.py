"""The Dinwoodie et al. (2015) offshore wind reference base case as encoded by NREL WOMBAT,
stated as an Opportune scenario (``tests/data/validation/dinwoodie_base.yaml``, every number
sourced there) and compared with WOMBAT's published validation run (issue 17, evidence).

Reference outputs: WOMBAT's ``examples/dinwoodie_validation.ipynb`` (v0.11, 25 June 2025,
https://github.com/WISDEM/WOMBAT, commit dcdd8a4), base case, ``random_seed=2023``, one
10-year run: time-based availability 0.97, annual direct O&M cost 16.82 M (vessels 10.72
of which CTV 1.92, FSV 0.27, HLV 8.53; repair materials 4.50; technicians 1.60).

Asserted here: the failure process (requests per category), the repair materials cost and
the time-based availability.  The O&M cost is not reproduced (the heavy lift vessel's
campaigns: 6.5 M against 8.53 M a year); ``benchmarks/bench_validation.py`` measures it and
``benchmarks/README.md`` explains every gap.

The comparison runs the variant nearest to WOMBAT's semantics
(:func:`dinwoodie.wombat_like` and :func:`dinwoodie.shift_pauses`): WOMBAT's failures have
``operation_reduction: 0`` (the turbine runs until its repair starts), so neither the wait
for a vessel nor the queue for a CTV is downtime there, while a started job pauses at the
end of the workday with the turbine still down.

Tolerance rule: ``|mean - reference| <= 3 sd / sqrt(R)`` over ``R = 20`` replications of
10 years, against closed forms (Poisson rates of the inputs).  WOMBAT's figure is itself
a single 10-year run, so against it the rule uses the standard deviation of a difference,
``3 sd sqrt(1/R + 1/1)``, plus the rounding of the printed figure.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from dinwoodie import (
    HOURS_PER_YEAR,
    MATERIALS,
    SCALE_Y,
    SERVICE_MATERIALS,
    TURBINES,
    WOMBAT,
    YEARS,
    run,
    variants,
)

R = 20


@functools.cache
def _results() -> dict[str, np.ndarray]:
    return run(variants()["wombat-like, shift pauses"], R)


def _within(values: np.ndarray, reference: float, ref_runs: int = 0, rounding: float = 0.0) -> None:
    sd = values.std(ddof=1)
    half = 3.0 * sd * np.sqrt(1.0 / len(values) + (1.0 / ref_runs if ref_runs else 0.0))
    assert abs(values.mean() - reference) <= half + rounding, (values.mean(), reference, half)


@pytest.mark.parametrize("category", sorted(SCALE_Y))
def test_requests_per_category_follow_the_input_rates(category: str) -> None:
    """Failures of each category against the input rate (base.yaml: exponential, mean
    ``scale`` years) times the parts' hours in service: a failed part's clock stops until
    its repair ends (``idle_ageing`` keeps it running while the turbine is stopped for
    another part), so the count is Poisson with mean ``exposure / MTTF`` (without the
    exposure correction, ``80 x 10 / scale``, the manual resets would be 0.7 % high: R = 100
    resolves that).  The exposure itself is checked against the farm-hours: under 1 % off."""
    res = _results()
    mttf_h = SCALE_Y[category] * HOURS_PER_YEAR
    exposure = res[f"exposure_h_{category}"]
    _within(res[f"n_{category}"] - exposure / mttf_h, 0.0)
    farm_h = TURBINES * YEARS * HOURS_PER_YEAR
    assert 0.99 * farm_h < exposure.min() <= exposure.max() <= farm_h


def test_repair_materials_cost_matches_closed_form_and_wombat() -> None:
    """Annual repair materials: closed form ``80 x sum(rate x materials)`` plus the annual
    services done (one a year from 2004-01-01, WOMBAT's ``frequency: 365`` days from the
    start: 9 per turbine in 10 years) against the simulated mean (rule with R = 20), and
    WOMBAT's published 4.50 M a year (one run: rule of a difference)."""
    res = _results()
    np.testing.assert_allclose(res["services"], 9 * TURBINES)
    expected = TURBINES * sum(MATERIALS[c] / SCALE_Y[c] for c in SCALE_Y)
    expected += TURBINES * SERVICE_MATERIALS * 9 / YEARS
    _within(res["materials"] * 1e6, expected)
    _within(res["materials"], WOMBAT["materials"], ref_runs=1, rounding=0.005)


def test_time_based_availability_matches_wombat() -> None:
    """Time-based availability against WOMBAT's 0.97 (printed to two decimals: +- 0.005
    rounding, plus the rule of a difference with its one run).  Measured 0.974 (R = 20);
    without the workday pauses 0.981, as stated (turbines down while they wait for a
    vessel) 0.66: see benchmarks/README.md."""
    _within(_results()["availability"], WOMBAT["availability"], ref_runs=1, rounding=0.005)
