"""Scenario schema: the validated description of a fleet, its costs and its resources.

A scenario file (YAML or JSON) and the HTTP service's request body are both validated by
the pydantic models below.  Models are frozen and reject unknown keys, so a typo in a
field name is an error, not a silently ignored setting.  Units are part of every field
name: ``_h`` hours, ``_days`` days, ``cost_`` money in the scenario's ``currency``,
``_per_h`` rates per hour, ``_per_year`` annual rates.

Structure::

    Scenario
      calendar          plan start, horizon, period length, value profiles
      component_types   templates (life distribution, costs, durations, part, skill)
      fleet.sites[]     -> systems[] -> components[] (positions holding parts)
      crews[]           skills, headcount, shifts, response delay, rates
      inventory.parts[] stock, orders, lead times, unit/holding/order/expedite costs
      plan              scheduler settings, frozen horizon, open work orders
      simulation        seed, replications, strategies to compare, twin accuracy
      campaigns[]       service campaigns at given dates (simulation)
      resources[]       campaign resources: vessels, cranes, teams that tasks wait for

Cross-references (a component's ``type``, ``spare_part``, ``skill``; a crew's site; a
work order's component; a task's ``resource``) are checked after the structural
validation; each problem names the field path that holds the bad reference.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = 1

# Bounds keep absurd but syntactically valid numbers (1e308 hours, 10**400) out: they
# would overflow downstream arithmetic and produce a wrong answer rather than an error.
MAX_HOURS = 1e7  # ~1,140 years
MAX_MONEY = 1e12
MAX_COUNT = 1_000_000

# Size limits, checked cheaply before any heavy work (optimizer.loading checks them on the
# parsed document before validation; README "Scenario limits").  They bound the memory
# and time of planning: the planning problem holds a few arrays of components x periods.
MAX_COMPONENTS = 10_000
"""Components in the fleet (all sites and systems)."""
MAX_PERIODS = 20_000
"""Planning periods (``ceil(horizon_days / period_days)``)."""
MAX_COMPONENT_PERIODS = 4_000_000
"""Components x planning periods (about 200 bytes each while planning: ~800 MB; the
benchmark fleet of 10,000 components x 365 daily periods, 3.65 M, fits)."""
MAX_TWIN_SAMPLES = 100_000
"""Samples of one life distribution or one twin's residual-life prediction."""

Hours = Annotated[float, Field(ge=0, le=MAX_HOURS)]
PositiveHours = Annotated[float, Field(gt=0, le=MAX_HOURS)]
Money = Annotated[float, Field(ge=0, le=MAX_MONEY)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Ident = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:/@#+\- ]+$")]
Fraction = Annotated[float, Field(ge=0, le=1)]

# Control characters (C0 except tab and newline, and DEL) in a name would reach logs,
# consoles, spreadsheets and HTML reports: refused in every text field.
_CONTROL = frozenset(chr(c) for c in (*range(0x20), 0x7F)) - {"\t", "\n"}
CONTROL_PATTERN = r"^[^\x00-\x08\x0b-\x1f\x7f]*$"


def _no_control(value: str) -> str:
    if not _CONTROL.isdisjoint(value):
        pos, ch = next((i, c) for i, c in enumerate(value) if c in _CONTROL)
        raise PydanticCustomError(
            "control_character",
            "contains control character U+{code} at position {pos}: only tab and newline"
            " are allowed in text",
            {"code": f"{ord(ch):04X}", "pos": pos},
        )
    return value


Text = Annotated[
    str, AfterValidator(_no_control), Field(json_schema_extra={"pattern": CONTROL_PATTERN})
]
"""Free text (names, descriptions): any character but C0 controls other than tab/newline."""

# Dates are bounded so that a plan horizon (at most 10 years) and a simulation (at most
# 100 years) after any of them stays inside the calendar (year 1..9999).
MIN_YEAR = 1900
MAX_YEAR = 2199


def _bounded_date(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise PydanticCustomError(
            "date_range",
            "date {value} is outside the supported range {lo}-01-01 to {hi}-12-31",
            {"value": value.isoformat(), "lo": MIN_YEAR, "hi": MAX_YEAR},
        )
    return value


_YEAR_PATTERN = "(19[0-9]{2}|2[01][0-9]{2})"  # MIN_YEAR..MAX_YEAR
assert (MIN_YEAR, MAX_YEAR) == (1900, 2199), "update _YEAR_PATTERN"
_DATE_RANGE = {
    "formatMinimum": f"{MIN_YEAR}-01-01",
    "formatMaximum": f"{MAX_YEAR}-12-31",
    # The bounds in a form every JSON Schema validator and generator understands
    # (formatMinimum is an annotation for most): an RFC 3339 date or date-time whose
    # year is in range.
    "pattern": f"^{_YEAR_PATTERN}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])",
}
Day = Annotated[date, AfterValidator(_bounded_date), Field(json_schema_extra=_DATE_RANGE)]
"""A calendar date between :data:`MIN_YEAR` and :data:`MAX_YEAR`."""


class Model(BaseModel):
    """Base of every scenario model: frozen, strict about unknown keys, no NaN/inf."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _aware(value: datetime) -> datetime:
    """Interpret naive datetimes as UTC, so every instant is comparable."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


Instant = Annotated[
    datetime,
    AfterValidator(_bounded_date),
    AfterValidator(_aware),
    Field(json_schema_extra=_DATE_RANGE),
]


def as_instant(value: date | datetime) -> datetime:
    """A date (midnight UTC) or datetime as a timezone-aware datetime."""
    if isinstance(value, datetime):
        return _aware(value)
    return datetime.combine(value, time(0, 0), tzinfo=UTC)


# --------------------------------------------------------------------------------------
# Distributions (all times in hours)
# --------------------------------------------------------------------------------------
def _check_mean(log_mean_h: float, name: str) -> None:
    """A distribution's mean must be an hour count like any other (at most MAX_HOURS):
    a heavier tail overflows the reliability integrals (an infinite mean life)."""
    if log_mean_h > math.log(MAX_HOURS):
        mean = f"{math.exp(log_mean_h):.3g} h" if log_mean_h < 700 else "infinite"
        raise PydanticCustomError(
            "mean_too_large",
            "the mean ({mean}) exceeds {limit} h: {name} is too {how}",
            {
                "mean": mean,
                "limit": f"{MAX_HOURS:g}",
                "name": name,
                "how": "small" if name == "shape" else "large",
            },
        )


class WeibullSpec(Model):
    """Weibull life: ``S(t) = exp(-(t / scale_h) ** shape)``."""

    distribution: Literal["weibull"]
    shape: float = Field(gt=0, le=50, description="Shape parameter beta (> 1: wear-out).")
    scale_h: PositiveHours = Field(description="Scale parameter eta (characteristic life), h.")

    @model_validator(mode="after")
    def _check(self) -> WeibullSpec:
        # log of the mean scale_h * Gamma(1 + 1/shape), without overflow
        _check_mean(math.log(self.scale_h) + math.lgamma(1.0 + 1.0 / self.shape), "shape")
        return self


class LognormalSpec(Model):
    """Lognormal life: ``log T ~ Normal(log median_h, sigma**2)``."""

    distribution: Literal["lognormal"]
    median_h: PositiveHours = Field(description="Median life, h.")
    sigma: float = Field(gt=0, le=10, description="Standard deviation of log life.")

    @model_validator(mode="after")
    def _check(self) -> LognormalSpec:
        _check_mean(math.log(self.median_h) + 0.5 * self.sigma**2, "sigma")  # log of the mean
        return self


class GammaSpec(Model):
    """Gamma life with shape ``k`` and scale ``theta``."""

    distribution: Literal["gamma"]
    shape: float = Field(gt=0, le=1000, description="Shape parameter k.")
    scale_h: PositiveHours = Field(description="Scale parameter theta, h.")


class ExponentialSpec(Model):
    """Exponential (memoryless) life."""

    distribution: Literal["exponential"]
    mean_h: PositiveHours = Field(description="Mean life (MTTF), h.")


class NormalSpec(Model):
    """Normal life truncated at zero (typical of a twin's Gaussian RUL estimate)."""

    distribution: Literal["normal"]
    mean_h: Hours = Field(description="Mean, h.")
    sd_h: PositiveHours = Field(description="Standard deviation, h.")


class DeterministicSpec(Model):
    """A life known exactly (e.g. a hard life limit)."""

    distribution: Literal["deterministic"]
    life_h: PositiveHours = Field(description="Life, h.")


class EmpiricalSpec(Model):
    """Life given by samples; optionally some right-censored (still running)."""

    distribution: Literal["empirical"]
    samples_h: list[Hours] = Field(
        min_length=1, max_length=MAX_TWIN_SAMPLES, description="Samples, h."
    )
    censored: list[bool] | None = Field(
        default=None, description="Same length as samples_h; true = right-censored sample."
    )

    @model_validator(mode="after")
    def _check(self) -> EmpiricalSpec:
        if self.censored is not None:
            if len(self.censored) != len(self.samples_h):
                raise PydanticCustomError(
                    "length_mismatch",
                    "censored has {n} entries but samples_h has {m}",
                    {"n": len(self.censored), "m": len(self.samples_h)},
                )
            if all(self.censored):
                raise PydanticCustomError(
                    "all_censored", "every sample is censored: at least one failure is needed"
                )
        return self

    @field_validator("samples_h")
    @classmethod
    def _positive(cls, v: list[float]) -> list[float]:
        if not any(x > 0.0 for x in v):
            raise PydanticCustomError(
                "all_zero", "every sample is 0 h: at least one must be positive (mean > 0)"
            )
        return v


Distribution = Annotated[
    WeibullSpec
    | LognormalSpec
    | GammaSpec
    | ExponentialSpec
    | NormalSpec
    | DeterministicSpec
    | EmpiricalSpec,
    Field(discriminator="distribution"),
]
"""A life or duration distribution, chosen by its ``distribution`` key."""

DurationH = Annotated[Hours, Field(le=1e5)] | Distribution
"""A duration in hours: a constant or a distribution."""


# --------------------------------------------------------------------------------------
# Digital-twin prognostics
# --------------------------------------------------------------------------------------
class ParametricPrognostics(Model):
    """A twin's residual-life prediction given as a distribution."""

    kind: Literal["parametric"]
    issued_at: Instant = Field(description="Instant the prediction was made.")
    residual_life: Distribution = Field(description="Residual life from issued_at, h.")


class SamplePrognostics(Model):
    """A twin's residual-life prediction given as samples (e.g. Monte Carlo)."""

    kind: Literal["samples"]
    issued_at: Instant
    residual_life_h: list[Hours] = Field(min_length=1, max_length=MAX_TWIN_SAMPLES)
    censored: list[bool] | None = Field(
        default=None, description="true = event not reached by the prediction horizon."
    )

    @model_validator(mode="after")
    def _check(self) -> SamplePrognostics:
        if self.censored is not None and len(self.censored) != len(self.residual_life_h):
            raise PydanticCustomError(
                "length_mismatch",
                "censored has {n} entries but residual_life_h has {m}",
                {"n": len(self.censored), "m": len(self.residual_life_h)},
            )
        if self.censored is not None and all(self.censored):
            raise PydanticCustomError(
                "all_censored", "every sample is censored: at least one failure is needed"
            )
        return self


class ProgPyUnweightedSamples(Model):
    """NASA ProgPy ``UnweightedSamples`` time-of-event prediction, serialized as is."""

    type: Literal["UnweightedSamples"]
    samples: list[dict[Text, Annotated[float, Field(ge=0, le=1e12)] | None]] = Field(
        min_length=1, max_length=MAX_TWIN_SAMPLES
    )


class ProgPyMultivariateNormal(Model):
    """NASA ProgPy ``MultivariateNormalDist`` time-of-event prediction, serialized as is."""

    type: Literal["MultivariateNormalDist"]
    labels: list[Text] = Field(min_length=1)
    mean: list[float]
    covar: list[list[float]]

    @model_validator(mode="after")
    def _check(self) -> ProgPyMultivariateNormal:
        n = len(self.labels)
        if len(self.mean) != n or len(self.covar) != n or any(len(r) != n for r in self.covar):
            raise PydanticCustomError(
                "shape", "mean must have {n} entries and covar must be {n} x {n}", {"n": n}
            )
        return self


ProgPyPrediction = Annotated[
    ProgPyUnweightedSamples | ProgPyMultivariateNormal, Field(discriminator="type")
]

_UNIT_H = {"s": 1 / 3600, "min": 1 / 60, "h": 1.0, "days": 24.0}


class ProgPyPrognostics(Model):
    """A time-of-event prediction produced by NASA ProgPy, embedded as serialized.

    ``samples`` values are event times on ProgPy's simulation clock, in ``time_unit``;
    ``null`` means the event was not reached before ``horizon`` (right-censored).
    """

    kind: Literal["progpy"]
    issued_at: Instant = Field(description="Wall-clock instant of prediction_time.")
    event: Text = Field(min_length=1, description="Event name to use (e.g. 'EOD', 'EOL').")
    time_unit: Literal["s", "min", "h", "days"] = Field(
        default="s", description="Unit of the prediction's clock (ProgPy uses seconds)."
    )
    prediction_time: float = Field(
        default=0.0, ge=0, le=1e12, description="Clock value at which it was made."
    )
    horizon: float | None = Field(
        default=None, gt=0, le=1e12, description="Prediction horizon on the clock."
    )
    prediction: ProgPyPrediction

    @property
    def unit_h(self) -> float:
        """Hours per unit of the prediction's clock."""
        return _UNIT_H[self.time_unit]

    @model_validator(mode="after")
    def _check(self) -> ProgPyPrognostics:
        p = self.prediction
        if isinstance(p, ProgPyMultivariateNormal):
            if self.event not in p.labels:
                raise PydanticCustomError(
                    "unknown_event",
                    "event '{e}' is not among the prediction's labels {labels}",
                    {"e": self.event, "labels": p.labels},
                )
        else:
            missing = [j for j, s in enumerate(p.samples) if self.event not in s]
            if missing:
                raise PydanticCustomError(
                    "unknown_event",
                    "event '{e}' is missing from {n} sample(s), first at index {j}",
                    {"e": self.event, "n": len(missing), "j": missing[0]},
                )
            if all(s[self.event] is None for s in p.samples):
                raise PydanticCustomError(
                    "all_censored", "no sample reached event '{e}'", {"e": self.event}
                )
        return self


Prognostics = Annotated[
    ParametricPrognostics | SamplePrognostics | ProgPyPrognostics, Field(discriminator="kind")
]


# --------------------------------------------------------------------------------------
# Work, component types, components
# --------------------------------------------------------------------------------------
class WorkSpec(Model):
    """A maintenance task (preventive or corrective): duration and direct cost.

    The direct cost is either a lump sum ``cost`` (parts + labour + other) or split:
    ``cost_parts`` (default: the spare part's unit cost from inventory), ``cost_labour``
    (default: duration x crew size x the crew's rate) and ``cost_other``.
    """

    duration_h: DurationH = Field(description="Hands-on duration, h (constant or distribution).")
    cost: Money | None = Field(default=None, description="Lump-sum direct cost.")
    cost_parts: Money | None = Field(default=None, description="Parts cost per task.")
    cost_labour: Money | None = Field(default=None, description="Labour cost per task.")
    cost_other: Money = Field(default=0.0, description="Other direct cost per task.")
    cost_secondary_damage: Money = Field(
        default=0.0, description="Collateral damage cost (corrective tasks)."
    )
    needs_calm: bool = Field(
        default=False,
        description=(
            "The work needs calm weather (simulation): it starts only when the site's "
            "weather stays calm for the whole job (see Site.weather)."
        ),
    )
    weather_interruptible: bool = Field(
        default=False,
        description=(
            "With needs_calm: the work starts in any calm spell, stops in rough weather and "
            "resumes in the next calm spell (it takes duration_h calm hours)."
        ),
    )
    resource: Ident | None = Field(
        default=None,
        description=(
            "Id of the campaign resource (Scenario.resources: vessel, crane, specialist"
            " team) the work needs (simulation): it waits until the resource is on site and"
            " has a free slot, and holds the slot for the whole job, weather waits included."
        ),
    )
    stops_system: Literal["at_failure", "at_work_start"] = Field(
        default="at_failure",
        description=(
            "Corrective tasks (simulation): when the failure takes its part out of the"
            " system's structure. 'at_failure' (default): at once. 'at_work_start': the"
            " system keeps running until the repair starts (the waits for spares, the"
            " resource, the crew and the shift are not downtime; the response delay and the"
            " waits for calm weather of the started job are), as NREL WOMBAT's failures"
            " with operation_reduction 0; the part's own clock is stopped from its failure."
            " Preventive tasks: 'at_failure' (default) stops the system when the opening"
            " starts (its date, after its spare parts and campaign resources);"
            " 'at_work_start' (when every job of the opening has it) only once the crews of"
            " all its jobs are granted, so the queue for a crew is not downtime, as"
            " WOMBAT's maintenance with operation_reduction 0."
        ),
    )

    @model_validator(mode="after")
    def _check(self) -> WorkSpec:
        if self.cost is not None and (self.cost_parts is not None or self.cost_labour is not None):
            raise PydanticCustomError(
                "cost_conflict",
                "give either the lump sum 'cost' or the split 'cost_parts'/'cost_labour', not both",
            )
        return self


class ComponentFields(Model):
    """Fields shared by component types and components (a component overrides its type)."""

    life: Distribution | None = Field(
        default=None,
        description=(
            "Life distribution of a new part (operating hours). Leave it out and give"
            " max_age_h for a pure life limit: the part does not fail in service and is"
            " retired at or before its limit (regulated, life-limited parts)."
        ),
    )
    corrective_action: Literal["replace", "minimal_repair"] | None = Field(
        default=None,
        description=(
            "On failure: 'replace' renews the part; 'minimal_repair' restores it as bad as old."
        ),
    )
    failure_mode: Text | None = Field(
        default=None, max_length=64, description="ISO 14224 failure-mode code (e.g. 'VIB')."
    )
    preventive: WorkSpec | None = Field(default=None, description="Preventive replacement task.")
    corrective: WorkSpec | None = Field(
        default=None,
        description=(
            "Corrective task after failure (not needed for a pure life limit, which never"
            " fails: it defaults to the preventive task there)."
        ),
    )

    spare_part: Ident | None = Field(default=None, description="Inventory part id consumed.")
    parts_per_task: int | None = Field(default=None, ge=1, le=1000)
    skill: Ident | None = Field(default=None, description="Crew skill the work needs.")
    crew_size: int | None = Field(default=None, ge=1, le=100, description="Technicians needed.")
    max_age_h: PositiveHours | None = Field(
        default=None,
        description=(
            "Hard life limit: replace at or before this age, operating hours. Alone (no"
            " life) it states a deterministic life-limited part."
        ),
    )
    max_p_fail: Fraction | None = Field(
        default=None, description="Cap on P(failure before the planned replacement)."
    )


class LifeFit(Model):
    """Where a component type's ``life`` came from when it was fitted to history data
    (``opportune fit --into``); informative, the engine does not use it."""

    source: Text = Field(min_length=1, max_length=500, description="History file name.")
    fitted_on: Day = Field(description="Date of the fit.")
    as_of: Day | None = Field(default=None, description="Censoring date of running units.")
    method: Text = Field(default="maximum likelihood, right censoring", max_length=200)
    n_failures: Count = Field(description="Failure records.")
    n_censored: Count = Field(description="Right-censored records (removals, running units).")
    ci95: dict[str, list[float]] = Field(
        default_factory=dict, description="95% interval of each life parameter."
    )
    aic: dict[str, float] = Field(default_factory=dict, description="AIC of each family tried.")
    warning: Text | None = Field(default=None, max_length=1000)


class ComponentType(ComponentFields):
    """A template for components of the same kind (e.g. a gearbox model)."""

    description: Text | None = Field(default=None, max_length=500)
    life_fit: LifeFit | None = Field(
        default=None, description="Provenance of a fitted life (data source, fit date, AIC)."
    )


class Component(ComponentFields):
    """A maintainable item in a position of a system."""

    model_config = ConfigDict(
        json_schema_extra={
            "not": {
                "description": "give either age_h or installed_on, not both",
                "properties": {"age_h": {"type": "number"}, "installed_on": {"type": "string"}},
                "required": ["age_h", "installed_on"],
            }
        }
    )

    id: Ident = Field(description="Component id (unique in the scenario).")
    type: Ident | None = Field(default=None, description="component_types key to inherit from.")
    position: Ident | None = Field(default=None, description="Slot id; defaults to the id.")
    age_h: Hours | None = Field(default=None, description="Current age, operating hours.")
    installed_on: Day | None = Field(default=None, description="Install date (age from it).")
    prognostics: Prognostics | None = Field(
        default=None, description="Twin prediction overriding the age-based residual life."
    )

    @model_validator(mode="after")
    def _check(self) -> Component:
        if self.age_h is not None and self.installed_on is not None:
            raise PydanticCustomError("age_conflict", "give either age_h or installed_on, not both")
        return self


@dataclass(frozen=True)
class ResolvedComponent:
    """A component with its type's defaults applied (every required field present)."""

    id: str
    position: str
    site_id: str
    system_id: str
    type: str | None
    life: Distribution
    corrective_action: Literal["replace", "minimal_repair"]
    failure_mode: str | None
    preventive: WorkSpec
    corrective: WorkSpec
    spare_part: str | None
    parts_per_task: int
    skill: str
    crew_size: int
    max_age_h: float | None
    max_p_fail: float | None
    age_h: float
    prognostics: Prognostics | None
    path: tuple[str | int, ...]


# --------------------------------------------------------------------------------------
# Fleet structure
# --------------------------------------------------------------------------------------
class RedundancyGroup(Model):
    """k-out-of-n group: the system runs while at least ``k`` members run.

    Active redundancy (default): every member runs and ages.  Standby redundancy
    (``standby``): ``k`` members run, the others wait in standby, in the listed order,
    and one is switched in when a running member fails; the switch fails with
    ``switch_failure_probability`` (that unit then goes to corrective repair and the next
    standby member is tried).  A standby member ages at ``standby_ageing_factor`` times
    the running rate (cold: 0, warm: between 0 and 1) and can fail in standby (warm).  A
    repaired member rejoins as standby when ``k`` members run, else it runs at once.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "description": "warm standby needs standby_ageing_factor",
                    "if": {"properties": {"standby": {"const": "warm"}}, "required": ["standby"]},
                    "then": {
                        "properties": {"standby_ageing_factor": {"type": "number"}},
                        "required": ["standby_ageing_factor"],
                    },
                },
                {
                    "description": "cold standby has standby_ageing_factor 0",
                    "if": {"properties": {"standby": {"const": "cold"}}, "required": ["standby"]},
                    "then": {"properties": {"standby_ageing_factor": {"enum": [None, 0]}}},
                },
                {
                    "description": "standby_ageing_factor and switch_failure_probability"
                    " need standby: cold|warm",
                    "if": {"properties": {"standby": {"type": "null"}}},
                    "then": {
                        "properties": {
                            "standby_ageing_factor": {"type": "null"},
                            "switch_failure_probability": {"const": 0},
                        }
                    },
                },
            ]
        }
    )

    id: Ident
    k: int = Field(ge=1, le=1000, description="Members needed for the system to run.")
    components: list[Ident] = Field(min_length=1, description="Member component ids.")
    standby: Literal["cold", "warm"] | None = Field(
        default=None,
        description="Standby redundancy: members beyond k wait cold or warm; null = active.",
    )
    standby_ageing_factor: Fraction | None = Field(
        default=None,
        description="Ageing rate of a standby member / running rate (cold: 0; warm: required).",
    )
    switch_failure_probability: Fraction = Field(
        default=0.0, description="Probability that switching a standby member in fails."
    )

    @model_validator(mode="after")
    def _check(self) -> RedundancyGroup:
        if self.k > len(self.components):
            raise PydanticCustomError(
                "k_too_large",
                "k={k} exceeds the {n} member(s) of the group",
                {"k": self.k, "n": len(self.components)},
            )
        if self.standby == "warm" and self.standby_ageing_factor is None:
            raise PydanticCustomError("standby", "warm standby needs standby_ageing_factor")
        if self.standby == "cold" and self.standby_ageing_factor not in (None, 0.0):
            raise PydanticCustomError("standby", "cold standby has standby_ageing_factor 0")
        if self.standby is None and (
            self.standby_ageing_factor is not None or self.switch_failure_probability > 0.0
        ):
            raise PydanticCustomError(
                "standby",
                "standby_ageing_factor and switch_failure_probability need standby: cold|warm",
            )
        return self

    @property
    def ageing_factor(self) -> float:
        """Ageing rate of a waiting member relative to a running one (1 when active)."""
        if self.standby is None:
            return 1.0
        return float(self.standby_ageing_factor or 0.0)


class Window(Model):
    """A planned outage or low-demand period in which opening a system is cheaper."""

    start: Instant
    end: Instant
    setup_cost_factor: Fraction = Field(
        default=0.0,
        description="Multiplier on the set-up cost inside the window (0 = already shut down).",
    )
    production_factor: Fraction = Field(
        default=0.0, description="Multiplier on production value inside (0 = no production)."
    )
    note: Text | None = Field(default=None, max_length=500)
    repeat_yearly: bool = Field(
        default=False,
        description=(
            "The window recurs every year on the same dates (annual shutdowns, low-wind"
            " seasons): multi-year simulations and plans see every occurrence. Must be"
            " shorter than a year."
        ),
    )

    @model_validator(mode="after")
    def _check(self) -> Window:
        if self.end <= self.start:
            raise PydanticCustomError("window_order", "end must be after start")
        if self.repeat_yearly and self.end - self.start >= timedelta(days=365):
            raise PydanticCustomError(
                "window_repeat", "a window repeated yearly must be shorter than 365 days"
            )
        return self


class SetupSpec(Model):
    """Cost of opening a system for maintenance."""

    cost: Money = Field(description="Shutdown, mobilization and permits per opening.")
    duration_h: Hours = Field(
        default=0.0, description="Shutdown/start-up time added to the longest job, h."
    )


class System(Model):
    """A unit that stops as a whole for maintenance (a line, a turbine, an elevator bank)."""

    id: Ident
    name: Text | None = Field(default=None, max_length=200)
    production_value_per_h: Money = Field(description="Value of production lost per hour down.")
    value_profile: Ident | None = Field(
        default=None, description="calendar.value_profiles key scaling production value."
    )
    operating_h_per_day: float = Field(
        default=24.0, gt=0, le=24, description="Operating hours per calendar day (ageing)."
    )
    idle_ageing: bool = Field(
        default=False,
        description="Whether components of a stopped system keep ageing (false for most wear).",
    )
    setup: SetupSpec = Field(description="Set-up/shutdown cost per opening.")
    redundancy: list[RedundancyGroup] = Field(
        default_factory=list, description="k-out-of-n groups; other components are in series."
    )
    windows: list[Window] = Field(default_factory=list, description="Maintenance windows.")
    open_only_in_windows: bool = Field(
        default=False, description="If true, the system may be opened only inside windows."
    )
    components: list[Component] = Field(min_length=1)


class Weather(Model):
    """Access weather of a site (simulation only): an alternating calm/rough chain.

    Calm and rough spells alternate; a spell's length is exponential with the mean of
    the calendar month (of the plan start's clock) in which it begins.  Give one value
    (all year) or twelve (January..December).  Without seasonality the long-run calm
    fraction is ``mean_calm_h / (mean_calm_h + mean_rough_h)``.
    """

    mean_calm_h: list[PositiveHours] = Field(
        min_length=1, max_length=12, description="Mean calm spell, h: 1 value or 12 monthly."
    )
    mean_rough_h: list[PositiveHours] = Field(
        min_length=1, max_length=12, description="Mean rough spell, h: 1 value or 12 monthly."
    )
    note: Text | None = Field(default=None, max_length=1000, description="Source, assumptions.")

    @model_validator(mode="after")
    def _check(self) -> Weather:
        for name in ("mean_calm_h", "mean_rough_h"):
            if len(getattr(self, name)) not in (1, 12):
                raise PydanticCustomError(
                    "weather_months", "{name}: give 1 value or 12 monthly values", {"name": name}
                )
        return self

    def monthly_h(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Mean calm and rough spells of the twelve months (January first), h."""
        return (
            tuple(self.mean_calm_h) * (12 // len(self.mean_calm_h)),
            tuple(self.mean_rough_h) * (12 // len(self.mean_rough_h)),
        )


class Site(Model):
    """A plant, wind farm or depot."""

    id: Ident
    name: Text | None = Field(default=None, max_length=200)
    corrective_in_shifts: bool = Field(
        default=False,
        description="Corrective work at this site waits for crew shifts (see Crew).",
    )
    weather: Weather | None = Field(
        default=None,
        description="Access weather (simulation); without it work needing calm never waits.",
    )
    systems: list[System] = Field(min_length=1)


class Fleet(Model):
    """Sites -> systems -> components."""

    sites: list[Site] = Field(min_length=1)


# --------------------------------------------------------------------------------------
# Crews, inventory, calendar
# --------------------------------------------------------------------------------------
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Shift(Model):
    """A daily working shift, local clock times (``end`` may pass midnight)."""

    start: time
    end: time


class Crew(Model):
    """A crew: technicians of some skills, a calendar and rates."""

    id: Ident
    site: Ident | None = Field(default=None, description="Site served; null = every site.")
    skills: list[Ident] = Field(min_length=1)
    headcount: int = Field(ge=1, le=10_000)
    shifts: list[Shift] = Field(
        default_factory=lambda: [Shift(start=time(7, 0), end=time(15, 0))],
        description="Daily shifts; default 07:00-15:00.",
    )
    days_off: list[Weekday] = Field(default_factory=lambda: list[Weekday](["sat", "sun"]))
    holidays: list[Day] = Field(default_factory=list)
    rate_per_h: Money = Field(description="Labour cost per technician-hour.")
    overtime_factor: float = Field(default=1.5, ge=1, le=10)
    response_delay_h: DurationH = Field(
        default=2.0, description="Call-out, travel and mobilization before corrective work, h."
    )
    cost_callout: Money = Field(default=0.0, description="Premium per corrective call-out.")
    corrective_in_shifts: bool = Field(
        default=False,
        description=(
            "Corrective work waits for the crew's next shift (regular rate, no call-out);"
            " false = call-out at any hour."
        ),
    )


class PartOrder(Model):
    """A replenishment order already placed."""

    qty: int = Field(ge=1, le=MAX_COUNT)
    arrival: Instant


class ReorderPolicy(Model):
    """How stock is replenished in simulation: (s, S) or order-on-use."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"policy": {"const": "s_S"}}, "required": ["policy"]},
            "then": {
                "description": "policy s_S needs both s and S",
                "properties": {"s": {"type": "integer"}, "S": {"type": "integer"}},
                "required": ["s", "S"],
            },
        }
    )

    policy: Literal["order_on_use", "s_S", "none"] = "order_on_use"
    s: Count | None = Field(default=None, description="Reorder point (s_S).")
    S: Count | None = Field(default=None, description="Order-up-to level (s_S).")

    @model_validator(mode="after")
    def _check(self) -> ReorderPolicy:
        if self.policy == "s_S":
            if self.s is None or self.S is None:
                raise PydanticCustomError("s_S", "policy s_S needs both s and S")
            if self.S <= self.s:
                raise PydanticCustomError("s_S", "S must exceed s")
        return self


class RepairShop(Model):
    """Repair shop of a rotable (repairable) part.

    A unit removed from a component (failed or preventively replaced) goes to the shop
    and returns to stock when repaired, unless it is scrapped at the shop's incoming
    inspection (the reorder policy then buys its replacement).  The stock position the
    reorder policy looks at is on hand + in repair + on order - waiting demand.
    """

    duration_h: DurationH = Field(
        description="Repair turnaround per unit, h (constant or distribution), queueing excluded."
    )
    channels: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="Units repaired in parallel (FIFO queue beyond); null = unlimited.",
    )
    cost_repair: Money = Field(default=0.0, description="Cost per repaired unit.")
    scrap_probability: Fraction = Field(
        default=0.0,
        description="Probability that a removed unit is beyond repair (scrapped, bought anew).",
    )


class Part(Model):
    """A spare part in a warehouse."""

    id: Ident
    description: Text | None = Field(default=None, max_length=500)
    warehouse: Ident = Field(default="main")
    on_hand: Count = 0
    on_order: list[PartOrder] = Field(default_factory=list)
    lead_time_days: float = Field(ge=0, le=3650)
    cost_unit: Money
    holding_rate_per_year: float = Field(
        default=0.2, ge=0, le=5, description="Holding cost as a fraction of unit cost per year."
    )
    cost_order: Money = Field(default=0.0, description="Fixed cost per purchase order.")
    expedite_lead_time_days: float | None = Field(default=None, ge=0, le=3650)
    cost_expedite_premium: Money = Field(default=0.0, description="Premium per expedited unit.")
    reorder: ReorderPolicy = Field(default_factory=ReorderPolicy)
    repairable: RepairShop | None = Field(
        default=None,
        description="Rotable part: removed units are repaired in this shop and return to stock.",
    )

    @model_validator(mode="after")
    def _check(self) -> Part:
        if (
            self.expedite_lead_time_days is not None
            and self.expedite_lead_time_days > self.lead_time_days
        ):
            raise PydanticCustomError(
                "expedite", "expedite_lead_time_days must not exceed lead_time_days"
            )
        return self


class Inventory(Model):
    """Spare parts."""

    parts: list[Part] = Field(default_factory=list)


class ValueProfile(Model):
    """Multipliers on production value over a week or a year."""

    kind: Literal["weekly", "monthly"]
    multipliers: list[Annotated[float, Field(ge=0, le=100)]] = Field(
        description="7 values Mon..Sun (weekly) or 12 values Jan..Dec (monthly)."
    )

    @model_validator(mode="after")
    def _check(self) -> ValueProfile:
        need = 7 if self.kind == "weekly" else 12
        if len(self.multipliers) != need:
            raise PydanticCustomError(
                "profile_length",
                "a {kind} profile needs {need} multipliers, got {n}",
                {"kind": self.kind, "need": need, "n": len(self.multipliers)},
            )
        return self


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (e.g. ``Europe/Berlin``).

    Raises
    ------
    ValueError
        If the zone database has no such zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # ValueError: a malformed key
        raise ValueError(
            f"unknown IANA time zone {name!r} (e.g. 'Europe/Berlin', 'America/Chicago', 'UTC')"
        ) from exc


class Calendar(Model):
    """Plan start, horizon, period length and the site's time zone."""

    start: Instant = Field(description="Plan start (RFC 3339; naive = UTC).")
    timezone: Text = Field(
        default="UTC",
        min_length=1,
        max_length=64,
        description=(
            "IANA time zone of the site (e.g. Europe/Berlin): shifts, days off and holidays"
            " are its local wall-clock times on every day, daylight-saving changes included,"
            " and timestamps in plans and work orders carry its offset on their own date."
            " Required when start has a UTC offset other than 0 (use Etc/GMT-1 for a fixed"
            " +01:00 without daylight saving)."
        ),
    )
    horizon_days: int = Field(ge=1, le=3650, description="Planning horizon, days.")
    period_days: float = Field(
        default=1.0, gt=0, le=366, description="Length of a planning period, days."
    )
    value_profiles: dict[Ident, ValueProfile] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        time_zone(name)
        return name

    @model_validator(mode="after")
    def _check(self) -> Calendar:
        offset = self.start.utcoffset()
        if "timezone" not in self.model_fields_set and offset:
            # Reading shifts in UTC while the start is written in local time would move
            # every shift by the offset without a word: make the site's zone explicit.
            raise PydanticCustomError(
                "timezone",
                "calendar.start has UTC offset {offset} but calendar.timezone is not set"
                " (default UTC, so shifts would be read in UTC): set calendar.timezone to"
                " the site's IANA zone, e.g. Europe/Berlin",
                {"offset": str(offset)},
            )
        if self.period_days > self.horizon_days:
            raise PydanticCustomError("period", "period_days exceeds horizon_days")
        if self.n_periods > MAX_PERIODS:
            raise PydanticCustomError(
                "period",
                "{n} planning periods, more than {limit} (limit MAX_PERIODS): use longer"
                " periods (period_days) or a shorter horizon",
                {"n": self.n_periods, "limit": MAX_PERIODS},
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone (:attr:`timezone`)."""
        return time_zone(self.timezone)

    @property
    def n_periods(self) -> int:
        """Number of planning periods (the last may be partial)."""
        import math

        return math.ceil(self.horizon_days / self.period_days - 1e-9)


# --------------------------------------------------------------------------------------
# Plan and simulation settings
# --------------------------------------------------------------------------------------
class OpenWorkOrder(Model):
    """Work already known to the CMMS (pinned when released or in progress)."""

    id: Ident
    component: Ident
    status: Literal["planned", "released", "in_progress"] = "released"
    scheduled_start: Instant


class PlanSettings(Model):
    """Scheduler settings."""

    method: Literal["auto", "dp", "milp", "cpsat"] = "auto"
    time_limit_s: float = Field(default=60.0, gt=0, le=86_400)
    gap: float = Field(default=1e-4, ge=0, le=1)
    frozen_until: Instant | None = Field(
        default=None, description="Work starting before this instant is not moved."
    )
    open_work_orders: list[OpenWorkOrder] = Field(default_factory=list)
    repeated_replacements: bool = Field(
        default=False,
        description=(
            "Plan every replacement of each position over the horizon, not only the next"
            " one (multi-year plans): intervals between replacements are priced by the"
            " component's cost functions relative to its long-run rate, every interval"
            " respects max_age_h and max_p_fail, and the part left at the horizon end is"
            " priced by its relative value. Off: only the next replacement is planned."
            " Methods: auto (an exact search when every position's cost is a cost per"
            " replacement, as for life-limited parts with end_state unpriced; else a"
            " Lagrangian decomposition with a proven bound) or milp"
            " (monolithic arc-flow model, small plans). Spare-part stock and crew hours"
            " are not modelled in this mode."
        ),
    )
    end_state: Literal["priced", "unpriced"] = Field(
        default="priced",
        description=(
            "With repeated_replacements: what the plan pays for the part each position"
            " leaves in service at the horizon end. 'priced' (default): its value to the"
            " next horizon, the relative cost of running it on under the optimal renewal"
            " policy (a part that does not fail: the used share of a replacement at its"
            " limit). 'unpriced': only what happens inside the horizon is paid"
            " (replacements, set-ups, expected failures), as in the textbook opportunistic"
            " replacement problem (ORP); the part left must still be within its life limit."
        ),
    )
    end_reserve_days: float = Field(
        default=0.0,
        ge=0,
        le=36_500,
        description=(
            "With repeated_replacements: every part left in service at the horizon end must"
            " stay within its life limit (max_age_h) for at least this many more calendar"
            " days (ORP end-condition variants: survive r periods past the horizon). 0:"
            " within its limit at the horizon end."
        ),
    )


StrategyName = Literal[
    "run-to-failure",
    "fixed-interval",
    "optimal-age",
    "condition-based",
    "predictive",
    "prescriptive",
]
STRATEGIES: tuple[str, ...] = (
    "run-to-failure",
    "fixed-interval",
    "optimal-age",
    "condition-based",
    "predictive",
    "prescriptive",
)


class StrategySpec(Model):
    """A strategy to compare, with its parameters (unused ones must be left out)."""

    name: StrategyName
    interval_h: PositiveHours | None = Field(
        default=None, description="fixed-interval: block replacement interval, h."
    )
    rul_quantile: Fraction | None = Field(
        default=None, description="condition-based: quantile of the twin's RUL watched."
    )
    threshold_h: PositiveHours | None = Field(
        default=None, description="condition-based: replace when that quantile < threshold."
    )
    lead_time_h: Hours | None = Field(
        default=None,
        description=(
            "condition-based: delay from decision to work, h; predictive: plan the work"
            " this many calendar hours before the part's computed optimum (default 0)."
        ),
    )
    age_factor: float | None = Field(
        default=None,
        gt=0,
        le=10,
        description=(
            "optimal-age: replace each part at this multiple of its optimal age t* (default"
            " 1; `compare --tune` searches it)."
        ),
    )
    replan_every_days: float | None = Field(
        default=None,
        gt=0,
        le=366,
        description="predictive, prescriptive: days between re-plans (default 7).",
    )

    @model_validator(mode="after")
    def _only_used_parameters(self) -> StrategySpec:
        used = STRATEGY_PARAMETERS[self.name]
        for name in STRATEGY_PARAMETERS_ALL:
            if getattr(self, name) is not None and name not in used:
                raise PydanticCustomError(
                    "strategy_parameter",
                    "{field} is not a parameter of {strategy} (it takes: {used})",
                    {
                        "field": name,
                        "strategy": self.name,
                        "used": ", ".join(used) or "no parameters",
                    },
                )
        return self


# The parameters each strategy takes (StrategySpec rejects the others).
STRATEGY_PARAMETERS: dict[str, tuple[str, ...]] = {
    "run-to-failure": (),
    "fixed-interval": ("interval_h",),
    "optimal-age": ("age_factor",),
    "condition-based": ("rul_quantile", "threshold_h", "lead_time_h"),
    "predictive": ("replan_every_days", "lead_time_h"),
    "prescriptive": ("replan_every_days",),
}
STRATEGY_PARAMETERS_ALL = (
    "interval_h",
    "rul_quantile",
    "threshold_h",
    "lead_time_h",
    "age_factor",
    "replan_every_days",
)


class SimulationSettings(Model):
    """Monte Carlo settings."""

    seed: int = Field(default=20270101, ge=0, le=2**63 - 1)
    replications: int = Field(default=200, ge=1, le=1_000_000)
    years: float = Field(default=5.0, gt=0, le=100)
    twin_accuracy: Literal["perfect", "good", "poor", "none"] = "good"
    baseline: StrategyName = "run-to-failure"
    strategies: list[StrategySpec] = Field(
        default_factory=lambda: [StrategySpec.model_validate({"name": n}) for n in STRATEGIES]
    )


# --------------------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------------------
ResourceKind = Literal["vessel", "crane", "team", "other"]


class OpenRequestsTrigger(Model):
    """Mobilise a campaign resource when ``n`` requests for it are open (waiting)."""

    rule: Literal["open_requests"]
    n: int = Field(
        default=1,
        ge=1,
        le=MAX_COUNT,
        description="Open requests (jobs waiting for the resource) that trigger a mobilisation.",
    )
    max_wait_days: float | None = Field(
        default=None,
        gt=0,
        le=36_500,
        description=(
            "Mobilise anyway once the oldest open request has waited this many days,"
            " however few requests are open; null = wait for n requests."
        ),
    )


class FixedDatesTrigger(Model):
    """Mobilise a campaign resource at fixed dates (booked campaigns)."""

    rule: Literal["fixed_dates"]
    dates: list[Instant] = Field(
        min_length=1, max_length=1000, description="Instants the mobilisation starts."
    )
    repeat_yearly: bool = Field(
        default=False,
        description="Every date recurs each year on the same calendar day (28 Feb for 29 Feb).",
    )
    mobilise_when_idle: bool = Field(
        default=False,
        description=(
            "Mobilise at a date even when no request is open (a firm booking, paid);"
            " false: the booked slot is dropped at no cost when there is no work."
        ),
    )


ResourceTrigger = Annotated[OpenRequestsTrigger | FixedDatesTrigger, Field(discriminator="rule")]
"""When a campaign resource is mobilised, chosen by its ``rule`` key."""


class Resource(Model):
    """A campaign resource: a vessel, crane or specialist team mobilised for work.

    Work whose task names the resource (``WorkSpec.resource``) waits for it: a request is
    opened, the trigger rule mobilises the resource, which arrives after the
    mobilisation delay, and each job holds one of its ``capacity`` slots for the whole
    job (waiting for calm weather and crews included).  The charter ends when no request
    is open and at least ``min_charter_days`` have passed on site (``charter: fixed``:
    exactly ``min_charter_days`` after arrival, as NREL WOMBAT's ``charter_days``).  Cost: per
    mobilisation ``cost_mobilisation``; per day on site ``cost_per_day`` (prorated,
    at least ``min_charter_days`` per charter); for an owned resource
    ``cost_fixed_per_year`` on top (simulation: cost_models.resource_cost).
    """

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"owned": {"const": True}}, "required": ["owned"]},
            "else": {
                "description": "cost_fixed_per_year needs owned: true",
                "properties": {"cost_fixed_per_year": {"const": 0}},
            },
        }
    )

    id: Ident = Field(description="Resource id (unique), referenced by tasks.")
    name: Text | None = Field(default=None, max_length=200)
    kind: ResourceKind = Field(description="vessel, crane, team or other (informative).")
    owned: bool = Field(
        default=False, description="Owned (fixed annual cost) rather than chartered."
    )
    cost_fixed_per_year: Money = Field(
        default=0.0, description="Fixed cost per year of an owned resource (crew, upkeep)."
    )
    mobilisation_delay_h: DurationH = Field(
        default=0.0,
        description="Trigger to on site, h (constant or distribution): booking, transit.",
    )
    cost_mobilisation: Money = Field(
        default=0.0, description="Cost per mobilisation (and demobilisation)."
    )
    cost_per_day: Money = Field(default=0.0, description="Day rate on site, per 24 h.")
    min_charter_days: float = Field(
        default=0.0,
        ge=0,
        le=3650,
        description="Minimum days on site paid per charter (it stays at least this long).",
    )
    capacity: int = Field(default=1, ge=1, le=1000, description="Jobs the resource works at once.")
    max_jobs_per_day: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description=(
            "Most jobs that may start on the resource per calendar day (jobs/day, local"
            " days of calendar.timezone; simulation), e.g. a jack-up's transfers or a"
            " crane's lifts. A job starts on the resource when it is given a slot (it"
            " then waits for crews, shift and calm weather holding it); further jobs"
            " wait for the next local midnight. Independent of capacity (jobs at once)."
            " Default: no daily limit."
        ),
    )
    charter: Literal["until_idle", "fixed"] = Field(
        default="until_idle",
        description=(
            "When a charter ends. 'until_idle' (default): when no request is open, no job"
            " runs and min_charter_days have passed on site. 'fixed': exactly"
            " min_charter_days after arrival (jobs started by then finish; requests still"
            " open wait for the next mobilisation, which the trigger rule starts at once"
            " if they meet it), as NREL WOMBAT's unscheduled vessels (charter_days)."
        ),
    )
    weather: Weather | None = Field(
        default=None,
        description=(
            "The resource's own access weather (simulation): tasks needing the resource"
            " and calm weather wait for this calm/rough chain (fitted to the"
            " resource's own wave/wind limits) instead of their site's, as NREL WOMBAT's"
            " per-vessel max_waveheight / max_windspeed limits. Drawn from its own stream."
        ),
    )
    trigger: ResourceTrigger = Field(
        default_factory=lambda: OpenRequestsTrigger(rule="open_requests", n=1),
        description="When to mobilise (default: as soon as one request is open).",
    )
    note: Text | None = Field(default=None, max_length=1000, description="Source, assumptions.")

    @field_validator("charter")
    @classmethod
    def _fixed_needs_length(cls, value: str, info: ValidationInfo) -> str:
        if value == "fixed" and not info.data.get("min_charter_days", 0.0) > 0.0:
            raise PydanticCustomError(
                "resource_charter",
                "a fixed charter lasts min_charter_days: give min_charter_days > 0",
            )
        return value

    @field_validator("cost_fixed_per_year")
    @classmethod
    def _owned_only(cls, value: float, info: ValidationInfo) -> float:
        if value > 0.0 and not info.data.get("owned", False):
            raise PydanticCustomError(
                "resource_owned",
                "is the fixed cost of an owned resource: set owned: true (a chartered"
                " resource is paid per mobilisation and day)",
            )
        return value


class ServiceCampaign(Model):
    """A service campaign: preventive replacement of a chosen set of components at given
    dates (simulator), whatever the strategy and whatever part is installed then."""

    id: Ident
    components: list[Ident] = Field(min_length=1, description="Component ids serviced.")
    dates: list[Instant] = Field(min_length=1, description="Planned starts (crew shifts).")
    repeat_annually: bool = Field(
        default=False, description="Repeat every date on the same calendar day each year."
    )


class Scenario(Model):
    """A complete, validated scenario."""

    schema_version: Literal[1] = 1
    name: Text = Field(min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=5000)
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR.")
    calendar: Calendar
    component_types: dict[Ident, ComponentType] = Field(default_factory=dict)
    fleet: Fleet
    crews: list[Crew] = Field(min_length=1)
    inventory: Inventory = Field(default_factory=Inventory)
    plan: PlanSettings = Field(default_factory=PlanSettings)
    simulation: SimulationSettings = Field(default_factory=SimulationSettings)
    campaigns: list[ServiceCampaign] = Field(
        default_factory=list, description="Service campaigns (simulation only)."
    )
    resources: list[Resource] = Field(
        default_factory=list,
        max_length=1000,
        description=(
            "Campaign resources (vessels, cranes, specialist teams) that tasks wait for"
            " (simulation only; the planner ignores them)."
        ),
    )

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Scenario:
        ctx = info.context
        if isinstance(ctx, dict) and "reference_problems" in ctx:
            ctx["reference_problems"].extend(reference_problems(self))
            return self
        problems = reference_problems(self)
        if problems:
            text = "; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in problems)
            raise PydanticCustomError("reference", "{text}", {"text": text})
        return self

    # Convenience views -------------------------------------------------------------
    def systems(self) -> Iterator[tuple[Site, System]]:
        """Every (site, system) pair in file order."""
        for site in self.fleet.sites:
            for system in site.systems:
                yield site, system

    def components(self) -> list[ResolvedComponent]:
        """Every component with its type's defaults applied, in file order."""
        out: list[ResolvedComponent] = []
        for si, site in enumerate(self.fleet.sites):
            for yi, system in enumerate(site.systems):
                for ci, comp in enumerate(system.components):
                    path = ("fleet", "sites", si, "systems", yi, "components", ci)
                    out.append(_resolve(self, site, system, comp, path))
        return out

    def part(self, part_id: str) -> Part:
        """The inventory part with this id."""
        for p in self.inventory.parts:
            if p.id == part_id:
                return p
        raise KeyError(part_id)


_REQUIRED = ("life", "preventive", "corrective", "skill")
LIFE_LIMIT_MARGIN = 1e-9
"""Relative margin of the life of a pure life-limited part beyond its limit."""


def life_limited(max_age_h: float) -> DeterministicSpec:
    """The life of a part stated by its life limit alone (``max_age_h``, no ``life``).

    Such a part does not fail in service: it is retired at or before its limit.  It is
    modelled as a deterministic life just past the limit, ``max_age_h * (1 + 1e-9)``
    (:data:`LIFE_LIMIT_MARGIN`), so that every replacement the limit allows -- including
    one exactly at the limit -- is preventive and no failure is ever expected.  Its
    renewal policy (:func:`optimizer.fleet.fleet_model`) replaces at the limit, at the
    long-run rate ``g* = c_p / max_age_h`` (``c_p``: the preventive cost done alone, set-up
    included); see :func:`is_life_limited`.

    Parameters
    ----------
    max_age_h : float
        Life limit, operating hours (``> 0``).

    Returns
    -------
    DeterministicSpec
    """
    return DeterministicSpec.model_construct(
        distribution="deterministic", life_h=max_age_h * (1.0 + LIFE_LIMIT_MARGIN)
    )


def is_life_limited(comp: ResolvedComponent) -> bool:
    """Whether a resolved component was stated by its life limit alone (no ``life``)."""
    life = comp.life
    return (
        comp.max_age_h is not None
        and isinstance(life, DeterministicSpec)
        and life.life_h == life_limited(comp.max_age_h).life_h
    )


_DEFAULTS: dict[str, Any] = {
    "corrective_action": "replace",
    "parts_per_task": 1,
    "crew_size": 1,
}


def _field(scn: Scenario, comp: Component, name: str) -> Any:
    value = getattr(comp, name)
    if value is None and comp.type is not None and comp.type in scn.component_types:
        value = getattr(scn.component_types[comp.type], name)
    if value is None:
        value = _DEFAULTS.get(name)
    return value


def _age_h(scn: Scenario, system: System, comp: Component) -> float:
    if comp.age_h is not None:
        return comp.age_h
    if comp.installed_on is not None:
        days = (scn.calendar.start - as_instant(comp.installed_on)) / timedelta(days=1)
        return max(0.0, days) * system.operating_h_per_day
    return 0.0


def _resolve(
    scn: Scenario, site: Site, system: System, comp: Component, path: tuple[str | int, ...]
) -> ResolvedComponent:
    vals = {name: _field(scn, comp, name) for name in ComponentFields.model_fields}
    if vals["life"] is None and vals["max_age_h"] is not None:
        vals["life"] = life_limited(float(vals["max_age_h"]))
        if vals["corrective"] is None:
            vals["corrective"] = vals["preventive"]
    missing = [name for name in _REQUIRED if vals[name] is None]
    if missing:
        raise ValueError(f"component {comp.id}: missing {', '.join(missing)}")
    return ResolvedComponent(
        id=comp.id,
        position=comp.position or comp.id,
        site_id=site.id,
        system_id=system.id,
        type=comp.type,
        age_h=_age_h(scn, system, comp),
        prognostics=comp.prognostics,
        path=path,
        **vals,
    )


def _positive_duration(d: DurationH) -> bool:
    """Whether a duration has a positive mean (distributions always do, see _check_mean)."""
    return not isinstance(d, int | float) or d > 0.0


def _preventive_costs_something(scn: Scenario, site: Site, system: System, comp: Component) -> bool:
    """Whether a component's preventive replacement done alone has a positive cost.

    The cost is :func:`optimizer.fleet.fleet_model`'s ``cost_pm_individual``: the task's
    direct cost (lump sum, or parts + labour + other), plus the system's set-up cost, plus
    the production lost during set-up and task when the component stops its system.  It
    is a sum of non-negative terms, so it is positive when one term is; the age-replacement
    optimum divides by it, and the planner and simulator need it > 0.
    """
    pm: WorkSpec | None = _field(scn, comp, "preventive")
    if pm is None:
        return True  # reported as missing
    if pm.cost is not None:
        direct = pm.cost > 0.0
    else:
        ppt = _field(scn, comp, "parts_per_task")
        part_id = _field(scn, comp, "spare_part")
        part = next((p for p in scn.inventory.parts if p.id == part_id), None)
        unit = 0.0 if part is None else part.cost_unit
        if part is not None and part.repairable is not None:  # optimizer.fleet.exchange_cost
            scrap = part.repairable.scrap_probability
            unit = (1.0 - scrap) * part.repairable.cost_repair + scrap * part.cost_unit
        parts = pm.cost_parts if pm.cost_parts is not None else unit * ppt
        skill = _field(scn, comp, "skill")
        rate = min(
            (c.rate_per_h for c in scn.crews if skill in c.skills and c.site in (None, site.id)),
            default=0.0,
        )
        labour = (
            pm.cost_labour > 0.0
            if pm.cost_labour is not None
            else rate > 0.0 and _positive_duration(pm.duration_h)
        )
        direct = parts > 0.0 or labour or pm.cost_other > 0.0
    if direct or system.setup.cost > 0.0:
        return True
    redundant = any(comp.id in g.components and g.k < len(g.components) for g in system.redundancy)
    profile = scn.calendar.value_profiles.get(system.value_profile or "")
    value = system.production_value_per_h * (
        sum(profile.multipliers) if profile is not None else 1.0
    )
    down = system.setup.duration_h > 0.0 or _positive_duration(pm.duration_h)
    return not redundant and value > 0.0 and down


def reference_problems(scn: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-reference and completeness problems of a structurally valid scenario.

    Returns
    -------
    list of (loc, message)
        ``loc`` is the path of the offending field, as in pydantic errors.
    """
    out: list[tuple[tuple[str | int, ...], str]] = []
    parts = {p.id for p in scn.inventory.parts}
    skills = {s for c in scn.crews for s in c.skills}
    site_ids = [s.id for s in scn.fleet.sites]
    profiles = set(scn.calendar.value_profiles)

    def dupes(ids: list[str], loc: tuple[str | int, ...], what: str) -> None:
        seen: set[str] = set()
        for j, x in enumerate(ids):
            if x in seen:
                out.append(((*loc, j, "id"), f"duplicate {what} id '{x}'"))
            seen.add(x)

    dupes(site_ids, ("fleet", "sites"), "site")
    dupes([p.id for p in scn.inventory.parts], ("inventory", "parts"), "part")
    dupes([c.id for c in scn.crews], ("crews",), "crew")
    all_systems: list[str] = []
    all_components: dict[str, tuple[str | int, ...]] = {}
    for tname, ctype in scn.component_types.items():
        loc_t: tuple[str | int, ...] = ("component_types", tname)
        if ctype.spare_part is not None and ctype.spare_part not in parts:
            out.append(((*loc_t, "spare_part"), f"unknown part '{ctype.spare_part}'"))
        if ctype.skill is not None and ctype.skill not in skills:
            out.append(((*loc_t, "skill"), f"no crew has skill '{ctype.skill}'"))
    for si, site in enumerate(scn.fleet.sites):
        for yi, system in enumerate(site.systems):
            loc_s: tuple[str | int, ...] = ("fleet", "sites", si, "systems", yi)
            if system.id in all_systems:
                out.append(((*loc_s, "id"), f"duplicate system id '{system.id}'"))
            all_systems.append(system.id)
            if system.value_profile is not None and system.value_profile not in profiles:
                out.append(
                    ((*loc_s, "value_profile"), f"unknown value profile '{system.value_profile}'")
                )
            if system.open_only_in_windows and not system.windows:
                out.append(((*loc_s, "open_only_in_windows"), "true but the system has no windows"))
            local = {c.id for c in system.components}
            grouped: set[str] = set()
            for gi, grp in enumerate(system.redundancy):
                for mi, member in enumerate(grp.components):
                    if member not in local:
                        out.append(
                            (
                                (*loc_s, "redundancy", gi, "components", mi),
                                f"'{member}' is not a component of system '{system.id}'",
                            )
                        )
                    if member in grouped:
                        out.append(
                            (
                                (*loc_s, "redundancy", gi, "components", mi),
                                f"'{member}' is in more than one redundancy group",
                            )
                        )
                    grouped.add(member)
                    if grp.standby is not None and member in local:
                        limited = next(c for c in system.components if c.id == member)
                        if _field(scn, limited, "max_age_h") is not None:
                            out.append(
                                (
                                    (*loc_s, "redundancy", gi, "components", mi),
                                    f"'{member}' has a life limit (max_age_h): not supported"
                                    " in a standby group",
                                )
                            )
            for ci, comp in enumerate(system.components):
                loc_c = (*loc_s, "components", ci)
                if comp.id in all_components:
                    out.append(((*loc_c, "id"), f"duplicate component id '{comp.id}'"))
                all_components[comp.id] = loc_c
                if comp.type is not None and comp.type not in scn.component_types:
                    out.append(((*loc_c, "type"), f"unknown component type '{comp.type}'"))
                    continue
                pure_limit = (
                    _field(scn, comp, "life") is None and _field(scn, comp, "max_age_h") is not None
                )
                for name in _REQUIRED:
                    if _field(scn, comp, name) is None and not (
                        pure_limit and name in ("life", "corrective")
                    ):
                        src = f" or its type '{comp.type}'" if comp.type else ""
                        hint = (
                            " (or give max_age_h alone for a part retired at its life limit)"
                            if name == "life"
                            else ""
                        )
                        out.append(
                            ((*loc_c, name), f"required: not set on the component{src}{hint}")
                        )
                part = comp.spare_part
                if part is not None and part not in parts:
                    out.append(((*loc_c, "spare_part"), f"unknown part '{part}'"))
                if comp.skill is not None and comp.skill not in skills:
                    out.append(((*loc_c, "skill"), f"no crew has skill '{comp.skill}'"))
                skill = _field(scn, comp, "skill")
                size = _field(scn, comp, "crew_size")
                if skill in skills and size is not None:
                    cap = max(
                        (
                            c.headcount
                            for c in scn.crews
                            if skill in c.skills and c.site in (None, site.id)
                        ),
                        default=0,
                    )
                    if cap == 0:
                        out.append(
                            (
                                (*loc_c, "skill"),
                                f"no crew with skill '{skill}' serves site '{site.id}'",
                            )
                        )
                    elif size > cap:
                        out.append(
                            (
                                (*loc_c, "crew_size"),
                                f"needs {size} technicians of '{skill}', "
                                f"the largest crew has {cap}",
                            )
                        )
                if skill in skills and not _preventive_costs_something(scn, site, system, comp):
                    out.append(
                        (
                            (*loc_c, "preventive"),
                            "a preventive replacement done alone costs nothing (no task,"
                            " parts or labour cost, no set-up cost, no production lost):"
                            " give one of them a cost, or the replacement age is undefined",
                        )
                    )
                if (
                    comp.installed_on is not None
                    and as_instant(comp.installed_on) > scn.calendar.start
                ):
                    out.append(((*loc_c, "installed_on"), "is after the plan start"))
                max_age = _field(scn, comp, "max_age_h")
                period_op_h = scn.calendar.period_days * system.operating_h_per_day
                if scn.plan.repeated_replacements and max_age is not None and max_age < period_op_h:
                    out.append(
                        (
                            (*loc_c, "max_age_h"),
                            f"life limit {max_age:g} h is shorter than one planning period"
                            f" ({period_op_h:g} operating hours): with"
                            " plan.repeated_replacements a new part must last at least one"
                            " period; shorten calendar.period_days",
                        )
                    )
                life = _field(scn, comp, "life")
                if isinstance(life, WeibullSpec | DeterministicSpec):
                    age = _age_h(scn, system, comp)
                    # S(age) = 0 in double precision: the part cannot be running now, and
                    # every residual-life computation would divide by zero.
                    if isinstance(life, WeibullSpec):
                        log_ratio = math.log(age) - math.log(life.scale_h) if age > 0 else 0.0
                        dead = life.shape * log_ratio > 700.0
                    else:
                        dead = max_age is None and age >= life.life_h
                    if dead:
                        out.append(
                            (
                                (*loc_c, "age_h"),
                                f"age {age:g} h is beyond the life distribution's support"
                                " (survival probability 0): the part cannot be running;"
                                " check the age and the type's life",
                            )
                        )
                if max_age is not None and comp.age_h is not None:
                    if comp.age_h > max_age:
                        out.append(
                            (
                                (*loc_c, "age_h"),
                                f"age {comp.age_h:g} h already exceeds max_age_h {max_age:g} h",
                            )
                        )
    for ci, crew in enumerate(scn.crews):
        if crew.site is not None and crew.site not in site_ids:
            out.append((("crews", ci, "site"), f"unknown site '{crew.site}'"))
    for wi, wo in enumerate(scn.plan.open_work_orders):
        if wo.component not in all_components:
            out.append(
                (
                    ("plan", "open_work_orders", wi, "component"),
                    f"unknown component '{wo.component}'",
                )
            )
    names = [s.name for s in scn.simulation.strategies]
    for j, name in enumerate(names):
        if name in names[:j]:
            out.append((("simulation", "strategies", j, "name"), f"duplicate strategy '{name}'"))
    for ki, camp in enumerate(scn.campaigns):
        for mi, member in enumerate(camp.components):
            if member not in all_components:
                out.append((("campaigns", ki, "components", mi), f"unknown component '{member}'"))
    out.extend(_resource_problems(scn))
    return out


def _resource_problems(scn: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Duplicate resource ids and tasks naming an unknown resource (with their paths)."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    ids = [r.id for r in scn.resources]
    for j, rid in enumerate(ids):
        if rid in ids[:j]:
            out.append((("resources", j, "id"), f"duplicate resource id '{rid}'"))
    known = set(ids)

    def check(fields: ComponentFields, loc: tuple[str | int, ...]) -> None:
        for task in ("preventive", "corrective"):
            work: WorkSpec | None = getattr(fields, task)
            if work is not None and work.resource is not None and work.resource not in known:
                hint = f" (known: {', '.join(sorted(known))})" if known else " (none defined)"
                out.append(((*loc, task, "resource"), f"unknown resource '{work.resource}'{hint}"))

    for tname, ctype in scn.component_types.items():
        check(ctype, ("component_types", tname))
    for si, site in enumerate(scn.fleet.sites):
        for yi, system in enumerate(site.systems):
            for ci, comp in enumerate(system.components):
                check(comp, ("fleet", "sites", si, "systems", yi, "components", ci))
    return out


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (draft 2020-12), as generated by pydantic."""
    schema = Scenario.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://opportune.example/schemas/scenario-v1.json"
    return schema


def scenario_summary(scn: Scenario) -> Mapping[str, Any]:
    """Counts that describe a scenario (for ``validate`` and ``info``)."""
    comps = scn.components()
    return {
        "name": scn.name,
        "currency": scn.currency,
        "sites": len(scn.fleet.sites),
        "systems": sum(1 for _ in scn.systems()),
        "components": len(comps),
        "with_prognostics": sum(1 for c in comps if c.prognostics is not None),
        "crews": len(scn.crews),
        "technicians": sum(c.headcount for c in scn.crews),
        "parts": len(scn.inventory.parts),
        "plan_start": scn.calendar.start.astimezone(scn.calendar.zone).isoformat(),
        "timezone": scn.calendar.timezone,
        "horizon_days": scn.calendar.horizon_days,
        "period_days": scn.calendar.period_days,
        "periods": scn.calendar.n_periods,
    }
