"""The OpenAPI document: shared response descriptions, and the request-body schemas."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from optimizer.service.schemas import (
    RiskRequest,
    ScheduleRunRequest,
    StrategyRunRequest,
    WhatIfRunRequest,
)
from optimizer.service.settings import ServiceSettings


def problem_doc(description: str) -> dict[str, Any]:
    """OpenAPI response of a problem document."""
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_doc("Missing or unknown API key"),
    404: problem_doc("Unknown run (or another tenant's)"),
    422: problem_doc("Invalid request: every problem with a JSON pointer"),
}
"""The error answers of every authenticated run endpoint."""


RUN_LINKS = {
    "schedule": ("get_schedule_run", "cancel_schedule_run", "schedule_run_events"),
    "strategy": (
        "get_strategy_run",
        "cancel_strategy_run",
        "strategy_run_events",
        "strategy_run_report",
    ),
    "whatif": ("get_whatif_run", "cancel_whatif_run", "whatif_run_events", "whatif_run_report"),
}
"""Operations that take the ``run_id`` a submission answers with (OpenAPI links)."""


def add_links(doc: dict[str, Any]) -> None:
    """Link each submission's 202 answer to the operations on the run it created.

    ``run_id`` is the answer's ``id`` (``$response.body#/id``): clients and stateful
    API testers (schemathesis) follow the run's lifecycle from the document alone.
    """
    for path_item in doc.get("paths", {}).values():
        post = path_item.get("post")
        if not post or not str(post.get("operationId", "")).startswith("submit_"):
            continue
        kind = post["operationId"].removeprefix("submit_").removesuffix("_run")
        accepted = post.get("responses", {}).get("202")
        if accepted is None or kind not in RUN_LINKS:
            continue
        accepted["links"] = {
            op: {
                "operationId": op,
                "parameters": {"run_id": "$response.body#/id"},
                "description": f"{op} of the run just accepted",
            }
            for op in RUN_LINKS[kind]
        }


def server_limits(doc: dict[str, Any], settings: ServiceSettings) -> None:
    """State this server's own limits in the request schemas.

    The request models allow what any server may accept; this one refuses more (its
    ``max_time_limit_s`` and ``strategy_max_replications``): the document says so, so
    that a request valid by the document is accepted.
    """
    schemas = doc.get("components", {}).get("schemas", {})
    caps = {
        ("ScheduleConfig", "time_limit_s"): settings.max_time_limit_s,
        ("StrategyConfig", "time_limit_s"): settings.max_time_limit_s,
        ("StrategyConfig", "replications"): settings.strategy_max_replications,
        ("WhatIfConfig", "time_limit_s"): settings.max_time_limit_s,
        ("WhatIfConfig", "replications"): settings.strategy_max_replications,
    }
    for (model, field), cap in caps.items():
        prop = schemas.get(model, {}).get("properties", {}).get(field)
        if prop is None:
            continue
        for branch in prop.get("anyOf", [prop]):
            if branch.get("type") in ("number", "integer") and branch.get("maximum", cap) >= cap:
                branch["maximum"] = cap
                branch.pop("exclusiveMaximum", None)


def install_openapi(app: FastAPI) -> None:
    """Add the request-body schemas (with the scenario schema) to the OpenAPI document.

    The submission routes read their body themselves (see
    :mod:`optimizer.service.routes.runs`), so FastAPI does not know its model; the
    document refers to ``ScheduleRunRequest`` / ``StrategyRunRequest`` /
    ``WhatIfRunRequest``, added here.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        _, defs = models_json_schema(
            [
                (ScheduleRunRequest, "validation"),
                (StrategyRunRequest, "validation"),
                (WhatIfRunRequest, "validation"),
                (RiskRequest, "validation"),
            ],
            ref_template="#/components/schemas/{model}",
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in defs.get("$defs", {}).items():
            if name in schemas and schemas[name] != schema:
                raise RuntimeError(f"OpenAPI component name clash: {name}")
            schemas[name] = schema
        add_links(doc)
        ctx = getattr(app.state, "ctx", None)
        if ctx is not None:
            server_limits(doc, ctx.settings)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
