"""The reports' numbers as files: ``comparison.csv`` and an Excel workbook.

The workbook has one sheet per table, a bold frozen header row, column widths that fit
the content and number formats with thousands separators (money without decimals,
fractions as percentages), so that it opens ready to read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["write_csv", "write_xlsx"]

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

    Returns
    -------
    pathlib.Path
        The file written.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    return out


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


def write_xlsx(tables: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write tables to an Excel workbook, one sheet per table, formatted to read.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Sheet name -> table, in sheet order.
    path : str or Path
        Output ``.xlsx`` file (parent folders are created).

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
        for name, df in zip(names, tables.values(), strict=True):
            # NaN means "not defined here" (e.g. the baseline's difference to itself).
            df.to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            ws.freeze_panes = "A2"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for j, col in enumerate(df.columns, start=1):
                letter = get_column_letter(j)
                fmt = _number_format(str(col), df[col])
                if fmt is not None:
                    for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                        cell.number_format = fmt
                texts = [str(col), *(_cell_text(v) for v in df[col].head(200))]
                ws.column_dimensions[letter].width = min(60, max(8, *map(len, texts)) + 2)
    return out
