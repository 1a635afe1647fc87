"""Campaign resources (vessels, cranes, specialist teams): mobilisation, charter, ownership.

A chartered resource costs a fee per mobilisation plus a day rate for every day on site,
at least its minimum charter per charter; an owned one also costs a fixed amount per
year.  The day rate is prorated (a charter of 2.5 days pays 2.5 day rates), as in the
daily-rate vessel charters of offshore wind O&M models (Dinwoodie et al. 2015).

References
----------
.. [1] I. Dinwoodie, O.-E. V. Endrerud, M. Hofmann, R. Martin and I. B. Sperstad,
   "Reference cases for verification of operation and maintenance simulation models for
   offshore wind farms", Wind Engineering 39 (2015) 1-14 (vessel day rates, mobilisation
   costs and times, minimum charters).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from cost_models._checks import FloatArray, as_float_array, as_result, broadcast_shape


def charter_days(days_on_site: ArrayLike, min_charter_days: ArrayLike) -> FloatArray:
    """Days paid for charters: ``max(days_on_site, min_charter_days)`` per charter.

    Parameters
    ----------
    days_on_site : array_like
        Days from arrival on site to release of each charter (>= 0).
    min_charter_days : array_like
        Minimum days paid per charter (>= 0).

    Returns
    -------
    ndarray of float
        Paid days of each charter.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries or shapes that do not broadcast.
    """
    d = as_float_array("days_on_site", days_on_site)
    m = as_float_array("min_charter_days", min_charter_days)
    broadcast_shape(days_on_site=d, min_charter_days=m)
    return as_result(np.maximum(d, m))


def resource_cost(
    mobilisations: ArrayLike,
    cost_mobilisation: ArrayLike,
    paid_days: ArrayLike,
    cost_per_day: ArrayLike,
    years: ArrayLike = 0.0,
    cost_fixed_per_year: ArrayLike = 0.0,
) -> FloatArray:
    """Cost of a campaign resource.

    ``cost = mobilisations * cost_mobilisation + paid_days * cost_per_day
    + years * cost_fixed_per_year``.

    Parameters
    ----------
    mobilisations : array_like
        Number of mobilisations (>= 0).
    cost_mobilisation : array_like
        Cost of one mobilisation, currency (>= 0).
    paid_days : array_like
        Charter days paid (:func:`charter_days`, summed over charters), days (>= 0).
    cost_per_day : array_like
        Day rate on site, currency per day (>= 0).
    years : array_like, default 0.0
        Years the resource is owned over the period priced (>= 0).
    cost_fixed_per_year : array_like, default 0.0
        Fixed cost of an owned resource, currency per year (>= 0).

    Returns
    -------
    ndarray of float
        Resource cost, currency.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries or shapes that do not broadcast.
    """
    n = as_float_array("mobilisations", mobilisations)
    cm = as_float_array("cost_mobilisation", cost_mobilisation)
    d = as_float_array("paid_days", paid_days)
    r = as_float_array("cost_per_day", cost_per_day)
    y = as_float_array("years", years)
    f = as_float_array("cost_fixed_per_year", cost_fixed_per_year)
    broadcast_shape(
        mobilisations=n,
        cost_mobilisation=cm,
        paid_days=d,
        cost_per_day=r,
        years=y,
        cost_fixed_per_year=f,
    )
    return as_result(n * cm + d * r + y * f)
