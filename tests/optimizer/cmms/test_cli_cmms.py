"""The round trip from the command line: import a register and a history, fit, plan,
export for a CMMS; bad input exits 2 listing file, row and column, writing nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer.cli import main
from optimizer.loading import load_scenario

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "cmms"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    cap = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else (0 if code is None else 1)), cap.out, cap.err


def test_round_trip_conveyor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scn = tmp_path / "conveyor.yaml"
    shutil.copy(ROOT / "scenarios" / "conveyor.yaml", scn)
    code, out, err = _run(
        capsys, "import", "assets", str(DATA / "conveyor_register.csv"), "--into", str(scn)
    )
    assert code == 0, err
    assert "7 updated" in out
    before = scn.read_bytes()
    code, out, err = _run(
        capsys, "fit", str(DATA / "conveyor_history.csv"), "--scenario", str(scn), "--json"
    )
    assert code == 0, err
    assert scn.read_bytes() == before  # --scenario only reads
    read_only = json.loads(out)
    code, out, err = _run(
        capsys, "fit", str(DATA / "conveyor_history.csv"), "--into", str(scn), "--json",
        "--report", str(tmp_path / "fit.html"),
    )  # fmt: skip
    assert code == 0, err
    fits = json.loads(out)
    assert fits["groups"] == read_only["groups"]
    fitted = {g["key"]: g for g in fits["groups"] if g["family"]}
    assert fitted, fits
    loaded = load_scenario(scn)
    for key, g in fitted.items():
        ct = loaded.component_types[key]
        assert ct.life is not None and ct.life.distribution == g["family"]
        assert ct.life_fit is not None and ct.life_fit.source == "conveyor_history.csv"
    assert "Probability plots" in (tmp_path / "fit.html").read_text()
    out_dir = tmp_path / "out"
    code, out, err = _run(
        capsys, "plan", str(scn), "--out", str(out_dir), "--format", "sap", "--time-limit-s", "20"
    )
    assert code == 0, err
    header = pd.read_csv(out_dir / "ORDER_HEADER.csv", dtype=str, encoding="utf-8-sig")
    orders = json.loads((out_dir / "work_orders.json").read_text())
    assert list(header.AUFNR) == [w["id"] for w in orders]
    ops = pd.read_csv(out_dir / "OPERATIONS.csv", dtype=str, encoding="utf-8-sig")
    assert len(ops) == sum(len(w["labor"]) for w in orders)
    wb = openpyxl.load_workbook(out_dir / "cmms_sap.xlsx")
    assert wb.sheetnames == ["ORDER_HEADER", "OPERATIONS", "COMPONENTS", "PURCHASE_REQUISITIONS"]


def test_plant_register_and_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scn = tmp_path / "plant.yaml"
    shutil.copy(ROOT / "scenarios" / "plant.yaml", scn)
    code, out, err = _run(
        capsys, "import", "assets", str(DATA / "plant_register_sap.csv"),
        "--map", str(DATA / "mapping_sap.yaml"), "--into", str(scn), "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["added"] == 3
    code, out, err = _run(
        capsys, "fit", str(DATA / "plant_history_maximo.csv"),
        "--map", str(DATA / "mapping_maximo.yaml"), "--into", str(scn),
    )  # fmt: skip
    assert code == 0, err
    scenario = load_scenario(scn)
    assert scenario.component_types["servo_motor"].life_fit is not None
    ids = {c.id for c in scenario.components()}
    assert "000010004711" in ids
    code, out, err = _run(
        capsys, "benchmark", str(DATA / "plant_history_maximo.csv"),
        "--map", str(DATA / "mapping_maximo.yaml"), "--scenario", str(scn), "--by", "asset",
        "--json", "--report", str(tmp_path / "bench.html"),
    )  # fmt: skip
    assert code == 0, err
    bench = json.loads(out)
    assert bench["by"] == "asset" and bench["groups"]
    assert "Fleet benchmarking" in (tmp_path / "bench.html").read_text()


def test_bad_register_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scn = tmp_path / "conveyor.yaml"
    shutil.copy(ROOT / "scenarios" / "conveyor.yaml", scn)
    before = scn.read_bytes()
    reg = tmp_path / "r.csv"
    reg.write_text(
        "asset_id,type,system,site,running_h\n"
        "C1-MOT,drive_motor,C1,PLANT-A,-1\n"
        "C1-MOT,motor,C1,PLANT-A,5\n",
        encoding="utf-8",
    )
    code, _, err = _run(capsys, "import", "assets", str(reg), "--into", str(scn))
    assert code == 2
    assert f"{reg}: row 2, column 'running_h': negative value" in err
    assert f"{reg}: row 3, column 'asset_id': duplicate asset id" in err
    assert f"{reg}: row 3, column 'type': unknown type 'motor'" in err
    assert scn.read_bytes() == before
    code, out, _ = _run(capsys, "import", "assets", str(reg), "--into", str(scn), "--json")
    assert code == 2 and len(json.loads(out)["problems"]) == 3
    # history problems and option errors
    hist = tmp_path / "h.csv"
    hist.write_text("asset_id,removal_date,reason\nC1-MOT,2020-01-01,boom\n", encoding="utf-8")
    code, _, err = _run(capsys, "fit", str(hist), "--into", str(scn))
    assert code == 2 and "row 2, column 'reason': unknown reason 'boom'" in err
    assert _run(capsys, "fit", str(hist), "--by", "site", "--into", str(scn))[0] == 2
    assert _run(capsys, "fit", str(hist), "--family", "gamma")[0] == 2
    typed = tmp_path / "t.csv"
    typed.write_text(
        "asset_id,type,install_date,removal_date,reason\nA,t,2019-01-01,2020-01-01,failure\n",
        "utf-8",
    )
    assert _run(capsys, "fit", str(typed), "--by", "site")[0] == 2  # no site column
    assert _run(capsys, "plan", str(scn), "--format", "maximo")[0] == 2  # needs --out
    assert scn.read_bytes() == before


def test_benchmark_cli_flags_planted_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    rows = ["asset_id,type,site,install_date,removal_date,reason"]
    start = pd.Timestamp("2010-01-01")
    as_of = pd.Timestamp("2016-01-01")
    for s, scale_days in (("NORTH", 900), ("SOUTH", 900), ("EAST", 900), ("WEST", 450)):
        for a in range(12):  # each position renewed again and again until the as-of date
            inst = start
            while True:
                life = scale_days * rng.weibull(2.0)
                pm = rng.uniform(300, 1200)
                end = inst + pd.Timedelta(days=int(min(life, pm)) + 1)
                if end > as_of:
                    break
                why = "failure" if life < pm else "preventive"
                first = str(inst.date()) if inst == start else ""
                rows.append(f"{s}-{a:03d},pump,{s},{first},{end.date()},{why}")
                inst = end
    hist = tmp_path / "fleet.csv"
    hist.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = _run(capsys, "benchmark", str(hist), "--as-of", "2016-01-01", "--json")
    assert code == 0, err
    assert json.loads(out)["flagged"] == ["WEST"]
    code, out, _ = _run(capsys, "benchmark", str(hist), "--as-of", "2016-01-01")
    assert code == 0 and "UNDER-PERFORMER" in out and "WEST" in out


def test_fit_reports_zero_length_censored_lives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = tmp_path / "h.csv"
    h.write_text(
        "asset_id;type;install_date;removal_date;reason\n"
        "A;t;01.01.2020;11.01.2020;failure\n"
        "B;t;01.01.2020;21.01.2020;failure\n"
        "C;t;05.01.2020;05.01.2020;PM\n",  # removed the day it was installed
        encoding="utf-8",
    )
    code, out, err = _run(capsys, "fit", str(h), "--as-of", "2020-02-01", "--json")
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert any(n.startswith("1 censored life(s) of 0 h") for n in notes), notes
    code, out, err = _run(capsys, "fit", str(h), "--as-of", "2020-02-01")
    assert code == 0, err
    assert "1 censored life(s) of 0 h" in " ".join(out.split())
