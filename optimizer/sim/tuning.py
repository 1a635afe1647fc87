"""Tuning the baseline strategies on common random numbers before they are compared.

A comparison is fair only against baselines at their best: the fixed interval of
block replacement, the age factor of optimal-age (the Barlow-Proschan optimum ignores
downtime patterns, crews and grouping), the quantile and threshold of condition-based
and the safety lead of predictive are each chosen here by simulation.

Method: every candidate of a small documented grid (:func:`candidates`) is simulated on
the same random numbers (common random numbers: one seed for all candidates), and the
candidate with the lowest mean total cost wins.  The tuning runs use the seed
``seed + 1``, so the comparison that follows (on ``seed``) does not reuse the random
numbers the choice was made on: the winner's cost is not biased downwards by the
selection ("winner's curse").  Ties within 1e-9 relative go to the earlier candidate
(the grids start with the documented defaults' neighbourhood in a fixed order), so the
result is deterministic.

``run-to-failure`` has no parameter; ``prescriptive`` is the strategy under test and is
not tuned.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.scenario import Scenario, StrategySpec
from optimizer.sim.model import SimModel, compile_model
from optimizer.sim.simulate import Comparison, compare, simulate

__all__ = ["TUNABLE", "TuningResult", "candidates", "compare_tuned", "tune"]

TUNABLE = ("fixed-interval", "optimal-age", "condition-based", "predictive")

# grids (documented in the README, "Fair baselines")
INTERVAL_FACTORS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)  # x the fleet's median t*
AGE_FACTORS = (0.5, 0.7, 0.85, 1.0, 1.25, 1.6, 2.0, 3.0)  # x each part's t*
CBM_QUANTILES = (0.05, 0.1, 0.25)
CBM_THRESHOLD_FACTORS = (0.5, 1.0, 2.0, 4.0)  # x the spec's (or default) threshold
PREDICTIVE_LEADS_H = (0.0, 24.0, 72.0, 168.0, 336.0)


@dataclass(frozen=True)
class TuningResult:
    """The tuned parameters of one strategy and what each candidate cost.

    Parameters
    ----------
    name : str
        Strategy name.
    chosen : StrategySpec
        The cheapest candidate.
    costs : tuple of (StrategySpec, float, float)
        Every candidate with its mean total cost and the half-width of its 95% interval
        (currency over the simulated horizon), in grid order.
    replications : int
        Replications per candidate.
    seed : int
        Seed of the tuning runs (the comparison's seed + 1).
    """

    name: str
    chosen: StrategySpec
    costs: tuple[tuple[StrategySpec, float, float], ...]
    replications: int
    seed: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "strategy": self.name,
            "chosen": self.chosen.model_dump(exclude_none=True),
            "replications": self.replications,
            "seed": self.seed,
            "candidates": [
                {"params": s.model_dump(exclude_none=True), "cost_mean": c, "cost_ci_half": h}
                for s, c, h in self.costs
            ],
        }


def candidates(model: SimModel, spec: StrategySpec) -> list[StrategySpec]:
    """The grid searched for one strategy (the spec's own parameters first).

    Parameters
    ----------
    model : SimModel
        The compiled fleet (for ``t*`` and the mean lives).
    spec : StrategySpec
        The strategy as the scenario states it.

    Returns
    -------
    list of StrategySpec
        Candidates; a single one (the spec) for strategies with nothing to tune.
    """
    name = spec.name
    if name == "fixed-interval":
        finite = model.t_star_h[np.isfinite(model.t_star_h)]
        base = float(np.median(finite if finite.size else model.mean_life_h))
        values = [spec.interval_h] if spec.interval_h is not None else []
        values += [base * f for f in INTERVAL_FACTORS]
        return [StrategySpec(name=name, interval_h=v) for v in dict.fromkeys(values)]
    if name == "optimal-age":
        return [StrategySpec(name=name, age_factor=f) for f in AGE_FACTORS]
    if name == "condition-based":
        lead = 72.0 if spec.lead_time_h is None else spec.lead_time_h
        thr = spec.threshold_h if spec.threshold_h is not None else 2.0 * (lead + 24.0)
        return [
            StrategySpec(name=name, rul_quantile=q, threshold_h=thr * f, lead_time_h=lead)
            for q in CBM_QUANTILES
            for f in CBM_THRESHOLD_FACTORS
        ]
    if name == "predictive":
        return [
            StrategySpec(name=name, replan_every_days=spec.replan_every_days, lead_time_h=v)
            for v in PREDICTIVE_LEADS_H
        ]
    return [spec]


def tune(
    model: SimModel,
    spec: StrategySpec,
    *,
    replications: int = 50,
    seed: int = 0,
    twin_accuracy: str | None = None,
    workers: int | None = None,
    executor: Any = None,
) -> TuningResult:
    """Choose a strategy's parameters by simulation on common random numbers.

    Parameters
    ----------
    model : SimModel
        The compiled fleet and horizon.
    spec : StrategySpec
        The strategy as stated (its parameters are one of the candidates).
    replications : int, default 50
        Replications per candidate (>= 2).
    seed : int, default 0
        The COMPARISON's seed; tuning runs on ``seed + 1``.
    twin_accuracy, workers, executor : optional
        As in :func:`optimizer.sim.simulate.simulate`.

    Returns
    -------
    TuningResult

    Raises
    ------
    ValueError
        If ``replications < 2``.
    """
    if replications < 2:
        raise ValueError(f"replications must be >= 2 to tune, got {replications}")
    grid = candidates(model, spec)
    costs: list[tuple[StrategySpec, float, float]] = []
    for cand in grid:
        res = simulate(
            model,
            cand,
            replications=replications,
            seed=seed + 1,
            twin_accuracy=twin_accuracy,
            workers=workers,
            executor=executor,
        )
        est = res["cost_total"]
        half = 0.5 * (est.ci_high - est.ci_low) if math.isfinite(est.ci_high) else math.nan
        costs.append((cand, float(est.mean), half))
    best = 0
    for j, (_, c, _) in enumerate(costs):
        if c < costs[best][1] - 1e-9 * max(1.0, abs(costs[best][1])):
            best = j
    return TuningResult(
        name=spec.name,
        chosen=costs[best][0],
        costs=tuple(costs),
        replications=replications,
        seed=seed + 1,
    )


def compare_tuned(
    scn: Scenario,
    strategies: Sequence[str | StrategySpec] | None = None,
    *,
    tune_replications: int = 50,
    years: float | None = None,
    seed: int | None = None,
    twin_accuracy: str | None = None,
    workers: int | None = None,
    executor: Any = None,
    **kwargs: Any,
) -> Comparison:
    """:func:`optimizer.sim.simulate.compare` with every baseline tuned first.

    Each strategy in :data:`TUNABLE` is replaced by its :func:`tune` winner (tuned on
    ``seed + 1``); the comparison itself runs on ``seed``.  ``Comparison.tuning`` holds
    what was searched and chosen.

    Parameters
    ----------
    scn : Scenario
        The fleet.
    strategies : sequence of str or StrategySpec, optional
        Default the scenario's ``simulation.strategies``.
    tune_replications : int, default 50
        Replications per tuning candidate.
    years, seed, twin_accuracy, workers, executor, **kwargs
        As in :func:`optimizer.sim.simulate.compare`.

    Returns
    -------
    Comparison
    """
    model = compile_model(scn, years=years)
    run_seed = scn.simulation.seed if seed is None else seed
    listed: dict[str, StrategySpec] = {s.name: s for s in scn.simulation.strategies}
    specs: list[str | StrategySpec] = list(
        scn.simulation.strategies if strategies is None else strategies
    )
    tuned: list[str | StrategySpec] = []
    report: dict[str, Any] = {}
    for s in specs:
        spec = (
            s
            if isinstance(s, StrategySpec)
            else listed.get(s) or StrategySpec.model_validate({"name": s})
        )
        if spec.name in TUNABLE:
            res = tune(
                model,
                spec,
                replications=tune_replications,
                seed=run_seed,
                twin_accuracy=twin_accuracy,
                workers=workers,
                executor=executor,
            )
            report[spec.name] = res.as_dict()
            tuned.append(res.chosen)
        else:
            tuned.append(s)
    out = compare(
        model,
        tuned,
        seed=run_seed,
        twin_accuracy=twin_accuracy,
        workers=workers,
        executor=executor,
        **kwargs,
    )
    return dataclasses.replace(out, tuning=report)
