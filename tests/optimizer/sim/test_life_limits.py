"""The simulator enforces life limits (``max_age_h``) whatever the strategy (#12 item 9).

Reference values are independent of the simulator: the Barlow-Proschan age-replacement
cost rate evaluated with scipy.integrate.quad, and event times worked out by hand.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from numpy.testing import assert_allclose
from scipy import integrate, stats

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, fixed, scenario, system, weibull

from optimizer.scenario import STRATEGIES, Scenario
from optimizer.sim.model import LIMIT_NOTICE_H, compile_model
from optimizer.sim.simulate import simulate

ROOT = Path(__file__).resolve().parents[3]
H_PER_YEAR = 8760.0
TOL = 1e-6  # operating hours: float tolerance on "at the limit"


def _conveyor_with_limit(limit_h: float = 400.0) -> Scenario:
    """The bundled conveyor with a 400 h limit on the tensioner type (#12's case); the
    tensioners' ages are brought under the limit so that the scenario is valid."""
    doc = yaml.safe_load((ROOT / "scenarios" / "conveyor.yaml").read_text(encoding="utf-8"))
    doc["component_types"]["tensioner"]["max_age_h"] = limit_h
    ages = {"C1-TNS-A": 0.0, "C1-TNS-B": 250.0}
    for c in doc["fleet"]["sites"][0]["systems"][0]["components"]:
        if c["id"] in ages:
            c["age_h"] = ages[c["id"]]
    return Scenario.model_validate(doc)


def _ages_at(events: Any, kind: str, prefix: str) -> Any:
    sel = (events.event == kind) & events.component.str.startswith(prefix)
    return events[sel].value.to_numpy()


@pytest.mark.parametrize(
    ("strategy", "replications", "years"),
    [("run-to-failure", 200, 2.0), *((s, 10, 1.0) for s in STRATEGIES if s != "run-to-failure")],
)
def test_no_part_operates_past_its_limit_in_any_strategy(
    strategy: str, replications: int, years: float
) -> None:
    # Before the fix, run-to-failure failed tensioners above 400 h: 506 times in the
    # scenario's default 200 runs x 5 years, 116 times in 200 runs x 2 years (tested here).
    res = simulate(
        _conveyor_with_limit(),
        strategy,
        replications=replications,
        years=years,
        workers=1,
        keep_events=True,
    )
    ev = res.events
    failed = _ages_at(ev, "failure", "C1-TNS")
    removed = _ages_at(ev, "removal", "C1-TNS")
    stopped = _ages_at(ev, "life_limit", "C1-TNS")
    assert np.all(failed <= 400.0 + TOL)
    assert np.all(removed <= 400.0 + TOL)
    assert np.all(stopped <= 400.0 + 2 * TOL)
    # tensioners live ~18,000 h: nearly every part is replaced at the limit, about
    # 5,840 operating hours a year / 400 h per part x 2 positions per replication
    assert len(removed) >= replications * 2 * (5840.0 * years - 400.0) / 400.0 * 0.9
    assert removed.max() >= 400.0 - 1e-3  # the limit is used, not a cautious margin


@pytest.mark.parametrize(("beta", "eta", "limit_h"), [(2.0, 1000.0, 500.0), (3.0, 800.0, 900.0)])
def test_run_to_failure_with_hard_limit_is_age_replacement(
    beta: float, eta: float, limit_h: float
) -> None:
    # Around-the-clock crew, instant work, no spare parts: run-to-failure with a hard
    # limit L is age replacement at L, whose long-run cost rate is Barlow-Proschan's
    # g(L) = (c_p S(L) + c_f F(L)) / int_0^L S(u) du.
    cp_other, cf_other, setup = 100.0, 1000.0, 50.0
    comp = component(
        "C",
        life=weibull(beta, eta),
        cost_pm_other=cp_other,
        cost_cm_other=cf_other,
        max_age_h=limit_h,
    )
    scn = scenario([system("S", [comp], setup=setup)])
    model = compile_model(scn, years=20.0)
    sf = stats.weibull_min(beta, scale=eta).sf
    s_l = float(sf(limit_h))
    cp, cf = cp_other + setup, cf_other
    g = (cp * s_l + cf * (1.0 - s_l)) / integrate.quad(sf, 0.0, limit_h)[0]
    reps = 40
    res = simulate(
        model, "run-to-failure", replications=reps, seed=7, twin_accuracy="none", workers=1
    )
    est = res["cost_total"]
    # the finite horizon starts with a new part: an O(1 cycle) bias, ~0.1% here
    assert abs(est.mean / model.horizon_h - g) <= 3.0 * est.sd / math.sqrt(reps) / model.horizon_h
    # the failures are those of age replacement at L
    mu = integrate.quad(sf, 0.0, limit_h)[0]
    f = res["failures"]
    assert f.ci_low <= model.horizon_h / mu * (1.0 - s_l) <= f.ci_high


def _one_part(
    *,
    shifts: list[dict[str, str]] | None = None,
    op_h_per_day: float = 24.0,
    value: float = 0.0,
    pm_h: float = 0.0,
    redundancy: bool = False,
    minimal: bool = False,
) -> Scenario:
    extra: dict[str, Any] = {"max_age_h": 100.0}
    if minimal:
        extra["corrective_action"] = "minimal_repair"
    life = weibull(1.0, 60.0) if minimal else fixed(1e6)
    comps = [component("A", life=life, pm_h=pm_h, **extra)]
    red = None
    if redundancy:
        comps.append(component("B", life=fixed(1e6)))
        red = [{"id": "G", "k": 1, "components": ["A", "B"]}]
    return scenario(
        [system("S", comps, value=value, op_h_per_day=op_h_per_day, redundancy=red, setup=0.0)],
        shifts=shifts,
    )


def _events(scn: Scenario, hours: float, *, notice: bool = True, reps: int = 1) -> Any:
    model = compile_model(scn, years=hours / H_PER_YEAR)
    if not notice:  # the forced work is released only at the limit itself
        model = dataclasses.replace(model, limit_notice_h=np.zeros(model.n))
    return simulate(
        model,
        "run-to-failure",
        replications=reps,
        seed=1,
        twin_accuracy="none",
        workers=1,
        keep_events=True,
    )


def test_limit_counts_operating_hours_like_the_planner() -> None:
    # 100 operating hours at 12 h/day: the limit is reached every 200 calendar hours
    res = _events(_one_part(op_h_per_day=12.0), 700.0)
    ev = res.events
    rem = ev[ev.event == "removal"]
    assert_allclose(rem.time_h, [200.0, 400.0, 600.0])
    assert_allclose(rem.value, 100.0)
    # released a week ahead (the part has no spare-part lead time)
    rel = ev[ev.event == "limit_release"]
    assert_allclose(rel.time_h, [200.0 - LIMIT_NOTICE_H, 400.0 - LIMIT_NOTICE_H, 600.0 - 168.0])
    assert "life_limit" not in set(ev.event)


def test_forced_work_starts_at_the_last_shift_before_the_limit() -> None:
    # day shift 06:00-14:00 (start is Monday 00:00): the limit at 100 h falls on
    # Friday 04:00, so the work is planned at Thursday's shift start, 78 h
    res = _events(_one_part(shifts=[{"start": "06:00", "end": "14:00"}]), 150.0)
    ev = res.events
    assert_allclose(ev[ev.event == "removal"].time_h, [78.0])
    assert_allclose(ev[ev.event == "removal"].value, [78.0])
    assert res["downtime_unplanned_h"].mean == 0.0


@pytest.mark.parametrize(("redundancy", "unplanned_h"), [(False, 2.0), (True, 0.0)])
def test_part_reaching_its_limit_is_taken_out_of_service(
    redundancy: bool, unplanned_h: float
) -> None:
    # No notice and a day shift: the part reaches its limit at 04:00 on Friday (100 h),
    # is taken out of service, and is replaced at the 06:00 shift (102 h).  A series part
    # stops the system for those 2 h (unplanned); a member of a 1-of-2 group does not.
    scn = _one_part(
        shifts=[{"start": "06:00", "end": "14:00"}], value=10.0, pm_h=1.0, redundancy=redundancy
    )
    res = _events(scn, 150.0, notice=False)
    ev = res.events
    stop = ev[ev.event == "life_limit"]
    assert_allclose(stop.time_h, [100.0], atol=1e-5)
    assert_allclose(stop.value, [100.0], atol=1e-5)
    rem = ev[ev.event == "removal"]
    assert_allclose(rem.time_h, [102.0])
    assert_allclose(rem.value, [100.0], atol=1e-5)  # frozen while out of service
    assert_allclose(res["downtime_unplanned_h"].mean, unplanned_h, atol=1e-5)
    assert_allclose(res["downtime_planned_h"].mean, 1.0)  # the replacement itself
    assert_allclose(res["cost_lost_production"].mean, 10.0 * (unplanned_h + 1.0), atol=1e-4)
    assert_allclose(res["preventive_replacements"].mean, 1.0)
    assert res["failures"].mean == 0.0


def test_minimally_repaired_part_is_still_replaced_at_its_limit() -> None:
    # minimal repair keeps the part's age: failures come before 100 h, then the limit
    res = _events(_one_part(minimal=True), 2000.0, reps=5)
    ev = res.events
    assert np.all(ev[ev.event == "failure"].value <= 100.0 + TOL)
    assert_allclose(ev[ev.event == "removal"].value, 100.0, atol=1e-6)
    assert (ev.event == "failure").sum() > 0
