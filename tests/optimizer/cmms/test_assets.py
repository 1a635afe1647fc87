"""Asset-register import: presets, CSV dialects, the merge rule, every bad row reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from optimizer.cmms.assets import dump_scenario, import_assets, load_scenario_data
from optimizer.cmms.mapping import load_mapping, preset_mapping
from optimizer.cmms.tables import CmmsInputError, read_table
from optimizer.loading import load_scenario

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "cmms"
PLANT = ROOT / "scenarios" / "plant.yaml"
CONVEYOR = ROOT / "scenarios" / "conveyor.yaml"


def _comps(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        c["id"]: c for s in data["fleet"]["sites"] for sy in s["systems"] for c in sy["components"]
    }


def test_sap_register_into_plant() -> None:
    """BOM, ';', dd.mm.yyyy, leading zeros, SAP object-type codes, missing optional columns."""
    df = read_table(DATA / "plant_register_sap.csv")
    assert df.columns[0] == "EQUNR"  # the BOM is not part of the first header
    data = load_scenario_data(PLANT)
    res = import_assets(
        DATA / "plant_register_sap.csv", load_mapping(DATA / "mapping_sap.yaml"), data
    )
    assert len(res.added) == 3 and len(res.updated) == 100
    assert res.created_systems == ("PLANT-WS/L4",)
    comps = _comps(res.data)
    new = comps["000010004711"]  # leading zeros kept: the id is text
    assert new["type"] == "servo_motor" and new["installed_on"] == date(2019, 3, 14)
    # a row with a start-up date replaces age_h by installed_on; hand-edited fields stay
    first = df.iloc[0]
    old = _comps(data)[first["EQUNR"]]
    got = comps[first["EQUNR"]]
    assert (
        "age_h" not in got
        and got["installed_on"]
        == pd.Timestamp(pd.to_datetime(first["INBDT"], format="%d.%m.%Y")).date()
    )
    assert got["position"] == first["TPLNR"]
    for key in set(old) - {"age_h", "installed_on", "position", "type"}:
        assert got[key] == old[key]
    # the prognostics of the press gearbox (hand-written) survive
    assert comps["L1-GBX-MAIN"]["prognostics"] == _comps(data)["L1-GBX-MAIN"]["prognostics"]
    # rows without a date keep their age
    no_date = df[df["INBDT"] == ""]["EQUNR"].iloc[0]
    assert comps[no_date]["age_h"] == _comps(data)[no_date]["age_h"]
    # the data does not change the input and validates
    assert data != res.data
    assert data["fleet"] == load_scenario_data(PLANT)["fleet"]


def test_reimport_merges_and_is_idempotent(tmp_path: Path) -> None:
    scn = tmp_path / "plant.yaml"
    scn.write_bytes(PLANT.read_bytes())
    mapping = load_mapping(DATA / "mapping_sap.yaml")
    first = import_assets(DATA / "plant_register_sap.csv", mapping, load_scenario_data(scn))
    dump_scenario(first.data, scn)
    # a planner edits a component by hand
    data = load_scenario_data(scn)
    comp = _comps(data)["L1-HOP"]
    comp["max_p_fail"] = 0.2
    comp["skill"] = "mechanical"
    dump_scenario(data, scn)
    second = import_assets(DATA / "plant_register_sap.csv", mapping, load_scenario_data(scn))
    assert second.added == () and len(second.updated) == 103
    got = _comps(second.data)["L1-HOP"]
    assert got["max_p_fail"] == 0.2 and got["skill"] == "mechanical"
    assert second.data == load_scenario_data(scn)  # nothing else changes
    load_scenario(scn)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_every_bad_row_reported_and_nothing_written(tmp_path: Path) -> None:
    reg = _write(
        tmp_path,
        "bad.csv",
        "asset_id,type,system,site,install_date,running_h\n"
        "C1-MOT,drive_motor,C1,PLANT-A,2020-01-01,\n"  # row 2 fine
        "C1-GBX,gear_box,C1,PLANT-A,,100\n"  # row 3 unknown type
        "C1-MOT,drive_motor,C1,PLANT-A,,\n"  # row 4 duplicate id
        "C1-BELT,belt,C1,PLANT-A,,-5\n"  # row 5 negative hours
        "C1-TNS-A,tensioner,C1,PLANT-A,31.02.2020,\n"  # row 6 impossible date
        "C1-X,belt,C9,PLANT-A,,\n"  # row 7 unknown system, no system_defaults
        "C1-Y,belt,C1,PLANT-A,2031-01-01,\n",  # row 8 after the plan start
    )
    scn = tmp_path / "conveyor.yaml"
    scn.write_bytes(CONVEYOR.read_bytes())
    before = scn.read_bytes()
    with pytest.raises(CmmsInputError) as exc:
        import_assets(reg, preset_mapping("generic"), load_scenario_data(scn))
    where = {(p.row, p.column) for p in exc.value.problems}
    assert (3, "type") in where
    assert (4, "asset_id") in where
    assert (5, "running_h") in where
    assert (6, "install_date") in where
    assert (8, "install_date") in where
    assert all(p.file == str(reg) for p in exc.value.problems)
    assert "duplicate asset id 'C1-MOT' (first on row 2)" in str(exc.value.problems)
    assert scn.read_bytes() == before
    # the unknown system is found once the rows are clean
    clean = _write(tmp_path, "sys.csv", "asset_id,type,system,site\nC1-X,belt,C9,PLANT-A\n")
    with pytest.raises(CmmsInputError) as exc2:
        import_assets(clean, preset_mapping("generic"), load_scenario_data(scn))
    assert [(p.row, p.column) for p in exc2.value.problems] == [(2, "system")]


def test_unknown_mapping_column_and_field(tmp_path: Path) -> None:
    reg = _write(tmp_path, "r.csv", "asset_id,type,system,site\nC1-MOT,drive_motor,C1,PLANT-A\n")
    m = _write(tmp_path, "m.yaml", "columns: {running_h: Betriebsstunden}\n")
    with pytest.raises(CmmsInputError) as exc:
        import_assets(reg, load_mapping(m), load_scenario_data(CONVEYOR))
    assert exc.value.problems[0].column == "Betriebsstunden"
    assert exc.value.problems[0].row == 1
    bad = _write(tmp_path, "b.yaml", "columns: {asset_number: X}\n")
    with pytest.raises(CmmsInputError, match="unknown field"):
        load_mapping(bad)
    with pytest.raises(CmmsInputError, match="preset"):
        load_mapping(_write(tmp_path, "p.yaml", "preset: oracle\n"))


def test_xlsx_register_with_real_date_cells(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "ASSETNUM": ["C1-MOT", "C1-GBX"],
            "ASSETTYPE": ["drive_motor", "gearbox"],
            "PARENT": ["C1", "C1"],
            "SITEID": ["PLANT-A", "PLANT-A"],
            "INSTALLDATE": [pd.Timestamp("2019-05-06"), pd.Timestamp("2021-11-30 08:15")],
        }
    )
    path = tmp_path / "asset.xlsx"
    df.to_excel(path, index=False)
    res = import_assets(path, preset_mapping("maximo"), load_scenario_data(CONVEYOR))
    comps = _comps(res.data)
    assert comps["C1-MOT"]["installed_on"] == date(2019, 5, 6)
    assert comps["C1-GBX"]["installed_on"] == date(2021, 11, 30)
    assert len(res.notes) == 1 and "not in the register" in res.notes[0]


def test_us_dates_for_maximo_and_semicolon(tmp_path: Path) -> None:
    reg = tmp_path / "a.csv"
    reg.write_bytes(
        "\ufeffASSETNUM;ASSETTYPE;PARENT;SITEID;INSTALLDATE\r\n"
        "C1-MOT;drive_motor;C1;PLANT-A;3/4/2020\r\n".encode()
    )
    res = import_assets(reg, preset_mapping("maximo"), load_scenario_data(CONVEYOR))
    assert _comps(res.data)["C1-MOT"]["installed_on"] == date(2020, 3, 4)  # March 4 (US)


def test_dump_is_atomic_on_invalid(tmp_path: Path) -> None:
    scn = tmp_path / "c.yaml"
    scn.write_bytes(CONVEYOR.read_bytes())
    data = load_scenario_data(scn)
    data["currency"] = "euro"
    with pytest.raises(Exception, match="currency"):
        dump_scenario(data, scn)
    assert scn.read_bytes() == CONVEYOR.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]  # no temporary file left
    ok = yaml.safe_load(scn.read_text())
    assert ok["currency"] == "EUR"


def test_json_scenario_stays_json(tmp_path: Path) -> None:
    import json

    scn = tmp_path / "c.json"
    scn.write_text(json.dumps(load_scenario_data(CONVEYOR), default=str), encoding="utf-8")
    reg = _write(
        tmp_path,
        "r.csv",
        "asset_id,type,system,site,install_date\nC1-MOT,drive_motor,C1,PLANT-A,2020-05-01\n",
    )
    res = import_assets(reg, preset_mapping("generic"), load_scenario_data(scn))
    dump_scenario(res.data, scn)
    back = json.loads(scn.read_text(encoding="utf-8"))
    assert _comps(back)["C1-MOT"]["installed_on"] == "2020-05-01"
    assert load_scenario(scn).calendar.timezone == "Europe/Berlin"


def test_duplicate_header_and_blank_columns(tmp_path: Path) -> None:
    dup = _write(tmp_path, "d.csv", "asset_id;type;asset_id\n1;2;3\n")
    with pytest.raises(CmmsInputError) as exc:
        read_table(dup)
    assert [(p.row, p.column) for p in exc.value.problems] == [(1, "asset_id")]
    blank = _write(tmp_path, "b.csv", "asset_id,,type,\n0042,,x,note\n")
    df = read_table(blank)
    assert list(df.columns) == ["asset_id", "type", "column 4"]
    assert df.loc[2, "asset_id"] == "0042"
