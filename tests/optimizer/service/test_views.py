"""The JSON views of runs (``optimizer.service.views``): pure functions of a stored run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from optimizer.service.db import Run, RunEvent
from optimizer.service.views import (
    accepted_body,
    event_data,
    links,
    rfc3339,
    run_summary,
    run_view,
    seconds_between,
)

T0 = datetime(2027, 1, 4, 5, 0, 0, 123456, tzinfo=UTC)


def _run(**fields: object) -> Run:
    base: dict[str, object] = {
        "id": "r1",
        "tenant_id": 1,
        "kind": "schedule",
        "status": "running",
        "config_json": '{"seed": 3}',
        "created_at": T0,
        "started_at": T0 + timedelta(seconds=2),
        "finished_at": None,
        "updated_at": T0 + timedelta(seconds=2),
        "attempts": 1,
        "base_run_id": None,
        "result_json": None,
        "problem_json": None,
        "plan_status": None,
        "objective": None,
        "lower_bound": None,
        "gap": None,
        "run_s": None,
    }
    base.update(fields)
    return Run(**base)


def test_rfc3339_has_milliseconds_and_offset() -> None:
    assert rfc3339(T0) == "2027-01-04T05:00:00.123+00:00"
    assert rfc3339(None) is None


def test_links_of_each_kind() -> None:
    assert links("schedule", "a") == {
        "self": "/v1/schedule-runs/a",
        "events": "/v1/schedule-runs/a/events",
        "cancel": "/v1/schedule-runs/a",
    }
    strategy = links("strategy", "b", base_run_id="c")
    assert strategy["report"] == "/v1/strategy-runs/b/report"
    assert strategy["base_run"] == "/v1/strategy-runs/c"


def test_seconds_between_rounds_to_the_microsecond() -> None:
    assert seconds_between(T0, T0 + timedelta(seconds=1.5, microseconds=7)) == 1.500007
    assert seconds_between(None, T0) is None and seconds_between(T0, None) is None


def test_running_run_is_timed_until_now() -> None:
    now = T0 + timedelta(seconds=12.25)
    view = run_view(_run(), now)
    assert view["timings"] == {"queue_wait_s": 2.0, "run_s": 10.25}
    assert view["config"] == {"seed": 3} and view["result"] is None
    assert view["created_at"] == "2027-01-04T05:00:00.123+00:00"
    assert view["links"]["self"] == "/v1/schedule-runs/r1"


def test_finished_run_keeps_its_stored_time() -> None:
    done = _run(
        status="completed",
        finished_at=T0 + timedelta(seconds=5),
        run_s=2.75,
        result_json='{"objective": 10.0}',
        objective=10.0,
        gap=0.0,
    )
    view = run_view(done, T0 + timedelta(hours=1))  # "now" is irrelevant once finished
    assert view["timings"] == {"queue_wait_s": 2.0, "run_s": 2.75}
    assert view["result"] == {"objective": 10.0} and view["objective"] == 10.0
    # without a stored run_s, a finished run is timed from start to finish
    view = run_view(_run(status="failed", finished_at=T0 + timedelta(seconds=5)), T0)
    assert view["timings"]["run_s"] == 3.0
    # a queued run has no times yet
    queued = run_view(_run(status="queued", started_at=None), T0 + timedelta(seconds=9))
    assert queued["timings"] == {"queue_wait_s": None, "run_s": None}


def test_accepted_body_and_summary() -> None:
    assert accepted_body("r2", "strategy", T0, None) == {
        "id": "r2",
        "kind": "strategy",
        "status": "queued",
        "created_at": "2027-01-04T05:00:00.123+00:00",
        "links": links("strategy", "r2"),
    }
    summary = run_summary(_run(status="completed", objective=4.5, gap=0.01, base_run_id="r0"))
    assert set(summary) == {
        "id", "kind", "status", "created_at", "finished_at", "objective", "gap", "links"
    }  # fmt: skip
    assert summary["objective"] == 4.5 and summary["links"]["base_run"] == "/v1/schedule-runs/r0"


def test_event_data() -> None:
    ev = RunEvent(id=7, run_id="r1", at=T0, status="running", detail='{"worker": "h:1:w0"}')
    assert event_data("r1", ev) == {
        "run_id": "r1",
        "status": "running",
        "at": "2027-01-04T05:00:00.123+00:00",
        "detail": {"worker": "h:1:w0"},
    }
    assert event_data("r1", RunEvent(id=8, run_id="r1", at=T0, status="queued"))["detail"] is None
