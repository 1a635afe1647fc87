"""Scale-out (issue 18): web processes and solver workers as separate processes.

Two ``opportune serve --workers 0`` (web only) and two ``opportune worker`` processes
share one PostgreSQL.  A burst of submissions goes to both web processes; mid-burst
one of each is killed with SIGKILL.  Every accepted run completes exactly once (no run
lost, none created or finished twice), and long polls and event streams answer from
the surviving web process for runs submitted through the dead one.  Strategy runs
simulate on a Dask cluster when ``OPPORTUNE_DASK_ADDRESS`` is set.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from numpy.testing import assert_allclose
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[3]
N_RUNS = 24
KILL_AT = 10


@pytest.fixture
def worker_procs(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Factory of ``opportune worker`` processes (killed at teardown)."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str], workers: int = 1) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker{len(procs)}.log").open("ab")
        p = subprocess.Popen(
            [sys.executable, "-m", "optimizer", "worker", "--workers", str(workers)],
            env=env,
            cwd=str(ROOT),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


def _submit(webs: list[Any], first: int, key: str, body: dict[str, Any], ikey: str) -> str:
    """POST through web ``first``; on a dead web process, the same request to the next."""
    for k in range(len(webs)):
        web = webs[(first + k) % len(webs)]
        try:
            r = httpx.post(
                web.url + "/v1/schedule-runs",
                json=body,
                headers={"Authorization": f"Bearer {key}", "Idempotency-Key": ikey},
                timeout=30,
            )
        except httpx.HTTPError:
            continue  # killed: the client retries elsewhere with the same key
        assert r.status_code == 202, r.text
        return str(r.json()["id"])
    raise AssertionError("no web process answered")


def test_two_web_two_worker_processes_survive_sigkill(
    pg_url: str,
    make_server: Callable[..., Any],
    worker_procs: Callable[..., subprocess.Popen[bytes]],
    conveyor_input: dict[str, Any],
    wait_run: Callable[..., dict[str, Any]],
) -> None:
    settings = {"OPPORTUNE_WORKERS": "0", "OPPORTUNE_LEASE_S": "3"}
    webs = [make_server(pg_url, **settings) for _ in range(2)]
    key = webs[0].new_key("acme")
    for web in webs:
        web.start()
    workers = [worker_procs({**webs[0].env, "OPPORTUNE_LEASE_S": "3"}) for _ in range(2)]
    body = {"config": {"time_limit_s": 5}, "input": conveyor_input}
    ids: dict[str, str] = {}
    for i in range(N_RUNS):
        if i == KILL_AT:  # mid-burst: one web process and one worker process die
            webs[0].kill()
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(10)
        ikey = f"burst-{i}"
        ids[ikey] = _submit(webs, i % 2, key, body, ikey)
    # a resubmission of every key is a replay, never a second run
    for ikey, rid in ids.items():
        assert _submit(webs, 1, key, body, ikey) == rid
    assert len(set(ids.values())) == N_RUNS
    survivor = httpx.Client(
        base_url=webs[1].url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )
    # long poll from the surviving web process, for runs submitted through either
    for rid in ids.values():
        view = wait_run(survivor, f"/v1/schedule-runs/{rid}", 120)
        assert view["status"] == "completed", view["problem"]
        assert view["result"]["work_orders"]
    # the event stream of a run submitted through the dead process, from the survivor
    first = ids["burst-0"]
    stream = survivor.get(f"/v1/schedule-runs/{first}/events").text
    statuses = re.findall(r'"status":"(\w+)"', stream)
    assert statuses[0] == "queued" and statuses[-1] == "completed", stream
    # in the store: one run per key, each finished exactly once
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        per_key = dict(
            conn.execute(text("SELECT idempotency_key, count(*) FROM runs GROUP BY 1")).all()
        )
        finished = dict(
            conn.execute(
                text(
                    "SELECT run_id, count(*) FROM run_events "
                    "WHERE status IN ('completed', 'failed', 'time_limit', 'cancelled') "
                    "GROUP BY 1"
                )
            ).all()
        )
    engine.dispose()
    assert per_key == dict.fromkeys(ids, 1)
    assert finished == dict.fromkeys(ids.values(), 1)
    assert workers[1].poll() is None  # the surviving worker is still serving


def test_strategy_runs_use_the_dask_cluster(
    make_server: Callable[..., Any],
    conveyor_input: dict[str, Any],
    wait_run: Callable[..., dict[str, Any]],
) -> None:
    import distributed  # a declared dependency (dask[distributed])

    from optimizer.loading import parse_scenario
    from optimizer.sim.simulate import compare

    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        srv = make_server(OPPORTUNE_WORKERS="1", OPPORTUNE_DASK_ADDRESS=cluster.scheduler_address)
        key = srv.new_key("acme")
        srv.start()
        c = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key}"}, timeout=60)
        cfg = {"replications": 8, "years": 0.5, "seed": 11, "strategies": ["run-to-failure"]}
        r = c.post("/v1/strategy-runs", json={"config": cfg, "input": conveyor_input})
        assert r.status_code == 202, r.text
        view = wait_run(c, f"/v1/strategy-runs/{r.json()['id']}", 180)
        assert view["status"] == "completed", view["problem"]
        # the replications ran on the cluster's worker
        prefixes = set(cluster.scheduler.task_prefixes)
        assert "run_batch" in prefixes, prefixes
    # and gave the numbers of a serial run with the same seed
    ref = compare(
        parse_scenario(conveyor_input),
        ["run-to-failure"],
        replications=8,
        years=0.5,
        seed=11,
        workers=1,
    ).as_dict()
    got = view["result"]["strategies"]["run-to-failure"]["kpis"]["cost_total"]
    exp = ref["strategies"]["run-to-failure"]["kpis"]["cost_total"]
    assert_allclose([got["mean"], got["ci_low"]], [exp["mean"], exp["ci_low"]], rtol=1e-12)
