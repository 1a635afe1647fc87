"""The worker reads everything its run's process sent, even when it exited at once."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from optimizer.service import worker as W
from optimizer.service.auth import create_key
from optimizer.service.db import Store
from optimizer.service.jsonutil import dumps
from optimizer.service.runs import Outcome, claim, get_run, submit_many
from optimizer.service.settings import ServiceSettings
from optimizer.service.submissions import prepare
from optimizer.service.views import accepted_body


def _quick_child(claimed: Any, _limit: float, conn: Any, *_rest: Any) -> None:
    """A run process that sends an incumbent and its outcome, then exits at once."""
    best = Outcome("running", result={"status": "feasible"}, plan_status="feasible", objective=2.0)
    conn.send_bytes(W.PROGRESS + dumps(best.__dict__).encode())
    done = Outcome("completed", result={"status": "optimal"}, plan_status="optimal", objective=1.0)
    conn.send_bytes(W.FINAL + dumps(done.__dict__).encode())
    conn.close()
    os._exit(0)


def _silent_child(claimed: Any, _limit: float, conn: Any, *_rest: Any) -> None:
    conn.close()
    os._exit(0)


@pytest.mark.parametrize("child", [_quick_child, _silent_child])
def test_outcome_sent_just_before_exit_is_read(
    tmp_path: Path, conveyor_input: dict[str, Any], monkeypatch: pytest.MonkeyPatch, child: Any
) -> None:
    cfg = ServiceSettings(database_url=f"sqlite:///{tmp_path / 'w.db'}")
    store = Store.from_url(cfg.database_url)
    create_key(store, "acme", "")
    raw = json.dumps({"input": conveyor_input}).encode()
    subs = [prepare("schedule", raw, 1, None, cfg) for _ in range(5)]
    ids = [
        r[0]["id"]  # type: ignore[index]
        for r in submit_many(
            store,
            subs,
            accepted_body=accepted_body,
            max_queued_per_tenant=10,
            max_queued_total=10,
            retry_after_s=1,
        )
    ]
    monkeypatch.setattr(W, "_child_main", child)
    worker = W._Worker(store, cfg, 0, os.getppid(), wid="test:1:w0")
    for _ in ids:
        claimed = claim(store, worker.wid, cfg.lease_s)
        assert claimed is not None
        worker.run_one(claimed)
    for run_id in ids:
        run = get_run(store, 1, run_id, "schedule")
        if child is _quick_child:
            assert run.status == "completed" and run.objective == 1.0
            assert (
                run.result_json is not None and json.loads(run.result_json)["status"] == "optimal"
            )
        else:
            assert run.status == "failed"
            assert "without a result" in json.loads(run.problem_json or "{}")["detail"]
    store.dispose()
