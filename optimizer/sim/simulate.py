"""Monte Carlo fleet simulation: strategies, replications, parallel runs and KPIs.

Public API::

    res = simulate(scn, "optimal-age", replications=200, seed=1, years=5)
    res.table()                      # KPI mean / ci_low / ci_high (pandas)
    cmp = compare(scn, ["run-to-failure", "optimal-age", "prescriptive"])
    cmp.table(); cmp.paired()        # per strategy, and paired differences vs baseline

Each replication is a SimPy run of the whole fleet (:mod:`optimizer.sim.engine`).
Replication ``r`` draws all its randomness from streams keyed by ``(seed, r)``
(``numpy.random.SeedSequence`` spawn keys), so

* every strategy meets the same part lives, repair times and twin errors in
  replication ``r`` (common random numbers): :func:`compare` runs all strategies of a
  replication back to back in the same task and reports the *paired* difference of
  each KPI against the baseline, with its confidence interval;
* results do not depend on how replications are batched or on the number of workers:
  per-replication KPI vectors are accumulated in replication order (Welford), so the
  same seed gives the same numbers serially, with local processes or on Dask.

Only per-replication KPI vectors travel back from the workers and only the running
means and variances are kept; at most four batches per worker are submitted ahead and
a collected batch is dropped, so memory stays flat in the number of replications
(``benchmarks/bench_sim_memory.py``); the event log (one pandas DataFrame) is kept only
with ``keep_events=True``.

Scale-out: ``executor`` may be any ``concurrent.futures.Executor``; by default local
processes (``workers``, default the CPU count; ``workers=1`` runs in this process);
``dask_address="tcp://host:8786"`` (or a ``distributed.Client`` as ``executor``) runs
the batches on a Dask cluster.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import importlib
import itertools
import math
import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer._typing import FloatArray
from optimizer.loading import load_scenario
from optimizer.scenario import STRATEGIES, Scenario, StrategySpec
from optimizer.sim.engine import (
    EVENT_COLUMNS,
    RESOURCE_LOG,
    kpi_names,
    kpi_ranges,
    kpi_ratios,
    run_replication,
)
from optimizer.sim.model import SimModel, compile_model
from optimizer.sim.stats import Estimate, RunningStats
from optimizer.sim.strategies import Policy, make_policy
from optimizer.sim.twin import TWIN_SIGMA, Twin

Progress = Callable[[int, int], None]
"""Progress hook: ``progress(replications_done, replications_total)``."""

__all__ = [
    "Comparison",
    "SimulationResult",
    "compare",
    "simulate",
]


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------
def _table(estimates: dict[str, Estimate], strategy: str) -> pd.DataFrame:
    rows = [
        {
            "strategy": strategy,
            "kpi": k,
            "mean": e.mean,
            "ci_low": e.ci_low,
            "ci_high": e.ci_high,
            "sd": e.sd,
            "n": e.n,
        }
        for k, e in estimates.items()
    ]
    return pd.DataFrame(rows, columns=["strategy", "kpi", "mean", "ci_low", "ci_high", "sd", "n"])


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """KPIs of one strategy over the replications.

    Parameters
    ----------
    strategy : str
        Strategy name.
    params : dict
        Strategy parameters.
    kpis : dict of str to Estimate
        Mean and confidence interval of every KPI (costs over the horizon, currency;
        hours; counts; availability and utilization as fractions).
    replications, seed, years, twin_accuracy, currency
        Study settings.
    runtime_s : float
        Wall-clock time of the study, seconds.
    events : pandas.DataFrame or None
        Event log (only with ``keep_events=True``).
    cost_per_replication : ndarray or None
        Total cost of each replication, in replication order (for paired comparisons
        between runs on the same seed, e.g. the value of the twin), currency; only with
        ``keep_costs=True`` (otherwise a result's size does not grow with replications).
    """

    strategy: str
    params: dict[str, Any]
    kpis: dict[str, Estimate]
    replications: int
    seed: int
    years: float
    twin_accuracy: str
    currency: str
    runtime_s: float
    events: pd.DataFrame | None = None
    cost_per_replication: FloatArray | None = None

    def table(self) -> pd.DataFrame:
        """KPI table: one row per KPI with ``mean``, ``ci_low``, ``ci_high``, ``sd``, ``n``."""
        return _table(self.kpis, self.strategy)

    def __getitem__(self, kpi: str) -> Estimate:
        return self.kpis[kpi]

    def as_dict(self) -> dict[str, Any]:
        """JSON-serializable summary (no event log)."""
        return {
            "strategy": self.strategy,
            "params": self.params,
            "replications": self.replications,
            "seed": self.seed,
            "years": self.years,
            "twin_accuracy": self.twin_accuracy,
            "currency": self.currency,
            "runtime_s": self.runtime_s,
            "kpis": {k: e.as_dict() for k, e in self.kpis.items()},
        }


@dataclass(frozen=True, eq=False)
class Comparison:
    """Strategies compared on common random numbers.

    Parameters
    ----------
    results : dict of str to SimulationResult
        Per strategy.
    baseline : str
        Strategy the paired differences refer to.
    differences : dict of str to dict of str to Estimate
        ``differences[s][kpi]``: mean and CI of ``KPI(s) - KPI(baseline)`` over the
        paired replications.
    tuning : dict of str to dict
        Per tuned strategy, what :mod:`optimizer.sim.tuning` searched and chose (empty
        when the baselines were not tuned).
    """

    results: dict[str, SimulationResult]
    baseline: str
    differences: dict[str, dict[str, Estimate]] = field(default_factory=dict)
    tuning: dict[str, Any] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """KPI mean / ci_low / ci_high of every strategy (long format)."""
        return pd.concat([r.table() for r in self.results.values()], ignore_index=True)

    def paired(self) -> pd.DataFrame:
        """Paired differences vs the baseline: ``mean``, ``ci_low``, ``ci_high`` per
        (strategy, KPI); ``significant`` when the interval excludes 0."""
        frames = []
        for s, est in self.differences.items():
            df = _table(est, s)
            df.insert(1, "baseline", self.baseline)
            df["significant"] = (df["ci_low"] > 0) | (df["ci_high"] < 0)
            frames.append(df)
        return pd.concat(frames, ignore_index=True)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serializable summary."""
        return {
            "baseline": self.baseline,
            "strategies": {s: r.as_dict() for s, r in self.results.items()},
            "paired": {
                s: {k: e.as_dict() for k, e in est.items()} for s, est in self.differences.items()
            },
            "tuning": self.tuning,
        }


# --------------------------------------------------------------------------------------
# workers
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Payload:
    model: SimModel
    policies: tuple[Policy, ...]
    twin: Twin
    seed: int
    keep_events: bool


_CACHE: dict[str, _Payload] = {}


def _payload_from(blob: bytes | _Payload, key: str) -> _Payload:
    if isinstance(blob, _Payload):
        return blob
    pay = _CACHE.get(key)
    if pay is None:
        pay = pickle.loads(blob)
        assert isinstance(pay, _Payload)
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = pay
    return pay


BatchOut = tuple[int, list[list[FloatArray]], list[tuple[Any, ...]]]


def _run_batch(blob: bytes | _Payload, key: str, first: int, stop: int) -> BatchOut:
    """Run replications ``first .. stop - 1`` for every policy of the payload.

    Returns ``(first, kpis, events)`` with ``kpis[r - first][s]`` the KPI vector of
    replication ``r`` under policy ``s``.
    """
    pay = _payload_from(blob, key)
    out: list[list[FloatArray]] = []
    events: list[tuple[Any, ...]] = []
    for r in range(first, stop):
        row = []
        for s, pol in enumerate(pay.policies):
            k, ev = run_replication(
                pay.model, pol, pay.twin, pay.seed, r, keep_events=pay.keep_events
            )
            row.append(k)
            if ev:
                events.extend((s, *e) for e in ev)
        out.append(row)
    return first, out, events


def _batches(replications: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, replications)) for a in range(0, replications, size)]


def _ordered(results: Iterable[BatchOut]) -> Iterator[BatchOut]:
    """Yield batch results in replication order, whatever order they complete in."""
    buffer: dict[int, BatchOut] = {}
    expected = 0
    for res in results:
        buffer[res[0]] = res
        while expected in buffer:
            out = buffer.pop(expected)
            expected += len(out[1])
            yield out
    if buffer:  # pragma: no cover - every batch starts where the previous one stops
        raise RuntimeError(f"missing batch results before replication {expected}")


def _execute(
    payload: _Payload,
    replications: int,
    *,
    executor: Any,
    workers: int | None,
    dask_address: str | None,
    batch_size: int | None,
    progress: Progress | None,
) -> Iterator[BatchOut]:
    """Run all batches and yield their results in replication order."""
    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    if n_workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers!r}")
    if batch_size is None:
        batch_size = max(1, min(64, math.ceil(replications / (4 * n_workers))))
    elif batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    batches = _batches(replications, batch_size)
    done = 0

    def tick(out: BatchOut) -> BatchOut:
        nonlocal done
        done += len(out[1])
        if progress is not None:
            progress(done, replications)
        return out

    serial = executor is None and dask_address is None and (n_workers == 1 or len(batches) == 1)
    if serial:
        for a, b in batches:
            yield tick(_run_batch(payload, "", a, b))
        return
    blob = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    key = hashlib.sha1(blob).hexdigest()
    client = None
    own_client = False
    if dask_address is not None or _is_dask_client(executor):
        dd: Any = importlib.import_module("distributed")  # optional dependency
        dask_as_completed = dd.as_completed
        if executor is not None:
            client = executor
        else:
            client = dd.Client(dask_address)
            own_client = True
        try:
            data = client.scatter(blob, broadcast=True)
            todo = iter(batches)
            running = dask_as_completed()
            for a, b in itertools.islice(todo, _in_flight(n_workers, client)):
                running.add(client.submit(_run_batch, data, key, a, b, pure=False))

            def dask_results() -> Iterator[BatchOut]:
                for fut in running:
                    out = fut.result()
                    nxt = next(todo, None)
                    if nxt is not None:
                        running.add(client.submit(_run_batch, data, key, *nxt, pure=False))
                    fut.release()
                    yield tick(out)

            yield from _ordered(dask_results())
        finally:
            if own_client:
                client.close()
        return
    own = executor is None
    pool: cf.Executor = cf.ProcessPoolExecutor(max_workers=n_workers) if own else executor
    try:
        yield from _ordered(
            tick(out) for out in _bounded(pool, blob, key, batches, _in_flight(n_workers))
        )
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)


def _in_flight(n_workers: int, client: Any = None) -> int:
    """Batches submitted ahead: enough to keep every worker busy, few enough that
    pending results and futures stay bounded whatever the number of replications."""
    if client is not None:
        try:
            n_workers = max(n_workers, sum(client.nthreads().values()))
        except Exception:  # pragma: no cover - an unusual client
            pass
    return 4 * max(1, n_workers)


def _bounded(
    pool: cf.Executor, blob: bytes, key: str, batches: list[tuple[int, int]], limit: int
) -> Iterator[BatchOut]:
    """Run the batches with at most ``limit`` submitted and not yet collected, yielding
    results as they complete; a collected future is dropped (memory flat in the number
    of batches)."""
    todo = iter(batches)
    pending = {pool.submit(_run_batch, blob, key, a, b) for a, b in itertools.islice(todo, limit)}
    while pending:
        done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        for fut in done:
            nxt = next(todo, None)
            if nxt is not None:
                pending.add(pool.submit(_run_batch, blob, key, *nxt))
            yield fut.result()


def _is_dask_client(obj: Any) -> bool:
    return type(obj).__name__ == "Client" and type(obj).__module__.startswith("distributed")


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------
def _model_of(
    scn_or_model: Scenario | SimModel | str | Path, years: float | None
) -> tuple[SimModel, Scenario]:
    if isinstance(scn_or_model, str | Path):
        scn_or_model = load_scenario(scn_or_model)
    if isinstance(scn_or_model, Scenario):
        return compile_model(scn_or_model, years=years), scn_or_model
    if isinstance(scn_or_model, SimModel):
        if years is not None and not math.isclose(years, scn_or_model.years):
            return compile_model(scn_or_model.scenario, years=years), scn_or_model.scenario
        return scn_or_model, scn_or_model.scenario
    raise ValueError(
        "scn_or_model: expected a Scenario, a SimModel or a path, got "
        f"{type(scn_or_model).__name__}"
    )


def _check_int(name: str, value: int, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _events_frame(
    model: SimModel, names: Sequence[str], events: list[tuple[Any, ...]]
) -> pd.DataFrame:
    df = pd.DataFrame(events, columns=["strategy", *EVENT_COLUMNS])
    df["strategy"] = [names[s] for s in df["strategy"]]
    sys_ids = np.array([*model.system_ids, ""], dtype=object)
    df["system"] = sys_ids[df["system"].to_numpy(dtype=np.int64)]
    comp = df["component"].to_numpy(dtype=np.int64)
    comp_ids = np.array([*model.component_ids, ""], dtype=object)
    part_ids = np.array([p.id for p in model.parts] + [""], dtype=object)
    part = (comp <= -2) & (comp > -RESOURCE_LOG)
    df["part"] = np.where(part, part_ids[np.clip(-2 - comp, 0, len(part_ids) - 1)], "")
    res_ids = np.array([r.id for r in model.resources] + [""], dtype=object)
    res = np.clip(-RESOURCE_LOG - comp, 0, len(res_ids) - 1)
    df["resource"] = np.where(comp <= -RESOURCE_LOG, res_ids[res], "")
    df["component"] = np.where(comp >= 0, comp_ids[np.clip(comp, -1, len(comp_ids) - 1)], "")
    return df.sort_values(["strategy", "replication", "time_h"], kind="stable").reset_index(
        drop=True
    )


def _study(
    scn_or_model: Scenario | SimModel | str | Path,
    strategies: Sequence[str | StrategySpec | Policy],
    *,
    replications: int | None,
    seed: int | None,
    years: float | None,
    twin_accuracy: str | None,
    executor: Any,
    workers: int | None,
    dask_address: str | None,
    progress: Progress | None,
    keep_events: bool,
    keep_costs: bool = False,
    batch_size: int | None,
    baseline: int | None,
) -> tuple[list[SimulationResult], list[dict[str, Estimate]]]:
    t0 = time.perf_counter()
    model, scn = _model_of(scn_or_model, years)
    sim = scn.simulation
    reps = _check_int("replications", sim.replications if replications is None else replications, 1)
    seed_ = _check_int("seed", sim.seed if seed is None else seed, 0)
    acc = sim.twin_accuracy if twin_accuracy is None else twin_accuracy
    if acc not in TWIN_SIGMA:
        raise ValueError(f"twin_accuracy must be one of {sorted(TWIN_SIGMA)}, got {acc!r}")
    twin = Twin(acc)
    policies = [make_policy(s, sim.strategies) for s in strategies]
    for p in policies:
        p.prepare(model, twin)
    names = [p.name for p in policies]
    if len(set(names)) != len(names):
        raise ValueError(f"strategies must be distinct, got {names}")
    kn = kpi_names(model)
    ratios = kpi_ratios(model)
    acc_stats = [RunningStats(kn, kpi_ranges([*kn, *ratios]), ratios=ratios) for _ in policies]
    diff_stats = [RunningStats(kn) for _ in policies]
    events: list[tuple[Any, ...]] = []
    i_cost = kn.index("cost_total")
    costs: list[list[float]] = [[] for _ in policies]
    payload = _Payload(model, tuple(policies), twin, seed_, keep_events)
    for _, rows, ev in _execute(
        payload,
        reps,
        executor=executor,
        workers=workers,
        dask_address=dask_address,
        batch_size=batch_size,
        progress=progress,
    ):
        for row in rows:
            for s, k in enumerate(row):
                acc_stats[s].add(k)
                if keep_costs:
                    costs[s].append(float(k[i_cost]))
                if baseline is not None:
                    diff_stats[s].add(k - row[baseline])
        if keep_events:
            events.extend(ev)
    runtime = time.perf_counter() - t0
    frame = _events_frame(model, names, events) if keep_events else None
    results = []
    for s, p in enumerate(policies):
        params = p.params() if hasattr(p, "params") else {}
        ev_s = (
            None if frame is None else frame[frame["strategy"] == names[s]].reset_index(drop=True)
        )
        results.append(
            SimulationResult(
                strategy=p.name,
                params=params,
                kpis=acc_stats[s].estimates(),
                replications=reps,
                seed=seed_,
                years=model.years,
                twin_accuracy=acc,
                currency=model.currency,
                runtime_s=runtime,
                events=ev_s,
                cost_per_replication=(
                    np.asarray(costs[s], dtype=np.float64) if keep_costs else None
                ),
            )
        )
    return results, [d.estimates() for d in diff_stats]


def simulate(
    scn_or_model: Scenario | SimModel | str | Path,
    strategy: str | StrategySpec | Policy,
    *,
    replications: int | None = None,
    seed: int | None = None,
    years: float | None = None,
    twin_accuracy: str | None = None,
    executor: Any = None,
    workers: int | None = None,
    dask_address: str | None = None,
    progress: Progress | None = None,
    keep_events: bool = False,
    keep_costs: bool = False,
    batch_size: int | None = None,
) -> SimulationResult:
    """Simulate one strategy over Monte Carlo replications.

    Parameters
    ----------
    scn_or_model : Scenario, SimModel or path
        The fleet (a path is loaded with :func:`optimizer.loading.load_scenario`).
    strategy : str, StrategySpec or Policy
        One of ``run-to-failure``, ``fixed-interval``, ``optimal-age``,
        ``condition-based``, ``predictive``, ``prescriptive`` (parameters from the
        scenario's ``simulation.strategies`` when listed there), a spec, or a policy.
    replications, seed, years, twin_accuracy : optional
        Default to the scenario's ``simulation`` settings.  ``twin_accuracy`` is one of
        ``perfect``, ``good``, ``poor``, ``none``.
    executor : concurrent.futures.Executor or distributed.Client, optional
        Where batches run; default local processes.
    workers : int, optional
        Local worker processes (default: CPU count; 1 = run in this process).
    dask_address : str, optional
        Address of a Dask scheduler, e.g. ``"tcp://host:8786"``.
    progress : callable, optional
        ``progress(done, total)`` after each batch.
    keep_events : bool, default False
        Keep the event log of every replication (memory grows with replications).
    keep_costs : bool, default False
        Keep each replication's total cost (``SimulationResult.cost_per_replication``)
        for paired comparisons across runs.
    batch_size : int, optional
        Replications per task (does not change the results).

    Returns
    -------
    SimulationResult

    Raises
    ------
    ValueError
        On invalid arguments.
    """
    results, _ = _study(
        scn_or_model,
        [strategy],
        replications=replications,
        seed=seed,
        years=years,
        twin_accuracy=twin_accuracy,
        executor=executor,
        workers=workers,
        dask_address=dask_address,
        progress=progress,
        keep_events=keep_events,
        keep_costs=keep_costs,
        batch_size=batch_size,
        baseline=None,
    )
    return results[0]


def compare(
    scn_or_model: Scenario | SimModel | str | Path,
    strategies: Sequence[str | StrategySpec | Policy] | None = None,
    *,
    baseline: str | None = None,
    replications: int | None = None,
    seed: int | None = None,
    years: float | None = None,
    twin_accuracy: str | None = None,
    executor: Any = None,
    workers: int | None = None,
    dask_address: str | None = None,
    progress: Progress | None = None,
    keep_events: bool = False,
    keep_costs: bool = False,
    batch_size: int | None = None,
) -> Comparison:
    """Simulate several strategies on common random numbers and compare them.

    Parameters
    ----------
    scn_or_model : Scenario, SimModel or path
        The fleet.
    strategies : sequence, optional
        Strategies (names, specs or policies); default the scenario's
        ``simulation.strategies``.
    baseline : str, optional
        Strategy name the paired differences refer to (default the scenario's
        ``simulation.baseline``, else the first strategy); it must be among the
        strategies.
    replications, seed, years, twin_accuracy, executor, workers, dask_address,
    progress, keep_events, keep_costs, batch_size
        As in :func:`simulate`.

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        On invalid arguments or a baseline that is not compared.
    """
    model, scn = _model_of(scn_or_model, years)
    specs: Sequence[str | StrategySpec | Policy] = (
        list(scn.simulation.strategies) if strategies is None else strategies
    )
    if not specs:
        raise ValueError("strategies must not be empty")
    names = [s if isinstance(s, str) else s.name for s in specs]
    base = baseline if baseline is not None else scn.simulation.baseline
    if base not in names:
        if baseline is not None:
            raise ValueError(f"baseline {baseline!r} is not among the strategies {names}")
        base = names[0]
    if any(isinstance(s, str) and s not in STRATEGIES for s in specs):
        raise ValueError(f"strategies must be among {', '.join(STRATEGIES)}; got {names}")
    results, diffs = _study(
        model,
        specs,
        replications=replications,
        seed=seed,
        years=None,
        twin_accuracy=twin_accuracy,
        executor=executor,
        workers=workers,
        dask_address=dask_address,
        progress=progress,
        keep_events=keep_events,
        keep_costs=keep_costs,
        batch_size=batch_size,
        baseline=names.index(base),
    )
    return Comparison(
        results={r.strategy: r for r in results},
        baseline=base,
        differences={
            r.strategy: d for r, d in zip(results, diffs, strict=True) if r.strategy != base
        },
    )
