"""Request and response models of the HTTP API (they generate the OpenAPI document).

Requests are validated in two steps so that *every* problem is reported at once with a
JSON pointer: the envelope (``config``, ``base_run_id``) by the models below, and the
``input`` scenario by :func:`optimizer.loading.parse_scenario`, whose problems are
re-rooted under ``/input``.  Response models use ``extra="allow"``: a field the core
adds later is passed through rather than rejected.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from optimizer.scenario import Scenario, StrategyName

RunStatus = Literal["queued", "running", "completed", "time_limit", "failed", "cancelled"]
RunKind = Literal["schedule", "strategy", "whatif"]
RUN_ID_PATTERN = r"^[0-9a-fA-F-]{36}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# ----------------------------------------------------------------------------------------
# requests
# ----------------------------------------------------------------------------------------
class ScheduleConfig(_Strict):
    """Solver settings of a schedule run; unset fields use the scenario's ``plan``."""

    time_limit_s: float | None = Field(
        default=None, gt=0, le=86_400, description="Solver time limit, s (capped by the server)."
    )
    gap: float | None = Field(default=None, ge=0, le=1, description="Relative optimality gap.")
    method: Literal["auto", "dp", "milp", "cpsat"] | None = Field(
        default=None, description="Scheduler backend (auto: the fastest exact one)."
    )
    seed: int | None = Field(
        default=None,
        ge=0,
        le=2**63 - 1,
        description="Random seed (recorded; the planners are deterministic).",
    )


class ScheduleEnvelope(_Strict):
    """A schedule-run request without its scenario (validated first)."""

    config: ScheduleConfig = Field(default_factory=ScheduleConfig)
    base_run_id: str | None = Field(
        default=None,
        pattern=RUN_ID_PATTERN,
        description=(
            "Re-plan from this earlier schedule run: its plan is the warm start (when the "
            "component set matches); without `input`, its input is reused."
        ),
    )


class ScheduleRunRequest(ScheduleEnvelope):
    """Body of ``POST /v1/schedule-runs``."""

    input: Scenario | None = Field(
        default=None,
        description=(
            "The scenario (the same document as a scenario file, as JSON). Required unless "
            "base_run_id is given. Released / in-progress plan.open_work_orders are pinned."
        ),
    )


class StrategyConfig(_Strict):
    """Monte Carlo settings of a strategy run; unset fields use the scenario's ``simulation``."""

    time_limit_s: float | None = Field(
        default=None, gt=0, le=86_400, description="Wall-clock limit of the run, s."
    )
    replications: int | None = Field(default=None, ge=1, le=1_000_000)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    years: float | None = Field(default=None, gt=0, le=100, description="Simulated years.")
    twin_accuracy: Literal["perfect", "good", "poor", "none"] | None = None
    strategies: list[StrategyName] | None = Field(
        default=None,
        min_length=1,
        description="Strategies to compare (parameters from simulation.strategies).",
    )
    baseline: StrategyName | None = None


class StrategyEnvelope(_Strict):
    """A strategy-run request without its scenario."""

    config: StrategyConfig = Field(default_factory=StrategyConfig)


class StrategyRunRequest(StrategyEnvelope):
    """Body of ``POST /v1/strategy-runs``."""

    input: Scenario


class WhatIfConfig(_Strict):
    """Options and Monte Carlo settings of a what-if run (``opportune whatif``)."""

    options: list[str] = Field(
        min_length=1,
        max_length=12,
        description=(
            "The options, the first being the reference: 'replace C1-GBX on 2027-01-12',"
            " 'replace C1-GBX and C1-MOT on 2027-01-19', 'defer C1-GBX'."
        ),
    )
    time_limit_s: float | None = Field(
        default=None, gt=0, le=86_400, description="Solver time limit per option, s."
    )
    replications: int | None = Field(default=None, ge=2, le=1_000_000)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    days: float | None = Field(
        default=None, gt=0, le=36_500, description="Simulated days (default: the horizon)."
    )
    hold: bool = Field(
        default=False,
        description="Hold the rest of the fleet to the current plan (default: re-plan it).",
    )


class WhatIfEnvelope(_Strict):
    """A what-if request without its scenario."""

    config: WhatIfConfig


class WhatIfRunRequest(WhatIfEnvelope):
    """Body of ``POST /v1/whatif-runs``."""

    input: Scenario


RISK_MAX_REPLICATIONS = 100_000
"""Largest ``config.replications`` of ``POST /v1/risk`` (its work is bounded: see the route)."""


class RiskConfig(_Strict):
    """Settings of a risk ranking (``POST /v1/risk``)."""

    days: float = Field(default=30.0, gt=0, le=3650, description="Window, calendar days.")
    repair: bool = Field(
        default=False,
        description="Systems with redundancy: Monte Carlo with failed members repaired in "
        "the window instead of the exact no-repair probability.",
    )
    replications: int = Field(
        default=10_000,
        ge=1,
        le=RISK_MAX_REPLICATIONS,
        description="Monte Carlo replications per simulated system (repair only).",
    )
    seed: int = Field(default=0, ge=0, le=2**63 - 1, description="Random seed (repair only).")


class RiskEnvelope(_Strict):
    """A risk request without its scenario (validated first)."""

    config: RiskConfig = Field(default_factory=RiskConfig)


class RiskRequest(RiskEnvelope):
    """Body of ``POST /v1/risk``."""

    input: Scenario


# ----------------------------------------------------------------------------------------
# responses
# ----------------------------------------------------------------------------------------
class RiskDriver(_Open):
    """A component of a system, by its Birnbaum importance."""

    component_id: str
    importance: float = Field(description="P(system up | part up) - P(system up | part down).")
    p_fail: float
    renewal_drop: float = Field(description="Drop of p_down if the part were renewed today.")
    loss_reduction: float


class RiskSystem(_Open):
    """One system's risk over the window."""

    rank: int
    system_id: str
    site_id: str
    name: str | None
    p_down: float = Field(description="P(the system is stopped by a failure in the window).")
    p_down_ci: list[float] | None = Field(description="95% interval (simulation only).")
    expected_loss: float = Field(description="Production value at risk, scenario currency.")
    outage_h: float
    health: float = Field(description="100 x (1 - p_down).")
    method: str
    drivers: list[RiskDriver]


class RiskAnswer(_Open):
    """Risk ranking of every system (``opportune risk --json``)."""

    scenario: str
    currency: str
    start: str
    days: float
    expected_loss: float
    health_score: str
    systems: list[RiskSystem]
    components: list[dict[str, Any]]


class ProblemEntry(_Open):
    """One problem of a request: where (pointer / parameter / header) and what."""

    detail: str
    pointer: str | None = None
    parameter: str | None = None
    header: str | None = None


class Problem(_Open):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemEntry] | None = None


class Links(_Open):
    """Where to find a run and what can be done with it."""

    self: str
    events: str
    cancel: str
    report: str | None = None
    base_run: str | None = None


class RunAccepted(_Open):
    """Answer to a run submission (202)."""

    id: str
    kind: RunKind
    status: RunStatus
    created_at: str = Field(description="RFC 3339 with offset.")
    links: Links


class Timings(_Open):
    """Where the time went, seconds."""

    queue_wait_s: float | None = None
    run_s: float | None = None


class Labor(_Open):
    skill: str
    qty: int
    hours: float


class Material(_Open):
    part_id: str
    qty: int
    available_on: str | None = None


class WorkOrder(_Open):
    """A scheduled work order, in a CMMS's vocabulary."""

    id: str
    asset_id: str
    site_id: str
    position_id: str
    component_id: str
    work_type: str
    scheduled_start: str
    scheduled_finish: str
    duration_h: float
    labor: list[Labor]
    materials: list[Material]
    group_id: str
    expected_cost: float
    p_fail_before_start: float
    target_date: str | None = None
    pinned: bool = False
    reasons: list[str]


class Group(_Open):
    group_id: str
    unit: str
    start: str
    components: list[str]
    opening_cost: float
    penalty_cost: float


class Deferred(_Open):
    component_id: str
    asset_id: str
    p_fail_within_horizon: float
    risk_cost: float
    reason: str


class WarmStart(_Open):
    base_run_id: str
    used: bool
    note: str


class ScheduleResult(_Open):
    """The plan of a schedule run (``null`` numbers: not finite, e.g. no feasible plan)."""

    scenario: str
    currency: str
    plan_start: str
    periods: int
    period_h: float
    method: str
    status: str = Field(description="Solver status: optimal, feasible, time_limit, infeasible.")
    objective: float | None
    lower_bound: float | None
    gap: float | None
    runtime_s: float
    timings_s: dict[str, float]
    cost_split: dict[str, float | None] = Field(
        description="The objective's terms (relative to each part's long-run cost rate); they"
        " sum to objective."
    )
    cost_basis: str | None = Field(
        default=None, description="What objective and budget measure (objective vs cash)."
    )
    budget: dict[str, float] = Field(
        default_factory=dict,
        description="Cash the plan spends in the horizon by term, with their total.",
    )
    diagnosis: list[str] = Field(description="Why no feasible plan exists (empty if one does).")
    log: list[str]
    groups: list[Group]
    work_orders: list[WorkOrder]
    deferred: list[Deferred]
    assignment: dict[str, str | None] = Field(
        description="Planned start per component (null: beyond the horizon)."
    )
    warm_start: WarmStart | None = None
    notes: list[str] = Field(default_factory=list)


class RunView(_Open):
    """A run: status, the best plan so far, objective, bound, gap and timings."""

    id: str
    kind: RunKind
    status: RunStatus
    created_at: str
    started_at: str | None
    finished_at: str | None
    updated_at: str
    attempts: int
    config: dict[str, Any]
    base_run_id: str | None = None
    plan_status: str | None = None
    objective: float | None = None
    lower_bound: float | None = None
    gap: float | None = None
    timings: Timings
    result: ScheduleResult | dict[str, Any] | None = None
    problem: Problem | None = None
    links: Links


class RunSummary(_Open):
    """A run in a listing (no result)."""

    id: str
    kind: RunKind
    status: RunStatus
    created_at: str
    finished_at: str | None
    objective: float | None = None
    gap: float | None = None
    links: Links


class RunList(_Open):
    items: list[RunSummary]
    next_before: str | None = Field(
        default=None, description="Pass as ?before= to get the next (older) page."
    )


class Health(_Open):
    status: Literal["ok"]


class Ready(_Open):
    status: Literal["ready", "not_ready"]
    database: str
    workers_alive: int
    workers_expected: int
