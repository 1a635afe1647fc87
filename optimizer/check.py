"""Independent plan checker: the cost and the feasibility of any plan, from the scenario alone.

:func:`check_plan` takes a scenario and a list of work orders (the ``work_orders.json``
that ``opportune plan --out DIR`` writes, or a plan edited by hand) and

* recomputes the plan's cost with the terms of the planner's objective -- penalty
  ``h_i(t)`` of each replacement, deferral risk of each component left beyond the
  horizon, one opening cost per unit opening (set-up and lost production, two terms), purchasing
  (ordering, expediting, holding) -- from the scenario with :mod:`optimizer.fleet`,
  :mod:`optimizer.reliability` and :mod:`cost_models`;
* lists every violated constraint in plain language, at the hour: crew time per skill
  pool and day and technicians at once against the headcount on shift, spare-part stock
  against the stock on hand, orders already placed and the earliest new delivery,
  maintenance windows, life limits and risk caps, pinned and frozen work, and a unit
  opened twice at overlapping times.

Multi-year plans (``plan.repeated_replacements``: several work orders per component)
are priced with the terms of :mod:`optimizer.problem.multiyear` -- the first
replacement's penalty, every later interval's expected cost relative to the long-run rate
``g*`` (own formula on the life law, :func:`_relative`), the end state (unpriced, or
priced by the checker's own search of ``min_{s >= u + r} w_alone(s)``,
:func:`_min_after`), a position left without replacement likewise, one opening per
unit and period, the constant ``c_min + g* H`` and purchasing for every job -- and every
interval, the part left at the end (with ``plan.end_reserve_days``) and a position left
alone are checked against the life limit and risk cap (:meth:`_Checker.run_multiyear`).

It is a deliberately independent second implementation: it does not use
:mod:`optimizer.problem` (the planner's matrices, period masks and purchasing model) nor
:mod:`optimizer.solvers`; crew calendars, windows, stock and purchase orders are
recomputed here day by day, so that a planner bug is not repeated by its own check.

Conventions (the planner's objective, so that the two costs agree):

* A *group* is one opening of a maintenance unit (a system, or a redundant k-out-of-n
  group with spare members, which stops no production): the work orders of one unit
  with the same ``group_id``.  The group's *period* is the planning period holding its
  earliest ``scheduled_start``; every job of the group is priced there (penalty, spare
  parts) and the unit pays one opening cost there.
* The opening cost of a unit in period ``t`` is ``setup.cost * sf(t) + value_per_h *
  m(t) * pf(t) * (setup.duration_h + b)`` (no lost production for a redundant group),
  with ``m(t)`` the hour-weighted mean value multiplier of the period, ``sf``, ``pf``
  the smallest factors of the windows that cover at least half of the period and ``b``
  the unit's second-longest PM duration (0 for a unit of one component); a job longer
  than ``b`` adds its own extra stop ``value_per_h * m(t) * pf(t) * (d_i - b)`` to the
  production lost (issue 13, cause 3: an opening lasts its longest job, so a short job
  alone is not priced at the unit's longest).
* Purchasing is the cheapest set of new orders for the plan's stock requirement per
  period (a dynamic program over arrival periods, :func:`cheapest_orders`): order fee
  per order, expediting premium per unit of an order that arrives before the regular
  lead time, holding of the end-of-period stock in every period.

Feasibility is checked at the hour, not per period: a job works its ``duration_h``
hours during the shifts of its skill pool between its scheduled start and finish, on
every shift that has at least its ``crew_size`` technicians on shift (a 3-person job
pauses through a shift of 2, as it pauses between shifts).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from cost_models.spares import expedite_cost, holding_cost, ordering_cost
from optimizer._typing import FloatArray
from optimizer.fleet import FleetModel, fleet_model
from optimizer.reliability.penalty import PenaltyCurves, penalty_curves
from optimizer.scenario import WEEKDAYS, Crew, Scenario, System

__all__ = ["CheckResult", "Violation", "cheapest_orders", "check_plan", "read_work_orders"]

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
_TOL_H = 1e-6  # hours of slack in time comparisons


@dataclass(frozen=True)
class Violation:
    """One violated constraint.

    Parameters
    ----------
    kind : str
        ``crew_hours``, ``crew_at_once``, ``shift_time``, ``no_crew``, ``stock``,
        ``window``, ``overlap``, ``life_limit``, ``risk_cap``, ``pin``, ``frozen``,
        ``horizon``.
    message : str
        Plain-language explanation with dates and numbers.
    component : str or None
        The component concerned, when there is one.
    """

    kind: str
    message: str
    component: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """Cost and violations of a plan.

    Parameters
    ----------
    scenario : str
        Scenario name.
    currency : str
        ISO 4217 code of the costs.
    cost : dict of str to float
        ``penalty``, ``deferral``, ``setup``, ``production_loss`` (the two parts of the
        openings' cost), ``ordering``, ``expediting``, ``holding``
        (the last three when the scenario has spare parts in use) and ``total`` (their
        sum), currency: the planner's objective terms, as in ``Plan.cost_split``.
    purchasing : dict of str to float
        ``ordering``, ``expediting`` and ``holding``, currency.
    violations : tuple of Violation
        Every violated constraint (empty: the plan is feasible).
    jobs : int
        Work orders checked.
    deferred : tuple of str
        Components without a work order (left beyond the horizon).
    """

    scenario: str
    currency: str
    cost: dict[str, float]
    purchasing: dict[str, float]
    violations: tuple[Violation, ...]
    jobs: int
    deferred: tuple[str, ...] = field(default_factory=tuple)

    @property
    def feasible(self) -> bool:
        """True when no constraint is violated."""
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "scenario": self.scenario,
            "currency": self.currency,
            "feasible": self.feasible,
            "cost": self.cost,
            "purchasing": self.purchasing,
            "jobs": self.jobs,
            "deferred": list(self.deferred),
            "violations": [vars(v) for v in self.violations],
        }


# --------------------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Job:
    index: int  # position in the input
    comp: int  # component index in the fleet model
    start: datetime
    finish: datetime
    group: str


def read_work_orders(source: str | Path | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Work orders from a ``work_orders.json`` / ``plan.json`` file or a list of dicts.

    Raises
    ------
    ValueError
        When the file is not JSON or holds no list of work orders.
    """
    if isinstance(source, str | Path):
        try:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"plan: cannot read {source}: {exc}") from None
    else:
        data = source
    if isinstance(data, Mapping) and "work_orders" in data:
        data = data["work_orders"]
    if not isinstance(data, Sequence) or isinstance(data, str | bytes):
        raise ValueError("plan: expected a list of work orders (work_orders.json)")
    out: list[dict[str, Any]] = []
    for j, row in enumerate(data):
        if not isinstance(row, Mapping):
            raise ValueError(f"work_orders[{j}]: expected an object, got {type(row).__name__}")
        out.append(dict(row))
    return out


def _instant(row: Mapping[str, Any], j: int, name: str, tz: Any) -> datetime:
    raw = row.get(name)
    if not isinstance(raw, str):
        raise ValueError(f"work_orders[{j}].{name}: expected an RFC 3339 date-time, got {raw!r}")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"work_orders[{j}].{name}: cannot parse {raw!r} as an RFC 3339 date-time"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _jobs(
    scn: Scenario,
    fm: FleetModel,
    rows: list[dict[str, Any]],
    unit_of: list[str],
    multi: bool = False,
) -> list[_Job]:
    index = {c.id: i for i, c in enumerate(fm.components)}
    tz = scn.calendar.zone  # a naive time in a plan is local wall-clock time
    seen: dict[int, int] = {}
    jobs: list[_Job] = []
    for j, row in enumerate(rows):
        cid = row.get("component_id")
        if cid not in index:
            raise ValueError(f"work_orders[{j}].component_id: unknown component {cid!r}")
        i = index[str(cid)]
        if i in seen and not multi:
            raise ValueError(
                f"work_orders[{j}].component_id: {cid} already has work_orders[{seen[i]}]"
                " (the checker handles next-replacement plans: one work order per component)"
            )
        seen[i] = j
        start = _instant(row, j, "scheduled_start", tz)
        if row.get("scheduled_finish") is None:
            finish = start + float(fm.pm_duration_h[i]) * HOUR
        else:
            finish = _instant(row, j, "scheduled_finish", tz)
        if finish < start:
            raise ValueError(f"work_orders[{j}].scheduled_finish: before scheduled_start")
        group = row.get("group_id")
        if group is not None and not isinstance(group, str):
            raise ValueError(f"work_orders[{j}].group_id: expected a string, got {group!r}")
        gid = group or f"{unit_of[i]}@{start:%Y-%m-%d}"
        jobs.append(_Job(j, i, start, finish, gid))
    return jobs


# --------------------------------------------------------------------------------------
# calendar helpers (own implementation, see the module docstring)
# --------------------------------------------------------------------------------------
def _local_midnight(d: date, tz: Any) -> datetime:
    """Local midnight starting ``d``, as a UTC instant (arithmetic on it is real time)."""
    return datetime.combine(d, time(0, 0), tzinfo=tz).astimezone(UTC)


def _fmt(x: datetime, tz: Any) -> str:
    return x.astimezone(tz).isoformat(timespec="minutes")


def _shifts(crew: Crew, lo: datetime, hi: datetime, tz: Any) -> list[tuple[datetime, datetime]]:
    """A crew's shifts that overlap ``[lo, hi)``, one by one (night shifts end next day).

    Shifts are wall-clock times of the site's zone ``tz`` on each local day (daylight
    saving included); the intervals are returned as UTC instants.
    """
    off = {WEEKDAYS.index(d) for d in crew.days_off}
    holidays = set(crew.holidays)
    out: list[tuple[datetime, datetime]] = []
    d = lo.astimezone(tz).date() - DAY
    while _local_midnight(d, tz) < hi:
        if d.weekday() not in off and d not in holidays:
            for s in crew.shifts:
                a = datetime.combine(d, s.start, tzinfo=tz)
                b = datetime.combine(d, s.end, tzinfo=tz)
                if b <= a:
                    b += DAY  # wall-clock: the next day's local end time
                if a < hi and lo < b:
                    out.append((a.astimezone(UTC), b.astimezone(UTC)))
        d += DAY
    return out


def _union(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _units(scn: Scenario, fm: FleetModel) -> tuple[list[str], dict[str, tuple[System, bool]]]:
    """Unit id of each component; each unit's system and whether opening it stops it."""
    systems = {s.id: s for _, s in scn.systems()}
    spare: dict[tuple[str, str], str] = {}
    for system in systems.values():
        for g in system.redundancy:
            if g.k < len(g.components):
                for member in g.components:
                    spare[(system.id, member)] = f"{system.id}/{g.id}"
    unit_of: list[str] = []
    units: dict[str, tuple[System, bool]] = {}
    for c in fm.components:
        uid = spare.get((c.system_id, c.id), c.system_id)
        unit_of.append(uid)
        units.setdefault(uid, (systems[c.system_id], uid == c.system_id))
    return unit_of, units


def _pool(scn: Scenario, skill: str, site: str) -> tuple[str, list[Crew]]:
    """Crews that serve a skill at a site: the site's own crews, else the roaming ones."""
    own = [c for c in scn.crews if c.site == site and skill in c.skills]
    if own:
        return f"{skill}@{site}", own
    return skill, [c for c in scn.crews if c.site is None and skill in c.skills]


# --------------------------------------------------------------------------------------
# the checker
# --------------------------------------------------------------------------------------


def _occurrences(system: System, until: datetime) -> list[Any]:
    """Every window occurrence starting before ``until`` (yearly windows repeated on the
    same dates; 29 February falls back to the 28th).  Written here again on purpose: the
    checker does not share the planner's calendar code."""

    def later(t: datetime, n: int) -> datetime:
        return t.replace(
            year=t.year + n, day=min(t.day, 28) if (t.month, t.day) == (2, 29) else t.day
        )

    out: list[Any] = []
    for w in system.windows:
        out.append(w)
        n = 1
        while w.repeat_yearly and w.end.year + n < 9999:
            s = later(w.start, n)
            if s >= until:
                break
            out.append(w.model_copy(update={"start": s, "end": later(w.end, n)}))
            n += 1
    return out


class _Checker:
    def __init__(self, scn: Scenario, rows: list[dict[str, Any]]) -> None:
        self.scn = scn
        cal = scn.calendar
        self.tz = cal.zone
        self.start = cal.start
        self.step = timedelta(days=cal.period_days)
        # whole-day periods are days of the site's calendar (23 or 25 h across a change)
        self.local_grid = float(cal.period_days).is_integer()
        self.n_t = cal.n_periods
        self.end = self.period_start_days(cal.horizon_days)
        self.fm = fleet_model(scn)
        self.unit_of, self.units = _units(scn, self.fm)
        self.multi = bool(scn.plan.repeated_replacements)
        self.jobs = _jobs(scn, self.fm, rows, self.unit_of, self.multi)
        self.out: list[Violation] = []
        self.t_op = (
            np.arange(self.n_t)[None, :] * cal.period_days * self.fm.operating_h_per_day[:, None]
        )
        self.horizon_op = cal.horizon_days * self.fm.operating_h_per_day

    def add(self, kind: str, message: str, component: str | None = None) -> None:
        self.out.append(Violation(kind, message, component))

    def cid(self, i: int) -> str:
        return self.fm.components[i].id

    def _wall(self, x: datetime) -> datetime:
        return x.astimezone(self.tz).replace(tzinfo=None)

    def period_of(self, x: datetime) -> int:
        if self.local_grid:
            return math.floor((self._wall(x) - self._wall(self.start)) / self.step + 1e-9)
        return math.floor((x - self.start) / self.step + 1e-9)

    def period_start_days(self, days: float) -> datetime:
        if self.local_grid:
            local = self.start.astimezone(self.tz) + timedelta(days=days)  # wall clock
            return local.astimezone(UTC)
        return self.start + timedelta(days=days)

    def period_start(self, t: int) -> datetime:
        return self.period_start_days(t * self.step / DAY)

    def op_h(self, i: int, x: datetime) -> float:
        """Operating hours of component ``i`` from the plan start to ``x``."""
        return float((x - self.start) / DAY * self.fm.operating_h_per_day[i])

    # -- groups ------------------------------------------------------------------------
    def groups(self) -> dict[tuple[str, str], list[_Job]]:
        out: dict[tuple[str, str], list[_Job]] = {}
        for job in self.jobs:
            out.setdefault((self.unit_of[job.comp], job.group), []).append(job)
        return out

    # -- cost --------------------------------------------------------------------------
    def curves(self) -> PenaltyCurves:
        fm = self.fm
        n = fm.n
        pen = np.zeros((n, self.n_t))
        beyond = np.zeros(n)
        for rate in np.unique(fm.operating_h_per_day):
            idx = np.flatnonzero(fm.operating_h_per_day == rate)
            sub = penalty_curves(
                [fm.residual[i] for i in idx],
                cost_pm=fm.cost_pm[idx],
                cost_cm=fm.cost_cm[idx],
                cost_rate=fm.cost_rate[idx],
                t_h=self.t_op[idx[0]],
                horizon_h=float(self.horizon_op[idx[0]]),
                minimal_repair=fm.minimal_repair[idx],
            )
            pen[idx] = sub.penalty
            beyond[idx] = sub.penalty_beyond
        return PenaltyCurves(
            t_h=self.t_op[0], penalty=pen, penalty_beyond=beyond, t_opt_h=beyond, c_min=beyond
        )

    def value_multiplier(self, system: System, t: int) -> float:
        if system.value_profile is None:
            return 1.0
        prof = self.scn.calendar.value_profiles[system.value_profile]
        a, b = self.period_start(t), self.period_start(t + 1)
        total = 0.0
        d = a.astimezone(self.tz).date()
        while _local_midnight(d, self.tz) < b:
            d0 = _local_midnight(d, self.tz)
            hours = (min(b, _local_midnight(d + DAY, self.tz)) - max(a, d0)) / HOUR
            m = prof.multipliers[d.weekday() if prof.kind == "weekly" else d.month - 1]
            total += max(hours, 0.0) * m
            d += DAY
        return total / ((b - a) / HOUR)

    def windows_of(self, system: System, t: int) -> list[Any]:
        """Windows covering at least half of period ``t`` (they price the opening)."""
        a, b = self.period_start(t), self.period_start(t + 1)
        return [
            w
            for w in _occurrences(system, b)
            if (min(b, w.end) - max(a, w.start)) / (b - a) >= 0.5 - 1e-9
        ]

    def opening_cost(self, uid: str, t: int) -> tuple[float, float]:
        """Set-up cost and production lost of opening unit ``uid`` in period ``t``."""
        system, stops = self.units[uid]
        inside = self.windows_of(system, t)
        sf = min([1.0, *(w.setup_cost_factor for w in inside)])
        pf = min([1.0, *(w.production_factor for w in inside)])
        lost_h = system.setup.duration_h + self.base_h(uid) if stops else 0.0
        vm = self.value_multiplier(system, t)
        return float(system.setup.cost * sf), float(
            system.production_value_per_h * vm * pf * lost_h
        )

    def base_h(self, uid: str) -> float:
        """Second-longest PM duration of unit ``uid``'s components (0 for one), h.

        Multi-year plans price every opening at the unit's LONGEST job (their later
        replacements are priced per interval, with no place for a long job's own stop),
        so there it is the longest."""
        d = sorted(
            (float(self.fm.pm_duration_h[i]) for i, u in enumerate(self.unit_of) if u == uid),
            reverse=True,
        )
        if self.multi:
            return d[0] if d else 0.0
        return d[1] if len(d) > 1 else 0.0

    def extra_stop_cost(self, i: int, t: int) -> float:
        """Production lost by component ``i``'s job beyond its unit's base stop, period ``t``."""
        uid = self.unit_of[i]
        system, stops = self.units[uid]
        extra_h = float(self.fm.pm_duration_h[i]) - self.base_h(uid)
        if not stops or extra_h <= 0.0:
            return 0.0
        inside = self.windows_of(system, t)
        pf = min([1.0, *(w.production_factor for w in inside)])
        vm = self.value_multiplier(system, t)
        return float(system.production_value_per_h * vm * pf * extra_h)

    # -- checks ------------------------------------------------------------------------
    def check_horizon(self, job: _Job) -> None:
        if job.start < self.start or job.start >= self.end:
            self.add(
                "horizon",
                f"{self.cid(job.comp)}: starts {_fmt(job.start, self.tz)}, outside the planning"
                f" horizon {_fmt(self.start, self.tz)} .. {_fmt(self.end, self.tz)}",
                self.cid(job.comp),
            )

    def check_limits(self, job: _Job | None, i: int) -> None:
        c = self.fm.components[i]
        resid = self.fm.residual[i]
        if job is None:
            horizon = float(self.horizon_op[i])
            if c.max_age_h is not None and c.age_h + horizon > c.max_age_h + 1e-9:
                due = self.start + (c.max_age_h - c.age_h) / self.fm.operating_h_per_day[i] * DAY
                self.add(
                    "life_limit",
                    f"{c.id}: not replaced in the horizon, but reaches its life limit"
                    f" max_age_h {c.max_age_h:,.0f} h on {max(due, self.start):%Y-%m-%d}",
                    c.id,
                )
            if c.max_p_fail is not None:
                p = float(np.asarray(resid.cdf(horizon)))
                if p > c.max_p_fail + 1e-12:
                    self.add(
                        "risk_cap",
                        f"{c.id}: not replaced in the horizon, but P(fail by its end) {p:.4f}"
                        f" exceeds max_p_fail {c.max_p_fail:g}",
                        c.id,
                    )
            return
        op = self.op_h(i, job.start)
        first = self.period_of(job.start) <= 0  # overdue parts may only go first
        if c.max_age_h is not None:
            left = c.max_age_h - c.age_h
            if op > left + 1e-6 and not (left < 0 and first):
                self.add(
                    "life_limit",
                    f"{c.id}: starts {_fmt(job.start, self.tz)} at age {c.age_h + op:,.0f} h,"
                    f" past its life limit max_age_h {c.max_age_h:,.0f} h",
                    c.id,
                )
        if c.max_p_fail is not None:
            p = float(np.asarray(resid.cdf(op)))
            p0 = float(np.asarray(resid.cdf(0.0)))
            if p > c.max_p_fail + 1e-12 and not (p0 > c.max_p_fail and first):
                self.add(
                    "risk_cap",
                    f"{c.id}: starts {_fmt(job.start, self.tz)} with P(fail before) {p:.4f},"
                    f" above max_p_fail {c.max_p_fail:g}",
                    c.id,
                )

    def check_pins(self, by_comp: dict[int, _Job], group_period: dict[int, int]) -> None:
        plan = self.scn.plan
        frozen = plan.frozen_until
        index = {c.id: i for i, c in enumerate(self.fm.components)}
        pinned: set[int] = set()
        for wo in plan.open_work_orders:
            fixed = wo.status in ("released", "in_progress") or (
                frozen is not None and wo.scheduled_start < frozen
            )
            if not fixed or wo.component not in index:
                continue
            i = index[wo.component]
            pinned.add(i)
            want = min(max(self.period_of(wo.scheduled_start), 0), self.n_t - 1)
            job = by_comp.get(i)
            if job is None:
                self.add(
                    "pin",
                    f"{wo.component}: work order {wo.id} ({wo.status.replace('_', ' ')}, scheduled"
                    f" {_fmt(wo.scheduled_start, self.tz)}) is missing from the plan",
                    wo.component,
                )
            elif group_period[i] != want:
                self.add(
                    "pin",
                    f"{wo.component}: work order {wo.id} ({wo.status.replace('_', ' ')}) is fixed"
                    f" to {self.period_start(want):%Y-%m-%d}; the plan has it on"
                    f" {_fmt(job.start, self.tz)}",
                    wo.component,
                )
        if frozen is None:
            return
        for job in self.jobs:
            if job.comp not in pinned and job.start < frozen:
                self.add(
                    "frozen",
                    f"{self.cid(job.comp)}: starts {_fmt(job.start, self.tz)}, inside the frozen"
                    f" period (until {_fmt(frozen, self.tz)}), and is not a released work order",
                    self.cid(job.comp),
                )

    def check_windows(self, uid: str, gid: str, members: list[_Job], t: int) -> None:
        system, _ = self.units[uid]
        a = min(j.start for j in members)
        b = max(j.finish for j in members)
        priced = self.windows_of(system, t) if 0 <= t < self.n_t else []
        if system.open_only_in_windows and not priced:
            self.add(
                "window",
                f"group {gid}: unit {uid} may open only in its maintenance windows, but the"
                f" group ({_fmt(a, self.tz)} .. {_fmt(b, self.tz)}) is in none",
            )
            return
        if not priced:
            return
        if any(w.start <= a + _TOL_H * HOUR and b <= w.end + _TOL_H * HOUR for w in priced):
            return
        w = priced[0]
        # window instants in their own UTC offset, as the scenario gives them
        w0, w1 = w.start.isoformat(timespec="minutes"), w.end.isoformat(timespec="minutes")
        name = f"'{w.note}'" if w.note else f"{w0} .. {w1}"
        when = (
            f"starts {_fmt(a, self.tz)}, before the window {name} opens at {w0}"
            if a < w.start
            else f"ends {_fmt(b, self.tz)}, after the window {name} closes at {w1}"
        )
        how = (
            "unit may open only in its windows"
            if system.open_only_in_windows
            else f"its opening is priced at the window's factors (set-up x{w.setup_cost_factor:g},"
            f" production x{w.production_factor:g})"
        )
        self.add("window", f"group {gid} (unit {uid}) {when}; {how}")

    def check_overlap(self, spans: dict[str, list[tuple[datetime, datetime, str]]]) -> None:
        for uid, rows in spans.items():
            rows.sort()
            for (a0, b0, g0), (a1, b1, g1) in pairwise(rows):
                if a1 < b0 - _TOL_H * HOUR:
                    self.add(
                        "overlap",
                        f"unit {uid} is opened twice at overlapping times: group {g0}"
                        f" ({_fmt(a0, self.tz)} .. {_fmt(b0, self.tz)}) and group {g1}"
                        f" ({_fmt(a1, self.tz)} .. {_fmt(b1, self.tz)})",
                    )

    def check_crews(self) -> None:
        """Crew time at the hour, per skill pool: shift time, technicians at once, hours a day."""
        pools: dict[str, tuple[list[Crew], list[_Job]]] = {}
        for job in self.jobs:
            c = self.fm.components[job.comp]
            key, crews = _pool(self.scn, c.skill, c.site_id)
            if not crews:
                self.add(
                    "no_crew",
                    f"{c.id}: no crew has skill {c.skill} at site {c.site_id}",
                    c.id,
                )
                continue
            pools.setdefault(key, (crews, []))[1].append(job)
        for key, (crews, jobs) in pools.items():
            self.check_pool(key, crews, jobs)

    def check_pool(self, key: str, crews: list[Crew], jobs: list[_Job]) -> None:
        lo = min(j.start for j in jobs) - DAY
        hi = max(j.finish for j in jobs) + DAY
        shifts = [(a, b, c.headcount) for c in crews for a, b in _shifts(c, lo, hi, self.tz)]
        # each job works during the pool's shifts that have its crew on shift, from its
        # start until its duration is done (a 3-person job pauses through a 2-person shift)
        active: list[tuple[datetime, datetime, int, _Job]] = []
        staffed: dict[int, list[tuple[datetime, datetime]]] = {}
        for job in jobs:
            need = float(self.fm.pm_duration_h[job.comp])
            qty = int(self.fm.components[job.comp].crew_size)
            if qty not in staffed:
                staffed[qty] = _at_least(shifts, qty)
            on = staffed[qty]
            got = 0.0
            for a, b in on:
                a, b = max(a, job.start), min(b, job.finish)
                if b <= a or got >= need - _TOL_H:
                    continue
                b = min(b, a + (need - got) * HOUR)
                active.append((a, b, int(self.fm.components[job.comp].crew_size), job))
                got += (b - a) / HOUR
            if got < need - 1e-3:
                day = job.start.astimezone(self.tz).date()
                crews_off = [
                    c.id
                    for c in crews
                    if WEEKDAYS[day.weekday()] in c.days_off or day in c.holidays
                ]
                note = (
                    f"; {day} is a day off or holiday of crew(s) {', '.join(crews_off)}"
                    if len(crews_off) == len(crews)
                    else ""
                )
                self.add(
                    "shift_time",
                    f"{self.cid(job.comp)}: {_fmt(job.start, self.tz)} .."
                    f" {_fmt(job.finish, self.tz)} holds {got:.1f} h of {key} shifts,"
                    f" the job needs {need:g} h{note}",
                    self.cid(job.comp),
                )
        # technicians at once vs headcount on shift (sweep over start / end events)
        events: list[tuple[datetime, int, int]] = []
        for a, b, h in shifts:
            events += [(a, h, 0), (b, -h, 0)]
        for a, b, q, _ in active:
            events += [(a, 0, q), (b, 0, -q)]
        events.sort(key=lambda e: e[0])
        heads = booked = 0
        bad: dict[date, list[Any]] = {}
        for k, (x, dh, dq) in enumerate(events):
            heads += dh
            booked += dq
            nxt = events[k + 1][0] if k + 1 < len(events) else x
            if nxt > x and booked > heads:
                row = bad.setdefault(x.astimezone(self.tz).date(), [x, nxt, booked, heads])
                row[1] = nxt
                if booked - heads > row[2] - row[3]:
                    row[2], row[3] = booked, heads
        for day, (a, b, q, h) in sorted(bad.items()):
            names = sorted({self.cid(j.comp) for s, e, _, j in active if s < b and a < e})
            self.add(
                "crew_at_once",
                f"skill {key} on {day}: {q} technicians booked at once while {h} are on shift"
                f" (between {_fmt(a, self.tz)} and {_fmt(b, self.tz)}; jobs {', '.join(names)})",
            )
        # technician-hours per day
        booked_h: dict[date, float] = {}
        for a, b, q, _ in active:
            for d0, hours in _split_days(a, b, self.tz):
                booked_h[d0] = booked_h.get(d0, 0.0) + q * hours
        avail_h: dict[date, float] = {}
        for a, b, h in shifts:
            for d0, hours in _split_days(a, b, self.tz):
                avail_h[d0] = avail_h.get(d0, 0.0) + h * hours
        for d0 in sorted(booked_h):
            if booked_h[d0] > avail_h.get(d0, 0.0) + 1e-6:
                self.add(
                    "crew_hours",
                    f"skill {key} on {d0}: {booked_h[d0]:.1f} technician-hours booked,"
                    f" {avail_h.get(d0, 0.0):.1f} on shift",
                )

    def check_stock(self) -> None:
        """Each job takes its parts at its start from stock on hand, orders already placed
        (from their arrival) or a new order (from the earliest delivery: expedited lead time)."""
        by_part: dict[str, list[_Job]] = {}
        for job in self.jobs:
            c = self.fm.components[job.comp]
            if c.spare_part is not None:
                by_part.setdefault(c.spare_part, []).append(job)
        parts = {p.id: p for p in self.scn.inventory.parts}
        for pid, jobs in by_part.items():
            part = parts.get(pid)
            if part is None:
                continue
            lead = part.lead_time_days
            if part.expedite_lead_time_days is not None:
                lead = min(lead, part.expedite_lead_time_days)
            earliest = self.start + timedelta(days=lead)
            used = 0
            for job in sorted(jobs, key=lambda j: (j.start, j.index)):
                used += self.fm.components[job.comp].parts_per_task
                if job.start >= earliest:
                    break
                have = part.on_hand + sum(o.qty for o in part.on_order if o.arrival <= job.start)
                if used > have:
                    self.add(
                        "stock",
                        f"part {pid} (warehouse {part.warehouse}): {self.cid(job.comp)} starts"
                        f" {_fmt(job.start, self.tz)} and needs unit {used}, but only {have} are"
                        f" on hand or delivered by then; the earliest new delivery"
                        f" ({'expedited ' if part.expedite_lead_time_days is not None else ''}"
                        f"lead time {lead:g} days) is {_fmt(earliest, self.tz)}",
                        self.cid(job.comp),
                    )
                    break

    # -- purchasing --------------------------------------------------------------------
    def purchasing(self, period: dict[int, int]) -> dict[str, float]:
        return self.purchasing_uses(list(period.items()))

    def purchasing_uses(self, uses: Sequence[tuple[int, int]]) -> dict[str, float]:
        """Cheapest purchasing of the jobs ``(component, period)`` (several per component
        in a multi-year plan)."""
        total = {"ordering": 0.0, "expediting": 0.0, "holding": 0.0}
        period_h = self.step / HOUR
        for part in self.scn.inventory.parts:
            # a part no component uses is still held (holding only), as the planner counts
            users = [i for i, c in enumerate(self.fm.components) if c.spare_part == part.id]
            use = np.zeros(self.n_t)
            mine = set(users)
            for i, t in uses:
                if i in mine:
                    use[t] += self.fm.components[i].parts_per_task
            supply = np.full(self.n_t, float(part.on_hand))
            for o in part.on_order:
                if o.arrival <= self.start:
                    supply += o.qty
                    continue
                # usable from the first period that starts at or after the arrival
                t = math.ceil((o.arrival - self.start) / self.step - 1e-9)
                if t < self.n_t:
                    supply[t:] += o.qty
            used = np.cumsum(use)
            lead = part.lead_time_days
            fast = lead if part.expedite_lead_time_days is None else part.expedite_lead_time_days
            fast = min(fast, lead)
            hold = float(holding_cost(1.0, part.cost_unit, part.holding_rate_per_year, period_h))
            orders = cheapest_orders(
                used - supply,
                first=math.ceil(fast * 24.0 / period_h - 1e-9),
                lead=math.ceil(lead * 24.0 / period_h - 1e-9),
                cost_order=part.cost_order,
                premium_unit=part.cost_expedite_premium,
                hold_unit_period=hold,
            )
            new = np.zeros(self.n_t)
            for a, q, expedited in orders:
                new[a] += q
                total["ordering"] += float(ordering_cost(1.0, part.cost_order, q, 0.0))
                if expedited:
                    total["expediting"] += float(expedite_cost(q, part.cost_expedite_premium))
            stock = np.maximum(supply + np.cumsum(new) - used, 0.0)
            total["holding"] += float(
                np.sum(holding_cost(stock, part.cost_unit, part.holding_rate_per_year, period_h))
            )
        total["total"] = total["ordering"] + total["expediting"] + total["holding"]
        return total

    # -- all ---------------------------------------------------------------------------
    def open_groups(self) -> tuple[dict[int, int], float, float]:
        """Period of every job (by input index), set-up and production lost of the
        openings; checks windows and overlapping openings."""
        at: dict[int, int] = {}
        setup = lost = 0.0
        spans: dict[str, list[tuple[datetime, datetime, str]]] = {}
        for (uid, gid), members in self.groups().items():
            a = min(j.start for j in members)
            b = max(j.finish for j in members)
            raw = self.period_of(a)
            t = min(max(raw, 0), self.n_t - 1)
            for j in members:
                at[j.index] = t
                if j.start < self.period_start(t) and raw >= 0:
                    self.add(
                        "horizon",
                        f"{self.cid(j.comp)}: starts {_fmt(j.start, self.tz)}, before its group"
                        f" {gid}",
                    )
            setup_k, lost_k = self.opening_cost(uid, t)
            setup += setup_k
            lost += lost_k
            spans.setdefault(uid, []).append((a, b, gid))
            self.check_windows(uid, gid, members, raw)
        self.check_overlap(spans)
        return at, setup, lost

    def run(self) -> CheckResult:
        if self.multi:
            return self.run_multiyear()
        fm = self.fm
        curves = self.curves()
        by_comp = {j.comp: j for j in self.jobs}
        at, setup, lost = self.open_groups()  # also checks windows and overlaps
        period = {j.comp: at[j.index] for j in self.jobs}
        penalty = 0.0
        deferral = 0.0
        deferred: list[str] = []
        for i in range(fm.n):
            job = by_comp.get(i)
            if job is None:
                deferral += float(curves.penalty_beyond[i])
                deferred.append(fm.components[i].id)
            else:
                self.check_horizon(job)
                h = float(curves.penalty[i, period[i]])
                if not np.isfinite(h):
                    self.add(
                        "risk_cap",
                        f"{fm.components[i].id}: minimally repaired for ever is cheaper than any"
                        " replacement (infinite penalty)",
                        fm.components[i].id,
                    )
                else:
                    penalty += h
                    lost += self.extra_stop_cost(i, period[i])
            self.check_limits(job, i)
        self.check_pins(by_comp, period)
        self.check_crews()
        self.check_stock()
        cost = {"penalty": penalty, "deferral": deferral, "setup": setup, "production_loss": lost}
        buy = {"ordering": 0.0, "expediting": 0.0, "holding": 0.0, "total": 0.0}
        known = {p.id for p in self.scn.inventory.parts}
        if any(c.spare_part in known for c in fm.components):
            buy = self.purchasing(period)
            cost.update({k: v for k, v in buy.items() if k != "total"})
        cost["total"] = sum(cost.values())
        return CheckResult(
            scenario=self.scn.name,
            currency=self.scn.currency,
            cost=cost,
            purchasing={k: v for k, v in buy.items() if k != "total"},
            violations=tuple(self.out),
            jobs=len(self.jobs),
            deferred=tuple(deferred),
        )

    # -- multi-year plans --------------------------------------------------------------
    def limit_h(self, i: int, installed: bool) -> float:
        """Hard maximum age at replacement (life limit, risk cap), hours from new or, for
        the installed part, from now."""
        c = self.fm.components[i]
        dist = self.fm.residual[i] if installed else self.fm.life[i]
        lim = math.inf
        if c.max_age_h is not None:
            lim = c.max_age_h - (c.age_h if installed else 0.0)
        if c.max_p_fail is not None:
            lim = min(lim, float(np.asarray(dist.ppf(c.max_p_fail))))
        return lim

    def run_multiyear(self) -> CheckResult:
        """Cost and violations of a multi-year plan (``plan.repeated_replacements``).

        The objective of :mod:`optimizer.problem.multiyear`, recomputed here: each
        position's first replacement pays the penalty ``h_i(t)`` of its installed part,
        each later one the interval's relative cost ``w(d)`` (:func:`_relative`, direct
        ``c_p``), the last one the end state (unpriced: the failures of the last
        interval minus ``g*`` times its hours; priced: ``min_{s >= u + r} w_alone(s)``
        with the stand-alone cost ``c_p + opening`` behind ``g*``, :func:`_min_after`);
        a position without any replacement pays its installed part kept over the horizon
        likewise, minus ``c_min``; every opening once per unit and period; the constant
        ``c_min + g* H`` per position (``base``); purchasing for every job.  Intervals
        are counted in whole periods (the plan's grid), as the planner does.
        """
        fm = self.fm
        scn = self.scn
        at, setup, lost = self.open_groups()
        pen, c_min = self.curves_and_floor()
        unpriced = scn.plan.end_state == "unpriced"
        reserve = scn.plan.end_reserve_days * fm.operating_h_per_day
        per = self.scn.calendar.period_days * fm.operating_h_per_day
        jobs_of: dict[int, list[_Job]] = {}
        for job in self.jobs:
            jobs_of.setdefault(job.comp, []).append(job)
        terms = dict.fromkeys(("first", "intervals", "end_state", "deferral"), 0.0)
        deferred: list[str] = []
        for i, c in enumerate(fm.components):
            kw: dict[str, Any] = {
                "c_f": float(fm.cost_cm[i]),
                "g": float(fm.cost_rate[i]),
                "minimal": bool(fm.minimal_repair[i]),
            }
            alone = float(fm.cost_pm_individual[i])
            hor = float(self.horizon_op[i])
            r = float(reserve[i])
            mine = sorted(jobs_of.get(i, []), key=lambda j: (at[j.index], j.start))
            if not mine:
                deferred.append(c.id)
                self.check_limits(None, i)
                lim = self.limit_h(i, installed=True)
                if hor + r > lim + 1e-9:
                    self.add(
                        "life_limit",
                        f"{c.id}: not replaced in the horizon, but its installed part would"
                        f" exceed its limit ({lim:,.0f} h from now) by the horizon end plus the"
                        f" end reserve ({hor + r:,.0f} h)",
                        c.id,
                    )
                    continue
                if not math.isfinite(c_min[i]):
                    continue
                res = fm.residual[i]
                if unpriced:
                    e = _relative(res, hor, c_p=0.0, paid=False, **kw)
                else:
                    e = _min_after(res, hor + r, lim, c_p=alone, **kw)
                terms["deferral"] += e - float(c_min[i])
                continue
            ts = [at[j.index] for j in mine]
            self.check_horizon(mine[0])
            self.check_limits(mine[0], i)
            terms["first"] += float(pen[i, ts[0]])
            lim = self.limit_h(i, installed=False)
            for (t0, j0), (t1, j1) in pairwise(zip(ts, mine, strict=True)):
                self.check_horizon(j1)
                d = t1 - t0
                if d <= 0:
                    self.add(
                        "interval",
                        f"{c.id}: replaced twice in the period of {_fmt(j0.start, self.tz)}"
                        f" ({_fmt(j0.start, self.tz)} and {_fmt(j1.start, self.tz)})",
                        c.id,
                    )
                    continue
                u = d * float(per[i])
                if u > lim + 1e-9:
                    self.add(
                        "life_limit",
                        f"{c.id}: {d} periods ({u:,.0f} h) between the replacements of"
                        f" {_fmt(j0.start, self.tz)} and {_fmt(j1.start, self.tz)}, past its"
                        f" limit {lim:,.0f} h (max_age_h / max_p_fail of a new part)",
                        c.id,
                    )
                frozen = scn.plan.frozen_until
                if frozen is not None and j1.start < frozen:
                    self.add(
                        "frozen",
                        f"{c.id}: a later replacement starts {_fmt(j1.start, self.tz)}, inside"
                        f" the frozen period (until {_fmt(frozen, self.tz)})",
                        c.id,
                    )
                terms["intervals"] += _relative(fm.life[i], u, c_p=float(fm.cost_pm[i]), **kw)
            left = hor - ts[-1] * float(per[i])
            if left + r > lim + 1e-9:
                self.add(
                    "life_limit",
                    f"{c.id}: the part installed {_fmt(mine[-1].start, self.tz)} reaches"
                    f" {left + r:,.0f} h by the horizon end plus the end reserve, past its"
                    f" limit {lim:,.0f} h",
                    c.id,
                )
            elif unpriced:
                terms["end_state"] += _relative(fm.life[i], left, c_p=0.0, paid=False, **kw)
            else:
                terms["end_state"] += _min_after(fm.life[i], left + r, lim, c_p=alone, **kw)
        first_jobs = {i: min(js, key=lambda j: at[j.index]) for i, js in jobs_of.items()}
        self.check_pins(first_jobs, {i: at[j.index] for i, j in first_jobs.items()})
        self.check_crews()
        self.check_stock()
        finite = np.isfinite(c_min)
        base = float(np.sum(np.where(finite, c_min, 0.0) + fm.cost_rate * self.horizon_op))
        cost = {**terms, "setup": setup, "production_loss": lost, "base": base}
        buy = {"ordering": 0.0, "expediting": 0.0, "holding": 0.0, "total": 0.0}
        known = {p.id for p in scn.inventory.parts}
        if any(c.spare_part in known for c in fm.components):
            buy = self.purchasing_uses([(j.comp, at[j.index]) for j in self.jobs])
            cost.update({k: v for k, v in buy.items() if k != "total"})
        cost["total"] = sum(cost.values())
        return CheckResult(
            scenario=scn.name,
            currency=scn.currency,
            cost=cost,
            purchasing={k: v for k, v in buy.items() if k != "total"},
            violations=tuple(self.out),
            jobs=len(self.jobs),
            deferred=tuple(deferred),
        )

    def curves_and_floor(self) -> tuple[FloatArray, FloatArray]:
        """Penalties ``h_i(t)`` of the installed parts and their floors ``c_min``."""
        fm = self.fm
        pen = np.zeros((fm.n, self.n_t))
        c_min = np.zeros(fm.n)
        for rate in np.unique(fm.operating_h_per_day):
            idx = np.flatnonzero(fm.operating_h_per_day == rate)
            sub = penalty_curves(
                [fm.residual[i] for i in idx],
                cost_pm=fm.cost_pm[idx],
                cost_cm=fm.cost_cm[idx],
                cost_rate=fm.cost_rate[idx],
                t_h=self.t_op[idx[0]],
                horizon_h=float(self.horizon_op[idx[0]]),
                minimal_repair=fm.minimal_repair[idx],
            )
            pen[idx] = sub.penalty
            c_min[idx] = sub.c_min
        return pen, c_min


def _relative(
    dist: Any, u_h: float, *, c_p: float, c_f: float, g: float, minimal: bool, paid: bool = True
) -> float:
    """Expected cost of running a part ``u_h`` hours minus ``g`` times the hours used.

    ``c_p S(u) + c_f F(u) - g integral_0^u S`` (a failure renews the part) or ``c_p +
    c_f H(u) - g u`` (minimal repair, ``H = -log S``); without ``paid`` the replacement
    at ``u`` is not charged (``c_p = 0``: the horizon ends there, end state unpriced).
    ``u_h = inf``: run to failure (replacement form only).
    """
    u = float(u_h)
    cp = c_p if paid else 0.0
    if minimal:
        sf = float(np.asarray(dist.sf(u)))
        hz = math.inf if sf <= 0.0 else -math.log(sf)
        return cp + c_f * hz - g * u
    sf = float(np.asarray(dist.sf(u)))
    return cp * sf + c_f * (1.0 - sf) - g * float(np.asarray(dist.int_sf(u)))


def _min_after(
    dist: Any, lo_h: float, hi_h: float, *, c_p: float, c_f: float, g: float, minimal: bool
) -> float:
    """``min_{lo <= s <= hi} _relative(s)``: a dense log grid, the end points (``s = inf``
    without a limit, replacement form), then Brent's method around the best grid point
    (scipy ``minimize_scalar``, bounded).  The checker's own search (the planner's is
    :func:`optimizer.problem.multiyear.continuation_cost`)."""
    from scipy import optimize

    def f(x: float) -> float:
        return _relative(dist, x, c_p=c_p, c_f=c_f, g=g, minimal=minimal)

    q = float(np.asarray(dist.ppf(1.0 - 1e-12)))
    top = hi_h if math.isfinite(hi_h) else max(50.0 * max(lo_h, 1.0), 100.0 * q, 1.0)
    best = f(lo_h)
    if math.isfinite(hi_h):
        best = min(best, f(hi_h))
    elif not minimal:
        best = min(best, f(math.inf))
    if top <= lo_h:
        return best
    grid = np.unique(
        np.concatenate([np.geomspace(max(lo_h, 1e-6), top, 1500), np.linspace(lo_h, top, 1500)])
    )
    vals = np.array([f(float(x)) for x in grid])
    j = int(np.argmin(vals))
    best = min(best, float(vals[j]))
    a, b = float(grid[max(j - 1, 0)]), float(grid[min(j + 1, grid.size - 1)])
    if b > a:
        res = optimize.minimize_scalar(
            f, bounds=(a, b), method="bounded", options={"xatol": 1e-9 * max(b, 1.0)}
        )
        best = min(best, float(res.fun))
    return best


def _at_least(
    shifts: Sequence[tuple[datetime, datetime, int]], qty: int
) -> list[tuple[datetime, datetime]]:
    """Merged intervals in which at least ``qty`` technicians are on shift."""
    events: dict[datetime, int] = {}
    for a, b, h in shifts:
        events[a] = events.get(a, 0) + h
        events[b] = events.get(b, 0) - h
    out: list[tuple[datetime, datetime]] = []
    heads = 0
    xs = sorted(events)
    for x, y in pairwise(xs):
        heads += events[x]
        if heads >= qty:
            out.append((x, y))
    return _union(out)


def _split_days(a: datetime, b: datetime, tz: Any) -> list[tuple[date, float]]:
    """Hours of ``[a, b)`` on each calendar day (local time)."""
    out: list[tuple[date, float]] = []
    d = a.astimezone(tz).date()
    while _local_midnight(d, tz) < b:
        d0 = _local_midnight(d, tz)
        h = (min(b, _local_midnight(d + DAY, tz)) - max(a, d0)) / HOUR
        if h > 0:
            out.append((d, h))
        d += DAY
    return out


def cheapest_orders(
    shortfall: FloatArray,
    *,
    first: int,
    lead: int,
    cost_order: float,
    premium_unit: float,
    hold_unit_period: float,
) -> list[tuple[int, float, bool]]:
    """Cheapest new orders that keep a part's stock non-negative.

    A dynamic program over arrival periods: ``f[b]`` is the cheapest way to cover the
    requirement of periods ``0..b-1`` with orders whose last one arrives in ``a < b``
    and covers ``R(a..b-1)``; each order costs its fee, the premium per unit when it
    arrives before the regular lead time, and the holding of its units from its arrival
    to the horizon end (the rest of the stock is held whatever is ordered).

    Parameters
    ----------
    shortfall : ndarray, shape (T,)
        Units used by the end of each period minus units on hand or already ordered by
        then (the requirement of new orders is its running maximum, clipped at 0).
    first, lead : int
        Earliest arrival period of a new order; regular lead time, periods.
    cost_order, premium_unit, hold_unit_period : float
        Fee per order, premium per expedited unit, holding per unit and period (currency).

    Returns
    -------
    list of (arrival_period, qty, expedited)
        A requirement before ``first`` cannot be met (the plan is short; see the stock
        check) and is priced as delivered at ``first`` (at the last period when
        ``first`` lies beyond the horizon).
    """
    n_t = len(shortfall)
    req = np.maximum.accumulate(np.maximum(np.asarray(shortfall, dtype=float), 0.0))
    if n_t == 0 or req[-1] <= 1e-12:
        return []
    first = min(max(first, 0), n_t - 1)
    req[:first] = 0.0  # unmet before the earliest delivery: delivered then
    before = np.concatenate([[0.0], req])  # before[a] = R(a - 1)
    f = np.full(n_t + 1, np.inf)
    f[0] = 0.0
    arg = np.zeros(n_t + 1, dtype=np.int64)
    for b in range(1, n_t + 1):
        best, how = math.inf, 0
        for a in range(b):
            if not math.isfinite(f[a]):
                continue
            q = req[b - 1] - before[a]
            if q <= 1e-12:
                c = f[a]
            elif a < first:
                continue
            else:
                c = f[a] + cost_order + (premium_unit * q if a < lead else 0.0)
                c += hold_unit_period * q * (n_t - a)
            if c < best - 1e-12:
                best, how = c, a
        f[b], arg[b] = best, how
    out: list[tuple[int, float, bool]] = []
    b = n_t
    while b > 0:
        a = int(arg[b])
        q = float(req[b - 1] - before[a])
        if q > 1e-12:
            out.append((a, q, a < lead))
        b = a
    return out[::-1]


def check_plan(
    scenario: Scenario, work_orders: str | Path | Sequence[Mapping[str, Any]]
) -> CheckResult:
    """Cost and constraint violations of a plan, recomputed from the scenario alone.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario the plan is for.
    work_orders : path or sequence of dict
        ``work_orders.json`` (or ``plan.json``) as written by ``opportune plan --out``, or
        its list of work orders.  Each needs ``component_id`` and ``scheduled_start``
        (RFC 3339; naive times are in the time zone of ``calendar.start``); optional
        ``scheduled_finish`` (default: start plus the task's duration) and ``group_id``
        (default: the unit and the start date).  Components without a work order are
        left beyond the horizon.

    Returns
    -------
    CheckResult

    Raises
    ------
    ValueError
        On an unknown component, a component twice, an unparsable date or a finish
        before the start, naming the field (``work_orders[3].scheduled_start: ...``).
    """
    return _Checker(scenario, read_work_orders(work_orders)).run()
