"""Loading is bounded: alias bombs, floods of errors and odd YAML give a ScenarioError fast."""

from __future__ import annotations

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
    MAX_ALIAS_EXPANSION,
    MAX_PROBLEMS,
    ScenarioError,
    load_text,
    parse_scenario,
)
from optimizer.scenario import MAX_YEAR, MIN_YEAR

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
    assert time.perf_counter() - t0 < 5.0
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
