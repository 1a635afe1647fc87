"""The service on a real PostgreSQL server (``OPPORTUNE_TEST_PG_URL``).

Start one with ``export OPPORTUNE_TEST_PG_URL=$(bash tests/optimizer/service/pg_start.sh)``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from optimizer.service.db import Store
from optimizer.service.jsonutil import canonical
from optimizer.service.runs import Outcome, Submission, claim, finish, submit

PG_URL = os.environ.get("OPPORTUNE_TEST_PG_URL", "")
pytestmark = pytest.mark.skipif(
    not PG_URL,
    reason="OPPORTUNE_TEST_PG_URL is not set: start PostgreSQL with "
    "tests/optimizer/service/pg_start.sh and export its URL to run these tests",
)


def _accepted(rid: str, kind: str, at: Any) -> dict[str, Any]:
    return {"id": rid, "kind": kind}


def test_claim_uses_skip_locked_and_never_hands_a_run_out_twice(pg_url: str) -> None:
    store = Store.from_url(pg_url, pool_size=10)
    assert store.dialect == "postgresql"
    from optimizer.service.auth import create_key

    _key, info = create_key(store, "acme", "pepper")
    tenant_id = 1
    n_runs = 60
    for j in range(n_runs):
        submit(
            store,
            Submission(tenant_id, "schedule", {}, "{}", None, None, canonical(j), 1.0),
            accepted_body=_accepted,
            max_queued_per_tenant=1000,
            max_queued_total=1000,
            retry_after_s=1,
        )
    assert info.tenant == "acme"
    got: list[list[str]] = [[] for _ in range(6)]
    barrier = threading.Barrier(6)

    def worker(k: int) -> None:
        barrier.wait()
        while (c := claim(store, f"pg:{k}:w{k}", 30)) is not None:
            got[k].append(c.id)
            finish(store, c.id, f"pg:{k}:w{k}", Outcome("completed"))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    claimed = [rid for g in got for rid in g]
    assert len(claimed) == n_runs and len(set(claimed)) == n_runs
    assert sum(1 for g in got if g) >= 2  # the claims really were concurrent
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM runs GROUP BY status")).all()
        assert dict(rows) == {"completed": n_runs}
        per_run = (
            conn.execute(
                text("SELECT count(*) FROM run_events WHERE status = 'running' GROUP BY run_id")
            )
            .scalars()
            .all()
        )
        assert set(per_run) == {1}
    # the claim statement really asks PostgreSQL for SKIP LOCKED (and SQLite for nothing)
    from sqlalchemy.dialects import sqlite

    from optimizer.service.runs import oldest_queued

    pg_sql = str(oldest_queued().compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]
    lite_sql = str(oldest_queued().compile(dialect=sqlite.dialect()))
    assert "FOR UPDATE SKIP LOCKED" in pg_sql
    assert "FOR UPDATE" not in lite_sql
    store.dispose()


def test_server_on_postgres(
    pg_url: str,
    make_server: Callable[..., Any],
    conveyor_input: dict[str, Any],
    wait_run: Callable[..., dict[str, Any]],
) -> None:
    srv = make_server(database_url=pg_url)
    key_a = srv.new_key("acme")
    key_b = srv.new_key("globex")
    srv.start()
    a = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key_a}"}, timeout=30)
    b = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key_b}"}, timeout=30)
    paths = [
        a.post("/v1/schedule-runs", json={"input": conveyor_input}).headers["location"]
        for _ in range(4)
    ]
    views = [wait_run(a, p, 60) for p in paths]
    assert [v["status"] for v in views] == ["completed"] * 4
    assert len({v["objective"] for v in views}) == 1  # the same input, the same plan
    assert b.get(paths[0]).status_code == 404
    assert b.delete(paths[0]).status_code == 404
    # restart on the same database: the runs are still there
    srv.stop()
    srv.start()
    assert a.get(paths[0]).json()["status"] == "completed"
    assert len(a.get("/v1/schedule-runs").json()["items"]) == 4
