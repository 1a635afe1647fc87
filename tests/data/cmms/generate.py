"""Regenerate the CMMS test files of this folder from scenarios/plant.yaml (seeded).

    python tests/data/cmms/generate.py

* ``plant_register_sap.csv``: the plant's equipment as an SAP PM export (UTF-8 with a
  byte-order mark, ``;`` separators, dates ``dd.mm.yyyy``, object types partly as SAP codes
  mapped in ``mapping_sap.yaml``; no description or running-hours column) plus three new
  pieces of equipment with leading-zero numbers on a new line ``L4``.
* ``plant_history_maximo.csv``: work orders as a Maximo WORKORDER export (``,``, US dates
  ``M/D/YYYY``; WORKTYPE CM = failure, PM = preventive), lives drawn from each type's
  life distribution with a preventive age, going back to 2002.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from optimizer.loading import load_scenario

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SAP_CODES = {"motor_lv": "ELMO-LV", "servo_motor": "ELMO-SRV", "gearbox_helical": "GETR-STD"}


def main() -> None:
    scn = load_scenario(ROOT / "scenarios" / "plant.yaml")
    start = scn.calendar.start.date()
    rng = np.random.default_rng(20261207)
    comps = scn.components()
    h_day = {sy.id: sy.operating_h_per_day for site in scn.fleet.sites for sy in site.systems}
    with (HERE / "plant_register_sap.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["EQUNR", "EQART", "HEQUI", "SWERK", "TPLNR", "INBDT"])
        for k, c in enumerate(comps):
            inst = ""
            if k % 3 == 0:  # a third with a start-up date (the rest keep the scenario's age)
                days = int(c.age_h / h_day[c.system_id])
                inst = (start - timedelta(days=days)).strftime("%d.%m.%Y")
            w.writerow([c.id, SAP_CODES.get(str(c.type), c.type), c.system_id, c.site_id,
                        f"PWS-{c.system_id}-{k:03d}", inst])  # fmt: skip
        for j in range(3):
            w.writerow([f"0000100047{j + 11}", "ELMO-SRV", "L4", "PLANT-WS", "", "14.03.2019"])
    rows = []
    first = date(2002, 1, 1)
    for c in comps:
        life = c.life
        if life.distribution == "weibull":
            k, lam = life.shape, life.scale_h
        elif life.distribution == "lognormal":
            k, lam = 1.0 / life.sigma, life.median_h  # a Weibull of about the same spread
        else:
            continue
        end = start - timedelta(days=int(c.age_h / h_day[c.system_id]))
        while end > first:
            rows.append((c.id, end))
            t_fail = lam * rng.weibull(k)
            t_pm = lam * rng.uniform(0.4, 1.2)
            failed = t_fail < t_pm
            rows[-1] = (c.id, end, "CM" if failed else "PM", c.site_id)
            end = end - timedelta(days=int(min(t_fail, t_pm) / 18.0) + 1)
    rows.sort(key=lambda r: (r[1], r[0]))
    with (HERE / "plant_history_maximo.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["WONUM", "ASSETNUM", "WORKTYPE", "ACTFINISH", "SITEID", "DESCRIPTION"])
        for i, (cid, when, kind, site) in enumerate(rows):
            # the newest row of each asset is the replacement that installed today's part
            w.writerow([f"{1000 + i:07d}", cid, kind, f"{when.month}/{when.day}/{when.year}",
                        site, f"replace {cid}"])  # fmt: skip


def conveyor() -> None:
    """``conveyor_register.csv`` (generic preset, ISO dates, running hours for some rows)
    and ``conveyor_history.csv`` (generic preset, ``;``, BOM, ``dd.mm.yyyy``, an install
    date on each position's first row, ``failure``/``preventive`` reasons)."""
    scn = load_scenario(ROOT / "scenarios" / "conveyor.yaml")
    start = scn.calendar.start.date()
    rng = np.random.default_rng(7)
    comps = scn.components()
    h_day = {sy.id: sy.operating_h_per_day for site in scn.fleet.sites for sy in site.systems}
    with (HERE / "conveyor_register.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["asset_id", "type", "system", "site", "install_date", "running_h"])
        for k, c in enumerate(comps):
            days = int(c.age_h / h_day[c.system_id])
            inst = (start - timedelta(days=days)).isoformat() if k % 2 == 0 else ""
            hours = "" if k % 2 == 0 else f"{c.age_h:.0f}"
            w.writerow([c.id, c.type, c.system_id, c.site_id, inst, hours])
    rows = []
    for c in comps:
        life = c.life
        if life.distribution == "weibull":
            k, lam = life.shape, life.scale_h
        elif life.distribution == "lognormal":
            k, lam = 1.0 / life.sigma, life.median_h
        else:
            continue
        end = start - timedelta(days=int(c.age_h / h_day[c.system_id]))
        events = []
        while end > date(2005, 1, 1):
            t_fail = lam * rng.weibull(k)
            t_pm = lam * rng.uniform(0.5, 1.3)
            events.append((end, "failure" if t_fail < t_pm else "preventive"))
            end = end - timedelta(days=int(min(t_fail, t_pm) / h_day[c.system_id]) + 1)
        events.reverse()
        for j, (when, why) in enumerate(events):
            inst = end.strftime("%d.%m.%Y") if j == 0 else ""
            rows.append((c.id, inst, when.strftime("%d.%m.%Y"), why))
    with (HERE / "conveyor_history.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["order", "asset_id", "install_date", "removal_date", "reason"])
        for i, r in enumerate(rows):
            w.writerow([f"{i + 1:08d}", *r])


if __name__ == "__main__":
    main()
    conveyor()
