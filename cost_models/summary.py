"""Cost totals by category, for simulator KPIs, plan summaries and reports."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

CATEGORIES: tuple[str, ...] = (
    "preventive",
    "corrective",
    "setup",
    "lost_production",
    "spares_holding",
    "spares_ordering",
    "spares_expediting",
    "labour",
    "resources",
)
"""Cost categories of :class:`CostBreakdown`, in report order."""


@dataclass(frozen=True)
class CostBreakdown:
    """Costs by category, currency (the caller tracks which currency).

    The categories must not overlap: if labour is reported in ``labour``, leave it out
    of ``preventive`` and ``corrective``.  Add breakdowns with ``+``
    (``sum(parts, CostBreakdown())``) and average replications with :meth:`scaled`.

    Parameters
    ----------
    preventive : float
        Direct cost of planned replacements (parts, other).
    corrective : float
        Direct cost of failures (parts, secondary damage).
    setup : float
        Fixed set-up / shutdown / mobilization / permit costs.
    lost_production : float
        Production value lost while stopped (planned and unplanned).
    spares_holding : float
        Inventory holding cost.
    spares_ordering : float
        Purchase orders: fixed order costs and unit prices.
    spares_expediting : float
        Expediting premiums.
    labour : float
        Crew cost, overtime and call-outs.
    resources : float
        Campaign resources (vessels, cranes, teams): mobilisations, charter days and
        fixed annual costs of owned ones (:func:`cost_models.resource_cost`).

    Raises
    ------
    ValueError
        If a category is NaN, infinite or negative.
    """

    preventive: float = 0.0
    corrective: float = 0.0
    setup: float = 0.0
    lost_production: float = 0.0
    spares_holding: float = 0.0
    spares_ordering: float = 0.0
    spares_expediting: float = 0.0
    labour: float = 0.0
    resources: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = float(getattr(self, f.name))
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{f.name}: must be finite and >= 0, got {value}")
            object.__setattr__(self, f.name, value)

    @property
    def total(self) -> float:
        """Sum of all categories, currency."""
        return math.fsum(getattr(self, name) for name in CATEGORIES)

    def __add__(self, other: CostBreakdown) -> CostBreakdown:
        if not isinstance(other, CostBreakdown):
            return NotImplemented
        return CostBreakdown(**{n: getattr(self, n) + getattr(other, n) for n in CATEGORIES})

    def scaled(self, factor: float) -> CostBreakdown:
        """Every category multiplied by ``factor`` (>= 0), e.g. ``1 / n_replications``.

        Parameters
        ----------
        factor : float
            Non-negative multiplier.

        Returns
        -------
        CostBreakdown
            Scaled breakdown.
        """
        f = float(factor)
        if not math.isfinite(f) or f < 0:
            raise ValueError(f"factor: must be finite and >= 0, got {f}")
        return CostBreakdown(**{n: getattr(self, n) * f for n in CATEGORIES})

    def as_dict(self) -> dict[str, float]:
        """Categories in report order followed by ``total``, currency.

        Returns
        -------
        dict of str to float
            ``{category: amount, ..., "total": total}``.
        """
        out = {name: float(getattr(self, name)) for name in CATEGORIES}
        out["total"] = self.total
        return out
