"""System risk ranking, synchronous: ``POST /v1/risk``.

The body is ``{"config": {"days": 30, ...}, "input": <scenario>}`` (:class:`RiskRequest`);
the answer (200) is what ``opportune risk --json`` prints: every system's probability of
being stopped by a failure within ``days``, production at risk, health score and drivers
(:func:`optimizer.risk.system_risk`).  Unlike the runs, the work is done in the request
because it is bounded and short: a body over 16 KiB is parsed and validated in a
validation process (``OPPORTUNE_VALIDATE_PROCESSES``, as the run submissions; it holds
the GIL, so a thread would stall the event loop), the assessment in a worker thread:

* exact: linear in the number of components (a 10,000-component fleet takes ~0.4 s, see
  ``benchmarks/README.md``) plus ``O(n^3)`` per redundancy group of ``n`` members (at most
  1,000 by the scenario schema); the body size limit of the service bounds the fleet;
* ``repair=true``: ``replications`` x the components of the systems with redundancy is
  capped at :data:`MAX_SIMULATED_DRAWS` (422 beyond, naming ``/config/replications``).

Errors: 400 (not JSON), 415 (not JSON content), 422 with every problem and its JSON
pointer (``/config/...``, ``/input/...``), like the run submissions.
"""

from __future__ import annotations

import json
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request
from pydantic import ValidationError

from optimizer.loading import ScenarioError, parse_scenario
from optimizer.risk import system_risk
from optimizer.scenario import Scenario
from optimizer.service.context import Ctx, TenantId
from optimizer.service.openapi import PROBLEM_RESPONSES, problem_doc
from optimizer.service.problems import ProblemError
from optimizer.service.schemas import RiskAnswer, RiskConfig, RiskEnvelope
from optimizer.service.submissions import INLINE_PREPARE_BYTES, envelope_errors

router = APIRouter()
# No docstring on the handler: FastAPI would publish it as the operation's description.

MAX_SIMULATED_DRAWS = 20_000_000
"""Cap on ``replications`` x components of the systems simulated with ``repair``."""

BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RiskRequest"}}},
    }
}


def parse_risk_request(raw: bytes) -> tuple[RiskConfig, Scenario]:
    """Validate a ``POST /v1/risk`` body; every problem is listed with a JSON pointer.

    Raises
    ------
    ProblemError
        400 (not JSON) or 422 (invalid), with ``errors``.
    """
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ProblemError(
            400, "malformed-json", f"the body is not valid JSON: {exc}", title="Malformed JSON"
        ) from None
    if not isinstance(data, dict):
        raise ProblemError(
            422,
            "validation-error",
            "the request body must be a JSON object",
            title="Invalid request",
            errors=[{"pointer": "", "detail": "must be an object with config and input"}],
        )
    errors: list[dict[str, Any]] = []
    envelope: RiskEnvelope | None = None
    try:
        envelope = RiskEnvelope.model_validate({k: v for k, v in data.items() if k != "input"})
    except ValidationError as exc:
        errors.extend(envelope_errors(exc))
    scn: Scenario | None = None
    inp = data.get("input")
    if inp is None:
        errors.append({"pointer": "/input", "detail": "required field is missing"})
    elif not isinstance(inp, dict):
        errors.append({"pointer": "/input", "detail": "must be an object (a scenario)"})
    else:
        try:
            scn = parse_scenario(inp)
        except ScenarioError as exc:
            errors.extend(
                {"pointer": "/input" + p.as_dict()["pointer"], "detail": p.message}
                for p in exc.problems
            )
        except ValueError as exc:
            errors.append({"pointer": "/input", "detail": str(exc)[:500]})
    if envelope is not None and scn is not None and envelope.config.repair:
        simulated = sum(
            len(s.components)
            for _, s in scn.systems()
            if any(g.k < len(g.components) for g in s.redundancy)
        )
        if envelope.config.replications * simulated > MAX_SIMULATED_DRAWS:
            errors.append(
                {
                    "pointer": "/config/replications",
                    "detail": f"replications x {simulated} simulated component(s) must be at "
                    f"most {MAX_SIMULATED_DRAWS:,} on this server",
                }
            )
    if errors or envelope is None or scn is None:
        raise ProblemError(
            422,
            "validation-error",
            f"the request has {len(errors)} problem(s)",
            title="Invalid request",
            errors=errors,
        )
    return envelope.config, scn


def _risk(cfg: RiskConfig, scn: Scenario) -> dict[str, Any]:
    try:
        res = system_risk(
            scn, cfg.days, repair=cfg.repair, replications=cfg.replications, seed=cfg.seed
        )
    except ValueError as exc:  # a valid scenario the model cannot price (e.g. a twin's RUL)
        raise ProblemError(
            422,
            "validation-error",
            "the scenario cannot be assessed",
            title="Invalid request",
            errors=[{"pointer": "/input", "detail": str(exc)[:500]}],
        ) from None
    return res.as_dict()


@router.post(
    "/risk",
    response_model=RiskAnswer,
    responses={
        **{k: v for k, v in PROBLEM_RESPONSES.items() if k != 404},
        400: problem_doc("Body is not JSON"),
        413: problem_doc("Body over the size limit"),
        415: problem_doc("Body is not application/json"),
    },
    summary="System risk ranking over the next days (synchronous)",
    operation_id="risk",
    openapi_extra=BODY_DOC,
)
async def risk(request: Request, tenant_id: TenantId, ctx: Ctx) -> Any:
    ctype = request.headers.get("content-type", "application/json").lower()
    if "json" not in ctype:
        raise ProblemError(
            415,
            "unsupported-media-type",
            f"send the body as application/json (got {ctype!r})",
            title="Unsupported media type",
        )
    raw = await request.body()
    validators = ctx.validators
    if len(raw) <= INLINE_PREPARE_BYTES or validators is None:
        cfg, scn = await to_thread.run_sync(parse_risk_request, raw)
    else:
        # validation holds the GIL (a thread would stall the event loop): another process
        cfg, scn = await validators.call(parse_risk_request, len(raw), raw)
    return await to_thread.run_sync(_risk, cfg, scn)
