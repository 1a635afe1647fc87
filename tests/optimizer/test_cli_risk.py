"""`opportune risk` end to end: JSON fields, CSV safety, console escaping, bad options."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from numpy.testing import assert_allclose

from optimizer.cli import main
from optimizer.loading import load_scenario
from optimizer.risk import system_risk

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    cap = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), cap.out, cap.err


def test_json_has_the_documented_fields_and_matches_the_core(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(capsys, "risk", "scenarios/plant.yaml", "--days", "30", "--json")
    assert code == 0, err
    doc = json.loads(out)
    ref = system_risk(load_scenario(ROOT / "scenarios" / "plant.yaml"), 30)
    assert [s["system_id"] for s in doc["systems"]] == [s.system_id for s in ref.systems]
    for s, r in zip(doc["systems"], ref.systems, strict=True):
        assert_allclose(s["p_down"], r.p_down)
        assert_allclose(s["expected_loss"], r.expected_loss)
        assert [d["component_id"] for d in s["drivers"]] == [d.component_id for d in r.drivers]
        assert all({"component_id", "importance"} <= set(d) for d in s["drivers"])
    losses = [s["expected_loss"] for s in doc["systems"]]
    assert losses == sorted(losses, reverse=True)


def test_csv_neutralises_formulas_and_console_escapes_markup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = yaml.safe_load((ROOT / "scenarios" / "conveyor.yaml").read_text(encoding="utf-8"))
    system = doc["fleet"]["sites"][0]["systems"][0]
    system["name"] = '=HYPERLINK("http://x","[bold]y[/bold]")'
    system["id"] = "@C1"
    file = tmp_path / "s.yaml"
    file.write_text(yaml.safe_dump(doc), encoding="utf-8")
    out_csv = tmp_path / "risk.csv"
    code, out, err = _run(capsys, "risk", str(file), "--csv", str(out_csv))
    assert code == 0, err
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert rows[0]["name"].startswith("'=HYPERLINK")
    assert rows[0]["system_id"] == "'@C1"
    assert float(rows[0]["p_down"]) > 0  # numbers stay numbers
    assert "[bold]y[/bold]" in out  # printed literally, not as markup


@pytest.mark.parametrize("days", ["0", "-3", "5000", "nan"])
def test_bad_window_exits_2_naming_the_option(
    capsys: pytest.CaptureFixture[str], days: str
) -> None:
    code, _, err = _run(capsys, "risk", "scenarios/conveyor.yaml", "--days", days)
    assert code == 2
    assert "--days" in err and "Traceback" not in err


def test_repair_simulation_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        capsys, "risk", "scenarios/conveyor.yaml", "--repair", "--replications", "2000", "--json"
    )
    assert code == 0, err
    (c1,) = json.loads(out)["systems"]
    assert c1["method"].startswith("simulation")
    lo, hi = c1["p_down_ci"]
    assert lo <= c1["p_down"] <= hi
