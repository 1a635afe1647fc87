"""Change notification (``optimizer.service.events``): tokens, wake-ups, resume ids."""

from __future__ import annotations

import asyncio
from pathlib import Path

from optimizer.service.db import Store
from optimizer.service.events import EventHub, resume_after, watching


def test_resume_after_reads_last_event_id() -> None:
    assert resume_after(None) == 0
    assert resume_after("") == 0
    assert resume_after("42") == 42
    assert resume_after("-3") == 0
    assert resume_after("abc") == 0


def test_poke_wakes_every_waiter_of_that_run_only(tmp_path: Path) -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        hub = EventHub(Store.from_url(f"sqlite:///{tmp_path / 'e.db'}", pool_size=1))
        with watching(hub, "a") as a1, watching(hub, "a") as a2, watching(hub, "b") as b:
            assert a1 is a2 is not None and b is not None  # one event per run
            hub.poke("a")
            return (
                await EventHub.wait(a1, 1.0),
                await EventHub.wait(a2, 1.0),
                await EventHub.wait(b, 0.01),
            )

    assert asyncio.run(scenario()) == (True, True, False)


def test_tokens_are_released(tmp_path: Path) -> None:
    hub = EventHub(Store.from_url(f"sqlite:///{tmp_path / 'e.db'}", pool_size=1))
    with watching(hub, "a") as t1:
        with watching(hub, "a") as t2:
            assert t1 is t2
        assert hub.token("a") is t1  # still held by the outer waiter
        assert t1 is not None
        hub.release("a", t1)
    fresh = hub.token("a")  # all released: the next waiter gets a new event
    assert fresh is not t1
    with watching(None, "a") as none:  # no hub (app without lifespan): no token
        assert none is None
