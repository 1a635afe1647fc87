"""Tests for optimizer.sim.strategies.prescriptive: the scheduler's grouped plan on a
rolling horizon.

Reference values: the lognormal closed form and scipy.stats with numerical integration
(quad) for the residual-life curves, and paired comparisons against the individual
policies on common random numbers.
"""

from __future__ import annotations

import math
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, optimize, special, stats

sys.path.insert(0, str(Path(__file__).parents[1]))
from sim_scenarios import (
    MINIMAL_REPAIR_BETA,
    MINIMAL_REPAIR_COST_CM,
    MINIMAL_REPAIR_COST_PM,
    MINIMAL_REPAIR_ETA_H,
    component,
    fixed,
    minimal_repair_scenario,
    minimal_repair_t_star_h,
    scenario,
    system,
    weibull,
)

from optimizer.problem.multiyear import continuation_cost
from optimizer.reliability.distributions import Weibull
from optimizer.sim.simulate import compare, simulate
from optimizer.sim.strategies.prescriptive import (
    Prescriptive,
    claim_lead_h,
    deferral_regret,
    later_opening_cost,
    lognormal_curves,
    opening_finish_h,
    release_order,
)

H_PER_YEAR = 8760.0


def _events(scn: Any, strategy: Any, hours: float, twin: str = "none", seed: int = 1) -> Any:
    res = simulate(
        scn,
        strategy,
        replications=1,
        seed=seed,
        years=hours / H_PER_YEAR,
        twin_accuracy=twin,
        workers=1,
        keep_events=True,
    )
    return res, res.events


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="replan_every_days"):
        Prescriptive(replan_every_days=-2.0)
    with pytest.raises(ValueError, match="window_days"):
        Prescriptive(window_days=0.0)
    with pytest.raises(ValueError, match="max_window_days"):
        Prescriptive(window_days=30.0, max_window_days=20.0)


def test_deterministic_life_is_replaced_at_the_last_period_before_failure() -> None:
    # A part that fails at exactly 1000 h: its penalty c(t) = c_p - g* t falls until the
    # failure and jumps to c_f there, so the plan replaces it at the start of the last
    # planning period before the failure; with zero durations the next part starts then.
    # Daily periods: 24 * floor(1000 / 24) = 984 h, then every 984 h; never a failure.
    scn = scenario([system("S", [component("A", life=fixed(1000.0))], setup=0.0)])
    period_h = 24.0 * scn.calendar.period_days
    step = period_h * math.floor(1000.0 / period_h)
    assert step == 984.0
    res, ev = _events(scn, "prescriptive", 3500.0)
    assert_allclose(ev[ev.event == "pm_start"].time_h, [step, 2 * step, 3 * step])
    assert res["failures"].mean == 0.0
    assert res["preventive_replacements"].mean == 3.0


@pytest.fixture(scope="module")
def shared_setup() -> Any:
    comps = [
        component(
            f"C{i}",
            life=weibull(3.0, 2000.0),
            age_h=300.0 * i,
            pm_h=2.0,
            cm_h=8.0,
            cost_pm_other=100.0,
            cost_cm_other=3000.0,
        )
        for i in range(4)
    ]
    return scenario(
        [system("S", comps, setup=1500.0, value=50.0, setup_h=2.0)],
        shifts=[{"start": "06:00", "end": "14:00"}],
        days_off=["sat", "sun"],
    )


def test_prescriptive_groups_and_beats_individual_policies(shared_setup: Any) -> None:
    cmp = compare(
        shared_setup,
        ["optimal-age", "predictive", "prescriptive"],
        baseline="predictive",
        replications=12,
        years=2.0,
        seed=3,
        twin_accuracy="good",
        workers=1,
    )
    pres = cmp.results["prescriptive"]
    assert pres["openings"].mean < 0.7 * pres["preventive_replacements"].mean  # grouped
    pred = cmp.results["predictive"]
    assert_allclose(pred["openings"].mean, pred["preventive_replacements"].mean, rtol=0.05)
    d = cmp.differences["prescriptive"]["cost_total"]
    assert d.ci_high < 0.0  # paired CI: prescriptive is cheaper than predictive
    # and the twin is worth something: no twin costs more
    blind = simulate(
        shared_setup,
        "prescriptive",
        replications=12,
        years=2.0,
        seed=3,
        twin_accuracy="none",
        workers=1,
    )
    assert blind["cost_total"].mean > pres["cost_total"].mean


def test_lognormal_curves_match_quad_and_the_closed_form_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    med = np.exp(rng.uniform(math.log(1e-2), math.log(1e6), 40))[:, None]
    sig = rng.choice([1e-3, 0.05, 0.15, 0.5, 0.707, 1.0, 2.0], 40)[:, None]
    t = np.sort(
        np.concatenate([np.zeros((40, 1)), np.exp(rng.uniform(-5.0, 15.0, (40, 60)))], axis=1),
        axis=1,
    )
    surv, isf, mean = lognormal_curves(med, sig, t)
    # the closed form evaluated at every point (the tail shortcuts change no bit)
    with np.errstate(divide="ignore"):
        w = (np.log(np.maximum(t, 1e-300)) - np.log(med)) / sig
    s_all = special.ndtr(-w)
    np.testing.assert_array_equal(surv, s_all)
    np.testing.assert_array_equal(
        isf, med * np.exp(0.5 * sig * sig) * special.ndtr(w - sig) + t * s_all
    )
    # and against scipy.stats with numerical integration, on a few points
    for i, j in [(0, 30), (7, 45), (19, 10), (33, 60)]:
        d = stats.lognorm(s=float(sig[i, 0]), scale=float(med[i, 0]))
        assert_allclose(surv[i, j], d.sf(t[i, j]), rtol=1e-9, atol=1e-300)
        # beyond the 1 - 1e-18 quantile the survival adds nothing at this tolerance
        top = min(float(t[i, j]), float(d.isf(1e-18)))
        kinks = [float(x) for x in d.ppf([1e-9, 0.5]) if x < top]
        ref, _ = integrate.quad(d.sf, 0.0, top, points=kinks or None, limit=200)
        assert_allclose(isf[i, j], ref, rtol=1e-6)
        assert_allclose(mean[i], d.mean(), rtol=1e-12)


def test_prescriptive_releases_work_once(shared_setup: Any) -> None:
    # released work is pinned: every request leads to exactly one replacement or is
    # overtaken by a failure, never to two openings for one part
    res, ev = _events(
        shared_setup, Prescriptive(replan_every_days=7.0), 2.0 * H_PER_YEAR, twin="good"
    )
    pm = ev[ev.event == "pm_start"]
    assert len(pm) == res["preventive_replacements"].mean
    opened = ev[ev.event == "opening"]
    assert len(opened) == res["openings"].mean
    assert len(pm) >= len(opened)


def test_prescriptive_without_twin_and_with_crews(shared_setup: Any) -> None:
    res = simulate(
        shared_setup,
        Prescriptive(crews=True, method="auto"),
        replications=2,
        years=0.5,
        seed=1,
        twin_accuracy="none",
        workers=1,
    )
    assert res["cost_total"].mean > 0.0


def test_openings_use_the_days_only_some_crews_work(conveyor: Any) -> None:
    # Issue #13 cause 2: the conveyor's mechanics work Saturdays (production at 20%),
    # its electrician does not.  A period's work start used to be the latest next shift
    # over ALL the line's crews, so a Saturday period started on Monday and the policy
    # never opened the line on a Saturday (predictive did in ~29% of its openings).
    # Now each part is planned only where its own crew works, and mechanical work is
    # grouped into Saturday openings; nothing starts on a Sunday (nobody works).

    ev = simulate(
        conveyor,
        Prescriptive(replan_every_days=7.0),
        replications=4,
        seed=3,
        years=3.0,
        twin_accuracy="good",
        workers=1,
        keep_events=True,
    ).events
    start = conveyor.calendar.start
    tz = ZoneInfo("Europe/Berlin")
    opened = ev[ev.event == "opening"].time_h.to_numpy()
    assert opened.size >= 5
    days = [(start + timedelta(hours=float(h))).astimezone(tz).weekday() for h in opened]
    saturdays = sum(d == 5 for d in days)
    assert saturdays >= 0.3 * len(days), days
    assert 6 not in days


def test_no_opening_only_for_parts_that_pay_only_in_shared_openings(conveyor: Any) -> None:
    # Issue #13 cause 1: deferring a "due" part was priced as its penalty beyond the
    # window PLUS the cheapest opening, even when running it to failure (no opening at
    # all) is cheaper -- so the policy opened the line just to swap a redundant
    # tensioner (47 of 164 openings in 20 replications before the fix).  Deferral is now
    # priced by the smaller regret (replace later with an opening, or never).
    res = simulate(
        conveyor,
        Prescriptive(replan_every_days=7.0),
        replications=6,
        seed=11,
        years=5.0,
        twin_accuracy="good",
        workers=1,
        keep_events=True,
    )
    ev = res.events
    removals = ev[ev.event == "removal"]
    openings = ev[ev.event == "opening"]
    opened_at = set(zip(openings.replication, openings.time_h, strict=True))
    tensioner_only = [
        key
        for key, g in removals.groupby(["replication", "time_h"])
        if key in opened_at and g.component.str.startswith("C1-TNS").all()
    ]
    # before: 29% of the openings; now rare (a tensioner whose twin, with its error
    # floor, reports an imminent failure while its partner is down can still pay)
    assert len(openings) >= 20
    assert len(tensioner_only) <= 0.05 * len(openings), (tensioner_only, len(openings))


def test_window_reaches_past_the_longest_lead_time() -> None:
    # Issue #13 cause 4: the planning window was capped at 120 days while spare parts
    # take longer to arrive, so a part was planned too late to order its spare.  A part
    # that fails at exactly 6,000 h (250 days) whose spare takes 150 days and is not in
    # stock: the order must go out by day 100.  Weekly re-plans see the deadline in the
    # window from day 98 (98 + 7 + 150 > 250), so the spare arrives on day 248 and the
    # replacement happens before the failure.  With the 120-day cap it failed on day 250.
    part = {"id": "P", "on_hand": 0, "lead_time_days": 150, "cost_unit": 100.0}
    scn = scenario(
        [system("S", [component("A", life=fixed(6000.0), spare="P")], setup=0.0)],
        parts=[part],
    )
    res = simulate(
        scn, Prescriptive(replan_every_days=7.0), replications=1, seed=1, years=0.9, workers=1
    )
    assert res["failures"].mean == 0.0
    assert res["preventive_replacements"].mean == 1.0


def test_opening_priced_by_the_jobs_in_it() -> None:
    # Issue #13 cause 3: every opening of a unit was priced with the production lost
    # during the unit's LONGEST job, so a 1 h job on a line that also has a 48 h job was
    # priced at 48 h of lost output (48,100 EUR here) against a 9,000 EUR failure and
    # left to fail (0 planned replacements, ~4.5 failures in half a year).  Priced by
    # the jobs in it (1 h: 1,100 EUR) it is replaced before failing, as predictive does
    # (20 replications: 4.8 planned replacements, 0 failures; predictive 4.85, 0).
    short = component(
        "A",
        life=weibull(3.0, 1000.0),
        pm_h=1.0,
        cm_h=8.0,
        cost_pm_other=100.0,
        cost_cm_other=1000.0,
    )
    long = component("B", life=weibull(3.0, 1e6), pm_h=48.0, cm_h=60.0)
    scn = scenario([system("S", [short, long], value=1000.0, setup=0.0)])
    res = simulate(
        scn, Prescriptive(replan_every_days=7.0), replications=2, seed=5, years=0.5, workers=1
    )
    assert res["preventive_replacements"].mean >= 3.0
    assert res["failures"].mean <= 1.0


def test_minimally_repaired_part_is_priced_by_repairs() -> None:
    # A minimally repaired part (as bad as old) is not renewed by a failure, so its
    # penalty is c(t) = c_p + c_f n(t) - g* t (Barlow-Hunter; n the expected repairs).
    # Without a twin, n = H(a + t) - H(a): one planned replacement at
    # T* = 2000 (500 / (0.3 x 100))^(1 / 1.3) ~ 17,400 h in 2 years.
    scn = minimal_repair_scenario()
    t_star = minimal_repair_t_star_h()
    _res, ev = _events(scn, "prescriptive", 2.0 * H_PER_YEAR, twin="none", seed=2)
    assert_allclose(ev[ev.event == "removal"].value, [t_star], atol=24.0)


def test_minimally_repaired_part_replaced_instead_of_a_known_repair() -> None:
    # Issue #13: with a twin the policy judged a minimally repaired part on its age
    # alone, so a twin was worth nothing there.  The twin reports the time to the next
    # failure; replacing the part just before it (c_p) instead of repairing it (c_f)
    # and keeping a part of age x -- worth V(x) = C + c_f (H(T*) - H(x)) - g* (T* - x)
    # more than a new one for x <= T* (the end-state value, SimModel.end_value) --
    # pays once c_f + V(x) > c_p, i.e. from the age T0 solving
    # c_f (1 + H(T*) - H(T0)) = g* (T* - T0) (closed form below, ~8,600 h): the
    # "replace at the first failure after T0" policy.  The decision looks at the age at
    # the window's end, so the removal comes at most one window + one re-plan earlier.
    beta, eta = MINIMAL_REPAIR_BETA, MINIMAL_REPAIR_ETA_H
    cp, cf = MINIMAL_REPAIR_COST_PM, MINIMAL_REPAIR_COST_CM
    t_star = minimal_repair_t_star_h()
    g = (cp + cf * (t_star / eta) ** beta) / t_star  # Barlow-Hunter rate at T*
    big_h = lambda x: (x / eta) ** beta  # noqa: E731
    t0 = optimize.brentq(
        lambda x: cf * (1 + big_h(t_star) - big_h(x)) - g * (t_star - x), 1.0, t_star
    )
    assert 8000.0 < t0 < 9200.0
    scn = minimal_repair_scenario()
    pol = Prescriptive()
    lag_h = pol.window_days * 24.0 + pol.replan_every_days * 24.0
    for seed in (2, 3):
        _res, ev = _events(scn, pol, 2.0 * H_PER_YEAR, twin="perfect", seed=seed)
        removal = ev[ev.event == "removal"]
        assert len(removal) >= 1
        for age in removal.value:
            # at the first failure after ~T0 (failures come every ~1,000 h there), well
            # before T* (where the age rule, and the policy before the fix, replaced it)
            assert t0 - lag_h <= age <= 0.8 * t_star
    # and the twin is now worth money on this part (paired, incl. the end state)
    cmp = compare(
        scn,
        [Prescriptive(), "optimal-age"],
        baseline="optimal-age",
        replications=40,
        seed=2,
        years=4.0,
        twin_accuracy="perfect",
        workers=1,
    )
    d = cmp.differences["prescriptive"]["total_with_end_state_cost"]
    assert d.mean < 0.0


@pytest.mark.parametrize("limit_h", [math.inf, 1500.0])
def test_deferral_prices_the_state_left_at_the_window_end(limit_h: float) -> None:
    # Issue #13: a part deferred beyond the planning window was priced as if its later
    # replacement needed no opening of its own (and as if it could run past its life
    # limit).  Its regret is now the multi-year end-state cost of the part left at the
    # window end (optimizer.problem.multiyear.continuation_cost, the stand-alone renewal
    # policy: each later replacement at C = c_p + o), on the residual life:
    # S(a) [min_{s >= t_W} (c(s) + o S_r(s)) - c_f] = E(a + t_W) - c_f + g I(a),
    # I(a) = integral_0^a S.  Checked on a dense grid, with and without a life limit.
    life = Weibull(2.5, 1000.0)
    cp, o, cf, g = 100.0, 400.0, 2000.0, 0.9
    age, t_w = 300.0, 200.0
    s = np.geomspace(t_w, 2e4, 40001)
    if math.isfinite(limit_h):
        s = np.append(s[s < limit_h - age], limit_h - age)
    s_a = float(life.sf(age))
    sr = np.asarray(life.sf(age + s)) / s_a
    int_r = (np.asarray(life.int_sf(age + s)) - float(life.int_sf(age))) / s_a
    c_after = cp * sr + cf * (1.0 - sr) - g * int_r
    mrl = (float(life.mean()) - float(life.int_sf(age))) / s_a
    c_inf = np.array([cf - g * mrl if not math.isfinite(limit_h) else np.inf])
    got = deferral_regret(c_after[None, :], sr[None, :], np.array([o]), c_inf, np.array([-1e9]))
    e = continuation_cost(
        life, [[age + t_w]], cost_pm=cp + o, cost_cm=cf, cost_rate=g, limit_h=limit_h
    )
    ref = (float(e[0, 0]) - cf + g * float(life.int_sf(age))) / s_a + cf
    assert_allclose(got[0] - 1e9, ref, rtol=1e-6, atol=1e-3)
    # the opening counts: without it the regret is lower by the opening's expected share
    low = deferral_regret(c_after[None, :], sr[None, :], np.zeros(1), c_inf, np.array([-1e9]))
    assert low[0] < got[0] - 0.05 * o


def test_life_limited_part_joins_an_opening_before_its_limit() -> None:
    # Issue #13: the policy ignored life limits (max_age_h), so a limited part that is
    # never worth a replacement on its own was left to its limit, where the simulator
    # forces a stand-alone opening (set-up 1,000).  A fails at exactly 1,000 h; its
    # failure (1,000) is cheaper than an opening for it alone (1,000 + 100), so before
    # the fix it failed 3 times and L's forced opening came at 2,500 h (cost 4,100).
    # Now L's deferral includes the forced opening, so A and L share one opening at
    # the last daily period before each of A's failures (984 = 24 floor(1000 / 24), then
    # every 984 h): 3 openings x (1,000 + 2 x 100) = 3,600, no failure, nothing forced.
    # (With no twin this needed the policy's life tables sized per life: a grid sized
    # by L's 1e6 h life lost A's jump at 1,000 h.)
    a = component("A", life=fixed(1000.0))
    lim = component("L", life=weibull(3.0, 1e6), max_age_h=2500.0)
    scn = scenario([system("S", [a, lim], setup=1000.0)])
    res, ev = _events(scn, Prescriptive(replan_every_days=7.0), 3500.0)
    assert not (ev.event == "limit_release").any()
    assert res["failures"].mean == 0.0
    assert res["openings"].mean == 3.0
    removal = ev[ev.event == "removal"]
    assert_allclose(removal[removal.component == "L"].time_h, [984.0, 1968.0, 2952.0])
    assert_allclose(res["cost_total"].mean, 3.0 * (1000.0 + 2.0 * 100.0))


def _brute_later_opening(cost: np.ndarray, ok: np.ndarray, w: int) -> float:
    """Mean over periods of the cheapest allowed opening within ``w`` periods (or within
    the ``w`` periods from the next allowed one), by plain loops."""
    n = len(cost)
    vals = []
    for p in range(max(n - w + 1, 1)):
        inside = [cost[q] for q in range(p, min(p + w, n)) if ok[q]]
        if not inside:
            nxt = next((q for q in range(p, n) if ok[q]), None)
            if nxt is None:
                continue
            inside = [cost[q] for q in range(nxt, min(nxt + w, n)) if ok[q]]
        vals.append(min(inside))
    return float(np.mean(vals)) if vals else math.inf


def test_later_opening_cost_against_loops() -> None:
    rng = np.random.default_rng(4)
    k, lv, n = 3, 2, 40
    cost = rng.uniform(100.0, 5000.0, size=(k, lv, n))
    ok = rng.random((k, n)) < np.array([[0.6], [0.08], [0.0]])
    for w in (1, 5, 12):
        got = later_opening_cost(cost, ok, w)
        want = np.array(
            [[_brute_later_opening(cost[s, lvl], ok[s], w) for lvl in range(lv)] for s in range(k)]
        )
        assert_allclose(got, want, rtol=1e-12)
    assert np.all(np.isinf(later_opening_cost(cost, ok, 5)[2]))


def test_later_opening_is_the_systems_own_cheapest_not_the_fleet_mean() -> None:
    """Issue 13, plant follow-up: deferring a part prices its later stand-alone opening.
    A line producing 1,000 EUR/h six days a week and idle on Sundays (daily periods,
    a crew around the clock): the rolling plan always has a Sunday within its 4-week
    window, where a 2 h set-up plus a 4 h job lose no production, so the later opening
    costs the set-up alone, 300 EUR.  The fleet's mean opening (what the deferral
    regret used before) prices the 6 h at the mean value, 300 + 1,000 x 6/7 x 6."""
    comp = component("A", life=weibull(3.0, 5000.0), pm_h=4.0, spare=None)
    base = scenario([system("S", [comp], value=1000.0, setup=300.0, setup_h=2.0)])
    doc = base.model_dump(mode="json")
    doc["calendar"]["period_days"] = 1
    doc["calendar"]["value_profiles"] = {
        "six_days": {"kind": "weekly", "multipliers": [1, 1, 1, 1, 1, 1, 0]}
    }
    doc["fleet"]["sites"][0]["systems"][0]["value_profile"] = "six_days"
    from optimizer.loading import parse_scenario
    from optimizer.sim.model import compile_model
    from optimizer.sim.twin import Twin

    scn = parse_scenario(doc)
    model = compile_model(scn, years=1.0)
    assert_allclose(model.cost_pm_individual - model.cost_pm, 300.0 + 1000.0 * 6.0 / 7.0 * 6.0)
    pol = Prescriptive()
    pol.prepare(model, Twin("none"))
    assert_allclose(pol._later_opening, [300.0], rtol=1e-12)


def test_claim_lead_h_by_hand() -> None:
    """Works sharing a part see its lead time when its free units do not cover them all
    (issue 13, plant follow-up): part 0 has 2 units free for works needing 1, 1 and 2;
    part 1 none free; part 3 has 3 free for one work; a work whose part is already
    reserved (-1) or without a part waits for nothing."""
    part = np.array([0, 0, 0, 1, 2, -1, 3])
    units = np.array([1, 1, 2, 1, 1, 1, 2])
    free = np.array([2, 2, 2, 0, -1, -1, 3])
    lead = np.array([100.0, 100.0, 100.0, 50.0, 70.0, 0.0, 30.0])
    got = claim_lead_h(part, units, free, lead)
    assert_allclose(got, [100.0, 100.0, 100.0, 50.0, 0.0, 0.0, 0.0])
    # two of part 0's works fit in its 2 free units: no wait (the old per-part check
    # said "on hand" for all three above)
    assert_allclose(claim_lead_h(part[:2], units[:2], free[:2], lead[:2]), [0.0, 0.0])


class _Recorder:
    """The part of the simulator view that :meth:`Prescriptive._release` uses."""

    now_h = 0.0

    def __init__(self) -> None:
        self.requests: list[tuple[list[int], float]] = []

    def request_pm(self, comps: list[int], at_h: float, *, current_part: bool = True) -> int:
        self.requests.append((list(comps), at_h))
        return len(comps)


def test_second_work_on_the_last_unit_is_released_a_lead_time_ahead() -> None:
    """Issue 13, plant follow-up, cause (a): two works need the last unit of a part
    with a 30-day lead time; A is planned now, B in 16 days (past the 7-day re-plan
    step).  Before, both saw the unit on hand (lead 0), so B was held back until its
    period came within a re-plan step, then waited a full lead time for its part.
    Now the contested part's lead time applies to both: B is released now (its part
    ordered 16 + 30 days ahead of its due date, not 9 days ahead); with two units on
    hand B is held back as before."""
    comps = [component(f"C{j}", life=weibull(3.0, 5000.0), spare="P") for j in range(2)]
    scn = scenario(
        [system(f"S{j}", [c]) for j, c in enumerate(comps)],
        parts=[{"id": "P", "on_hand": 1, "lead_time_days": 30.0, "cost_unit": 10.0}],
    )
    from optimizer.sim.model import compile_model
    from optimizer.sim.twin import Twin

    model = compile_model(scn, years=1.0)
    pol = Prescriptive(replan_every_days=7.0)
    pol.prepare(model, Twin("none"))
    w = 60
    t_cal = np.arange(w) * 24.0
    planned = [(16 * 24.0, 1, 16), (2.0, 0, 0)]
    rec = _Recorder()
    pol._release(rec, list(planned), {0: 0, 1: 1}, np.array([1, 1]), t_cal, w)
    assert rec.requests == [([0], 2.0), ([1], 16 * 24.0)]
    rec = _Recorder()
    pol._release(rec, list(planned), {0: 0, 1: 1}, np.array([2, 2]), t_cal, w)
    assert rec.requests == [([0], 2.0)]


class _ReleaseOnce(Prescriptive):
    """Releases one fixed set of planned works at the start through
    :meth:`Prescriptive._release` and never re-plans (the release order alone)."""

    def __init__(self, planned: list[tuple[float, int, int]]) -> None:
        super().__init__(replan_every_days=7.0)
        self.planned = planned

    def prepare(self, model: Any, twin: Any) -> None:
        super().prepare(model, twin)
        self.decision_interval_h = None

    def start(self, sim: Any) -> None:
        n = len(self.planned)
        row_of = {i: j for j, (_, i, _) in enumerate(self.planned)}
        t_cal = np.arange(60) * 24.0
        self._release(sim, list(self.planned), row_of, np.full(n, 9), t_cal, 60)

    def decide(self, sim: Any) -> None:  # pragma: no cover - decision_interval_h is None
        raise AssertionError("no re-plan expected")


def test_opening_jobs_released_shortest_first_close_the_same_day(conveyor: Any) -> None:
    """Issue 13, conveyor availability: the crews serve an opening's jobs first come,
    first served and start a job only inside a shift.  The works of a Saturday opening
    were released in component order (head bearing, belt, tensioners A and B), so the
    8 h belt swap (both mechanics) started at 09:30, ran to 17:30, past the 14:00 shift
    end, and the two 1 h tensioner jobs waited for Monday's shift: the line stayed down
    49 h.  Released shortest first: 06:00 stop, 1.5 h set-up, both tensioners 07:30-08:30
    (one mechanic each), the bearing 08:30-10:30, the belt (both mechanics) 10:30-18:30:
    the line is back after 12.5 h (by hand, from the scenario's durations and crews)."""
    from optimizer.sim.model import compile_model

    model = compile_model(conveyor, years=0.05)
    idx = {c: j for j, c in enumerate(model.component_ids)}
    saturday_h = 5 * 24.0  # the plan starts Monday 06:00 local; Saturday 06:00
    comps = ["C1-BRG-HEAD", "C1-BELT", "C1-TNS-A", "C1-TNS-B"]
    planned = [(saturday_h, idx[c], 5) for c in comps]
    rec = _Recorder()
    pol = _ReleaseOnce(planned)
    from optimizer.sim.twin import Twin

    pol.prepare(model, Twin("none"))
    pol._release(
        rec,
        list(planned),
        {idx[c]: j for j, c in enumerate(comps)},
        np.full(4, 9),
        np.arange(60) * 24.0,
        60,
    )
    order = [model.component_ids[r[0][0]] for r in rec.requests]
    assert order == ["C1-TNS-A", "C1-TNS-B", "C1-BRG-HEAD", "C1-BELT"]

    res, ev = _events(conveyor, _ReleaseOnce(planned), hours=0.05 * H_PER_YEAR, seed=2)
    opened = ev[(ev.event == "opening")].time_h.to_numpy()
    closed = ev[(ev.event == "closing")].time_h.to_numpy()
    assert_allclose(opened, [saturday_h])
    assert_allclose(closed - opened, [1.5 + 1.0 + 2.0 + 8.0])
    assert_allclose(res["downtime_planned_h"].mean, 12.5)


def test_opening_finish_and_release_order_by_hand() -> None:
    """Two technicians on shift 0-8 h and 24-32 h, jobs start only on shift, first come
    first served, and may run past the shift end (the simulator's rule)."""
    shifts = [np.array([[0.0, 8.0], [24.0, 32.0]])]
    cap = [2]
    pool = np.zeros(4, dtype=np.int64)
    # one-technician jobs of 1, 3, 5 and 2 h from t = 0 (the pumping station's kind)
    d = np.array([1.0, 3.0, 5.0, 2.0])
    one = np.ones(4, dtype=np.int64)
    # component order: A 0-1, B 0-3, C 1-6, D 3-5 -> 6; longest first: C 0-5, B 0-3,
    # D 3-5, A 5-6 -> 6; shortest first: A 0-1, D 0-2, B 1-4, C 2-7 -> 7
    assert_allclose(opening_finish_h([0, 1, 2, 3], 0.0, d, one, pool, cap, shifts), 6.0)
    assert_allclose(opening_finish_h([2, 1, 3, 0], 0.0, d, one, pool, cap, shifts), 6.0)
    assert_allclose(opening_finish_h([0, 3, 1, 2], 0.0, d, one, pool, cap, shifts), 7.0)
    # the conveyor's kind from t = 1.5: a 2 h bearing (1), an 8 h belt (2 technicians),
    # two 1 h tensioners (1).  Component order: bearing 1.5-3.5, belt 3.5-11.5, the
    # tensioners wait for the next shift: 24-25.  Shortest first: tensioners 1.5-2.5,
    # bearing 2.5-4.5, belt 4.5-12.5.  Longest first: belt 1.5-9.5, the rest next day:
    # bearing 24-26.
    d = np.array([2.0, 8.0, 1.0, 1.0])
    crew = np.array([1, 2, 1, 1])
    assert_allclose(opening_finish_h([0, 1, 2, 3], 1.5, d, crew, pool, cap, shifts), 25.0)
    assert_allclose(opening_finish_h([2, 3, 0, 1], 1.5, d, crew, pool, cap, shifts), 12.5)
    assert_allclose(opening_finish_h([1, 0, 2, 3], 1.5, d, crew, pool, cap, shifts), 26.0)

    def fin(order: Any, t: float) -> float:
        return opening_finish_h(order, t + 1.5, d, crew, pool, cap, shifts)

    sys_of = np.array([0, 0, 0, 0])
    planned = [(0.0, 0, 0), (0.0, 1, 0), (0.0, 2, 0), (0.0, 3, 0)]
    assert release_order(planned, sys_of, d, fin) == [2, 3, 0, 1]
    # one-technician jobs: component order already ends first (ties keep it)
    d1 = np.array([1.0, 3.0, 5.0, 2.0])

    def fin1(order: Any, t: float) -> float:
        return opening_finish_h(order, t, d1, one, pool, cap, shifts)

    assert release_order(planned, sys_of, d1, fin1) == [0, 1, 2, 3]
    # two systems and two starts: grouped by start, then system
    planned2 = [(5.0, 0, 1), (0.0, 1, 0), (0.0, 2, 0)]
    assert release_order(planned2, np.array([0, 1, 0, 0]), d1, fin1) == [2, 1, 0]
