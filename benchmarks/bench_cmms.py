"""Scale benchmark of the CMMS importers (not a timed test).

Seeded files written to a temporary folder: an asset register of ``--assets`` rows (SAP
PM layout: ``;`` separators, byte-order mark, ``dd.mm.yyyy`` dates, ids with leading
zeros) for a scenario with 10 component types, and a work-order history of ``--rows``
rows (Maximo layout: US dates, CM/PM work types) over the same assets.  Times, each
end to end from the file:

* ``import_assets``: read, check every row, merge into the scenario, validate the result;
* ``read_history`` + ``fit_groups(by="type", family="auto")``: lives with censoring and a
  Weibull and a lognormal fit per type.

Goal (issue #16): both together under 10 s for 10,000 assets and 100,000 rows.

Run: ``python3 benchmarks/bench_cmms.py [--assets 10000 --rows 100000]``.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from optimizer.cmms.assets import import_assets
from optimizer.cmms.history import fit_groups, read_history
from optimizer.cmms.mapping import preset_mapping

TYPES = [f"type_{k}" for k in range(10)]


def scenario(n_systems: int) -> dict[str, Any]:
    """A valid scenario with ``n_systems`` empty-ish systems (one placeholder each)."""
    return {
        "name": "bench",
        "currency": "EUR",
        "calendar": {"start": "2027-01-04T06:00:00+01:00", "timezone": "Europe/Berlin",
                     "horizon_days": 30},
        "component_types": {
            t: {"life": {"distribution": "weibull", "shape": 2.0, "scale_h": 40000.0},
                "preventive": {"duration_h": 2, "cost": 500},
                "corrective": {"duration_h": 6, "cost": 3000}, "skill": "mech"}
            for t in TYPES
        },
        "fleet": {"sites": [{"id": "S1", "systems": [
            {"id": f"SYS{j:04d}", "production_value_per_h": 100, "setup": {"cost": 100},
             "components": [{"id": f"P{j:04d}", "type": TYPES[0]}]}
            for j in range(n_systems)]}]},
        "crews": [{"id": "C", "skills": ["mech"], "headcount": 5, "rate_per_h": 60}],
    }  # fmt: skip


def write_files(folder: Path, n_assets: int, n_rows: int, n_systems: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(16)
    reg = folder / "equipment.csv"
    ids = [f"{10_000_000 + k:012d}" for k in range(n_assets)]
    with reg.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["EQUNR", "EQART", "HEQUI", "SWERK", "TPLNR", "INBDT"])
        for k, a in enumerate(ids):
            inst = date(2010, 1, 1) + timedelta(days=int(rng.integers(0, 5000)))
            w.writerow([a, TYPES[k % 10], f"SYS{k % n_systems:04d}", "S1", f"FL-{k:06d}",
                        inst.strftime("%d.%m.%Y")])  # fmt: skip
    hist = folder / "workorders.csv"
    per = n_rows // n_assets
    with hist.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["WONUM", "ASSETNUM", "WORKTYPE", "ACTFINISH", "SITEID"])
        n = 0
        for a in ids:
            when = date(2000, 1, 1)
            for _ in range(per):
                when += timedelta(days=int(rng.integers(30, 900)))
                kind = "CM" if rng.random() < 0.5 else "PM"
                w.writerow([n, a, kind, f"{when.month}/{when.day}/{when.year}", "S1"])
                n += 1
    return reg, hist


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--assets", type=int, default=10_000)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--systems", type=int, default=500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        reg, hist = write_files(Path(d), args.assets, args.rows, args.systems)
        data = scenario(args.systems)
        c0 = time.process_time()
        t0 = time.perf_counter()
        res = import_assets(reg, preset_mapping("sap"), data)
        t1 = time.perf_counter()
        types = {a: TYPES[k % 10] for k, a in enumerate(res.added)}  # from the register
        h = read_history(hist, preset_mapping("maximo"), as_of=date(2027, 1, 4),
                         asset_types=types)  # fmt: skip
        t2 = time.perf_counter()
        fits = fit_groups(h, by="type", family="auto")
        t3 = time.perf_counter()
        c3 = time.process_time()
    print(f"register: {args.assets:,} assets -> {len(res.added):,} components added in "
          f"{t1 - t0:.2f} s")  # fmt: skip
    print(f"history:  {args.rows:,} rows -> {len(h.lives):,} lives read in {t2 - t1:.2f} s; "
          f"{len(fits)} group(s) fitted (Weibull + lognormal) in {t3 - t2:.2f} s")  # fmt: skip
    print(f"total {t3 - t0:.2f} s wall, {c3 - c0:.2f} s CPU of this process (goal < 10 s)")


if __name__ == "__main__":
    main()
