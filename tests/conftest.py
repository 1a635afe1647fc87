"""Session fixtures shared by the whole suite: the bundled scenario files and their plans.

Each bundled scenario is loaded once and planned at most once per session (with its own
``plan`` settings, as ``opportune plan FILE`` does); every test that only reads a plan
shares it.  Planning the plant (hour-level re-solve rounds) is the single most expensive
step of the suite, so no test module plans it again for reading.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.loading import load_scenario
from optimizer.planning.pipeline import PlanResult, plan_scenario
from optimizer.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = ROOT / "scenarios"
SCENARIO_FILES = sorted(SCENARIO_DIR.glob("*.yaml"))

_SCENARIOS: dict[str, Scenario] = {}
_PLANS: dict[str, PlanResult] = {}


def bundled_scenario(name: str) -> Scenario:
    """A bundled scenario by file name (``"plant.yaml"``), loaded once per session."""
    if name not in _SCENARIOS:
        _SCENARIOS[name] = load_scenario(SCENARIO_DIR / name)
    return _SCENARIOS[name]


def bundled_plan_of(name: str) -> PlanResult:
    """The plan of a bundled scenario with its own settings, solved once per session.

    Read it, never modify it: every test that asks for this scenario's plan gets the same
    object.
    """
    if name not in _PLANS:
        _PLANS[name] = plan_scenario(bundled_scenario(name))
    return _PLANS[name]


@pytest.fixture(scope="session")
def scenario_dir() -> Path:
    """Folder of the bundled scenarios."""
    return SCENARIO_DIR


@pytest.fixture(scope="session")
def conveyor() -> Scenario:
    """The small conveyor demo scenario."""
    return bundled_scenario("conveyor.yaml")


@pytest.fixture(scope="session")
def conveyor_text() -> str:
    """Raw text of the conveyor scenario, for mutation tests."""
    return (SCENARIO_DIR / "conveyor.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="session", params=[p.name for p in SCENARIO_FILES])
def bundled(request: pytest.FixtureRequest) -> Scenario:
    """Every bundled scenario file, loaded once."""
    return bundled_scenario(str(request.param))


@pytest.fixture(scope="session")
def bundled_plan(bundled: Scenario) -> PlanResult:
    """The plan of every bundled scenario (its own plan settings), solved once."""
    name = next(n for n, s in _SCENARIOS.items() if s is bundled)
    return bundled_plan_of(name)


@pytest.fixture(scope="session")
def plant_plan() -> PlanResult:
    """``scenarios/plant.yaml`` planned with its own settings: many work orders in
    several shutdowns of several units (shared by every test that reads it)."""
    return bundled_plan_of("plant.yaml")
