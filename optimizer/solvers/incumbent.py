"""Incumbent reporting: hand each improved feasible plan to a caller while solving.

A long solve (a MILP stopped by its time limit, a CP-SAT search) finds a sequence of
ever better plans before it ends.  Callers that must show "the best plan so far" (the
HTTP service, while a run is in progress or after it was cancelled) pass
``on_incumbent`` to :func:`optimizer.solvers.solve`; backends feed it through an
:class:`IncumbentFeed`, which forwards a plan only when its exactly re-evaluated
objective is strictly lower than every plan forwarded before.  So the caller sees
non-increasing objectives even when the solver's internal objective and
:func:`optimizer.problem.plan.evaluate` disagree slightly (CP-SAT rounds costs to integers; a
MILP incumbent may open a system with no work, which ``evaluate`` does not charge).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from optimizer.problem.plan import Plan

IncumbentCallback = Callable[[Plan], None]
"""Called with each improved feasible plan (status ``feasible``)."""

REL_TOL = 1e-12
"""Relative improvement below which a plan does not count as better (float noise)."""


class IncumbentFeed:
    """Forward strictly improving feasible plans to ``sink`` (no-op when it is None).

    Parameters
    ----------
    sink : callable or None
        The caller's ``on_incumbent``.
    """

    def __init__(self, sink: IncumbentCallback | None) -> None:
        self.sink = sink
        self.best: Plan | None = None

    @property
    def active(self) -> bool:
        """True when someone listens (backends skip the conversion work otherwise)."""
        return self.sink is not None

    def offer(self, plan: Plan) -> None:
        """Forward ``plan`` if it is feasible and strictly better than the best so far."""
        if self.sink is None or not plan.feasible or not np.isfinite(plan.objective):
            return
        if self.best is not None:
            tol = REL_TOL * max(1.0, abs(self.best.objective))
            if plan.objective >= self.best.objective - tol:
                return
        self.best = plan
        self.sink(plan)
