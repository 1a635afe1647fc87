"""Stacking many scalar life distributions into one batched distribution per family.

Fleet-wide computations evaluate one distribution per component: the penalty curves
(:func:`optimizer.reliability.penalty.penalty_curves`) and the simulator's
inverse-transform sampler (:class:`optimizer.sim.model.BatchDist`).  One vectorized call
per family is much cheaper than one call per component, so both group their members by
:func:`batch_key` and stack each group's parameters with :func:`stack_params`.  The
families and their parameters are those of
:data:`optimizer.reliability.distributions.FAMILIES`: a new family needs no edit here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from optimizer._typing import FloatArray
from optimizer.reliability.distributions import FAMILY_OF, Family, LifeDistribution, Residual

__all__ = ["BatchKey", "batch_key", "scalar_family", "stack_ages", "stack_params"]


@dataclass(frozen=True)
class BatchKey:
    """Which members can be stacked into one batched distribution.

    Parameters
    ----------
    family : Family
        The members' family (of their base life when ``residual``).
    residual : bool
        Members are :class:`~optimizer.reliability.distributions.Residual` lives of a
        scalar member of ``family`` at a scalar age.
    """

    family: Family
    residual: bool

    def build(
        self, values: Sequence[ArrayLike], ages_h: ArrayLike | None = None
    ) -> LifeDistribution:
        """The batched distribution of stacked parameter values.

        Parameters
        ----------
        values : sequence of array_like
            Parameter values in :attr:`Family.params` order (as from
            :func:`stack_params`, reshaped as the caller's batch needs).
        ages_h : array_like, optional
            Ages, hours (as from :func:`stack_ages`); required when ``residual``.

        Returns
        -------
        LifeDistribution
        """
        dist = self.family.make(*values)
        if not self.residual:
            return dist
        if ages_h is None:
            raise ValueError("ages_h: required for a batch of residual lives")
        return Residual(dist, ages_h)


def scalar_family(d: LifeDistribution) -> Family | None:
    """The family of ``d`` if ``d`` is a single member of a registered family, else ``None``."""
    family = FAMILY_OF.get(type(d))
    if family is None:
        return None
    # (checking the parameters' ndim directly is much cheaper than ``batch_shape``)
    if all(getattr(d, p).ndim == 0 for p in family.params):
        return family
    return None


def batch_key(d: LifeDistribution) -> BatchKey | None:
    """How ``d`` can be stacked with others, or ``None`` if it must be evaluated alone.

    Parameters
    ----------
    d : LifeDistribution
        One member.

    Returns
    -------
    BatchKey or None
        ``BatchKey(family, False)`` for a single member of a family,
        ``BatchKey(family, True)`` for the residual life at a scalar age of one, ``None``
        otherwise (an empirical life, a batch, a residual of a residual, ...).
    """
    family = scalar_family(d)
    if family is not None:
        return BatchKey(family, False)
    if type(d) is Residual and d.age_h.ndim == 0:
        family = scalar_family(d.base)
        if family is not None:
            return BatchKey(family, True)
    return None


def stack_params(members: Sequence[LifeDistribution], key: BatchKey) -> list[FloatArray]:
    """Parameter values of members sharing ``key``, one array per parameter.

    Parameters
    ----------
    members : sequence of LifeDistribution
        Members with ``batch_key(member) == key``.
    key : BatchKey
        Their key.

    Returns
    -------
    list of ndarray, shape (m,)
        In :attr:`Family.params` order (of the base lives when ``key.residual``).
    """
    bases = [m.base for m in members if isinstance(m, Residual)] if key.residual else members
    return [
        np.array([float(getattr(d, p)) for d in bases], dtype=np.float64) for p in key.family.params
    ]


def stack_ages(members: Sequence[LifeDistribution]) -> FloatArray:
    """Ages of residual-life members, hours, shape ``(m,)`` (0 for other members)."""
    return np.array(
        [float(m.age_h) if isinstance(m, Residual) else 0.0 for m in members], dtype=np.float64
    )
