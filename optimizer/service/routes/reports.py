"""HTML reports: ``GET /v1/strategy-runs/{run_id}/report`` and
``GET /v1/whatif-runs/{run_id}/report``."""

from __future__ import annotations

import gzip
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from optimizer.service import runs as R
from optimizer.service.context import Ctx, TenantId
from optimizer.service.openapi import PROBLEM_RESPONSES, problem_doc
from optimizer.service.problems import ProblemError

router = APIRouter()
# No docstring on the handler: FastAPI would publish it as the operation's description.


async def _report(ctx: Ctx, run_id: str, tenant_id: int, request: Request, kind: str) -> Any:
    run = await to_thread.run_sync(
        lambda: R.get_run(ctx.store, tenant_id, run_id, kind, with_result=False)
    )
    art = await to_thread.run_sync(R.get_artifact, ctx.store, run_id, "report.html")
    if art is not None:
        headers = {"Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(art.content_gzip, media_type=art.media_type, headers=headers)
        html = await to_thread.run_sync(gzip.decompress, art.content_gzip)
        return Response(html, media_type=art.media_type, headers=headers)
    if run.status in ("queued", "running"):
        raise ProblemError(
            409,
            "run-not-completed",
            f"run {run_id} is {run.status}; its report is written when it completes",
            title="No report yet",
        )
    raise ProblemError(
        404,
        "report-unavailable",
        f"run {run_id} ({run.status}) has no report; see its result notes or problem",
        title="Report not available",
    )


REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    404: problem_doc("Unknown run, or no report (rendering failed: see the run's notes)"),
    409: problem_doc("The run has not completed"),
    200: {"content": {"text/html": {}}, "description": "Self-contained HTML report"},
}


@router.get(
    "/strategy-runs/{run_id}/report",
    response_class=HTMLResponse,
    responses=REPORT_RESPONSES,
    summary="HTML report of a strategy comparison",
    operation_id="strategy_run_report",
)
async def strategy_report(ctx: Ctx, run_id: str, tenant_id: TenantId, request: Request) -> Any:
    return await _report(ctx, run_id, tenant_id, request, "strategy")


@router.get(
    "/whatif-runs/{run_id}/report",
    response_class=HTMLResponse,
    responses=REPORT_RESPONSES,
    summary="HTML report of a what-if study",
    operation_id="whatif_run_report",
)
async def whatif_report(ctx: Ctx, run_id: str, tenant_id: TenantId, request: Request) -> Any:
    return await _report(ctx, run_id, tenant_id, request, "whatif")
