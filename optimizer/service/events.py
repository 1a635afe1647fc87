"""Change notification: long polls and server-sent events of run status changes.

Runs change in worker processes, so the web process learns of changes by polling the
``run_events`` table (:class:`EventHub`); requests waiting on a run hold a token that is
set when the run changes.  :func:`status_stream` is the body of ``GET .../events``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator

from anyio import to_thread
from fastapi.responses import StreamingResponse

from optimizer.service import runs as R
from optimizer.service.db import Store
from optimizer.service.jsonutil import dumps
from optimizer.service.views import event_data

log = logging.getLogger("opportune.service")
KEEP_ALIVE_S = 15.0
"""Longest silence on an event stream before a comment line keeps proxies from closing it."""
NO_HUB_POLL_S = 0.5
"""Poll interval of an event stream when the app runs without its lifespan (no hub)."""


class EventHub:
    """Wakes the requests waiting on a run when that run changes.

    Runs change in worker processes, so the web process learns of changes by reading
    the new ``run_events`` rows every ``interval_s``: one query for all waiters, and
    only the waiters of the runs that changed are woken (no thundering herd when
    hundreds of clients long-poll at once).
    """

    def __init__(self, store: Store, interval_s: float = 0.05) -> None:
        self.store = store
        self.interval_s = interval_s
        self.latest = 0
        self._runs: dict[str, tuple[asyncio.Event, int]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def token(self, run_id: str) -> asyncio.Event:
        """Take before reading the run; it is set when the run changes afterwards."""
        ev, n = self._runs.get(run_id, (None, 0))
        if ev is None:
            ev = asyncio.Event()
        self._runs[run_id] = (ev, n + 1)
        return ev

    def release(self, run_id: str, token: asyncio.Event) -> None:
        """Give a token back (always, in a ``finally``)."""
        cur = self._runs.get(run_id)
        if cur is not None and cur[0] is token:
            if cur[1] <= 1:
                del self._runs[run_id]
            else:
                self._runs[run_id] = (token, cur[1] - 1)

    def poke(self, run_id: str) -> None:
        """Wake the waiters of a run now (after a change made by this process)."""
        cur = self._runs.pop(run_id, None)
        if cur is not None:
            cur[0].set()

    @staticmethod
    async def wait(token: asyncio.Event, timeout_s: float) -> bool:
        """True when the run changed since ``token`` was taken, False on timeout."""
        try:
            await asyncio.wait_for(token.wait(), timeout=max(0.0, timeout_s))
        except TimeoutError:
            return False
        return True

    async def _run(self) -> None:
        self.latest = await to_thread.run_sync(R.latest_event_id, self.store)
        while True:
            try:
                # Always read the changes themselves (not just the latest id), so a waiter
                # that registered while this query ran cannot miss its run's change.
                latest, changed = await to_thread.run_sync(R.changes_after, self.store, self.latest)
                self.latest = latest
                for run_id in changed:
                    self.poke(run_id)
            except Exception:
                log.exception("event poll failed")
            await asyncio.sleep(self.interval_s)


@contextlib.contextmanager
def watching(hub: EventHub | None, run_id: str) -> Iterator[asyncio.Event | None]:
    """A token of ``run_id`` from ``hub`` (None without a hub), released on exit."""
    token = hub.token(run_id) if hub is not None else None
    try:
        yield token
    finally:
        if hub is not None and token is not None:
            hub.release(run_id, token)


MAX_EVENT_ID = 2**63 - 1
"""Largest event id a database stores (a signed 64-bit integer)."""


def resume_after(last_event_id: str | None) -> int:
    """The event id a stream resumes after (``Last-Event-ID``).

    0 (the whole history) when the header is absent, not a decimal number, or larger
    than any event id can be: such a header is ignored, never an error.
    """
    if not last_event_id or not last_event_id.isascii() or not last_event_id.isdigit():
        return 0
    value = int(last_event_id)
    return value if value <= MAX_EVENT_ID else 0


async def status_stream(
    store: Store, hub: EventHub | None, run_id: str, after: int, max_s: float
) -> AsyncIterator[str]:
    """The ``text/event-stream`` of a run's status changes after event ``after``.

    Ends after a terminal status or ``max_s`` seconds (the client reconnects with
    ``Last-Event-ID``); a keep-alive comment every :data:`KEEP_ALIVE_S` of silence.
    """
    last = after
    end = time.monotonic() + max_s
    yield "retry: 2000\n\n"
    while True:
        with watching(hub, run_id) as token:
            rows = await to_thread.run_sync(R.events_after, store, run_id, last)
            done = False
            for e in rows:
                last = e.id
                yield f"id: {e.id}\nevent: status\ndata: {dumps(event_data(run_id, e))}\n\n"
                done = done or e.status in R.TERMINAL
            if done or time.monotonic() >= end:
                return
            if token is None:
                await asyncio.sleep(NO_HUB_POLL_S)
            elif not await EventHub.wait(token, min(KEEP_ALIVE_S, end - time.monotonic())):
                yield ": keep-alive\n\n"


def status_response(
    store: Store, hub: EventHub | None, run_id: str, after: int, max_s: float
) -> StreamingResponse:
    """:func:`status_stream` as a response, with the headers that keep proxies from buffering."""
    return StreamingResponse(
        status_stream(store, hub, run_id, after, max_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
