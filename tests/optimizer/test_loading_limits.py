"""Loading is bounded: alias bombs, floods of errors and odd YAML give a ScenarioError fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.loading import (
    LIMITS,
    MAX_ALIAS_EXPANSION,
    MAX_PROBLEMS,
    ScenarioError,
    load_text,
    parse_scenario,
    size_problems,
)
from optimizer.scenario import (
    MAX_COMPONENT_PERIODS,
    MAX_COMPONENTS,
    MAX_PERIODS,
    MAX_YEAR,
    MIN_YEAR,
)

CONVEYOR = Path("scenarios/conveyor.yaml")


def _bomb(levels: int, fan: int = 9) -> str:
    """The 'billion laughs': level i is a list of ``fan`` aliases to level i - 1."""
    lines = ["name: bomb", "a0: &a0 [" + ", ".join(["lol"] * fan) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fan) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [5, 8, 30])
def test_alias_bomb_is_refused_fast_and_small(levels: int) -> None:
    # before: 7 levels took ~10 s and 1.2 GB, 8 levels ended in MemoryError
    text = _bomb(levels)
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(ScenarioError) as info:
            load_text(text)
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 20 * 2**20  # bytes
    (problem,) = info.value.problems
    assert "MAX_ALIAS_EXPANSION" in problem.message
    # the expansion named is the exact count of added nodes: sum_i fan**i - (levels + 1)
    # distinct nodes beyond the root's (the list nodes) and scalars shared by value
    assert str(MAX_ALIAS_EXPANSION) in problem.message


def test_merge_key_bomb_is_refused_before_flattening() -> None:
    lines = ["a0: &a0 {x: 1, y: 2}"]
    for i in range(1, 30):
        lines.append(f"a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * 9)}]}}")
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match="MAX_ALIAS_EXPANSION"):
        load_text("\n".join(lines) + "\n")
    assert time.perf_counter() - t0 < 1.0


def test_recursive_alias_and_deep_nesting_are_refused() -> None:
    with pytest.raises(ScenarioError, match="recursive"):
        load_text("name: &a [*a]\n")
    with pytest.raises(ScenarioError, match="MAX_NESTING"):
        load_text("name: " + "[" * 100 + "]" * 100 + "\n")


def test_modest_aliases_still_work() -> None:
    """Anchors used as intended (a shared task spec) are accepted, with lines."""
    text = CONVEYOR.read_text()
    assert "&" not in text
    scn_plain = load_text(text)
    # anchor the currency and reuse it in a (wrong) place at the end of the file
    text2 = text.replace("currency: EUR", "currency: &cur EUR", 1)
    assert text2 != text
    assert load_text(text2) == scn_plain
    with pytest.raises(ScenarioError) as info:
        load_text(text2 + "bogus: *cur\n")
    (problem,) = info.value.problems
    assert (problem.path, problem.line) == ("bogus", len(text2.splitlines()) + 1)


@pytest.mark.parametrize("n_keys", [30_000])
def test_many_errors_are_linear_and_capped(n_keys: int) -> None:
    # before: 10k unknown keys took 22.5 s, 30k 191 s (quadratic); now well under a second
    text = CONVEYOR.read_text() + "".join(f"junk{i}: 1\n" for i in range(n_keys))
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_text(text)
    # linear: ~1 s on an idle machine, ~5 s with load 13 on 2 cores (quadratic: 191 s)
    assert time.perf_counter() - t0 < 20.0
    problems = info.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert f"{n_keys - MAX_PROBLEMS} more problem(s)" in problems[-1].message
    assert all(p.path.startswith("junk") for p in problems[:-1])


# --------------------------------------------------------------------------------------
# Fuzz: YAML documents with anchors, aliases and merge keys
# --------------------------------------------------------------------------------------
_SCALARS = st.sampled_from(
    ["1", "-2.5", ".nan", "~", "true", "x", "'[/]'", '"\\0<b>"', "2026-01-01", "0x1F", "1e999"]
)
_KEYS = st.sampled_from(
    ["name", "currency", "calendar", "fleet", "crews", "start", "sites", "k", "<<", "id", "x"]
)


@st.composite
def _yaml_node(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["scalar", "alias", "list", "map"] if depth < 4 else ["scalar"]))
    anchor = f"&a{draw(st.integers(0, 5))} " if draw(st.booleans()) else ""
    if kind == "scalar":
        return anchor + draw(_SCALARS)
    if kind == "alias":
        return f"*a{draw(st.integers(0, 5))}"
    if kind == "list":
        items = draw(st.lists(_yaml_node(depth + 1), max_size=4))
        return anchor + "[" + ", ".join(items) + "]"
    pairs = draw(st.lists(st.tuples(_KEYS, _yaml_node(depth + 1)), max_size=4))
    return anchor + "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"


@st.composite
def _yaml_document(draw: st.DrawFn) -> str:
    base = CONVEYOR.read_text().splitlines()
    # replace a few top-level-ish values with fuzzed nodes (anchors defined before use)
    out = []
    for line in base:
        if ": " in line and draw(st.integers(0, 30)) == 0:
            head = line.split(": ", 1)[0]
            out.append(f"{head}: {draw(_yaml_node())}")
        else:
            out.append(line)
    out.extend(f"extra{i}: {draw(_yaml_node())}" for i in range(draw(st.integers(0, 3))))
    return "\n".join(out) + "\n"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_yaml_document(), _yaml_node().map(lambda n: f"name: {n}\n")))
def test_fuzzed_yaml_with_aliases_gives_only_scenario_errors(text: str) -> None:
    """Anything goes in: a valid scenario or a ScenarioError with messages, no traceback."""
    try:
        load_text(text)
    except ScenarioError as exc:
        assert exc.problems
        assert all(p.message for p in exc.problems)
        assert len(exc.problems) <= MAX_PROBLEMS + 1


# --------------------------------------------------------------------------------------
# Control characters and date bounds
# --------------------------------------------------------------------------------------
def _conveyor() -> dict[str, Any]:
    doc = yaml.safe_load(CONVEYOR.read_text())
    assert isinstance(doc, dict)
    return doc


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\r", "\x7f"])
def test_control_characters_are_refused_in_names(char: str) -> None:
    doc = _conveyor()
    doc["name"] = f"{char}<img src=x onerror=alert(1)>"
    doc["fleet"]["sites"][0]["systems"][0]["name"] = f"Line{char}3"
    doc["fleet"]["sites"][0]["systems"][0]["components"][0]["id"] = f"c{char}"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(doc)
    paths = {p.path: p.message for p in info.value.problems}
    code = f"U+{ord(char):04X}"
    assert code in paths["name"]
    assert code in paths["fleet.sites[0].systems[0].name"]
    assert "fleet.sites[0].systems[0].components[0].id" in paths


def test_tab_and_newline_are_text() -> None:
    doc = _conveyor()
    doc["description"] = "line one\n\tindented [markup] <b>"
    assert parse_scenario(doc).description == doc["description"]


@pytest.mark.parametrize(
    "start", ["9999-12-01", "0001-01-01", "0001-01-01T00:00:00+14:00", "2200-01-01"]
)
def test_dates_out_of_range_are_validation_errors(start: str) -> None:
    # before: validate accepted them and plan died with OverflowError
    doc = _conveyor()
    doc["calendar"]["start"] = start
    with pytest.raises(ScenarioError) as info:
        parse_scenario(doc)
    (problem,) = info.value.problems
    assert problem.path == "calendar.start"
    assert f"{MIN_YEAR}-01-01 to {MAX_YEAR}-12-31" in problem.message


def test_the_latest_start_still_plans(tmp_path: Path) -> None:
    """The bound is tight enough: a start at the end of the range plans its horizon."""
    doc = _conveyor()
    doc["calendar"]["start"] = f"{MAX_YEAR}-12-31"
    doc["calendar"]["horizon_days"] = 3650
    doc["calendar"]["period_days"] = 30
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(doc))
    run = subprocess.run(
        [sys.executable, "-m", "optimizer", "plan", str(path), "--time-limit-s", "5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]


# --------------------------------------------------------------------------------------
# Size limits, checked before validation and planning
# --------------------------------------------------------------------------------------
def _fleet(n_components: int, horizon_days: int, period_days: float = 1.0) -> dict[str, Any]:
    """The conveyor with its first component copied to ``n_components`` components."""
    doc = _conveyor()
    system = doc["fleet"]["sites"][0]["systems"][0]
    first = system["components"][0]
    system["components"] = [{**first, "id": f"c{i}"} for i in range(n_components)]
    doc["fleet"]["sites"][0]["systems"][0].pop("redundancy", None)
    doc["calendar"]["horizon_days"] = horizon_days
    doc["calendar"]["period_days"] = period_days
    return doc


@pytest.mark.parametrize(
    ("n", "days", "period", "path", "limit", "value"),
    [
        # before: 10,000 x 10 years ended in MemoryError after 357 s
        (10_000, 3650, 1.0, "calendar.period_days", "MAX_COMPONENT_PERIODS", "36,500,000"),
        # before: 1,000 x 10 years with a 5 s limit ran 182 s and 1.2 GB (now 3.65 M is
        # within the limit: 14 s wall, 5.5 CPU s, 716 MiB at load 7); twice that is refused
        (2_000, 3650, 1.0, "calendar.period_days", "MAX_COMPONENT_PERIODS", "7,300,000"),
        (MAX_COMPONENTS + 1, 30, 1.0, "fleet", "MAX_COMPONENTS", f"{MAX_COMPONENTS + 1:,}"),
        (5, 3650, 0.1, "calendar.period_days", "MAX_PERIODS", "36,500"),
    ],
)
def test_size_limits_are_refused_before_validation(
    n: int, days: int, period: float, path: str, limit: str, value: str
) -> None:
    doc = _fleet(n, days, period)
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        parse_scenario(doc)
    assert time.perf_counter() - t0 < 2.0  # ~0.1 s idle; tracemalloc would slow it 10x
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError):
            parse_scenario(doc)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20  # bytes
    (problem,) = info.value.problems
    assert problem.path == path
    assert limit in problem.message and value in problem.message


def test_limits_are_inclusive() -> None:
    """Exactly at a limit is accepted by the size check (the limits are maxima)."""
    assert MAX_COMPONENT_PERIODS % 1000 == 0
    per = MAX_COMPONENT_PERIODS // 1000
    assert per <= MAX_PERIODS
    assert size_problems(_fleet(1000, per)) == []
    assert size_problems(_fleet(1001, per))


def test_a_long_list_is_refused_before_validation() -> None:
    doc = _conveyor()
    name = next(iter(doc["component_types"]))
    doc["component_types"][name]["life"] = {
        "distribution": "empirical",
        "samples_h": [1.0] * 3_000_000,
    }
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        parse_scenario(doc)
    assert time.perf_counter() - t0 < 1.0  # before: validated for 5 s
    (problem,) = info.value.problems
    assert problem.path == f"component_types.{name}.life.samples_h"
    assert "3,000,000" in problem.message and "MAX_TWIN_SAMPLES" in problem.message


def test_deep_data_is_refused_without_recursion() -> None:
    deep: Any = 1
    for _ in range(10_000):
        deep = {"a": [deep]}
    doc = _conveyor()
    doc["description"] = deep
    with pytest.raises(ScenarioError, match="MAX_NESTING"):
        parse_scenario(doc)


def test_plan_memory_estimate_refuses_before_building(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from optimizer import cli
    from optimizer.planning import pipeline

    scn = parse_scenario(_conveyor())
    need = pipeline.plan_memory_mb(7, scn.calendar.n_periods)
    assert need == pytest.approx(
        pipeline.PLAN_BASE_MB + pipeline.PLAN_BYTES_PER_PAIR * 7 * scn.calendar.n_periods / 1e6
    )
    monkeypatch.setattr(pipeline, "available_memory_mb", lambda: need / 2)
    monkeypatch.setattr(pipeline, "build_problem", _must_not_build)
    with pytest.raises(ScenarioError, match="MB are available"):
        pipeline.plan_scenario(scn)
    with pytest.raises(SystemExit) as info:
        cli.main(["plan", str(CONVEYOR)])
    assert info.value.code == 2
    assert "MB are available" in capsys.readouterr().err


def _must_not_build(*_: object) -> None:
    raise AssertionError("the planning problem was built before the memory check")


def test_available_memory_is_positive_and_finite_on_linux() -> None:
    from optimizer.planning.pipeline import available_memory_mb

    mb = available_memory_mb()
    assert 0 < mb < float("inf")


def test_cli_refuses_a_large_fleet_at_once(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_fleet(2_000, 3650), default=str))
    t0 = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "optimizer", "plan", str(path), "--time-limit-s", "5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr[-2000:]
    assert "MAX_COMPONENT_PERIODS" in run.stderr
    assert time.perf_counter() - t0 < 60  # imports included, on a loaded machine


def test_limits_are_documented() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    run = subprocess.run(
        [sys.executable, "-m", "optimizer", "validate", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "400"},
    )
    for name, (value, _) in LIMITS.items():
        assert f"| `{name}` | {value:,} |" in readme
        assert f"{value:,}" in run.stdout
