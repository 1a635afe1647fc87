"""Failure and work-order history -> life records with right censoring, current ages,
and maximum-likelihood fits per component type, site or asset.

From rows to lives
------------------
Each row is one removal of the part at a position (``asset_id``) on ``removal_date``
with a ``reason``: a failure code ends a *failure* record, a preventive/suspension code a
*right-censored* one (the part was still working).  A row with no removal date is the part
still running: censored at the ``as_of`` date.  A life starts at the row's
``install_date`` or, without one, at the previous removal of the same position (a
replacement work order installs the new part the day it removes the old one).  After a
position's last removal its current part runs until ``as_of`` and is added as a censored
record (unless the file has an open row for it); its start is the position's *last
replacement date*, from which :func:`current_installs` gives the current age.

A life in hours is the ``hours`` column when given, else calendar days times the
operating hours per day of the asset's system in the scenario (when one is given), else
the mapping's ``operating_h_per_day`` (default 24).  A position's first row without an
install date has no known start: it is not a life record, only the start of the next
one (counted in :attr:`History.no_start`).

A censored life of 0 h (a preventive removal on the day the part was installed, or a
part installed on the ``as_of`` date -- the default ``as_of`` is the latest date in the
file, so a position replaced that day has one) is kept as what it is: a record
censored at 0 h.  It adds ``log S(0) = 0`` to the log-likelihood of every family, so
no fit, interval or AIC changes when it is left out; the fitters and probability plots
take times > 0, so it is not in :attr:`History.lives` but counted in
:attr:`History.zero_censored`, which ``opportune fit`` reports.  Its start still
counts as the position's last renewal (the current part's age is 0 at ``as_of``).  A
*failure* at 0 h is an error naming its row.

Fits
----
:func:`fit_groups` calls :func:`optimizer.reliability.fitting.fit_weibull` and
:func:`~optimizer.reliability.fitting.fit_lognormal` (maximum likelihood with right
censoring, 95 % Wald intervals) per group and compares families by AIC.

Too-few-data rule: a group with fewer than 2 failures is not fitted (two parameters need
two failure times); with fewer than 10 failures the fit is made but flagged ``few
failures``: the Wald intervals rest on a normal approximation that is poor below about
10 failures (Meeker and Escobar 1998, sec. 8.4) and AIC cannot reliably tell Weibull
from lognormal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from optimizer.cmms.mapping import ColumnMapping, read_mapped
from optimizer.cmms.tables import CmmsInputError, RowProblem, parse_dates, parse_numbers
from optimizer.reliability.fitting import FitResult, fit_lognormal, fit_weibull

__all__ = [
    "FEW_FAILURES",
    "MIN_FAILURES",
    "GroupFit",
    "History",
    "current_installs",
    "fit_groups",
    "read_history",
]

MIN_FAILURES = 2
"""Fewer failures than this: no fit."""
FEW_FAILURES = 10
"""Fewer failures than this: the fit is flagged ``few failures``."""

By = Literal["type", "site", "asset"]
Family = Literal["weibull", "lognormal", "auto"]


@dataclass(frozen=True)
class History:
    """Life records read from a history file.

    Parameters
    ----------
    lives : pandas.DataFrame
        One row per life: ``asset_id``, ``type``, ``site``, ``start`` and ``end``
        (datetime64, end = removal or ``as_of``), ``hours`` (life in operating hours,
        > 0), ``failed`` (bool: ``False`` = right-censored), ``row`` (spreadsheet row, 0
        for a running unit added after the last removal).
    last_renewal : dict of str to date
        Per position, the date its current part was installed (last replacement, or the
        first install date).
    as_of : date
        Censoring date of running units.
    source : str
        File name.
    no_start : int
        Rows that only start the next life (a position's first removal without install
        date).
    zero_censored : int
        Censored lives of 0 h (see the module docstring): no likelihood, not in
        ``lives``.
    """

    lives: pd.DataFrame
    last_renewal: dict[str, date]
    as_of: date
    source: str
    no_start: int = 0
    zero_censored: int = 0


def read_history(
    path: str | Path,
    mapping: ColumnMapping,
    *,
    as_of: date | None = None,
    asset_types: Mapping[str, str] | None = None,
    asset_sites: Mapping[str, str] | None = None,
    asset_h_per_day: Mapping[str, float] | None = None,
) -> History:
    """Read a failure / work-order history into life records.

    Parameters
    ----------
    path : str or Path
        CSV or XLSX export.
    mapping : ColumnMapping
        Column mapping (:func:`optimizer.cmms.mapping.load_mapping`).
    as_of : date, optional
        Censoring date of running units (default: the latest date in the file).
    asset_types, asset_sites : mapping, optional
        Type and site of each asset id (e.g. from the scenario) for files without those
        columns; the file's own column wins.
    asset_h_per_day : mapping, optional
        Operating hours per calendar day of each asset (its system's
        ``operating_h_per_day`` in the scenario); others use the mapping's.

    Returns
    -------
    History

    Raises
    ------
    CmmsInputError
        Every problem with file, row and column: unreadable dates or hours, negative
        hours, removal before install, an unknown reason code, a row without asset id,
        an asset whose type is unknown, a missing or unknown mapping column.
    """
    file = str(path)
    df, cols = read_mapped(path, mapping, "history")
    problems: list[RowProblem] = []
    d = mapping.defaults

    def text(name: str) -> pd.Series:
        if name in cols:
            s = df[cols[name]].str.strip()
            return s.where(s != "", d[name]) if name in d else s
        return pd.Series(d.get(name, ""), index=df.index, dtype=object).astype(str)

    def col(name: str) -> str:
        return cols.get(name, f"{name} (default)")

    asset = text("asset_id")
    for r in asset.index[(asset == "").to_numpy()]:
        problems.append(RowProblem(file, int(r), col("asset_id"), "empty asset id"))
    removal, p = parse_dates(
        text("removal_date"), mapping.date_formats, file=file, column=col("removal_date")
    )
    problems += p
    install = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if "install_date" in cols:
        install, p = parse_dates(
            df[cols["install_date"]], mapping.date_formats, file=file, column=cols["install_date"]
        )
        problems += p
    hours = pd.Series(np.nan, index=df.index)
    if "hours" in cols:
        hours, p = parse_numbers(df[cols["hours"]], file=file, column=cols["hours"])
        problems += p
    bad_order = install.notna() & removal.notna() & (removal < install)
    for r in removal.index[bad_order.to_numpy()]:
        problems.append(
            RowProblem(
                file,
                int(r),
                col("removal_date"),
                f"removal {removal[r].date()} before install {install[r].date()}",
            )
        )
    reason = text("reason").str.lower()
    is_fail = reason.isin(mapping.failure_reasons)
    is_prev = reason.isin(mapping.preventive_reasons)
    unknown = ~(is_fail | is_prev) & ((reason != "") | removal.notna())
    for r in reason.index[unknown.to_numpy()]:
        what = f"unknown reason {df.loc[r, cols['reason']] if 'reason' in cols else ''!r}"
        if reason[r] == "":
            what = "empty reason for a removal"
        problems.append(
            RowProblem(
                file,
                int(r),
                col("reason"),
                f"{what} (failure: {mapping.failure_reasons}; preventive/suspension: "
                f"{mapping.preventive_reasons})",
            )
        )
    types = text("type")
    sites = text("site")
    if asset_types:
        types = types.where(types != "", asset.map(lambda a: asset_types.get(a, "")))
    if asset_sites:
        sites = sites.where(sites != "", asset.map(lambda a: asset_sites.get(a, "")))
    mapped = types.map(lambda t: mapping.types.get(t, t))
    no_type = (mapped == "") & (asset != "")
    for r in mapped.index[no_type.to_numpy()]:
        problems.append(
            RowProblem(
                file,
                int(r),
                col("type"),
                f"no component type for asset {asset[r]!r} (no type column value and the "
                "asset is not in the scenario)",
            )
        )
    if problems:
        raise CmmsInputError(problems)

    if as_of is None:
        latest = pd.concat([removal, install]).max()
        if pd.isna(latest):
            raise CmmsInputError([RowProblem(file, None, None, "no dates in the file")])
        as_of_ts = pd.Timestamp(latest)
    else:
        as_of_ts = pd.Timestamp(as_of)
    late = removal.notna() & (removal > as_of_ts)
    for r in removal.index[late.to_numpy()]:
        problems.append(
            RowProblem(
                file,
                int(r),
                col("removal_date"),
                f"removal {removal[r].date()} after the as-of date {as_of_ts.date()}",
            )
        )
    for r in install.index[(install.notna() & (install > as_of_ts)).to_numpy()]:
        problems.append(
            RowProblem(
                file,
                int(r),
                cols["install_date"],
                f"install {install[r].date()} after the as-of date {as_of_ts.date()}",
            )
        )
    if problems:
        raise CmmsInputError(problems)

    rec = pd.DataFrame(
        {
            "asset_id": asset,
            "type": mapped,
            "site": sites,
            "install": install,
            "removal": removal,
            "hours_col": hours,
            "failed": is_fail & removal.notna(),
            "row": df.index.to_numpy(),
        }
    )
    rec = rec.sort_values(["asset_id", "removal", "row"], na_position="last", kind="stable")
    prev = rec.groupby("asset_id", sort=False)["removal"].shift(1)
    rec["start"] = rec["install"].where(rec["install"].notna(), prev)
    rec["end"] = rec["removal"].where(rec["removal"].notna(), as_of_ts)
    # running units after each position's last removal (when the file has no open row)
    last = rec.groupby("asset_id", sort=False).tail(1)
    add = last[last["removal"].notna()].copy()
    add["start"] = add["removal"]
    add["end"] = as_of_ts
    add["failed"] = False
    add["hours_col"] = np.nan
    add["row"] = 0
    add["install"] = add["removal"]
    add["removal"] = pd.NaT
    lives = pd.concat([rec, add], ignore_index=True)
    days = (lives["end"] - lives["start"]).dt.total_seconds() / 86400.0
    hpd = pd.Series(mapping.operating_h_per_day, index=lives.index, dtype=float)
    if asset_h_per_day:
        hpd = lives["asset_id"].map(asset_h_per_day).astype(float).fillna(hpd)
    lives["hours"] = lives["hours_col"].where(lives["hours_col"].notna(), days * hpd)
    no_start = int((lives["hours"].isna() & (lives["row"] > 0)).sum())
    zero = lives["hours"].notna() & (lives["hours"] <= 0) & (lives["row"] > 0) & lives["failed"]
    zero_rows = sorted(int(r) for r in lives.loc[zero, "row"])
    if zero_rows:
        raise CmmsInputError(
            [
                RowProblem(
                    file, r, col("removal_date"), "failure at age 0 h (removal on the install date)"
                )
                for r in zero_rows
            ]
        )
    known = lives["hours"].notna()
    # last renewal: start of each position's current (open) life, 0 h long included
    current = lives[known & (lives["hours"] >= 0) & lives["removal"].isna()]
    zero_censored = int((known & (lives["hours"] == 0) & ~lives["failed"].astype(bool)).sum())
    lives = lives[known & (lives["hours"] > 0)]
    renewal = {
        str(a): pd.Timestamp(s).date()
        for a, s in zip(current["asset_id"], current["start"], strict=True)
        if pd.notna(s)
    }
    out = lives[["asset_id", "type", "site", "start", "end", "hours", "failed", "row"]].reset_index(
        drop=True
    )
    out["failed"] = out["failed"].astype(bool)
    return History(out, renewal, as_of_ts.date(), file, no_start, zero_censored)


def current_installs(history: History) -> dict[str, date]:
    """Install date of each position's current part (its last replacement date).

    The current age follows from it: ``(plan start - date) x operating hours per day`` --
    what a scenario component's ``installed_on`` means.
    """
    return dict(history.last_renewal)


@dataclass(frozen=True)
class GroupFit:
    """The fits of one group (a component type, site or asset).

    Parameters
    ----------
    key : str
        Group value (type, site or asset id).
    n_failures, n_censored : int
        Records.
    fits : dict of str to FitResult
        Per family tried (empty when not fitted).
    chosen : str or None
        Family used (lowest AIC under ``auto``), ``None`` when not fitted.
    warnings : tuple of str
        ``few failures``, fit failures, or why there is no fit.
    """

    key: str
    n_failures: int
    n_censored: int
    fits: dict[str, FitResult] = field(default_factory=dict)
    chosen: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def best(self) -> FitResult | None:
        """The chosen fit."""
        return self.fits.get(self.chosen) if self.chosen else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (parameters, 95 % intervals, AIC per family, mean life)."""
        out: dict[str, Any] = {
            "key": self.key,
            "n_failures": self.n_failures,
            "n_censored": self.n_censored,
            "family": self.chosen,
            "warnings": list(self.warnings),
            "aic": {f: r.aic for f, r in self.fits.items()},
        }
        b = self.best
        if b is not None:
            out["params"] = dict(b.params)
            out["ci95"] = {k: list(v) for k, v in b.ci.items()}
            out["log_likelihood"] = b.log_likelihood
            out["mean_life_h"] = b.mean_life_h()
            out["mean_life_ci95_h"] = list(b.mean_life_ci())
        return out


_FITTERS = {"weibull": fit_weibull, "lognormal": fit_lognormal}


def fit_one(key: str, hours: np.ndarray, failed: np.ndarray, family: Family = "auto") -> GroupFit:
    """Fit one group's records (see the module docstring for the too-few-data rule)."""
    nf = int(failed.sum())
    nc = int(failed.size - nf)
    if nf < MIN_FAILURES:
        return GroupFit(
            key, nf, nc, warnings=(f"not fitted: {nf} failure(s), at least {MIN_FAILURES} needed",)
        )
    warn: list[str] = []
    if nf < FEW_FAILURES:
        warn.append(f"few failures ({nf} < {FEW_FAILURES}): wide, approximate intervals")
    fams = ["weibull", "lognormal"] if family == "auto" else [family]
    fits: dict[str, FitResult] = {}
    for fam in fams:
        try:
            fits[fam] = _FITTERS[fam](hours, failed)
        except (ValueError, ArithmeticError, RuntimeError) as exc:  # no fit for this family
            warn.append(f"{fam}: {exc}")
    if not fits:
        return GroupFit(key, nf, nc, warnings=tuple(warn))
    chosen = min(fits, key=lambda f: fits[f].aic)
    return GroupFit(key, nf, nc, fits, chosen, tuple(warn))


def fit_groups(history: History, *, by: By = "type", family: Family = "auto") -> list[GroupFit]:
    """Fit a life distribution per group of the history.

    Parameters
    ----------
    history : History
        From :func:`read_history`.
    by : {"type", "site", "asset"}
        Grouping column (``asset`` = ``asset_id``).
    family : {"weibull", "lognormal", "auto"}
        ``auto`` fits both and chooses the lower AIC.

    Returns
    -------
    list of GroupFit
        Sorted by key.
    """
    col = "asset_id" if by == "asset" else by
    out: list[GroupFit] = []
    lives = history.lives
    for key, g in lives.groupby(col, sort=True):
        out.append(
            fit_one(
                str(key), g["hours"].to_numpy(dtype=float), g["failed"].to_numpy(dtype=bool), family
            )
        )
    return out


def fits_into_scenario(
    data: Mapping[str, Any],
    fits: list[GroupFit],
    history: History,
    *,
    fitted_on: date,
) -> tuple[dict[str, Any], list[str]]:
    """Write type-level fits and current ages into a scenario document.

    Each fitted type of ``component_types`` gets ``life`` (the chosen family's
    parameters) and ``life_fit`` (data source, fit and as-of dates, records, 95 %
    intervals, AIC per family); each component whose id is a position of the history gets
    ``installed_on`` = its last replacement date (``age_h`` removed).

    Returns
    -------
    (dict, list of str)
        The new document (``data`` is not modified) and notes (types not in the
        scenario, groups not fitted).
    """
    import copy

    out: dict[str, Any] = copy.deepcopy(dict(data))
    types = out.setdefault("component_types", {})
    notes: list[str] = []
    for g in fits:
        b = g.best
        if b is None:
            notes.append(f"type {g.key}: {'; '.join(g.warnings)}")
            continue
        if g.key not in types:
            notes.append(f"type {g.key} is not a component type of the scenario: not written")
            continue
        life: dict[str, Any] = {"distribution": b.family}
        life.update({k: float(f"{v:.6g}") for k, v in b.params.items()})
        types[g.key]["life"] = life
        types[g.key]["life_fit"] = {
            "source": Path(history.source).name,
            "fitted_on": fitted_on,
            "as_of": history.as_of,
            "method": "maximum likelihood, right censoring",
            "n_failures": g.n_failures,
            "n_censored": g.n_censored,
            "ci95": {k: [float(f"{lo:.6g}"), float(f"{hi:.6g}")] for k, (lo, hi) in b.ci.items()},
            "aic": {f: round(r.aic, 3) for f, r in g.fits.items()},
            **({"warning": "; ".join(g.warnings)} if g.warnings else {}),
        }
    renew = current_installs(history)
    n_age = 0
    for site in out.get("fleet", {}).get("sites", []):
        for system in site.get("systems", []):
            for comp in system.get("components", []):
                when = renew.get(str(comp.get("id")))
                if when is not None:
                    comp.pop("age_h", None)
                    comp["installed_on"] = when
                    n_age += 1
    notes.append(f"{n_age} component age(s) set from their last replacement date")
    return out, notes
