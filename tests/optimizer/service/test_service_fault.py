"""Fault test: SIGKILL the server with runs queued and running; nothing is lost."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from optimizer.service.runs import pid_alive


def _worker_pids(client: httpx.Client, path: str) -> list[int]:
    pids = []
    with client.stream("GET", path + "/events", timeout=120) as s:
        for line in s.iter_lines():
            if line.startswith("data: "):
                ev = json.loads(line[6:])
                if ev["status"] == "running":
                    pids.append(int(ev["detail"]["worker"].split(":")[1]))
    return pids


def test_sigkill_with_runs_in_flight_loses_nothing(
    make_server: Callable[..., Any],
    conveyor_input: dict[str, Any],
    scenario_doc: Callable[[str], dict[str, Any]],
    wait_run: Callable[..., dict[str, Any]],
) -> None:
    srv = make_server(OPPORTUNE_WORKERS="2", OPPORTUNE_LEASE_S="30")
    key = srv.new_key("acme")
    srv.start()
    c = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    plant = scenario_doc("plant")
    accepted: list[str] = []
    for j in range(8):  # two slow runs first (they occupy both workers), then quick ones
        body = (
            # 8 s: slow enough to be in flight at the kill, short enough that both re-runs
            # finish inside the recovery check (the plant plan alone runs ~15 s idle at its
            # own 60 s limit, longer under load)
            {"config": {"method": "milp", "time_limit_s": 8}, "input": plant}
            if j < 2
            else {"input": conveyor_input}
        )
        r = c.post("/v1/schedule-runs", json=body, headers={"Idempotency-Key": f"k{j}"})
        assert r.status_code == 202
        accepted.append(r.headers["location"])
    deadline = time.monotonic() + 30
    while True:
        states = [c.get(p).json()["status"] for p in accepted]
        if states.count("running") >= 1 and states.count("queued") >= 1:
            break
        assert time.monotonic() < deadline, states
        time.sleep(0.05)
    running = [p for p, s in zip(accepted, states, strict=True) if s == "running"]
    srv.kill()  # SIGKILL: no shutdown code runs

    srv.start()  # same database; the lease (30 s) has not expired: the dead pids tell
    t0 = time.monotonic()
    finals = {p: wait_run(c, p, 120) for p in accepted}
    assert time.monotonic() - t0 < 60  # recovered at once, not after the lease
    # the plant runs may end at their 8 s limit with their best plan (status time_limit)
    assert {v["status"] for v in finals.values()} <= {"completed", "time_limit"}, {
        p: (v["status"], v["problem"]) for p, v in finals.items()
    }
    listed = c.get("/v1/schedule-runs", params={"limit": 50}).json()["items"]
    assert sorted(x["links"]["self"] for x in listed) == sorted(accepted)  # none lost, none added
    for p in running:
        # the interrupted runs were queued again and ran a second time
        assert finals[p]["attempts"] == 2
        pids = _worker_pids(c, p)
        assert len(pids) == 2 and not pid_alive(pids[0])  # its first worker died with the server
    # an idempotent retry of a request sent before the crash still finds its run
    again = c.post(
        "/v1/schedule-runs", json={"input": conveyor_input}, headers={"Idempotency-Key": "k5"}
    )
    assert again.headers["location"] == accepted[5]


def test_worker_killed_mid_run_and_hard_time_limit(
    make_server: Callable[..., Any],
    scenario_doc: Callable[[str], dict[str, Any]],
    wait_run: Callable[..., dict[str, Any]],
) -> None:
    import os
    import signal

    srv = make_server(OPPORTUNE_WORKERS="1", OPPORTUNE_RUN_GRACE_S="0.05")
    key = srv.new_key("acme")
    srv.start()
    c = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    plant = scenario_doc("plant")
    # 1. a run still busy after its time limit + grace is stopped: failed, 504 problem
    tiny = c.post(
        "/v1/schedule-runs", json={"config": {"time_limit_s": 0.01}, "input": plant}
    ).headers["location"]
    view = wait_run(c, tiny, 60)
    assert view["status"] == "failed", view
    assert view["problem"]["type"].endswith("/time-limit-exceeded")
    assert view["problem"]["status"] == 504

    # 2. the worker process dies mid-run: the supervisor re-queues the run and restarts it
    # a 5% gap: the plant plan then ends well inside its own 60 s limit (the hard limit
    # here is limit + 0.05 s of grace), and the killed run plus its re-run fit in 90 s
    path = c.post("/v1/schedule-runs", json={"config": {"gap": 0.05}, "input": plant}).headers[
        "location"
    ]
    deadline = time.monotonic() + 30
    while c.get(path).json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with c.stream("GET", path + "/events", timeout=3) as s:
        for line in s.iter_lines():
            if line.startswith("data: ") and json.loads(line[6:])["status"] == "running":
                pid = int(json.loads(line[6:])["detail"]["worker"].split(":")[1])
                break
    os.kill(pid, signal.SIGKILL)
    final = wait_run(c, path, 90)
    assert final["status"] == "completed" and final["attempts"] == 2
    assert c.get("/v1/readyz").json()["workers_alive"] == 1  # a new worker took over
