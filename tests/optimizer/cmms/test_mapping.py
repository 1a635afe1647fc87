"""read_mapped: the shared "read table, resolve columns, raise problems" step of the
asset-register and history readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.cmms.assets import import_assets
from optimizer.cmms.history import read_history
from optimizer.cmms.mapping import load_mapping, preset_mapping, read_mapped
from optimizer.cmms.tables import CmmsInputError, read_table

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "cmms"


def _write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_history_columns_of_a_preset(tmp_path: Path) -> None:
    p = _write(tmp_path, "ASSETNUM,ACTFINISH,WORKTYPE,EXTRA\nP1,01/02/2020,CM,x\n")
    df, cols = read_mapped(p, preset_mapping("maximo"), "history")
    # the table is read_table's, untouched; only the mapped columns present are returned
    assert df.equals(read_table(p))
    assert cols == {"asset_id": "ASSETNUM", "removal_date": "ACTFINISH", "reason": "WORKTYPE"}


def test_asset_columns_with_a_mapping_file() -> None:
    mapping = load_mapping(DATA / "mapping_sap.yaml")
    df, cols = read_mapped(DATA / "plant_register_sap.csv", mapping, "assets")
    header = set(read_table(DATA / "plant_register_sap.csv").columns)
    assert set(cols.values()) <= header
    assert {"asset_id", "type", "system"} <= set(cols)
    assert all(mapping.asset_columns[f] == c for f, c in cols.items())
    assert len(df) > 0


def test_every_column_problem_is_raised_at_once(tmp_path: Path) -> None:
    # the history needs asset_id, removal_date and reason: two of them are missing
    p = _write(tmp_path, "asset_id,when\nA,2020-01-01\n")
    with pytest.raises(CmmsInputError) as info:
        read_mapped(p, preset_mapping("generic"), "history")
    missing = {pr.column for pr in info.value.problems}
    assert missing == {"removal_date", "reason"}
    assert all(pr.row == 1 and pr.file == str(p) for pr in info.value.problems)


@pytest.mark.parametrize("table", ["assets", "history"])
def test_both_readers_report_the_same_column_problems(tmp_path: Path, table: str) -> None:
    p = _write(tmp_path, "nothing\nx\n")
    mapping = preset_mapping("generic")
    with pytest.raises(CmmsInputError) as direct:
        read_mapped(p, mapping, table)  # type: ignore[arg-type]
    with pytest.raises(CmmsInputError) as via:
        if table == "assets":
            import_assets(p, mapping, {})
        else:
            read_history(p, mapping)
    assert via.value.problems == direct.value.problems


def test_unknown_table_is_rejected(tmp_path: Path) -> None:
    p = _write(tmp_path, "asset_id\nA\n")
    with pytest.raises(ValueError, match="table"):
        read_mapped(p, preset_mapping(), "orders")  # type: ignore[arg-type]
