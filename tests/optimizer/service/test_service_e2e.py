"""End to end against a real server process (uvicorn on a free loopback port)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
from numpy.testing import assert_allclose

from optimizer.service.runs import pid_alive


def _events(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    out = []
    with client.stream("GET", path + "/events", timeout=60) as s:
        assert s.headers["content-type"].startswith("text/event-stream")
        for line in s.iter_lines():
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
    return out


def _wait_status(client: httpx.Client, path: str, status: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while client.get(path).json()["status"] != status:
        assert time.monotonic() < deadline, f"{path} never became {status}"
        time.sleep(0.05)


def test_server_end_to_end(
    shared_server: Any,
    conveyor_input: dict[str, Any],
    scenario_doc: Callable[[str], dict[str, Any]],
    wait_run: Callable[..., dict[str, Any]],
) -> None:
    srv = shared_server
    key = srv.new_key("e2e")  # `opportune keys create`: the key alone on the last line
    assert key.startswith("opp_") and len(key) > 40
    c = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    ready = c.get("/v1/readyz").json()
    assert ready == {"status": "ready", "database": "ok", "workers_alive": 2, "workers_expected": 2}

    # 1. the same input through the CLI and through the service gives the same plan
    r = c.post("/v1/schedule-runs", json={"input": conveyor_input})
    assert r.status_code == 202
    path = r.headers["location"]
    events = _events(c, path)  # follows the run live until it ends
    statuses = [e["status"] for e in events]
    assert statuses[0] == "queued" and statuses[-1] == "completed" and "running" in statuses
    view = c.get(path).json()
    cli = srv.cli("plan", "scenarios/conveyor.yaml", "--json")
    assert cli.returncode == 0, cli.stderr
    ref = json.loads(cli.stdout)
    got = view["result"]
    keys = (
        "id",
        "component_id",
        "scheduled_start",
        "scheduled_finish",
        "group_id",
        "labor",
        "materials",
        "pinned",
        "reasons",
    )
    assert [{k: w[k] for k in keys} for w in got["work_orders"]] == [
        {k: w[k] for k in keys} for w in ref["work_orders"]
    ]
    assert got["groups"] == ref["groups"]
    assert_allclose(view["objective"], ref["objective"], rtol=1e-12)

    # 2. cancel a long run while it is solving; the worker is freed for the next run
    plant = scenario_doc("plant")
    long = c.post("/v1/schedule-runs", json={"config": {"method": "milp"}, "input": plant})
    long_path = long.headers["location"]
    _wait_status(c, long_path, "running", 30)
    cancelled = c.delete(long_path).json()
    assert cancelled["status"] == "cancelled"
    quick = c.post("/v1/schedule-runs", json={"input": conveyor_input}).headers["location"]
    assert wait_run(c, quick, 60)["status"] == "completed"
    time.sleep(1.5)  # the worker noticed the cancellation and killed the solve
    after = c.get(long_path).json()
    assert after["status"] == "cancelled"
    assert [e["status"] for e in _events(c, long_path)][-1] == "cancelled"
    assert c.get("/v1/readyz").json()["workers_alive"] == 2

    # 3. a strategy comparison through a real worker, with its HTML report
    cfg = {"replications": 2, "years": 0.25, "strategies": ["run-to-failure", "optimal-age"]}
    spath = c.post("/v1/strategy-runs", json={"config": cfg, "input": conveyor_input}).headers[
        "location"
    ]
    sview = wait_run(c, spath, 120)
    assert sview["status"] == "completed", sview["problem"]
    assert set(sview["result"]["strategies"]) == {"run-to-failure", "optimal-age"}
    rep = c.get(spath + "/report")
    assert rep.status_code == (404 if sview["result"]["notes"] else 200)

    # 4. no CORS headers unless configured
    r = c.get("/v1/healthz", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in r.headers


def test_graceful_stop_requeues_a_running_run(
    make_server: Callable[..., Any],
    scenario_doc: Callable[[str], dict[str, Any]],
    wait_run: Callable[..., dict[str, Any]],
) -> None:
    srv = make_server(OPPORTUNE_WORKERS="1", OPPORTUNE_SHUTDOWN_GRACE_S="0.2")
    key = srv.new_key("acme")
    srv.start()
    c = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    path = c.post(
        "/v1/schedule-runs", json={"config": {"method": "milp"}, "input": scenario_doc("plant")}
    ).headers["location"]
    _wait_status(c, path, "running", 30)
    worker_id = next(e for e in _events_nowait(c, path) if e["status"] == "running")["detail"][
        "worker"
    ]
    t0 = time.monotonic()
    srv.stop()  # SIGTERM: uvicorn shuts down, the worker drains, then is stopped
    # uvicorn re-raises the signal after its graceful shutdown, hence -15
    assert srv.proc.returncode in (0, -15), srv.log()
    assert time.monotonic() - t0 < 10
    assert not pid_alive(int(worker_id.split(":")[1]))
    srv.start()
    view = wait_run(c, path, 90)
    assert view["status"] == "completed"
    events = _events(c, path)
    statuses = [e["status"] for e in events]
    # the solve (~3 s) outlived the 0.2 s grace: it was stopped, queued again without
    # counting the interrupted attempt, and run again after the restart
    assert statuses == ["queued", "running", "queued", "running", "completed"]
    assert "shut down" in events[2]["detail"]["reason"]
    assert view["attempts"] == 1


def _events_nowait(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    """Events so far (the stream is cut after a short read)."""
    out = []
    try:
        with client.stream("GET", path + "/events", timeout=2) as s:
            for line in s.iter_lines():
                if line.startswith("data: "):
                    out.append(json.loads(line[6:]))
                    if out[-1]["status"] == "running":
                        break
    except httpx.ReadTimeout:
        pass
    return out
