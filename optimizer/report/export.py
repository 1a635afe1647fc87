"""The reports' numbers as files: ``comparison.csv`` and an Excel workbook.

The workbook has one sheet per table, a bold frozen header row, column widths that fit
the content and number formats with thousands separators (money without decimals,
fractions as percentages), so that it opens ready to read.  Dates and times are real
Excel date cells, not text: Excel has no time zones, so a timestamp is written as the
local wall-clock time of the site (the offset of its own date, daylight saving
included) and the column's header names the zone, e.g. ``scheduled_start
(Europe/Berlin)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

__all__ = [
    "neutralise",
    "neutralise_frame",
    "safe_cell",
    "write_cmms_files",
    "write_csv",
    "write_records_csv",
    "write_xlsx",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell made safe against formula injection (CSV/Excel "CSV injection").

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return would be run
    as a formula by a spreadsheet; it gets a leading apostrophe (OWASP's advice), which
    spreadsheets show as text.  Other values are returned unchanged.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with :func:`neutralise` applied to every text cell and header."""
    out = df.rename(columns=lambda c: neutralise(c) if isinstance(c, str) else c)
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


_MAX_SHEET = 31  # Excel's limit on sheet-name length
_BAD_SHEET = re.compile(r"[\[\]\*\?/\\:]")


def sheet_name(name: str) -> str:
    """A valid Excel sheet name: no ``[]*?/\\:``, at most 31 characters.

    Raises
    ------
    ValueError
        If nothing is left of ``name``.
    """
    clean = _BAD_SHEET.sub(" ", name).strip()[:_MAX_SHEET].strip()
    if not clean:
        raise ValueError(f"sheet name {name!r} is empty after removing invalid characters")
    return clean


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as UTF-8 CSV with full precision (no index column).

    Text cells that a spreadsheet would run as formulas are neutralised
    (:func:`neutralise`).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    neutralise_frame(df).to_csv(out, index=False)
    return out


safe_cell = neutralise
"""Alias of :func:`neutralise` (one rule for every CSV/XLSX cell)."""


def write_records_csv(
    rows: Sequence[Mapping[str, object]], columns: Sequence[str], path: str | Path
) -> Path:
    """Write records as UTF-8 CSV, one column per key of ``columns``, text made safe.

    Every text cell goes through :func:`safe_cell`, so user text (ids, names) cannot
    become a formula when the file is opened in a spreadsheet.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    import csv

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for row in rows:
            w.writerow([safe_cell(row.get(c, "")) for c in columns])
    return out


# RFC 3339 date or date-time text as the planner writes it (offset optional).
_WHEN = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


def local_cells(values: pd.Series, zone: str | None = None) -> tuple[pd.Series, str] | None:
    """A column of dates or timestamps as Excel-ready values, or ``None`` if it is not one.

    A column is one when every non-empty value is a ``date``/``datetime`` or RFC 3339
    text.  Timestamps become timezone-naive local wall-clock times: text keeps the
    wall-clock time it states (the planner writes each timestamp with the offset of its
    own date in the site's zone); an aware ``datetime`` is first converted to ``zone``
    (when given).  Dates stay dates.

    Returns
    -------
    (pandas.Series, str) or None
        The values and their Excel number format (:data:`DATETIME_FORMAT` when any
        value has a time of day, else :data:`DATE_FORMAT`).
    """
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    tz = ZoneInfo(zone) if zone is not None else None
    out: list[object] = []
    timed = False
    seen = False
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            out.append(None)
            continue
        if isinstance(v, str):
            if not _WHEN.match(v):
                return None
            if "T" not in v:
                out.append(date.fromisoformat(v))
            else:
                out.append(datetime.fromisoformat(v).replace(tzinfo=None))
                timed = True
        elif isinstance(v, datetime):
            when = v.astimezone(tz) if (tz is not None and v.tzinfo is not None) else v
            out.append(when.replace(tzinfo=None))
            timed = True
        elif isinstance(v, date):
            out.append(v)
        else:
            return None
        seen = True
    if not seen:
        return None
    return pd.Series(out, index=values.index, dtype=object), (
        DATETIME_FORMAT if timed else DATE_FORMAT
    )


def _number_format(column: str, values: pd.Series) -> str | None:
    """Excel number format of a column from its name and values (``None``: leave)."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    name = column.lower()
    if name.startswith("availability") or name.startswith("p_fail") or "utilization" in name:
        return "0.00%"
    if name in {"n", "jobs", "replications", "seed"} or pd.api.types.is_integer_dtype(values):
        return "#,##0"
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size and float(np.max(np.abs(finite))) >= 100:
        return "#,##0"
    return "#,##0.00"


def _cell_text(v: object) -> str:
    """Roughly what Excel shows for a value (for the column width)."""
    if isinstance(v, float | np.floating):
        return f"{float(v):,.2f}"
    return str(v)


def write_xlsx(
    tables: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    timezone: str | None = None,
    zone_in_header: bool = True,
) -> Path:
    """Write tables to an Excel workbook, one sheet per table, formatted to read.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Sheet name -> table, in sheet order.
    path : str or Path
        Output ``.xlsx`` file (parent folders are created).
    timezone : str, optional
        IANA zone of the site (``calendar.timezone``).  Date and time columns
        (:func:`local_cells`) become date cells in its local time, and their header
        names it: ``scheduled_start (Europe/Berlin)``; without it, ``(local time)``.
    zone_in_header : bool
        ``False`` keeps the headers exactly as given (a CMMS's field names; the table
        then states the zone in a column of its own).  Text cells are neutralised against
        formula injection (:func:`neutralise`) either way.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        If ``tables`` is empty or two sheet names collide after cleaning.
    """
    if not tables:
        raise ValueError("tables must hold at least one table")
    names = [sheet_name(n) for n in tables]
    if len(set(names)) != len(names):
        raise ValueError(f"tables: sheet names collide after cleaning: {names}")
    from openpyxl.styles import Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, table in zip(names, tables.values(), strict=True):
            df = table.copy()
            when_formats: dict[str, str] = {}
            renames: dict[str, str] = {}
            for col in table.columns:
                cells = local_cells(table[col], timezone)
                if cells is not None:
                    df[col] = cells[0]
                    label = f"{col} ({timezone or 'local time'})" if zone_in_header else str(col)
                    renames[str(col)] = label
                    when_formats[label] = cells[1]
            df = neutralise_frame(df.rename(columns=renames))
            # NaN means "not defined here" (e.g. the baseline's difference to itself).
            df.to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            ws.freeze_panes = "A2"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for j, col in enumerate(df.columns, start=1):
                letter = get_column_letter(j)
                fmt = when_formats.get(str(col)) or _number_format(str(col), df[col])
                if fmt is not None:
                    for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                        cell.number_format = fmt
                texts = [str(col), *(_cell_text(v) for v in df[col].head(200))]
                ws.column_dimensions[letter].width = min(60, max(8, *map(len, texts)) + 2)
    return out


def _csv_when(v: object) -> object:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    return v


def write_cmms_files(
    tables: Mapping[str, pd.DataFrame],
    out_dir: str | Path,
    *,
    timezone: str,
    xlsx: str | Path | None = None,
) -> list[Path]:
    """Write CMMS import tables: one CSV per table and optionally one workbook.

    CSV: UTF-8 with a byte-order mark (Excel reads it as UTF-8), ``,`` separator, dates
    ``YYYY-MM-DD`` and times ``YYYY-MM-DD HH:MM`` in the site's local wall-clock time
    (``timezone``, stated in each table's zone column).  Workbook: one sheet per table,
    headers exactly the field names, real date cells.  Every text cell is neutralised
    against formula injection.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, df in tables.items():
        csv_df = neutralise_frame(df.map(_csv_when) if len(df) else df)
        path = out / f"{name}.csv"
        csv_df.to_csv(path, index=False, encoding="utf-8-sig")
        written.append(path)
    if xlsx is not None:
        written.append(write_xlsx(tables, xlsx, timezone=timezone, zone_in_header=False))
    return written
