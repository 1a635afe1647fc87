"""Campaign resources (vessels, cranes, specialist teams) in the simulator (issue 17).

Closed forms on hand-checkable fleets (crews on shift around the clock, no response
delay, no spare parts), the batching trigger against the exact finite-source waiting
time, and the schema (hypothesis: valid resources round-trip, invalid ones are rejected
with the field's path, ``opportune validate`` exits 2).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, fixed, run_to_failure, scenario, system

import cost_models as cm
from optimizer.cli import main
from optimizer.loading import ScenarioError, load_text
from optimizer.scenario import Resource, Scenario
from optimizer.sim.engine import run_replication, weather_series
from optimizer.sim.model import compile_model
from optimizer.sim.strategies import make_policy
from optimizer.sim.twin import Twin

ROOT = Path(__file__).resolve().parents[3]
H_PER_YEAR = 8760.0


def _vessel(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": "V", "kind": "vessel"}
    out.update(kw)
    return out


def _cm(resource: str = "V", duration_h: float = 5.0) -> dict[str, Any]:
    return {"duration_h": duration_h, "cost_other": 1000.0, "resource": resource}


# --------------------------------------------------------------------------------------
# closed forms
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("min_charter_days", [1.0, 0.1, 0.0])
def test_one_failure_trigger_one_fixed_delay(min_charter_days: float) -> None:
    """Downtime = d + job; cost = mobilisation + day rate x max(min charter, days on site)."""
    d, job, mob, rate = 48.0, 5.0, 1000.0, 240.0
    scn = scenario(
        [system("S", [component("A", life=fixed(100.0), corrective=_cm(duration_h=job))])],
        resources=[
            _vessel(
                mobilisation_delay_h=d,
                cost_mobilisation=mob,
                cost_per_day=rate,
                min_charter_days=min_charter_days,
            )
        ],
    )
    res = run_to_failure(scn, years=175.0 / H_PER_YEAR)  # one failure (at 100 h; the next at 253 h)
    assert_allclose(res["failures"].mean, 1.0)
    assert_allclose(res["downtime_unplanned_h"].mean, d + job)
    assert_allclose(res["resource_wait_h"].mean, d)
    assert_allclose(res["resource_mobilisations"].mean, 1.0)
    paid = max(min_charter_days, job / 24.0)
    assert_allclose(res["resource_charter_days"].mean, paid)
    assert_allclose(res["cost_resources"].mean, mob + rate * paid)
    assert_allclose(res["resource_cost[V]"].mean, mob + rate * paid)
    ev = res.events
    (off,) = ev[ev.event == "demobilise"].time_h
    assert_allclose(off, 100.0 + d + max(min_charter_days * 24.0, job))
    assert set(ev[ev.event.isin(["mobilise", "on_site", "demobilise"])].resource) == {"V"}
    cats = [k for k in res.kpis if k.startswith("cost_") and k != "cost_total"]
    assert_allclose(res["cost_total"].mean, sum(res[c].mean for c in cats), rtol=1e-12)


def test_fixed_dates_wait_for_the_next_date() -> None:
    """A request waits for the next booked date, then the mobilisation delay; a yearly
    date already passed this year means next year's."""
    d, job = 10.0, 5.0
    date = "2027-01-25T00:00:00Z"  # 504 h after the start (2027-01-04)
    comps = [component("A", life=fixed(100.0), corrective=_cm(duration_h=job))]
    trig = {"rule": "fixed_dates", "dates": [date]}
    scn = scenario([system("S", comps)], resources=[_vessel(mobilisation_delay_h=d, trigger=trig)])
    res = run_to_failure(scn, years=610.0 / H_PER_YEAR)
    assert_allclose(res["resource_wait_h"].mean, 504.0 - 100.0 + d)
    assert_allclose(res["downtime_unplanned_h"].mean, 504.0 - 100.0 + d + job)
    # repeated yearly from a date before the start: 2027-01-10 (144 h) is before the
    # failure at 200 h, so the request waits for 2028-01-10 (144 + 8760 h)
    comps = [component("A", life=fixed(200.0), corrective=_cm(duration_h=job))]
    trig = {"rule": "fixed_dates", "dates": ["2025-01-10T00:00:00Z"], "repeat_yearly": True}
    scn = scenario([system("S", comps)], resources=[_vessel(mobilisation_delay_h=d, trigger=trig)])
    res = run_to_failure(scn, years=1.02)
    ev = res.events
    grants = ev[(ev.event == "resource_granted") & (ev.component == "A")]
    assert_allclose(grants.value.iloc[0], 144.0 + 8760.0 - 200.0 + d)
    assert_allclose(res["resource_mobilisations"].mean, 1.0)  # none at 144 h: no work
    # a firm booking mobilises at every date, work or not (min charter paid): at 144 h
    # (nothing to do: 2 days paid) and at 8904 h for the failure at 300 h (the charter
    # is open at the horizon: its minimum is paid)
    trig["mobilise_when_idle"] = True
    comps = [component("A", life=fixed(300.0), corrective=_cm(duration_h=job))]
    scn = scenario(
        [system("S", comps)],
        resources=[
            _vessel(mobilisation_delay_h=d, trigger=trig, cost_per_day=100.0, min_charter_days=2)
        ],
    )
    res = run_to_failure(scn, years=1.02)
    assert_allclose(res["resource_mobilisations"].mean, 2.0)
    assert_allclose(res["resource_charter_days"].mean, 4.0)
    assert_allclose(res["cost_resources"].mean, 400.0)


def test_owned_resource_costs_its_fixed_cost_per_year() -> None:
    comps = [component("A", life=fixed(1e6), corrective=_cm())]
    scn = scenario(
        [system("S", comps)],
        resources=[_vessel(owned=True, cost_fixed_per_year=50_000.0, cost_per_day=1e4)],
    )
    res = run_to_failure(scn, years=2.5)
    assert_allclose(res["failures"].mean, 0.0)
    assert_allclose(res["resource_mobilisations"].mean, 0.0)
    assert_allclose(res["cost_resources"].mean, 50_000.0 * 2.5)
    assert_allclose(res["cost_total"].mean, 50_000.0 * 2.5)


@pytest.mark.parametrize("capacity", [1, 2])
def test_capacity_one_second_request_waits_one_job(capacity: int) -> None:
    """Two simultaneous failures: with one slot the second waits d + one job."""
    d, job = 10.0, 5.0
    systems = [
        system(s, [component(s + "1", life=fixed(100.0), corrective=_cm(duration_h=job))])
        for s in ("S", "T")
    ]
    scn = scenario(systems, resources=[_vessel(mobilisation_delay_h=d, capacity=capacity)])
    res = run_to_failure(scn, years=150.0 / H_PER_YEAR)
    second = job if capacity == 1 else 0.0
    assert_allclose(res["resource_wait_h"].mean, 2 * d + second)
    assert_allclose(res["downtime_unplanned_h"].mean, 2 * (d + job) + second)
    assert_allclose(res["resource_mobilisations"].mean, 1.0)
    assert_allclose(res["resource_charter_days"].mean, (job + second) / 24.0)


@pytest.mark.parametrize("trigger_n", [1, 2])
@pytest.mark.parametrize("charter", ["until_idle", "fixed"])
def test_fixed_charter_leaves_after_its_length(charter: str, trigger_n: int) -> None:
    """Three failures at 100 h, one slot, delay 10 h, jobs 15 h, charter 20 h.

    Hand-derived timeline.  On site at 110: jobs 110-125 and 125-140.  ``until_idle``
    stays for the third, 140-155 (one charter of 45 h; waits 10 + 25 + 40 h).
    ``fixed`` starts no job after 130 (110 + 20), leaves at 140 when the second ends
    (30 h on site) and, the one open request meeting ``n = 1``, mobilises again: on site
    150, job 150-165, leaves at 170 (20 h; waits 10 + 25 + 50 h).  With ``n = 2`` the
    leftover request waits for a second one, to the horizon at 200 h (wait 100 h)."""
    d, job, charter_h = 10.0, 15.0, 20.0
    systems = [
        system(s, [component(s + "1", life=fixed(100.0), corrective=_cm(duration_h=job))])
        for s in ("S", "T", "U")
    ]
    trig = {"rule": "open_requests", "n": trigger_n}
    vessel = _vessel(
        mobilisation_delay_h=d,
        min_charter_days=charter_h / 24.0,
        cost_per_day=240.0,
        charter=charter,
        trigger=trig,
    )
    res = run_to_failure(scenario(systems, resources=[vessel]), years=200.0 / H_PER_YEAR)
    ev = res.events
    on_site = ev[ev.event == "demobilise"].value.to_numpy()
    if charter == "until_idle":
        waits, hours, done = [10.0, 25.0, 40.0], [45.0], 3
    elif trigger_n == 1:
        waits, hours, done = [10.0, 25.0, 50.0], [30.0, 20.0], 3
    else:
        waits, hours, done = [10.0, 25.0, 100.0], [30.0], 2
    assert_allclose(on_site, hours)
    assert_allclose(res["resource_mobilisations"].mean, len(hours))
    assert_allclose(res["resource_wait_h"].mean, sum(waits))
    assert_allclose(res["resource_charter_days"].mean, sum(hours) / 24.0)
    assert_allclose(res["cost_resources"].mean, 240.0 * sum(hours) / 24.0)
    assert_allclose(res["downtime_unplanned_h"].mean, sum(waits) + job * done)


def test_fixed_charter_needs_a_length() -> None:
    """A fixed charter without a length is refused, naming the field (loader path)."""
    with pytest.raises(ValidationError, match="min_charter_days"):
        Resource.model_validate(_vessel(charter="fixed"))
    assert Resource.model_validate(_vessel(charter="fixed", min_charter_days=1)).charter == "fixed"
    doc = _conveyor()
    doc["resources"] = [_vessel(charter="fixed"), _vessel(id="W", charter="weekly")]
    with pytest.raises(ScenarioError) as info:
        load_text(yaml.safe_dump(doc))
    paths = {p.path for p in info.value.problems}
    assert {"resources[0].charter", "resources[1].charter"} <= paths


def test_fixed_charter_starts_no_job_after_its_length() -> None:
    """Invariant on a busy random fleet (30 exponential parts, trigger 3, capacity 2,
    charter 2 days): every slot is granted within ``[arrival, arrival + 48 h]`` of the
    charter it falls in, every charter stays at least 48 h, and a charter outlives its
    length only while a job granted before then runs (the longest job is 30 h)."""
    exp_life = {"distribution": "exponential", "mean_h": 400.0}
    systems = [  # jobs of 5 to 30 h
        system(
            f"S{j}",
            [component(f"C{j}", life=exp_life, corrective=_cm(duration_h=5.0 + j % 26))],
        )
        for j in range(30)
    ]
    vessel = _vessel(
        mobilisation_delay_h=24.0,
        min_charter_days=2.0,
        charter="fixed",
        capacity=2,
        trigger={"rule": "open_requests", "n": 3},
    )
    res = run_to_failure(scenario(systems, resources=[vessel]), years=0.5, reps=3, seed=4)
    ev = res.events
    n_charters = 0
    for _, e in ev.groupby("replication"):
        arrive = e[e.event == "on_site"].time_h.to_numpy()
        leave = e[e.event == "demobilise"].time_h.to_numpy()
        grants = e[(e.event == "resource_granted") & (e.component != "")].time_h.to_numpy()
        k = np.searchsorted(arrive, grants, side="right") - 1
        assert (k >= 0).all()
        assert np.all(grants <= arrive[k] + 48.0 + 1e-9)
        stay = leave - arrive[: leave.size]
        assert np.all(stay >= 48.0 - 1e-9) and np.all(stay <= 48.0 + 30.0 + 1e-9)
        n_charters += leave.size
    assert n_charters >= 10


def test_max_wait_mobilises_a_short_batch() -> None:
    d, job = 10.0, 5.0
    comps = [component("A", life=fixed(100.0), corrective=_cm(duration_h=job))]
    trig = {"rule": "open_requests", "n": 5, "max_wait_days": 1.0}
    scn = scenario([system("S", comps)], resources=[_vessel(mobilisation_delay_h=d, trigger=trig)])
    res = run_to_failure(scn, years=200.0 / H_PER_YEAR)
    assert_allclose(res["resource_wait_h"].mean, 24.0 + d)
    # without max_wait the lone request waits to the horizon (counted up to it)
    trig = {"rule": "open_requests", "n": 5}
    scn = scenario([system("S", comps)], resources=[_vessel(mobilisation_delay_h=d, trigger=trig)])
    res = run_to_failure(scn, years=200.0 / H_PER_YEAR)
    assert_allclose(res["resource_mobilisations"].mean, 0.0)
    assert_allclose(res["resource_wait_h"].mean, 200.0 - 100.0)


def test_preventive_opening_waits_for_the_resource_before_stopping() -> None:
    """A campaign's opening requests the vessel at its date and stops the system only
    when the vessel is there: the mobilisation is not planned downtime."""
    d, pm = 48.0, 6.0
    comp = component(
        "A",
        life=fixed(1e6),
        preventive={"duration_h": pm, "cost_other": 100.0, "resource": "V"},
    )
    data = scenario(
        [system("S", [comp])],
        resources=[_vessel(mobilisation_delay_h=d, cost_mobilisation=500.0)],
    ).model_dump(mode="json")
    data["campaigns"] = [{"id": "c", "components": ["A"], "dates": ["2027-01-08T00:00:00Z"]}]
    res = run_to_failure(Scenario.model_validate(data), years=400.0 / H_PER_YEAR)
    ev = res.events
    (removal,) = ev[ev.event == "removal"].time_h
    assert_allclose(removal, 96.0 + d)  # the campaign date is 96 h after the start
    assert_allclose(res["downtime_planned_h"].mean, pm)
    assert_allclose(res["resource_wait_h"].mean, d)
    assert_allclose(res["resource_charter_days"].mean, pm / 24.0)
    assert_allclose(res["cost_resources"].mean, 500.0)


def test_preventive_opening_takes_its_parts_before_the_resource() -> None:
    """A spare part 100 h away: the opening gets it first, then mobilises (no charter
    paid while waiting for parts)."""
    d, pm, lead_h = 10.0, 6.0, 100.0
    comp = component(
        "A",
        life=fixed(1e6),
        preventive={"duration_h": pm, "cost_other": 100.0, "resource": "V"},
        spare="P",
    )
    part = {"id": "P", "on_hand": 0, "lead_time_days": lead_h / 24.0, "cost_unit": 10.0}
    data = scenario(
        [system("S", [comp])],
        parts=[part],
        resources=[_vessel(mobilisation_delay_h=d, cost_per_day=240.0)],
    ).model_dump(mode="json")
    data["campaigns"] = [{"id": "c", "components": ["A"], "dates": ["2027-01-08T00:00:00Z"]}]
    res = run_to_failure(Scenario.model_validate(data), years=400.0 / H_PER_YEAR)
    (removal,) = res.events[res.events.event == "removal"].time_h
    assert_allclose(removal, 96.0 + lead_h + d)
    assert_allclose(res["resource_wait_h"].mean, d)
    assert_allclose(res["resource_charter_days"].mean, pm / 24.0)


def test_charter_is_paid_while_waiting_for_calm_weather() -> None:
    """The job holds its slot through the weather wait: hours on site = weather wait +
    job (read from the event log; up to the horizon), and the charter days match."""
    job = 5.0
    corrective = {**_cm(duration_h=job), "needs_calm": True}
    comps = [component("A", life=fixed(100.0), corrective=corrective)]
    data = scenario([system("S", comps)], resources=[_vessel(cost_per_day=240.0)]).model_dump(
        mode="json"
    )
    data["fleet"]["sites"][0]["weather"] = {"mean_calm_h": [10.0], "mean_rough_h": [40.0]}
    res = run_to_failure(Scenario.model_validate(data), years=150.0 / H_PER_YEAR, reps=6, seed=3)
    ev = res.events
    waits = ev[ev.event == "weather_wait"].groupby("replication").value.sum().to_numpy()
    assert waits.size == 6 and (waits > 0).any()
    hours = np.minimum(waits + job, 150.0 - 100.0)  # the failure is at 100 h
    ends = ev[ev.event == "demobilise"]
    assert_allclose(ends.value.to_numpy(), hours[ends.replication.to_numpy()])
    assert_allclose(res["resource_charter_days"].mean, hours.mean() / 24.0)
    assert_allclose(res["cost_resources"].mean, 240.0 * hours.mean() / 24.0)


@pytest.mark.parametrize("own_weather", [True, False])
def test_resource_with_its_own_weather_waits_for_its_calm(own_weather: bool) -> None:
    """A corrective job (5 h in one calm window) needing a vessel with its own weather
    (calm 10 h / rough 40 h on average) at a site that is almost always calm (calm
    1,000 h / rough 0.01 h): it starts at the first instant ``>= 100 h`` (the failure)
    from which the vessel's series stays calm 5 h, found here by scanning the series'
    spells (``weather_series``, the row after the site's); without its own weather the
    job meets the site's calm at once."""
    job = 5.0
    corrective = {**_cm(duration_h=job), "needs_calm": True}
    comps = [component("A", life=fixed(100.0), corrective=corrective)]
    vessel = _vessel()
    if own_weather:
        vessel["weather"] = {"mean_calm_h": [10.0], "mean_rough_h": [40.0]}
    data = scenario([system("S", comps)], resources=[vessel]).model_dump(mode="json")
    data["fleet"]["sites"][0]["weather"] = {"mean_calm_h": [1000.0], "mean_rough_h": [0.01]}
    scn = Scenario.model_validate(data)
    years = 600.0 / H_PER_YEAR
    model = compile_model(scn, years=years)
    policy = make_policy("run-to-failure")
    twin = Twin("none")
    policy.prepare(model, twin)
    waits: list[float] = []
    for rep in range(6):
        _, ev = run_replication(model, policy, twin, 3, rep, keep_events=True)
        spells = weather_series(model, 3, rep, 1 if own_weather else 0)
        start = next(max(b, 100.0) for b, e in spells.tolist() if e - max(b, 100.0) >= job - 1e-9)
        repaired = [e[1] for e in ev if e[2] == "repaired"]
        assert start < 600.0 - job and repaired
        assert_allclose(repaired[0], start + job, atol=1e-9)
        (wait,) = [e[5] for e in ev if e[2] == "weather_wait"][:1]
        assert_allclose(wait, start - 100.0, atol=1e-9)
        waits.append(wait)
    assert model.weather_means_h.shape[0] == (2 if own_weather else 1)
    assert (max(waits) > 1.0) == own_weather


@pytest.mark.parametrize("own_weather", [True, False])
def test_preventive_opening_with_the_resource_waits_for_its_calm(own_weather: bool) -> None:
    """A campaign at 96 h opens a 5-h job (one calm window) needing the vessel (delay 0):
    the opening stops the system at the first instant ``>= 96 h`` from which the
    vessel's own series stays calm 5 h (scanned here), and closes 5 h later; without its
    own weather, the site's (almost always calm) at once."""
    pm = {"duration_h": 5.0, "cost_other": 100.0, "resource": "V", "needs_calm": True}
    vessel = _vessel()
    if own_weather:
        vessel["weather"] = {"mean_calm_h": [10.0], "mean_rough_h": [40.0]}
    comp = component("A", life=fixed(1e6), preventive=pm)
    data = scenario([system("S", [comp])], resources=[vessel]).model_dump(mode="json")
    data["fleet"]["sites"][0]["weather"] = {"mean_calm_h": [1000.0], "mean_rough_h": [0.01]}
    data["campaigns"] = [{"id": "c", "components": ["A"], "dates": ["2027-01-08T00:00:00Z"]}]
    model = compile_model(Scenario.model_validate(data), years=600.0 / H_PER_YEAR)
    policy = make_policy("run-to-failure")
    twin = Twin("none")
    policy.prepare(model, twin)
    waits = []
    for rep in range(6):
        _, ev = run_replication(model, policy, twin, 3, rep, keep_events=True)
        spells = weather_series(model, 3, rep, 1 if own_weather else 0)
        start = next(max(b, 96.0) for b, e in spells.tolist() if e - max(b, 96.0) >= 5.0 - 1e-9)
        (removal,) = [e[1] for e in ev if e[2] == "removal"]
        (closing,) = [e[1] for e in ev if e[2] == "closing"]
        assert_allclose([removal, closing], [start, start + 5.0], atol=1e-9)
        waits.append(start - 96.0)
    assert (max(waits) > 1.0) == own_weather


def test_batch_trigger_matches_the_finite_source_wait() -> None:
    """Trigger ``n = k`` on ``m`` components with exponential lives (rate ``mu``): the
    first request of a batch waits for ``k - 1`` more failures among the ``m - 1``,
    ``m - 2``, ... running ones, then the delay: ``sum_{j=1}^{k-1} 1/((m-j) mu) + d``
    (about ``(k - 1)/lambda + d`` for Poisson requests at ``lambda = m mu``).  Checked by
    simulation: ``|mean - exact| <= 3 sd / sqrt(R)`` over ``R`` replication means."""
    m, k, d, mean_life = 30, 3, 10.0, 1000.0
    exp_life = {"distribution": "exponential", "mean_h": mean_life}
    systems = [
        system(f"S{j}", [component(f"C{j}", life=exp_life, corrective=_cm(duration_h=1.0))])
        for j in range(m)
    ]
    trig = {"rule": "open_requests", "n": k}
    scn = scenario(systems, resources=[_vessel(mobilisation_delay_h=d, capacity=m, trigger=trig)])
    reps = 12
    res = run_to_failure(scn, years=1.0, reps=reps, seed=11)
    ev = res.events
    per_rep = []
    for _, e in ev.groupby("replication"):
        first = e[(e.event == "resource_request") & (e.value == 1.0)].time_h.to_numpy()
        arrive = e[e.event == "on_site"].time_h.to_numpy()
        nxt = np.searchsorted(arrive, first, side="left")
        ok = nxt < arrive.size
        per_rep.append(float(np.mean(arrive[nxt[ok]] - first[ok])))
    mu = 1.0 / mean_life
    exact = sum(1.0 / ((m - j) * mu) for j in range(1, k)) + d
    x = np.asarray(per_rep)
    assert abs(x.mean() - exact) <= 3.0 * x.std(ddof=1) / math.sqrt(reps)


def test_deterministic_for_a_seed() -> None:
    delay = {"distribution": "lognormal", "median_h": 30.0, "sigma": 0.5}
    comps = [
        component("A", life={"distribution": "exponential", "mean_h": 200.0}, corrective=_cm())
    ]
    scn = scenario(
        [system("S", comps)],
        resources=[_vessel(mobilisation_delay_h=delay, cost_mobilisation=100.0)],
    )
    a = run_to_failure(scn, years=0.5, reps=3, seed=5)
    b = run_to_failure(scn, years=0.5, reps=3, seed=5)
    c = run_to_failure(scn, years=0.5, reps=3, seed=6)
    assert a["resource_wait_h"].mean == b["resource_wait_h"].mean
    assert a["cost_total"].mean == b["cost_total"].mean
    assert a["resource_wait_h"].mean != c["resource_wait_h"].mean
    # the delays follow the distribution (drawn by inverse transform from own streams)
    mob = a.events[a.events.event == "mobilise"].value.to_numpy()
    assert mob.size >= 5 and np.all(mob > 0) and np.unique(mob).size == mob.size


def test_resource_cost_function() -> None:
    assert_allclose(cm.charter_days([0.2, 3.0], 1.0), [1.0, 3.0])
    assert_allclose(cm.resource_cost(2, 1000.0, 4.0, 250.0, 1.5, 100.0), 2000 + 1000 + 150)
    with pytest.raises(ValueError, match="cost_per_day"):
        cm.resource_cost(1, 1.0, 1.0, -1.0)


# --------------------------------------------------------------------------------------
# schema
# --------------------------------------------------------------------------------------
_money = st.floats(0.0, 1e9, allow_nan=False)
_delay = st.one_of(
    st.floats(0.0, 1e4, allow_nan=False),
    st.builds(
        lambda m, s: {"distribution": "lognormal", "median_h": m, "sigma": s},
        st.floats(1.0, 1e4),
        st.floats(0.05, 2.0),
    ),
)
_trigger = st.one_of(
    st.builds(
        lambda n, w: {"rule": "open_requests", "n": n, "max_wait_days": w},
        st.integers(1, 50),
        st.one_of(st.none(), st.floats(0.5, 365.0)),
    ),
    st.builds(
        lambda ds, rep, idle: {
            "rule": "fixed_dates",
            "dates": [f"2027-{m:02d}-{day:02d}T06:00:00Z" for m, day in ds],
            "repeat_yearly": rep,
            "mobilise_when_idle": idle,
        },
        st.lists(st.tuples(st.integers(1, 12), st.integers(1, 28)), min_size=1, max_size=4),
        st.booleans(),
        st.booleans(),
    ),
)


@st.composite
def _resources(draw: st.DrawFn) -> dict[str, Any]:
    owned = draw(st.booleans())
    return {
        "id": draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,10}", fullmatch=True)),
        "kind": draw(st.sampled_from(["vessel", "crane", "team", "other"])),
        "owned": owned,
        "cost_fixed_per_year": draw(_money) if owned else 0.0,
        "mobilisation_delay_h": draw(_delay),
        "cost_mobilisation": draw(_money),
        "cost_per_day": draw(_money),
        "min_charter_days": draw(st.floats(0.0, 365.0)),
        "capacity": draw(st.integers(1, 20)),
        "trigger": draw(_trigger),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_resources())
def test_valid_resource_round_trips(doc: dict[str, Any]) -> None:
    r = Resource.model_validate(doc)
    again = Resource.model_validate(r.model_dump(mode="json"))
    assert again == r
    assert r.trigger.rule == doc["trigger"]["rule"]


_BAD: list[tuple[str, Any, str]] = [
    ("cost_per_day", -1.0, "cost_per_day"),
    ("cost_mobilisation", -5.0, "cost_mobilisation"),
    ("min_charter_days", -0.5, "min_charter_days"),
    ("capacity", 0, "capacity"),
    ("cost_fixed_per_year", 10.0, "cost_fixed_per_year"),  # not owned
    ("trigger", {"rule": "open_requests", "n": 0}, "trigger.n"),
    ("trigger", {"rule": "open_requests", "n": 2, "max_wait_days": 0}, "trigger.max_wait_days"),
    ("trigger", {"rule": "fixed_dates", "dates": []}, "trigger.dates"),
    ("mobilisation_delay_h", -3.0, "mobilisation_delay_h"),
    ("kind", "submarine", "kind"),
]


def _conveyor() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((ROOT / "scenarios/conveyor.yaml").read_text())
    return doc


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_resources(), st.sampled_from(_BAD))
def test_invalid_resource_is_rejected_with_its_path(
    good: dict[str, Any], bad: tuple[str, Any, str]
) -> None:
    name, value, path = bad
    doc = _conveyor()
    good = {**good, "owned": False, "cost_fixed_per_year": 0.0, name: value}
    doc["resources"] = [good]
    with pytest.raises(ScenarioError) as info:
        load_text(yaml.safe_dump(doc))
    paths = [p.path for p in info.value.problems]
    assert f"resources[0].{path}" in paths


def test_unknown_and_duplicate_resource_ids_are_reported() -> None:
    doc = _conveyor()
    ctype = next(iter(doc["component_types"]))
    doc["component_types"][ctype]["preventive"]["resource"] = "crane-X"
    doc["resources"] = [_vessel(), _vessel()]
    with pytest.raises(ScenarioError) as info:
        load_text(yaml.safe_dump(doc))
    problems = {p.path: p.message for p in info.value.problems}
    assert "unknown resource 'crane-X'" in problems[f"component_types.{ctype}.preventive.resource"]
    assert "duplicate resource id 'V'" in problems["resources[1].id"]
    with pytest.raises(ValidationError, match="unknown resource 'W'"):
        scenario(
            [system("S", [component("A", corrective=_cm(resource="W"))])],
            resources=[_vessel()],
        )


def test_validate_exits_2_on_a_bad_resource(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _conveyor()
    ctype = next(iter(doc["component_types"]))
    doc["component_types"][ctype]["corrective"]["resource"] = "nope"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["validate", str(path)])
    assert info.value.code == 2
    assert "unknown resource 'nope'" in capsys.readouterr().err.replace("\n", " ")


def test_fleet_model_prices_a_lone_job_with_its_resource() -> None:
    """Policies and planner: a job needing a resource costs one mobilisation and the day
    rate for max(min charter, job days) more; a failure also loses production for the
    mean mobilisation delay (plus max_wait_days when n > 1)."""
    from optimizer.fleet import fleet_model

    value, d, job_cm, job_pm = 50.0, 30.0, 12.0, 6.0
    cm_task = _cm(duration_h=job_cm)
    pm_task = {"duration_h": job_pm, "cost_other": 100.0, "resource": "V"}

    def build(resource: str | None, trigger: dict[str, Any] | None = None) -> Any:
        c = component("A", preventive=dict(pm_task), corrective=dict(cm_task))
        if resource is None:
            del c["preventive"]["resource"], c["corrective"]["resource"]
        vessel = _vessel(
            mobilisation_delay_h=d,
            cost_mobilisation=700.0,
            cost_per_day=240.0,
            min_charter_days=0.4,
        )
        if trigger is not None:
            vessel["trigger"] = trigger
        return fleet_model(scenario([system("S", [c], value=value)], resources=[vessel]))

    base, with_res = build(None), build("V")
    assert_allclose(with_res.cost_pm - base.cost_pm, 700.0 + 240.0 * 0.4)  # 6 h < 0.4 day
    assert_allclose(with_res.cost_cm - base.cost_cm, 700.0 + 240.0 * 0.5 + value * d)
    batched = build("V", {"rule": "open_requests", "n": 3, "max_wait_days": 2.0})
    assert_allclose(batched.cost_cm - base.cost_cm, 700.0 + 240.0 * 0.5 + value * (d + 48.0))
    assert with_res.policy[0].t_star != base.policy[0].t_star


def test_cli_table_and_report_show_resources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from optimizer.report import data as report_data
    from optimizer.report.comparison import compare_report
    from optimizer.sim.simulate import compare

    comps = [component("A", life=fixed(100.0), corrective=_cm(duration_h=5.0))]
    scn = scenario(
        [system("S", comps)],
        resources=[_vessel(mobilisation_delay_h=10.0, cost_mobilisation=300.0)],
    )
    path = tmp_path / "scn.yaml"
    path.write_text(yaml.safe_dump(scn.model_dump(mode="json")), encoding="utf-8")
    argv = ["simulate", str(path), "--strategy", "run-to-failure", "--replications", "1"]
    with pytest.raises(SystemExit) as info:
        main([*argv, "--years", "0.02", "--workers", "1"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "campaign resources" in text and "resource mobilisations" in text
    cmp = compare(
        scn, ["run-to-failure", "optimal-age"], replications=2, seed=1, years=0.02, workers=1
    )
    frame = report_data.resources_frame(cmp)
    res = cmp.results["run-to-failure"]
    assert_allclose(frame.cost_per_year.iloc[0], res["cost_resources"].mean / 0.02)
    assert_allclose(frame.mobilisations_per_year.iloc[0], 1.0 / 0.02)  # one failure
    html = compare_report(scn, cmp, plan=None).html
    assert 'id="resources"' in html and "Campaign resources" in html


def test_openings_needing_two_resources_get_both() -> None:
    """Two systems, each opening needs a vessel and a crane (capacity 1 each, listed in
    opposite orders): both openings run, one after the other."""
    pm = 6.0

    def comp(cid: str, res: str) -> dict[str, Any]:
        task = {"duration_h": pm, "cost_other": 100.0, "resource": res}
        return component(cid, life=fixed(1e6), preventive=task)

    systems = [
        system("S", [comp("S-a", "V"), comp("S-b", "C")]),
        system("T", [comp("T-b", "C"), comp("T-a", "V")]),
    ]
    crane = {"id": "C", "kind": "crane", "mobilisation_delay_h": 5.0}
    data = scenario(systems, resources=[_vessel(mobilisation_delay_h=20.0), crane]).model_dump(
        mode="json"
    )
    data["campaigns"] = [
        {"id": "c", "components": ["S-a", "S-b", "T-b", "T-a"], "dates": ["2027-01-08T00:00:00Z"]}
    ]
    res = run_to_failure(Scenario.model_validate(data), years=400.0 / H_PER_YEAR)
    rem = res.events[res.events.event == "removal"].groupby("system").time_h.min()
    assert_allclose(sorted(rem.to_numpy()), [96.0 + 20.0, 96.0 + 20.0 + pm])
    assert_allclose(res["preventive_replacements"].mean, 4.0)
    assert_allclose(res["resource_mobilisations"].mean, 2.0)
