"""The JSON views of runs: what ``GET``, ``POST`` (202) and the run listing answer.

Pure functions of a stored :class:`~optimizer.service.db.Run` (no database access),
so the routes and the submission writer build the same documents.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from optimizer.service.db import Run, RunEvent

PATHS = {
    "schedule": "/v1/schedule-runs",
    "strategy": "/v1/strategy-runs",
    "whatif": "/v1/whatif-runs",
}
"""Collection path of each run kind."""


def rfc3339(dt: datetime | None) -> str | None:
    """``2027-01-04T05:00:00.000+00:00`` (UTC, with offset), or None."""
    return None if dt is None else dt.isoformat(timespec="milliseconds")


def links(kind: str, run_id: str, base_run_id: str | None = None) -> dict[str, Any]:
    """The run's own links (self, events, cancel; report for strategy and what-if runs;
    base run)."""
    base = f"{PATHS[kind]}/{run_id}"
    out: dict[str, Any] = {"self": base, "events": f"{base}/events", "cancel": base}
    if kind in ("strategy", "whatif"):
        out["report"] = f"{base}/report"
    if base_run_id is not None:
        out["base_run"] = f"{PATHS[kind]}/{base_run_id}"
    return out


def seconds_between(a: datetime | None, b: datetime | None) -> float | None:
    """``b - a`` in seconds (rounded to the microsecond), or None when either is unknown."""
    if a is None or b is None:
        return None
    return round((b - a).total_seconds(), 6)


def run_view(run: Run, now: datetime) -> dict[str, Any]:
    """The JSON view of a run (``GET /v1/<kind>-runs/{id}``).

    ``now`` is the end of a running run's ``timings.run_s`` (it has no finish time yet).
    """
    running_end = run.finished_at or (now if run.status == "running" else None)
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "created_at": rfc3339(run.created_at),
        "started_at": rfc3339(run.started_at),
        "finished_at": rfc3339(run.finished_at),
        "updated_at": rfc3339(run.updated_at),
        "attempts": run.attempts,
        "config": json.loads(run.config_json),
        "base_run_id": run.base_run_id,
        "plan_status": run.plan_status,
        "objective": run.objective,
        "lower_bound": run.lower_bound,
        "gap": run.gap,
        "timings": {
            "queue_wait_s": seconds_between(run.created_at, run.started_at),
            "run_s": run.run_s
            if run.run_s is not None
            else seconds_between(run.started_at, running_end),
        },
        "result": json.loads(run.result_json) if run.result_json else None,
        "problem": json.loads(run.problem_json) if run.problem_json else None,
        "links": links(run.kind, run.id, run.base_run_id),
    }


def accepted_body(
    run_id: str, kind: str, created_at: datetime, base_run_id: str | None
) -> dict[str, Any]:
    """The 202 body of a new run (stored with it, so an idempotent replay repeats it)."""
    return {
        "id": run_id,
        "kind": kind,
        "status": "queued",
        "created_at": rfc3339(created_at),
        "links": links(kind, run_id, base_run_id),
    }


def run_summary(run: Run) -> dict[str, Any]:
    """One item of a run listing (no config, result or problem)."""
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "created_at": rfc3339(run.created_at),
        "finished_at": rfc3339(run.finished_at),
        "objective": run.objective,
        "gap": run.gap,
        "links": links(run.kind, run.id, run.base_run_id),
    }


def event_data(run_id: str, event: RunEvent) -> dict[str, Any]:
    """The ``data`` of a server-sent ``status`` event."""
    return {
        "run_id": run_id,
        "status": event.status,
        "at": rfc3339(event.at),
        "detail": json.loads(event.detail) if event.detail else None,
    }
