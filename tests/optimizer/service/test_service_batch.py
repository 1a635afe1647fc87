"""Group commit: a batch of submissions gets the answers they would get one at a time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from optimizer.service.auth import create_key
from optimizer.service.db import Run, RunEvent, Store
from optimizer.service.problems import ProblemError
from optimizer.service.runs import Submission, submit, submit_many
from optimizer.service.settings import ServiceSettings
from optimizer.service.submissions import prepare
from optimizer.service.views import accepted_body

LIMITS = {"max_queued_per_tenant": 3, "max_queued_total": 5, "retry_after_s": 7}


def _subs(cfg: ServiceSettings, conveyor: dict[str, Any]) -> list[Submission]:
    other = json.loads(json.dumps(conveyor))
    other["name"] = "another plant"

    def sub(tenant: int, key: str | None, doc: dict[str, Any], **extra: Any) -> Submission:
        raw = json.dumps({"input": doc, **extra}).encode()
        return prepare("schedule", raw, tenant, key, cfg)

    return [
        sub(1, "k1", conveyor),  # new
        sub(1, "k1", conveyor),  # same key, same body: replays the first
        sub(1, "k1", other),  # same key, other body: 422
        sub(2, "k1", conveyor),  # another tenant's key space: new
        sub(1, None, conveyor),  # new
        sub(1, None, conveyor, base_run_id="00000000-0000-4000-8000-000000000000"),  # 404
        sub(1, None, other),  # new: tenant 1 now has 3 queued
        sub(1, None, other),  # 429: tenant limit
        sub(2, "k2", other),  # new: 5 queued in all
        sub(2, None, other),  # 503: total limit
        sub(2, "k2", other),  # replay (a replay is never refused for a full queue)
    ]


def _answer(res: tuple[dict[str, Any], bool] | ProblemError) -> tuple[Any, ...]:
    if isinstance(res, ProblemError):
        return ("problem", res.status, res.headers.get("Retry-After") if res.headers else None)
    _body, replayed = res
    return ("replay" if replayed else "new",)


def _store(path: Path) -> Store:
    store = Store.from_url(f"sqlite:///{path}")
    for tenant in ("t1", "t2"):
        create_key(store, tenant, "")
    return store


def test_batch_answers_equal_one_at_a_time(tmp_path: Path, conveyor_input: dict[str, Any]) -> None:
    cfg = ServiceSettings(database_url="sqlite:///unused.db")
    subs = _subs(cfg, conveyor_input)
    one_store, batch_store = _store(tmp_path / "one.db"), _store(tmp_path / "batch.db")

    one: list[tuple[dict[str, Any], bool] | ProblemError] = []
    for s in subs:
        try:
            one.append(
                submit(
                    one_store,
                    s,
                    accepted_body=lambda rid, k, at, s=s: accepted_body(rid, k, at, s.base_run_id),
                    **LIMITS,
                )
            )
        except ProblemError as exc:
            one.append(exc)
    batch = submit_many(batch_store, subs, accepted_body=accepted_body, **LIMITS)

    expected = [
        ("new",),
        ("replay",),
        ("problem", 422, None),
        ("new",),
        ("new",),
        ("problem", 404, None),
        ("new",),
        ("problem", 429, "7"),
        ("new",),
        ("problem", 503, "7"),
        ("replay",),
    ]
    assert [_answer(r) for r in one] == expected
    assert [_answer(r) for r in batch] == expected
    # a replay answers with the very body of the run it replays
    assert batch[1] == (batch[0][0], True)  # type: ignore[index]
    assert batch[10] == (batch[8][0], True)  # type: ignore[index]
    assert batch[0][0]["id"] != batch[3][0]["id"]  # type: ignore[index]
    with batch_store.read() as s:
        assert s.scalar(select(func.count()).select_from(Run)) == 5
        assert s.scalar(select(func.count()).select_from(RunEvent)) == 5
        stored = {r.id: r for r in s.scalars(select(Run))}
    for res in batch:
        if isinstance(res, tuple) and not res[1]:
            run = stored[res[0]["id"]]
            assert run.status == "queued"
            assert json.loads(run.accepted_json or "{}") == res[0]
    # keyed runs keep the hash of their body; others need none
    assert stored[batch[0][0]["id"]].request_sha256 == subs[0].request_sha256  # type: ignore[index]
    assert stored[batch[4][0]["id"]].request_sha256 is None  # type: ignore[index]

    # a later batch still finds the keys stored by an earlier one
    later = submit_many(batch_store, [subs[0], subs[2]], accepted_body=accepted_body, **LIMITS)
    assert later[0] == (batch[0][0], True)  # type: ignore[index]
    assert _answer(later[1]) == ("problem", 422, None)
