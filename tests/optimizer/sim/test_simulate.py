"""Tests for optimizer.sim.simulate: studies over replications (determinism, parallel and
Dask execution, common random numbers, paired differences, results and arguments).

The event mechanics of one replication are tested in test_engine.py.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, scenario, system, weibull

from optimizer.sim.engine import kpi_names, run_replication
from optimizer.sim.model import compile_model
from optimizer.sim.simulate import compare, simulate
from optimizer.sim.strategies import make_policy
from optimizer.sim.twin import Twin


# --------------------------------------------------------------------------------------
# common random numbers, determinism, parallel execution
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_fleet() -> Any:
    comps = [
        component(f"C{i}", life=weibull(2.0 + 0.3 * i, 800.0 + 50 * i), cm_h=5.0, pm_h=2.0)
        for i in range(4)
    ]
    return scenario(
        [system("S0", comps[:2], value=20.0, setup_h=1.0), system("S1", comps[2:], value=30.0)],
        headcount=1,
        response_h={"distribution": "lognormal", "median_h": 2.0, "sigma": 0.5},
        parts=[],
    )


def test_same_seed_same_numbers_and_other_seed_differs(small_fleet: Any) -> None:
    kw: dict[str, Any] = {"replications": 6, "years": 1.0, "twin_accuracy": "none", "workers": 1}
    a = simulate(small_fleet, "optimal-age", seed=4, **kw).table()
    b = simulate(small_fleet, "optimal-age", seed=4, **kw).table()
    c = simulate(small_fleet, "optimal-age", seed=5, **kw).table()
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["mean"], c["mean"])


def test_parallel_and_batching_give_identical_results(small_fleet: Any) -> None:
    kw: dict[str, Any] = {"replications": 7, "years": 1.0, "seed": 9, "twin_accuracy": "good"}
    serial = simulate(small_fleet, "condition-based", workers=1, **kw).table()
    procs = simulate(small_fleet, "condition-based", workers=2, batch_size=2, **kw).table()
    odd = simulate(small_fleet, "condition-based", workers=1, batch_size=3, **kw).table()
    pd.testing.assert_frame_equal(serial, procs)
    pd.testing.assert_frame_equal(serial, odd)


def test_dask_local_cluster_gives_identical_results(small_fleet: Any) -> None:
    import distributed  # a declared dependency: its absence is an error, not a skip

    kw: dict[str, Any] = {"replications": 5, "years": 1.0, "seed": 9, "twin_accuracy": "none"}
    ref = simulate(small_fleet, "run-to-failure", workers=1, **kw).table()
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        via_address = simulate(
            small_fleet,
            "run-to-failure",
            dask_address=cluster.scheduler_address,
            batch_size=2,
            **kw,
        ).table()
        with distributed.Client(cluster) as client:
            via_client = simulate(
                small_fleet, "run-to-failure", executor=client, batch_size=1, **kw
            ).table()
    pd.testing.assert_frame_equal(ref, via_address)
    pd.testing.assert_frame_equal(ref, via_client)


class _CountingPool(cf.ThreadPoolExecutor):
    """Thread pool that records the most futures submitted and not yet finished.

    Counted from the futures' own state at each submission (not from done callbacks,
    which run only after waiters have been woken, so a callback-based count can lag
    behind a refill and over-count by one).
    """

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.futures: list[cf.Future[Any]] = []
        self.most = 0
        self.submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        in_flight = sum(not f.done() for f in self.futures) + 1
        self.most = max(self.most, in_flight)
        self.submitted += 1
        fut = super().submit(fn, *args, **kwargs)
        self.futures.append(fut)
        return fut


def test_batches_in_flight_are_bounded_and_results_unchanged(
    small_fleet: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import distributed

    import optimizer.sim.simulate as sim_mod

    kw: dict[str, Any] = {"replications": 12, "years": 1.0, "seed": 2, "twin_accuracy": "none"}
    ref = simulate(small_fleet, "optimal-age", workers=1, **kw).table()
    monkeypatch.setattr(sim_mod, "_in_flight", lambda n_workers, client=None: 3)
    with _CountingPool() as pool:
        res = simulate(small_fleet, "optimal-age", executor=pool, batch_size=1, **kw).table()
    pd.testing.assert_frame_equal(ref, res)
    assert pool.submitted == 12  # one batch per replication, all run
    # the pool is filled to the in-flight limit and never beyond it
    assert pool.most == 3
    # the Dask path refills the same way
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        via_dask = simulate(small_fleet, "optimal-age", executor=client, batch_size=1, **kw)
    pd.testing.assert_frame_equal(ref, via_dask.table())


def test_result_holds_no_per_event_data_unless_asked(small_fleet: Any) -> None:
    # Without keep_events the result is the same size for 3 and 30 replications: running
    # KPI statistics only, nothing per replication or per event.
    kw: dict[str, Any] = {"years": 1.0, "seed": 3, "twin_accuracy": "none", "workers": 1}
    few = simulate(small_fleet, "optimal-age", replications=3, **kw)
    many = simulate(small_fleet, "optimal-age", replications=30, **kw)
    assert few.events is None and many.events is None
    assert len(pickle.dumps(few)) == len(pickle.dumps(many))
    # with keep_events the log grows with the replications (so the check above can fail)
    ev3 = simulate(small_fleet, "optimal-age", replications=3, keep_events=True, **kw)
    ev30 = simulate(small_fleet, "optimal-age", replications=30, keep_events=True, **kw)
    assert ev3.events is not None and ev30.events is not None
    assert len(ev30.events) > 5 * len(ev3.events) > 0
    assert len(pickle.dumps(ev30)) > 5 * len(pickle.dumps(few))


def test_common_random_numbers_same_lives_across_strategies(small_fleet: Any) -> None:
    model = compile_model(small_fleet, years=1.0)
    twin = Twin("none")
    rtf, fi = make_policy("run-to-failure"), make_policy("fixed-interval")
    rtf.prepare(model, twin)
    fi.prepare(model, twin)
    first_block = float(fi.interval_h) / 1.0  # 24 operating h per day: calendar = operating
    checked = 0
    for rep in range(6):
        _, ev_a = run_replication(model, rtf, twin, 3, rep, keep_events=True)
        _, ev_b = run_replication(model, fi, twin, 3, rep, keep_events=True)
        first_a = {e[4]: e[5] for e in reversed(ev_a) if e[2] == "failure"}
        first_b = {e[4]: (e[1], e[5]) for e in reversed(ev_b) if e[2] == "failure"}
        for i, (t_b, age_b) in first_b.items():
            if t_b < first_block and i in first_a:
                # the initial part fails at the same age whatever the strategy
                assert_allclose(age_b, first_a[i], rtol=1e-12)
                checked += 1
    assert checked >= 3


def test_compare_paired_differences_match_per_replication_values(small_fleet: Any) -> None:
    model = compile_model(small_fleet, years=1.0)
    names = ["run-to-failure", "optimal-age", "fixed-interval"]
    cmp = compare(
        model,
        names,
        baseline="run-to-failure",
        replications=8,
        seed=2,
        twin_accuracy="none",
        workers=1,
    )
    twin = Twin("none")
    kn = kpi_names(model)
    j = kn.index("cost_total")
    per: dict[str, list[float]] = {}
    for n in names:
        pol = make_policy(n)
        pol.prepare(model, twin)
        per[n] = [float(run_replication(model, pol, twin, 2, r)[0][j]) for r in range(8)]
    for n in names[1:]:
        d = np.array(per[n]) - np.array(per["run-to-failure"])
        lo, hi = stats.t.interval(0.95, 7, loc=d.mean(), scale=stats.sem(d))
        est = cmp.differences[n]["cost_total"]
        assert_allclose([est.mean, est.ci_low, est.ci_high], [d.mean(), lo, hi], rtol=1e-9)
    paired = cmp.paired()
    assert set(paired.strategy) == set(names[1:])
    assert {"mean", "ci_low", "ci_high", "significant"} <= set(paired.columns)
    tab = cmp.table()
    assert_allclose(
        tab[(tab.strategy == "optimal-age") & (tab.kpi == "cost_total")]["mean"].iloc[0],
        np.mean(per["optimal-age"]),
        rtol=1e-9,
    )
    json.dumps(cmp.as_dict())  # JSON-serializable


def test_progress_callback_and_event_log(small_fleet: Any) -> None:
    calls: list[tuple[int, int]] = []
    res = simulate(
        small_fleet,
        "optimal-age",
        replications=4,
        years=0.5,
        seed=1,
        twin_accuracy="none",
        workers=1,
        batch_size=2,
        progress=lambda d, t: calls.append((d, t)),
        keep_events=True,
    )
    assert calls == [(2, 4), (4, 4)]
    ev = res.events
    assert ev is not None and set(ev.replication) == {0, 1, 2, 3}
    assert {"time_h", "event", "system", "component", "part", "value"} <= set(ev.columns)
    assert (ev.groupby("replication").time_h.apply(lambda s: s.is_monotonic_increasing)).all()
    fails = (ev.event == "failure").groupby(ev.replication).sum().mean()
    assert_allclose(fails, res["failures"].mean)
    assert simulate(small_fleet, "optimal-age", replications=2, years=0.5, workers=1).events is None


def test_cost_total_is_sum_of_categories(small_fleet: Any) -> None:
    res = simulate(
        small_fleet,
        "optimal-age",
        replications=3,
        years=1.0,
        seed=8,
        twin_accuracy="none",
        workers=1,
    )
    # the end state is valued apart from the cash of the horizon (not a category)
    cats = [k for k in res.kpis if k.startswith("cost_") and k != "cost_total"]
    assert len(cats) == 9  # cm.CATEGORIES (resources included)
    assert_allclose(
        res["total_with_end_state_cost"].mean,
        res["cost_total"].mean + res["end_state_cost"].mean,
        rtol=1e-12,
    )
    assert_allclose(res["cost_total"].mean, sum(res[c].mean for c in cats), rtol=1e-12)
    json.dumps(res.as_dict())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"replications": 0}, "replications"),
        ({"seed": -1}, "seed"),
        ({"twin_accuracy": "great"}, "twin_accuracy"),
        ({"years": 0.0}, "years"),
        ({"workers": 0}, "workers"),
    ],
)
def test_bad_arguments_raise(small_fleet: Any, kwargs: dict[str, Any], match: str) -> None:
    args: dict[str, Any] = {"replications": 2, "years": 0.1, **kwargs}
    if "workers" not in kwargs:
        args["workers"] = 1
    with pytest.raises(ValueError, match=match):
        simulate(small_fleet, "run-to-failure", **args)


def test_unknown_strategy_and_baseline(small_fleet: Any) -> None:
    with pytest.raises(ValueError, match="strategy"):
        simulate(small_fleet, "sometimes", replications=1, years=0.1, workers=1)
    with pytest.raises(ValueError, match="baseline"):
        compare(
            small_fleet,
            ["optimal-age"],
            baseline="run-to-failure",
            replications=1,
            years=0.1,
            workers=1,
        )


def test_bundled_conveyor_runs_every_strategy(conveyor: Any) -> None:
    cmp = compare(conveyor, replications=3, years=1.0, workers=1)
    assert set(cmp.results) == {
        "run-to-failure",
        "fixed-interval",
        "optimal-age",
        "condition-based",
        "predictive",
        "prescriptive",
    }
    for r in cmp.results.values():
        assert 0.9 < r["availability_fleet"].mean <= 1.0
        assert r["cost_total"].mean > 0.0
    assert cmp.results["run-to-failure"]["preventive_replacements"].mean == 0.0
