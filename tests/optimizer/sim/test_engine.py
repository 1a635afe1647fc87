"""Tests for optimizer.sim.engine: one replication of the event simulation.

Reference values are independent of the simulator: renewal-reward formulas evaluated with
scipy.integrate.quad and scipy.stats, MTTF / (MTTF + MTTR), the closed-form renewal
function of Erlang-2 lives, and event times worked out by hand for tiny deterministic
fleets (crews, spare parts, redundancy, ageing, windows).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, stats

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, fixed, scenario, system, weibull

from optimizer.sim.engine import kpi_names, run_replication
from optimizer.sim.model import compile_model
from optimizer.sim.simulate import simulate
from optimizer.sim.strategies import BasePolicy, SimView, make_policy
from optimizer.sim.twin import Twin

H_PER_YEAR = 8760.0


class AgeAt(BasePolicy):
    """Age replacement at a given age (a user-written policy through the protocol)."""

    name = "age-at"

    def __init__(self, age_h: float) -> None:
        self.age_h = age_h

    def on_install(self, sim: SimView, i: int) -> None:
        sim.set_alarm(i, self.age_h)

    def on_alarm(self, sim: SimView, i: int) -> None:
        sim.request_pm([i], sim.now_h)


def _weibull_sf(beta: float, eta: float) -> Any:
    return stats.weibull_min(beta, scale=eta).sf


def _renewal_rate(
    sf: Any, t: float, cp: float, cf: float, dp: float = 0.0, df: float = 0.0
) -> float:
    """Long-run cost per calendar hour of age replacement at t (renewal reward), by quad."""
    s_t = float(sf(t))
    int_s = integrate.quad(sf, 0.0, t, limit=200)[0]
    return (cp * s_t + cf * (1.0 - s_t)) / (int_s + dp * s_t + df * (1.0 - s_t))


# --------------------------------------------------------------------------------------
# one replication, called directly
# --------------------------------------------------------------------------------------
def test_run_to_failure_failure_count_is_the_renewal_function() -> None:
    """Expected failures by ``T`` = the renewal function ``M(T)`` of the part lives.

    Lives Erlang-2 (gamma, shape 2) of mean ``2 / lam``, repairs instantaneous: the
    failures form an ordinary renewal process with
    ``M(t) = lam t / 2 - 1/4 + exp(-2 lam t) / 4`` (Ross, *Applied Probability Models*,
    renewal function of the Erlang-2 law).
    """
    mean_h = 400.0
    lam = 2.0 / mean_h
    life = {"distribution": "gamma", "shape": 2.0, "scale_h": mean_h / 2.0}
    scn = scenario([system("S", [component("C", life=life)])])
    model = compile_model(scn, years=0.25)
    horizon = float(model.horizon_h)
    policy = make_policy("run-to-failure")
    twin = Twin("none")
    policy.prepare(model, twin)
    j = kpi_names(model).index("failures")
    counts = np.array([run_replication(model, policy, twin, 17, r)[0][j] for r in range(400)])
    expect = lam * horizon / 2.0 - 0.25 + math.exp(-2.0 * lam * horizon) / 4.0
    half = stats.t.ppf(0.999, len(counts) - 1) * stats.sem(counts)
    assert abs(counts.mean() - expect) <= half, (counts.mean(), expect, half)
    assert_allclose(counts.mean(), expect, rtol=0.03)


# --------------------------------------------------------------------------------------
# long-run agreement with renewal theory
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("beta", "cp_other", "cf_other", "frac"),
    [
        (2.0, 100.0, 1000.0, 1.0),  # at T* (cp = 100 + set-up 100 = 200)
        (3.5, 300.0, 2000.0, 1.0),
        (1.5, 100.0, 5000.0, 1.0),
        (2.5, 100.0, 1500.0, 0.6),  # off the optimum
        (2.5, 100.0, 1500.0, 1.8),
    ],
)
def test_age_replacement_cost_rate_matches_g_of_t(
    beta: float, cp_other: float, cf_other: float, frac: float
) -> None:
    eta = 1000.0
    scn = scenario(
        [
            system(
                "S",
                [
                    component(
                        "C", life=weibull(beta, eta), cost_pm_other=cp_other, cost_cm_other=cf_other
                    )
                ],
            )
        ]
    )
    model = compile_model(scn, years=100.0)
    cp = cp_other + 100.0  # preventive direct cost + set-up cost of the opening
    cf = cf_other
    assert_allclose(model.cost_pm_individual[0], cp)
    t_star = float(model.t_star_h[0])
    assert math.isfinite(t_star)
    t = frac * t_star
    g = _renewal_rate(_weibull_sf(beta, eta), t, cp, cf)
    if frac == 1.0:
        assert_allclose(g, model.cost_rate[0], rtol=1e-6)  # fleet model's g* = g(T*)
    res = simulate(model, AgeAt(t), replications=16, seed=11, twin_accuracy="none", workers=1)
    rate = res["cost_total"]
    lo, hi = rate.ci_low / model.horizon_h, rate.ci_high / model.horizon_h
    # the finite horizon starts with a new part: O(1 cycle) bias, far inside the CI here
    assert lo <= g <= hi, (lo, g, hi)
    assert hi - lo < 0.05 * g  # and the interval is informative


def test_age_replacement_with_downtime_matches_renewal_reward() -> None:
    beta, eta = 2.0, 1000.0
    setup_h, pm_h, resp_h, cm_h, value = 1.0, 4.0, 2.0, 20.0, 50.0
    scn = scenario(
        [
            system(
                "S",
                [component("C", life=weibull(beta, eta), pm_h=pm_h, cm_h=cm_h)],
                value=value,
                setup_h=setup_h,
            )
        ],
        response_h=resp_h,
    )
    model = compile_model(scn, years=100.0)
    t = 600.0
    dp, df = setup_h + pm_h, resp_h + cm_h
    cp = 100.0 + 100.0 + value * dp
    cf = 1000.0 + value * df
    g = _renewal_rate(_weibull_sf(beta, eta), t, cp, cf, dp, df)
    res = simulate(model, AgeAt(t), replications=16, seed=3, twin_accuracy="none", workers=1)
    est = res["cost_total"]
    assert est.ci_low / model.horizon_h <= g <= est.ci_high / model.horizon_h
    # the planned and unplanned downtime follow the same renewal reward
    int_s = integrate.quad(_weibull_sf(beta, eta), 0.0, t)[0]
    s_t = float(_weibull_sf(beta, eta)(t))
    cycle = int_s + dp * s_t + df * (1.0 - s_t)
    down = res["downtime_unplanned_h"]
    expect = model.horizon_h * df * (1.0 - s_t) / cycle
    assert down.ci_low <= expect <= down.ci_high


@pytest.mark.parametrize(
    "life",
    [
        {"distribution": "exponential", "mean_h": 200.0},
        {"distribution": "weibull", "shape": 3.0, "scale_h": 250.0},
        {"distribution": "lognormal", "median_h": 180.0, "sigma": 0.6},
    ],
)
def test_run_to_failure_availability_is_mttf_over_mttf_plus_mttr(life: dict[str, Any]) -> None:
    mttr = 20.0
    scn = scenario([system("S", [component("C", life=life, cm_h=15.0)])], response_h=5.0)
    model = compile_model(scn, years=60.0)
    mttf = {
        "exponential": 200.0,
        "weibull": stats.weibull_min(3.0, scale=250.0).mean(),
        "lognormal": stats.lognorm(0.6, scale=180.0).mean(),
    }[life["distribution"]]
    res = simulate(
        model, "run-to-failure", replications=12, seed=5, twin_accuracy="none", workers=1
    )
    a = res["availability_fleet"]
    expect = mttf / (mttf + mttr)
    assert a.ci_low <= expect <= a.ci_high
    assert_allclose(a.mean, expect, rtol=2e-3)
    f = res["failures"]
    assert f.ci_low <= model.horizon_h / (mttf + mttr) * 1.001
    assert f.ci_high >= model.horizon_h / (mttf + mttr) * 0.999


# --------------------------------------------------------------------------------------
# hand-computable cases: crews, spares, structure, ageing
# --------------------------------------------------------------------------------------
def _run(scn: Any, strategy: Any = "run-to-failure", hours: float = 200.0, **kw: Any) -> Any:
    return simulate(
        scn,
        strategy,
        replications=1,
        seed=1,
        years=hours / H_PER_YEAR,
        twin_accuracy=kw.pop("twin", "none"),
        workers=1,
        keep_events=True,
        **kw,
    )


def test_crew_queue_waiting_time() -> None:
    # one technician; A fails at 100, B at 101; response 2 h, repair 10 h
    scn = scenario(
        [
            system("S0", [component("A", life=fixed(100.0), cm_h=10.0)]),
            system("S1", [component("B", life=fixed(101.0), cm_h=10.0)]),
        ],
        headcount=1,
        response_h=2.0,
    )
    res = _run(scn, hours=130.0)
    k = res.kpis
    assert_allclose(k["availability[S0]"].mean, 1.0 - 12.0 / 130.0)  # 100 -> 112
    assert_allclose(k["availability[S1]"].mean, 1.0 - 23.0 / 130.0)  # 101 -> wait 112 -> 124
    assert_allclose(k["downtime_unplanned_h"].mean, 35.0)
    assert_allclose(k["crew_utilization"].mean, 24.0 / 130.0)  # busy 2 x 12 h of 130 h
    ev = res.events
    start = ev[ev.event == "corrective_start"].set_index("component")["value"]
    assert_allclose(start["A"], 0.0)
    assert_allclose(start["B"], 11.0)  # waited 11 h for the technician


def test_crew_size_larger_jobs_wait_for_enough_technicians() -> None:
    scn = scenario(
        [
            system("S0", [component("A", life=fixed(100.0), cm_h=10.0, crew_size=1)]),
            system("S1", [component("B", life=fixed(101.0), cm_h=10.0, crew_size=2)]),
        ],
        headcount=2,
    )
    res = _run(scn, hours=130.0)
    start = res.events[res.events.event == "corrective_start"].set_index("component")["value"]
    assert_allclose(start["B"], 9.0)  # needs both technicians: waits until A is done at 110


@pytest.mark.parametrize(
    ("expedite", "stockout_h", "expedite_cost"),
    [(None, 48.0, 0.0), (1.0, 24.0, 300.0)],
)
def test_stockout_waits_for_part(
    expedite: float | None, stockout_h: float, expedite_cost: float
) -> None:
    part = {
        "id": "P",
        "on_hand": 0,
        "lead_time_days": 2.0,
        "cost_unit": 500.0,
        "cost_order": 40.0,
        "holding_rate_per_year": 0.0,
        "cost_expedite_premium": 300.0,
    }
    if expedite is not None:
        part["expedite_lead_time_days"] = expedite
    scn = scenario(
        [system("S", [component("C", life=fixed(100.0), cm_h=5.0, spare="P")])],
        response_h=1.0,
        parts=[part],
    )
    res = _run(scn, hours=200.0)
    k = res.kpis
    assert_allclose(k["stockout_h"].mean, stockout_h)
    assert_allclose(k["stockouts"].mean, 1.0)
    assert_allclose(k["downtime_unplanned_h"].mean, stockout_h + 6.0)
    assert_allclose(k["cost_spares_expediting"].mean, expedite_cost)
    assert_allclose(k["cost_spares_ordering"].mean, 40.0)  # one order; unit price in corrective
    assert_allclose(k["cost_corrective"].mean, 500.0 + 1000.0)


def test_s_S_reorder_and_holding_cost() -> None:
    part = {
        "id": "P",
        "on_hand": 1,
        "lead_time_days": 1.0,
        "cost_unit": 876.0,
        "holding_rate_per_year": 0.5,
        "cost_order": 10.0,
        "reorder": {"policy": "s_S", "s": 0, "S": 2},
    }
    scn = scenario(
        [system("S", [component("C", life=fixed(100.0), cm_h=5.0, spare="P")])], parts=[part]
    )
    res = _run(scn, hours=200.0)
    # stock 1 on [0, 100), 0 on [100, 124), 2 on [124, 200): 252 unit-hours
    assert_allclose(res["cost_spares_holding"].mean, 252.0 * 876.0 * 0.5 / 8760.0)
    assert_allclose(res["cost_spares_ordering"].mean, 10.0)
    ev = res.events
    assert list(ev[ev.part == "P"].event) == ["order", "arrival"]
    assert_allclose(ev[ev.event == "arrival"].time_h, [124.0])


def test_redundant_pair_degrades_then_stops() -> None:
    red = [{"id": "G", "k": 1, "components": ["A", "B"]}]
    scn = scenario(
        [
            system(
                "S",
                [
                    component("A", life=fixed(100.0), cm_h=10.0),
                    component("B", life=fixed(105.0), cm_h=10.0),
                ],
                redundancy=red,
            )
        ]
    )
    res = _run(scn, hours=150.0)
    # A down [100, 110); B fails at 105: fewer than k = 1 members up on [105, 110)
    assert_allclose(res["downtime_unplanned_h"].mean, 5.0)
    assert_allclose(res["failures"].mean, 2.0)


@pytest.mark.parametrize(("idle_ageing", "b_fails_at"), [(False, 170.0), (True, 150.0)])
def test_series_stop_and_idle_ageing(idle_ageing: bool, b_fails_at: float) -> None:
    scn = scenario(
        [
            system(
                "S",
                [
                    component("A", life=fixed(100.0), cm_h=20.0),
                    component("B", life=fixed(150.0), cm_h=1.0),
                ],
                idle_ageing=idle_ageing,
            )
        ]
    )
    res = _run(scn, hours=180.0)
    fails = res.events[res.events.event == "failure"]
    assert_allclose(fails[fails.component == "B"].time_h, [b_fails_at])


def test_operating_hours_per_day_slow_ageing() -> None:
    scn = scenario([system("S", [component("A", life=fixed(100.0), cm_h=1.0)], op_h_per_day=12.0)])
    res = _run(scn, hours=300.0)
    fails = res.events[res.events.event == "failure"]
    assert_allclose(fails.time_h, [200.0])  # 100 operating hours at 12 h per 24 h


def test_initial_age_shortens_first_life() -> None:
    aged = scenario([system("S", [component("A", life=fixed(100.0), age_h=60.0, cm_h=1.0)])])
    res = _run(aged, hours=120.0)
    assert_allclose(res.events[res.events.event == "failure"].time_h, [40.0])


def test_preventive_work_waits_for_shift_and_pays_overtime() -> None:
    # day shift 06:00-14:00; an age alarm at 20:00 -> work starts 06:00 next day;
    # a 10 h job: 8 h regular + 2 h overtime at factor 1.5
    scn = scenario(
        [system("S", [component("A", life=fixed(1e5), pm_h=10.0)], setup=0.0)],
        shifts=[{"start": "06:00", "end": "14:00"}],
        rate_per_h=10.0,
        overtime=1.5,
    )
    res = _run(scn, AgeAt(20.0), hours=40.0)
    ev = res.events
    assert_allclose(ev[ev.event == "opening"].time_h, [30.0])
    assert_allclose(res["cost_labour"].mean, 10.0 * (8.0 + 1.5 * 2.0))


def test_lost_production_follows_value_profile() -> None:
    # weekly profile, Monday value 1.0, Tuesday 0.0: a 30 h stop from Monday 12:00
    scn = scenario([system("S", [component("A", life=fixed(12.0), cm_h=30.0)], value=100.0)])
    data = scn.model_dump()
    data["calendar"]["value_profiles"] = {
        "p": {"kind": "weekly", "multipliers": [1, 0, 1, 1, 1, 1, 1]}
    }
    data["fleet"]["sites"][0]["systems"][0]["value_profile"] = "p"
    scn2 = type(scn).model_validate(data)
    res = _run(scn2, hours=50.0)
    # Monday 12:00-24:00 at 100 (1200), Tuesday 00:00-18:00 at 0
    assert_allclose(res["cost_lost_production"].mean, 1200.0)


def test_systems_restricted_to_windows_open_only_inside_them() -> None:
    scn = scenario([system("S", [component("A", life=fixed(1e5), pm_h=2.0)])])
    data = scn.model_dump()
    sysd = data["fleet"]["sites"][0]["systems"][0]
    sysd["open_only_in_windows"] = True
    sysd["windows"] = [
        {"start": "2027-01-08T04:00:00Z", "end": "2027-01-08T14:00:00Z", "setup_cost_factor": 0.5}
    ]
    scn2 = type(scn).model_validate(data)
    res = _run(scn2, AgeAt(20.0), hours=200.0)
    ev = res.events
    assert_allclose(ev[ev.event == "opening"].time_h, [100.0])  # window opens at 100 h
    assert_allclose(res["cost_setup"].mean, 50.0)  # set-up cost x window factor 0.5
    # the next alarm (age 20 of the new part) finds no later window: no more openings
    assert_allclose(res["openings"].mean, 1.0)


class _CountUnits(BasePolicy):
    """At t = 0: read the free units, release work on C0, read them again."""

    name = "count-units"
    decision_interval_h = 1.0e9

    def decide(self, sim: SimView) -> None:
        if sim.now_h > 0.0:
            return
        self.before = sim.parts_free_units([0, 1, 2, 3, 4]).tolist()
        sim.request_pm([0], 100.0)
        self.after = sim.parts_free_units([0, 1, 2, 3, 4]).tolist()
        sim.request_pm([1, 2], 100.0)
        self.last = sim.parts_free_units([0, 1, 2, 3, 4]).tolist()


def test_parts_free_units_counts_what_released_work_claims() -> None:
    """Issue 13, plant follow-up: a policy sees how many units of a shared spare are on
    hand (2 here, for four positions; C3 has no spare part), not only whether one is.
    Released work reserves its unit at once; a position with a reservation takes
    nothing more (-1); once demand waits, nothing is free for new work (0)."""
    comps = [component(f"C{j}", life=fixed(5000.0), spare="P") for j in range(3)]
    comps.append(component("C3", life=fixed(5000.0)))
    comps.append(component("C4", life=fixed(5000.0), spare="P"))
    scn = scenario(
        [system(f"S{j}", [c]) for j, c in enumerate(comps)],
        parts=[{"id": "P", "on_hand": 2, "lead_time_days": 30.0, "cost_unit": 10.0}],
    )
    model = compile_model(scn, years=0.1)
    pol = _CountUnits()
    twin = Twin("none")
    pol.prepare(model, twin)
    run_replication(model, pol, twin, 1, 0)
    assert pol.before == [2, 2, 2, -1, 2]
    assert pol.after == [-1, 1, 1, -1, 1]
    # C1 takes the last unit, C2 waits for an order: no unit is free for C4
    assert pol.last == [-1, -1, -1, -1, 0]
