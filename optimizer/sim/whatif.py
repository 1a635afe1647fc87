"""What-if of one decision: a few options compared on common random numbers.

An *option* fixes the named actions, in plain text::

    replace C1-GBX on 2027-01-12
    replace C1-GBX and C1-MOT on 2027-01-19      (also "C1-GBX, C1-MOT")
    defer C1-GBX                                 (not replaced within the horizon)

For every option the rest of the fleet is either **re-planned around it** (default: the
named components are pinned -- to the period of the date, or beyond the horizon -- and
the scheduler solves the rest, :func:`optimizer.solvers.solve`) or **held to the current
plan** (``hold=True``: the scenario's own optimal plan, with only the named components
moved).  Each option's plan is then simulated as a fixed plan (:class:`PlanPolicy`: every
work order is requested at its scheduled start; a part that fails first is replaced
correctively and its planned work is cancelled) over ``days`` days with the fleet
simulator (:func:`optimizer.sim.simulate.compare`): every option meets the same part
lives, repair times and delays in replication ``r`` (common random numbers), so the
*paired* differences against the first option have narrow 95% intervals
(:mod:`optimizer.sim.stats`).

Reported per option (:class:`WhatIfResult`):

* total cost by category (the simulator's cost language: the headline is the sum of the
  categories), expected unplanned / planned downtime and lost production, failures,
  spare-part units consumed per part and the probability of a stock-out, crew
  utilization -- each a mean with its 95% interval and the paired difference against the
  first option;
* per named component, P(failure before the action): simulated (a failure of the
  installed part before the planned start) and exact from its residual-life
  distribution (:attr:`optimizer.fleet.FleetModel.residual`: the twin's prediction
  where given, else the life conditional on the age) at the operating hours until the
  start (for ``defer``: until the end of the ``days``);
* two non-simulated costs: the planner's objective of the option's plan, recomputed by
  the independent checker (:func:`optimizer.check.check_plan`; relative to the best
  long-run policy, so only its *differences* between options are meaningful), and the
  *first-life* expected cost over the ``days``: for each component
  ``c_f F(tau) + c_p S(tau)`` when it is replaced at operating age ``tau`` from now
  within the days (``c_f F(D)`` otherwise), plus each planned opening's cost times the
  probability that one of its parts is still running then (``1 - prod F``).  It is the
  exact expectation of the simulated total when a renewed part cannot fail again
  within the days, crews and spares never queue, and no stop pauses the ageing of other
  parts; the simulation includes all of these, so the two can be compared.

The verdict names the cheaper option (lowest mean total cost) and the less risky one
(fewest expected failures over the days) and says whether the difference is real (the
paired 95% interval excludes 0) or noise.  Paired intervals exist against the first
option: when the winner is the first option, it is compared with the runner-up.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from optimizer._typing import FloatArray
from optimizer.check import check_plan
from optimizer.planning.pipeline import PlanResult, plan_result
from optimizer.problem.build import BuiltProblem, build_problem
from optimizer.problem.data import PIN_BEYOND, PlanningProblem
from optimizer.scenario import Scenario
from optimizer.sim.model import SimModel, compile_model
from optimizer.sim.simulate import Comparison, compare
from optimizer.sim.stats import Estimate, mean_ci, paired_ci
from optimizer.sim.strategies.base import BasePolicy, SimView
from optimizer.solvers import solve
from optimizer.solvers.common import pinned_diagnosis

__all__ = [
    "OptionError",
    "PlanPolicy",
    "WhatIfOption",
    "WhatIfResult",
    "check_options",
    "parse_option",
    "whatif",
]

HOURS_PER_YEAR = 8760.0
"""Hours of a simulated year (:func:`optimizer.sim.model.compile_model`)."""

COST_KPIS: tuple[str, ...] = (
    "cost_total",
    "cost_preventive",
    "cost_corrective",
    "cost_setup",
    "cost_lost_production",
    "cost_labour",
    "cost_spares_holding",
    "cost_spares_ordering",
    "cost_spares_expediting",
    "cost_resources",
)
"""The simulator's cost KPIs: the total and its categories (their sum)."""
OTHER_KPIS: tuple[str, ...] = (
    "downtime_unplanned_h",
    "downtime_planned_h",
    "failures",
    "preventive_replacements",
    "openings",
    "stockouts",
    "stockout_h",
    "crew_utilization",
)
RISK_KPI = "failures"
"""What "less risky" means: fewer expected failures in the fleet over the days."""

_REPLACE = re.compile(
    r"^\s*replace\s+(?P<comps>.+?)\s+on\s+(?P<date>\S+)\s*$", re.IGNORECASE | re.DOTALL
)
_DEFER = re.compile(r"^\s*defer\s+(?P<comps>.+?)\s*$", re.IGNORECASE | re.DOTALL)
_SPLIT = re.compile(r"\s*,\s*|\s+and\s+", re.IGNORECASE)
_ID = re.compile(r"^[A-Za-z0-9_.:/@#+\-]+$")


class OptionError(ValueError):
    """An option that cannot be parsed or served; the message names the option.

    Parameters
    ----------
    option : str
        The option's text.
    reason : str
        What is wrong, in plain language.
    """

    def __init__(self, option: str, reason: str) -> None:
        self.option = option
        self.reason = reason
        super().__init__(f"option {option!r}: {reason}")


@dataclass(frozen=True)
class WhatIfOption:
    """One parsed option.

    Parameters
    ----------
    text : str
        The option as written.
    action : str
        ``"replace"`` or ``"defer"``.
    components : tuple of str
        Component ids, in the order written (no duplicates).
    on : datetime.date or None
        Day of the replacement (local date of the site), ``None`` for ``defer``.
    """

    text: str
    action: str
    components: tuple[str, ...]
    on: date | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "text": self.text,
            "action": self.action,
            "components": list(self.components),
            "date": None if self.on is None else self.on.isoformat(),
        }


def parse_option(text: str) -> WhatIfOption:
    """Parse ``replace A [and B ...] on YYYY-MM-DD`` or ``defer A [and B ...]``.

    Components are separated by ``and`` or commas; keywords are case-insensitive.

    Parameters
    ----------
    text : str
        The option.

    Returns
    -------
    WhatIfOption

    Raises
    ------
    OptionError
        On anything else (the message names the option and what was expected).
    """
    if not isinstance(text, str):
        raise OptionError(str(text), "expected text")
    m = _REPLACE.match(text)
    action = "replace"
    on: date | None = None
    if m is not None:
        raw = m.group("date")
        try:
            on = date.fromisoformat(raw)
        except ValueError:
            raise OptionError(text, f"{raw!r} is not a date (YYYY-MM-DD)") from None
    else:
        m = _DEFER.match(text)
        action = "defer"
        if m is None:
            raise OptionError(
                text,
                "expected 'replace COMPONENT [and COMPONENT ...] on YYYY-MM-DD'"
                " or 'defer COMPONENT [and COMPONENT ...]'",
            )
        if re.search(r"\s+on\s+\S+\s*$", text, re.IGNORECASE):
            raise OptionError(text, "'defer' takes no date")
    comps = tuple(c for c in _SPLIT.split(m.group("comps").strip()))
    for c in comps:
        if not c or not _ID.match(c):
            raise OptionError(text, f"{c!r} is not a component id")
    if len(set(comps)) != len(comps):
        raise OptionError(text, "a component is named twice")
    return WhatIfOption(text=text, action=action, components=comps, on=on)


# --------------------------------------------------------------------------------------
# a fixed plan as a simulator policy
# --------------------------------------------------------------------------------------
RELEASE_AHEAD_H = 7.0 * 24.0
"""Work is released (its parts reserved) this long plus its parts' lead time before its
planned start, as the prescriptive strategy releases work."""


class PlanPolicy(BasePolicy):
    """Follow a fixed plan: each opening's work is released before its planned start.

    A job is released (requested, its spare parts reserved or ordered) at the first
    daily decision from which its planned start is less than :data:`RELEASE_AHEAD_H`
    plus the lead time of its missing parts away.  The plan replaces the parts installed
    at the start: a part that failed (and was renewed) before its job is released or
    started is not replaced again (the rest of its opening goes ahead).  Jobs of one
    opening are requested together at its start, so they share it.

    Parameters
    ----------
    name : str
        Policy name (distinct per option).
    jobs : sequence of (tuple of int, float)
        ``(component indices, start hours from the plan start)`` per opening.
    """

    def __init__(self, name: str, jobs: Sequence[tuple[tuple[int, ...], float]]) -> None:
        self.name = name
        self.jobs = tuple((tuple(int(i) for i in c), float(t)) for c, t in jobs)
        self.decision_interval_h: float | None = 24.0
        self._pending: list[int] = []

    def start(self, sim: SimView) -> None:
        self._pending = list(range(len(self.jobs)))

    def decide(self, sim: SimView) -> None:
        if not self._pending:
            return
        now = sim.now_h
        keep: list[int] = []
        for j in self._pending:
            comps, at_h = self.jobs[j]
            live = [i for i in comps if sim.on_initial_part(i)]
            if not live:
                continue
            lead = float(np.max(sim.parts_lead_h(live)))
            if now + RELEASE_AHEAD_H + lead + 24.0 >= at_h:
                sim.request_pm(live, at_h)
            else:
                keep.append(j)
        self._pending = keep

    def params(self) -> dict[str, Any]:
        return {"jobs": len(self.jobs)}


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OptionResult:
    """One option's plan, simulated KPIs and exact numbers.

    Parameters
    ----------
    name : str
        ``option 1``, ``option 2``, ... (the policy name in the simulation).
    option : WhatIfOption
        The parsed option.
    actions : list of dict
        Per named component: ``component_id``, ``start`` (RFC 3339 or ``None`` when
        deferred), ``p_fail_exact`` and ``p_fail_sim`` (an Estimate) of a failure
        before the action (for ``defer``: within the days).
    kpis : dict of str to Estimate
        Simulated means with 95% intervals (currency, hours, counts, fractions).
    paired : dict of str to Estimate
        ``KPI(option) - KPI(first option)`` on common random numbers (empty for the
        first option).
    spares : dict of str to Estimate
        Units consumed per part id over the days.
    p_stockout : Estimate
        Probability of at least one stock-out (a failure waiting for a part).
    paired_p_stockout : Estimate or None
        Its paired difference against the first option.
    planner_cost : dict of str to float
        The planner's objective of the option's plan by term (:func:`check_plan`).
    model_cost : dict of str to float
        First-life expected cost over the days: ``preventive``, ``corrective``,
        ``opening`` and ``total`` (see the module docstring).
    work_orders : list of dict
        The plan simulated: ``component_id``, ``scheduled_start``, ``group_id``.
    crew_hours_planned : float
        Technician-hours of the planned work within the days.
    violations : list of str
        Constraints the plan violates according to the checker (held plans may).
    """

    name: str
    option: WhatIfOption
    actions: list[dict[str, Any]]
    kpis: dict[str, Estimate]
    paired: dict[str, Estimate]
    spares: dict[str, Estimate]
    p_stockout: Estimate
    paired_p_stockout: Estimate | None
    planner_cost: dict[str, float]
    model_cost: dict[str, float]
    work_orders: list[dict[str, Any]]
    crew_hours_planned: float
    violations: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "name": self.name,
            "option": self.option.as_dict(),
            "actions": [{**a, "p_fail_sim": a["p_fail_sim"].as_dict()} for a in self.actions],
            "kpis": {k: e.as_dict() for k, e in self.kpis.items()},
            "paired": {k: e.as_dict() for k, e in self.paired.items()},
            "spares": {k: e.as_dict() for k, e in self.spares.items()},
            "p_stockout": self.p_stockout.as_dict(),
            "paired_p_stockout": None
            if self.paired_p_stockout is None
            else self.paired_p_stockout.as_dict(),
            "planner_cost": self.planner_cost,
            "model_cost": self.model_cost,
            "work_orders": self.work_orders,
            "crew_hours_planned": self.crew_hours_planned,
            "violations": self.violations,
        }


@dataclass(frozen=True)
class Verdict:
    """Which option wins on one criterion, and whether the difference is real.

    Parameters
    ----------
    criterion : str
        ``cost`` (``cost_total``) or ``risk`` (``failures``).
    best : str
        Name of the best option (lowest mean).
    other : str or None
        The option it is compared with (the first option, or the runner-up when the
        first option is best); ``None`` with a single option.
    difference : Estimate or None
        ``KPI(best) - KPI(other)`` with its paired 95% interval.
    real : bool
        The interval excludes 0.
    text : str
        One sentence.
    """

    criterion: str
    best: str
    other: str | None
    difference: Estimate | None
    real: bool
    text: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "criterion": self.criterion,
            "best": self.best,
            "other": self.other,
            "difference": None if self.difference is None else self.difference.as_dict(),
            "real": self.real,
            "text": self.text,
        }


@dataclass(frozen=True)
class WhatIfResult:
    """A what-if study (see the module docstring).

    Parameters
    ----------
    scenario, currency : str
        Scenario name and ISO 4217 code of the costs.
    start : str
        Plan start (RFC 3339).
    days : float
        Simulated days.
    replications, seed : int
        Monte Carlo settings (common random numbers across options).
    mode : str
        ``replan`` (the rest of the fleet re-planned around each option) or ``hold``
        (held to the current plan).
    options : list of OptionResult
        In the order given; the first is the reference of the paired differences.
    cheaper, less_risky : Verdict
        The answer.
    runtime_s : float
        Wall-clock time, seconds.
    """

    scenario: str
    currency: str
    start: str
    days: float
    replications: int
    seed: int
    mode: str
    options: list[OptionResult]
    cheaper: Verdict
    less_risky: Verdict
    runtime_s: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "scenario": self.scenario,
            "currency": self.currency,
            "start": self.start,
            "days": self.days,
            "replications": self.replications,
            "seed": self.seed,
            "mode": self.mode,
            "options": [o.as_dict() for o in self.options],
            "cheaper": self.cheaper.as_dict(),
            "less_risky": self.less_risky.as_dict(),
            "runtime_s": self.runtime_s,
        }

    def table(self) -> pd.DataFrame:
        """One row per (option, KPI): mean, interval, paired difference and interval."""
        rows = []
        for o in self.options:
            for k, e in o.kpis.items():
                d = o.paired.get(k)
                rows.append(
                    {
                        "option": o.name,
                        "text": o.option.text,
                        "kpi": k,
                        "mean": e.mean,
                        "ci_low": e.ci_low,
                        "ci_high": e.ci_high,
                        "diff": None if d is None else d.mean,
                        "diff_low": None if d is None else d.ci_low,
                        "diff_high": None if d is None else d.ci_high,
                    }
                )
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# building each option's plan
# --------------------------------------------------------------------------------------
def _period_on(pb: PlanningProblem, day: date) -> int:
    """The planning period of a day: the last one starting (local date) on or before it."""
    p = 0
    for t in range(pb.n_periods):
        if pb.local_period_start(t).date() <= day:
            p = t
        else:
            break
    return p


def _day_start(scn: Scenario, day: date) -> datetime:
    """Local midnight of ``day`` in the site's time zone (aware)."""
    tz = scn.calendar.zone
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _check_option(
    scn: Scenario, built: BuiltProblem, opt: WhatIfOption, days: float
) -> dict[str, int]:
    """Component index of each named id; raises OptionError on what cannot be served."""
    pb = built.problem
    index = {c: i for i, c in enumerate(pb.component_ids)}
    out: dict[str, int] = {}
    for c in opt.components:
        if c not in index:
            raise OptionError(opt.text, f"unknown component {c!r}")
        out[c] = index[c]
    if opt.on is None:
        return out
    start = pb.local(pb.start)
    end = start + timedelta(days=min(days, float(scn.calendar.horizon_days)))
    when = _day_start(scn, opt.on)
    if when + timedelta(days=1) <= start or when >= end:
        raise OptionError(
            opt.text,
            f"{opt.on.isoformat()} is outside the horizon ({start.date().isoformat()} to"
            f" {(end - timedelta(seconds=1)).date().isoformat()})",
        )
    p = _period_on(pb, opt.on)
    parts = pb.parts
    for c, i in out.items():
        s = int(pb.skill_of[i])
        if pb.crew_hours[s, p] <= 0.0:
            raise OptionError(
                opt.text,
                f"no crew with skill {pb.skill_ids[s]} works on {opt.on.isoformat()}"
                f" (needed for {c})",
            )
        if parts is not None and int(parts.part_of[i]) >= 0:
            q = int(parts.part_of[i])
            need = float(parts.qty[i])
            have = float(parts.on_hand[q]) + float(parts.arrivals[q, : p + 1].sum())
            new = int(
                min(parts.lead_periods(pb.period_h)[q], parts.expedite_periods(pb.period_h)[q])
            )
            if have + 1e-9 < need and p < new:
                first = pb.local_period_start(min(new, pb.n_periods - 1)).date().isoformat()
                raise OptionError(
                    opt.text,
                    f"part {parts.part_ids[q]} for {c}: {have:g} unit(s) on hand or arriving by"
                    f" {opt.on.isoformat()}, {need:g} needed; the earliest new delivery is"
                    f" {first}",
                )
    return out


def _pinned(pb: PlanningProblem, opt: WhatIfOption, idx: dict[str, int]) -> PlanningProblem:
    pin = pb.pinned_period.copy()
    allowed = pb.allowed.copy()
    if opt.on is None:
        for i in idx.values():
            pin[i] = PIN_BEYOND
    else:
        p = _period_on(pb, opt.on)
        for i in idx.values():
            pin[i] = p
            allowed[i, p] = True
    return dataclasses.replace(pb, pinned_period=pin, allowed=allowed)


def _check_pins(pb: PlanningProblem, opt: WhatIfOption, idx: dict[str, int]) -> None:
    """Raise OptionError when the scheduler's pre-checks reject the option's pins, or a
    replacement falls where the scenario forbids the work (past a life limit or a risk
    cap, or in the frozen period)."""
    if opt.on is not None:
        p = _period_on(pb, opt.on)
        for c, i in idx.items():
            if not pb.allowed[i, p] and pb.pinned_period[i] != p:
                raise OptionError(
                    opt.text,
                    f"work on {c} is not allowed on {opt.on.isoformat()}: past its life"
                    " limit or risk cap (max_age_h, max_p_fail), or in the frozen period",
                )
    diag = pinned_diagnosis(_pinned(pb, opt, idx))
    mine = [s for s in diag if any(c in s for c in idx)]
    if mine:
        raise OptionError(opt.text, "; ".join(mine))


def check_options(
    scn: Scenario, options: Sequence[str], *, days: float | None = None
) -> list[tuple[int, OptionError]]:
    """Every option that cannot be parsed or served, without solving or simulating.

    The checks of :func:`whatif` before it plans: syntax, unknown components, dates
    outside the horizon, no crew of the skill that day, no spare part in time, and the
    scheduler's pre-checks of the pins (:func:`optimizer.solvers.common.pinned_diagnosis`).

    Parameters
    ----------
    scn : Scenario
        A validated scenario.
    options : sequence of str
        The options' texts.
    days : float, optional
        Simulated days (default the planning horizon).

    Returns
    -------
    list of (int, OptionError)
        Position of each bad option and why (empty: all can be served).
    """
    d = float(scn.calendar.horizon_days if days is None else days)
    built: BuiltProblem | None = None
    out: list[tuple[int, OptionError]] = []
    for j, text in enumerate(options):
        try:
            opt = parse_option(text)
            if built is None:
                built = build_problem(scn)
            ix = _check_option(scn, built, opt, d)
            _check_pins(built.problem, opt, ix)
        except OptionError as exc:
            out.append((j, exc))
    return out


def _orders_rows(res: PlanResult) -> list[dict[str, Any]]:
    return [
        {
            "component_id": o.component_id,
            "scheduled_start": o.scheduled_start,
            "scheduled_finish": o.scheduled_finish,
            "group_id": o.group_id,
        }
        for o in res.orders
    ]


def _held_rows(
    base: list[dict[str, Any]], pb: PlanningProblem, opt: WhatIfOption, idx: dict[str, int]
) -> list[dict[str, Any]]:
    """The current plan with the named components moved (joining an opening of their
    unit planned that day, else a new one at the start of the day's period)."""
    named = set(idx)
    rows = [r for r in base if r["component_id"] not in named]
    if opt.on is not None:
        p = _period_on(pb, opt.on)
        start = pb.local_period_start(p).isoformat(timespec="minutes")
        comp_index = {c: i for i, c in enumerate(pb.component_ids)}
        for c, i in idx.items():
            k = int(pb.system_of[i])
            row = {"component_id": c, "scheduled_start": start, "group_id": None}
            for r in rows:
                j = comp_index[str(r["component_id"])]
                day = datetime.fromisoformat(str(r["scheduled_start"])).date()
                if int(pb.system_of[j]) == k and day == opt.on:
                    row["scheduled_start"] = str(r["scheduled_start"])
                    row["group_id"] = r.get("group_id")
                    break
            if row["group_id"] is None:
                row["group_id"] = f"WHATIF-{pb.system_ids[k]}@{opt.on.isoformat()}"
            rows.append(row)
    return rows


def _jobs(
    model: SimModel, rows: list[dict[str, Any]], tz: Any
) -> tuple[list[tuple[tuple[int, ...], float]], dict[str, float], dict[str, str]]:
    """Openings ``(components, start_h)``, each component's start (hours) and group.

    The jobs of one group (``group_id``: one opening of a unit) are requested together at
    the group's earliest start, so that they share one opening in the simulator.
    """
    index = {c: i for i, c in enumerate(model.component_ids)}
    by: dict[str, list[int]] = {}
    first: dict[str, float] = {}
    when: dict[str, float] = {}
    group: dict[str, str] = {}
    for r in rows:
        t = datetime.fromisoformat(str(r["scheduled_start"]))
        if t.tzinfo is None:
            t = t.replace(tzinfo=tz)
        h = (t - model.start) / timedelta(hours=1)
        cid = str(r["component_id"])
        i = index[cid]
        gid = str(r.get("group_id") or f"{model.system_of[i]}@{h}")
        when[cid] = h
        group[cid] = gid
        if h < model.horizon_h:
            by.setdefault(gid, []).append(i)
            first[gid] = min(first.get(gid, math.inf), h)
    jobs = [(tuple(by[g]), first[g]) for g in sorted(by, key=lambda g: (first[g], g))]
    return jobs, when, group


def _model_cost(
    model: SimModel, pb: PlanningProblem, when: dict[str, float], group: dict[str, str]
) -> dict[str, float]:
    """First-life expected cost over the simulated days (module docstring)."""
    fm = model.fleet
    rate = model.rate[model.system_of]  # operating hours per calendar hour
    pm = cm = 0.0
    fail: dict[int, float] = {}
    for i, cid in enumerate(model.component_ids):
        resid = fm.residual[i]
        t_h = when.get(cid, math.inf)
        if t_h < model.horizon_h:
            f = float(np.asarray(resid.cdf(max(t_h, 0.0) * rate[i])))
            pm += float(fm.cost_pm[i]) * (1.0 - f)
            fail[i] = f
        else:
            f = float(np.asarray(resid.cdf(model.horizon_h * rate[i])))
        cm += float(fm.cost_cm[i]) * f
    opening = 0.0
    members: dict[str, list[int]] = {}
    first: dict[str, float] = {}
    for i in fail:
        g = group[model.component_ids[i]]
        members.setdefault(g, []).append(i)
        first[g] = min(first.get(g, math.inf), when[model.component_ids[i]])
    for g, ms in members.items():
        k = int(pb.system_of[ms[0]])
        p = max(0, min(int(first[g] // pb.period_h), pb.n_periods - 1))
        p_open = 1.0 - float(np.prod([fail[i] for i in ms]))
        opening += float(pb.opening_cost[k, p]) * p_open
    return {"preventive": pm, "corrective": cm, "opening": opening, "total": pm + cm + opening}


# --------------------------------------------------------------------------------------
# the study
# --------------------------------------------------------------------------------------
def _verdict(criterion: str, kpi: str, options: list[OptionResult], unit: str) -> Verdict:
    means = [o.kpis[kpi].mean for o in options]
    order = sorted(range(len(options)), key=lambda j: (means[j], j))
    best = order[0]
    if len(options) == 1:
        return Verdict(criterion, options[0].name, None, None, False, "only one option")
    if best == 0:
        other = order[1]
        d0 = options[other].paired[kpi]
        diff = Estimate(-d0.mean, -d0.ci_high, -d0.ci_low, d0.sd, d0.n, d0.confidence)
    else:
        other = 0
        diff = options[best].paired[kpi]
    real = bool(diff.ci_high < 0.0 or diff.ci_low > 0.0)
    what = "cheaper" if criterion == "cost" else "less risky"
    b, o = options[best], options[other]
    sure = (
        "the difference is real (the 95% interval excludes 0)"
        if real
        else "the difference is noise (the 95% interval includes 0)"
    )
    text = (
        f"{b.name} ({b.option.text}) is {what} than {o.name} ({o.option.text}):"
        f" {diff.mean:+,.2f} {unit} [{diff.ci_low:+,.2f}, {diff.ci_high:+,.2f}]; {sure}"
    )
    return Verdict(criterion, b.name, o.name, diff, real, text)


def whatif(
    scn: Scenario,
    options: Sequence[str | WhatIfOption],
    *,
    days: float | None = None,
    replications: int | None = None,
    seed: int | None = None,
    hold: bool = False,
    method: str | None = None,
    time_limit_s: float | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> WhatIfResult:
    """Compare options of one decision on common random numbers.

    Parameters
    ----------
    scn : Scenario
        A validated scenario (next-replacement planning, not ``repeated_replacements``).
    options : sequence of str or WhatIfOption
        At least one; the first is the reference of the paired differences.
    days : float, optional
        Simulated days (default the scenario's ``calendar.horizon_days``); replacement
        dates must fall within them and within the planning horizon.
    replications, seed : int, optional
        Default to the scenario's ``simulation`` settings.
    hold : bool, default False
        Hold the rest of the fleet to the current plan instead of re-planning it
        around each option.
    method, time_limit_s : optional
        Scheduler settings (default the scenario's ``plan``).
    workers : int, optional
        Simulation worker processes (default the CPU count).
    progress : callable, optional
        ``progress(done, total)`` replications.
    say : callable, optional
        Receives a short message at each stage.

    Returns
    -------
    WhatIfResult

    Raises
    ------
    OptionError
        An option that cannot be parsed or served (unknown component, date outside
        the horizon, no crew that day, no spare part in time, a pin the scheduler
        cannot honour).
    ValueError
        On other invalid arguments.
    """
    import time

    t0 = time.perf_counter()
    tell = say or (lambda _m: None)
    if not options:
        raise ValueError("options: give at least one option")
    if scn.plan.repeated_replacements:
        raise ValueError(
            "plan.repeated_replacements: what-if compares next-replacement plans; turn it off"
        )
    parsed = [o if isinstance(o, WhatIfOption) else parse_option(o) for o in options]
    d = float(scn.calendar.horizon_days if days is None else days)
    if not (math.isfinite(d) and d > 0):
        raise ValueError(f"days must be finite and > 0, got {days!r}")
    tell("building the planning problem")
    built = build_problem(scn)
    pb = built.problem
    idx = [_check_option(scn, built, o, d) for o in parsed]
    for o, ix in zip(parsed, idx, strict=True):
        _check_pins(pb, o, ix)
    m_ = method or scn.plan.method
    tl = time_limit_s if time_limit_s is not None else scn.plan.time_limit_s
    rows_of: list[list[dict[str, Any]]] = []
    base_rows: list[dict[str, Any]] | None = None
    for o, ix in zip(parsed, idx, strict=True):
        pinned = _pinned(pb, o, ix)
        if hold:
            if base_rows is None:
                tell("solving the current plan")
                plan = solve(pb, method=m_, time_limit_s=tl, gap=scn.plan.gap)
                if not plan.feasible:
                    raise ValueError("the scenario's own plan is infeasible: nothing to hold")
                base_rows = _orders_rows(plan_result(built, plan))
            rows_of.append(_held_rows(base_rows, pb, o, ix))
        else:
            tell(f"re-planning around {o.text}")
            plan = solve(pinned, method=m_, time_limit_s=tl, gap=scn.plan.gap)
            if not plan.feasible:
                why = "; ".join(plan.diagnosis) or f"status {plan.status}"
                raise OptionError(o.text, f"the scheduler finds no feasible plan with it: {why}")
            rows_of.append(
                _orders_rows(plan_result(dataclasses.replace(built, problem=pinned), plan))
            )
    model = compile_model(scn, years=d * 24.0 / HOURS_PER_YEAR)
    tz = scn.calendar.zone
    policies = []
    whens = []
    groups = []
    for j, rows in enumerate(rows_of):
        jobs, when, group = _jobs(model, rows, tz)
        policies.append(PlanPolicy(f"option {j + 1}", jobs))
        whens.append(when)
        groups.append(group)
    tell("simulating")
    cmp_ = compare(
        model,
        policies,
        baseline="option 1",
        replications=replications,
        seed=seed,
        workers=workers,
        progress=progress,
        keep_events=True,
    )
    tell("summarizing")
    results = _summarize(scn, model, pb, parsed, rows_of, whens, groups, cmp_)
    cur = model.currency
    first = results[0]
    return WhatIfResult(
        scenario=scn.name,
        currency=cur,
        start=pb.local(pb.start).isoformat(timespec="minutes"),
        days=d,
        replications=first.kpis["cost_total"].n,
        seed=cmp_.results["option 1"].seed,
        mode="hold" if hold else "replan",
        options=results,
        cheaper=_verdict("cost", "cost_total", results, cur),
        less_risky=_verdict("risk", RISK_KPI, results, "failures"),
        runtime_s=time.perf_counter() - t0,
    )


def _per_rep(ev: pd.DataFrame, reps: int, mask: Any) -> np.ndarray:
    """Indicator per replication of at least one event matching ``mask``."""
    hit = np.zeros(reps)
    r = ev.loc[mask, "replication"].to_numpy(dtype=np.int64)
    hit[np.unique(r)] = 1.0
    return hit


def _counts(ev: pd.DataFrame, reps: int, mask: Any, weight: np.ndarray) -> np.ndarray:
    out = np.zeros(reps)
    np.add.at(out, ev.loc[mask, "replication"].to_numpy(dtype=np.int64), weight)
    return out


def _summarize(
    scn: Scenario,
    model: SimModel,
    pb: PlanningProblem,
    parsed: list[WhatIfOption],
    rows_of: list[list[dict[str, Any]]],
    whens: list[dict[str, float]],
    groups: list[dict[str, str]],
    cmp_: Comparison,
) -> list[OptionResult]:
    reps = cmp_.results["option 1"].replications
    fm = model.fleet
    rate = model.rate[model.system_of]
    ppt = dict(zip(model.component_ids, model.parts_per_task.tolist(), strict=True))
    part_of = {
        cid: (model.parts[int(p)].id if int(p) >= 0 else None)
        for cid, p in zip(model.component_ids, model.part_of.tolist(), strict=True)
    }
    minimal = dict(zip(model.component_ids, model.minimal_repair.tolist(), strict=True))
    part_ids = sorted({p for p in part_of.values() if p is not None})
    stock_ind: list[np.ndarray] = []
    spares_use: list[dict[str, np.ndarray]] = []
    fail_ind: list[dict[str, np.ndarray]] = []
    for j, opt in enumerate(parsed):
        ev = cmp_.results[f"option {j + 1}"].events
        assert ev is not None
        stock_ind.append(_per_rep(ev, reps, ev["event"] == "part_received"))
        use: dict[str, np.ndarray] = {}
        comp = ev["component"].astype(str)
        consumed = ((ev["event"] == "failure") & ~comp.map(minimal).fillna(True).astype(bool)) | (
            ev["event"] == "pm_start"
        )
        for pid in part_ids:
            m = consumed & (comp.map(part_of) == pid)
            use[pid] = _counts(ev, reps, m, comp[m].map(ppt).to_numpy(dtype=float))
        spares_use.append(use)
        fi: dict[str, np.ndarray] = {}
        for c in opt.components:
            t_act = whens[j].get(c, math.inf)
            fi[c] = _per_rep(
                ev,
                reps,
                (ev["event"] == "failure")
                & (comp == c)
                & (ev["time_h"] < min(t_act, model.horizon_h)),
            )
        fail_ind.append(fi)
    out: list[OptionResult] = []
    for j, opt in enumerate(parsed):
        name = f"option {j + 1}"
        res = cmp_.results[name]
        kpis = {k: res.kpis[k] for k in (*COST_KPIS, *OTHER_KPIS) if k in res.kpis}
        kpis.update({k: e for k, e in res.kpis.items() if k.startswith("crew_utilization[")})
        paired = {k: e for k, e in cmp_.differences.get(name, {}).items() if k in kpis}
        actions = []
        for c in opt.components:
            i = model.component_ids.index(c)
            t_act = whens[j].get(c, math.inf)
            t_h = min(t_act, model.horizon_h)
            p_exact = float(np.asarray(fm.residual[i].cdf(max(t_h, 0.0) * rate[i])))
            start = None
            for r in rows_of[j]:
                if r["component_id"] == c:
                    start = str(r["scheduled_start"])
            actions.append(
                {
                    "component_id": c,
                    "start": start,
                    "p_fail_exact": p_exact,
                    "p_fail_sim": _mean_est(fail_ind[j][c]),
                }
            )
        spares = {pid: _mean_est(spares_use[j][pid]) for pid in part_ids}
        p_so = _mean_est(stock_ind[j]).within(0.0, 1.0)
        paired_so = None if j == 0 else paired_ci(stock_ind[j], stock_ind[0])
        chk = check_plan(scn, rows_of[j])
        planned_h = 0.0
        for r in rows_of[j]:
            i = model.component_ids.index(str(r["component_id"]))
            if whens[j][str(r["component_id"])] < model.horizon_h:
                planned_h += float(fm.pm_duration_h[i]) * float(model.crew_size[i])
        out.append(
            OptionResult(
                name=name,
                option=opt,
                actions=actions,
                kpis=kpis,
                paired=paired,
                spares=spares,
                p_stockout=p_so,
                paired_p_stockout=paired_so,
                planner_cost={k: float(v) for k, v in chk.cost.items()},
                model_cost=_model_cost(model, pb, whens[j], groups[j]),
                work_orders=rows_of[j],
                crew_hours_planned=planned_h,
                violations=[v.message for v in chk.violations],
            )
        )
    return out


def _mean_est(x: FloatArray) -> Estimate:
    """Mean of a non-negative per-replication quantity with its 95% interval."""
    return mean_ci(x).within(0.0, math.inf)
