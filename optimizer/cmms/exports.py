"""A plan as the objects a CMMS imports: work orders, planned labour, planned materials
and purchase requisitions, in the IBM Maximo, SAP PM or a generic vocabulary.

One table per object, one row per line (no packed cells): a work order's labour has a
row per craft/skill line (quantity = technicians, hours per technician and their
total), its materials a row per item (quantity, required date = the work order's
scheduled start), and each purchase order of the plan becomes a requisition line (part,
quantity, need date = the earliest scheduled start of the work orders it serves, else its
arrival date; unit price and total).  Dates and times are timezone-naive local
wall-clock values of the site (the zone is the ``TIMEZONE`` / ``time_zone`` column of
every table), so a spreadsheet holds real date cells.

Field names (see the README's vocabulary table):

* ``maximo``: ``WORKORDER`` (WONUM, SITEID, ASSETNUM, LOCATION, DESCRIPTION, WORKTYPE,
  STATUS, TARGSTARTDATE, SCHEDSTART, SCHEDFINISH, ESTDUR, PARENT,
  DESCRIPTION_LONGDESCRIPTION), ``WPLABOR`` (WONUM, SITEID, CRAFT, QUANTITY, LABORHRS),
  ``WPMATERIAL`` (WONUM, SITEID, ITEMNUM, ITEMQTY, REQUIREDATE, LOCATION = storeroom),
  ``PRLINE`` (PRNUM, PRLINENUM, SITEID, ITEMNUM, ORDERQTY, REQDELIVERYDATE, UNITCOST,
  LINECOST, STORELOC).
* ``sap``: order header (AUFNR, AUART, IWERK, EQUNR, TPLNR, KTEXT, GSTRP basic start,
  GSTRS/GLTRS scheduled start/finish, REVNR, LTXT long text), operations (AUFNR, VORNR,
  ARBPL work centre, ANZZL people, ARBEI work, ARBEH unit, DAUNO duration), components
  (AUFNR, VORNR, POSNR, MATNR, BDMNG, MEINS, BDTER requirement date, LGORT), purchase
  requisitions (BNFPO item, WERKS, MATNR, MENGE, MEINS, LFDAT delivery date, PREIS
  unit price, GSWRT total value, WAERS currency, LGORT).
* ``generic``: Opportune's own names.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import pandas as pd

from optimizer.planning.pipeline import PlanResult

__all__ = ["CMMS_FORMATS", "cmms_tables"]

CmmsFormat = Literal["maximo", "sap", "generic"]
CMMS_FORMATS: tuple[str, ...] = ("maximo", "sap", "generic")

OBJECTS: dict[str, tuple[str, str, str, str]] = {
    "maximo": ("WORKORDER", "WPLABOR", "WPMATERIAL", "PRLINE"),
    "sap": ("ORDER_HEADER", "OPERATIONS", "COMPONENTS", "PURCHASE_REQUISITIONS"),
    "generic": ("work_orders", "labour", "materials", "purchase_requisitions"),
}
"""Table (file and sheet) names per format: work orders, labour, materials, requisitions."""


def _local(text: str | None) -> datetime | None:
    """RFC 3339 text in the site's offset -> naive local wall-clock datetime."""
    if not text:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=None)


def _day(text: str | None) -> date | None:
    when = _local(text) if text and "T" in text else None
    if when is not None:
        return when.date()
    return date.fromisoformat(text) if text else None


def _generic(result: PlanResult) -> dict[str, list[dict[str, Any]]]:
    """Rows in Opportune's vocabulary, the source of every format."""
    scn = result.built.scenario
    tz = scn.calendar.timezone
    cur = scn.currency
    store = {p.id: p.warehouse for p in scn.inventory.parts}
    wos: list[dict[str, Any]] = []
    labour: list[dict[str, Any]] = []
    materials: list[dict[str, Any]] = []
    start_of: dict[str, datetime] = {}
    for w in result.orders:
        start = _local(w.scheduled_start)
        assert start is not None
        start_of.setdefault(w.component_id, start)
        wos.append(
            {
                "id": w.id,
                "site_id": w.site_id,
                "asset_id": w.asset_id,
                "position_id": w.position_id,
                "component_id": w.component_id,
                "description": f"Preventive replacement of {w.component_id}",
                "work_type": w.work_type,
                "status": "planned",
                "target_date": _day(w.target_date),
                "scheduled_start": start,
                "scheduled_finish": _local(w.scheduled_finish),
                "duration_h": round(float(w.duration_h), 4),
                "group_id": w.group_id,
                "expected_cost": round(float(w.expected_cost), 2),
                "currency": cur,
                "reasons": " | ".join(w.reasons),
                "time_zone": tz,
            }
        )
        for j, lab in enumerate(w.labor, start=1):
            labour.append(
                {
                    "work_order_id": w.id,
                    "site_id": w.site_id,
                    "line": j * 10,
                    "skill": lab.skill,
                    "qty": int(lab.qty),
                    "hours": round(float(lab.hours), 4),
                    "total_hours": round(float(lab.hours) * lab.qty, 4),
                    "time_zone": tz,
                }
            )
        for j, m in enumerate(w.materials, start=1):
            materials.append(
                {
                    "work_order_id": w.id,
                    "site_id": w.site_id,
                    "line": j * 10,
                    "part_id": m.part_id,
                    "qty": int(m.qty),
                    "unit": "EA",
                    "required_date": start,
                    "available_on": _day(m.available_on),
                    "warehouse": store.get(m.part_id, ""),
                    "time_zone": tz,
                }
            )
    prs: list[dict[str, Any]] = []
    site = scn.fleet.sites[0].id if len(scn.fleet.sites) == 1 else ""
    for j, po in enumerate(result.purchase_orders, start=1):
        served = [start_of[c] for c in po.get("serves", []) if c in start_of]
        need = min(served).date() if served else _day(str(po["arrival_date"]))
        prs.append(
            {
                "line": j * 10,
                "site_id": site,
                "part_id": po["part_id"],
                "warehouse": po["warehouse"],
                "qty": int(po["qty"]),
                "unit": "EA",
                "need_date": need,
                "order_date": _day(str(po["order_date"])),
                "arrival_date": _day(str(po["arrival_date"])),
                "expedited": bool(po["expedited"]),
                "unit_price": float(po["unit_price"]),
                "total": round(float(po["unit_price"]) * int(po["qty"]), 2),
                "fees": round(float(po["order_fee"]) + float(po["expedite_fee"]), 2),
                "currency": cur,
                "serves": " ".join(po.get("serves", [])),
                "time_zone": tz,
            }
        )
    return {"wo": wos, "labour": labour, "materials": materials, "pr": prs}


_RENAMES: dict[str, dict[str, dict[str, str]]] = {
    "maximo": {
        "wo": {
            "id": "WONUM",
            "site_id": "SITEID",
            "component_id": "ASSETNUM",
            "position_id": "LOCATION",
            "description": "DESCRIPTION",
            "work_type": "WORKTYPE",
            "status": "STATUS",
            "target_date": "TARGSTARTDATE",
            "scheduled_start": "SCHEDSTART",
            "scheduled_finish": "SCHEDFINISH",
            "duration_h": "ESTDUR",
            "group_id": "PARENT",
            "reasons": "DESCRIPTION_LONGDESCRIPTION",
            "time_zone": "TIMEZONE",
        },
        "labour": {
            "work_order_id": "WONUM",
            "site_id": "SITEID",
            "skill": "CRAFT",
            "qty": "QUANTITY",
            "hours": "LABORHRS",
            "time_zone": "TIMEZONE",
        },
        "materials": {
            "work_order_id": "WONUM",
            "site_id": "SITEID",
            "part_id": "ITEMNUM",
            "qty": "ITEMQTY",
            "required_date": "REQUIREDATE",
            "warehouse": "LOCATION",
            "time_zone": "TIMEZONE",
        },
        "pr": {
            "prnum": "PRNUM",
            "line": "PRLINENUM",
            "site_id": "SITEID",
            "part_id": "ITEMNUM",
            "qty": "ORDERQTY",
            "need_date": "REQDELIVERYDATE",
            "unit_price": "UNITCOST",
            "total": "LINECOST",
            "warehouse": "STORELOC",
            "time_zone": "TIMEZONE",
        },
    },
    "sap": {
        "wo": {
            "id": "AUFNR",
            "sap_type": "AUART",
            "site_id": "IWERK",
            "component_id": "EQUNR",
            "position_id": "TPLNR",
            "description": "KTEXT",
            "target_date": "GSTRP",
            "scheduled_start": "GSTRS",
            "scheduled_finish": "GLTRS",
            "group_id": "REVNR",
            "reasons": "LTXT",
            "time_zone": "TIMEZONE",
        },
        "labour": {
            "work_order_id": "AUFNR",
            "vornr": "VORNR",
            "skill": "ARBPL",
            "qty": "ANZZL",
            "total_hours": "ARBEI",
            "unit_h": "ARBEH",
            "hours": "DAUNO",
            "time_zone": "TIMEZONE",
        },
        "materials": {
            "work_order_id": "AUFNR",
            "vornr": "VORNR",
            "posnr": "POSNR",
            "part_id": "MATNR",
            "qty": "BDMNG",
            "unit_st": "MEINS",
            "required_date": "BDTER",
            "warehouse": "LGORT",
            "time_zone": "TIMEZONE",
        },
        "pr": {
            "bnfpo": "BNFPO",
            "site_id": "WERKS",
            "part_id": "MATNR",
            "qty": "MENGE",
            "unit_st": "MEINS",
            "need_date": "LFDAT",
            "unit_price": "PREIS",
            "total": "GSWRT",
            "currency": "WAERS",
            "warehouse": "LGORT",
            "time_zone": "TIMEZONE",
        },
    },
}


def cmms_tables(result: PlanResult, fmt: CmmsFormat = "generic") -> dict[str, pd.DataFrame]:
    """The plan's work orders, labour, materials and purchase requisitions as tables.

    Parameters
    ----------
    result : PlanResult
        A planned scenario (:func:`optimizer.planning.pipeline.plan_scenario`).
    fmt : {"maximo", "sap", "generic"}
        Vocabulary (see the module docstring).

    Returns
    -------
    dict of str to pandas.DataFrame
        Object name -> table, in the order work orders, labour, materials, requisitions;
        date columns hold ``datetime.date`` / naive local ``datetime`` values.

    Raises
    ------
    ValueError
        If ``fmt`` is not a known format.
    """
    if fmt not in CMMS_FORMATS:
        raise ValueError(f"format: unknown CMMS format {fmt!r} (use {', '.join(CMMS_FORMATS)})")
    rows = _generic(result)
    names = OBJECTS[fmt]
    out: dict[str, pd.DataFrame] = {}
    for kind, name in zip(("wo", "labour", "materials", "pr"), names, strict=True):
        data = rows[kind]
        if fmt == "generic":
            cols = list(data[0]) if data else _generic_columns(kind)
            out[name] = pd.DataFrame(data, columns=cols)
            continue
        ren = _RENAMES[fmt][kind]
        extra = {
            "sap_type": "PM02",
            "vornr": "0010",
            "unit_h": "H",
            "unit_st": "ST",
            "prnum": "OPP-PR",
        }
        table = []
        for i, r in enumerate(data, start=1):
            full = {**r, **extra, "posnr": f"{r.get('line', 0):04d}", "bnfpo": f"{i * 10:05d}"}
            if fmt == "sap" and kind == "labour":
                full["vornr"] = f"{r['line']:04d}"
            if fmt == "maximo" and kind == "wo":
                full["work_type"] = "PM"
                full["status"] = "WAPPR"
            table.append({ren[k]: full[k] for k in ren})
        out[name] = pd.DataFrame(table, columns=list(ren.values()))
    return out


def _generic_columns(kind: str) -> list[str]:
    cols = {
        "wo": ["id", "site_id", "asset_id", "position_id", "component_id", "description",
               "work_type", "status", "target_date", "scheduled_start", "scheduled_finish",
               "duration_h", "group_id", "expected_cost", "currency", "reasons", "time_zone"],
        "labour": ["work_order_id", "site_id", "line", "skill", "qty", "hours", "total_hours",
                   "time_zone"],
        "materials": ["work_order_id", "site_id", "line", "part_id", "qty", "unit",
                      "required_date", "available_on", "warehouse", "time_zone"],
        "pr": ["line", "site_id", "part_id", "warehouse", "qty", "unit", "need_date",
               "order_date", "arrival_date", "expedited", "unit_price", "total", "fees",
               "currency", "serves", "time_zone"],
    }  # fmt: skip
    return cols[kind]
