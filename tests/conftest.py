"""Session fixtures shared by the whole suite: the bundled scenario files."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.loading import load_scenario
from optimizer.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = ROOT / "scenarios"
SCENARIO_FILES = sorted(SCENARIO_DIR.glob("*.yaml"))


@pytest.fixture(scope="session")
def scenario_dir() -> Path:
    """Folder of the bundled scenarios."""
    return SCENARIO_DIR


@pytest.fixture(scope="session")
def conveyor() -> Scenario:
    """The small conveyor demo scenario."""
    return load_scenario(SCENARIO_DIR / "conveyor.yaml")


@pytest.fixture(scope="session")
def conveyor_text() -> str:
    """Raw text of the conveyor scenario, for mutation tests."""
    return (SCENARIO_DIR / "conveyor.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="session", params=[p.name for p in SCENARIO_FILES])
def bundled(request: pytest.FixtureRequest) -> Scenario:
    """Every bundled scenario file, loaded once."""
    return load_scenario(SCENARIO_DIR / str(request.param))
