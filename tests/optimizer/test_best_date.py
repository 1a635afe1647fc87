"""info and plan agree on each component's own best date (issue 12, item 5)."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize_scalar
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.fleet import fleet_model, hazard_increasing
from optimizer.loading import load_text
from optimizer.planning.pipeline import plan_scenario
from optimizer.scenario import Scenario

START = datetime.fromisoformat("2027-01-04T06:00:00+01:00")
OPH = 16.0  # operating hours per day of the conveyor
# (component, Weibull shape, scale h, age h) from scenarios/conveyor.yaml
WEIBULL = [
    ("C1-GBX", 2.5, 45000.0, 30500.0),
    ("C1-MOT", 1.8, 60000.0, 38000.0),
    ("C1-BRG-TAIL", 2.0, 30000.0, 9000.0),
]


def _best_t_h(beta: float, eta: float, age: float, cp: float, cf: float, g: float) -> float:
    """argmin over t >= 0 of c(t) = c_p S(t) + c_f F(t) - g* int_0^t S on the residual life."""

    def sf(t: float) -> float:
        return math.exp((age / eta) ** beta - ((age + t) / eta) ** beta)

    def cost(t: float) -> float:
        return cp * sf(t) + cf * (1.0 - sf(t)) - g * quad(sf, 0.0, t, limit=200)[0]

    res = minimize_scalar(cost, bounds=(0.0, 400000.0), method="bounded", options={"xatol": 1.0})
    return 0.0 if cost(0.0) <= cost(float(res.x)) else float(res.x)


@pytest.fixture(scope="module")
def info_rows() -> dict[str, dict[str, Any]]:
    res = CliRunner().invoke(app, ["info", "scenarios/conveyor.yaml", "--json"])
    assert res.exit_code == 0, res.output
    return {r["component"]: r for r in json.loads(res.output)["components"]}


def test_info_best_date_is_the_minimum_of_the_cost_curve(
    conveyor: Scenario, info_rows: dict[str, dict[str, Any]]
) -> None:
    fm = fleet_model(conveyor)
    ids = [c.id for c in fm.components]
    for comp, beta, eta, age in WEIBULL:
        i = ids.index(comp)
        t_h = _best_t_h(
            beta, eta, age, float(fm.cost_pm[i]), float(fm.cost_cm[i]), float(fm.cost_rate[i])
        )
        want = (START + timedelta(days=t_h / OPH)).date()
        got = date.fromisoformat(info_rows[comp]["best_date"])
        assert abs((got - want).days) <= 1, (comp, got, want)
    # the gearbox: younger than its optimal age, yet its curve is lowest today
    gbx = info_rows["C1-GBX"]
    assert gbx["age_h"] < gbx["t_star_h"]
    assert gbx["best_date"] == "2027-01-04"


def test_plan_target_dates_are_info_best_dates(
    conveyor: Scenario, info_rows: dict[str, dict[str, Any]]
) -> None:
    res = plan_scenario(conveyor)
    assert res.orders
    for wo in res.orders:
        assert wo.target_date is not None
        assert wo.target_date[:10] == info_rows[wo.component_id]["best_date"], wo.component_id
    gbx = next(w for w in res.orders if w.component_id == "C1-GBX")
    assert any("lowest today" in r and "younger than the optimal age" in r for r in gbx.reasons)
    for wo in res.orders:
        for r in wo.reasons:
            assert "saves 0.00" not in r and "saves -" not in r


def test_no_best_date_when_the_hazard_does_not_increase(conveyor_text: str, tmp_path: Path) -> None:
    # Exponential motor life (constant hazard 1/mean): the long-run optimum is run to
    # failure, g* = c_f / mean, and the current part's expected-cost curve is, in closed
    # form, c(t) = c_p e^{-t/mean} + c_f (1 - e^{-t/mean}) - g* mean (1 - e^{-t/mean})
    #      = c_p e^{-t/mean}: strictly falling, no finite minimum -> no best date.
    mean_h = 60000.0
    text = conveyor_text.replace(
        "life: {distribution: weibull, shape: 1.8, scale_h: 60000}",
        f"life: {{distribution: exponential, mean_h: {mean_h:g}}}",
        1,
    )
    scn = load_text(text)
    fm = fleet_model(scn)
    ids = [c.id for c in fm.components]
    i = ids.index("C1-MOT")
    assert fm.cost_rate[i] == pytest.approx(fm.cost_cm[i] / mean_h, rel=1e-6)
    t = np.linspace(0.0, 10 * mean_h, 50)
    c = fm.cost_pm[i] * np.exp(-t / mean_h)
    assert np.all(np.diff(c) < 0.0)  # the closed form never turns up
    assert not hazard_increasing(fm.residual[i])
    path = tmp_path / "conveyor_exp.yaml"
    path.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(app, ["info", str(path), "--json"])
    assert res.exit_code == 0, res.output
    row = next(r for r in json.loads(res.output)["components"] if r["component"] == "C1-MOT")
    assert row["best_date"] is None
    assert row["best_date_note"] == "never (hazard not increasing)"
    # increasing hazards keep their dates (no note)
    gbx = next(r for r in json.loads(res.output)["components"] if r["component"] == "C1-GBX")
    assert gbx["best_date"] is not None and gbx["best_date_note"] is None
    plan = plan_scenario(scn)
    mot = [w for w in plan.orders if w.component_id == "C1-MOT"]
    assert all(w.target_date is None for w in mot)
    for d in plan.deferred:
        if d.component_id == "C1-MOT":
            assert "never (hazard not increasing)" in d.reason
