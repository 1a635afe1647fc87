"""CMMS exports: one row per labour / material line, real date cells, exact field names,
requisition totals, formula injection neutralised."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optimizer.cmms.assets import load_scenario_data
from optimizer.cmms.exports import OBJECTS, cmms_tables
from optimizer.loading import parse_scenario
from optimizer.planning.pipeline import PlanResult, plan_scenario
from optimizer.report.export import neutralise, write_cmms_files

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def conveyor_result() -> PlanResult:
    """The conveyor with an empty store: the plan must buy its parts (requisitions)."""
    data = load_scenario_data(ROOT / "scenarios" / "conveyor.yaml")
    for part in data["inventory"]["parts"]:
        part["on_hand"] = 0
        part.pop("on_order", None)
    res = plan_scenario(parse_scenario(data))
    assert res.purchase_orders
    return res


@pytest.mark.parametrize("fmt", ["maximo", "sap", "generic"])
def test_tables_one_row_per_line(conveyor_result: PlanResult, fmt: str) -> None:
    res = conveyor_result
    tables = cmms_tables(res, fmt)  # type: ignore[arg-type]
    wo, lab, mat, pr = (tables[n] for n in OBJECTS[fmt])
    assert len(wo) == len(res.orders) > 0
    assert len(lab) == sum(len(w.labor) for w in res.orders)
    assert len(mat) == sum(len(w.materials) for w in res.orders)
    assert len(pr) == len(res.purchase_orders)
    g = cmms_tables(res, "generic")
    gw, gl, gm, gp = (g[n] for n in OBJECTS["generic"])
    # labour: quantity and hours per line, the total is their product
    expect = [(lb.skill, lb.qty, lb.hours) for w in res.orders for lb in w.labor]
    assert list(zip(gl.skill, gl["qty"], gl.hours, strict=True)) == expect
    assert_allclose(gl.total_hours, gl["qty"] * gl.hours)
    # materials required on the work order's (local) scheduled start
    starts = {
        w.id: datetime.fromisoformat(w.scheduled_start).replace(tzinfo=None) for w in res.orders
    }
    assert all(gm.required_date[i] == starts[gm.work_order_id[i]] for i in range(len(gm)))
    # requisitions: total = quantity x unit price; need date no later than any served job
    assert_allclose(gp.total, gp["qty"] * gp.unit_price)
    for _, row in gp.iterrows():
        assert isinstance(row.need_date, date)
    assert set(gw.time_zone) == {"Europe/Berlin"}
    if fmt == "maximo":
        assert list(wo.columns[:3]) == ["WONUM", "SITEID", "ASSETNUM"]
        assert {"CRAFT", "QUANTITY", "LABORHRS"} <= set(lab.columns)
        assert {"ITEMNUM", "ITEMQTY", "REQUIREDATE"} <= set(mat.columns)
        assert {"ITEMNUM", "ORDERQTY", "REQDELIVERYDATE", "UNITCOST", "LINECOST"} <= set(pr.columns)
    if fmt == "sap":
        assert {"AUFNR", "AUART", "EQUNR", "TPLNR", "GSTRS", "GLTRS"} <= set(wo.columns)
        assert_allclose(lab.ARBEI, lab.ANZZL * lab.DAUNO)
        assert {"MATNR", "BDMNG", "BDTER"} <= set(mat.columns)


def test_files_real_dates_and_exact_headers(conveyor_result: PlanResult, tmp_path: Path) -> None:
    tables = cmms_tables(conveyor_result, "maximo")
    files = write_cmms_files(tables, tmp_path, timezone="Europe/Berlin", xlsx=tmp_path / "m.xlsx")
    assert [f.name for f in files] == [*(f"{n}.csv" for n in OBJECTS["maximo"]), "m.xlsx"]
    ws = openpyxl.load_workbook(tmp_path / "m.xlsx")["WORKORDER"]
    header = [c.value for c in ws[1]]
    assert header == list(tables["WORKORDER"].columns)  # field names kept exactly
    col = header.index("SCHEDSTART") + 1
    cell = ws.cell(row=2, column=col)
    assert isinstance(cell.value, datetime) and cell.number_format == "yyyy-mm-dd hh:mm"
    assert cell.value == tables["WORKORDER"].SCHEDSTART[0]
    csv = pd.read_csv(tmp_path / "WORKORDER.csv", dtype=str, encoding="utf-8-sig")
    assert csv.SCHEDSTART[0] == tables["WORKORDER"].SCHEDSTART[0].strftime("%Y-%m-%d %H:%M")
    assert set(csv.TIMEZONE) == {"Europe/Berlin"}


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("C1-MOT", "C1-MOT"),
        (3.5, 3.5),
    ],
)
def test_neutralise(text: object, safe: object) -> None:
    assert neutralise(text) == safe


def test_injection_neutralised_in_files(tmp_path: Path) -> None:
    tables = {"T": pd.DataFrame({"a": ["=cmd|' /C calc'!A0", "ok"], "n": [-1.0, 2.0]})}
    write_cmms_files(tables, tmp_path, timezone="UTC", xlsx=tmp_path / "t.xlsx")
    csv = pd.read_csv(tmp_path / "T.csv", encoding="utf-8-sig")
    assert csv.a[0].startswith("'=") and csv.n[0] == -1.0  # numbers stay numbers
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["T"]
    assert ws["A2"].value.startswith("'=") and ws["A2"].data_type == "s"
    assert ws["B2"].value == -1.0


def test_unknown_format(conveyor_result: PlanResult) -> None:
    with pytest.raises(ValueError, match="format"):
        cmms_tables(conveyor_result, "oracle")  # type: ignore[arg-type]


def test_purchase_orders_in_plan_report_and_workbook(conveyor_result: PlanResult) -> None:
    from optimizer.report.plan_report import plan_report_html, plan_tables

    html = plan_report_html(conveyor_result)
    assert "Purchase orders" in html
    for po in conveyor_result.purchase_orders:
        assert str(po["part_id"]) in html
    sheet = plan_tables(conveyor_result)["Purchase orders"]
    assert list(sheet.part_id) == [po["part_id"] for po in conveyor_result.purchase_orders]
    assert_allclose(sheet.total, [po["total"] for po in conveyor_result.purchase_orders])
