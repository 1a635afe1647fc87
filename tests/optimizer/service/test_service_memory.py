"""Memory of solver processes (issue 18): a per-run cap, and runs killed by the system.

Real servers and workers.  The cap (``OPPORTUNE_WORKER_MEMORY_MB``) is set below what
any solver process holds once started, so every run breaches it; a solver process
killed with SIGKILL from outside (what the kernel's OOM killer does) fails its run at
once with ``failure: out-of-memory``, after the retries the settings allow.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from fleetgen import make_scenario

from optimizer.service.settings import ServiceSettings, physical_memory_mb
from optimizer.service.worker import resident_mb


def _client(srv: Any) -> httpx.Client:
    key = srv.new_key("acme")
    srv.start()
    return httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _running_event(c: httpx.Client, rid: str, attempt: int) -> dict[str, Any]:
    """The detail of the run's ``running`` event of this attempt (waits for it)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with c.stream("GET", f"/v1/schedule-runs/{rid}/events") as s:
            for line in s.iter_lines():
                if line.startswith("data:"):
                    data = json.loads(line[5:])
                    detail = data["detail"] or {}
                    if data["status"] == "running" and detail.get("attempt") == attempt:
                        return dict(detail)
                    if data["status"] in ("failed", "completed", "time_limit"):
                        raise AssertionError(data)
        time.sleep(0.2)
    raise AssertionError(f"attempt {attempt} of {rid} never started")


def _kill_solver(worker: str) -> int:
    """SIGKILL the solver process of the worker ``host:pid:wN``; its pid."""
    wpid = int(worker.split(":")[1])
    deadline = time.monotonic() + 20
    while not (kids := _children(wpid)):
        assert time.monotonic() < deadline, "no solver process"
        time.sleep(0.05)
    os.kill(kids[0], signal.SIGKILL)
    return kids[0]


def test_default_cap_is_sized_to_the_machine() -> None:
    total = physical_memory_mb()
    assert 0.5 * os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20 >= total / 2
    for workers, expected in ((1, 0.8 * total), (4, 0.2 * total)):
        cfg = ServiceSettings(workers=workers)
        assert abs(cfg.memory_cap_mb - max(256, expected)) <= 1
    assert ServiceSettings(worker_memory_mb=300).memory_cap_mb == 300
    # independent reading of this process's resident memory
    rss_kb = next(
        int(line.split()[1])
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    assert abs(resident_mb(os.getpid()) - rss_kb / 1024) < 20


def test_run_over_the_memory_cap_fails_with_a_clear_problem(
    make_server: Callable[..., Any], conveyor_input: dict[str, Any]
) -> None:
    c = _client(make_server(OPPORTUNE_WORKERS="1", OPPORTUNE_WORKER_MEMORY_MB="40"))
    r = c.post("/v1/schedule-runs", json={"input": conveyor_input})
    assert r.status_code == 202, r.text
    view = c.get(r.headers["location"], params={"wait_s": 30}).json()
    assert view["status"] == "failed", view
    p = view["problem"]
    assert p["type"].endswith("/memory-limit-exceeded") and p["failure"] == "memory-limit"
    assert p["memory_limit_mb"] == 40 and "OPPORTUNE_WORKER_MEMORY_MB" in p["detail"]
    assert view["attempts"] == 1


def test_solver_killed_by_the_system_fails_its_run_with_out_of_memory(
    make_server: Callable[..., Any],
) -> None:
    c = _client(make_server(OPPORTUNE_WORKERS="1", OPPORTUNE_OOM_RETRIES="1"))
    doc = make_scenario(150, 15, seed=3, crews="tight", stock="none")
    inp = json.loads(json.dumps(doc, default=lambda o: o.isoformat()))
    r = c.post(
        "/v1/schedule-runs", json={"config": {"method": "milp", "time_limit_s": 60}, "input": inp}
    )
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    # first kill: the settings allow one retry, so the run is queued again
    _kill_solver(_running_event(c, rid, 1)["worker"])
    second = _running_event(c, rid, 2)
    # second kill: failed at once and for good, saying why
    _kill_solver(second["worker"])
    t0 = time.monotonic()
    view = c.get(f"/v1/schedule-runs/{rid}", params={"wait_s": 20}).json()
    assert view["status"] == "failed", view
    assert time.monotonic() - t0 < 5
    p = view["problem"]
    assert p["failure"] == "out-of-memory" and p["type"].endswith("/out-of-memory")
    assert view["attempts"] == 2
    time.sleep(1.5)  # and it stays failed (not queued again)
    assert c.get(f"/v1/schedule-runs/{rid}").json()["status"] == "failed"
