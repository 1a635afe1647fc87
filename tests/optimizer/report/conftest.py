"""Fixtures of the report tests: small real comparisons and plans, and headless Chromium.

``plant_plan`` (a plan with many work orders in several shutdowns of several units) is
the suite's shared plan of ``scenarios/plant.yaml`` (``tests/conftest.py``).

The comparisons are real :func:`optimizer.sim.simulate.compare` runs, kept small (few
replications, two simulated years, one process) so the whole folder stays quick.

Browser: Debian's ``chromium`` (``apt-get install -y chromium``) run headless with the
page from a ``file://`` URL; one run dumps the DOM after the scripts ran
(``--virtual-time-budget`` lets plotly finish), writes a screenshot and logs every
console message to stderr (``--enable-logging=stderr --v=0``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from optimizer.loading import load_scenario
from optimizer.planning.pipeline import PlanResult, plan_scenario
from optimizer.scenario import Scenario
from optimizer.sim.simulate import Comparison, compare
from optimizer.sim.twin_study import TwinStudy, run_twin_study

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = ROOT / "scenarios"

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)


@pytest.fixture(scope="session")
def conveyor_scn() -> Scenario:
    return load_scenario(SCENARIOS / "conveyor.yaml")


@pytest.fixture(scope="session")
def conveyor_cmp(conveyor_scn: Scenario) -> Comparison:
    """All six strategies on the conveyor, 8 replications of 2 years."""
    return compare(conveyor_scn, replications=8, seed=11, years=2.0, workers=1)


@pytest.fixture(scope="session")
def conveyor_twin(conveyor_scn: Scenario, conveyor_cmp: Comparison) -> TwinStudy:
    tv = run_twin_study(conveyor_scn, conveyor_cmp, workers=1)
    assert tv is not None
    return tv


@pytest.fixture(scope="session")
def conveyor_plan(conveyor_scn: Scenario) -> PlanResult:
    return plan_scenario(conveyor_scn)


# --------------------------------------------------------------------------------------
# headless Chromium
# --------------------------------------------------------------------------------------
@dataclass
class Rendered:
    """What Chromium made of a page."""

    dom: str
    console: list[str]
    screenshot: Path
    plots: dict[str, bool]
    """Element id of every ``.js-plotly-plot`` -> whether it holds an ``svg.main-svg``."""


class _PlotFinder(HTMLParser):
    """Finds ``.js-plotly-plot`` elements and whether a ``.main-svg`` lies inside each."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []  # (tag, plot id if a plot root)
        self.plots: dict[str, bool] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        plot_id = (a.get("id") or f"plot{len(self.plots)}") if "js-plotly-plot" in classes else None
        if plot_id is not None:
            self.plots[plot_id] = False
        if "main-svg" in classes:
            for _, pid in reversed(self.stack):
                if pid is not None:
                    self.plots[pid] = True
                    break
        if tag not in {"br", "img", "input", "meta", "link", "hr", "path", "rect", "line"}:
            self.stack.append((tag, plot_id))

    def handle_endtag(self, tag: str) -> None:
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k][0] == tag:
                del self.stack[k:]
                break


def _render(page: Path, out_png: Path, width: int = 1366, height: int = 3000) -> Rendered:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:  # pragma: no cover - depends on the machine
        pytest.skip("chromium is not installed (apt-get update && apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        proc = subprocess.run(
            [
                exe,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "--virtual-time-budget=15000",
                f"--screenshot={out_png}",
                "--dump-dom",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [ln for ln in proc.stderr.splitlines() if re.search(r":CONSOLE[:(]", ln)]
    finder = _PlotFinder()
    finder.feed(proc.stdout)
    return Rendered(proc.stdout, console, out_png, finder.plots)


@pytest.fixture(scope="session")
def chromium() -> Any:
    """``render(page, png, width=1366, height=3000) -> Rendered``."""
    return _render
