"""Reading CMMS exports (CSV or XLSX) as text tables, and the problems found in them.

Every cell is read as text (ids keep their leading zeros); the caller converts the
columns it needs with :func:`parse_dates` and :func:`parse_numbers`, which report each
unreadable cell with its row and column.  Row numbers are those a spreadsheet shows:
the header is row 1, the first record row 2.

CSV dialects: UTF-8 with or without a byte-order mark (Windows-1252 when the file is
not UTF-8), separators ``,`` ``;`` tab or ``|`` (the one most frequent in the header
line wins), quoted fields with ``"``.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "CmmsInputError",
    "RowProblem",
    "parse_dates",
    "parse_numbers",
    "read_table",
    "write_text_atomic",
]

MAX_FILE_BYTES = 256 * 1024 * 1024
_FIRST_DAY = pd.Timestamp("1900-01-01")
_LAST_DAY = pd.Timestamp("2199-12-31")
HEADER_ROW = 1


@dataclass(frozen=True)
class RowProblem:
    """One problem of an input file.

    Parameters
    ----------
    file : str
        File name as given.
    row : int or None
        Spreadsheet row (header = 1), ``None`` for the whole file.
    column : str or None
        Column header, ``None`` for the whole row or file.
    message : str
        What is wrong.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f": row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}" if self.row is not None else f": {self.column!r}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly form."""
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}


class CmmsInputError(ValueError):
    """Input files with problems; :attr:`problems` lists each with file, row and column."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = list(problems)
        head = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(head + more)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _separator(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def read_table(path: str | Path, *, sheet: str | int = 0) -> pd.DataFrame:
    """Read a CSV or XLSX export as a table of text cells.

    Parameters
    ----------
    path : str or Path
        ``.xlsx``/``.xlsm`` (first sheet unless ``sheet``), anything else is read as CSV.
    sheet : str or int
        Worksheet of a workbook.

    Returns
    -------
    pandas.DataFrame
        Column headers stripped of surrounding blanks (a column without header but with
        data is named ``column N``; empty ones are dropped); every cell a ``str`` (empty
        cells ``""``); the index is the spreadsheet row number.

    Raises
    ------
    CmmsInputError
        When the file is missing, unreadable, empty, has duplicate column headers or is
        not a table.
    """
    p = Path(path)
    name = str(path)

    def fail(msg: str) -> CmmsInputError:
        return CmmsInputError([RowProblem(name, None, None, msg)])

    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise fail("file not found") from None
    except OSError as exc:
        raise fail(f"cannot be read: {exc.strerror}") from None
    if p.is_dir():
        raise fail("is a directory, not a file")
    if size > MAX_FILE_BYTES:
        raise fail(f"larger than {MAX_FILE_BYTES} bytes")
    try:
        if p.suffix.lower() in (".xlsx", ".xlsm"):
            df = pd.read_excel(p, sheet_name=sheet, dtype=str, keep_default_na=False, header=None)
            df = df.map(lambda v: "" if v is None else str(v))
        else:
            text = _decode(p.read_bytes())
            if "\x00" in text:
                raise fail("contains a NUL byte: not a text file")
            if not text.strip():
                raise fail("the file is empty")
            df = pd.read_csv(
                io.StringIO(text),
                sep=_separator(text),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                quoting=csv.QUOTE_MINIMAL,
                skipinitialspace=False,
                engine="c",
                header=None,
            )
    except CmmsInputError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, KeyError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(f"not a readable table: {first}") from None
    except (OSError, IndexError, TypeError, EOFError) as exc:  # broken zip/xlsx
        raise fail(f"not a readable table: {type(exc).__name__}") from None
    except Exception as exc:  # openpyxl raises its own types for broken workbooks
        raise fail(f"not a readable workbook: {type(exc).__name__}") from None
    df = df.fillna("").astype(str)
    if df.empty:
        raise fail("the file is empty")
    # the header row read as data: pandas would rename duplicate headers silently
    cols = [str(c).strip() for c in df.iloc[0]]
    df = df.iloc[1:]
    blank = [j for j, c in enumerate(cols) if not c]
    keep = [j for j in range(len(cols)) if j not in blank or (df.iloc[:, j] != "").any()]
    cols = [cols[j] or f"column {j + 1}" for j in keep]
    df = df.iloc[:, keep]
    dup = sorted({c for c in cols if cols.count(c) > 1})
    if dup:
        raise CmmsInputError(
            [RowProblem(name, HEADER_ROW, c, "duplicate column header") for c in dup]
        )
    df.columns = pd.Index(cols)
    df.index = pd.RangeIndex(HEADER_ROW + 1, HEADER_ROW + 1 + len(df))
    return df


def parse_dates(
    values: pd.Series, formats: Sequence[str], *, file: str, column: str
) -> tuple[pd.Series, list[RowProblem]]:
    """Dates of a text column, trying each ``strptime`` format in turn.

    ISO 8601 (``2027-01-31``, ``2027-01-31 06:00:00``, what a real Excel date cell reads
    as) is always accepted; ``formats`` are tried first.  A time of day is dropped.

    Returns
    -------
    (pandas.Series of datetime64, list of RowProblem)
        ``NaT`` for empty cells; one problem per non-empty cell no format reads or
        outside the years 1900-2199.
    """
    text = values.str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    todo = text != ""
    for fmt in [*formats, "ISO8601"]:
        if not todo.any():
            break
        try:
            parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce", utc=True)
        except (ValueError, OverflowError):  # pragma: no cover - pandas coerces these
            continue
        parsed = parsed.dt.tz_localize(None)
        ok = parsed.notna() & (parsed >= _FIRST_DAY) & (parsed <= _LAST_DAY)
        if ok.any():
            idx = parsed.index[ok.to_numpy()]
            out.loc[idx] = parsed[ok].astype("datetime64[ns]").to_numpy()
            todo.loc[idx] = False
    problems = [
        RowProblem(
            file,
            int(r),
            column,
            f"{text[r]!r} is not a date in 1900-2199 (formats tried: "
            f"{', '.join([*formats, 'ISO 8601'])})",
        )
        for r in text.index[todo.to_numpy()]
    ]
    return out.dt.normalize(), problems


def parse_numbers(
    values: pd.Series, *, file: str, column: str, unit: str = "h"
) -> tuple[pd.Series, list[RowProblem]]:
    """Non-negative numbers of a text column (decimal point, or a decimal comma when the
    cell has no point; blanks and ``'`` as thousands separators are removed).

    Returns
    -------
    (pandas.Series of float, list of RowProblem)
        ``NaN`` for empty cells; one problem per unreadable, non-finite or negative cell.
    """
    text = values.str.strip().str.replace(r"[ '\u00a0]", "", regex=True)
    comma = ~text.str.contains(".", regex=False)
    text = text.where(~comma, text.str.replace(",", ".", regex=False))
    num = pd.to_numeric(text, errors="coerce")
    empty = text == ""
    problems: list[RowProblem] = []
    bad = (~empty) & (num.isna() | ~np.isfinite(num.fillna(0.0)))
    for r in text.index[bad.to_numpy()]:
        problems.append(RowProblem(file, int(r), column, f"{values[r]!r} is not a number ({unit})"))
    neg = (~bad) & (~empty) & (num < 0)
    for r in text.index[neg.to_numpy()]:
        problems.append(RowProblem(file, int(r), column, f"negative value {values[r]!r} {unit}"))
    out = num.where(~(bad | neg)).astype(float)
    return out, problems


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename,
    so that readers see the old file or the new one, never a partial one."""
    out = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
