"""Fleet benchmarking: each site's (or asset's) life distribution against the rest of the
fleet of like components, with a stated false-alarm rate.

Method
------
For every component type and every group ``g`` (a site, or an asset) with at least 2
failures, and at least 2 failures in the rest of the fleet of that type, three
maximum-likelihood fits with right censoring are made
(:mod:`optimizer.reliability.fitting`): the group alone, the rest of the fleet, and the
pooled fleet.  The likelihood-ratio statistic

.. math:: \\Lambda_g = 2 (\\ell_g + \\ell_{rest} - \\ell_{pooled})

is asymptotically chi-square with 2 degrees of freedom (two parameters per
distribution) when the group's life distribution is the fleet's [1]_.  With ``m``
groups of a type tested, a group *differs* when its p-value is below ``alpha / m``
(Bonferroni), so the probability that any group of a homogeneous fleet of that type is
reported as different is at most ``alpha`` (the false-alarm rate, default 5 % per
type).  A differing group whose fitted mean life is below the rest of the fleet's is
*flagged as an under-performer*; the evidence is its fitted mean life with its 95 %
interval against the rest of the fleet's and the pooled fleet's, and its failure count.

Groups with fewer than 2 failures (or whose fit fails) are listed as not tested.

References
----------
.. [1] J. F. Lawless, *Statistical Models and Methods for Lifetime Data*, 2nd ed., 2003,
   sec. 5.4 (comparison of distributions by likelihood ratio, censored data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from optimizer.reliability.fitting import FitResult, fit_lognormal, fit_weibull

__all__ = ["BenchmarkResult", "GroupBenchmark", "benchmark"]

_FIT = {"weibull": fit_weibull, "lognormal": fit_lognormal}


@dataclass(frozen=True)
class GroupBenchmark:
    """One group's comparison with the rest of the fleet of its type.

    Parameters
    ----------
    type, group : str
        Component type and the site (or asset) compared.
    n_failures, n_censored : int
        The group's records.
    mean_life_h, mean_life_ci_h : float, (float, float)
        Fitted mean life of the group and its 95 % interval, h (NaN when not tested).
    rest_mean_life_h, rest_mean_life_ci_h : float, (float, float)
        The same for the rest of the fleet of the type.
    fleet_mean_life_h : float
        Pooled fleet (all groups of the type), h.
    lr_stat, p_value, threshold : float
        Likelihood-ratio statistic, its chi-square(2) p-value, and ``alpha / m``.
    differs, flagged : bool
        ``p_value < threshold``; differs with a lower mean life than the rest.
    note : str
        Evidence in words, or why the group was not tested.
    """

    type: str
    group: str
    n_failures: int
    n_censored: int
    mean_life_h: float
    mean_life_ci_h: tuple[float, float]
    rest_mean_life_h: float
    rest_mean_life_ci_h: tuple[float, float]
    fleet_mean_life_h: float
    lr_stat: float
    p_value: float
    threshold: float
    differs: bool
    flagged: bool
    note: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (NaN -> ``None``)."""

        def f(x: float) -> float | None:
            return None if not np.isfinite(x) else float(x)

        return {
            "type": self.type,
            "group": self.group,
            "n_failures": self.n_failures,
            "n_censored": self.n_censored,
            "mean_life_h": f(self.mean_life_h),
            "mean_life_ci95_h": [f(x) for x in self.mean_life_ci_h],
            "rest_mean_life_h": f(self.rest_mean_life_h),
            "rest_mean_life_ci95_h": [f(x) for x in self.rest_mean_life_ci_h],
            "fleet_mean_life_h": f(self.fleet_mean_life_h),
            "lr_stat": f(self.lr_stat),
            "p_value": f(self.p_value),
            "threshold": f(self.threshold),
            "differs": self.differs,
            "flagged": self.flagged,
            "note": self.note,
        }


@dataclass(frozen=True)
class BenchmarkResult:
    """All groups' comparisons.

    Parameters
    ----------
    rows : tuple of GroupBenchmark
        Sorted by type, then flagged first, then p-value.
    by : str
        ``site`` or ``asset``.
    family : str
        Life distribution family fitted.
    alpha : float
        False-alarm rate per component type (family-wise, Bonferroni).
    method : str
        The method in one paragraph (for reports).
    """

    rows: tuple[GroupBenchmark, ...]
    by: str
    family: str
    alpha: float
    method: str

    @property
    def flagged(self) -> tuple[GroupBenchmark, ...]:
        """The under-performers."""
        return tuple(r for r in self.rows if r.flagged)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "by": self.by,
            "family": self.family,
            "alpha": self.alpha,
            "method": self.method,
            "groups": [r.as_dict() for r in self.rows],
            "flagged": [r.group for r in self.flagged],
        }


def _fit(fam: str, t: np.ndarray, f: np.ndarray) -> FitResult | None:
    if int(f.sum()) < 2:
        return None
    try:
        return _FIT[fam](t, f)
    except (ValueError, ArithmeticError, RuntimeError):  # no fit: the group is not tested
        return None


_NAN2 = (float("nan"), float("nan"))


def benchmark(
    lives: pd.DataFrame,
    *,
    by: Literal["site", "asset"] = "site",
    family: Literal["weibull", "lognormal"] = "weibull",
    alpha: float = 0.05,
) -> BenchmarkResult:
    """Compare each site's (or asset's) life distribution with the rest of its fleet.

    Parameters
    ----------
    lives : pandas.DataFrame
        Life records with columns ``type``, ``site``, ``asset_id``, ``hours`` (> 0) and
        ``failed`` (:attr:`optimizer.cmms.history.History.lives`).
    by : {"site", "asset"}
        Groups compared.
    family : {"weibull", "lognormal"}
        Life distribution fitted to each group.
    alpha : float
        Family-wise false-alarm rate per component type, in (0, 1).

    Returns
    -------
    BenchmarkResult

    Raises
    ------
    ValueError
        If ``alpha`` is not in (0, 1), or ``by``/``family`` is unknown.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha: must be in (0, 1), got {alpha}")
    if by not in ("site", "asset"):
        raise ValueError(f"by: must be 'site' or 'asset', got {by!r}")
    if family not in _FIT:
        raise ValueError(f"family: must be 'weibull' or 'lognormal', got {family!r}")
    col = "asset_id" if by == "asset" else "site"
    rows: list[GroupBenchmark] = []
    for typ, tg in lives.groupby("type", sort=True):
        t_all = tg["hours"].to_numpy(dtype=float)
        f_all = tg["failed"].to_numpy(dtype=bool)
        pooled = _fit(family, t_all, f_all)
        keys = tg[col].to_numpy()
        groups = sorted(str(k) for k in pd.unique(keys))
        tested: list[tuple[str, FitResult, FitResult, int, int]] = []
        skipped: list[tuple[str, int, int, str]] = []
        for g in groups:
            mask = keys == g
            nf, nc = int(f_all[mask].sum()), int((~f_all[mask]).sum())
            if pooled is None or len(groups) < 2:
                skipped.append(
                    (
                        g,
                        nf,
                        nc,
                        "not tested: the fleet of this type has too few failures or a single group",
                    )
                )
                continue
            own = _fit(family, t_all[mask], f_all[mask])
            rest = _fit(family, t_all[~mask], f_all[~mask])
            if own is None or rest is None:
                who = "group" if own is None else "rest of the fleet"
                skipped.append(
                    (g, nf, nc, f"not tested: the {who} has fewer than 2 failures or no fit")
                )
                continue
            tested.append((g, own, rest, nf, nc))
        m = len(tested)
        thr = alpha / m if m else float("nan")
        fleet_mean = pooled.mean_life_h() if pooled is not None else float("nan")
        for g, own, rest, nf, nc in tested:
            assert pooled is not None
            lr = max(0.0, 2.0 * (own.log_likelihood + rest.log_likelihood - pooled.log_likelihood))
            p = float(stats.chi2.sf(lr, 2))
            mean, ci = own.mean_life_h(), own.mean_life_ci()
            rmean, rci = rest.mean_life_h(), rest.mean_life_ci()
            differs = p < thr
            flagged = differs and mean < rmean
            verdict = (
                "UNDER-PERFORMER" if flagged else ("differs (better)" if differs else "in line")
            )
            note = (
                f"{verdict}: mean life {mean:,.0f} h (95% {ci[0]:,.0f}-{ci[1]:,.0f}) vs rest "
                f"of fleet {rmean:,.0f} h ({rci[0]:,.0f}-{rci[1]:,.0f}); {nf} failures, "
                f"{nc} censored; LR {lr:.2f}, p = {p:.3g} (threshold {thr:.3g})"
            )
            rows.append(
                GroupBenchmark(
                    str(typ),
                    g,
                    nf,
                    nc,
                    mean,
                    ci,
                    rmean,
                    rci,
                    fleet_mean,
                    lr,
                    p,
                    thr,
                    differs,
                    flagged,
                    note,
                )
            )
        for g, nf, nc, why in skipped:
            nan = float("nan")
            rows.append(
                GroupBenchmark(
                    str(typ),
                    g,
                    nf,
                    nc,
                    nan,
                    _NAN2,
                    nan,
                    _NAN2,
                    fleet_mean,
                    nan,
                    nan,
                    thr,
                    False,
                    False,
                    why,
                )
            )
    rows.sort(key=lambda r: (r.type, not r.flagged, np.nan_to_num(r.p_value, nan=2.0), r.group))
    method = (
        f"Per component type, each {by} with at least 2 failures is compared with the rest "
        f"of the fleet by a likelihood-ratio test ({family} fits with right censoring, "
        "chi-square with 2 degrees of freedom); Bonferroni over the groups tested, so a "
        f"homogeneous fleet has a {by} reported as different with probability at most "
        f"{alpha:g} per type. A differing {by} with a lower mean life than the rest is "
        "flagged as an under-performer."
    )
    return BenchmarkResult(tuple(rows), by, family, alpha, method)
