"""`opportune simulate` / `opportune compare` end to end (small runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optimizer", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


def test_compare_json_paired_difference_is_difference_of_means() -> None:
    res = _run(
        "compare",
        "scenarios/conveyor.yaml",
        "--strategies",
        "run-to-failure,predictive",
        "--replications",
        "12",
        "--years",
        "1",
        "--seed",
        "5",
        "--workers",
        "1",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["baseline"] == "run-to-failure"
    rtf = data["strategies"]["run-to-failure"]["kpis"]["cost_total"]["mean"]
    pred = data["strategies"]["predictive"]["kpis"]["cost_total"]["mean"]
    diff = data["paired"]["predictive"]["cost_total"]
    # with common random numbers the paired mean is exactly the difference of means
    assert_allclose(diff["mean"], pred - rtf, rtol=1e-9, atol=1e-6)
    assert diff["ci_low"] <= diff["mean"] <= diff["ci_high"]


def test_simulate_is_deterministic_for_a_seed() -> None:
    args = (
        "simulate",
        "scenarios/conveyor.yaml",
        "--strategy",
        "optimal-age",
        "--replications",
        "6",
        "--years",
        "1",
        "--seed",
        "11",
        "--json",
    )
    a, b = _run(*args, "--workers", "1"), _run(*args, "--workers", "2")
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    ka, kb = json.loads(a.stdout)["kpis"], json.loads(b.stdout)["kpis"]
    assert ka == kb


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("simulate", "scenarios/conveyor.yaml", "--strategy", "magic"), "--strategy"),
        (("compare", "scenarios/conveyor.yaml", "--strategies", "run-to-failure,nope"), "nope"),
        (
            ("simulate", "scenarios/conveyor.yaml", "--strategy", "predictive", "--twin", "poor!"),
            "--twin",
        ),
        # no silent default strategy (#12 item 9)
        (("simulate", "scenarios/conveyor.yaml"), "Missing option '--strategy'"),
    ],
)
def test_bad_options_are_named(args: tuple[str, ...], words: str) -> None:
    res = _run(*args)
    assert res.returncode == 2
    assert words in res.stderr and "Traceback" not in res.stderr


def test_compare_table_output() -> None:
    res = _run(
        "compare",
        "scenarios/conveyor.yaml",
        "--strategies",
        "run-to-failure,optimal-age",
        "--replications",
        "6",
        "--years",
        "1",
        "--workers",
        "1",
    )
    assert res.returncode == 0, res.stderr
    assert "Paired difference vs run-to-failure" in res.stdout
    assert "total cost" in res.stdout
