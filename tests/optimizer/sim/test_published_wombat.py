"""The Dinwoodie et al. (2015) offshore wind reference base case as encoded by NREL WOMBAT,
stated as an Opportune scenario (``tests/data/validation/dinwoodie_base.yaml``, every number
sourced there) and compared with WOMBAT's published validation run (issue 17, evidence).

Reference outputs: WOMBAT's ``examples/dinwoodie_validation.ipynb`` (v0.11, 25 June 2025,
https://github.com/WISDEM/WOMBAT, commit dcdd8a4), base case, ``random_seed=2023``, one
10-year run: time-based availability 0.97, annual direct O&M cost 16.82 M (vessels 10.72
of which CTV 1.92, FSV 0.27, HLV 8.53; repair materials 4.50; technicians 1.60).

Asserted here: the failure process (requests per category), the repair materials cost,
the annual O&M cost and the FSV cost (the FSV and HLV are campaign resources), the HLV
mobilisations against a closed form.  Not reproduced (strict xfail, they fail when the
gap closes): the time-based availability (0.978 against 0.97) and the HLV cost (6.62 M
against 8.53 M a year); ``benchmarks/bench_validation.py`` measures them and
``benchmarks/README.md`` explains every gap.

The comparison runs the variant nearest to WOMBAT's semantics
(:func:`dinwoodie.wombat_like` and :func:`dinwoodie.shift_pauses`): WOMBAT's failures have
``operation_reduction: 0`` (the turbine runs until its repair starts: ``stops_system:
at_work_start``), so neither the wait for a vessel nor the queue for a CTV is downtime
there, while a started job pauses at the end of the workday with the turbine still down.

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
    resolves that).  The exposure itself is checked against the farm-hours: under 3 % off
    (the FSV / HLV parts wait months for a campaign, failed)."""
    res = _results()
    mttf_h = SCALE_Y[category] * HOURS_PER_YEAR
    exposure = res[f"exposure_h_{category}"]
    _within(res[f"n_{category}"] - exposure / mttf_h, 0.0)
    farm_h = TURBINES * YEARS * HOURS_PER_YEAR
    assert 0.97 * farm_h < exposure.min() <= exposure.max() <= farm_h


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


@pytest.mark.xfail(
    strict=True,
    reason=(
        "gap: 0.9777 against WOMBAT's 0.97 (R = 20; tolerance 0.0069 = 3 sd sqrt(1/20 + 1)"
        " + 0.005 rounding, missed by 0.0008); see benchmarks/README.md"
    ),
)
def test_time_based_availability_matches_wombat() -> None:
    """Time-based availability against WOMBAT's 0.97 (printed to two decimals: +- 0.005
    rounding, plus the rule of a difference with its one run).  Measured 0.9777 (R = 20)
    with every failure stopping its turbine when its repair starts (``stops_system:
    at_work_start``, WOMBAT's ``operation_reduction: 0``): the wait for the next workday
    is not downtime any more, which was (0.974) when the turbine stopped at its failure
    and the vessel waits were dropped; without the workday pauses 0.984, as stated 0.78:
    see benchmarks/README.md.  Strict: it fails when the gap closes."""
    _within(_results()["availability"], WOMBAT["availability"], ref_runs=1, rounding=0.005)


def test_om_cost_matches_wombat() -> None:
    """Annual O&M cost: Opportune's ``cost_total`` (materials, FSV and HLV campaigns as
    resources: mobilisation, day rate, minimum charter) plus the fixed costs it cannot
    state (CTVs all year, salaried technicians) against WOMBAT's 16.82 M (one run: rule
    of a difference, +- 0.005 rounding).  Measured 14.65 M (R = 20), tolerance 2.48 M."""
    _within(_results()["om_total"], WOMBAT["om_total"], ref_runs=1, rounding=0.005)


def test_fsv_cost_matches_wombat() -> None:
    """FSV campaigns (3 requests trigger, 21 d mobilisation, 28 d at 9,500 a day) against
    WOMBAT's 0.27 M a year (one run).  Measured 0.238 M (R = 20)."""
    _within(_results()["fsv"], WOMBAT["fsv"], ref_runs=1, rounding=0.005)


def test_hlv_mobilisations_follow_the_batch_closed_form() -> None:
    """HLV mobilisations a year against a renewal-reward closed form: a charter serves
    the 3 requests that trigger it plus those arriving during the 60 d of mobilisation
    and the 30 d of charter, ``lambda x 90 / 365`` at the simulated request rate
    ``lambda`` (a year); mobilisations a year ``lambda / (3 + lambda x 90 / 365)``."""
    res = _results()
    lam = res["n_major_replacement"] / YEARS
    _within(res["hlv_mobilisations"] - lam / (3.0 + lam * 90.0 / 365.0), 0.0)


@pytest.mark.xfail(
    strict=True,
    reason=(
        "gap: 6.62 M against WOMBAT's 8.53 M a year (R = 20; tolerance 1.89 M, missed by"
        " 0.02 M): 1.35 mobilisations a year against about 1.7; see benchmarks/README.md"
    ),
)
def test_hlv_cost_matches_wombat() -> None:
    """HLV campaigns (3 requests, 60 d mobilisation at 500,000, 30 d at 150,000 a day)
    against WOMBAT's 8.53 M a year (one run).  Strict: it fails when the gap closes."""
    _within(_results()["hlv"], WOMBAT["hlv"], ref_runs=1, rounding=0.005)
