"""``opportune whatif``: exit codes, JSON, the HTML report (user text escaped)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from optimizer.cli import main

ROOT = Path(__file__).resolve().parents[2]
CONVEYOR = ROOT / "scenarios" / "conveyor.yaml"
GOOD = ("--option", "replace C1-GBX on 2027-02-16", "--option", "defer C1-GBX")
FAST = ("--replications", "4", "--seed", "1", "--workers", "1", "--days", "60")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    cap = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), cap.out, cap.err


def test_json_answer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "whatif", str(CONVEYOR), *GOOD, *FAST, "--json")
    assert code == 0
    doc = json.loads(out)
    assert [o["option"]["text"] for o in doc["options"]] == [GOOD[1], GOOD[3]]
    assert doc["cheaper"]["best"] in ("option 1", "option 2")
    first, second = doc["options"]
    assert first["paired"] == {} and "cost_total" in second["paired"]
    # the headline is the sum of the categories
    total = first["kpis"]["cost_total"]["mean"]
    parts = sum(
        v["mean"] for k, v in first["kpis"].items() if k.startswith("cost_") and k != "cost_total"
    )
    assert parts == pytest.approx(total, rel=1e-9)
    assert 0.0 <= first["actions"][0]["p_fail_exact"] <= 1.0


def test_table_and_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    doc = yaml.safe_load(CONVEYOR.read_text(encoding="utf-8"))
    doc["name"] = "<script>alert(1)</script> [bold]x[/bold]"
    scn = tmp_path / "evil.yaml"
    scn.write_text(yaml.safe_dump(doc), encoding="utf-8")
    report = tmp_path / "whatif.html"
    code, out, _ = _run(capsys, "whatif", str(scn), *GOOD, *FAST, "--report", str(report))
    assert code == 0
    assert "[bold]x[/bold]" in out  # printed literally, not as markup
    assert "cheaper" in out and "less risky" in out
    page = report.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "replace C1-GBX on 2027-02-16" in page
    assert '<div class="headline">' in page  # the report's own HTML is not escaped


@pytest.mark.parametrize(
    ("opt", "words"),
    [
        ("replace NOPE on 2027-02-16", "unknown component 'NOPE'"),
        ("replace C1-GBX on 2030-01-01", "outside the horizon"),
        ("replace C1-GBX on 2027-01-12", "part GBX-25"),  # none in stock in time
        ("replace C1-GBX on 2027-02-21", "no crew"),  # a Sunday: MECH-DAY is off
        ("fix C1-GBX", "expected 'replace"),
    ],
)
def test_bad_options_exit_2_naming_the_option(
    capsys: pytest.CaptureFixture[str], opt: str, words: str
) -> None:
    code, _, err = _run(capsys, "whatif", str(CONVEYOR), "--option", opt, *FAST)
    assert code == 2
    flat = " ".join(err.split())
    assert opt in flat and words in flat
    code, out, _ = _run(capsys, "whatif", str(CONVEYOR), "--option", opt, *FAST, "--json")
    assert code == 2
    doc = json.loads(out)
    assert doc["valid"] is False and doc["option"] == opt


def test_missing_option_and_bad_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, _ = _run(capsys, "whatif", str(CONVEYOR))
    assert code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: 3\n", encoding="utf-8")
    code, _, _ = _run(capsys, "whatif", str(bad), *GOOD)
    assert code == 2
