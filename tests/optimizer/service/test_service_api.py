"""HTTP API behaviour in process (TestClient; the tests run queued runs themselves)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from numpy.testing import assert_allclose

from optimizer.loading import parse_scenario
from optimizer.planning.pipeline import plan_scenario
from optimizer.service.auth import revoke_key
from optimizer.service.schemas import Problem, RunAccepted, RunView, ScheduleResult

PROBLEM = "application/problem+json"


def _resolve(doc: Any, ptr: str) -> Any:
    """Follow an RFC 6901 pointer (independent of the service's own code)."""
    cur = doc
    if ptr == "":
        return cur
    for raw in ptr.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        cur = cur[int(part)] if isinstance(cur, list) else cur[part]
    return cur


def _is_problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    Problem.model_validate(body)
    assert body["status"] == status
    assert "Traceback" not in r.text and 'File "' not in r.text
    return body


def _rfc3339(text: str) -> datetime:
    dt = datetime.fromisoformat(text)
    assert dt.tzinfo is not None, f"{text} has no offset"
    return dt


# ----------------------------------------------------------------------------------------
def test_health_ready_and_openapi(api: Any) -> None:
    assert api.client.get("/v1/healthz").json() == {"status": "ok"}
    ready = api.client.get("/v1/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    doc = api.client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for p in (
        "/v1/schedule-runs",
        "/v1/schedule-runs/{run_id}",
        "/v1/schedule-runs/{run_id}/events",
        "/v1/strategy-runs",
        "/v1/strategy-runs/{run_id}/report",
        "/v1/healthz",
        "/v1/readyz",
    ):
        assert p in paths
    body = paths["/v1/schedule-runs"]["post"]["requestBody"]["content"]["application/json"]
    schemas = doc["components"]["schemas"]
    req = schemas[body["schema"]["$ref"].rsplit("/", 1)[1]]
    # the request documents the full scenario schema, not an opaque object
    assert "Scenario" in json.dumps(req["properties"]["input"])
    assert "Crew" in schemas and "WeibullSpec" in schemas
    assert "HTTPBearer" in doc["components"]["securitySchemes"]


def test_not_ready_when_the_database_is_unreachable(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import optimizer.service.routes.health as health

    def down(_engine: Any) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(health, "ping", down)
    r = api.client.get("/v1/readyz")
    body = _is_problem(r, 503)
    assert body["database"] == "unreachable" and r.headers["retry-after"]
    assert "refused" not in r.text
    assert api.client.get("/v1/healthz").status_code == 200  # liveness is unaffected


def test_every_endpoint_but_health_needs_a_key(api: Any, conveyor_input: dict[str, Any]) -> None:
    c = api.client
    for method, path in [
        ("POST", "/v1/schedule-runs"),
        ("GET", "/v1/schedule-runs"),
        ("GET", "/v1/schedule-runs/x"),
        ("DELETE", "/v1/schedule-runs/x"),
        ("GET", "/v1/schedule-runs/x/events"),
        ("POST", "/v1/strategy-runs"),
        ("GET", "/v1/strategy-runs/x/report"),
    ]:
        r = c.request(method, path, json={"input": conveyor_input})
        body = _is_problem(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert body["type"].endswith("/unauthorized")
        r = c.request(method, path, headers={"Authorization": "Bearer opp_wrong"})
        _is_problem(r, 401)


def test_revoked_key_is_refused(api: Any) -> None:
    from optimizer.service.auth import create_key, list_keys

    key, info = create_key(api.store, "revoked-co", "test-pepper")
    assert revoke_key(api.store, info.key_id)
    r = api.client.get("/v1/schedule-runs", headers={"Authorization": f"Bearer {key}"})
    _is_problem(r, 401)
    assert not revoke_key(api.store, info.key_id)  # already revoked
    stored = {k.key_id: k for k in list_keys(api.store)}
    assert stored[info.key_id].revoked_at is not None
    # only the hash is stored: the key text appears nowhere in the database file
    raw = open(api.settings.database_url.removeprefix("sqlite:///"), "rb").read()
    assert key.encode() not in raw


def test_submit_run_and_get_the_plan(api: Any, conveyor_input: dict[str, Any]) -> None:
    r = api.post({"config": {"time_limit_s": 20, "method": "milp"}, "input": conveyor_input})
    assert r.status_code == 202, r.text
    acc = RunAccepted.model_validate(r.json()).model_dump()
    assert acc["status"] == "queued" and r.headers["location"] == acc["links"]["self"]
    _rfc3339(acc["created_at"])
    queued = api.get(acc["id"]).json()
    assert queued["status"] == "queued" and queued["result"] is None
    assert api.drain() == 1
    view = api.get(acc["id"]).json()
    RunView.model_validate(view)
    res = ScheduleResult.model_validate(view["result"])
    assert view["status"] == "completed" and view["plan_status"] == "optimal"
    for k in ("created_at", "started_at", "finished_at", "updated_at"):
        _rfc3339(view[k])
    assert _rfc3339(view["finished_at"]) >= _rfc3339(view["started_at"])
    assert view["timings"]["queue_wait_s"] >= 0 and view["timings"]["run_s"] > 0
    # independent check: the same call the CLI makes gives the same plan
    ref = plan_scenario(parse_scenario(conveyor_input), method="milp", time_limit_s=20)
    assert [w.id for w in res.work_orders] == [w.id for w in ref.orders]
    for got, exp in zip(res.work_orders, ref.orders, strict=True):
        assert (got.scheduled_start, got.scheduled_finish, got.group_id) == (
            exp.scheduled_start,
            exp.scheduled_finish,
            exp.group_id,
        )
        assert [lab.skill for lab in got.labor] == [lab.skill for lab in exp.labor]
        assert [m.part_id for m in got.materials] == [m.part_id for m in exp.materials]
        assert got.reasons == list(exp.reasons)
    assert_allclose(view["objective"], ref.plan.objective, rtol=1e-9)
    assert_allclose(view["lower_bound"], ref.plan.lower_bound, rtol=1e-9)
    assert_allclose(view["gap"], ref.plan.gap, atol=1e-12)
    assert view["config"] == {"time_limit_s": 20.0, "method": "milp"}


def test_validation_lists_every_problem_with_pointers(
    api: Any, conveyor_input: dict[str, Any]
) -> None:
    doc = conveyor_input
    doc["crews"][0]["headcount"] = -1
    doc["calendar"]["horizon_days"] = "soon"
    doc["fleet"]["sites"][0]["systems"][0]["components"][2]["age_h"] = -5
    body = {"config": {"time_limit_s": 0, "method": "magic", "extra": 1}, "input": doc}
    r = api.post(body)
    prob = _is_problem(r, 422)
    ptrs = {e["pointer"] for e in prob["errors"]}
    expected = {
        "/config/time_limit_s",
        "/config/method",
        "/config/extra",
        "/input/crews/0/headcount",
        "/input/calendar/horizon_days",
        "/input/fleet/sites/0/systems/0/components/2/age_h",
    }
    assert expected <= ptrs, ptrs
    # every pointer resolves in the request to the value that was wrong
    assert _resolve(body, "/input/crews/0/headcount") == -1
    assert _resolve(body, "/input/fleet/sites/0/systems/0/components/2/age_h") == -5
    for e in prob["errors"]:
        _resolve(body, e["pointer"])
        assert e["detail"]
    # nothing was queued
    assert api.client.get("/v1/schedule-runs", headers=api.auth()).json()["items"] == []


def test_cross_reference_problem_points_into_input(
    api: Any, conveyor_input: dict[str, Any]
) -> None:
    conveyor_input["fleet"]["sites"][0]["systems"][0]["components"][1]["type"] = "no-such-type"
    prob = _is_problem(api.post({"input": conveyor_input}), 422)
    assert {e["pointer"] for e in prob["errors"]} == {
        "/input/fleet/sites/0/systems/0/components/1/type"
    }


def test_campaign_resource_problems_point_into_input(
    api: Any, conveyor_input: dict[str, Any]
) -> None:
    comp = conveyor_input["fleet"]["sites"][0]["systems"][0]["components"][0]
    comp.setdefault("corrective", {"duration_h": 2.0})["resource"] = "no-such-crane"
    conveyor_input["resources"] = [
        {"id": "crane", "kind": "crane", "trigger": {"rule": "open_requests", "n": 0}}
    ]
    prob = _is_problem(api.post({"input": conveyor_input}), 422)
    assert {e["pointer"] for e in prob["errors"]} == {"/input/resources/0/trigger/n"}
    conveyor_input["resources"][0]["trigger"]["n"] = 2
    prob = _is_problem(api.post({"input": conveyor_input}), 422)
    assert {e["pointer"] for e in prob["errors"]} == {
        "/input/fleet/sites/0/systems/0/components/0/corrective/resource"
    }


@pytest.mark.parametrize(
    ("content", "ctype", "status", "pointer"),
    [
        (b"{not json", "application/json", 400, None),
        (b"[1, 2]", "application/json", 422, ""),
        (b"{}", "application/json", 422, "/input"),
        (b'{"input": 3}', "application/json", 422, "/input"),
        (b'{"input": {}}', "text/plain", 415, None),
    ],
)
def test_malformed_bodies(
    api: Any, content: bytes, ctype: str, status: int, pointer: str | None
) -> None:
    r = api.client.post(
        "/v1/schedule-runs", content=content, headers={**api.auth(), "Content-Type": ctype}
    )
    prob = _is_problem(r, status)
    if pointer is not None:
        assert pointer in {e["pointer"] for e in prob["errors"]}


def test_request_over_the_size_limit_is_413(
    make_api: Callable[..., Any], conveyor_input: dict[str, Any]
) -> None:
    api = make_api(max_request_bytes=4096)
    body = json.dumps({"input": conveyor_input}).encode()
    assert len(body) > 4096
    prob = _is_problem(
        api.client.post(
            "/v1/schedule-runs",
            content=body,
            headers={**api.auth(), "Content-Type": "application/json"},
        ),
        413,
    )
    assert "4096" in prob["detail"]

    def chunks() -> Any:  # no Content-Length: the limit is enforced while streaming
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    r = api.client.post(
        "/v1/schedule-runs",
        content=chunks(),
        headers={**api.auth(), "Content-Type": "application/json"},
    )
    assert "content-length" not in {k.lower() for k in r.request.headers}
    _is_problem(r, 413)
    assert api.drain() == 0


def test_tenants_never_see_each_others_runs(api: Any, conveyor_input: dict[str, Any]) -> None:
    rid = api.post({"input": conveyor_input}, tenant="acme").json()["id"]
    api.drain()
    other = api.auth("globex")
    c = api.client
    for r in (
        c.get(f"/v1/schedule-runs/{rid}", headers=other),
        c.get(f"/v1/schedule-runs/{rid}/events", headers=other),
        c.delete(f"/v1/schedule-runs/{rid}", headers=other),
        c.post("/v1/schedule-runs", json={"base_run_id": rid}, headers=other),
        c.get(f"/v1/strategy-runs/{rid}", headers=api.auth("acme")),  # wrong kind
    ):
        _is_problem(r, 404)
    assert c.get("/v1/schedule-runs", headers=other).json()["items"] == []
    mine = c.get("/v1/schedule-runs", headers=api.auth("acme")).json()["items"]
    assert [x["id"] for x in mine] == [rid]
    assert api.get(rid).json()["status"] == "completed"  # the foreign DELETE did nothing


def test_unknown_run_is_404(api: Any) -> None:
    for path in (
        "/v1/schedule-runs/00000000-0000-4000-8000-000000000000",
        "/v1/schedule-runs/not-a-uuid",
        "/v1/strategy-runs/00000000-0000-4000-8000-000000000000/report",
        "/v1/no-such-endpoint",
    ):
        body = _is_problem(api.client.get(path, headers=api.auth()), 404)
        assert body["type"].endswith("/not-found")
    _is_problem(api.client.put("/v1/schedule-runs", headers=api.auth()), 405)


def test_idempotency_key(api: Any, conveyor_input: dict[str, Any]) -> None:
    body = {"config": {"gap": 0.001}, "input": conveyor_input}
    first = api.post(body, **{"Idempotency-Key": "cmms-42"})
    assert first.status_code == 202 and "idempotent-replayed" not in first.headers
    again = api.post(body, **{"Idempotency-Key": "cmms-42"})  # first is still queued
    assert again.status_code == 202 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    # same body with keys in another order and other whitespace is the same request
    reordered = json.dumps({"input": conveyor_input, "config": {"gap": 0.001}}, indent=3)
    r = api.client.post(
        "/v1/schedule-runs",
        content=reordered,
        headers={**api.auth(), "Idempotency-Key": "cmms-42", "Content-Type": "application/json"},
    )
    assert r.json()["id"] == first.json()["id"]
    changed = {"config": {"gap": 0.002}, "input": conveyor_input}
    prob = _is_problem(api.post(changed, **{"Idempotency-Key": "cmms-42"}), 422)
    assert prob["run_id"] == first.json()["id"]
    assert api.drain() == 1  # one run only
    after = api.post(body, **{"Idempotency-Key": "cmms-42"})
    assert after.json() == first.json()  # replay of the original answer
    assert api.get(first.json()["id"]).json()["status"] == "completed"
    # keys are per tenant: another tenant's identical key is a new run
    other = api.post(body, tenant="globex", **{"Idempotency-Key": "cmms-42"})
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]


def test_queue_limits(make_api: Callable[..., Any], conveyor_input: dict[str, Any]) -> None:
    api = make_api(max_queued_per_tenant=2, max_queued_total=3, retry_after_s=7)
    body = {"input": conveyor_input}
    assert [api.post(body).status_code for _ in range(2)] == [202, 202]
    r = api.post(body)
    prob = _is_problem(r, 429)
    assert r.headers["retry-after"] == "7" and prob["type"].endswith("/queue-full")
    assert api.post(body, tenant="globex").status_code == 202
    r = api.post(body, tenant="initech")
    _is_problem(r, 503)
    assert r.headers["retry-after"] == "7"
    api.drain()
    assert api.post(body).status_code == 202  # room again


def test_infeasible_plan_is_a_completed_run_with_diagnosis(
    api: Any, conveyor_input: dict[str, Any]
) -> None:
    # two released jobs pinned to the same day need 28 mechanic-hours; 16 exist
    conveyor_input["plan"]["open_work_orders"] = [
        {
            "id": f"WO-{c}",
            "component": c,
            "status": "released",
            "scheduled_start": "2027-01-05T06:00:00+01:00",
        }
        for c in ("C1-GBX", "C1-BELT")
    ]
    rid = api.post({"input": conveyor_input}).json()["id"]
    api.drain()
    view = api.get(rid).json()
    assert view["status"] == "completed" and view["plan_status"] == "infeasible"
    assert view["objective"] is None and view["problem"] is None
    diag = " ".join(view["result"]["diagnosis"])
    assert "28.0 h" in diag and "16.0 h" in diag  # 2*6 h + 2*8 h vs 2 technicians x 8 h
    assert view["result"]["work_orders"] == []


def test_pinned_released_work_is_kept(api: Any, conveyor_input: dict[str, Any]) -> None:
    conveyor_input["plan"]["open_work_orders"] = [
        {
            "id": "WO-7",
            "component": "C1-BELT",
            "status": "released",
            "scheduled_start": "2027-01-20T06:00:00+01:00",
        }
    ]
    rid = api.post({"input": conveyor_input}).json()["id"]
    api.drain()
    orders = {w["component_id"]: w for w in api.get(rid).json()["result"]["work_orders"]}
    belt = orders["C1-BELT"]
    assert belt["pinned"] is True
    assert _rfc3339(belt["scheduled_start"]) == _rfc3339("2027-01-20T06:00:00+01:00")


def test_replan_from_a_base_run(api: Any, conveyor_input: dict[str, Any]) -> None:
    base = api.post({"config": {"method": "milp"}, "input": conveyor_input}).json()["id"]
    api.drain()
    base_view = api.get(base).json()
    # no input: the base run's input is reused, its plan is the warm start
    r = api.post({"base_run_id": base})
    assert r.status_code == 202 and r.json()["links"]["base_run"].endswith(base)
    again = r.json()["id"]
    # new input with one component fewer: no warm start, but still re-planned
    smaller = json.loads(json.dumps(conveyor_input))
    comps = smaller["fleet"]["sites"][0]["systems"][0]["components"]
    smaller["fleet"]["sites"][0]["systems"][0]["components"] = [
        c for c in comps if c["id"] != "C1-BRG-TAIL"
    ]
    other = api.post({"base_run_id": base, "input": smaller}).json()["id"]
    assert api.drain() == 2
    v1, v2 = api.get(again).json(), api.get(other).json()
    assert v1["config"] == {"method": "milp"}  # inherited from the base run
    assert v1["result"]["warm_start"] == {
        "base_run_id": base,
        "used": True,
        "note": "warm start from the base run's plan",
    }
    assert v1["result"]["assignment"] == base_view["result"]["assignment"]
    assert_allclose(v1["objective"], base_view["objective"], rtol=1e-9)
    assert v2["result"]["warm_start"]["used"] is False
    assert "C1-BRG-TAIL" not in v2["result"]["assignment"]


def test_warm_start_maps_instants_onto_the_new_calendar(
    conveyor_input: dict[str, Any],
) -> None:
    from optimizer.service.jobs import warm_start_from

    scn = parse_scenario(conveyor_input)  # daily periods from 2027-01-04T06:00+01:00
    ids = [c.id for c in scn.components()]
    assignment: dict[str, str | None] = {cid: None for cid in ids}
    assignment[ids[0]] = "2027-01-04T05:00:00+00:00"  # the plan start itself: period 0
    assignment[ids[1]] = "2027-01-09T17:00:00+01:00"  # inside day 5 (06:00 to 06:00)
    assignment[ids[2]] = "2027-01-04T05:59:00+01:00"  # before the start: beyond (-1)
    assignment[ids[3]] = "2030-01-01T00:00:00+00:00"  # after the horizon: -1
    ws, note = warm_start_from(scn, {"assignment": assignment})
    assert ws is not None and "warm start" in note
    assert ws.tolist() == [0, 5, -1, -1, -1, -1, -1]
    ws2, note2 = warm_start_from(scn, {"assignment": {"X": None}})
    assert ws2 is None and "differs" in note2


def test_cancel(api: Any, conveyor_input: dict[str, Any]) -> None:
    rid = api.post({"input": conveyor_input}).json()["id"]
    r = api.client.delete(f"/v1/schedule-runs/{rid}", headers=api.auth())
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert api.drain() == 0  # a cancelled run is never started
    again = api.client.delete(f"/v1/schedule-runs/{rid}", headers=api.auth())
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    done = api.post({"input": conveyor_input}).json()["id"]
    api.drain()
    r = api.client.delete(f"/v1/schedule-runs/{done}", headers=api.auth())
    assert r.json()["status"] == "completed"  # an ended run is left as it is


def test_events_and_long_poll(api: Any, conveyor_input: dict[str, Any]) -> None:
    rid = api.post({"input": conveyor_input}).json()["id"]
    api.drain()
    view = api.client.get(f"/v1/schedule-runs/{rid}?wait_s=30", headers=api.auth())
    assert view.json()["status"] == "completed"
    with api.client.stream("GET", f"/v1/schedule-runs/{rid}/events", headers=api.auth()) as s:
        assert s.headers["content-type"].startswith("text/event-stream")
        text = s.read().decode()
    events = [
        json.loads(line[len("data: ") :]) for line in text.splitlines() if line.startswith("data: ")
    ]
    assert [e["status"] for e in events] == ["queued", "running", "completed"]
    assert all(e["run_id"] == rid for e in events)
    ids = [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")]
    assert ids == sorted(ids)
    # resume after the second event: only the last one is sent
    with api.client.stream(
        "GET",
        f"/v1/schedule-runs/{rid}/events",
        headers={**api.auth(), "Last-Event-ID": str(ids[1])},
    ) as s:
        rest = [ln for ln in s.read().decode().splitlines() if ln.startswith("data: ")]
    assert len(rest) == 1 and json.loads(rest[0][6:])["status"] == "completed"


def test_listing_pages(api: Any, conveyor_input: dict[str, Any]) -> None:
    ids = [api.post({"input": conveyor_input}).json()["id"] for _ in range(3)]
    c = api.client
    page = c.get("/v1/schedule-runs?limit=2", headers=api.auth()).json()
    assert [x["id"] for x in page["items"]] == ids[::-1][:2]
    nxt = c.get(
        "/v1/schedule-runs", params={"limit": 2, "before": page["next_before"]}, headers=api.auth()
    ).json()
    assert [x["id"] for x in nxt["items"]] == [ids[0]] and nxt["next_before"] is None
    q = c.get("/v1/schedule-runs?status=completed", headers=api.auth()).json()
    assert q["items"] == []
    _is_problem(c.get("/v1/schedule-runs?status=weird", headers=api.auth()), 422)
    _is_problem(c.get("/v1/schedule-runs?before=yesterday", headers=api.auth()), 422)


def test_strategy_run(api: Any, conveyor_input: dict[str, Any]) -> None:
    from optimizer.loading import parse_scenario
    from optimizer.sim.simulate import compare

    cfg = {
        "replications": 3,
        "years": 0.5,
        "seed": 7,
        "strategies": ["run-to-failure", "optimal-age"],
    }
    r = api.post({"config": cfg, "input": conveyor_input}, kind="strategy")
    assert r.status_code == 202 and r.json()["links"]["report"].endswith("/report")
    rid = r.json()["id"]
    report = f"/v1/strategy-runs/{rid}/report"
    assert _is_problem(api.client.get(report, headers=api.auth()), 409)  # not run yet
    api.drain()
    view = api.get(rid, kind="strategy").json()
    assert view["status"] == "completed", view["problem"]
    res = view["result"]
    assert set(res["strategies"]) == {"run-to-failure", "optimal-age"}
    # independent check: the simulator called directly with the same settings
    ref = compare(
        parse_scenario(conveyor_input),
        ["run-to-failure", "optimal-age"],
        replications=3,
        years=0.5,
        seed=7,
        workers=1,
    ).as_dict()
    for name in ("run-to-failure", "optimal-age"):
        got = res["strategies"][name]["kpis"]["cost_total"]
        exp = ref["strategies"][name]["kpis"]["cost_total"]
        assert_allclose(
            [got["mean"], got["ci_low"], got["ci_high"]],
            [exp["mean"], exp["ci_low"], exp["ci_high"]],
            rtol=1e-12,
        )
    assert res["notes"] == []  # the report was rendered (the report package always ships)
    html = api.client.get(report, headers=api.auth())
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.text.lstrip().lower().startswith("<!doctype html")
    plain = api.client.get(report, headers={**api.auth(), "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == html.text
    other = api.client.get(report, headers=api.auth("globex"))
    _is_problem(other, 404)  # never another tenant's report
    bad = api.post(
        {"config": {"strategies": ["astrology"]}, "input": conveyor_input}, kind="strategy"
    )
    assert "/config/strategies/0" in {e["pointer"] for e in _is_problem(bad, 422)["errors"]}


def test_strategy_run_completes_when_its_report_cannot_be_rendered(
    api: Any, conveyor_input: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import optimizer.service.jobs as jobs

    def boom(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("secret /etc/opportune/credentials")

    cfg = {"replications": 2, "years": 0.25, "strategies": ["run-to-failure"]}
    rid = api.post({"config": cfg, "input": conveyor_input}, kind="strategy").json()["id"]
    monkeypatch.setattr(jobs, "compare_report", boom)
    api.drain()
    view = api.get(rid, kind="strategy").json()
    assert view["status"] == "completed"
    assert set(view["result"]["strategies"]) == {"run-to-failure"}
    (note,) = view["result"]["notes"]
    assert note.startswith("the HTML report could not be rendered") and "secret" not in note
    prob = _is_problem(api.client.get(f"/v1/strategy-runs/{rid}/report", headers=api.auth()), 404)
    assert prob["type"].endswith("/report-unavailable")


def test_internal_errors_never_leak(
    api: Any, conveyor_input: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import optimizer.service.jobs as jobs
    import optimizer.service.runs as runs

    def boom(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("secret /etc/opportune/credentials")

    rid = api.post({"input": conveyor_input}).json()["id"]
    monkeypatch.setattr(jobs, "plan_scenario", boom)
    api.drain()
    r = api.get(rid)
    view = r.json()
    assert view["status"] == "failed" and view["problem"]["type"].endswith("/internal-error")
    assert "secret" not in r.text and "Traceback" not in r.text
    monkeypatch.setattr(runs, "get_run", boom)
    r = api.get(rid)
    body = _is_problem(r, 500)
    assert "secret" not in r.text and body["reference"] in body["detail"]


def test_value_error_from_the_core_is_a_failed_run(
    api: Any, conveyor_input: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import optimizer.service.jobs as jobs

    def reject(*_a: Any, **_k: Any) -> Any:
        raise ValueError("gap: must be finite")

    rid = api.post({"input": conveyor_input}).json()["id"]
    monkeypatch.setattr(jobs, "plan_scenario", reject)
    api.drain()
    view = api.get(rid).json()
    assert view["status"] == "failed"
    assert view["problem"]["detail"] == "gap: must be finite"
    assert view["problem"]["status"] == 422


def test_time_limit_over_server_cap_is_rejected(
    make_api: Callable[..., Any], conveyor_input: dict[str, Any]
) -> None:
    api = make_api(max_time_limit_s=5)
    prob = _is_problem(api.post({"config": {"time_limit_s": 6}, "input": conveyor_input}), 422)
    assert [e["pointer"] for e in prob["errors"]] == ["/config/time_limit_s"]
    # the scenario's own limit (30 s) is capped, and the run says so
    rid = api.post({"input": conveyor_input}).json()["id"]
    api.drain()
    notes = api.get(rid).json()["result"]["notes"]
    assert notes and "capped at the service's 5 s" in notes[0]


def test_no_cors_unless_configured(
    make_api: Callable[..., Any],
) -> None:
    plain = make_api()
    r = plain.client.get("/v1/healthz", headers={"Origin": "https://cmms.example"})
    assert "access-control-allow-origin" not in r.headers
    cors = make_api(cors_origins="https://cmms.example")
    r = cors.client.get("/v1/healthz", headers={"Origin": "https://cmms.example"})
    assert r.headers["access-control-allow-origin"] == "https://cmms.example"
    r = cors.client.get("/v1/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize(
    ("model", "value"),
    [
        ("Calendar", {"start": "1900-01-01T00:00:00Z", "period": "day"}),
        ("Calendar", {"start": "2199-12-31T00:00:00Z", "period": "day"}),
        ("Calendar", {"start": "1899-12-31T00:00:00Z", "period": "day"}),
        ("Calendar", {"start": "2200-01-01T00:00:00Z", "period": "day"}),
        ("Calendar", {"start": "9999-12-01T00:00:00Z", "period": "day"}),
        ("RedundancyGroup", {"id": "g", "k": 1, "components": ["a", "b"]}),
        ("RedundancyGroup", {"id": "g", "k": 1, "components": ["a", "b"], "standby": "warm"}),
        (
            "RedundancyGroup",
            {
                "id": "g",
                "k": 1,
                "components": ["a", "b"],
                "standby": "warm",
                "standby_ageing_factor": 0.2,
            },
        ),
        (
            "RedundancyGroup",
            {
                "id": "g",
                "k": 1,
                "components": ["a", "b"],
                "standby": "cold",
                "standby_ageing_factor": 0.2,
            },
        ),
        ("RedundancyGroup", {"id": "g", "k": 1, "components": ["a", "b"], "standby": "cold"}),
        (
            "RedundancyGroup",
            {"id": "g", "k": 1, "components": ["a", "b"], "switch_failure_probability": 0.1},
        ),
        ("ReorderPolicy", {"policy": "s_S", "s": 1}),
        ("ReorderPolicy", {"policy": "s_S", "s": 1, "S": 3}),
        ("ReorderPolicy", {"policy": "order_on_use"}),
    ],
)
def test_openapi_states_date_bounds_and_cross_field_rules(
    api: Any, model: str, value: dict[str, Any]
) -> None:
    # issue 18: schema-valid requests should be accepted, so the document states the
    # rules it can; the published schema and the validator agree on both sides of each
    import jsonschema_rs
    from pydantic import ValidationError

    import optimizer.scenario as S

    schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
    root = {**schemas[model], "components": {"schemas": schemas}}
    by_schema = jsonschema_rs.validator_for(root, validate_formats=True).is_valid(value)
    try:
        getattr(S, model).model_validate(value)
        by_model = True
    except ValidationError:
        by_model = False
    assert by_schema == by_model, (model, value, by_schema, by_model)
