"""Access weather: calm/rough spell series and work waiting for calm (issue 17).

Closed forms (stationary two-state chain, exponential spells with means ``a`` calm and
``b`` rough): calm fraction ``a / (a + b)``; expected wait from a random instant for a
calm window of ``d`` hours ``(a + b)(1 - q)/q - d + b^2/(a + b)``, ``q = exp(-d/a)``
(derived in :mod:`optimizer.sim.weather`).  Tolerance rule: ``|mean - ref| <= 3 sd /
sqrt(R)``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, fixed, scenario, system

from optimizer.scenario import Scenario, StrategySpec
from optimizer.sim.engine import weather_series
from optimizer.sim.model import compile_model
from optimizer.sim.simulate import simulate
from optimizer.sim.weather import calm_finish, expected_elapsed_h, expected_wait_h, next_calm

CALM_H, ROUGH_H = 30.0, 20.0
JOB_H = 12.0
FAIL_AT_H = 1000.0


def _scn(weather: dict[str, Any] | None, **work: Any) -> Scenario:
    comp = component("C", life=fixed(FAIL_AT_H), cm_h=JOB_H, pm_h=JOB_H)
    comp["corrective"]["needs_calm"] = work.get("cm", True)
    comp["preventive"]["needs_calm"] = work.get("pm", True)
    comp["corrective"]["weather_interruptible"] = work.get("split", False)
    data = scenario([system("S", [comp], value=10.0)]).model_dump(mode="json")
    data["fleet"]["sites"][0]["weather"] = weather
    return Scenario.model_validate(data)


def _calm(a: float | list[float] = CALM_H, b: float | list[float] = ROUGH_H) -> dict[str, Any]:
    return {
        "mean_calm_h": a if isinstance(a, list) else [a],
        "mean_rough_h": b if isinstance(b, list) else [b],
    }


def test_closed_form_limits() -> None:
    # d -> 0: only the residual rough spell from a rough instant, P(rough) * b
    assert_allclose(expected_wait_h(CALM_H, ROUGH_H, 0.0), ROUGH_H**2 / (CALM_H + ROUGH_H))
    # first-order in d: U ~ (a + b) d / a - d = b d / a
    d = 1e-6
    assert_allclose(
        expected_wait_h(CALM_H, ROUGH_H, d) - expected_wait_h(CALM_H, ROUGH_H, 0.0),
        ROUGH_H * d / CALM_H,
        rtol=1e-4,
    )


def test_stationary_calm_fraction() -> None:
    model = compile_model(_scn(_calm()), years=2.0)
    h = model.horizon_h
    fr = []
    for rep in range(200):
        sp = weather_series(model, 7, rep, 0)
        assert np.all(np.diff(sp.ravel()) > 0.0)  # disjoint, sorted
        fr.append(float((np.minimum(sp[:, 1], h) - sp[:, 0]).sum()) / h)
    x = np.asarray(fr)
    ref = CALM_H / (CALM_H + ROUGH_H)
    assert abs(x.mean() - ref) <= 3.0 * x.std(ddof=1) / math.sqrt(x.size)


def test_seasonal_months_follow_their_means() -> None:
    # calm all winter long (mean calm spell 10,000 h) vs. rough all summer: the calm
    # fraction of each month tracks its stationary fraction
    a = [10.0] * 3 + [200.0] * 6 + [10.0] * 3
    b = [200.0] * 3 + [10.0] * 6 + [200.0] * 3
    model = compile_model(_scn(_calm(a, b)), years=1.0)
    jan = (0.0, 31 * 24.0)  # START is 4 January: 27 days of January
    jun = (148 * 24.0, 178 * 24.0)
    frac: dict[str, list[float]] = {"jan": [], "jun": []}
    for rep in range(100):
        sp = weather_series(model, 3, rep, 0)
        for key, (lo, hi) in (("jan", (jan[0], jan[1] - 96.0)), ("jun", jun)):
            cov = np.clip(np.minimum(sp[:, 1], hi) - np.maximum(sp[:, 0], lo), 0.0, None)
            frac[key].append(float(cov.sum()) / (hi - lo))
    assert np.mean(frac["jan"]) < 0.15  # stationary 10/210 = 0.05 (start drawn from it)
    assert np.mean(frac["jun"]) > 0.85  # 0.95, after the May transient


def test_wait_for_a_calm_window_matches_closed_form() -> None:
    model = compile_model(_scn(_calm()), years=2.0)
    rng = np.random.default_rng(11)
    waits = []
    for rep in range(400):
        sp = weather_series(model, 5, rep, 0)
        t = float(rng.uniform(0.0, 8000.0))
        s = next_calm(sp[:, 0].tolist(), sp[:, 1].tolist(), t, JOB_H)
        # calm throughout [s, s + d], and no earlier start
        j = int(np.searchsorted(sp[:, 1], s, side="right"))
        assert sp[j, 0] <= s and s + JOB_H <= sp[j, 1]
        waits.append(s - t)
    x = np.asarray(waits)
    ref = expected_wait_h(CALM_H, ROUGH_H, JOB_H)
    assert abs(x.mean() - ref) <= 3.0 * x.std(ddof=1) / math.sqrt(x.size)


def _waits(scn: Scenario, strategy: str | StrategySpec, event: str, reps: int) -> Any:
    res = simulate(
        scn,
        strategy,
        replications=reps,
        seed=2,
        years=1500.0 / 8760.0,
        twin_accuracy="none",
        workers=1,
        keep_events=True,
    )
    ev = res.events
    return res, ev[ev.event == event]


def test_simulated_corrective_wait_matches_closed_form() -> None:
    reps = 300
    res, wait = _waits(_scn(_calm()), "run-to-failure", "weather_wait", reps)
    assert len(wait) == reps  # one failure per replication, at 1000 h
    x = wait.value.to_numpy()  # hours from the failure to the start (weather only)
    ref = expected_wait_h(CALM_H, ROUGH_H, JOB_H)
    assert abs(x.mean() - ref) <= 3.0 * x.std(ddof=1) / math.sqrt(reps)
    # no wait iff calm now with >= d left: P = a / (a + b) * exp(-d / a)
    p0 = CALM_H / (CALM_H + ROUGH_H) * math.exp(-JOB_H / CALM_H)
    assert abs(float(np.mean(x == 0.0)) - p0) <= 3.0 * math.sqrt(p0 * (1.0 - p0) / reps)
    # downtime = wait + repair
    assert_allclose(res["downtime_unplanned_h"].mean, x.mean() + JOB_H)


def test_preventive_work_starts_in_a_long_enough_calm_spell() -> None:
    scn = _scn(_calm(), cm=False)
    model = compile_model(scn, years=1500.0 / 8760.0)
    _, pm = _waits(scn, StrategySpec(name="fixed-interval", interval_h=300.0), "pm_start", 20)
    assert len(pm) >= 20 * 4
    late = 0
    for rep, t in zip(pm.replication.to_numpy(), pm.time_h.to_numpy(), strict=True):
        sp = weather_series(model, 2, int(rep), 0)
        j = int(np.searchsorted(sp[:, 1], t, side="right"))
        assert sp[j, 0] <= t + 1e-9 and t + JOB_H <= sp[j, 1] + 1e-9
        late += int(t % 300.0 > 1e-6)
    assert late > 0  # some waited


def test_interruptible_work_takes_calm_hours() -> None:
    model = compile_model(_scn(_calm()), years=2.0)
    rng = np.random.default_rng(12)
    elapsed = []
    for rep in range(400):
        sp = weather_series(model, 6, rep, 0)
        cum = np.concatenate([[0.0], np.cumsum(sp[:-1, 1] - sp[:-1, 0])]).tolist()
        t = float(rng.uniform(0.0, 8000.0))
        s = next_calm(sp[:, 0].tolist(), sp[:, 1].tolist(), t, 0.0)
        end = calm_finish(sp[:, 0].tolist(), sp[:, 1].tolist(), cum, s, JOB_H)
        # exactly JOB_H calm hours in [s, end], and end is in calm
        cov = np.clip(np.minimum(sp[:, 1], end) - np.maximum(sp[:, 0], s), 0.0, None)
        assert_allclose(cov.sum(), JOB_H, rtol=1e-9)
        elapsed.append(end - t)
    x = np.asarray(elapsed)
    ref = expected_elapsed_h(CALM_H, ROUGH_H, JOB_H)
    assert abs(x.mean() - ref) <= 3.0 * x.std(ddof=1) / math.sqrt(x.size)


def test_simulated_interruptible_repair_matches_closed_form() -> None:
    reps = 1000
    scn = _scn(_calm(), split=True)
    res, _ = _waits(scn, "run-to-failure", "weather_wait", reps)
    est = res["downtime_unplanned_h"]  # failure -> end of the repair, weather only
    assert est.n == reps
    ref = expected_elapsed_h(CALM_H, ROUGH_H, JOB_H)
    assert abs(est.mean - ref) <= 3.0 * est.sd / math.sqrt(reps)
    # exact replay: the engine's repair ends where the replication's weather series says
    model = compile_model(scn, years=1500.0 / 8760.0)
    ev = res.events
    done = ev[ev.event == "repaired"].head(50)
    for rep, t in zip(done.replication.to_numpy(), done.time_h.to_numpy(), strict=True):
        sp = weather_series(model, 2, int(rep), 0)
        b, e = sp[:, 0].tolist(), sp[:, 1].tolist()
        cum = np.concatenate([[0.0], np.cumsum(sp[:-1, 1] - sp[:-1, 0])]).tolist()
        s = next_calm(b, e, FAIL_AT_H, 0.0)
        assert_allclose(t, calm_finish(b, e, cum, s, JOB_H))


@pytest.mark.parametrize("weather", [None, _calm()])
def test_no_wait_without_weather_or_need(weather: dict[str, Any] | None) -> None:
    scn = _scn(weather, cm=weather is None)  # weather without need, or need without weather
    res, wait = _waits(scn, "run-to-failure", "weather_wait", 5)
    assert len(wait) == 0
    assert_allclose(res["downtime_unplanned_h"].mean, JOB_H)


def test_bad_weather_months_are_refused() -> None:
    with pytest.raises(ValueError, match="12 monthly"):
        _scn(_calm([10.0, 20.0]))


def test_offshore_scenario_simulates_with_weather(scenario_dir: Path) -> None:
    from optimizer.loading import load_scenario

    scn = load_scenario(scenario_dir / "offshore.yaml")
    model = compile_model(scn, years=1.0)
    assert model.calm_cm.all() and model.calm_pm.all()
    res = simulate(
        scn, "run-to-failure", replications=2, seed=1, years=1.0, workers=1, keep_events=True
    )
    ev = res.events
    assert (ev.event == "weather_wait").sum() > 0
    assert 0.0 < res["availability_fleet"].mean < 1.0


def test_life_limited_part_retired_by_weather_never_also_fails(scenario_dir: Path) -> None:
    # forced work late for the weather: the part is retired at its limit; its failure,
    # due 1e-9 of the limit later (same clock batch), must not fire on the retired part
    from optimizer.loading import load_scenario

    data = load_scenario(scenario_dir / "orp10.yaml").model_dump(mode="json")
    data["fleet"]["sites"][0]["weather"] = _calm(20.0, 30.0)
    for t in data["component_types"].values():
        t["preventive"]["needs_calm"] = True
    res = simulate(
        Scenario.model_validate(data),
        "run-to-failure",
        replications=1,
        seed=1,
        years=1.0,
        workers=1,
        keep_events=True,
    )
    ev = res.events
    retired = ev[ev.event == "life_limit"]
    assert len(retired) > 0
    fails = ev[ev.event == "failure"]
    failed = set(zip(fails.component, fails.time_h, strict=True))
    assert not failed & set(zip(retired.component, retired.time_h, strict=True))
    # every stop ends: down at most the waits for calm (mean rough spell 30 h), not for good
    assert res["availability_fleet"].mean > 0.7
