"""A full disk under the run store (issue 18): 503s, not ready, and no finished result lost.

Real server and worker on a SQLite file kept on a small tmpfs that the test fills with
``dd`` (a real ENOSPC from the kernel, no injection): submissions answer 503 with a
problem document, ``/v1/readyz`` says not ready, and a run that finishes meanwhile
keeps its result in the worker until space returns; then it is stored.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from fleetgen import make_scenario


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MB tmpfs (needs root: mount)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill (needs root): {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(mnt: Path) -> Path:
    filler = mnt / "filler"
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True, check=False
    )
    return filler


def _slow_input() -> dict[str, Any]:
    doc = make_scenario(150, 15, seed=3, crews="tight", stock="none")
    out: dict[str, Any] = json.loads(json.dumps(doc, default=lambda o: o.isoformat()))
    return out


def test_disk_full_answers_503_not_ready_and_keeps_the_result(
    small_disk: Path, make_server: Callable[..., Any], conveyor_input: dict[str, Any]
) -> None:
    srv = make_server(f"sqlite:///{small_disk / 'runs.db'}", OPPORTUNE_WORKERS="1")
    key = srv.new_key("acme")
    srv.start()
    c = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    r = c.post(
        "/v1/schedule-runs",
        json={"config": {"method": "milp", "time_limit_s": 4}, "input": _slow_input()},
    )
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    deadline = time.monotonic() + 30
    while c.get(f"/v1/schedule-runs/{rid}").json()["status"] != "running":
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.1)
    filler = _fill(small_disk)
    try:
        full = c.post("/v1/schedule-runs", json={"input": conveyor_input})
        assert full.status_code == 503, full.text
        assert full.headers["content-type"].startswith("application/problem+json")
        assert full.json()["type"].endswith("/storage-full") and "retry-after" in full.headers
        ready = httpx.get(srv.url + "/v1/readyz")
        assert ready.status_code == 503 and ready.json()["database"] == "full", ready.text
        # the solve ends (4 s limit) while nothing can be stored: the run stays running,
        # its result held by the worker (reads keep working)
        time.sleep(7)
        view = c.get(f"/v1/schedule-runs/{rid}")
        assert view.status_code == 200 and view.json()["status"] == "running"
        assert "disk is full" in srv.log()
    finally:
        filler.unlink()
    # space is back: ready again, the held result is stored, submissions accepted
    deadline = time.monotonic() + 10
    while httpx.get(srv.url + "/v1/readyz").status_code != 200:
        assert time.monotonic() < deadline, "still not ready after space returned"
        time.sleep(0.2)
    view = c.get(f"/v1/schedule-runs/{rid}", params={"wait_s": 10}).json()
    assert view["status"] in ("completed", "time_limit"), view
    assert view["result"]["assignment"] and view["objective"] is not None
    events = c.get(f"/v1/schedule-runs/{rid}/events").text
    assert events.count('"status":"running"') == 1  # one attempt: never re-run
    assert c.post("/v1/schedule-runs", json={"input": conveyor_input}).status_code == 202
