"""The value of the digital twin: one strategy simulated at every twin accuracy.

:func:`run_twin_study` takes a finished :func:`~optimizer.sim.simulate.compare` run and
simulates its prescriptive strategy again with no, poor, good and perfect twin
predictions, with the comparison's replications, seed and years.  Every level therefore
meets the same part lives (common random numbers) and only the twin's error changes, so
the cost differences between levels measure what a better twin is worth.  The
comparison's own run (at the scenario's accuracy) is reused, not simulated again.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optimizer.scenario import Scenario
from optimizer.sim.simulate import Comparison, SimulationResult, simulate
from optimizer.sim.stats import Estimate, paired_ci
from optimizer.sim.twin import TWIN_ACCURACIES

__all__ = ["TWIN_STRATEGY", "TwinStudy", "run_twin_study"]

TWIN_STRATEGY = "prescriptive"
"""Strategy whose cost is studied against the twin's accuracy."""


@dataclass(frozen=True)
class TwinStudy:
    """Results of one strategy simulated at several twin accuracies.

    Parameters
    ----------
    strategy : str
        The strategy (normally ``prescriptive``).
    results : mapping of str to SimulationResult
        Per twin accuracy (``none``, ``poor``, ``good``, ``perfect``), in the order
        studied.
    current : str
        The twin accuracy of the comparison the study started from (the scenario's).
    """

    strategy: str
    results: Mapping[str, SimulationResult]
    current: str

    def steps(self, confidence: float = 0.95) -> list[tuple[str, str, Estimate]]:
        """Paired cost change from each accuracy level to the next better one.

        Every level ran on the same seed (common random numbers), so the difference of
        the per-replication total costs is paired: its interval is much narrower than
        the difference of two unpaired intervals, and it is the honest measure of what
        the better twin is worth.

        Returns
        -------
        list of (str, str, Estimate)
            ``(from, to, cost(to) - cost(from))`` per consecutive pair of levels, in the
            study's order, currency over the horizon (negative: the better twin saves).
        """
        levels = list(self.results)
        out: list[tuple[str, str, Estimate]] = []
        for a, b in itertools.pairwise(levels):
            ca, cb = self.results[a].cost_per_replication, self.results[b].cost_per_replication
            if ca is None or cb is None or len(ca) != len(cb):
                continue
            out.append((a, b, paired_ci(cb, ca, confidence)))
        return out


def run_twin_study(
    scn: Scenario,
    cmp: Comparison,
    *,
    strategy: str = TWIN_STRATEGY,
    accuracies: Sequence[str] = TWIN_ACCURACIES,
    workers: int | None = None,
    executor: Any = None,
    progress: Callable[[str], object] | None = None,
) -> TwinStudy | None:
    """Simulate ``strategy`` at each twin accuracy with the comparison's settings.

    Parameters
    ----------
    scn : Scenario
        The scenario the comparison was run on.
    cmp : Comparison
        Output of :func:`optimizer.sim.simulate.compare`.
    strategy : str
        Strategy to study (default ``prescriptive``); its parameters come from the
        scenario's ``simulation.strategies`` as in :func:`~optimizer.sim.simulate.simulate`.
    accuracies : sequence of str
        Twin accuracy levels (default ``none``, ``poor``, ``good``, ``perfect``).
    workers, executor : optional
        Passed to :func:`optimizer.sim.simulate.simulate`.
    progress : callable, optional
        Called with a short message before each simulation.

    Returns
    -------
    TwinStudy or None
        ``None`` if ``strategy`` is not among the compared strategies.

    Raises
    ------
    ValueError
        If ``accuracies`` is empty.
    """
    if not accuracies:
        raise ValueError("accuracies must not be empty")
    base = cmp.results.get(strategy)
    if base is None:
        return None
    results: dict[str, SimulationResult] = {}
    for acc in accuracies:
        # the comparison's own level is reused when it kept its per-replication costs
        if acc == base.twin_accuracy and base.cost_per_replication is not None:
            results[acc] = base
            continue
        if progress is not None:
            progress(f"simulating {strategy} with a '{acc}' twin")
        results[acc] = simulate(
            scn,
            strategy,
            replications=int(base.replications),
            seed=int(base.seed),
            years=float(base.years),
            twin_accuracy=acc,
            workers=workers,
            executor=executor,
            keep_costs=True,
        )
    return TwinStudy(strategy, results, str(base.twin_accuracy))
