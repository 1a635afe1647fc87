"""The installed distribution ships both packages (not only the working tree)."""

from __future__ import annotations

import importlib.metadata as md
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_distribution_is_installed_with_console_script() -> None:
    dist = md.distribution("opportune")
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert scripts == {"opportune": "optimizer.cli:main"}
    req = " ".join(dist.requires or [])
    for name in ("pyomo", "ortools", "simpy", "numpy", "pandas", "pydantic", "highspy"):
        assert name in req


def test_wheel_contains_both_packages(tmp_path: Path) -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            "-q",
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    (wheel,) = tmp_path.glob("opportune-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "optimizer/__init__.py",
        "optimizer/cli.py",
        "optimizer/solvers/milp.py",
        "optimizer/reliability/distributions.py",
        "optimizer/problem/build.py",
        "optimizer/planning/pipeline.py",
        "optimizer/sim/strategies/prescriptive.py",
        "optimizer/py.typed",
        "cost_models/__init__.py",
        "cost_models/py.typed",
    ):
        assert required in names
    assert not any(n.startswith(("tests/", "benchmarks/", "scenarios/")) for n in names)
