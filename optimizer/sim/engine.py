"""One Monte Carlo replication of a fleet under a maintenance policy (SimPy).

Written in the style of SimPy's machine-shop example: the entities are classes and their
generator methods are SimPy processes.

* :class:`_Component` -- ``lifecycle`` process: wait for its failure, then the corrective
  work (spare part, crew, response delay, repair), then renewal (or minimal repair).
* :class:`_System` -- the operating clock of a unit.  Its up components age in lockstep
  (operating hours ``theta``, advancing at ``operating_h_per_day / 24`` per calendar hour
  while the system runs, or always with ``idle_ageing``), so a failure is a fixed point
  on the ``theta`` axis and the clock schedules only the *next* one: a stop or restart
  re-arms one timer instead of touching every component (no per-hour ticking).  A
  failure interrupts the system per its structure: a series component (a 1-of-1 group)
  stops it, a member of a k-out-of-n group stops it only when fewer than ``k`` members
  are up (surviving members of a degraded group keep running and ageing).  In a
  standby group only ``k`` members run; the others wait (cold: no ageing, warm: ageing
  at the group's factor, so a warm member can fail while waiting, on its own point of
  the clock) and are switched in, in the listed order, when a running member fails; a
  switch-over fails with the group's probability (drawn from the replication's stream
  ``(seed, (rep, 3, block))``), which sends that member to corrective work and tries the
  next.  A repaired member waits in standby when ``k`` members run.  Alarms follow a
  member's mode; life limits are not allowed on standby members (scenario check).
* :class:`_Crews` / :class:`_CrewPool` -- technicians belong to crews (issue 13, cause
  9): a pool (one skill at one site) takes them from its member crews, cheapest first,
  and a crew serving several pools (multi-skilled) lends each technician to one job at
  a time.  Work in shifts (preventive jobs; corrective work where
  ``corrective_in_shifts``) takes only technicians of crews on shift at that instant (a
  Saturday job gets the weekend crew, at its rate, and waits for a shift with enough
  technicians), then runs on past the shift end; an any-hour call-out takes any member
  crew's.  A job is paid at the rate, overtime factor and call-out premium of the crews
  that do it.  Waiting requests are served FIFO per pool when technicians come back or
  a member crew's shift starts; preventive work starts at the pool's next shift.
* :class:`_Stock` -- spare parts: on-hand stock, orders in transit, reorder policy
  ((s, S), order-on-use as a base-stock policy, or none) and expediting; a failure that
  finds no spare waits for one (stock-out time, which is downtime).  A rotable part
  (``repairable``) has a repair shop: every unit taken off a component (at its failure
  or at its preventive removal) is scrapped with the shop's scrap probability or else
  repaired (FIFO over ``channels`` parallel repairs, turnaround drawn from its own
  stream) and returned to stock.  The reorder policy looks at the stock position
  on hand + in repair + on order (+ units owed by released work) - waiting demand, so
  only scrapped units are bought; a shortfall the shop will cover is neither ordered
  nor expedited.  Each repair costs ``cost_repair`` and each scrapped unit its unit
  price, booked in the category (preventive / corrective) of the removing work; the
  task's own parts cost of a rotable defaults to 0 (the unit is an exchange).
* work packages (``_package`` process) -- preventive openings of a system: parts, stop,
  set-up time, jobs (crews), restart; requests for the same system and instant share
  one opening.  An opening whose jobs all stop the system at work start
  (``WorkSpec.stops_system``) first gets the crews of its jobs (in pool order, held
  through its waits for shift, window and calm weather), then stops the system.
* :class:`_Resource` -- a campaign resource (vessel, crane, specialist team).  Work whose
  task needs it opens a request (FIFO queue); the trigger rule (``n`` open requests, the
  oldest request waiting ``max_wait_h``, or fixed dates) starts a mobilisation, the
  resource arrives after the mobilisation delay (drawn from the resource's own stream
  ``SeedSequence(seed, spawn_key=(rep, 5, resource, block))``) and grants its
  ``capacity`` slots in request order; a job holds its slot until it ends, waiting for
  crews, shifts and calm weather included (the charter is paid meanwhile).  The charter
  ends when no request is open, no job runs and ``min_charter_h`` have passed on site;
  a fixed charter (``Resource.charter``) grants no slot after ``min_charter_h`` on site
  and ends when its started jobs are done, its open requests meeting the trigger again.
  Corrective work requests the resource after its spare parts are there and before its
  crew; a preventive opening first gets its spare parts, then requests a slot for each
  job needing the resource (at most ``capacity`` at once) before it stops the system, so
  waiting for a mobilisation is not planned downtime (nor are parts awaited on charter);
  a job of the opening beyond the slots it holds queues for one.  Paid
  charter days are ``max(days on site, minimum charter)`` per charter (a charter open at
  the horizon pays its days so far, at least the minimum); a mobilisation is paid when it
  starts.  A daily limit (``max_jobs_per_day``) counts grants per local calendar day
  (a grant is the job's start on the resource, its waits for crews, shift and weather
  follow); when the day's grants are used up the queue waits for the next local
  midnight (one timer, only then), the charter staying on site meanwhile; an opening's
  slots count when granted, and a slot it returns unused still counts.
  Event log: ``resource_request`` (value: open requests), ``resource_granted``
  (value: hours waited), ``mobilise`` (value: the drawn delay), ``on_site``,
  ``demobilise`` (value: hours on site).

Randomness: all variates of a replication come from uniforms pre-drawn life by life for
each component (:func:`replication_draws`), so every strategy meets the same part lives,
repair times, response delays and twin errors (common random numbers).  Money is not
computed during the run: the run appends flat records (jobs, openings, downtime
segments, orders, stock levels) and :func:`_price` prices them at the end with the
vectorized :mod:`cost_models` functions.

Modelling choices (documented, not hidden):

* corrective work is an emergency call-out at any hour, paid at the overtime factor of
  the crew that answers (the cheapest member crew with technicians free) plus its
  call-out premium (as :func:`optimizer.fleet.fleet_model` prices the
  cost of a failure); the crew travels (response delay) only after the part is there.
  Where the scenario says ``corrective_in_shifts`` (the site, or every crew of the
  pool) the work instead starts at the pool's next shift (then response delay and
  repair run on, past the shift end if need be), paid at the regular rate for the
  hours left in the shift of the failure's first working instant, overtime beyond, no
  call-out premium (the fleet model's failure cost still prices a call-out);
* preventive work starts at the planned time aligned to the crews' next shift and is
  paid at the regular rate for the part that fits in the shift, overtime beyond;
* a set-up cost (times the window's set-up factor) is paid per preventive opening; a
  failure's stop is priced by its corrective cost and lost production;
* lost production accrues at the system's value profile (with window production
  factors) during every stop, planned or unplanned;
* spare parts are priced when consumed (in the preventive / corrective costs); the
  ordering category holds the fixed cost per purchase order only, so unit prices are
  not counted twice.
* service campaigns (``campaigns``) replace their components at each campaign date
  (the opening of each system starts at the crews' next shift, like any preventive
  work, and replaces whatever part is installed then; a failed component is skipped),
  whatever the strategy; their costs are preventive;
* life limits (``max_age_h``, operating hours like the life distributions and the
  planner's :func:`optimizer.problem.build.limits`) are enforced here, whatever the
  strategy (run-to-failure included): no part operates past its limit.  When a part
  comes within ``limit_notice_h`` calendar hours of its limit (a week plus its spare
  part's normal lead time, at the system's operating rate) the simulator releases a
  forced preventive replacement, planned at the latest crew shift start before the
  part could reach the limit; its parts are reserved (ordered if missing) at release.
  A policy may replace the part earlier.  If the part still reaches the limit (crews
  busy, parts late), it is taken out of service at once: it no longer runs, ages or
  fails, its redundancy group loses a member (a series part stops the system: unplanned
  downtime) until the forced opening starts, and missing parts are expedited when that
  is quicker.  Forced openings ignore ``open_only_in_windows`` (a regulatory limit
  outranks the preference) and count as preventive replacements.  Event log:
  ``limit_release`` (value: hours until the planned start), ``life_limit`` (the age at
  which a part was taken out of service) and, for every preventive removal,
  ``removal`` (the removed part's operating age).

References
----------
.. [1] SimPy documentation, "Machine Shop" example
   (https://simpy.readthedocs.io/en/latest/examples/machine_shop.html).
"""

from __future__ import annotations

import gc
import heapq
import math
import operator
import weakref
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Generator, Sequence
from typing import Any

import numpy as np
import simpy
from scipy import special as sc

import cost_models as cm
from optimizer._typing import BoolArray, FloatArray, IndexArray, IntArray
from optimizer.sim.model import SimModel
from optimizer.sim.strategies.base import Policy
from optimizer.sim.twin import Twin
from optimizer.sim.weather import calm_finish, calm_spells, next_calm

N_DRAWS = 5
"""Uniforms per (component, life): life, repair time, response delay, PM time, twin error."""
_LIFE, _REPAIR, _RESPONSE, _PMDUR, _TWIN = range(N_DRAWS)
_FAIL, _ALARM, _NOTICE, _LIMIT = 0, 1, 2, 3
_INF = math.inf
_EPS = 1e-9
_LIMIT_TOL_H = 1e-6
"""A part is taken out of service when its age passes the limit by this much (operating
hours): forced work planned exactly at the limit then comes first, whatever the rounding."""
_REPLAN_TOL_H = 1e-3
"""Forced work is re-planned when a stop moved its latest start later by more than this."""

KPI_BASE: tuple[str, ...] = (
    "cost_total",
    "cost_preventive",
    "cost_corrective",
    "cost_setup",
    "cost_lost_production",
    "cost_spares_holding",
    "cost_spares_ordering",
    "cost_spares_expediting",
    "cost_labour",
    "cost_resources",
    "availability_fleet",
    "downtime_unplanned_h",
    "downtime_planned_h",
    "failures",
    "preventive_replacements",
    "openings",
    "stockout_h",
    "stockouts",
    "crew_utilization",
    "system_failures",
    "time_to_first_system_failure_h",
    "uptime_h",
    "end_state_cost",
    "total_with_end_state_cost",
    "resource_mobilisations",
    "resource_charter_days",
    "resource_wait_h",
)
"""KPIs of every replication (followed by the per-system and per-pool ones, :func:`kpi_names`).

System-level KPIs: a *system failure* is an instant at which a system's structure goes
from working to failed (a series part fails, a k-out-of-n group drops below ``k``, or a
part is taken out of service at its life limit), i.e. an up -> down transition caused by
a failure (a planned opening is not one).  ``system_failures`` counts them over the
fleet; ``time_to_first_system_failure_h`` is ``min(T_1, horizon)``, the first one of any
system (its mean is the restricted mean time to the first system failure, the horizon
standing for "none"); ``uptime_h`` is the system-hours up (horizon minus every stop).
The mean time between system failures, ``mtbsf_h = uptime_h / system_failures``, is a
ratio of means (:data:`KPI_RATIOS`).

``end_state_cost`` values the parts left installed at the horizon against new ones
(:func:`optimizer.sim.model.end_state_tables`; positive when the fleet is left more worn
than new parts); it is NOT in ``cost_total`` (the cash of the horizon);
``total_with_end_state_cost`` adds it: the figure to compare strategies on over a
finite horizon (late preventive work is credited, worn parts left are charged).

Campaign resources (:class:`_Resource`): ``cost_resources`` (a category of
``cost_total``: mobilisations, paid charter days at the day rate, fixed annual cost of
owned resources times the simulated years), ``resource_mobilisations``,
``resource_charter_days`` (paid days, at least the minimum charter per charter) and
``resource_wait_h`` (hours requests waited for a slot, summed over requests; a request
still open at the horizon counts its wait so far); per resource
``resource_cost[<id>]``, ``resource_mobilisations[<id>]`` and
``resource_charter_days[<id>]``.
"""

KPI_PER_RESOURCE: tuple[str, ...] = (
    "resource_cost",
    "resource_mobilisations",
    "resource_charter_days",
)
"""KPIs of each campaign resource, named ``<kpi>[<resource>]`` (see :data:`KPI_BASE`)."""

KPI_PER_SYSTEM: tuple[str, ...] = (
    "availability",
    "system_failures",
    "time_to_first_system_failure_h",
    "uptime_h",
)
"""KPIs of each system, named ``<kpi>[<system>]`` (meaning as in :data:`KPI_BASE`)."""


def kpi_names(model: SimModel) -> tuple[str, ...]:
    """All KPI names of a model: :data:`KPI_BASE`, then ``<kpi>[<system>]`` for each of
    :data:`KPI_PER_SYSTEM`, then ``crew_utilization[<pool>]``, then
    ``<kpi>[<resource>]`` for each of :data:`KPI_PER_RESOURCE`."""
    return (
        *KPI_BASE,
        *(f"{kpi}[{s}]" for kpi in KPI_PER_SYSTEM for s in model.system_ids),
        *(f"crew_utilization[{p.key}]" for p in model.pools),
        *(f"{kpi}[{r.id}]" for kpi in KPI_PER_RESOURCE for r in model.resources),
    )


def kpi_ratios(model: SimModel) -> dict[str, tuple[str, str]]:
    """Ratio KPIs ``name -> (numerator, denominator)``: the mean time between system
    failures ``mtbsf_h`` of the fleet and ``mtbsf_h[<system>]`` of each system, hours of
    up time per system failure (estimated as a ratio of means, see
    :class:`optimizer.sim.stats.RunningStats`)."""
    out = {"mtbsf_h": ("uptime_h", "system_failures")}
    for s in model.system_ids:
        out[f"mtbsf_h[{s}]"] = (f"uptime_h[{s}]", f"system_failures[{s}]")
    return out


def kpi_ranges(names: Sequence[str]) -> dict[str, tuple[float, float]]:
    """The range of each KPI's mean: every KPI is non-negative, availabilities are at most 1.

    Confidence intervals are intersected with these ranges (:class:`RunningStats`).
    """
    signed = {"end_state_cost", "total_with_end_state_cost"}
    return {
        n: (0.0, 1.0)
        if n.startswith("availability")
        else ((-math.inf, math.inf) if n in signed else (0.0, math.inf))
        for n in names
    }


EVENT_COLUMNS: tuple[str, ...] = (
    "replication",
    "time_h",
    "event",
    "system",
    "component",
    "value",
)
"""Columns of the event log (``value``: a duration in hours or a quantity)."""


# --------------------------------------------------------------------------------------
# random numbers
# --------------------------------------------------------------------------------------
_MAX_ALIGN = 10_000
"""Most alternations between the next calm window and the next shift / maintenance
window searched for one job (then the job starts at the last candidate)."""


def replication_uniforms(seed: int, rep: int, n: int, lives: int) -> FloatArray:
    """Uniforms of one replication, shape ``(n, lives, N_DRAWS)``.

    Drawn from ``SeedSequence(seed, spawn_key=(rep, 0))``: a stream per replication
    whose row ``i`` is component ``i``'s sequence of draws, life by life.  Depends only
    on ``(seed, rep, n, lives)``, never on the strategy or on how replications are
    distributed over workers.
    """
    ss = np.random.SeedSequence(seed, spawn_key=(rep, 0))
    return np.random.Generator(np.random.PCG64(ss)).random((n, lives, N_DRAWS))


def extension_uniforms(seed: int, rep: int, i: int, block: int, lives: int) -> FloatArray:
    """Further draws of component ``i`` once its pre-drawn lives are used up.

    Block ``block >= 1`` covers lives ``block * lives ... (block + 1) * lives - 1`` and
    comes from its own stream ``SeedSequence(seed, spawn_key=(rep, 1, i, block))``.
    """
    ss = np.random.SeedSequence(seed, spawn_key=(rep, 1, i, block))
    return np.random.Generator(np.random.PCG64(ss)).random((lives, N_DRAWS))


def weather_series(model: SimModel, seed: int, rep: int, w: int) -> FloatArray:
    """Calm spells of weather site ``w`` in replication ``rep``
    (:func:`optimizer.sim.weather.calm_spells`).

    Drawn from the site's own stream ``SeedSequence(seed, spawn_key=(rep, 4, w))``:
    independent of the components' draws and identical for every strategy (common
    random numbers).
    """
    ss = np.random.SeedSequence(seed, spawn_key=(rep, 4, w))
    return calm_spells(
        model.weather_means_h[w, 0],
        model.weather_means_h[w, 1],
        model.month_starts_h,
        model.month_index,
        model.horizon_h,
        np.random.Generator(np.random.PCG64(ss)),
    )


def _safe_u(u: FloatArray) -> FloatArray:
    # Generator.random is in [0, 1); keep ndtri finite for the (2^-53) draw of 0.
    return np.clip(u, 1e-300, 1.0 - 1e-16)


class Draws:
    """Variates of one replication, computed from the uniforms by batched inverse transform.

    The first ``lives`` lives of every component are drawn at once (arrays of shape
    ``(n, lives)``); later lives come in blocks from :func:`extension_uniforms` on demand
    (:meth:`get`).  Shared by the event simulation and the renewal fast path
    (:mod:`optimizer.sim.renewal`), so both meet the same part lives.

    Parameters
    ----------
    model : SimModel
        The compiled scenario.
    seed : int
        Study seed.
    rep : int
        Replication index.

    Attributes
    ----------
    life, repair, response, pm : ndarray, shape (n, lives)
        Part lives (operating hours), repair times, response delays and preventive
        durations (hours).
    life_u : ndarray, shape (n, lives)
        The uniforms of the lives.
    z : ndarray, shape (n, lives)
        Standard-normal twin error draws.
    """

    def __init__(self, model: SimModel, seed: int, rep: int) -> None:
        self.model = model
        self.seed = seed
        self.rep = rep
        self.lives = model.lives_hint()
        u = replication_uniforms(seed, rep, model.n, self.lives)
        self.life = model.new_life.ppf(u[:, :, _LIFE])
        if model.n:
            self.life[:, 0] = model.initial_life.ppf(u[:, :1, _LIFE])[:, 0]
        self.life_u = u[:, :, _LIFE]
        self.repair = model.repair.ppf(u[:, :, _REPAIR])
        self.response = model.response.ppf(u[:, :, _RESPONSE])
        self.pm = model.pm_duration.ppf(u[:, :, _PMDUR])
        self._u = u
        self._z: FloatArray | None = None  # (z: computed on first use, see the property)
        self._ext: dict[tuple[int, int], dict[str, FloatArray]] = {}
        self._arrays: dict[str, FloatArray] = {
            "life": self.life,
            "life_u": self.life_u,
            "repair": self.repair,
            "response": self.response,
            "pm": self.pm,
        }

    @property
    def z(self) -> FloatArray:
        """Standard-normal twin error draws, shape ``(n, lives)``: computed on first use
        (only twin-driven strategies read them; issue 17, performance)."""
        z = self._z
        if z is None:
            z = self._z = np.asarray(sc.ndtri(_safe_u(self._u[:, :, _TWIN])), dtype=np.float64)
            self._arrays["z"] = z
        return z

    def _block(self, i: int, j: int) -> tuple[dict[str, FloatArray] | None, int]:
        if j < self.lives:
            return None, j
        b, jj = divmod(j, self.lives)
        key = (i, b)
        if key not in self._ext:
            m = self.model
            u = extension_uniforms(self.seed, self.rep, i, b, self.lives)

            def one(dist: Any, col: int) -> FloatArray:
                if isinstance(dist, int | float):
                    return np.full(self.lives, float(dist))
                return np.asarray(dist.ppf(u[:, col]), dtype=np.float64)

            self._ext[key] = {
                "life": one(m.life[i], _LIFE),
                "life_u": u[:, _LIFE],
                "repair": one(m.repair.members[i], _REPAIR),
                "response": one(m.response.members[i], _RESPONSE),
                "pm": one(m.pm_duration.members[i], _PMDUR),
                "z": np.asarray(sc.ndtri(_safe_u(u[:, _TWIN])), dtype=np.float64),
            }
        return self._ext[key], jj

    def get(self, name: str, i: int, j: int) -> float:
        """Variate ``name`` (``life``, ``life_u``, ``repair``, ``response``, ``pm``, ``z``)
        of component ``i``'s life ``j`` (0 = the part installed at the start)."""
        if j < self.lives:  # (item: a Python float without a numpy scalar)
            try:
                return self._arrays[name].item(i, j)
            except KeyError:  # "z" before its first use
                if name != "z":
                    raise
                return self.z.item(i, j)
        blk, jj = self._block(i, j)
        assert blk is not None
        return float(blk[name][jj])


# --------------------------------------------------------------------------------------
# event loop and light-weight processes
# --------------------------------------------------------------------------------------
_URGENT = 0
_NORMAL = 1
"""SimPy's event priorities (``simpy.events.URGENT`` / ``NORMAL``)."""


class _Env(simpy.Environment):
    """A SimPy environment with a tighter run loop and zero-delay calls without events.

    :meth:`soon` is what scheduling a triggered event (``env.event().succeed()``, a
    process's ``Initialize`` or termination) would do, without the event in the common
    case: the call takes that event's place in SimPy's order (time, priority, event id;
    the id is taken from SimPy's counter when :meth:`soon` is called) and runs right
    after the current event's callbacks when nothing in the queue comes before it, or
    else becomes a real event with exactly that place.  The order of everything that
    happens is therefore the one of plain SimPy events and processes.

    :meth:`run_to` is ``run(until=...)`` with SimPy's ``step`` inlined; it counts the
    events processed (``processed``).  Both use SimPy's (version 4) private queue,
    clock and event counter; the engine reads the clock as ``env._now`` (the ``now``
    property without its call: the hot path reads it some 70,000 times a replication).
    """

    def __init__(self) -> None:
        super().__init__()
        self._soon: list[tuple[float, int, int, Callable[[], None]]] = []
        self.processed = 0

    def soon(self, fn: Callable[[], None], *, urgent: bool = False) -> None:
        """Call ``fn()`` at the current time, where an event triggered now (priority
        ``URGENT`` if ``urgent`` else ``NORMAL``) would be processed."""
        self._soon.append((self._now, _URGENT if urgent else _NORMAL, next(self._eid), fn))

    def after(self, delay: float, cb: Callable[[Any], None], value: Any = None) -> None:
        """Call ``cb(event)`` in ``delay`` hours, ``event.value`` being ``value``: what a
        ``Timeout(delay, value)`` with that callback does (same place in the order),
        with a light-weight event."""
        queue: list[Any] = self._queue
        heapq.heappush(queue, (self._now + delay, _NORMAL, next(self._eid), _Light(cb, value)))

    def sleep(self, delay: float) -> _Light:
        """An event ``delay`` hours from now for a :class:`_Driver` generator to yield:
        ``Timeout(delay)`` (same place in the order), light-weight."""
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        ev = _Light(None, None)
        queue: list[Any] = self._queue
        heapq.heappush(queue, (self._now + delay, _NORMAL, next(self._eid), ev))
        return ev

    def _flush(self) -> None:
        """Run the pending :meth:`soon` calls whose turn it is; queue the others."""
        soon = self._soon
        queue: list[Any] = self._queue
        while soon:
            if len(soon) > 1:  # (event ids are unique: the calls are never compared)
                soon.sort()
            entry = soon[0]
            if queue and queue[0] < entry[:3]:  # an event comes first: wait for it
                for t, prio, eid, fn in soon:
                    heapq.heappush(queue, (t, prio, eid, _Light(_call_value, fn)))
                soon.clear()
                return
            del soon[0]
            entry[3]()

    def run_to(self, until: float) -> None:
        """Process events until time ``until`` (as ``run(until=until)``)."""
        stop = simpy.Event(self)
        stop._ok = True
        stop._value = None
        self.schedule(stop, _URGENT, until - self._now)  # type: ignore[arg-type]
        if self._soon:
            self._flush()
        queue: list[Any] = self._queue
        soon = self._soon
        pop = heapq.heappop
        n = 0
        while True:
            ev: Any
            self._now, _, _, ev = pop(queue)
            if ev is stop:
                break
            n += 1
            callbacks, ev.callbacks = ev.callbacks, None
            for cb in callbacks:
                cb(ev)
            if not ev._ok and not hasattr(ev, "_defused"):
                raise ev._value
            if soon:
                self._flush()
        self.processed += n


class _Light:
    """A triggered event: one callback (:meth:`_Env.after`) or none yet
    (:meth:`_Env.sleep`, yielded by a :class:`_Driver` generator)."""

    __slots__ = ("_ok", "_value", "callbacks")

    def __init__(self, cb: Callable[[Any], None] | None, value: Any) -> None:
        self.callbacks: list[Callable[[Any], None]] | None = [] if cb is None else [cb]
        self._ok = True
        self._value = value

    @property
    def value(self) -> Any:
        return self._value


_Wait = simpy.Event | _Light | None
"""What a :class:`_Driver` generator yields: an event, or ``None`` (a direct resume)."""


def _call_value(ev: _Light) -> None:
    """Callback of a queued :meth:`_Env.soon` call: the event's value is the call."""
    ev._value()


class _Driver:
    """Runs a generator like a SimPy process, without the process's own events.

    The generator yields SimPy events; it is resumed (with the event's value) by a
    callback when the event is processed, exactly as :class:`simpy.Process` resumes
    its generator.  Unlike a process it is started synchronously (no ``Initialize``
    event), it ends without a termination event, and it may yield ``None``: it then
    waits until :meth:`resume` is called directly (a component's failure, signalled by
    its system's clock), which saves the event a process would wait on.  Nothing may
    wait for a driver; the engine uses drivers for component life cycles and preventive
    openings, which nothing waits for.
    """

    __slots__ = ("cb", "gen", "idle")

    def __init__(self, gen: Generator[_Wait, Any, None]) -> None:
        self.gen = gen
        self.cb = self._run
        self.idle = True  # not started, or waiting for a direct resume (yielded None)

    def resume(self) -> None:
        """Start the generator, or resume it where it yielded ``None``.

        Raises
        ------
        RuntimeError
            If the generator waits for an event (an engine bug: it would skip the wait).
        """
        if not self.idle:
            raise RuntimeError("a driver was resumed directly while it waits for an event")
        self.idle = False
        self._run(None)

    def _run(self, ev: _Wait) -> None:
        """Send ``ev``'s value (``None`` for a direct resume) and wait for the next event."""
        gen = self.gen
        try:
            while True:
                if ev is None:
                    nxt = gen.send(None)
                elif ev._ok:
                    nxt = gen.send(ev._value)
                else:  # no engine event fails; raise it in the generator as SimPy would
                    nxt = gen.throw(ev._value)
                if nxt is None:  # waits for resume()
                    self.idle = True
                    return
                cbs = nxt.callbacks
                if cbs is not None:  # not processed yet: resume when it is
                    cbs.append(self.cb)
                    return
                ev = nxt  # already processed: go on at once with its value
        except StopIteration:
            return


# --------------------------------------------------------------------------------------
# resources
# --------------------------------------------------------------------------------------
_Taken = tuple[tuple[int, int], ...]
_Grant = tuple[_Taken, float, float, float, float]
"""Technicians granted to a job: ``(taken, rate, overtime, callout, regular_h)``.

``taken`` lists ``(crew, technicians)``; ``rate`` (per technician-hour), ``overtime``
(factor) and ``callout`` (premium) are those of the technicians taken (rate-weighted),
``regular_h`` the hours left at the grant in the shortest shift of the crews taken (0
off shift; not computed, 0, for an any-hour call-out)."""


_Shifts = tuple[
    list[list[float]], list[list[float]], list[list[float]], list[list[float]], list[list[float]]
]
_SHIFTS: weakref.WeakKeyDictionary[SimModel, _Shifts] = weakref.WeakKeyDictionary()


def _shift_lists(model: SimModel) -> _Shifts:
    """Shift starts and ends of every crew and pool, and the member crews' shift starts
    of every pool, as lists (read only): built once per model, not per replication
    (issue 17, performance)."""
    got = _SHIFTS.get(model)
    if got is None:
        c_starts = [c.shifts[:, 0].tolist() for c in model.crews]
        c_ends = [c.shifts[:, 1].tolist() for c in model.crews]
        p_starts = [p.shifts[:, 0].tolist() for p in model.pools]
        p_ends = [p.shifts[:, 1].tolist() for p in model.pools]
        p_crew_starts = [
            sorted({t for c in tuple(p.crew_index) for t in c_starts[c]}) for p in model.pools
        ]
        got = _SHIFTS[model] = (c_starts, c_ends, p_starts, p_ends, p_crew_starts)
    return got


class _Crews:
    """Technicians of every crew of a replication, shared by the pools a crew serves.

    A request for work in shifts takes technicians only from member crews on shift at
    that instant (cheapest first); an any-hour call-out from any member crew.  Waiting
    requests are served FIFO within a pool (a later request of the same pool never
    overtakes an earlier one) whenever technicians are returned or a member crew's
    shift starts.

    The hot path holds no object per job (issue 17, performance): a request granted at
    once returns its :data:`_Grant` tuple, a queued one waits on a light event whose
    value is the grant; each pool queues plain tuples numbered in arrival order, and
    :meth:`serve` tries the earliest head of a pool not refused yet, so it never visits
    the requests behind a refused one.  Which member crews are on shift is cached per
    pool until the next shift start or end of a member crew, the next shift start per
    pool until it passes; a wake-up (a re-try at a member crew's shift start) is
    scheduled only while a request of a pool waits, one per instant.  The order of
    every grant, wake-up and event is that of the straightforward version (a request
    object per job in one waiting list over all pools, these values recomputed at every
    try and every waiting request visited at every release): KPIs and event logs are
    identical (``benchmarks/sim_snapshot.py``).
    """

    def __init__(self, env: _Env, model: SimModel) -> None:
        self.env = env
        crews = model.crews
        self.free = [c.headcount for c in crews]
        shifts = _shift_lists(model)
        self.starts: list[list[float]] = shifts[0]
        self.ends: list[list[float]] = shifts[1]
        self.rate = [c.rate_per_h for c in crews]
        self.ot = [c.overtime_factor for c in crews]
        self.callout = [c.callout for c in crews]
        self.waiting: list[_CrewPool] = []  # pools with queued requests
        self.n_queued = 0  # requests queued so far (their arrival numbers)
        self._wakes: set[float] = set()

    def shift_left(self, c: int, t: float) -> float:
        """Hours left at ``t`` in crew ``c``'s current shift (0 when off shift)."""
        k = bisect_right(self.starts[c], t) - 1
        if k >= 0 and t < self.ends[c][k]:
            return self.ends[c][k] - t
        return 0.0

    def _on_shift(self, pool: _CrewPool, now: float) -> None:
        """Set ``pool.on`` to the member crews a request in shifts may take from at
        ``now`` (those on shift; all of them when none is and no shift is left in the
        horizon) and ``pool.on_until`` to the first instant this may change (the next
        shift start or end of a member crew)."""
        on: list[int] = []
        until = _INF
        left = False  # a member crew has a shift after now
        for c in pool.crews_idx:
            starts = self.starts[c]
            k = bisect_right(starts, now)
            if k < len(starts):
                left = True
                until = min(until, starts[k])
            if k >= 1 and now < self.ends[c][k - 1]:
                on.append(c)
                until = min(until, self.ends[c][k - 1])
        if not on and not left:
            on = list(pool.crews_idx)  # no shift left in the horizon: any member crew
        pool.on = on
        pool.on_until = until

    def take(self, pool: _CrewPool, qty: int, in_shift: bool) -> _Grant | None:
        """Take ``qty`` technicians for a job of ``pool`` now (cheapest eligible crews
        first), or ``None`` (nothing taken) when too few are free."""
        now = self.env._now
        if in_shift:
            if now >= pool.on_until:
                self._on_shift(pool, now)
            crews: Sequence[int] = pool.on
        else:
            crews = pool.crews_idx
        free = self.free
        rate = self.rate
        if len(crews) == 1:  # one eligible crew (the common case)
            c = crews[0]
            if free[c] < qty:
                return None
            free[c] -= qty
            paid = qty * rate[c]
            if paid > 0.0:
                overtime = qty * rate[c] * self.ot[c] / paid
            else:
                overtime = self.ot[c]
            regular = self.shift_left(c, now) if in_shift else 0.0
            return ((c, qty),), paid / qty, overtime, self.callout[c], regular
        if sum(free[c] for c in crews) < qty:
            return None
        need = qty
        taken: list[tuple[int, int]] = []
        for c in crews:  # cheapest first (the pool's order)
            n = min(need, free[c])
            if n > 0:
                free[c] -= n
                taken.append((c, n))
                need -= n
            if need == 0:
                break
        paid = sum(n * rate[c] for c, n in taken)
        if paid > 0.0:
            overtime = sum(n * rate[c] * self.ot[c] for c, n in taken) / paid
        else:
            overtime = max(self.ot[c] for c, _ in taken)
        callout = max(self.callout[c] for c, _ in taken)
        regular = min(self.shift_left(c, now) for c, _ in taken) if in_shift else 0.0
        return tuple(taken), paid / qty, overtime, callout, regular

    def request(self, pool: _CrewPool, qty: int, in_shift: bool) -> _Grant | _Light:
        """The grant if ``qty`` technicians are taken now, else a light event (queued,
        FIFO) whose value will be the grant."""
        queue = pool.queue
        if not queue:
            grant = self.take(pool, qty, in_shift)
            if grant is not None:
                return grant
            self.waiting.append(pool)
        ev = _Light(None, None)
        self.n_queued += 1
        queue.append((self.n_queued, qty, in_shift, ev))
        if in_shift:
            pool.n_in_shift += 1
            self._wake(pool)
        return ev

    def _wake(self, pool: _CrewPool) -> None:
        """Re-try at the next shift start of a member crew of ``pool`` (more
        technicians on shift), unless a re-try is already due then."""
        now = self.env._now
        t = pool.wake_t
        if now >= t:  # passed: the next member crew shift start after now
            starts = pool.crew_starts
            k = bisect_right(starts, now)
            t = pool.wake_t = starts[k] if k < len(starts) else _INF
        if t == _INF or t in self._wakes:
            return
        self._wakes.add(t)
        self.env.after(t - now, self._woken, t)

    def _woken(self, ev: _Light) -> None:
        self._wakes.discard(ev._value)
        self.serve()

    def release(self, grant: _Grant) -> None:
        """Return the technicians of ``grant`` and serve the waiting requests."""
        free = self.free
        for c, n in grant[0]:
            free[c] += n
        if self.waiting:
            self.serve()

    def serve(self) -> None:
        """Grant waiting requests in the order they were queued (over all pools); a
        pool's first refused request blocks its later ones.

        Each pool keeps its own queue: the next request tried is the earliest queued
        head of a pool not blocked yet, so the grants (and the technicians they take
        from crews shared by several pools) come in the order of one FIFO list over all
        pools, without visiting the requests behind a refused one.  A blocked pool with
        a request in shifts waits for its next member crew shift start (one wake-up
        per instant)."""
        waiting = self.waiting
        if not waiting:
            return
        env = self.env
        now = env._now
        heap: list[Any] = env._queue
        left: list[_CrewPool] = []  # pools still waiting after this pass
        active = waiting if len(waiting) == 1 else sorted(waiting, key=_head_number)
        while active:
            pool = active[0]
            queue = pool.queue
            _, qty, in_shift, ev = queue[0]
            grant = self.take(pool, qty, in_shift)
            if grant is None:  # blocked until technicians come back or a shift starts
                del active[0]
                left.append(pool)
                if pool.n_in_shift:
                    self._wake(pool)
                continue
            ev._value = grant  # what Event.succeed(grant) schedules
            heapq.heappush(heap, (now, _NORMAL, next(env._eid), ev))
            queue.popleft()
            if in_shift:
                pool.n_in_shift -= 1
            if not queue:
                del active[0]
            elif len(active) > 1 and queue[0][0] > active[1].queue[0][0]:
                active.sort(key=_head_number)
        self.waiting = left


def _head_number(pool: _CrewPool) -> int:
    """Arrival number of the first request in ``pool``'s queue."""
    return pool.queue[0][0]


class _CrewPool:
    """Technicians of one skill at one site: its member crews' technicians (shared with
    the other pools those crews serve), and the union of their shifts."""

    __slots__ = (
        "busy_h",
        "callout",
        "crew_starts",
        "crews",
        "crews_idx",
        "ends",
        "env",
        "n_in_shift",
        "on",
        "on_until",
        "overtime_factor",
        "queue",
        "rate_per_h",
        "starts",
        "wake_t",
    )

    def __init__(self, env: _Env, crews: _Crews, pool: Any, shifts: _Shifts, p: int) -> None:
        self.env = env
        self.crews = crews
        self.crews_idx: tuple[int, ...] = tuple(pool.crew_index)
        self.starts: list[float] = shifts[2][p]  # (lists shared by the replications)
        self.ends: list[float] = shifts[3][p]
        self.rate_per_h = float(pool.rate_per_h)
        self.overtime_factor = float(pool.overtime_factor)
        self.callout = float(pool.callout)
        self.busy_h = 0.0
        # shift starts of the member crews (wake-ups), and the caches of _Crews
        self.crew_starts: list[float] = shifts[4][p]
        # waiting requests, FIFO: (arrival number, technicians, in shift, event)
        self.queue: deque[tuple[int, int, bool, _Light]] = deque()
        self.n_in_shift = 0  # requests in shifts among them
        self.on: list[int] = []  # member crews a request in shifts may take from ...
        self.on_until = -_INF  # ... until this instant
        self.wake_t = -_INF  # next member crew shift start (valid while it is ahead)

    def get(self, qty: int, *, in_shift: bool) -> _Grant | _Light:
        """Ask for ``qty`` technicians (on shift when ``in_shift``): the grant, or a
        light event to wait for whose value is the grant."""
        return self.crews.request(self, qty, in_shift)

    def put(self, grant: _Grant) -> None:
        """Return the technicians of ``grant``."""
        self.crews.release(grant)

    def next_shift(self, t: float) -> float:
        """Earliest instant ``>= t`` inside a shift (``t`` if there are no more shifts)."""
        k = bisect_right(self.starts, t) - 1
        if k >= 0 and t < self.ends[k]:
            return t
        return self.starts[k + 1] if k + 1 < len(self.starts) else t

    def regular_h(self, t: float) -> float:
        """Regular (in-shift) hours left at ``t`` in the current shift (0 outside shifts)."""
        k = bisect_right(self.starts, t) - 1
        if k >= 0 and t < self.ends[k]:
            return self.ends[k] - t
        return 0.0


class _Stock:
    """On-hand stock of one spare part with orders in transit and a reorder policy."""

    def __init__(self, rep: _Replication, q: int) -> None:
        p = rep.model.parts[q]
        self.rep = rep
        self.env = rep.env
        self.q = q
        self.p = p
        self.level = p.on_hand
        self.waiters: deque[tuple[int, simpy.Event]] = deque()
        self.waiting_qty = 0
        self.pipeline: list[tuple[float, int]] = []  # (arrival time, qty), sorted
        self.on_order = 0  # units in the pipeline
        self.area = 0.0
        self.t_last = 0.0
        self.orders = 0
        self.expedited_qty = 0
        # rotable parts: units owed by released work (removed later), in the shop, ...
        self.rotable = p.repairable
        self.owed = 0
        self.in_repair = 0
        self.shop_busy = 0
        self.shop_queue: deque[float] = deque()  # repair times of units waiting for a channel
        # ... and units repaired / scrapped, by the work that removed them
        self.repaired = [0, 0]  # [preventive, corrective]
        self.scrapped = [0, 0]
        self._shop_u: FloatArray = np.empty((0, 2))
        self._shop_j = 0
        self._shop_block = 0
        for t_arr, qty in p.arrivals:
            if t_arr <= 0.0:
                self.level += qty
            else:
                self._schedule(qty, t_arr, expedited=False, placed=False)

    def _touch(self) -> None:
        now = self.env._now
        self.area += self.level * (now - self.t_last)
        self.t_last = now

    def _schedule(self, qty: int, t_arr: float, *, expedited: bool, placed: bool = True) -> None:
        entry = (t_arr, qty)
        self.pipeline.append(entry)
        self.pipeline.sort()
        self.on_order += qty
        if placed:
            self.orders += 1
            if expedited:
                self.expedited_qty += qty
            if self.rep.keep_events:
                self.rep.log("expedite" if expedited else "order", -1, -1, float(qty), part=self.q)
        self.env.after(t_arr - self.env._now, self._arrive, entry)

    def _arrive(self, ev: _Light) -> None:
        self._receive(ev._value)

    def _order(self, qty: int, expedited: bool = False) -> None:
        if qty <= 0:
            return
        lead = self.p.expedite_h if expedited and self.p.expedite_h is not None else self.p.lead_h
        self._schedule(qty, self.env._now + lead, expedited=expedited)

    def _receive(self, entry: tuple[float, int]) -> None:
        self._touch()
        self.pipeline.remove(entry)
        self.on_order -= entry[1]
        self.level += entry[1]
        if self.rep.keep_events:
            self.rep.log("arrival", -1, -1, float(entry[1]), part=self.q)
        self._serve()

    def _serve(self) -> None:
        w = self.waiters
        while w and self.level >= w[0][0]:
            qty, ev = w.popleft()
            self.level -= qty
            self.waiting_qty -= qty
            ev.succeed()

    def put_back(self, qty: int) -> None:
        """Return unused parts (a preventive job that no longer takes place)."""
        self._touch()
        self.level += qty
        if self.rotable:
            self.owed -= qty  # no unit will be removed for it
        self._serve()

    # ---- repair shop (rotable parts) ------------------------------------------------
    def _shop_draw(self) -> tuple[float, float]:
        """(scrap uniform, repair time) of the next unit entering the shop.

        From the part's own stream ``SeedSequence(seed, spawn_key=(rep, 2, part, block))``
        in blocks of 256 units, so shop draws never shift the components' draws.
        """
        if self._shop_j >= len(self._shop_u):
            rep = self.rep
            ss = np.random.SeedSequence(
                rep.draws.seed, spawn_key=(rep.rep_index, 2, self.q, self._shop_block)
            )
            self._shop_u = np.random.Generator(np.random.PCG64(ss)).random((256, 2))
            self._shop_block += 1
            self._shop_j = 0
        u_scrap, u_rep = self._shop_u[self._shop_j]
        self._shop_j += 1
        dist = self.p.repair_h
        if isinstance(dist, int | float):
            return float(u_scrap), float(dist)
        assert dist is not None
        return float(u_scrap), float(dist.ppf(min(float(u_rep), 1.0 - 1e-16)))

    def removed(self, qty: int, *, corrective: bool) -> None:
        """``qty`` units of a rotable part were taken off a component: each goes to the
        shop (FIFO over its channels) or, with the scrap probability, is scrapped (the
        reorder policy then buys a replacement)."""
        self.owed -= qty
        scrapped = False
        for _ in range(qty):
            u, dur = self._shop_draw()
            if u < self.p.scrap_probability:
                self.scrapped[corrective] += 1
                scrapped = True
                self.rep.log("scrap", -1, -1, 1.0, part=self.q)
                continue
            self.repaired[corrective] += 1
            self.in_repair += 1
            c = self.p.repair_channels
            if c == 0 or self.shop_busy < c:
                self._start_repair(dur)
            else:
                self.shop_queue.append(dur)
        if scrapped:
            self._touch()
            self._reorder()

    def _start_repair(self, dur: float) -> None:
        self.shop_busy += 1
        self.env.after(dur, self._repaired)

    def _repaired(self, _ev: _Light) -> None:
        self._touch()
        self.shop_busy -= 1
        self.in_repair -= 1
        self.level += 1
        self.rep.log("repaired_unit", -1, -1, 1.0, part=self.q)
        if self.shop_queue:
            self._start_repair(self.shop_queue.popleft())
        self._serve()

    def demand(self, qty: int, critical: bool) -> simpy.Event | None:
        """Take ``qty`` units; ``None`` if on hand, else an event fired when they arrive.

        A critical (corrective) demand that cannot be served expedites its shortfall when
        that beats the orders in transit; any demand not covered by orders in transit
        triggers a normal order.  Then the reorder policy looks at the inventory position
        (on hand + in transit - waiting demand).
        """
        self._touch()
        if self.rotable:
            self.owed += qty  # the units this demand replaces come back to the shop
        if not self.waiters and self.level >= qty:
            self.level -= qty
            self._reorder()
            return None
        ev = self.env.event()
        self.waiters.append((qty, ev))
        self.waiting_qty += qty
        self.cover(qty, critical)
        self._reorder()
        return ev

    def cover(self, qty: int, critical: bool) -> None:
        """Make sure waiting demand will be served: expedite ``qty`` units for a critical
        demand when that beats the orders in transit, else order what transit lacks.
        Units in a rotable part's repair shop count as coming (never bought here)."""
        need = self.waiting_qty - self.level - self.in_repair  # units still to arrive
        if need <= 0:
            return
        cum = 0
        serve_t = math.inf
        for t_arr, q_arr in self.pipeline:
            cum += q_arr
            if cum >= need:
                serve_t = t_arr
                break
        exp_h = self.p.expedite_h
        if critical and exp_h is not None and self.env._now + exp_h < serve_t:
            self._order(min(qty, need), expedited=True)
        elif not math.isfinite(serve_t):
            self._order(need - cum)

    def available(self, qty: int) -> bool:
        """Whether ``qty`` units could be taken now."""
        return not self.waiters and self.level >= qty

    def _reorder(self) -> None:
        p = self.p
        if p.policy == "none":
            return
        position = self.level + self.in_repair + self.owed + self.on_order - self.waiting_qty
        if p.policy == "s_S":
            if position <= p.s:
                self._order(p.S - position)
        elif position < p.base_stock:
            self._order(p.base_stock - position)

    def finish(self) -> None:
        """Close the holding-cost integral at the end of the horizon."""
        self._touch()


_IDLE, _MOBILISING, _ON_SITE = 0, 1, 2
RESOURCE_LOG = 1_000_000
"""Event-log code of a resource: component ``-RESOURCE_LOG - r`` (see simulate)."""


class _Resource:
    """A campaign resource: requests queue, trigger -> mobilisation -> on site -> release
    (module docstring)."""

    def __init__(self, rep: _Replication, r: int) -> None:
        self.rep = rep
        self.env = rep.env
        self.r = r
        m = rep.model.resources[r]
        self.m = m
        self.state = _IDLE
        self.free = 0  # free slots while on site
        self.busy = 0  # jobs holding a slot
        self.queue: deque[tuple[simpy.Event, float, int, int]] = deque()  # (ev, t, k, i)
        self.t_arrive = 0.0
        self.closing = False  # a fixed charter has run out: no new job starts
        self.version = 0  # stale end-of-charter timers are ignored
        self.mobilisations = 0
        self.on_site_h: list[float] = []  # per finished (or open at the horizon) charter
        self.wait_h = 0.0
        self._u: FloatArray = np.empty(0)
        self._j = 0
        self._block = 0
        # daily start limit (max_jobs_per_day; 0: none): grants in the local day ending
        # at day_end, and whether a wake-up at day_end is pending
        self.per_day = m.max_jobs_per_day
        self.day_starts: list[float] = m.day_starts_h.tolist()
        self.day_end = -math.inf
        self.day_n = 0
        self.wake = False
        if m.trigger_n == 0 and m.dates_h.size:
            self.env.process(self._dates())

    def log(self, event: str, value: float) -> None:
        self.rep.log(event, -1, -RESOURCE_LOG - self.r, value)

    # ---- requests -------------------------------------------------------------------
    def request(self, k: int, i: int) -> simpy.Event | None:
        """A job of component ``i`` (system ``k``) needs a slot: ``None`` if granted now,
        else an event fired when it is."""
        env = self.env
        if (
            self.state == _ON_SITE
            and self.free > 0
            and not self.queue
            and not self.closing
            and (not self.per_day or self._day_room())
        ):
            self.free -= 1
            self.busy += 1
            if self.per_day:
                self.day_n += 1
            self.rep.log("resource_granted", k, i, 0.0)
            return None
        ev = env.event()
        now = float(env._now)
        self.queue.append((ev, now, k, i))
        self.rep.log("resource_request", k, i, float(len(self.queue)))
        if self.state == _IDLE and self.m.trigger_n > 0:
            if len(self.queue) >= self.m.trigger_n:
                self._mobilise()
            elif math.isfinite(self.m.max_wait_h):
                env.timeout(self.m.max_wait_h).callbacks.append(self._waited)
        return ev

    def release(self) -> None:
        """A job ends: its slot serves the next request; the charter may end."""
        self.busy -= 1
        self.free += 1
        self._serve()
        self._maybe_end()

    def _serve(self) -> None:
        if self.closing:
            return
        q = self.queue
        now = float(self.env._now)
        while q and self.free > 0:
            if self.per_day:
                if not self._day_room():
                    break
                self.day_n += 1
            ev, t, k, i = q.popleft()
            self.free -= 1
            self.busy += 1
            self.wait_h += now - t
            self.rep.log("resource_granted", k, i, now - t)
            ev.succeed()

    def _day_room(self) -> bool:
        """Daily limit: may a job start now?  Else wake up at the next local midnight
        (``ResourceModel.day_starts_h``; 24 h days past the last one) to serve the queue."""
        now = float(self.env._now)
        if now >= self.day_end:
            starts = self.day_starts
            j = bisect_right(starts, now)
            if j < len(starts):
                self.day_end = starts[j]
            else:
                last = starts[-1] if starts else 0.0
                self.day_end = last + 24.0 * (math.floor((now - last) / 24.0) + 1.0)
            self.day_n = 0
        if self.day_n < self.per_day:
            return True
        if not self.wake:
            self.wake = True
            self.env.timeout(self.day_end - now).callbacks.append(self._new_day)
        return False

    def _new_day(self, _ev: simpy.Event) -> None:
        """A new local day under a daily limit: waiting requests may start."""
        self.wake = False
        if self.state == _ON_SITE:
            self._serve()
            self._maybe_end()

    # ---- trigger, mobilisation, charter ------------------------------------------------
    def _waited(self, _ev: simpy.Event) -> None:
        """The max-wait timer of a request: mobilise if the oldest open request has
        waited ``max_wait_h`` and the resource is still idle."""
        q = self.queue
        if self.state == _IDLE and q and self.env._now - q[0][1] >= self.m.max_wait_h - _EPS:
            self._mobilise()

    def _dates(self) -> Generator[simpy.Event, Any, None]:
        """Fixed-dates trigger: mobilise at each date when idle and (requests are open
        or the booking is firm)."""
        env = self.env
        for t in self.m.dates_h.tolist():
            if t > env._now:
                yield env.timeout(t - env._now)
            if self.state == _IDLE and (self.queue or self.m.mobilise_when_idle):
                self._mobilise()

    def _delay(self) -> float:
        """The next mobilisation delay, from the stream ``(seed, (rep, 5, r, block))``."""
        d = self.m.delay
        if isinstance(d, int | float):
            return float(d)
        if self._j >= len(self._u):
            rep = self.rep
            ss = np.random.SeedSequence(
                rep.draws.seed, spawn_key=(rep.rep_index, 5, self.r, self._block)
            )
            self._u = np.random.Generator(np.random.PCG64(ss)).random(64)
            self._block += 1
            self._j = 0
        u = float(self._u[self._j])
        self._j += 1
        return float(d.ppf(min(max(u, 1e-300), 1.0 - 1e-16)))

    def _mobilise(self) -> None:
        self.state = _MOBILISING
        self.mobilisations += 1
        self.env.process(self._mobilisation())

    def _mobilisation(self) -> Generator[simpy.Event, Any, None]:
        """Process of one mobilisation: the delay, then on site."""
        delay = self._delay()
        self.log("mobilise", delay)
        yield self.env.timeout(delay)
        self._arrive()

    def _arrive(self) -> None:
        self.state = _ON_SITE
        self.t_arrive = float(self.env._now)
        self.free = self.m.capacity
        self.log("on_site", float(len(self.queue)))
        if self.m.fixed_charter:
            self.env.timeout(self.m.min_charter_h).callbacks.append(self._charter_over)
        self._serve()
        self._maybe_end()

    def _charter_over(self, _ev: simpy.Event) -> None:
        """A fixed charter has run out: no new job starts; it ends when the jobs
        started by then finish (NREL WOMBAT, ``ServiceEquipment.run_unscheduled_in_situ``:
        the loop stops at ``charter_end_env_time``, a repair under way is finished)."""
        self.closing = True
        self._maybe_end()

    def _maybe_end(self) -> None:
        """End the charter when idle and the minimum charter has passed (else check
        again when it has); a fixed charter when it has run out and no job runs."""
        if self.state != _ON_SITE or self.busy:
            return
        now = float(self.env._now)
        if self.m.fixed_charter:
            if self.closing:
                self._demobilise(now)
            return
        if self.queue:
            return
        end = self.t_arrive + self.m.min_charter_h
        self.version += 1
        if now >= end - _EPS:
            self._demobilise(now)
            return
        version = self.version

        def check(_ev: simpy.Event) -> None:
            if version == self.version:
                self._maybe_end()

        self.env.timeout(end - now).callbacks.append(check)

    def _demobilise(self, now: float) -> None:
        """Leave the site.  Requests still open (a fixed charter's leftovers) meet the
        trigger rule again at once: WOMBAT's ``RepairManager._run_equipment_requests``
        re-dispatches when the requests still open reach the threshold; else the next
        request (or the max-wait timer, the next date) mobilises."""
        self.state = _IDLE
        self.closing = False
        self.on_site_h.append(now - self.t_arrive)
        self.log("demobilise", now - self.t_arrive)
        q = self.queue
        if not q or self.m.trigger_n == 0:
            return
        if len(q) >= self.m.trigger_n:
            self._mobilise()
        elif math.isfinite(self.m.max_wait_h):
            left = self.m.max_wait_h - (now - q[0][1])
            if left <= _EPS:
                self._mobilise()
            else:
                self.env.timeout(left).callbacks.append(self._waited)

    def finish(self) -> None:
        """Close the open charter and the open waits at the horizon."""
        now = float(self.env._now)
        if self.state == _ON_SITE:
            self.on_site_h.append(now - self.t_arrive)
        for _, t, _, _ in self.queue:
            self.wait_h += now - t


class _Reservation:
    """Spare parts set aside for a released preventive work order.

    ``ev`` is ``None`` when the parts were on hand at release, else the stock event that
    fires when they arrive.  A failure before the work takes the reservation over
    (``stolen``): the corrective repair uses those parts.
    """

    __slots__ = ("ev", "stolen")

    def __init__(self, ev: simpy.Event | None) -> None:
        self.ev = ev
        self.stolen = False


# --------------------------------------------------------------------------------------
# systems and components
# --------------------------------------------------------------------------------------
class _System:
    """Operating clock, structure state and downtime accounting of one system."""

    __slots__ = (
        "armed",
        "down",
        "down_h",
        "env",
        "heap",
        "held",
        "holding",
        "idle_ageing",
        "k",
        "n_fail",
        "n_open",
        "on_timer",
        "rate",
        "rep",
        "seq",
        "short",
        "t_first",
        "t_last",
        "t_state",
        "theta",
        "unplanned",
        "unplanned_h",
        "version",
    )

    def __init__(self, rep: _Replication, k: int) -> None:
        self.rep = rep
        self.env: _Env = rep.env
        self.k = k
        self.rate = float(rep.model.rate[k])
        self.idle_ageing = bool(rep.model.idle_ageing[k])
        self.theta = 0.0
        self.t_last = 0.0
        self.heap: list[tuple[float, int, int, int, int]] = []
        self.seq = 0
        self.version = 0
        self.armed = math.inf
        self.short = 0  # redundancy groups below k (failed series components included)
        self.n_open = 0  # preventive openings in progress
        self.down = False
        self.unplanned = False
        self.t_state = 0.0
        self.down_h = 0.0
        self.unplanned_h = 0.0
        self.n_fail = 0  # system failures: structure from working to failed
        self.t_first = math.inf  # time of the first one, hours
        self.on_timer = self._on_timer  # (bound once: a callback per timer)
        # while the replication starts, the timer is held, not queued: the start arms a
        # clock once per part installed and alarm set, and every timer but the last would
        # be dead (release_timer; issue 17, performance)
        self.holding = True
        self.held: tuple[float, int] | None = None

    # ---- operating clock ----------------------------------------------------------
    def ageing(self) -> bool:
        return self.idle_ageing or not self.down

    def theta_now(self) -> float:
        if self.idle_ageing or not self.down:  # (ageing(), inline: hot path)
            return self.theta + self.rate * (self.env._now - self.t_last)
        return self.theta

    def _advance(self) -> None:
        now = self.env._now
        if self.idle_ageing or not self.down:
            self.theta += self.rate * (now - self.t_last)
        self.t_last = now

    def push(self, theta: float, i: int, kind: int, tag: int) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (theta, self.seq, i, kind, tag))
        # a stopped clock has no timer (``armed`` is inf) and gets one when it runs
        # again (update): no re-arm, which would set no timer (issue 17, performance)
        if theta < self.armed and (self.idle_ageing or not self.down):
            self._arm()

    def _valid(self, entry: tuple[float, int, int, int, int]) -> bool:
        _, _, i, kind, tag = entry
        rep = self.rep
        if not rep.up[i]:
            return False
        if kind == _FAIL:
            return rep.fail_tag[i] == tag
        return (rep.alarm_tag[i] if kind == _ALARM else rep.gen[i]) == tag

    def _arm(self) -> None:
        heap = self.heap
        rep = self.rep
        up, fail_tag, alarm_tag, gen = rep.up, rep.fail_tag, rep.alarm_tag, rep.gen
        while heap:  # drop dead entries (_valid, inline: hot path)
            _, _, i, kind, tag = heap[0]
            if up[i] and tag == (
                fail_tag[i] if kind == _FAIL else (alarm_tag[i] if kind == _ALARM else gen[i])
            ):
                break
            heapq.heappop(heap)
        self.version += 1
        if self.holding:
            self.held = None
        if not heap or not (self.idle_ageing or not self.down):
            self.armed = math.inf
            return
        top = heap[0][0]
        self.armed = top
        rate = self.rate
        if rate > 0:
            env = self.env
            now = env._now
            # (theta_now() and env.after(dt, self._on_timer, self.version), inline)
            dt = (top - (self.theta + rate * (now - self.t_last))) / rate
            if not dt > 0.0:
                dt = 0.0
            elif dt == _INF:
                return
            if self.holding:  # (its place in the order is taken now: the event id)
                self.held = (now + dt, next(env._eid))
                return
            queue: list[Any] = env._queue
            heapq.heappush(
                queue, (now + dt, _NORMAL, next(env._eid), _Light(self.on_timer, self.version))
            )

    def release_timer(self) -> None:
        """End of the start: queue the held timer (the last one armed) with the event id
        it took when armed, so that it has the place in the order it would have had
        queued then; the timers armed before it would have been dead."""
        self.holding = False
        held = self.held
        if held is not None:
            self.held = None
            queue: list[Any] = self.env._queue
            heapq.heappush(queue, (held[0], _NORMAL, held[1], _Light(self.on_timer, self.version)))

    def _on_timer(self, ev: _Light) -> None:
        if ev._value == self.version:  # else re-armed since: a dead timer
            self._fire()

    def _fire(self) -> None:
        self.armed = math.inf
        self._advance()
        heap = self.heap
        rep = self.rep
        up, fail_tag, alarm_tag, gen = rep.up, rep.fail_tag, rep.alarm_tag, rep.gen
        limit = self.theta + _EPS * max(1.0, abs(self.theta))
        fired: list[tuple[int, int]] = []
        while heap and heap[0][0] <= limit:
            _, _, i, kind, tag = heapq.heappop(heap)
            if up[i] and tag == (  # (_valid, inline)
                fail_tag[i] if kind == _FAIL else (alarm_tag[i] if kind == _ALARM else gen[i])
            ):
                fired.append((i, kind))
        for i, kind in fired:
            # an earlier entry of the same batch may have stopped it (a life limit
            # reached within _EPS of the failure: the retired part does not fail)
            if not up[i]:
                continue
            if kind == _FAIL:
                rep.fail(i)
            elif kind == _ALARM:
                rep.policy.on_alarm(rep, i)
            elif kind == _NOTICE:
                rep.limit_notice(i)
            else:
                rep.retire(i)
        if self.armed == math.inf:
            self._arm()

    # ---- structure state ------------------------------------------------------------
    def update(self) -> None:
        """Re-evaluate down / unplanned after a change of ``short`` or ``n_open``."""
        down = self.short > 0 or self.n_open > 0
        unplanned = self.short > 0
        if down == self.down and unplanned == self.unplanned:
            return
        self._advance()
        now = self.env._now
        if unplanned and not self.unplanned:  # a system failure
            self.n_fail += 1
            self.t_first = min(self.t_first, now)
        if self.down:
            self._segment(now)
        self.down = down
        self.unplanned = unplanned
        self.t_state = now
        self._arm()

    def _segment(self, now: float) -> None:
        dt = now - self.t_state
        if dt <= 0.0:
            return
        self.down_h += dt
        if self.unplanned:
            self.unplanned_h += dt
        self.rep.rec_down.append((self.k, self.t_state, dt))

    def finish(self) -> None:
        """Close an open downtime segment at the end of the horizon."""
        if self.down:
            self._segment(self.env._now)
            self.t_state = self.env._now


class _Replication:
    """One replication: entities, processes, records; also the view policies act on."""

    def __init__(
        self,
        model: SimModel,
        policy: Policy,
        twin: Twin,
        seed: int,
        rep: int,
        keep_events: bool,
    ) -> None:
        self.model = model
        self.policy = policy
        self.twin = twin
        self.rep_index = rep
        self.env = _Env()
        self.draws = Draws(model, seed, rep)
        n = model.n
        self.systems = [_System(self, k) for k in range(model.n_systems)]
        self.crews = _Crews(self.env, model)
        shifts = _shift_lists(model)
        self.pools = [
            _CrewPool(self.env, self.crews, p, shifts, q) for q, p in enumerate(model.pools)
        ]
        self.stocks = [_Stock(self, q) for q in range(len(model.parts))]
        self.sys_of: list[int] = model.system_of.tolist()
        self.pool_of: list[int] = model.pool_of.tolist()
        self.part_of: list[int] = model.part_of.tolist()
        self.crew: list[int] = model.crew_size.tolist()
        self.ppt: list[int] = model.parts_per_task.tolist()
        self.group_of: list[int] = model.group_of.tolist()
        self.group_k: list[int] = model.group_k.tolist()
        self.group_up: list[int] = model.group_size.tolist()
        # standby redundancy (per group), and which members wait in standby
        self.g_standby: list[bool] = model.group_standby.tolist()
        self.g_ageing: list[float] = model.group_ageing.tolist()
        self.g_switch: list[float] = model.group_switch_p.tolist()
        self.has_standby = any(self.g_standby)
        for g, sb in enumerate(self.g_standby):
            if sb:
                self.group_up[g] = self.group_k[g]  # running members
        self.standby: list[bool] = [False] * n
        self.sb_theta0: list[float] = [0.0] * n  # system clock when it entered standby
        self.sb_age0: list[float] = [0.0] * n  # its age then
        self.fail_tag: list[int] = [0] * n  # live failure event of each position
        self.alarm_age: list[float] = [math.inf] * n
        self._switch_u: FloatArray = np.empty(0)
        self._switch_j = 0
        self._switch_block = 0
        self.minimal: list[bool] = model.minimal_repair.tolist()
        self.max_age: list[float] = model.max_age_h.tolist()
        # component state
        self.up: list[bool] = [True] * n
        self.gen: list[int] = [0] * n
        self.alarm_tag: list[int] = [0] * n
        self.life_j: list[int] = [0] * n
        self.origin: list[float] = (-model.initial_age_h).tolist()
        self.fail_age: list[float] = (model.initial_age_h + self.draws.life[:, 0]).tolist()
        self.frozen_age: list[float] = [0.0] * n
        self.pending: list[int | None] = [None] * n  # policy requests (part generation)
        self.forced: list[int] = [-1] * n  # generation with forced (life-limit) work released
        self.retired: list[bool] = [False] * n  # out of service at its life limit
        # life cycle of each position (_lifecycle), started at its first failure: a
        # driver's start runs no event and draws nothing (issue 17, performance)
        self.life: list[_Driver | None] = [None] * n
        self.res: list[_Reservation | None] = [None] * n
        self._on_initial: list[bool] = [True] * n
        self._tags = 0
        # (system, planned time) -> [(component, part generation or -1, forced)]
        self._packages: dict[tuple[int, float], list[tuple[int, int, bool]]] = {}
        # records
        self.keep_events = keep_events
        self.events: list[tuple[int, float, str, int, int, float]] = []
        # corrective: [i, t_fail, repair_h, regular_h, rate, overtime factor, call-out]
        # (regular_h: in-shift hours for corrective work in shifts, -1 for a call-out;
        # rate, factor and call-out those of the technicians granted)
        self.rec_cm: list[list[float]] = []
        self.cm_rec: list[int] = [-1] * model.n  # each position's last rec_cm row
        self.cm_in_shifts: list[bool] = model.cm_in_shifts.tolist()
        # preventive: (i, start, dur, regular_h, rate, overtime factor)
        self.rec_pm: list[tuple[int, float, float, float, float, float]] = []
        self.rec_open: list[tuple[int, float]] = []  # (k, t)
        self.rec_down: list[tuple[int, float, float]] = []  # (k, start, duration)
        self.failures = 0
        self.stockout_h = 0.0
        self.stockouts = 0
        # access weather: one calm-spell series per weather site, own streams
        self.calm_pm: list[bool] = model.calm_pm.tolist()
        self.calm_cm: list[bool] = model.calm_cm.tolist()
        # work needing a resource with its own weather waits for that row (wx_of:
        # preventive work, wx_cm_of: corrective)
        pm_of = model.weather_pm_of if model.weather_pm_of.size else model.weather_of
        self.wx_of: list[int] = pm_of.tolist()
        self.wx_cm_of: list[int] = (
            model.weather_cm_of.tolist() if model.weather_cm_of.size else self.wx_of
        )
        self.wx_begins: list[list[float]] = []
        self.wx_ends: list[list[float]] = []
        self.wx_cum: list[list[float]] = []  # calm hours before each spell
        if model.calm_pm.any() or model.calm_cm.any():
            for w in range(model.weather_means_h.shape[0]):
                spells = weather_series(model, seed, rep, w)
                self.wx_begins.append(spells[:, 0].tolist())
                self.wx_ends.append(spells[:, 1].tolist())
                cum = np.concatenate([[0.0], np.cumsum(spells[:-1, 1] - spells[:-1, 0])])
                self.wx_cum.append(cum.tolist())
        # campaign resources (none: the hot paths test one list entry per job)
        self.res_pm: list[int] = model.resource_pm.tolist()
        self.res_cm: list[int] = model.resource_cm.tolist()
        # failures that stop their system only when the corrective work starts, and the
        # components whose failure has not yet taken them out of the structure
        self.late_stop: list[bool] = model.late_stop_cm.tolist()
        self.late_stop_pm: list[bool] = model.late_stop_pm.tolist()
        self.any_late_stop_pm = bool(model.late_stop_pm.any())
        self.deferred: list[bool] = [False] * len(self.late_stop)
        self.has_resources = bool(model.resources)
        self.any_calm_pm = bool(model.calm_pm.any())
        self.any_limit = bool(np.isfinite(model.max_age_h).any())
        self.windows_only: list[bool] = model.windows_only.tolist()
        self.setup_h: list[float] = model.setup_duration_h.tolist()
        # openings need none of: life limits, campaign resources, crews held before the
        # stop, calm weather (then a one-job opening takes the short path of _package)
        self.plain_pm = not (
            self.any_limit or self.has_resources or self.any_late_stop_pm or self.any_calm_pm
        )
        self.resources = [_Resource(self, r) for r in range(len(model.resources))]

    # ---- logging ------------------------------------------------------------------
    def log(self, event: str, k: int, i: int, value: float, part: int = -1) -> None:
        if self.keep_events:
            comp = i if part < 0 else -2 - part
            self.events.append((self.rep_index, float(self.env._now), event, k, comp, value))

    # ---- view used by policies ----------------------------------------------------
    @property
    def now_h(self) -> float:
        """Current time, hours from the plan start."""
        return float(self.env._now)

    def age_h(self, i: int) -> float:
        """Operating age of component ``i``'s installed part, hours."""
        if self.up[i]:
            if self.standby[i]:
                theta = self.systems[self.sys_of[i]].theta_now()
                a = self.g_ageing[self.group_of[i]]
                return self.sb_age0[i] + a * (theta - self.sb_theta0[i])
            return self.systems[self.sys_of[i]].theta_now() - self.origin[i]
        return self.frozen_age[i]

    def ages_h(self) -> FloatArray:
        """Operating ages of all components (frozen while down), hours."""
        return self._ages_up()[0]

    def _ages_up(self) -> tuple[FloatArray, BoolArray]:
        """:meth:`ages_h` and :meth:`up_mask` (one conversion of the up flags)."""
        # (np.fromiter: the lists are converted at every decision of a twin strategy)
        n = self.model.n
        theta = np.fromiter([s.theta_now() for s in self.systems], np.float64)
        age = theta[self.model.system_of] - np.fromiter(self.origin, np.float64, n)
        up = self.up_mask()
        if self.has_standby:
            for i in np.flatnonzero(np.asarray(self.standby)):
                age[i] = self.age_h(int(i))
        return np.where(up, age, np.fromiter(self.frozen_age, np.float64, n)), up

    def up_mask(self) -> BoolArray:
        """Components running (not failed and not in preventive work)."""
        return np.fromiter(self.up, bool, self.model.n)

    def is_up(self, i: int) -> bool:
        """Whether component ``i`` is running."""
        return self.up[i]

    def true_residual_h(self, i: int) -> float:
        """True remaining operating life of component ``i``'s part (simulator only)."""
        return max(self.fail_age[i] - self.age_h(i), 0.0)

    def twin_z(self, i: int) -> float:
        """The twin's standard-normal error for component ``i``'s current part."""
        return self.draws.get("z", i, self.life_j[i])

    def twin_report(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Twin reports for all components: true residual, reported median and spread.

        Returns
        -------
        r_h, median_h, sigma : ndarray, shape (n,)
            ``nan`` for components that are down.  Only meaningful for informative twins.
        """
        n = self.model.n
        ages, up = self._ages_up()
        r = np.maximum(np.fromiter(self.fail_age, np.float64, n) - ages, 0.0)
        j = np.fromiter(self.life_j, np.int64, n)
        z = np.empty(n)
        inside = j < self.draws.lives
        idx = np.flatnonzero(inside)
        z[idx] = self.draws.z[idx, j[idx]]
        for i in np.flatnonzero(~inside):
            z[i] = self.draws.get("z", int(i), int(j[i]))
        med, s = self.twin.report(r, z, self.model.mean_life_h)
        nan = np.nan
        return np.where(up, r, nan), np.where(up, med, nan), np.where(up, s, nan)

    def twin_inputs(self, comps: IndexArray) -> tuple[BoolArray, FloatArray, FloatArray]:
        """Running flags, true residual lives and twin errors of some components.

        The inputs of :meth:`Twin.report` for ``comps`` only (a policy that looks at a
        few parts per decision need not convert the whole fleet's state):
        ``twin.report(r_h, z, model.mean_life_h[comps])`` equals :meth:`twin_report`
        at ``comps`` bit for bit where ``up`` (the same ages, the same floats).

        Parameters
        ----------
        comps : ndarray of int, shape (m,)
            Component indices.

        Returns
        -------
        up : ndarray of bool, shape (m,)
            Whether each component is running.
        r_h : ndarray, shape (m,)
            True remaining operating life, hours (>= 0; from the frozen age when down).
        z : ndarray, shape (m,)
            The twin's standard-normal error for each installed part.
        """
        idx = comps.tolist()
        up, fail_age, life_j = self.up, self.fail_age, self.life_j
        get = self.draws.get
        ages = np.array([self.age_h(i) for i in idx], dtype=np.float64)
        r = np.maximum(np.array([fail_age[i] for i in idx], dtype=np.float64) - ages, 0.0)
        z = np.array([get("z", i, life_j[i]) for i in idx], dtype=np.float64)
        return np.array([up[i] for i in idx], dtype=bool), r, z

    def life_index(self, i: int) -> int:
        """Index of component ``i``'s installed part (0 = the part installed at the start)."""
        return self.life_j[i]

    def set_alarm(self, i: int, age_h: float) -> None:
        """Call ``policy.on_alarm(i)`` when the installed part reaches ``age_h`` (operating).

        Replaces an earlier alarm of the same component; an age already reached fires at
        once.  Alarms die with the part (failure or replacement).
        """
        if not self.up[i] or not math.isfinite(age_h):
            return
        self._tags += 1
        self.alarm_tag[i] = self._tags
        self.alarm_age[i] = age_h
        sysm = self.systems[self.sys_of[i]]
        theta = self._theta_at(i, age_h) if self.standby[i] else self.origin[i] + age_h
        now_theta = sysm.theta_now()
        if now_theta > theta:  # (max(theta, now_theta))
            theta = now_theta
        if theta != _INF:  # (a cold standby member does not age)
            sysm.push(theta, i, _ALARM, self._tags)

    def clear_alarm(self, i: int) -> None:
        """Cancel component ``i``'s alarm."""
        self._tags += 1
        self.alarm_tag[i] = self._tags
        self.alarm_age[i] = math.inf

    def latest_work_start(self, i: int, t_h: float) -> float:
        """Latest instant ``<= t_h`` (not before now) at which ``i``'s crew is on shift.

        ``t_h`` itself inside a shift, else the start of the last shift before it;
        ``t_h`` when the pool has no shift before it.
        """
        now = float(self.env._now)
        if t_h <= now:
            return now
        pool = self.pools[self.pool_of[i]]
        k = bisect_right(pool.starts, t_h) - 1
        if k < 0 or t_h < pool.ends[k]:
            return t_h
        return max(now, pool.starts[k])

    def pm_pending(self, i: int) -> bool:
        """Whether a preventive replacement of the installed part is already requested."""
        return self.pending[i] == self.gen[i]

    def request_pm(self, comps: Sequence[int], at_h: float, *, current_part: bool = True) -> int:
        """Request preventive replacement of components at (or after) ``at_h``.

        Components are grouped by system; requests for the same system and instant
        share one opening.  The work starts at the crews' next shift, after the parts
        are there.

        Parameters
        ----------
        comps : sequence of int
            Component indices.
        at_h : float
            Planned time, hours from the plan start (clipped to now).
        current_part : bool, default True
            Replace only the part installed now (a failure or replacement before the
            work cancels it); ``False`` replaces whatever part is installed then (block
            replacement).

        Returns
        -------
        int
            Number of components accepted (a component whose current part already has a
            pending request is skipped when ``current_part``).
        """
        t = max(float(at_h), float(self.env._now))
        if t >= self.model.horizon_h:
            return 0
        accepted = 0
        for i in comps:
            if current_part:
                if not self.up[i] or self.pending[i] == self.gen[i]:
                    continue
                self.pending[i] = self.gen[i]
                tag = self.gen[i]
            else:
                tag = -1
            self._enqueue(i, tag, t, forced=False)
            accepted += 1
            if current_part:
                self._reserve(i, critical=False)
        return accepted

    def _enqueue(self, i: int, tag: int, t: float, *, forced: bool) -> None:
        """Add component ``i`` to the opening of its system at ``t`` (started if new)."""
        key = (self.sys_of[i], t)
        items = self._packages.get(key)
        if items is None:
            items = []
            self._packages[key] = items
            # started like a SimPy process (its Initialize event), without the events
            self.env.soon(_Driver(self._package(key)).resume, urgent=True)
        items.append((i, tag, forced))

    def _reserve(self, i: int, *, critical: bool) -> None:
        """Released work reserves its parts now (ordering them if needed); a critical
        reservation expedites a shortfall when that beats the orders in transit."""
        part = self.part_of[i]
        if part < 0:
            return
        res = self.res[i]
        if res is None:
            self.res[i] = _Reservation(self.stocks[part].demand(self.ppt[i], critical=critical))
        elif critical and res.ev is not None and not res.ev.processed:
            self.stocks[part].cover(self.ppt[i], critical=True)

    # ---- life limits ----------------------------------------------------------------
    def _push_limit(self, i: int) -> None:
        """Arm the life-limit events of position ``i``'s part (none without a limit).

        The notice fires ``limit_notice_h`` calendar hours (at the system's operating
        rate) before the part can reach its limit; the limit itself at ``max_age_h``.
        """
        limit = self.max_age[i]
        if not math.isfinite(limit):
            return
        k = self.sys_of[i]
        sysm = self.systems[k]
        notice_op = float(self.model.limit_notice_h[i]) * sysm.rate
        tag = self.gen[i]
        sysm.push(self.origin[i] + max(limit - notice_op, 0.0), i, _NOTICE, tag)
        sysm.push(self.origin[i] + limit + _LIMIT_TOL_H, i, _LIMIT, tag)

    def _force_pm(self, i: int, at_h: float, *, critical: bool) -> None:
        """Release the forced preventive replacement of ``i``'s part at ``at_h``."""
        t = max(float(at_h), float(self.env._now))
        if t >= self.model.horizon_h:
            return
        self.forced[i] = self.gen[i]
        self._enqueue(i, self.gen[i], t, forced=True)
        self._reserve(i, critical=critical)
        self.log("limit_release", self.sys_of[i], i, t - float(self.env._now))

    def limit_notice(self, i: int) -> None:
        """The part of ``i`` nears its life limit: release its forced replacement.

        The work is planned at the latest crew shift start at or before the instant the
        part would reach the limit if its system ran without a stop (a stop only delays
        the limit, so the work is never late for that reason).  A policy may still
        replace the part earlier; whichever opening comes first renews it.
        """
        if self.forced[i] == self.gen[i]:
            return
        self._force_pm(i, self._limit_start(i), critical=False)

    def _limit_start(self, i: int) -> float:
        """Latest crew shift start (not before now) before ``i``'s running part could
        reach its limit."""
        sysm = self.systems[self.sys_of[i]]
        left = max(self.max_age[i] - self.age_h(i), 0.0)
        if sysm.rate <= 0.0:
            return float(self.env._now)
        deadline = float(self.env._now) + left / sysm.rate
        if deadline >= self.model.horizon_h:
            return deadline  # the limit lies beyond the simulated horizon: nothing to do
        return self.latest_work_start(i, deadline)

    def _replan_forced(self, items: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
        """Items of an opening that is due, without the forced work whose running part
        was stopped meanwhile (a stop delays its limit): that work is planned again."""
        keep = []
        now = float(self.env._now)
        for entry in items:
            i, tag, forced = entry
            if forced and self.up[i]:
                t = self._limit_start(i)
                if t > now + _REPLAN_TOL_H:
                    self._enqueue(i, tag, t, forced=True)
                    continue
            keep.append(entry)
        return keep

    def retire(self, i: int) -> None:
        """The part of ``i`` reached its life limit before being replaced: take it out
        of service (it neither runs, ages nor fails) until its forced replacement opens.

        Its redundancy group loses a member as on a failure, so the system stops when
        fewer than ``k`` members run; that stop counts as unplanned downtime until the
        replacement's opening starts.  The forced work is released now if it was not,
        and its parts, if still missing, are expedited when that is quicker.
        """
        k = self.sys_of[i]
        sysm = self.systems[k]
        self.frozen_age[i] = self.age_h(i)
        self.up[i] = False
        self.retired[i] = True
        self.log("life_limit", k, i, self.frozen_age[i])
        g = self.group_of[i]
        self.group_up[g] -= 1
        if self.group_up[g] == self.group_k[g] - 1:
            sysm.short += 1
            sysm.update()
        if self.forced[i] == self.gen[i]:
            self._reserve(i, critical=True)
        else:
            self._force_pm(i, float(self.env._now), critical=True)

    def pm_pending_mask(self) -> BoolArray:
        """Components whose installed part already has a preventive request."""
        return np.fromiter(map(operator.eq, self.pending, self.gen), bool, self.model.n)

    def parts_lead_h(self, comps: Sequence[int]) -> FloatArray:
        """:meth:`part_lead_h` of several components (one availability check per part)."""
        out = np.zeros(len(comps))
        seen: dict[tuple[int, int], bool] = {}
        for j, i in enumerate(comps):
            part = self.part_of[i]
            if part < 0 or self.res[i] is not None:
                continue
            key = (part, self.ppt[i])
            ok = seen.get(key)
            if ok is None:
                ok = seen[key] = self.stocks[part].available(self.ppt[i])
            if not ok:
                out[j] = self.model.parts[part].lead_h
        return out

    def parts_free_units(self, comps: Sequence[int]) -> IntArray:
        """Units of each component's spare part that new reservations could take now.

        The part's stock on hand, or 0 while earlier demand waits for it (that demand is
        served first); ``-1`` for a component that takes nothing from stock (no spare
        part, or its part already reserved).  Components sharing a part see the same
        count: a policy releasing several works accounts for the units each one claims.
        """
        out = np.full(len(comps), -1, dtype=np.int64)
        for j, i in enumerate(comps):
            part = self.part_of[i]
            if part < 0 or self.res[i] is not None:
                continue
            st = self.stocks[part]
            out[j] = 0 if st.waiters else st.level
        return out

    def part_lead_h(self, i: int) -> float:
        """Normal lead time of component ``i``'s spare part if it is not on hand, else 0."""
        part = self.part_of[i]
        if part < 0 or self.res[i] is not None or self.stocks[part].available(self.ppt[i]):
            return 0.0
        return float(self.model.parts[part].lead_h)

    # ---- component life -------------------------------------------------------------
    def _install(self, i: int, *, at_start: bool = False) -> None:
        """A new part in position ``i`` (age 0), or the initial part at the start."""
        sysm = self.systems[self.sys_of[i]]
        self._on_initial[i] = at_start
        if not at_start:
            j = self.life_j[i] + 1
            self.life_j[i] = j
            self.fail_age[i] = self.draws.get("life", i, j)
            self.origin[i] = sysm.theta_now()
            self.alarm_age[i] = _INF
            if self.standby[i]:  # a standby member renewed preventively stays in standby
                self.sb_age0[i] = 0.0
                self.sb_theta0[i] = self.origin[i]
        self.up[i] = True
        if self.standby[i]:
            self._push_fail(i)
        else:  # the running case of _push_fail, inline (hot path)
            self._tags += 1
            self.fail_tag[i] = self._tags
            sysm.push(self.origin[i] + self.fail_age[i], i, _FAIL, self._tags)
        if self.max_age[i] != _INF:
            self._push_limit(i)

    # ---- standby redundancy ---------------------------------------------------------
    def _theta_at(self, i: int, age: float) -> float:
        """System clock at which ``i``'s part reaches operating age ``age`` in its current
        mode (running, or waiting in standby at the group's ageing factor)."""
        if self.standby[i]:
            a = self.g_ageing[self.group_of[i]]
            if a <= 0.0:
                return math.inf
            return self.sb_theta0[i] + (age - self.sb_age0[i]) / a
        return self.origin[i] + age

    def _push_fail(self, i: int) -> None:
        """(Re-)arm the failure of ``i``'s part; an earlier failure event dies."""
        self._tags += 1
        self.fail_tag[i] = self._tags
        if self.standby[i]:
            theta = self._theta_at(i, self.fail_age[i])
            if not math.isfinite(theta):
                return
        else:
            theta = self.origin[i] + self.fail_age[i]
        self.systems[self.sys_of[i]].push(theta, i, _FAIL, self._tags)

    def _set_mode(self, i: int, standby: bool) -> None:
        """Move the running part of ``i`` to standby or switch its standby part in."""
        age = self.age_h(i)
        theta = self.systems[self.sys_of[i]].theta_now()
        self.standby[i] = standby
        if standby:
            self.sb_age0[i] = age
            self.sb_theta0[i] = theta
        else:
            self.origin[i] = theta - age
        self._push_fail(i)
        if self.alarm_age[i] > age and math.isfinite(self.alarm_age[i]):
            self.set_alarm(i, self.alarm_age[i])

    def _next_switch_u(self) -> float:
        """Uniform of the next switch-over, from the stream ``(seed, (rep, 3, block))``."""
        if self._switch_j >= len(self._switch_u):
            ss = np.random.SeedSequence(
                self.draws.seed, spawn_key=(self.rep_index, 3, self._switch_block)
            )
            self._switch_u = np.random.Generator(np.random.PCG64(ss)).random(1024)
            self._switch_block += 1
            self._switch_j = 0
        u = float(self._switch_u[self._switch_j])
        self._switch_j += 1
        return u

    def _switch_in(self, g: int) -> None:
        """Switch standby members of group ``g`` in, in the listed order, until ``k``
        run; a failed switch-over fails that member (corrective work) and tries the next."""
        k_need = self.group_k[g]
        for j in self.model.group_members[g].tolist():
            if self.group_up[g] >= k_need:
                return
            if not (self.up[j] and self.standby[j]):
                continue
            if self._next_switch_u() < self.g_switch[g]:
                age = self.age_h(j)
                self.log("switch_failure", self.sys_of[j], j, age)
                self.fail_age[j] = age
                self.fail(j)
                continue
            self._set_mode(j, False)
            self.group_up[g] += 1
            self.log("switch_in", self.sys_of[j], j, self.age_h(j))

    def fail(self, i: int) -> None:
        """Failure of component ``i`` (called by its system's clock)."""
        k = self.sys_of[i]
        waiting = self.standby[i]  # failed in (warm) standby or at its switch-over
        self.standby[i] = False
        self.up[i] = False
        self.gen[i] += 1
        self.frozen_age[i] = self.fail_age[i]
        self.failures += 1
        # booked when it happens (like the failure count): the repair's labour and parts
        now = float(self.env._now)
        regular = -1.0
        if self.cm_in_shifts[i]:
            pool = self.pools[self.pool_of[i]]
            regular = pool.regular_h(pool.next_shift(now))
        pool = self.pools[self.pool_of[i]]
        self.cm_rec[i] = len(self.rec_cm)  # crew, rate and shift filled in at the grant
        self.rec_cm.append(
            [
                float(i),
                now,
                self.draws.get("repair", i, self.life_j[i]),
                regular,
                pool.rate_per_h,
                pool.overtime_factor,
                pool.callout,
            ]
        )
        if self.keep_events:
            self.log("failure", k, i, self.fail_age[i])
        part = self.part_of[i]
        if part >= 0 and self.stocks[part].rotable:
            self.stocks[part].removed(self.ppt[i], corrective=True)
        if not waiting:
            if self.late_stop[i]:  # it stays in the structure until its repair starts
                self.deferred[i] = True
            else:
                self._leave_structure(i)
        # corrective work starts where the event of a process waiting for the failure
        # would be processed (_lifecycle; no event needed, see _Env.soon)
        drv = self.life[i]
        if drv is None:  # the first failure: start the life cycle to its first wait
            drv = self.life[i] = _Driver(self._lifecycle(i))
            drv.resume()
        self.env.soon(drv.resume)

    def _leave_structure(self, i: int) -> None:
        """Failed component ``i`` stops counting in its redundancy group (the system
        may stop): at its failure, or when its repair starts (``late_stop``)."""
        g = self.group_of[i]
        self.group_up[g] -= 1
        if self.g_standby[g]:
            self._switch_in(g)
        if self.group_up[g] == self.group_k[g] - 1:
            sysm = self.systems[self.sys_of[i]]
            sysm.short += 1
            sysm.update()

    def _lifecycle(self, i: int) -> Generator[_Wait, Any, None]:
        """Process of one position: failure -> corrective work -> renewal, forever."""
        env = self.env
        k = self.sys_of[i]
        pool = self.pools[self.pool_of[i]]
        crew = self.crew[i]
        part = self.part_of[i]
        in_shifts = self.cm_in_shifts[i]
        calm = self.calm_cm[i]
        split_cm = self.model.split_cm[i]
        g = self.group_of[i]
        standby_group = self.g_standby[g]
        r_cm = self.res_cm[i]
        resource = self.resources[r_cm] if r_cm >= 0 else None
        while True:
            yield None  # until fail(i) resumes it (no event: see _Driver)
            t0 = env._now
            res = self.res[i]
            wait = None
            if res is not None:  # parts reserved for a preventive job: use them
                self.res[i] = None
                res.stolen = True
                if res.ev is not None and not res.ev.processed:
                    wait = res.ev
                    self.stocks[part].cover(self.ppt[i], critical=True)
            elif part >= 0:
                wait = self.stocks[part].demand(self.ppt[i], critical=True)
            if wait is not None:
                self.stockouts += 1
                yield wait
                self.stockout_h += env._now - t0
                if self.keep_events:
                    self.log("part_received", k, i, env._now - t0)
            if resource is not None:  # the campaign resource (vessel, crane, team)
                wait = resource.request(k, i)
                if wait is not None:
                    yield wait
            got = pool.get(crew, in_shift=in_shifts)
            grant: _Grant = (yield got) if isinstance(got, _Light) else got
            rec = self.rec_cm[self.cm_rec[i]]
            rec[4], rec[5], rec[6] = grant[1], grant[2], grant[3]
            if in_shifts:
                rec[3] = grant[4]
            j = self.life_j[i]
            busy = self.draws.get("response", i, j) + self.draws.get("repair", i, j)
            if self.deferred[i]:  # the system ran until now
                self.deferred[i] = False
                self._leave_structure(i)
            if self.keep_events:
                self.log("corrective_start", k, i, env._now - t0)
            if calm:
                # response (mobilisation, travel) first, then the repair in calm weather
                response = self.draws.get("response", i, j)
                if response > 0.0:
                    yield env.sleep(response)
                yield from self._calm_work(i, busy - response, split_cm, pool, in_shifts)
            else:
                yield env.sleep(busy)
            pool.put(grant)
            pool.busy_h += crew * busy
            if resource is not None:
                resource.release()
            if self.keep_events:
                self.log("repaired", k, i, busy)
            if self.minimal[i]:
                self._minimal_repair(i)
            else:
                self._install(i)
            if standby_group and self.group_up[g] >= self.group_k[g]:
                self._set_mode(i, True)  # enough members run: it waits in standby
            else:
                self.group_up[g] += 1
                if self.group_up[g] == self.group_k[g]:
                    sysm = self.systems[k]
                    sysm.short -= 1
                    sysm.update()
            self.policy.on_install(self, i)

    def _minimal_repair(self, i: int) -> None:
        """As bad as old: the part keeps its age; the next failure is drawn from the
        residual life at that age, with the next life's uniform."""
        sysm = self.systems[self.sys_of[i]]
        age = self.frozen_age[i]
        j = self.life_j[i] + 1
        self.life_j[i] = j
        blk, jj = self.draws._block(i, j)
        u = float(self.draws.life_u[i, jj]) if blk is None else float(blk["life_u"][jj])
        if self._on_initial[i]:
            base = self.model.initial[i]
            offset = float(self.model.initial_age_h[i])
        else:
            base = self.model.life[i]
            offset = 0.0
        extra = float(base.residual(max(age - offset, 0.0)).ppf(min(u, 1.0 - 1e-16)))
        self.fail_age[i] = age + extra
        self.origin[i] = sysm.theta_now() - age
        self.up[i] = True
        self._push_fail(i)
        self._push_limit(i)

    # ---- preventive work ------------------------------------------------------------
    def _package(self, key: tuple[int, float]) -> Generator[_Wait, Any, None]:
        """A preventive opening of system ``key[0]`` planned at ``key[1]``."""
        env = self.env
        k, t_plan = key
        if t_plan > env._now:
            yield env.sleep(t_plan - env._now)
        items = self._packages.pop(key)
        if self.plain_pm and len(items) == 1:
            yield from self._one_job(k, items[0])
            return
        items = self._live(items)
        if self.any_limit:  # (forced work exists only with life limits)
            items = self._replan_forced(items)
        if not items:
            return
        held: dict[int, int] = {}  # campaign resource -> slots this opening holds
        if self.has_resources and any(self.res_pm[i] >= 0 for i, _, _ in items):
            # parts first: a resource does not wait for them
            yield from self._await_parts(items)
            items = self._live(items)
            if not items:
                return
            waits = self._request_resources(k, items, held)
            if waits:
                yield env.all_of(waits)
                items = self._live(items)
                if not items:
                    self._release_held(held)
                    return
        crews: dict[int, _Grant] = {}  # crews granted before the stop (at_work_start)
        if self.any_late_stop_pm and all(self.late_stop_pm[i] for i, _, _ in items):
            yield from self._await_crews(items, crews)
            items = self._live(items)
            self._drop_crews(crews, {i for i, _, _ in items})
            if not items:
                self._release_held(held)
                return
        pools, pool_of, now = self.pools, self.pool_of, env._now
        if len(items) == 1:
            start = pools[pool_of[items[0][0]]].next_shift(now)
        else:
            start = max(pools[pool_of[i]].next_shift(now) for i, _, _ in items)
        # a life limit overrides the preference for maintenance windows
        windows = self.windows_only[k] and not any(f for _, _, f in items)
        if windows:
            start = self._next_window(k, start)
        calm = [i for i, _, _ in items if self.calm_pm[i]] if self.any_calm_pm else []
        if calm and start < self.model.horizon_h:
            # calm for the set-up and the longest job needing one calm window (a calm
            # instant if every such job stops in rough weather); in shift / window
            whole = [i for i in calm if not self.model.split_pm[i]]
            need = (
                float(self.model.setup_duration_h[k])
                + max(self.draws.get("pm", i, self.life_j[i]) for i in whole)
                if whole
                else 0.0
            )
            pools = [self.pools[self.pool_of[i]] for i, _, _ in items]
            t0 = start
            for _ in range(_MAX_ALIGN):
                t = self.calm_start(calm[0], start, need, pools)
                if windows:
                    t = self._next_window(k, t)
                if t == start or t >= self.model.horizon_h:
                    start = t
                    break
                start = t
            self.log("weather_wait", k, -1, start - t0)
        if start >= self.model.horizon_h:
            for i, tag, _ in items:
                if tag >= 0 and self.pending[i] == tag:
                    self.pending[i] = None
            self._release_held(held)
            self._drop_crews(crews, set())
            return
        if start > env._now:
            yield env.sleep(start - env._now)
            items = self._live(items)
        if len(items) == 1:  # no generator for the common one-job opening (hot path)
            ev = self._parts_event(items[0][0])
            if ev is not None:
                yield ev
        else:
            yield from self._await_parts(items)
        keep = self._live(items)
        kept = {i for i, _, _ in keep}
        for i, _, _ in items:
            res = self.res[i]
            if res is not None and not res.stolen:
                self.res[i] = None
                if i not in kept:
                    self.stocks[self.part_of[i]].put_back(self.ppt[i])
        if crews:
            self._drop_crews(crews, kept)
        if not keep:
            self._release_held(held)
            return
        comps = [keep[0][0]] if len(keep) == 1 else list(dict.fromkeys(i for i, _, _ in keep))
        if held:  # slots held for jobs dropped meanwhile go back at once
            for r in list(held):
                extra: int = held[r] - sum(1 for j in comps if self.res_pm[j] == r)
                for _ in range(extra):
                    held[r] -= 1
                    self.resources[r].release()
        self._stop_for_opening(k, comps)
        setup_h = self.setup_h[k]
        if setup_h > 0.0:
            yield env.sleep(setup_h)
        if len(comps) == 1:
            yield from self._pm_job(comps[0], held, crews.get(comps[0]))
        else:
            done = _Light(None, None)  # (an event succeeded by the last job)
            left = [len(comps)]

            def finished() -> None:  # where the job process's termination would be
                left[0] -= 1
                if left[0] == 0:  # (done.succeed(), as SimPy schedules it)
                    queue: list[Any] = env._queue
                    heapq.heappush(queue, (env._now, _NORMAL, next(env._eid), done))

            split_pm = self.model.split_pm
            for i in comps:  # parallel jobs, started and joined like SimPy processes
                granted = crews.get(i)
                if self.res_pm[i] < 0 and granted is None and not (self.calm_pm[i] and split_pm[i]):
                    # the common job (no resource slot, crew or calm spells): callbacks
                    # in the places of the driver's resumptions (issue 17, performance)
                    env.soon(_Job(self, i, finished).start, urgent=True)
                else:
                    job = self._pm_job_then(i, held, finished, granted)
                    env.soon(_Driver(job).resume, urgent=True)
            yield done
        if held:
            self._release_held(held)
        self._close_opening(k, comps)

    def _stop_for_opening(self, k: int, comps: Sequence[int]) -> None:
        """Stop system ``k`` for an opening that removes ``comps`` (after its parts came).

        Freezes each part's age, logs its removal, sends a rotable part to its shop and
        gives a retired part's stop over to the opening; then counts the opening.  One
        place for :meth:`_package` and its one-job path :meth:`_one_job`.
        """
        sysm = self.systems[k]
        for i in comps:
            self.frozen_age[i] = self.age_h(i)
            self.up[i] = False
            self.gen[i] += 1
            if self.keep_events:
                self.log("removal", k, i, self.frozen_age[i])
            part = self.part_of[i]
            if part >= 0 and self.stocks[part].rotable:
                self.stocks[part].removed(self.ppt[i], corrective=False)
            if self.retired[i]:  # the opening takes over the stop of a retired part
                self.retired[i] = False
                g = self.group_of[i]
                self.group_up[g] += 1
                if self.group_up[g] == self.group_k[g]:
                    sysm.short -= 1
        sysm.n_open += 1
        sysm.update()
        self.rec_open.append((k, self.env._now))
        if self.keep_events:
            self.log("opening", k, -1, float(len(comps)))

    def _close_opening(self, k: int, comps: Sequence[int]) -> None:
        """Install ``comps`` and restart system ``k`` at the end of their opening; the
        policy hears of each installation after the system is counted up again."""
        for i in comps:
            self._install(i)
            self.pending[i] = None
        sysm = self.systems[k]
        sysm.n_open -= 1
        sysm.update()
        if self.keep_events:
            self.log("closing", k, -1, float(len(comps)))
        for i in comps:
            self.policy.on_install(self, i)

    def _one_job(self, k: int, item: tuple[int, int, bool]) -> Generator[_Wait, Any, None]:
        """The rest of :meth:`_package` for an opening of one job when openings need no
        life limit, campaign resource, crew held before the stop or calm weather
        (``plain_pm``): the same steps, events and records in the same order, without
        the bookkeeping of the general case (issue 17, performance)."""
        env = self.env
        i, tag, forced = item
        up, retired, gen = self.up, self.retired, self.gen
        if not ((up[i] or retired[i]) and (tag < 0 or tag == gen[i])):  # (_live)
            return
        pool = self.pools[self.pool_of[i]]
        now = env._now
        start = pool.next_shift(now)
        if self.windows_only[k] and not forced:
            start = self._next_window(k, start)
        if start >= self.model.horizon_h:
            if tag >= 0 and self.pending[i] == tag:
                self.pending[i] = None
            return
        if start > now:
            yield env.sleep(start - now)
            if not ((up[i] or retired[i]) and (tag < 0 or tag == gen[i])):
                return
        ev = self._parts_event(i)
        if ev is not None:
            yield ev
        live = (up[i] or retired[i]) and (tag < 0 or tag == gen[i])
        res = self.res[i]
        if res is not None and not res.stolen:
            self.res[i] = None
            if not live:
                self.stocks[self.part_of[i]].put_back(self.ppt[i])
        if not live:
            return
        self._stop_for_opening(k, (i,))
        setup_h = self.setup_h[k]
        if setup_h > 0.0:
            yield env.sleep(setup_h)
        # the job (_pm_job without resource slot, held crew or calm spells)
        crew = self.crew[i]
        got = pool.get(crew, in_shift=True)
        grant: _Grant = (yield got) if isinstance(got, _Light) else got
        dur = self.draws.get("pm", i, self.life_j[i])
        self.rec_pm.append((i, env._now, dur, grant[4], grant[1], grant[2]))
        if self.keep_events:
            self.log("pm_start", k, i, dur)
        if dur > 0.0:
            yield env.sleep(dur)
        pool.put(grant)
        pool.busy_h += crew * dur
        self._close_opening(k, (i,))

    def _live(self, items: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
        """The items of an opening still to do: the part they were requested for (or any
        part: tag -1) is installed, or retired and waiting for this opening."""
        up, retired, gen = self.up, self.retired, self.gen
        if len(items) == 1:
            i, tag, _ = items[0]
            return items if (up[i] or retired[i]) and (tag < 0 or tag == gen[i]) else []
        return [e for e in items if (up[e[0]] or retired[e[0]]) and (e[1] < 0 or e[1] == gen[e[0]])]

    def _parts_event(self, i: int) -> simpy.Event | None:
        """Reserve job ``i``'s spare part (:meth:`_reserve`, once); the stock event still
        to wait for, or ``None``."""
        self._reserve(i, critical=False)
        res = self.res[i]
        if res is None:  # no spare part
            return None
        ev = res.ev
        return ev if ev is not None and not ev.processed else None

    def _await_parts(self, items: list[tuple[int, int, bool]]) -> Generator[simpy.Event, Any, None]:
        """Reserve the spare part of every job of an opening and wait for each in turn."""
        for i, _, _ in items:
            ev = self._parts_event(i)
            if ev is not None:
                yield ev

    def _await_crews(
        self, items: list[tuple[int, int, bool]], crews: dict[int, _Grant]
    ) -> Generator[_Wait, Any, None]:
        """Crews of every job of an opening that stops its system at work start
        (``WorkSpec.stops_system``), asked one job at a time in pool order (so two such
        openings never wait for each other's crews in a cycle) and held until the jobs;
        ``crews`` maps each job's component to its grant."""
        order = sorted(dict.fromkeys(i for i, _, _ in items), key=lambda j: self.pool_of[j])
        for i in order:
            got = self.pools[self.pool_of[i]].get(self.crew[i], in_shift=True)
            crews[i] = (yield got) if isinstance(got, _Light) else got

    def _drop_crews(self, crews: dict[int, _Grant], keep: set[int]) -> None:
        """Return the crews held for jobs no longer in the opening (not in ``keep``)."""
        for i in [j for j in crews if j not in keep]:
            self.pools[self.pool_of[i]].put(crews.pop(i))

    def _request_resources(
        self, k: int, items: list[tuple[int, int, bool]], held: dict[int, int]
    ) -> list[simpy.Event]:
        """Request the campaign-resource slots of an opening before it stops its system:
        one per job needing a resource, at most the resource's capacity; ``held`` counts
        them (granted or not).  Returns the events still to wait for.

        All requests of an opening are issued at one instant, so of two openings one is
        ahead of the other in every resource's FIFO queue: no circular wait (deadlock)
        between openings needing several resources.
        """
        waits: list[simpy.Event] = []
        for i in dict.fromkeys(i for i, _, _ in items):
            r = self.res_pm[i]
            if r < 0:
                continue
            resource = self.resources[r]
            if held.get(r, 0) >= resource.m.capacity:
                continue  # the job queues for a slot of the opening later
            held[r] = held.get(r, 0) + 1
            ev = resource.request(k, i)
            if ev is not None:
                waits.append(ev)
        return waits

    def _release_held(self, held: dict[int, int]) -> None:
        """Return the resource slots an opening holds and no job used."""
        for r, c in held.items():
            for _ in range(c):
                self.resources[r].release()
        held.clear()

    def _calm_end(self, i: int, s: float, d: float, cm: bool = False) -> float:
        """End of ``d`` calm hours of work from ``s`` at ``i``'s site (stops when rough);
        ``cm``: of its corrective work (the weather of its resource, if own)."""
        w = self.wx_cm_of[i] if cm else self.wx_of[i]
        if w < 0:
            return s + d
        return calm_finish(self.wx_begins[w], self.wx_ends[w], self.wx_cum[w], s, d)

    def _calm_work(
        self, i: int, d: float, split: bool, pool: _CrewPool, in_shifts: bool
    ) -> Generator[_Wait, Any, None]:
        """``d`` hours of work of ``i`` needing calm: wait for a calm window of ``d``
        hours (or, ``split``, for calm and then ``d`` calm hours); logs the wait."""
        env = self.env
        pools = [pool] if in_shifts else []
        start = self.calm_start(i, env._now, 0.0 if split else d, pools, cm=True)
        self.log("weather_wait", self.sys_of[i], i, start - env._now)
        end = self._calm_end(i, start, d, cm=True) if split else start + d
        if end > env._now:
            yield env.sleep(end - env._now)

    def calm_start(
        self, i: int, t: float, d: float, pools: Sequence[_CrewPool], cm: bool = False
    ) -> float:
        """Earliest instant ``>= t`` at which ``i``'s site stays calm for ``d`` hours and
        every pool in ``pools`` is on shift (work may run on past the shift end); ``cm``:
        the weather of ``i``'s corrective work (its resource's, if it has its own).

        ``t`` if ``i``'s site has no weather.
        """
        w = self.wx_cm_of[i] if cm else self.wx_of[i]
        if w < 0:
            return t
        begins, ends = self.wx_begins[w], self.wx_ends[w]
        for _ in range(_MAX_ALIGN):
            s = next_calm(begins, ends, t, d)
            u = max((p.next_shift(s) for p in pools), default=s)
            if u == s:
                return s
            t = u
        return t

    def _next_window(self, k: int, t: float) -> float:
        """Earliest instant ``>= t`` inside one of system ``k``'s maintenance windows."""
        w = self.model.windows[k]
        inside = (w[:, 0] <= t) & (t < w[:, 1])
        if inside.any():
            return t
        later = w[w[:, 0] > t, 0]
        return float(later.min()) if later.size else math.inf

    def on_initial_part(self, i: int) -> bool:
        """Whether position ``i`` still holds the part installed at the start."""
        return self._on_initial[i]

    def _pm_job_then(
        self,
        i: int,
        held: dict[int, int],
        then: Callable[[], None],
        granted: _Grant | None = None,
    ) -> Generator[_Wait, Any, None]:
        """:meth:`_pm_job`, then ``then()`` where a process's termination event would be
        processed."""
        yield from self._pm_job(i, held, granted)
        self.env.soon(then)

    def _pm_job(
        self, i: int, held: dict[int, int], granted: _Grant | None = None
    ) -> Generator[_Wait, Any, None]:
        """One job of an opening: its resource slot, its crew (``granted``: held since
        before the stop), the work."""
        env = self.env
        pool = self.pools[self.pool_of[i]]
        crew = self.crew[i]
        r = self.res_pm[i]
        if r >= 0:  # a slot of the opening, else queue for one
            if held.get(r, 0) > 0:
                held[r] -= 1
            else:
                wait = self.resources[r].request(self.sys_of[i], i)
                if wait is not None:
                    yield wait
        if granted is None:
            got = pool.get(crew, in_shift=True)
            grant: _Grant = (yield got) if isinstance(got, _Light) else got
        else:  # in-shift hours left at the job start, not at the (earlier) grant
            grant = (granted[0], granted[1], granted[2], granted[3], pool.regular_h(env._now))
        start = env._now
        dur = self.draws.get("pm", i, self.life_j[i])
        self.rec_pm.append((i, start, dur, grant[4], grant[1], grant[2]))
        if self.keep_events:
            self.log("pm_start", self.sys_of[i], i, dur)
        if self.calm_pm[i] and self.model.split_pm[i]:
            end = self._calm_end(i, start, dur)
            if end > start:
                yield env.sleep(end - start)
        elif dur > 0.0:
            yield env.sleep(dur)
        pool.put(grant)
        pool.busy_h += crew * dur
        if r >= 0:
            self.resources[r].release()

    # ---- run ------------------------------------------------------------------------
    def _decisions(self, every_h: float) -> Generator[simpy.Event, Any, None]:
        while True:
            self.policy.decide(self)
            yield self.env.timeout(every_h)

    def run(self) -> FloatArray:
        """Run the replication to the horizon and return its KPI vector."""
        model = self.model
        n = model.n
        for i in range(n):
            self._install(i, at_start=True)
        for g, sb in enumerate(self.g_standby):
            if sb:  # members beyond the first k (listed order) start in standby
                for j in model.group_members[g][self.group_k[g] :].tolist():
                    self._set_mode(j, True)
        for t, comps in model.campaigns:  # service campaigns, whatever the strategy
            self.request_pm(comps.tolist(), t, current_part=False)
        self.policy.start(self)
        for i in range(n):
            self.policy.on_install(self, i)
        for sysm in self.systems:
            sysm.release_timer()
        every = self.policy.decision_interval_h
        if every is not None:
            self.env.process(self._decisions(float(every)))
        self.env.run_to(model.horizon_h)
        for s in self.systems:
            s.finish()
        for st in self.stocks:
            st.finish()
        for res in self.resources:
            res.finish()
        return _kpis(self)


class _Job:
    """A job of a multi-job opening without campaign resource, crew held before the
    stop or work split by the weather: :meth:`_Replication._pm_job_then` as plain
    callbacks, each where the job's driver would be resumed (the same events, in the
    same order; no generator per job)."""

    __slots__ = ("dur", "grant", "i", "pool", "rep", "then")

    def __init__(self, rep: _Replication, i: int, then: Callable[[], None]) -> None:
        self.rep = rep
        self.i = i
        self.then = then
        self.pool = rep.pools[rep.pool_of[i]]
        self.dur = 0.0
        self.grant: _Grant | None = None

    def start(self) -> None:
        """The job's start: ask for its crew."""
        got = self.pool.get(self.rep.crew[self.i], in_shift=True)
        if isinstance(got, _Light):
            got.callbacks.append(self._granted)  # type: ignore[union-attr]
        else:
            self._work(got)

    def _granted(self, ev: _Light) -> None:
        self._work(ev._value)

    def _work(self, grant: _Grant) -> None:
        """The crew is there: record the work and wait for its end."""
        rep = self.rep
        env = rep.env
        i = self.i
        dur = rep.draws.get("pm", i, rep.life_j[i])
        rep.rec_pm.append((i, env._now, dur, grant[4], grant[1], grant[2]))
        if rep.keep_events:
            rep.log("pm_start", rep.sys_of[i], i, dur)
        self.grant = grant
        self.dur = dur
        if dur > 0.0:
            env.after(dur, self._done)
        else:
            self._done(None)

    def _done(self, _ev: _Light | None) -> None:
        pool = self.pool
        assert self.grant is not None
        pool.put(self.grant)
        pool.busy_h += self.rep.crew[self.i] * self.dur
        self.rep.env.soon(self.then)


# --------------------------------------------------------------------------------------
# pricing and KPIs
# --------------------------------------------------------------------------------------
def _price(rep: _Replication) -> dict[str, float]:
    """Cost of every category, priced with :mod:`cost_models` (vectorized)."""
    m = rep.model
    out = dict.fromkeys(cm.CATEGORIES, 0.0)
    if rep.rec_cm:
        arr = np.array(rep.rec_cm)
        i = arr[:, 0].astype(np.int64)
        rep_h = arr[:, 2]
        in_shift = arr[:, 3] >= 0.0
        lump = m.cm_lump[i]
        has_lump = ~np.isnan(lump)
        direct = cm.corrective_cost(m.cm_parts[i], 0.0, m.cm_other[i], 0.0)
        _, shift_ot = cm.split_overtime(rep_h, np.maximum(arr[:, 3], 0.0))
        labour = cm.labour_cost(
            rep_h,
            m.crew_size[i],
            arr[:, 4],
            overtime_h=np.where(in_shift, shift_ot, rep_h),
            overtime_factor=arr[:, 5],
            callout_premium=np.where(in_shift, 0.0, arr[:, 6]),
        )
        fixed_lab = m.cm_labour[i]
        labour = np.where(np.isnan(fixed_lab), labour, fixed_lab)
        out["corrective"] += float(np.sum(np.where(has_lump, lump, direct)))
        out["labour"] += float(np.sum(np.where(has_lump, 0.0, labour)))
    if rep.rec_pm:
        arr = np.array(rep.rec_pm)
        i = arr[:, 0].astype(np.int64)
        dur = arr[:, 2]
        _, overtime = cm.split_overtime(dur, arr[:, 3])
        labour = cm.labour_cost(
            dur, m.crew_size[i], arr[:, 4], overtime_h=overtime, overtime_factor=arr[:, 5]
        )
        fixed_lab = m.pm_labour[i]
        labour = np.where(np.isnan(fixed_lab), labour, fixed_lab)
        lump = m.pm_lump[i]
        has_lump = ~np.isnan(lump)
        direct = cm.preventive_cost(m.pm_parts[i], 0.0, m.pm_other[i])
        out["preventive"] += float(np.sum(np.where(has_lump, lump, direct)))
        out["labour"] += float(np.sum(np.where(has_lump, 0.0, labour)))
    if rep.rec_open:
        arr = np.array(rep.rec_open)
        ks = arr[:, 0].astype(np.int64)
        t = arr[:, 1]
        factor = np.ones(len(t))
        for k in np.unique(ks):
            w = m.windows[int(k)]
            if w.size:
                sel = ks == k
                tt = t[sel, None]
                inside = (tt >= w[None, :, 0]) & (tt < w[None, :, 1])
                factor[sel] = np.min(np.where(inside, w[None, :, 2], 1.0), axis=1)
        fixed = m.setup_cost[ks] * factor
        # the set-up itself (its production loss is in the downtime segments)
        out["setup"] += float(np.sum(cm.setup_cost(fixed, 0.0, m.shape_profiles[0], t)))
    if rep.rec_down:
        arr = np.array(rep.rec_down)
        ks = arr[:, 0].astype(np.int64)
        shape = m.shape_of[ks]
        for g in np.unique(shape):
            sel = shape == g
            out["lost_production"] += float(
                np.sum(
                    cm.downtime_cost(
                        m.shape_profiles[int(g)],
                        arr[sel, 1],
                        arr[sel, 2],
                        loss_fraction=m.loss_fraction[ks[sel]],
                    )
                )
            )
    if rep.stocks:
        parts = m.parts
        unit = np.array([p.cost_unit for p in parts])
        out["spares_holding"] += float(
            np.sum(
                cm.holding_cost(
                    1.0,
                    unit,
                    np.array([p.holding_rate_per_year for p in parts]),
                    np.array([s.area for s in rep.stocks]),
                )
            )
        )
        out["spares_ordering"] += float(
            np.sum(
                cm.ordering_cost(
                    np.array([s.orders for s in rep.stocks], dtype=float),
                    np.array([p.cost_order for p in parts]),
                    0.0,
                    unit,
                )
            )
        )
        # rotable parts: repairs and scrapped units, in the category of the removing work
        rep_cost = np.array([p.cost_repair for p in parts])
        for cat, col in (("preventive", 0), ("corrective", 1)):
            repaired = np.array([s.repaired[col] for s in rep.stocks], dtype=float)
            scrapped = np.array([s.scrapped[col] for s in rep.stocks], dtype=float)
            out[cat] += float(
                np.sum(cm.ordering_cost(0.0, 0.0, repaired, rep_cost))
                + np.sum(cm.ordering_cost(0.0, 0.0, scrapped, unit))
            )
        out["spares_expediting"] += float(
            np.sum(
                cm.expedite_cost(
                    np.array([s.expedited_qty for s in rep.stocks], dtype=float),
                    np.array([p.expedite_premium for p in parts]),
                )
            )
        )
    if rep.resources:
        out["resources"] += float(np.sum(_resource_costs(rep)))
    return out


def _paid_days(res: _Resource) -> float:
    """Paid charter days of a resource: ``max(days on site, minimum)`` per charter."""
    if not res.on_site_h:
        return 0.0
    days = np.asarray(res.on_site_h) / 24.0
    return float(np.sum(cm.charter_days(days, res.m.min_charter_h / 24.0)))


def _resource_costs(rep: _Replication) -> FloatArray:
    """Cost of each campaign resource (:func:`cost_models.resource_cost`)."""
    ms = [res.m for res in rep.resources]
    return cm.resource_cost(
        np.array([res.mobilisations for res in rep.resources], dtype=float),
        np.array([m.cost_mobilisation for m in ms]),
        np.array([_paid_days(res) for res in rep.resources]),
        np.array([m.cost_per_day for m in ms]),
        np.array([rep.model.years if m.owned else 0.0 for m in ms]),
        np.array([m.cost_fixed_per_year for m in ms]),
    )


def _kpis(rep: _Replication) -> FloatArray:
    m = rep.model
    h = m.horizon_h
    cost = _price(rep)
    breakdown = cm.CostBreakdown(**cost)
    avail = np.array([1.0 - s.down_h / h for s in rep.systems])
    n_fail = np.array([float(s.n_fail) for s in rep.systems])
    t_first = np.array([min(s.t_first, h) for s in rep.systems])
    uptime = np.array([h - s.down_h for s in rep.systems])
    busy = np.array([p.busy_h for p in rep.pools])
    avail_h = np.array([p.available_h for p in m.pools])
    util = np.divide(busy, avail_h, out=np.zeros_like(busy), where=avail_h > 0)
    total_busy = float(busy.sum())
    total_avail = float(avail_h.sum())
    base = [
        breakdown.total,
        *(cost[c] for c in cm.CATEGORIES),
        float(avail.mean()) if len(avail) else 1.0,
        float(sum(s.unplanned_h for s in rep.systems)),
        float(sum(s.down_h - s.unplanned_h for s in rep.systems)),
        float(rep.failures),
        float(len(rep.rec_pm)),
        float(len(rep.rec_open)),
        rep.stockout_h,
        float(rep.stockouts),
        total_busy / total_avail if total_avail > 0 else 0.0,
        float(n_fail.sum()),
        float(t_first.min()) if len(t_first) else h,
        float(uptime.sum()),
    ]
    end = _end_state(rep)
    base += [end, breakdown.total + end]
    if rep.resources:
        mobs = np.array([float(res.mobilisations) for res in rep.resources])
        days = np.array([_paid_days(res) for res in rep.resources])
        base += [float(mobs.sum()), float(days.sum()), sum(res.wait_h for res in rep.resources)]
        per_res = [_resource_costs(rep), mobs, days]
    else:
        base += [0.0, 0.0, 0.0]
        per_res = []
    return np.concatenate(
        [np.array(base, dtype=np.float64), avail, n_fail, t_first, uptime, util, *per_res]
    )


def _end_state(rep: _Replication) -> float:
    """Value of the parts left at the horizon relative to new ones (see ``KPI_BASE``).

    A part down at the horizon (failed or in preventive work) is valued as new: its
    repair or replacement is already under way and paid in the horizon.
    """
    m = rep.model
    if m.end_age_h is None or m.end_value is None or m.n == 0:
        return 0.0
    ages = rep.ages_h()
    up = np.asarray(rep.up, dtype=bool) | m.minimal_repair
    grid, val = m.end_age_h, m.end_value
    # linear interpolation on each row's own grid (rows: uniform grids from 0)
    step = np.maximum(grid[:, -1] / (grid.shape[1] - 1), 1e-300)
    pos = np.clip(ages / step, 0.0, grid.shape[1] - 1.0)
    j = np.minimum(pos.astype(np.int64), grid.shape[1] - 2)
    f = pos - j
    rows = np.arange(m.n)
    v = val[rows, j] * (1.0 - f) + val[rows, j + 1] * f
    return float(np.sum(np.where(up, v, 0.0)))


def run_replication(
    model: SimModel,
    policy: Policy,
    twin: Twin,
    seed: int,
    rep: int,
    *,
    keep_events: bool = False,
) -> tuple[FloatArray, list[tuple[int, float, str, int, int, float]]]:
    """Simulate replication ``rep`` and return its KPI vector (and events if asked).

    Parameters
    ----------
    model : SimModel
        Compiled scenario.
    policy : Policy
        A prepared strategy (``policy.prepare(model, twin)`` already called).
    twin : Twin
        Twin accuracy.
    seed : int
        Root seed of the study.
    rep : int
        Replication index (selects the random streams).
    keep_events : bool, default False
        Keep the event log (flat tuples, see :data:`EVENT_COLUMNS`).

    Returns
    -------
    kpis : ndarray
        Values in the order of :func:`kpi_names`.
    events : list of tuple
        Event records (empty unless ``keep_events``).
    """
    # The cyclic garbage collector would scan the replication's many live objects over
    # and over (about a quarter of the run time); its cycles are freed once it is back on.
    enabled = gc.isenabled()
    gc.disable()
    try:
        r = _Replication(model, policy, twin, seed, rep, keep_events)
        kpis = r.run()
        return kpis, r.events
    finally:
        if enabled:
            gc.enable()
