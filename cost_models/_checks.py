"""Input validation shared by every cost function (private helpers).

Every public function of :mod:`cost_models` converts its numeric arguments with
:func:`as_float_array`, so bad input fails loudly with the argument's name instead of
propagating NaN or a negative amount into a plan or a simulated KPI.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
"""Float64 array; a 0-d array stands for a scalar."""


def as_float_array(
    name: str,
    value: ArrayLike,
    *,
    nonnegative: bool = True,
    allow_inf: bool = False,
) -> FloatArray:
    """Convert ``value`` to a float64 array and validate it.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    value : array_like
        Number or array of numbers.
    nonnegative : bool, default True
        Reject negative entries.
    allow_inf : bool, default False
        Accept ``+inf`` (e.g. an unlimited regular-time budget).

    Returns
    -------
    ndarray of float64
        The converted array (0-d for a scalar).

    Raises
    ------
    ValueError
        If ``value`` is not numeric, contains NaN, infinity (unless allowed) or a
        negative entry (when ``nonnegative``).
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name}: expected a number or an array of numbers, got {value!r}"
        ) from exc
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name}: contains NaN")
    if allow_inf:
        if np.any(arr == -np.inf):
            raise ValueError(f"{name}: must not be -inf")
    elif np.any(np.isinf(arr)):
        raise ValueError(f"{name}: must be finite, got infinity")
    if nonnegative and np.any(arr < 0):
        raise ValueError(f"{name}: must be >= 0, got {float(np.min(arr))}")
    return arr


def check_at_most(name: str, value: FloatArray, bound: float | FloatArray, what: str) -> None:
    """Raise ``ValueError`` naming ``name`` if any entry of ``value`` exceeds ``bound``.

    Parameters
    ----------
    name : str
        Argument name used in the error message.
    value : ndarray of float64
        Values to check (already validated by :func:`as_float_array`).
    bound : float or ndarray of float64
        Upper bound, broadcast against ``value``.
    what : str
        Plain-language description of the bound, e.g. ``"1"`` or ``"hours"``.

    Raises
    ------
    ValueError
        If ``value > bound`` anywhere.
    """
    if np.any(value > bound):
        raise ValueError(f"{name}: must be <= {what}")


def broadcast_shape(**arrays: FloatArray) -> tuple[int, ...]:
    """Common broadcast shape of named arrays, with an error that names them.

    Parameters
    ----------
    **arrays : ndarray of float64
        Arrays keyed by argument name.

    Returns
    -------
    tuple of int
        Broadcast shape.

    Raises
    ------
    ValueError
        If the shapes do not broadcast together; the message lists every argument's shape.
    """
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
        raise ValueError(f"arguments do not broadcast together: {shapes}") from None


def as_result(value: ArrayLike) -> FloatArray:
    """Return ``value`` as a float64 array (numpy arithmetic on 0-d arrays yields scalars)."""
    return np.asarray(value, dtype=np.float64)
