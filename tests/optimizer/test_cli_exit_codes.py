"""Exit codes of the command line, and ``validate`` rejecting all that the others reject.

Every scenario that ``validate`` accepts must get through ``info``, ``plan`` and
``simulate`` without an internal error (#12 item 9): each case below used to pass
``validate`` (exit 0) and then make the other commands exit 1 with "internal error".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.cli import EXIT_CODES, main
from optimizer.fleet import fleet_model
from optimizer.loading import ScenarioError, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS: dict[str, tuple[str, ...]] = {
    "validate": (),
    "info": (),
    "plan": ("--time-limit-s", "5"),
    "simulate": ("--strategy", "run-to-failure", "--replications", "1", "--years", "0.1"),
    "risk": ("--days", "30"),
}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the ``opportune`` entry point in this process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    cap = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), cap.out, cap.err


def _all_costs_zero(doc: dict) -> None:  # type: ignore[type-arg]
    for t in doc["component_types"].values():
        for work in ("preventive", "corrective"):
            t[work].update(cost_other=0, cost_secondary_damage=0, cost_parts=0, cost_labour=0)
    system = doc["fleet"]["sites"][0]["systems"][0]
    system["production_value_per_h"] = 0
    system["setup"]["cost"] = 0
    for crew in doc["crews"]:
        crew.update(rate_per_h=0, cost_callout=0)


def _infinite_mean_life(doc: dict) -> None:  # type: ignore[type-arg]
    doc["component_types"]["belt"]["life"] = {
        "distribution": "weibull",
        "shape": 0.001,
        "scale_h": 16000,
    }


def _infinite_mean_response(doc: dict) -> None:  # type: ignore[type-arg]
    doc["crews"][0]["response_delay_h"] = {"distribution": "weibull", "shape": 0.002, "scale_h": 1}


def _zero_life(doc: dict) -> None:  # type: ignore[type-arg]
    doc["component_types"]["tensioner"]["life"] = {
        "distribution": "empirical",
        "samples_h": [0, 0, 0],
    }


CASES = {
    "all task costs 0": (
        _all_costs_zero,
        "fleet.sites[0].systems[0].components[0].preventive",
        "costs nothing",
    ),
    "life with an infinite mean": (
        _infinite_mean_life,
        "component_types.belt.life",
        "shape is too small",
    ),
    "response delay with an infinite mean": (
        _infinite_mean_response,
        "crews[0].response_delay_h",
        "shape is too small",
    ),
    "life of 0 h": (
        _zero_life,
        "component_types.tensioner.life.samples_h",
        "every sample is 0 h",
    ),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(CASES))
def test_every_command_rejects_what_validate_rejects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, command: str
) -> None:
    mutate, path, words = CASES[case]
    doc = yaml.safe_load((ROOT / "scenarios" / "conveyor.yaml").read_text(encoding="utf-8"))
    mutate(doc)
    file = tmp_path / "s.yaml"
    file.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code, _, err = _run(capsys, command, str(file), *COMMANDS[command])
    assert code == 2, err
    assert path in err and words in err, err
    assert "internal error" not in err and "Traceback" not in err


def test_plan_infeasible_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the gearbox is at its life limit today and its spare part arrives in six weeks
    doc = yaml.safe_load((ROOT / "scenarios" / "conveyor.yaml").read_text(encoding="utf-8"))
    doc["component_types"]["gearbox"]["max_age_h"] = 30500
    file = tmp_path / "s.yaml"
    file.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert _run(capsys, "validate", str(file))[0] == 0
    code, out, _ = _run(capsys, "plan", str(file), "--time-limit-s", "5")
    assert code == 3, out


def test_internal_error_exits_1_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.delenv("OPPORTUNE_DEBUG", raising=False)
    monkeypatch.setattr("optimizer.problem.build.build_problem", boom)  # what info calls
    code, _, err = _run(capsys, "info", str(ROOT / "scenarios" / "conveyor.yaml"))
    assert code == 1
    assert "error: RuntimeError: boom" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ("simulate", "scenarios/conveyor.yaml", "--strategy", "x"),  # bad option value
        ("simulate", "scenarios/conveyor.yaml"),  # missing required option
        ("validate", "scenarios/conveyor.yaml", "--bogus"),  # unknown option
    ],
)
def test_bad_or_missing_options_exit_2(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    assert _run(capsys, *argv)[0] == 2


COMMAND_CODES = {
    ("validate",): {0, 1, 2},
    ("schema",): {0, 1},
    ("info",): {0, 1, 2},
    ("plan",): {0, 1, 2, 3},
    ("check",): {0, 1, 2, 4},
    ("simulate",): {0, 1, 2},
    ("compare",): {0, 1, 2},
    ("risk",): {0, 1, 2},
    ("serve",): {0, 1, 2},
    ("keys", "create"): {0, 1, 2},
    ("keys", "list"): {0, 1},
    ("keys", "revoke"): {0, 1, 2},
    ("import", "assets"): {0, 1, 2},
    ("fit",): {0, 1, 2},
    ("benchmark",): {0, 1, 2},
}


@pytest.mark.parametrize("command", list(COMMAND_CODES), ids=" ".join)
def test_help_lists_the_exit_codes_of_each_command(
    capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    code, out, _ = _run(capsys, *command, "--help")
    assert code == 0
    text = " ".join(out.replace("│", " ").split())
    listed = {int(c) for c in re.findall(r"(?:Exit codes:|;) (\d+) ", text)}
    assert listed == COMMAND_CODES[command] | {130}, text


def test_readme_documents_every_exit_code() -> None:
    section = README.split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = {int(m) for m in re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)}
    assert rows == set(EXIT_CODES) == {0, 1, 2, 3, 4, 130}
    assert "`--strategy` is required" in section


# ---------------------------------------------------------------------------------
# Property test: any scenario that validates can be priced (what info, plan and
# simulate all start with)
# ---------------------------------------------------------------------------------
def _numeric_leaves(obj: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in _numeric_leaves(v, (*prefix, k))]
    if isinstance(obj, list):
        return [p for j, v in enumerate(obj) for p in _numeric_leaves(v, (*prefix, j))]
    if isinstance(obj, int | float) and not isinstance(obj, bool):
        return [prefix]
    return []


SCENARIOS = {
    name: yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8"))
    for name in ("conveyor", "windfarm", "plant")
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.data(),
    st.sampled_from(sorted(SCENARIOS)),
    st.lists(
        st.sampled_from([0, 1e-9, 1e-3, 0.01, 1, 100, 1e5, 1e9]) | st.floats(0, 1e6),
        min_size=1,
        max_size=4,
    ),
)
def test_a_valid_scenario_can_always_be_priced(
    data: st.DataObject, name: str, values: list[float]
) -> None:
    import copy

    doc = copy.deepcopy(SCENARIOS[name])
    paths = _numeric_leaves(doc)
    for v in values:
        path = data.draw(st.sampled_from(paths))
        cur = doc
        for key in path[:-1]:
            cur = cur[key]  # type: ignore[index]
        cur[path[-1]] = v  # type: ignore[index]
    try:
        scn = parse_scenario(doc)
    except ScenarioError:
        return
    fleet_model(scn)  # raises on what validation let through


@pytest.mark.parametrize("scale_h", [1.1e-308, 1e-6])
def test_an_age_beyond_the_life_support_is_a_validation_error(scale_h: float) -> None:
    """A Weibull scale so small that S(age) underflows to 0 (found by the property test
    above: scale_h 1.1e-308) is refused by validation, naming the component's age, instead of
    reaching ``residual_life`` ("beyond the support") as an internal error."""
    import copy

    doc = copy.deepcopy(SCENARIOS["conveyor"])
    ctype = next(iter(doc["component_types"].values()))
    ctype["life"] = {"distribution": "weibull", "shape": 50.0, "scale_h": scale_h}
    with pytest.raises(ScenarioError, match=r"age_h.*beyond the life distribution's support"):
        parse_scenario(doc)
    # A merely tiny (but representable) survival is still a valid scenario.
    ctype["life"] = {"distribution": "weibull", "shape": 2.0, "scale_h": 1e-3}
    fleet_model(parse_scenario(doc))
