"""Asset register -> the fleet of a scenario, merged into what is already there.

Merge rule (a re-import never loses hand edits):

* A register row whose ``asset_id`` is a component id of the scenario updates only the
  fields the register owns: ``type``, ``position`` (when the register has one) and the
  age -- ``installed_on`` from the install date, or ``age_h`` from the running hours
  (running hours win when both are given); the other age field is removed, since a
  component has one.  Every other field (life, costs, prognostics, skill, ...) is kept
  as edited.  The component stays in the system it is in; a register naming another
  system is reported as a note (move it by hand).
* A new ``asset_id`` becomes a component ``{id, type, position, installed_on|age_h}`` of
  its system; a system or site missing from the scenario is created from the mapping's
  ``system_defaults`` (without them an unknown system is an error).
* Components of the scenario absent from the register are kept and listed as notes.

Nothing is written unless the whole register is clean and the merged scenario validates.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from optimizer.cmms.mapping import ColumnMapping, read_mapped
from optimizer.cmms.tables import (
    CmmsInputError,
    RowProblem,
    parse_dates,
    parse_numbers,
    write_text_atomic,
)
from optimizer.loading import ScenarioError, load_scenario, parse_scenario
from optimizer.scenario import as_instant

__all__ = ["AssetImport", "dump_scenario", "import_assets", "load_scenario_data"]

_IDENT = re.compile(r"^[A-Za-z0-9_.:/@#+\- ]{1,128}$")


@dataclass(frozen=True)
class AssetImport:
    """Result of an asset-register import.

    Parameters
    ----------
    data : dict
        The merged scenario document (plain data, validated).
    added, updated : tuple of str
        Component ids created / updated.
    created_systems : tuple of str
        ``site/system`` created from the mapping's ``system_defaults``.
    notes : tuple of str
        Things a planner should know (components not in the register, moves not made,
        rows without an age).
    """

    data: dict[str, Any]
    added: tuple[str, ...]
    updated: tuple[str, ...]
    created_systems: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> dict[str, Any]:
        """JSON-friendly counts and notes."""
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "created_systems": list(self.created_systems),
            "notes": list(self.notes),
        }


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load_scenario_data(path: str | Path) -> dict[str, Any]:
    """Plain data of a scenario file (validated: a broken scenario raises).

    Raises
    ------
    ScenarioError
        When the file is missing or not a valid scenario (with the lines of the
        problems, from :func:`optimizer.loading.load_scenario`).
    """
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8-sig"), Loader=_Loader)
        parse_scenario(data, source=str(path))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ScenarioError):
        load_scenario(path)  # raises with line numbers
        raise
    assert isinstance(data, dict)
    return data


def dump_scenario(data: Mapping[str, Any], path: str | Path) -> Path:
    """Validate ``data`` and write it as YAML atomically (temporary file + rename).

    Comments of the original file are not kept (the document is re-serialized); a
    ``.json`` file is written as JSON, anything else as YAML.

    Raises
    ------
    ScenarioError
        If ``data`` is not a valid scenario (nothing is written).
    """
    parse_scenario(dict(data), source=str(path))
    if Path(path).suffix.lower() == ".json":
        text = json.dumps(dict(data), indent=2, default=_json_default) + "\n"
    else:
        text = yaml.dump(dict(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return write_text_atomic(path, text)


def _json_default(value: object) -> str:
    if isinstance(value, date):  # date and datetime: ISO 8601 / RFC 3339
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _cell(
    df: pd.DataFrame, cols: Mapping[str, str], name: str, defaults: Mapping[str, str]
) -> pd.Series:
    if name in cols:
        s = df[cols[name]].str.strip()
        if name in defaults:
            s = s.where(s != "", defaults[name])
        return s
    return pd.Series(defaults.get(name, ""), index=df.index, dtype=object).astype(str)


def import_assets(
    path: str | Path,
    mapping: ColumnMapping,
    scenario: Mapping[str, Any],
) -> AssetImport:
    """Merge an asset register into a scenario document.

    Parameters
    ----------
    path : str or Path
        Register export (CSV or XLSX).
    mapping : ColumnMapping
        Column mapping (:func:`optimizer.cmms.mapping.load_mapping`).
    scenario : mapping
        The scenario as plain data (:func:`load_scenario_data`); not modified.

    Returns
    -------
    AssetImport
        The merged document and what changed.

    Raises
    ------
    CmmsInputError
        Listing every problem row with file, row and column (unknown type, duplicate
        asset id, invalid id, negative hours, unreadable date, install date after the
        plan start, unknown system without ``system_defaults``, unknown mapping column);
        or the merged scenario's validation problems.
    """
    file = str(path)
    df, cols = read_mapped(path, mapping, "assets")
    problems: list[RowProblem] = []
    d = mapping.defaults
    ids = _cell(df, cols, "asset_id", d)
    raw_types = _cell(df, cols, "type", d)
    systems = _cell(df, cols, "system", d)
    sites = _cell(df, cols, "site", d)
    positions = _cell(df, cols, "position", d)
    known_types = set((scenario.get("component_types") or {}).keys())
    start = as_instant(_scenario_start(scenario))
    installs = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    hours = pd.Series(float("nan"), index=df.index)
    if "install_date" in cols:
        installs, p = parse_dates(
            df[cols["install_date"]], mapping.date_formats, file=file, column=cols["install_date"]
        )
        problems += p
    if "running_h" in cols:
        hours, p = parse_numbers(df[cols["running_h"]], file=file, column=cols["running_h"])
        problems += p

    def col(name: str) -> str:
        return cols.get(name, f"{name} (default)")

    first_row: dict[str, int] = {}
    rows_n = [int(r) for r in df.index]
    id_l, type_l, sys_l = ids.tolist(), raw_types.tolist(), systems.tolist()
    site_l, pos_l = sites.tolist(), positions.tolist()
    inst_l = [x.date() if pd.notna(x) else None for x in installs.tolist()]
    hours_l = [float(x) if pd.notna(x) else None for x in hours.tolist()]
    start_day = start.date()
    for i, r in enumerate(rows_n):
        aid = id_l[i]
        if not aid:
            problems.append(RowProblem(file, r, col("asset_id"), "empty asset id"))
        elif not _IDENT.match(aid):
            problems.append(
                RowProblem(
                    file,
                    r,
                    col("asset_id"),
                    f"{aid!r} is not a valid id (letters, digits, _.:/@#+- and blanks)",
                )
            )
        elif aid in first_row:
            problems.append(
                RowProblem(
                    file,
                    r,
                    col("asset_id"),
                    f"duplicate asset id {aid!r} (first on row {first_row[aid]})",
                )
            )
        else:
            first_row[aid] = r
        t = mapping.types.get(type_l[i], type_l[i])
        if t not in known_types:
            problems.append(
                RowProblem(
                    file,
                    r,
                    col("type"),
                    f"unknown type {type_l[i]!r} (not a component type of the scenario "
                    "and not in the mapping's types)",
                )
            )
        for name, values in (("system", sys_l), ("site", site_l), ("position", pos_l)):
            v = values[i]
            if name != "position" and not v:
                problems.append(RowProblem(file, r, col(name), f"empty {name}"))
            elif v and not _IDENT.match(v):
                problems.append(RowProblem(file, r, col(name), f"{v!r} is not a valid id"))
        inst = inst_l[i]
        if inst is not None and inst > start_day:
            problems.append(
                RowProblem(
                    file,
                    r,
                    col("install_date"),
                    f"install date {inst} is after the plan start {start_day}",
                )
            )
    if problems:
        raise CmmsInputError(problems)
    return _merge(
        scenario,
        mapping,
        file,
        [
            {
                "row": r,
                "id": id_l[i],
                "type": mapping.types.get(type_l[i], type_l[i]),
                "system": sys_l[i],
                "site": site_l[i],
                "position": pos_l[i] or None,
                "installed_on": inst_l[i],
                "age_h": hours_l[i],
            }
            for i, r in enumerate(rows_n)
        ],
        col("system"),
    )


def _scenario_start(scenario: Mapping[str, Any]) -> date:
    start = (scenario.get("calendar") or {}).get("start")
    if isinstance(start, date):
        return start
    return pd.Timestamp(str(start)).to_pydatetime()


def _merge(
    scenario: Mapping[str, Any],
    mapping: ColumnMapping,
    file: str,
    rows: list[dict[str, Any]],
    system_col: str,
) -> AssetImport:
    data: dict[str, Any] = copy.deepcopy(dict(scenario))
    sites: list[dict[str, Any]] = data.setdefault("fleet", {}).setdefault("sites", [])
    where: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    systems: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for site in sites:
        for system in site.get("systems", []):
            systems[str(system["id"])] = (site, system)
            for comp in system.get("components", []):
                where[str(comp["id"])] = (system, comp)
    added: list[str] = []
    updated: list[str] = []
    created: list[str] = []
    notes: list[str] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    no_age = 0
    for row in rows:
        cid = row["id"]
        seen.add(cid)
        age: dict[str, Any] = {}
        if row["age_h"] is not None:
            age = {"age_h": row["age_h"]}
        elif row["installed_on"] is not None:
            age = {"installed_on": row["installed_on"]}
        if cid in where:
            system, comp = where[cid]
            comp["type"] = row["type"]
            if row["position"]:
                comp["position"] = row["position"]
            if age:
                comp.pop("age_h", None)
                comp.pop("installed_on", None)
                comp.update(age)
            if str(system["id"]) != row["system"]:
                notes.append(
                    f"row {row['row']}: {cid} is in system {system['id']} in the scenario, the "
                    f"register says {row['system']}: not moved"
                )
            updated.append(cid)
            continue
        target = systems.get(row["system"])
        if target is None:
            if mapping.system_defaults is None:
                problems.append(
                    RowProblem(
                        file,
                        row["row"],
                        system_col,
                        f"unknown system {row['system']!r} (add it to the scenario, or give "
                        "system_defaults in the mapping to create it)",
                    )
                )
                continue
            found = [s for s in sites if str(s["id"]) == row["site"]]
            site = found[0] if found else {"id": row["site"], "systems": []}
            if not found:
                sites.append(site)
            system = {
                "id": row["system"],
                **copy.deepcopy(mapping.system_defaults),
                "components": [],
            }
            site["systems"].append(system)
            target = (site, system)
            systems[row["system"]] = target
            created.append(f"{row['site']}/{row['system']}")
        comp = {"id": cid, "type": row["type"]}
        if row["position"]:
            comp["position"] = row["position"]
        comp.update(age)
        if not age:
            no_age += 1
        target[1]["components"].append(comp)
        where[cid] = (target[1], comp)
        added.append(cid)
    if problems:
        raise CmmsInputError(problems)
    missing = sorted(set(where) - seen)
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        notes.append(
            f"{len(missing)} component(s) of the scenario are not in the register (kept): {shown}"
        )
    if no_age:
        notes.append(
            f"{no_age} new component(s) without install date or running hours: age 0 (new)"
        )
    try:
        parse_scenario(data, source=file)
    except ScenarioError as exc:
        raise CmmsInputError(
            [
                RowProblem(file, None, p.path, f"merged scenario invalid: {p.message}")
                for p in exc.problems
            ]
        ) from None
    return AssetImport(data, tuple(added), tuple(updated), tuple(created), tuple(notes))
