"""Fleet benchmarking, synchronous: ``POST /v1/benchmark``.

The body carries life records (one per part life: hours and whether it ended in a
failure) and the options of :func:`optimizer.cmms.benchmark.benchmark`; the answer is
the comparison of every site (or asset) with the rest of its fleet.  Fitting a few
thousand records takes well under a second, so there is no run to poll.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pandas as pd
from anyio import to_thread
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from optimizer.cmms.benchmark import benchmark
from optimizer.service.context import TenantId
from optimizer.service.openapi import problem_doc
from optimizer.service.problems import ProblemError

router = APIRouter()

MAX_RECORDS = 100_000
Name = Annotated[str, Field(min_length=1, max_length=128)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class LifeRecord(_Model):
    """One part life."""

    asset_id: Name = Field(description="Position (asset) the part served.")
    type: Name = Field(description="Component type (like components are compared).")
    site: str = Field(default="", max_length=128, description="Site (needed with by=site).")
    hours: float = Field(gt=0, le=1e7, description="Operating hours of the life, h.")
    failed: bool = Field(description="True: ended in a failure; false: right-censored.")


class BenchmarkConfig(_Model):
    """Options (see ``opportune benchmark``)."""

    by: Literal["site", "asset"] = "site"
    family: Literal["weibull", "lognormal"] = "weibull"
    alpha: float = Field(default=0.05, ge=1e-6, le=0.5, description="False-alarm rate per type.")


class BenchmarkRequest(_Model):
    """Records and options."""

    config: BenchmarkConfig = Field(default_factory=BenchmarkConfig)
    records: list[LifeRecord] = Field(min_length=1, max_length=MAX_RECORDS)


class GroupResult(_Model):
    """One site's (or asset's) comparison; ``null`` where it was not tested."""

    type: str
    group: str
    n_failures: int
    n_censored: int
    mean_life_h: float | None
    mean_life_ci95_h: list[float | None]
    rest_mean_life_h: float | None
    rest_mean_life_ci95_h: list[float | None]
    fleet_mean_life_h: float | None
    lr_stat: float | None
    p_value: float | None
    threshold: float | None
    differs: bool
    flagged: bool
    note: str


class BenchmarkResult(_Model):
    """The comparison of every group; ``flagged`` lists the under-performers."""

    by: str
    family: str
    alpha: float
    method: str
    groups: list[GroupResult]
    flagged: list[str]


def _run(body: BenchmarkRequest) -> dict[str, Any]:
    lives = pd.DataFrame([r.model_dump() for r in body.records])
    res = benchmark(lives, by=body.config.by, family=body.config.family, alpha=body.config.alpha)
    return res.as_dict()


# No docstring on the handler: FastAPI would publish it as the operation's description.
@router.post(
    "/benchmark",
    response_model=BenchmarkResult,
    responses={
        401: problem_doc("Missing or unknown API key"),
        422: problem_doc("Invalid request: every problem with a JSON pointer"),
    },
    summary="Fleet benchmarking: sites or assets against the rest of the fleet",
    operation_id="benchmark",
)
async def post_benchmark(body: BenchmarkRequest, tenant_id: TenantId) -> Any:
    if body.config.by == "site":
        missing = [i for i, r in enumerate(body.records) if not r.site]
        if missing:
            raise ProblemError(
                422,
                "validation-error",
                f"/records/{missing[0]}/site: empty, but config.by is 'site' "
                f"({len(missing)} record(s) without a site)",
                title="Invalid request",
            )
    return await to_thread.run_sync(_run, body)
