"""Column mappings from CMMS exports to Opportune's fields, with three presets.

A mapping file (YAML) names a preset and overrides what differs in a given export::

    preset: sap                 # maximo | sap | generic
    columns:                    # Opportune field -> column header in the file
      running_h: Betriebsstunden
    types:                      # value of the type column -> component_types key
      MOTOR-LV: motor_lv
    date_formats: ["%d.%m.%Y"]  # strptime formats tried before ISO 8601
    defaults: {site: PLANT-WS}  # value of a field that has no column
    operating_h_per_day: 18     # history: operating hours per calendar day
    system_defaults:            # fields of a system the register creates
      production_value_per_h: 0
      setup: {cost: 0}

Asset-register fields (``*`` required): ``asset_id*``, ``type*``, ``system*``, ``site*``,
``position``, ``install_date``, ``running_h``, ``description``.  History fields:
``asset_id*``, ``removal_date*``, ``reason*``, ``type``, ``site``, ``install_date``,
``hours``.  A required field needs a column or a default.

Presets (the column headers of the CMMS's standard exports):

======================  ==================  =====================  =================
field                   generic             IBM Maximo             SAP PM
======================  ==================  =====================  =================
asset register object   --                  ASSET (+ LOCATIONS)    equipment (IE03/IH08)
asset_id                asset_id            ASSETNUM               EQUNR (equipment)
type                    type                ASSETTYPE              EQART (object type)
system                  system              PARENT (parent asset)  HEQUI (superior equip.)
site                    site                SITEID                 SWERK (maint. plant)
position                position            LOCATION               TPLNR (functional loc.)
install_date            install_date        INSTALLDATE            INBDT (start-up date)
running_h               running_h           --                     --
description             description         DESCRIPTION            EQKTX
history object          --                  WORKORDER              order (IW39)
asset_id                asset_id            ASSETNUM               EQUNR
removal_date            removal_date        ACTFINISH              GETRI (actual finish)
reason                  reason              WORKTYPE               AUART (order type)
site                    site                SITEID                 IWERK (planning plant)
date formats            ISO, %d.%m.%Y,      ISO, %m/%d/%Y (US)     %d.%m.%Y, %Y%m%d
                        %d/%m/%Y (day first)
failure reasons         failure, F, CM      CM, EM                 PM01
preventive reasons      preventive, PM,     PM, CP                 PM02, PM03
                        suspension, S
======================  ==================  =====================  =================

Reasons are matched case-insensitively; an empty removal date is a unit still running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from optimizer.cmms.tables import CmmsInputError, RowProblem, read_table

__all__ = [
    "ASSET_FIELDS",
    "HISTORY_FIELDS",
    "PRESETS",
    "ColumnMapping",
    "load_mapping",
    "preset_mapping",
    "read_mapped",
    "resolve_columns",
]

ASSET_FIELDS: dict[str, bool] = {
    "asset_id": True,
    "type": True,
    "system": True,
    "site": True,
    "position": False,
    "install_date": False,
    "running_h": False,
    "description": False,
}
"""Asset-register fields and whether each is required."""

HISTORY_FIELDS: dict[str, bool] = {
    "asset_id": True,
    "removal_date": True,
    "reason": True,
    "type": False,
    "site": False,
    "install_date": False,
    "hours": False,
}
"""History fields and whether each is required."""

Preset = Literal["generic", "maximo", "sap"]

PRESETS: dict[str, dict[str, Any]] = {
    "generic": {
        "assets": {f: f for f in ASSET_FIELDS},
        "history": {f: f for f in HISTORY_FIELDS},
        "date_formats": ["%d.%m.%Y", "%d/%m/%Y"],
        "failure": ["failure", "failed", "f", "cm", "corrective", "breakdown"],
        "preventive": ["preventive", "pm", "suspension", "suspended", "s", "planned", "removal"],
    },
    "maximo": {
        "assets": {
            "asset_id": "ASSETNUM",
            "type": "ASSETTYPE",
            "system": "PARENT",
            "site": "SITEID",
            "position": "LOCATION",
            "install_date": "INSTALLDATE",
            "description": "DESCRIPTION",
        },
        "history": {
            "asset_id": "ASSETNUM",
            "removal_date": "ACTFINISH",
            "reason": "WORKTYPE",
            "site": "SITEID",
        },
        "date_formats": ["%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%y %I:%M %p"],
        "failure": ["cm", "em"],
        "preventive": ["pm", "cp"],
    },
    "sap": {
        "assets": {
            "asset_id": "EQUNR",
            "type": "EQART",
            "system": "HEQUI",
            "site": "SWERK",
            "position": "TPLNR",
            "install_date": "INBDT",
            "description": "EQKTX",
        },
        "history": {
            "asset_id": "EQUNR",
            "removal_date": "GETRI",
            "reason": "AUART",
            "site": "IWERK",
        },
        "date_formats": ["%d.%m.%Y", "%Y%m%d"],
        "failure": ["pm01"],
        "preventive": ["pm02", "pm03"],
    },
}
"""Column names, date formats and reason codes of each preset (see the module table)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MappingFile(_Model):
    """The YAML mapping file as written (see the module docstring)."""

    preset: Preset = "generic"
    columns: dict[str, str | None] = Field(default_factory=dict)
    types: dict[str, str] = Field(default_factory=dict)
    date_formats: list[str] | None = None
    defaults: dict[str, str] = Field(default_factory=dict)
    operating_h_per_day: float = Field(default=24.0, gt=0, le=24)
    failure_reasons: list[str] | None = None
    preventive_reasons: list[str] | None = None
    system_defaults: dict[str, Any] | None = None


class ColumnMapping(_Model):
    """A resolved mapping: preset plus the file's overrides.

    Parameters
    ----------
    preset : str
        ``generic``, ``maximo`` or ``sap``.
    asset_columns, history_columns : dict of str to str
        Opportune field -> column header (fields without a column are absent).
    types : dict of str to str
        Type code in the file -> component-type key of the scenario.
    date_formats : list of str
        ``strptime`` formats tried before ISO 8601.
    defaults : dict of str to str
        Field -> value used when the field has no column (or an empty cell).
    operating_h_per_day : float
        Operating hours per calendar day, to turn dates into hours (history).
    failure_reasons, preventive_reasons : list of str
        Lower-case reason codes meaning a failure / a right-censored removal.
    system_defaults : dict or None
        Fields of a system the register creates (``None``: unknown systems are errors).
    source : str
        Where the mapping came from (file name or ``preset:<name>``).
    """

    preset: Preset
    asset_columns: dict[str, str]
    history_columns: dict[str, str]
    types: dict[str, str]
    date_formats: list[str]
    defaults: dict[str, str]
    operating_h_per_day: float
    failure_reasons: list[str]
    preventive_reasons: list[str]
    system_defaults: dict[str, Any] | None
    source: str
    explicit_fields: list[str] = Field(default_factory=list)


def _resolve(spec: MappingFile, source: str) -> tuple[ColumnMapping, list[RowProblem]]:
    pre = PRESETS[spec.preset]
    problems: list[RowProblem] = []
    assets = dict(pre["assets"])
    history = dict(pre["history"])
    for field, col in spec.columns.items():
        if field not in ASSET_FIELDS and field not in HISTORY_FIELDS:
            known = sorted(set(ASSET_FIELDS) | set(HISTORY_FIELDS))
            problems.append(
                RowProblem(source, None, f"columns.{field}", f"unknown field (known: {known})")
            )
            continue
        for table, fields in ((assets, ASSET_FIELDS), (history, HISTORY_FIELDS)):
            if field in fields:
                if col is None or not str(col).strip():
                    table.pop(field, None)
                else:
                    table[field] = str(col).strip()
    return (
        ColumnMapping(
            preset=spec.preset,
            asset_columns=assets,
            history_columns=history,
            types=dict(spec.types),
            date_formats=list(spec.date_formats or pre["date_formats"]),
            defaults=dict(spec.defaults),
            operating_h_per_day=spec.operating_h_per_day,
            failure_reasons=[r.lower() for r in (spec.failure_reasons or pre["failure"])],
            preventive_reasons=[r.lower() for r in (spec.preventive_reasons or pre["preventive"])],
            system_defaults=spec.system_defaults,
            source=source,
            explicit_fields=sorted(f for f, c in spec.columns.items() if c),
        ),
        problems,
    )


def preset_mapping(name: str = "generic") -> ColumnMapping:
    """The mapping of a preset without overrides.

    Raises
    ------
    CmmsInputError
        If ``name`` is not a preset.
    """
    if name not in PRESETS:
        raise CmmsInputError(
            [
                RowProblem(
                    f"preset:{name}", None, "preset", f"unknown preset (use {sorted(PRESETS)})"
                )
            ]
        )
    mapping, _ = _resolve(MappingFile.model_validate({"preset": name}), f"preset:{name}")
    return mapping


def load_mapping(path: str | Path | None, *, preset: str | None = None) -> ColumnMapping:
    """Load a mapping file, or a bare preset when ``path`` is ``None``.

    Parameters
    ----------
    path : str or Path or None
        YAML mapping file.
    preset : str, optional
        Preset used without a file (default ``generic``); with a file, overrides its
        ``preset``.

    Raises
    ------
    CmmsInputError
        For a missing or unreadable file, unknown keys or fields, wrong value types.
    """
    if path is None:
        return preset_mapping(preset or "generic")
    src = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise CmmsInputError([RowProblem(src, None, None, "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CmmsInputError([RowProblem(src, None, None, f"cannot be read: {exc}")]) from None
    except yaml.YAMLError as exc:
        raise CmmsInputError([RowProblem(src, None, None, f"not valid YAML: {exc}")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CmmsInputError([RowProblem(src, None, None, "a mapping file must be a YAML mapping")])
    if preset is not None:
        data = {**data, "preset": preset}
    try:
        spec = MappingFile.model_validate(data)
    except ValidationError as exc:
        raise CmmsInputError(
            [
                RowProblem(src, None, ".".join(str(x) for x in e["loc"]) or None, e["msg"])
                for e in exc.errors()
            ]
        ) from None
    mapping, problems = _resolve(spec, src)
    if problems:
        raise CmmsInputError(problems)
    return mapping


def resolve_columns(
    df_columns: list[str],
    wanted: dict[str, str],
    required: dict[str, bool],
    defaults: dict[str, str],
    *,
    file: str,
    mapping_source: str,
    explicit: list[str] | None = None,
) -> tuple[dict[str, str], list[RowProblem]]:
    """Match the mapping's columns to a file's header.

    Returns
    -------
    (dict of str to str, list of RowProblem)
        Field -> header present in the file; a problem for each mapped column the file
        lacks when the field is required and has no default or when the mapping file
        names the column itself (``explicit``; a preset's optional column may be missing),
        and for each required field with neither column nor default.
    """
    have = set(df_columns)
    found: dict[str, str] = {}
    problems: list[RowProblem] = []
    for field, col in wanted.items():
        if col in have:
            found[field] = col
        elif (required.get(field, False) and field not in defaults) or field in (explicit or []):
            problems.append(
                RowProblem(
                    file,
                    1,
                    col,
                    f"column for field {field!r} (from {mapping_source}) is not in the "
                    f"file's header {sorted(have)}",
                )
            )
    for field, req in required.items():
        if req and field not in wanted and field not in defaults:
            problems.append(
                RowProblem(
                    file, 1, None, f"field {field!r} has no column and no default in the mapping"
                )
            )
    return found, problems


def read_mapped(
    path: str | Path, mapping: ColumnMapping, table: Literal["assets", "history"]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read a CMMS export and match the mapping's columns of ``table`` to its header.

    Parameters
    ----------
    path : str or Path
        CSV or XLSX export (:func:`optimizer.cmms.tables.read_table`).
    mapping : ColumnMapping
        Resolved mapping (:func:`load_mapping`).
    table : {"assets", "history"}
        Which of the mapping's column sets applies: the asset register
        (:data:`ASSET_FIELDS`) or the work-order history (:data:`HISTORY_FIELDS`).

    Returns
    -------
    (pandas.DataFrame, dict of str to str)
        The table (every cell text, index = spreadsheet row) and field -> header of the
        fields whose column is in the file.

    Raises
    ------
    CmmsInputError
        If the file cannot be read, or with every column problem found by
        :func:`resolve_columns` (a mapped column missing, a required field with neither
        column nor default).
    """
    if table == "assets":
        wanted, fields = mapping.asset_columns, ASSET_FIELDS
    elif table == "history":
        wanted, fields = mapping.history_columns, HISTORY_FIELDS
    else:
        raise ValueError(f"table: must be 'assets' or 'history', got {table!r}")
    df = read_table(path)
    cols, problems = resolve_columns(
        list(df.columns),
        wanted,
        fields,
        mapping.defaults,
        file=str(path),
        mapping_source=mapping.source,
        explicit=mapping.explicit_fields,
    )
    if problems:
        raise CmmsInputError(problems)
    return df, cols
