"""Histories -> lives with censoring, current ages; fits against an independent scipy MLE."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import optimize, stats

from optimizer.cmms.history import (
    FEW_FAILURES,
    fit_groups,
    fit_one,
    fits_into_scenario,
    read_history,
)
from optimizer.cmms.mapping import load_mapping, preset_mapping
from optimizer.cmms.tables import CmmsInputError
from optimizer.loading import parse_scenario

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "cmms"


def _write(tmp_path: Path, text: str, name: str = "h.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_lives_from_work_orders(tmp_path: Path) -> None:
    """Starts from the previous removal, running units censored at as-of, hours per day."""
    h = _write(
        tmp_path,
        "asset_id;type;install_date;removal_date;reason\n"
        "A;t;01.01.2020;11.01.2020;failure\n"  # 10 days
        "A;t;;31.01.2020;PM\n"  # 20 days, censored
        "B;t;;05.01.2020;F\n"  # no start: only starts the next life
        "B;t;;15.01.2020;failure\n"  # 10 days
        "C;t;01.01.2020;;\n",  # running since 1.1.: 40 days at as-of
    )
    hist = read_history(h, preset_mapping("generic"), as_of=date(2020, 2, 10))
    lives = hist.lives.sort_values(["asset_id", "start"]).reset_index(drop=True)
    got = [
        (a, float(x), bool(f))
        for a, x, f in zip(lives.asset_id, lives.hours, lives.failed, strict=True)
    ]
    assert got == [
        ("A", 240.0, True),
        ("A", 480.0, False),
        ("A", 240.0, False),  # running since the last removal (31.1. -> 10.2.)
        ("B", 240.0, True),
        ("B", 26 * 24.0, False),
        ("C", 40 * 24.0, False),
    ]
    assert hist.no_start == 1
    assert hist.last_renewal == {
        "A": date(2020, 1, 31),
        "B": date(2020, 1, 15),
        "C": date(2020, 1, 1),
    }
    # the same file with 16 operating hours a day for asset A
    hist16 = read_history(
        h, preset_mapping("generic"), as_of=date(2020, 2, 10), asset_h_per_day={"A": 16.0}
    )
    a = hist16.lives[hist16.lives.asset_id == "A"].sort_values("start")
    assert_allclose(a.hours, [160.0, 320.0, 160.0])


def test_bad_history_rows(tmp_path: Path) -> None:
    h = _write(
        tmp_path,
        "asset_id,type,install_date,removal_date,reason,hours\n"
        "A,t,2020-02-01,2020-01-01,failure,\n"  # 2 removal before install
        "A,t,,2020-03-01,exploded,\n"  # 3 unknown reason
        ",t,,2020-03-01,failure,\n"  # 4 no asset
        "B,t,,2020-13-01,failure,\n"  # 5 bad date
        "C,t,,2020-03-01,failure,-3\n"  # 6 negative hours
        "D,,,2020-03-01,failure,\n",  # 7 no type
    )
    with pytest.raises(CmmsInputError) as exc:
        read_history(h, preset_mapping("generic"))
    where = sorted((p.row or 0, p.column or "") for p in exc.value.problems)
    assert where == [
        (2, "removal_date"),
        (3, "reason"),
        (4, "asset_id"),
        (5, "removal_date"),
        (6, "hours"),
        (7, "type"),
    ]


def _independent_mle(t: np.ndarray, f: np.ndarray, family: str) -> tuple[np.ndarray, float]:
    """Censored MLE written independently: scipy.stats log-pdf/log-sf, BFGS on log-params."""

    def nll(p: np.ndarray) -> float:
        a, b = math.exp(p[0]), math.exp(p[1])
        if family == "weibull":
            dist = stats.weibull_min(a, scale=b)
        else:
            dist = stats.lognorm(b, scale=a)  # p = (log median, log sigma)
        return -float(dist.logpdf(t[f]).sum() + dist.logsf(t[~f]).sum())

    start = np.array([0.0, math.log(float(np.mean(t)))])
    if family == "lognormal":
        start = np.array([math.log(float(np.median(t))), 0.0])
    res = optimize.minimize(
        nll, start, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000}
    )
    res = optimize.minimize(nll, res.x, method="BFGS", options={"gtol": 1e-10})  # fmt: skip
    return np.exp(res.x), -float(res.fun)


@pytest.mark.parametrize("family", ["weibull", "lognormal"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fit_agrees_with_independent_scipy_mle(family: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    life = 20_000.0 * rng.weibull(2.2, n) if family == "weibull" else rng.lognormal(9.5, 0.6, n)
    pm = rng.uniform(5_000, 30_000, n)
    t = np.minimum(life, pm)
    f = life < pm
    g = fit_one("x", t, f, family)  # type: ignore[arg-type]
    b = g.best
    assert b is not None
    params, ll = _independent_mle(t, f, family)
    names = ("shape", "scale_h") if family == "weibull" else ("median_h", "sigma")
    assert_allclose([b.params[names[0]], b.params[names[1]]], params, rtol=1e-6)
    assert_allclose(b.log_likelihood, ll, rtol=1e-9)
    assert_allclose(b.aic, 4.0 - 2.0 * ll, rtol=1e-9)


def test_auto_picks_lower_aic_and_mean_life_interval() -> None:
    rng = np.random.default_rng(5)
    t = 1000.0 * rng.weibull(3.0, 80)
    f = np.ones(80, dtype=bool)
    g = fit_one("x", t, f, "auto")
    assert set(g.fits) == {"weibull", "lognormal"}
    assert g.chosen == min(g.fits, key=lambda k: g.fits[k].aic)
    b = g.best
    assert b is not None
    # mean-life interval: delta method with a numerical gradient and the covariance
    k, lam = b.params["shape"], b.params["scale_h"]
    assert_allclose(b.mean_life_h(), lam * math.gamma(1 + 1 / k), rtol=1e-12)

    def log_mean(u: float, v: float) -> float:
        return v + math.lgamma(1 + math.exp(-u))

    u, v, eps = math.log(k), math.log(lam), 1e-6
    grad = np.array(
        [
            (log_mean(u + eps, v) - log_mean(u - eps, v)) / (2 * eps),
            (log_mean(u, v + eps) - log_mean(u, v - eps)) / (2 * eps),
        ]
    )
    se = math.sqrt(float(grad @ np.asarray(b.cov_log) @ grad))
    m = b.mean_life_h()
    assert_allclose(
        b.mean_life_ci(), (m * math.exp(-1.959964 * se), m * math.exp(1.959964 * se)), rtol=1e-5
    )


def test_too_few_failures_rule() -> None:
    t = np.array([100.0, 200.0, 300.0, 400.0])
    none = fit_one("x", t, np.array([True, False, False, False]), "weibull")
    assert none.best is None and "at least 2" in none.warnings[0]
    few = fit_one("x", t, np.array([True, True, True, False]), "weibull")
    assert few.best is not None and f"< {FEW_FAILURES}" in few.warnings[0]


def test_plant_history_fit_into_scenario() -> None:
    from optimizer.cmms.assets import load_scenario_data

    data = load_scenario_data(ROOT / "scenarios" / "plant.yaml")
    scn = parse_scenario(data)
    types = {c.id: str(c.type) for c in scn.components()}
    hpd = {
        c.id: s.operating_h_per_day
        for st in scn.fleet.sites
        for s in st.systems
        for c in s.components
    }
    hist = read_history(
        DATA / "plant_history_maximo.csv",
        load_mapping(DATA / "mapping_maximo.yaml"),
        as_of=scn.calendar.start.date(),
        asset_types=types,
        asset_h_per_day=hpd,
    )
    fits = fit_groups(hist, by="type", family="weibull")
    servo = next(g for g in fits if g.key == "servo_motor")
    assert servo.best is not None and servo.n_failures >= FEW_FAILURES
    new, notes = fits_into_scenario(data, fits, hist, fitted_on=date(2026, 12, 7))
    scn2 = parse_scenario(new)
    lf = scn2.component_types["servo_motor"].life_fit
    assert lf is not None and lf.source == "plant_history_maximo.csv"
    assert lf.n_failures == servo.n_failures and lf.fitted_on == date(2026, 12, 7)
    life = new["component_types"]["servo_motor"]["life"]
    assert_allclose(life["shape"], servo.best.params["shape"], rtol=1e-5)
    # ages from the last replacement date: the generator put it at age_h / h_per_day
    # days before the plan start, so the ages come back to within a day
    old = {c.id: c.age_h for c in scn.components()}
    for c in scn2.components():
        if c.id in hist.last_renewal and c.prognostics is None:
            assert abs(c.age_h - old[c.id]) <= hpd[c.id] + 1e-9
    assert any("component age(s) set" in n for n in notes)


def test_zero_length_censored_lives_are_counted_not_fitted(tmp_path: Path) -> None:
    # Five failures of 10..50 days at A..E, plus two censored lives of 0 h: F is removed
    # preventively the day it was installed, and G is replaced on the as-of date (the
    # latest date in the file, the default), so its running part is 0 h old.
    ends = {"A": 11, "B": 15, "C": 21, "D": 26, "E": 31}
    rows = [f"{a};t;01.01.2020;{d:02d}.01.2020;failure" for a, d in ends.items()]
    body = "asset_id;type;install_date;removal_date;reason\n" + "\n".join(rows) + "\n"
    zero = body + "F;t;05.01.2020;05.01.2020;PM\nG;t;01.01.2020;01.02.2020;failure\n"
    plain = body + "G;t;01.01.2020;01.02.2020;failure\n"
    hist = read_history(_write(tmp_path, zero), preset_mapping("generic"))
    ref = read_history(_write(tmp_path, plain, "plain.csv"), preset_mapping("generic"))
    assert hist.as_of == date(2020, 2, 1)
    assert hist.zero_censored == 2 and ref.zero_censored == 1  # G's running part in both
    assert (hist.lives["hours"] > 0).all()
    # written out by hand (days): failures; parts running since each removal until 1.2.
    fail = np.array([10, 14, 20, 25, 30, 31], dtype=float) * 24.0
    cens = np.array([21, 17, 11, 6, 1, 27], dtype=float) * 24.0  # A..E, F since 5.1.
    lives = hist.lives
    assert_allclose(np.sort(lives.loc[lives.failed, "hours"]), np.sort(fail))
    assert_allclose(np.sort(lives.loc[~lives.failed, "hours"]), np.sort(cens))
    # the 0 h records add log S(0) = 0: the fit is the maximum of the likelihood of the
    # positive lives, found here directly with scipy
    got = fit_groups(hist, family="weibull")[0]

    def nll(p: np.ndarray) -> float:
        k, lam = math.exp(p[0]), math.exp(p[1])
        return -float(
            stats.weibull_min.logpdf(fail, k, scale=lam).sum()
            + stats.weibull_min.logsf(cens, k, scale=lam).sum()
            + stats.weibull_min.logsf(0.0, k, scale=lam) * 2
        )

    res = optimize.minimize(nll, [0.0, math.log(fail.mean())], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})  # fmt: skip
    assert got.best is not None
    assert_allclose(got.best.params["shape"], math.exp(res.x[0]), rtol=1e-4)
    assert_allclose(got.best.params["scale_h"], math.exp(res.x[1]), rtol=1e-4)
    # the part installed on the as-of date is the current one of G (age 0), and F's
    # current part started with F's preventive removal
    assert hist.last_renewal["G"] == date(2020, 2, 1)
    assert hist.last_renewal["F"] == date(2020, 1, 5)


def test_failure_at_zero_hours_and_install_after_as_of_name_their_rows(tmp_path: Path) -> None:
    head = "asset_id;type;install_date;removal_date;reason\n"
    zero = _write(tmp_path, head + "A;t;05.01.2020;05.01.2020;failure\n")  # a failure at 0 h
    with pytest.raises(CmmsInputError) as info:
        read_history(zero, preset_mapping("generic"), as_of=date(2020, 2, 1))
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "removal_date")]
    assert "failure at age 0 h" in str(info.value)
    # running, installed after the as-of date: a negative life (was dropped silently)
    late = _write(tmp_path, head + "A;t;01.01.2020;;\nB;t;03.03.2020;;\n", "late.csv")
    with pytest.raises(CmmsInputError) as info:
        read_history(late, preset_mapping("generic"), as_of=date(2020, 2, 1))
    assert [(p.row, p.column) for p in info.value.problems] == [(3, "install_date")]
    assert "install 2020-03-03 after the as-of date 2020-02-01" in str(info.value)
