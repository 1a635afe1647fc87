"""HTML reports: ``GET /v1/strategy-runs/{run_id}/report`` and
``GET /v1/whatif-runs/{run_id}/report``.

Reports are served under a strict Content-Security-Policy: scripts run only when their
exact text is the report's own (each inline ``<script>`` block is listed by its SHA-256
hash, so an event-handler attribute or a script that was not in the stored report never
runs), nothing is loaded from anywhere, and the page is sandboxed (a unique origin: it
can read no cookie or storage of the API's origin).
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import re
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from optimizer.service import runs as R
from optimizer.service.context import Ctx, TenantId
from optimizer.service.openapi import PROBLEM_RESPONSES, problem_doc
from optimizer.service.problems import ProblemError

router = APIRouter()
# No docstring on the handlers: FastAPI would publish it as the operation's description.

SCRIPT_RE = re.compile(rb"<script(?:\s[^>]*)?>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
CSP_FIXED = (
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src data:",
    "font-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "sandbox allow-scripts",
)
"""Every directive but ``script-src`` (which lists the report's own scripts)."""

Download = Annotated[
    bool,
    Query(description="Serve the report as an attachment (a file to save) instead of a page."),
]


@functools.lru_cache(maxsize=64)
def content_security_policy(content_gzip: bytes) -> str:
    """The CSP of a stored report: its own inline scripts (by hash) and nothing else.

    Parameters
    ----------
    content_gzip : bytes
        The gzip-compressed HTML as stored (artifacts never change: cached by content).

    Returns
    -------
    str
        The ``Content-Security-Policy`` header value.
    """
    html = gzip.decompress(content_gzip)
    hashes = sorted(
        {
            "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
            for m in SCRIPT_RE.finditer(html)
        }
    )
    script_src = "script-src " + (" ".join(hashes) if hashes else "'none'")
    return "; ".join((*CSP_FIXED[:1], script_src, *CSP_FIXED[1:]))


async def _report(
    ctx: Ctx, run_id: str, tenant_id: int, request: Request, kind: str, download: bool
) -> Any:
    run = await to_thread.run_sync(
        lambda: R.get_run(ctx.store, tenant_id, run_id, kind, with_result=False)
    )
    art = await to_thread.run_sync(R.get_artifact, ctx.store, run_id, "report.html")
    if art is not None:
        csp = await to_thread.run_sync(content_security_policy, art.content_gzip)
        how = "attachment" if download else "inline"
        headers = {
            "Vary": "Accept-Encoding",
            "Content-Security-Policy": csp,
            "Content-Disposition": f'{how}; filename="{kind}-run-{run.id}.html"',
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "private, no-cache",
        }
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
async def strategy_report(
    ctx: Ctx, run_id: str, tenant_id: TenantId, request: Request, download: Download = False
) -> Any:
    return await _report(ctx, run_id, tenant_id, request, "strategy", download)


@router.get(
    "/whatif-runs/{run_id}/report",
    response_class=HTMLResponse,
    responses=REPORT_RESPONSES,
    summary="HTML report of a what-if study",
    operation_id="whatif_run_report",
)
async def whatif_report(
    ctx: Ctx, run_id: str, tenant_id: TenantId, request: Request, download: Download = False
) -> Any:
    return await _report(ctx, run_id, tenant_id, request, "whatif", download)
