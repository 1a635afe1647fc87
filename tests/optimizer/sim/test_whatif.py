"""What-if of one decision (optimizer.sim.whatif) against independent computations."""

from __future__ import annotations

import math
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, scenario, system, weibull

from optimizer.loading import parse_scenario
from optimizer.scenario import Scenario
from optimizer.sim.whatif import OptionError, check_options, parse_option, whatif

ROOT = Path(__file__).resolve().parents[3]

START = date(2027, 1, 4)  # sim_scenarios.START, midnight UTC
SHAPE, SCALE, AGE = 6.0, 1000.0, 800.0
COST_PM, COST_CM, SETUP = 100.0, 1000.0, 100.0


def one_part(**extra: object) -> Scenario:
    """One Weibull part, no durations, no production value, crews around the clock."""
    comp = component(
        "P",
        life=weibull(SHAPE, SCALE),
        age_h=AGE,
        cost_pm_other=COST_PM,
        cost_cm_other=COST_CM,
    )
    return scenario([system("S", [comp], setup=SETUP)], **extra)  # type: ignore[arg-type]


def weibull_resid_cdf(t_h: float) -> float:
    """Closed form ``1 - S(a + t) / S(a)`` of the Weibull part at age ``AGE``."""
    return 1.0 - math.exp(-(((AGE + t_h) / SCALE) ** SHAPE) + (AGE / SCALE) ** SHAPE)


# ---- parsing --------------------------------------------------------------------------
ids = st.from_regex(r"[A-Za-z0-9_.:/@#+\-]{1,12}", fullmatch=True).filter(
    lambda s: s.lower() not in ("and", "on")
)


@settings(max_examples=60, deadline=None)
@given(
    comps=st.lists(ids, min_size=1, max_size=4, unique=True),
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    sep=st.sampled_from([" and ", ", ", " AND ", " ,  "]),
    verb=st.sampled_from(["replace", "Replace", "REPLACE"]),
)
def test_replace_round_trips(comps: list[str], day: date, sep: str, verb: str) -> None:
    text = f"{verb} {sep.join(comps)} on {day.isoformat()}"
    opt = parse_option(text)
    assert opt.action == "replace"
    assert opt.components == tuple(comps)
    assert opt.on == day
    assert opt.text == text


@settings(max_examples=40, deadline=None)
@given(comps=st.lists(ids, min_size=1, max_size=4, unique=True))
def test_defer_round_trips(comps: list[str]) -> None:
    opt = parse_option("defer " + " and ".join(comps))
    assert (opt.action, opt.components, opt.on) == ("defer", tuple(comps), None)


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=30))
def test_garbage_is_an_option_error_naming_the_option(text: str) -> None:
    try:
        opt = parse_option(text)
    except OptionError as exc:
        assert repr(text) in str(exc)
    else:  # whatever parses is a well-formed option
        assert opt.action in ("replace", "defer") and opt.components


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("replace X on 2027-13-01", "is not a date"),
        ("replace X", "expected"),
        ("defer X on 2027-01-05", "takes no date"),
        ("replace X and X on 2027-01-05", "named twice"),
        ("swap X on 2027-01-05", "expected"),
    ],
)
def test_bad_syntax(text: str, why: str) -> None:
    with pytest.raises(OptionError, match=why) as info:
        parse_option(text)
    assert text in str(info.value)


# ---- exact numbers --------------------------------------------------------------------
def test_exact_p_fail_before_the_action_is_the_weibull_closed_form() -> None:
    scn = one_part()
    res = whatif(
        scn,
        ["replace P on 2027-01-08", "replace P on 2027-01-11", "defer P"],
        days=11,
        replications=20,
        seed=3,
        workers=1,
    )
    for o, t_h in zip(res.options, (4 * 24.0, 7 * 24.0, 11 * 24.0), strict=True):
        (act,) = o.actions
        assert_allclose(act["p_fail_exact"], weibull_resid_cdf(t_h), rtol=1e-9)


def test_simulated_cost_agrees_with_the_first_life_expectation() -> None:
    # Renewed parts (age 0) fail within 264 h with probability 0.264^6 = 3e-4: the
    # first-life expectation is the simulated mean up to a few EUR.
    reps = 400
    res = whatif(
        one_part(), ["replace P on 2027-01-14"], days=11, replications=reps, seed=5, workers=1
    )
    (o,) = res.options
    f = weibull_resid_cdf(10 * 24.0)
    exact = COST_CM * f + (COST_PM + SETUP) * (1.0 - f)
    assert_allclose(o.model_cost["total"], exact, rtol=1e-9)
    est = o.kpis["cost_total"]
    assert abs(est.mean - exact) < 3.0 * est.sd / math.sqrt(reps)
    # P(failure before the action): simulated within 3 sd/sqrt(R) of the exact one
    (act,) = o.actions
    p = act["p_fail_exact"]
    assert abs(act["p_fail_sim"].mean - p) < 3.0 * math.sqrt(p * (1 - p) / reps)
    # the headline is the sum of the categories
    parts = sum(o.kpis[k].mean for k in o.kpis if k.startswith("cost_") and k != "cost_total")
    assert_allclose(parts, est.mean, rtol=1e-9)


def test_identical_options_differ_by_exactly_zero() -> None:
    res = whatif(
        one_part(),
        ["replace P on 2027-01-09", "replace P on 2027-01-09"],
        days=11,
        replications=50,
        seed=2,
        workers=1,
    )
    second = res.options[1]
    assert second.paired
    for k, d in second.paired.items():
        assert (d.mean, d.ci_low, d.ci_high) == (0.0, 0.0, 0.0), k
    assert not res.cheaper.real and "noise" in res.cheaper.text
    assert not res.less_risky.real


def test_known_sign_is_found_real() -> None:
    # Deferring a part with P(fail within 11 days) ~ 0.66 costs ~ 660 EUR of failures
    # against ~ 230 EUR for replacing it on day 1.
    res = whatif(
        one_part(),
        ["replace P on 2027-01-05", "defer P"],
        days=11,
        replications=200,
        seed=9,
        workers=1,
    )
    d = res.options[1].paired["cost_total"]
    assert d.ci_low > 0.0
    assert res.cheaper.best == "option 1" and res.cheaper.real
    assert res.less_risky.best == "option 1" and res.less_risky.real
    assert res.options[1].paired["failures"].ci_low > 0.0
    # exact expectation of the difference lies in the paired interval
    f1, f11 = weibull_resid_cdf(24.0), weibull_resid_cdf(11 * 24.0)
    exact = COST_CM * f11 - (COST_CM * f1 + (COST_PM + SETUP) * (1 - f1))
    assert d.ci_low - 10.0 < exact < d.ci_high + 10.0


# ---- options that cannot be served ------------------------------------------------------
@pytest.mark.parametrize(
    ("opt", "why"),
    [
        ("replace NOPE on 2027-01-05", "unknown component 'NOPE'"),
        ("defer NOPE", "unknown component"),
        ("replace P on 2027-03-05", "outside the horizon"),
        ("replace P on 2026-12-31", "outside the horizon"),
        ("replace P on 2027-01-09", "no crew with skill"),  # a Saturday
    ],
)
def test_bad_options_name_the_option(opt: str, why: str) -> None:
    scn = one_part(days_off=["sat", "sun"])
    with pytest.raises(OptionError, match=why) as info:
        whatif(scn, ["replace P on 2027-01-05", opt], replications=2, workers=1)
    assert opt in str(info.value)


def test_part_not_in_stock_in_time(conveyor: Scenario) -> None:
    # GBX-25: none on hand, one arriving 2027-02-15, expedited in 14 days
    opt = "replace C1-GBX on 2027-01-12"
    with pytest.raises(OptionError, match="part GBX-25 for C1-GBX") as info:
        whatif(conveyor, [opt], replications=2, workers=1)
    assert opt in str(info.value)
    assert "2027-01-18" in str(info.value)


def test_hold_keeps_the_rest_of_the_plan(conveyor: Scenario) -> None:
    res = whatif(
        conveyor,
        ["replace C1-GBX on 2027-02-16", "defer C1-GBX"],
        replications=4,
        seed=1,
        workers=1,
        hold=True,
    )
    a, b = ({r["component_id"]: r["scheduled_start"] for r in o.work_orders} for o in res.options)
    assert "C1-GBX" not in b
    assert a["C1-GBX"].startswith("2027-02-16")
    a.pop("C1-GBX")
    assert a == b
    assert res.mode == "hold"
    # the named replacement joins or opens C1 that day; the plans differ only there
    assert all(math.isfinite(v) for v in res.options[0].planner_cost.values())
    d = date.fromisoformat(res.options[0].actions[0]["start"][:10])
    assert d - date(2027, 2, 16) == timedelta(0)
    assert np.isfinite(res.options[1].actions[0]["p_fail_exact"])


def test_replacement_past_a_life_limit_is_refused() -> None:
    doc = yaml.safe_load((ROOT / "scenarios" / "conveyor.yaml").read_text(encoding="utf-8"))
    doc["component_types"]["gearbox"]["max_age_h"] = 31500  # C1-GBX: 30,500 h, 16 h a day
    scn = parse_scenario(doc)
    opt = "replace C1-GBX on 2027-05-03"
    errors = check_options(scn, ["replace C1-GBX on 2027-02-16", opt])
    assert [j for j, _ in errors] == [1]
    assert opt in str(errors[0][1]) and "not allowed" in str(errors[0][1])
