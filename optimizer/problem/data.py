"""Frozen planning-problem data: what every scheduler backend consumes.

A :class:`PlanningProblem` is built once (from a validated scenario, or directly from
arrays in tests and benchmarks) and never mutated; every solver backend is a function
of it.  All arrays are read-only numpy arrays, indexed as follows:

* ``i`` -- component (maintainable item), ``0 <= i < n_components``;
* ``k`` -- system (the unit that is shut down and opened for maintenance);
* ``t`` -- planning period, ``0 <= t < n_periods``; period ``t`` starts
  ``t * period_h`` hours after ``start``;
* ``s`` -- crew skill.

Decision model (README, "How it decides"): each component is either replaced in exactly
one period ``t`` (``x[i, t] = 1``, cost ``penalty[i, t]``) or deferred beyond the
horizon (``z[i] = 1``, cost ``penalty_beyond[i]``).  A system ``k`` that hosts work in
period ``t`` is *opened* there and pays ``opening_cost[k, t]`` once, whatever number of
its components are replaced together.  A long job may occupy its crew over several
consecutive periods (``span_periods``): its technician-hours are spread evenly over
them, while the opening and the penalty belong to its start period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

import numpy as np
from numpy.typing import NDArray

from cost_models.spares import holding_cost
from optimizer._typing import BoolArray, FloatArray, IntArray
from optimizer.calendar import calendar_add

NO_PIN = -1
"""Value of ``pinned_period[i]`` for a component whose work is free to move."""
PIN_BEYOND = -2
"""Value of ``pinned_period[i]`` for a component that must not be replaced in the horizon."""


def _frozen(a: NDArray[np.generic]) -> NDArray[np.generic]:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class SpareParts:
    """Spare-part stock consumed by the planned work (optional part of a problem).

    One entry per part *and warehouse* ``p`` (a stock pool); component ``i`` consumes
    ``qty[i]`` units of pool ``part_of[i]`` in the period its work starts (``-1``: no
    part).  Stock over time must stay non-negative:

        on_hand[p] + arrivals[p, :t+1].sum() + new orders arrived by t
            - units used in periods 0..t  >= 0          for every t.

    New orders may be placed from period 0 on: a regular order arrives
    ``lead_periods(period_h)[p]`` periods after it is placed, an expedited one (where
    ``expedite_lead_time_days`` is finite) after ``expedite_periods(period_h)[p]``
    periods, at ``cost_expedite_premium`` per unit on top.  Every order pays
    ``cost_order``; stock held at the end of each period pays holding at
    ``holding_rate_per_year`` of ``cost_unit`` (priced by :mod:`cost_models.spares`).
    The unit price itself is already part of the preventive cost ``c_p`` behind
    ``penalty``, so purchasing adds only ordering, expediting and holding costs.

    Parameters
    ----------
    part_ids : tuple of str
        Part identifier of each pool, length ``P``.
    warehouse : tuple of str
        Warehouse of each pool, length ``P``.
    part_of : ndarray of int, shape (n,)
        Pool consumed by each component's work, ``-1`` for none.
    qty : ndarray of int, shape (n,)
        Units consumed per job (``>= 0``).
    on_hand : ndarray of float, shape (P,)
        Units in stock at the plan start.
    arrivals : ndarray of float, shape (P, T)
        Units of orders already placed arriving in each period (usable from then on).
    lead_time_days, expedite_lead_time_days : ndarray of float, shape (P,)
        Regular and expedited lead times, days (expedite ``inf``: not possible).
    cost_unit, holding_rate_per_year, cost_order, cost_expedite_premium : ndarray, (P,)
        Unit value (currency), holding rate (fraction of unit value per year), fixed
        cost per purchase order (currency) and expediting premium per unit (currency).

    Raises
    ------
    ValueError
        On wrong shapes, indices out of range, negative quantities or costs, NaN.
    """

    part_ids: tuple[str, ...]
    warehouse: tuple[str, ...]
    part_of: IntArray
    qty: IntArray
    on_hand: FloatArray
    arrivals: FloatArray
    lead_time_days: FloatArray
    expedite_lead_time_days: FloatArray
    cost_unit: FloatArray
    holding_rate_per_year: FloatArray
    cost_order: FloatArray
    cost_expedite_premium: FloatArray

    def __post_init__(self) -> None:
        n_p = len(self.part_ids)
        if len(self.warehouse) != n_p:
            raise ValueError(f"parts.warehouse: expected {n_p} entries, got {len(self.warehouse)}")
        ints = ("part_of", "qty")
        floats = (
            "on_hand",
            "arrivals",
            "lead_time_days",
            "expedite_lead_time_days",
            "cost_unit",
            "holding_rate_per_year",
            "cost_order",
            "cost_expedite_premium",
        )
        for name in ints:
            object.__setattr__(self, name, _frozen(np.asarray(getattr(self, name), np.int64)))
        for name in floats:
            arr = np.asarray(getattr(self, name), dtype=np.float64)
            if np.isnan(arr).any():
                raise ValueError(f"parts.{name}: contains NaN")
            object.__setattr__(self, name, _frozen(arr))
        for name in floats[:1] + floats[2:3] + floats[4:]:
            arr = getattr(self, name)
            if arr.shape != (n_p,):
                raise ValueError(f"parts.{name}: expected shape ({n_p},), got {arr.shape}")
            if (arr < 0).any() or not np.isfinite(arr).all():
                raise ValueError(f"parts.{name}: must be finite and >= 0")
        exp = self.expedite_lead_time_days
        if exp.shape != (n_p,) or (exp < 0).any():
            raise ValueError(f"parts.expedite_lead_time_days: expected shape ({n_p},), >= 0")
        if (self.arrivals < 0).any() or not np.isfinite(self.arrivals).all():
            raise ValueError("parts.arrivals: must be finite and >= 0")

    def check(self, n: int, n_periods: int) -> None:
        """Raise ``ValueError`` unless the arrays fit ``n`` components and ``n_periods``."""
        n_p = len(self.part_ids)
        if self.part_of.shape != (n,) or self.qty.shape != (n,):
            raise ValueError(f"parts.part_of / parts.qty: expected shape ({n},)")
        if n and (self.part_of.min() < -1 or self.part_of.max() >= n_p):
            raise ValueError("parts.part_of: index out of range")
        if (self.qty < 0).any():
            raise ValueError("parts.qty: must be >= 0")
        if self.arrivals.shape != (n_p, n_periods):
            raise ValueError(
                f"parts.arrivals: expected shape ({n_p}, {n_periods}), got {self.arrivals.shape}"
            )

    @property
    def n_parts(self) -> int:
        """Number of stock pools ``P``."""
        return len(self.part_ids)

    def lead_periods(self, period_h: float) -> IntArray:
        """Periods from placing a regular order to the first period it can be used."""
        out: IntArray = np.ceil(self.lead_time_days * 24.0 / period_h - 1e-9).astype(np.int64)
        return out

    def expedite_periods(self, period_h: float) -> IntArray:
        """As :meth:`lead_periods` for an expedited order (``lead_periods`` if none)."""
        days = np.where(
            np.isfinite(self.expedite_lead_time_days),
            np.minimum(self.expedite_lead_time_days, self.lead_time_days),
            self.lead_time_days,
        )
        out: IntArray = np.ceil(days * 24.0 / period_h - 1e-9).astype(np.int64)
        return out

    def holding_per_unit_period(self, period_h: float) -> FloatArray:
        """Holding cost of one unit over one period, currency (``cost_models``)."""
        out: FloatArray = holding_cost(1.0, self.cost_unit, self.holding_rate_per_year, period_h)
        return np.asarray(out, dtype=np.float64).reshape(self.n_parts)


@dataclass(frozen=True, eq=False)
class PlanningProblem:
    """Frozen input of the grouped-maintenance scheduler.

    Parameters
    ----------
    start : datetime
        Start of period 0 (timezone-aware).
    period_h : float
        Length of one planning period, hours.
    component_ids : tuple of str
        Component identifiers, length ``n``.
    system_ids : tuple of str
        System identifiers, length ``K``.
    system_of : ndarray of int, shape (n,)
        Index ``k`` of the system that hosts each component.
    penalty : ndarray of float, shape (n, T)
        ``penalty[i, t]``: expected cost (currency) of doing component ``i``'s next
        preventive replacement in period ``t``, relative to its best timing
        (``h_i(t)`` of the design, >= 0 up to rounding).
    penalty_beyond : ndarray of float, shape (n,)
        Cost of not replacing ``i`` within the horizon (its risk until the horizon end
        plus the value of leaving it to the next plan), same reference as ``penalty``.
    allowed : ndarray of bool, shape (n, T)
        Periods in which component ``i`` may be replaced (sparsity and eligibility).
    opening_cost : ndarray of float, shape (K, T)
        Cost of opening system ``k`` in period ``t``: set-up cost plus production lost
        during the shutdown (time-varying; cheaper in windows / low-demand periods).
    open_allowed : ndarray of bool, shape (K, T)
        Periods in which system ``k`` may be opened (systems restricted to windows).
    duration_h : ndarray of float, shape (n,)
        Preventive work duration of component ``i``, hours.
    skill_of : ndarray of int, shape (n,)
        Index ``s`` of the crew skill the work needs.
    crew_qty : ndarray of int, shape (n,)
        Number of technicians of that skill the work needs simultaneously.
    skill_ids : tuple of str
        Crew skill identifiers, length ``S``.
    crew_hours : ndarray of float, shape (S, T)
        Technician-hours available per skill and period (``inf`` = uncapacitated).
    pinned_period : ndarray of int, shape (n,)
        Fixed period of released / in-progress work, ``NO_PIN`` if free, ``PIN_BEYOND``
        if it must not be done in the horizon.
    currency : str
        ISO 4217 code of every cost above.
    meta : dict
        Free-form provenance (scenario name, build notes); not read by the solvers.
    span_periods : ndarray of int, shape (n,), optional
        Number of consecutive periods a job occupies its crew (``>= 1``; default all
        ones).  A job started in period ``t`` puts ``duration_h[i] * crew_qty[i] /
        span_periods[i]`` technician-hours into each of the periods ``t, ...,
        t + span_periods[i] - 1`` (evenly spread); periods past the horizon end are not
        counted.  Only the crew load spreads: the system opens, and ``penalty`` /
        ``opening_cost`` are paid, in the start period ``t`` only.
    parts : SpareParts or None, optional
        Spare-part stock that the work consumes (``None``, the default: stock is not
        modelled).  See :class:`SpareParts`.
    zone : tzinfo or None, optional
        The site's time zone (``calendar.timezone``): dates and times shown to people
        are local in it (:meth:`local`).  Arithmetic on instants never uses it.
        ``None`` (the default): ``start``'s own offset.
    setup_cost : ndarray of float, shape (K, T), or None, optional
        The set-up part of ``opening_cost`` (``0 <= setup_cost <= opening_cost``); the
        rest is production lost while the unit is stopped.  Only reports read it
        (:func:`optimizer.problem.plan.evaluate` splits the opening cost with it);
        ``None`` (the default): the opening cost is reported as one term.
    stop_cost : ndarray of float, shape (n, T), or None, optional
        The part of ``penalty`` that is production lost by a job's own stop beyond its
        unit's base opening (a job longer than the unit's second-longest keeps the unit
        stopped for its extra hours, :func:`optimizer.problem.build.build_problem`).
        Only reports read it (:func:`optimizer.problem.plan.evaluate` reports it as
        ``production_loss``); ``None`` (the default): none.

    Raises
    ------
    ValueError
        If an array has the wrong shape, an index is out of range, ``period_h <= 0``,
        or ``span_periods`` holds a value that is not an integer ``>= 1``.
    """

    start: datetime
    period_h: float
    component_ids: tuple[str, ...]
    system_ids: tuple[str, ...]
    system_of: IntArray
    penalty: FloatArray
    penalty_beyond: FloatArray
    allowed: BoolArray
    opening_cost: FloatArray
    open_allowed: BoolArray
    duration_h: FloatArray
    skill_of: IntArray
    crew_qty: IntArray
    skill_ids: tuple[str, ...]
    crew_hours: FloatArray
    pinned_period: IntArray
    currency: str = "EUR"
    meta: dict[str, object] = field(default_factory=dict)
    # ``None`` (the default) means one period per job; __post_init__ always replaces it
    # by an int64 array, so after construction the attribute is an IntArray.
    span_periods: IntArray = None  # type: ignore[assignment]
    parts: SpareParts | None = None
    zone: tzinfo | None = None
    setup_cost: FloatArray | None = None
    stop_cost: FloatArray | None = None

    def __post_init__(self) -> None:
        n, k = len(self.component_ids), len(self.system_ids)
        self._init_span(n)
        if self.parts is not None:
            self.parts.check(
                n, int(np.shape(self.penalty)[1]) if np.ndim(self.penalty) == 2 else -1
            )
        conv: dict[str, tuple[type, tuple[int, ...] | None]] = {
            "system_of": (np.int64, (n,)),
            "penalty": (np.float64, None),
            "penalty_beyond": (np.float64, (n,)),
            "allowed": (np.bool_, None),
            "opening_cost": (np.float64, None),
            "open_allowed": (np.bool_, None),
            "duration_h": (np.float64, (n,)),
            "skill_of": (np.int64, (n,)),
            "crew_qty": (np.int64, (n,)),
            "crew_hours": (np.float64, None),
            "pinned_period": (np.int64, (n,)),
        }
        for name, (dtype, shape) in conv.items():
            arr: NDArray[np.generic] = np.asarray(getattr(self, name), dtype=dtype)
            if shape is not None and arr.shape != shape:
                raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
            object.__setattr__(self, name, _frozen(arr))
        t = self.penalty.shape[1] if self.penalty.ndim == 2 else -1
        checks = {
            "penalty": (n, t),
            "allowed": (n, t),
            "opening_cost": (k, t),
            "open_allowed": (k, t),
            "crew_hours": (len(self.skill_ids), t),
        }
        for name, shape in checks.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name}: expected shape {shape}, got {getattr(self, name).shape}")
        if n and (self.system_of.min() < 0 or self.system_of.max() >= k):
            raise ValueError("system_of: index out of range")
        if (
            n
            and len(self.skill_ids)
            and (self.skill_of.min() < 0 or self.skill_of.max() >= len(self.skill_ids))
        ):
            raise ValueError("skill_of: index out of range")
        if self.period_h <= 0:
            raise ValueError("period_h: must be > 0")
        if self.setup_cost is not None:
            setup = np.asarray(self.setup_cost, dtype=np.float64)
            if setup.shape != self.opening_cost.shape:
                raise ValueError(
                    f"setup_cost: expected shape {self.opening_cost.shape}, got {setup.shape}"
                )
            object.__setattr__(self, "setup_cost", _frozen(setup))
        if self.stop_cost is not None:
            stop = np.asarray(self.stop_cost, dtype=np.float64)
            if stop.shape != self.penalty.shape:
                raise ValueError(
                    f"stop_cost: expected shape {self.penalty.shape}, got {stop.shape}"
                )
            object.__setattr__(self, "stop_cost", _frozen(stop))

    def _init_span(self, n: int) -> None:
        """Validate ``span_periods`` (``None`` -> ones) and store it frozen as int64."""
        raw = self.span_periods
        if raw is None:
            span = np.ones(n, dtype=np.int64)
        else:
            arr = np.asarray(raw)
            if arr.shape != (n,):
                raise ValueError(f"span_periods: expected shape ({n},), got {arr.shape}")
            if arr.dtype == np.bool_ or not (
                np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
            ):
                raise ValueError(f"span_periods: expected integers, got dtype {arr.dtype}")
            as_float = arr.astype(np.float64)
            bad = ~np.isfinite(as_float) | (as_float < 1) | (as_float != np.floor(as_float))
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"span_periods: must be integers >= 1, component {j} has {arr[j]!r}"
                )
            span = arr.astype(np.int64)
        object.__setattr__(self, "span_periods", _frozen(span))

    @property
    def n_components(self) -> int:
        """Number of components ``n``."""
        return len(self.component_ids)

    @property
    def n_systems(self) -> int:
        """Number of systems ``K``."""
        return len(self.system_ids)

    @property
    def n_periods(self) -> int:
        """Number of periods ``T``."""
        return int(self.penalty.shape[1])

    @property
    def load_per_period_h(self) -> FloatArray:
        """Technician-hours each job puts into every period it spans, shape (n,).

        ``duration_h * crew_qty / span_periods`` (see ``span_periods``).
        """
        out: FloatArray = self.duration_h * self.crew_qty / self.span_periods
        return out

    @property
    def has_parts(self) -> bool:
        """True if some work consumes spare parts whose stock is modelled."""
        return self.parts is not None and bool((self.parts.part_of >= 0).any())

    @property
    def capacitated(self) -> bool:
        """True if any crew capacity is finite (crews couple components)."""
        return bool(np.isfinite(self.crew_hours).any())

    def period_start(self, t: int) -> datetime:
        """Start of period ``t``: whole-day periods are days of the site's calendar.

        With a :attr:`zone`, periods of whole days keep their local start time across
        daylight-saving changes (:func:`optimizer.calendar.calendar_add`); otherwise
        ``start + t * period_h``.
        """
        return calendar_add(self.start, float(t) * self.period_h / 24.0, self.zone)

    def local(self, when: datetime) -> datetime:
        """The instant ``when`` on the site's wall clock, with the offset of its own date."""
        return when if self.zone is None else when.astimezone(self.zone)

    def local_period_start(self, t: int) -> datetime:
        """Start of period ``t`` in local time (for display: dates, ids, timestamps)."""
        return self.local(self.period_start(t))
