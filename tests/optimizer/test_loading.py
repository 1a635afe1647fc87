"""Scenario loading: errors name the field path and the line, for any input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.loading import ScenarioError, load_scenario, load_text, parse_scenario


def _problems(text: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ScenarioError) as info:
        load_text(text)
    return [(p.path, p.line, p.message) for p in info.value.problems]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "path", "needle", "words"),
    [
        (
            "shape: 1.8",
            "shape: -1.8",
            "component_types.drive_motor.life.shape",
            "shape: -1.8",
            "greater than 0",
        ),
        (
            "scale_h: 45000",
            "scale_h: .nan",
            "component_types.gearbox.life.scale_h",
            "scale_h: .nan",
            "finite",
        ),
        (
            "scale_h: 45000",
            "scale_h: .inf",
            "component_types.gearbox.life.scale_h",
            "scale_h: .inf",
            "finite",
        ),
        (
            "crew_size: 1\n",
            "crew_sise: 1\n",
            "component_types.drive_motor.crew_sise",
            "crew_sise",
            "unknown key",
        ),
        ("headcount: 2", "headcount: two", "crews[0].headcount", "headcount: two", "integer"),
        (
            "headcount: 2",
            "headcount: 1" + "0" * 60,
            "crews[0].headcount",
            "headcount: 1000",
            "less than or equal",
        ),
        (
            "age_h: 38000",
            "age_h: 1e400",
            "fleet.sites[0].systems[0].components[0].age_h",
            "age_h: 1e400",
            "finite",
        ),
        (
            "age_h: 38000",
            "age_h: -5",
            "fleet.sites[0].systems[0].components[0].age_h",
            "age_h: -5",
            "greater than or equal",
        ),
        (
            "duration_h: 6}",
            "duration_h: -6}",
            "component_types.gearbox.preventive.duration_h",
            "duration_h: -6}",
            "greater than or equal to 0",
        ),
        (
            "distribution: gamma",
            "distribution: gama",
            "component_types.tensioner.life",
            "distribution: gama",
            "'gama'",
        ),
        ("currency: EUR", "currency: euro", "currency", "currency: euro", "pattern"),
        (
            "horizon_days: 180",
            "horizon_days: 0",
            "calendar.horizon_days",
            "horizon_days: 0",
            "greater than or equal to 1",
        ),
    ],
)
def test_field_errors_name_path_line_and_reason(
    conveyor_text: str, old: str, new: str, path: str, needle: str, words: str
) -> None:
    assert old in conveyor_text
    text = conveyor_text.replace(old, new, 1)
    problems = _problems(text)
    assert len(problems) == 1, problems
    got_path, line, message = problems[0]
    assert got_path == path
    assert line == _line_of(text, needle)
    assert words in message


@pytest.mark.parametrize(
    ("old", "new", "path", "words"),
    [
        (
            "spare_part: GBX-25",
            "spare_part: GBX-99",
            "component_types.gearbox.spare_part",
            "unknown part 'GBX-99'",
        ),
        (
            "skill: mechanical\n  belt:",
            "skill: welding\n  belt:",
            "component_types.pulley_bearing.skill",
            "no crew has skill 'welding'",
        ),
        (
            "{id: C1-GBX, type: gearbox,",
            "{id: C1-GBX, type: gear_box,",
            "fleet.sites[0].systems[0].components[1].type",
            "unknown component type 'gear_box'",
        ),
        (
            "{id: C1-GBX, type: gearbox,",
            "{id: C1-MOT, type: gearbox,",
            "fleet.sites[0].systems[0].components[1].id",
            "duplicate component id 'C1-MOT'",
        ),
        (
            "value_profile: weekdays_only",
            "value_profile: weekends",
            "fleet.sites[0].systems[0].value_profile",
            "unknown value profile",
        ),
        (
            "components: [C1-TNS-A, C1-TNS-B]",
            "components: [C1-TNS-A, C1-TNS-X]",
            "fleet.sites[0].systems[0].redundancy[0].components[1]",
            "'C1-TNS-X' is not a component",
        ),
        (
            "    site: PLANT-A\n    skills: [mechanical]",
            "    site: PLANT-Z\n    skills: [mechanical]",
            "crews[0].site",
            "unknown site 'PLANT-Z'",
        ),
    ],
)
def test_reference_errors(conveyor_text: str, old: str, new: str, path: str, words: str) -> None:
    assert old in conveyor_text
    problems = _problems(conveyor_text.replace(old, new, 1))
    assert any(p == path and words in m and line is not None for p, line, m in problems), problems


def test_missing_required_after_type_merge(conveyor_text: str) -> None:
    text = conveyor_text.replace(
        "{id: C1-GBX, type: gearbox, age_h: 30500}", "{id: C1-GBX, age_h: 30500}"
    )
    problems = _problems(text)
    paths = {p for p, _, _ in problems}
    for field in ("life", "preventive", "corrective", "skill"):
        assert f"fleet.sites[0].systems[0].components[1].{field}" in paths


def test_every_problem_is_reported_at_once(conveyor_text: str) -> None:
    text = conveyor_text.replace("shape: 1.8", "shape: -1").replace("headcount: 2", "headcount: -2")
    assert len(_problems(text)) == 2


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("- a\n- b\n", "mapping"),
        ("42", "mapping"),
        ("name: [unclosed", "not valid YAML"),
        ("a: 1\na: 2\n", "duplicate key"),
        ('{"name": 1', "not valid"),
    ],
)
def test_malformed_documents(text: str, words: str) -> None:
    problems = _problems(text)
    assert any(words in m for _, _, m in problems), problems


def test_binary_and_missing_files(tmp_path: Path) -> None:
    binary = tmp_path / "x.yaml"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\xff\xfe\x00\x00")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(binary)
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"name: a\x00b\n")
    with pytest.raises(ScenarioError, match="NUL"):
        load_scenario(nul)
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioError, match="directory"):
        load_scenario(tmp_path)


def test_json_is_accepted_and_round_trips(conveyor_text: str, tmp_path: Path) -> None:
    data = yaml.safe_load(conveyor_text)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data, default=str, indent=1))
    scn = load_scenario(path)
    again = parse_scenario(json.loads(scn.model_dump_json()))
    assert again == scn


def test_problem_pointer_is_json_pointer(conveyor_text: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_text(conveyor_text.replace("headcount: 2", "headcount: -2"))
    (p,) = info.value.problems
    assert p.as_dict()["pointer"] == "/crews/0/headcount"


# ---------------------------------------------------------------------------------
# Property tests: arbitrary input never escapes as anything but a ScenarioError
# ---------------------------------------------------------------------------------
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_arbitrary_bytes_give_a_scenario_error(
    tmp_path_factory: pytest.TempPathFactory, blob: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.yaml"
    path.write_bytes(blob)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems
    assert all(p.message for p in info.value.problems)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_arbitrary_documents_give_a_scenario_error(doc: object) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(doc)
    assert info.value.problems


def _leaf_paths(obj: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in _leaf_paths(v, (*prefix, k))]
    if isinstance(obj, list):
        return [p for j, v in enumerate(obj) for p in _leaf_paths(v, (*prefix, j))]
    return [prefix]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.data(),
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.text(max_size=5),
        st.none(),
        st.lists(st.integers(), max_size=2),
    ),
)
def test_mutating_any_field_is_either_valid_or_located(
    conveyor_text: str, data: st.DataObject, value: object
) -> None:
    """Replace one leaf of a valid scenario with junk: valid, or every problem has a path."""
    doc = yaml.safe_load(conveyor_text)
    paths = _leaf_paths(doc)
    path = data.draw(st.sampled_from(paths))
    cur = doc
    for key in path[:-1]:
        cur = cur[key]  # type: ignore[index]
    cur[path[-1]] = value  # type: ignore[index]
    try:
        parse_scenario(doc)
    except ScenarioError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.message
            # the problem points into the mutated branch or names a reference
            assert (
                p.loc[:1] == path[:1]
                or p.loc == ()
                or p.loc[0]
                in {
                    "fleet",
                    "component_types",
                    "crews",
                    "plan",
                    "inventory",
                    "simulation",
                    "calendar",
                }
            )


def test_cli_validate_exit_codes(tmp_path: Path, conveyor_text: str) -> None:
    good = subprocess.run(
        [sys.executable, "-m", "optimizer", "validate", "scenarios/conveyor.yaml"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert good.returncode == 0, good.stderr
    assert "7 component(s)" in good.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(conveyor_text.replace("shape: 1.8", "shape: -1.8"))
    res = subprocess.run(
        [sys.executable, "-m", "optimizer", "validate", str(bad), "--json"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    payload = json.loads(res.stdout)
    assert payload["valid"] is False
    assert payload["problems"][0]["path"] == "component_types.drive_motor.life.shape"
    assert "Traceback" not in res.stderr + res.stdout
