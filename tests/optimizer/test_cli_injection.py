"""User text stays text: in the console (rich markup), in HTML reports, in spreadsheets."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from optimizer.cli import main
from optimizer.report.export import neutralise, write_csv, write_xlsx
from optimizer.report.html import Section, Table, render_page, table_html, trusted

ROOT = Path(__file__).resolve().parents[2]
CONVEYOR = ROOT / "scenarios" / "conveyor.yaml"
NAME = "Line 3 [/old] Pump [spare] :warning: [bold]x"
SYSTEM = '=HYPERLINK("http://evil","x") [/]'


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    cap = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), cap.out, cap.err


def _doc() -> dict[str, Any]:
    doc = yaml.safe_load(CONVEYOR.read_text())
    doc["name"] = NAME
    doc["fleet"]["sites"][0]["systems"][0]["name"] = SYSTEM
    return doc  # type: ignore[no-any-return]


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "names.yaml"
    path.write_text(yaml.safe_dump(_doc()))
    return path


@pytest.mark.parametrize("command", ["validate", "info"])
def test_names_print_verbatim(
    scenario: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # before: "[/old]" crashed validate and info with a MarkupError (exit 1), and
    # "Pump [spare]" printed as "Pump "
    code, out, err = _run(capsys, command, str(scenario))
    assert code == 0, err
    assert NAME in out


def test_unknown_key_that_looks_like_markup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc()
    doc["[/]"] = 1
    doc["[bold]x"] = 2
    path = tmp_path / "keys.yaml"
    path.write_text(yaml.safe_dump(doc))
    code, _, err = _run(capsys, "validate", str(path))
    assert code == 2
    assert "[/]: unknown key" in err
    assert "[bold]x: unknown key" in err


def test_plan_prints_names_and_neutralises_csv(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code, out, err = _run(
        capsys, "plan", str(scenario), "--time-limit-s", "5", "--out", str(out_dir)
    )
    assert code == 0, err
    assert NAME in out
    for name in ("work_orders.csv", "purchase_orders.csv"):
        with (out_dir / name).open(newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------
EVIL = "\x00<img src=x onerror=alert(1)>"


def test_a_cell_is_never_trusted_html_by_its_content() -> None:
    # before: a cell starting with "\x00" was written as raw HTML
    out = table_html(Table(["c"], [[EVIL], [trusted("<i>ok</i>")]]))
    assert "<img" not in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "<i>ok</i>" in out


def test_plain_strings_in_page_slots_are_escaped() -> None:
    page = render_page(
        title="<script>t</script>",
        subtitle="<b>s</b>",
        lead="<img src=x onerror=alert(1)>",  # type: ignore[arg-type]  # not Html: escaped
        sections=[Section(id="s", title="<u>", html="<svg onload=1>", notes=["<b>n</b>"])],  # type: ignore[arg-type]
        footer="<i>f</i>",
        generator="test",
    )
    for raw in ("<script>t", "<img src=x", "<svg onload", "<b>n</b>", "<i>f</i>", "<u>"):
        assert raw not in page


def test_plan_report_escapes_scenario_text(tmp_path: Path) -> None:
    from optimizer.loading import parse_scenario
    from optimizer.planning.pipeline import plan_scenario
    from optimizer.report.plan_report import plan_report_html

    doc = _doc()
    doc["name"] = "<img src=x onerror=alert(1)>"
    doc["fleet"]["sites"][0]["systems"][0]["name"] = "</script><script>alert(2)</script>"
    html = plan_report_html(plan_scenario(parse_scenario(doc), time_limit_s=5))
    assert "<img src=x" not in html
    assert "<script>alert(2)" not in html


# --------------------------------------------------------------------------------------
# Spreadsheets (CWE-1236)
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("a")'])
def test_formula_text_is_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["a=1", "1", "x-", -1, -2.5, 0, None])
def test_other_values_are_untouched(value: object) -> None:
    assert neutralise(value) == value


def test_exports_keep_numbers_and_neutralise_text(tmp_path: Path) -> None:
    df = pd.DataFrame({"name": ['=HYPERLINK("http://x","y")', "ok"], "cost": [-5.0, 3.0]})
    write_csv(df, tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv")
    assert list(back["name"]) == ['\'=HYPERLINK("http://x","y")', "ok"]
    assert list(back["cost"]) == [-5.0, 3.0]
    write_xlsx({"Assumptions": df}, tmp_path / "t.xlsx")
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    ws = load_workbook(tmp_path / "t.xlsx")["Assumptions"]
    assert ws["A2"].data_type == "s"
    assert ws["A2"].value == '\'=HYPERLINK("http://x","y")'
    assert ws["B2"].value == -5.0 and ws["B2"].data_type == "n"


# --------------------------------------------------------------------------------------
# Outputs are checked before any work
# --------------------------------------------------------------------------------------
def _unwritable(tmp_path: Path) -> list[tuple[str, ...]]:
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "plan.json").mkdir()
    return [
        ("plan", "--out", str(a_file)),  # before: FileExistsError (exit 1) after the solve
        ("plan", "--out", str(a_file / "sub")),
        ("plan", "--out", str(tmp_path / "dir")),  # plan.json inside is a folder
        ("plan", "--report", str(a_file / "r.html")),
        ("plan", "--xlsx", str(a_file / "r.xlsx")),
        ("compare", "--report", str(a_file / "r.html")),
        ("compare", "--xlsx", str(a_file / "x" / "r.xlsx")),
    ]


def test_unwritable_outputs_exit_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import optimizer.cli as cli

    def _no_load(*_: object) -> None:
        raise AssertionError("the scenario was loaded before the outputs were checked")

    monkeypatch.setattr(cli, "_load", _no_load)
    for command, option, value in _unwritable(tmp_path):
        code, _, err = _run(capsys, command, str(CONVEYOR), option, value)
        assert code == 2, (command, option, value, err)
        assert option in err
        assert "a_file" in err or "plan.json" in err
