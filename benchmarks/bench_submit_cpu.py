"""CPU time per submission of the web application, without HTTP or other processes.

Drives the ASGI application in this process (its lifespan, so the submission writer
thread and group commit are in, workers are not) with ``--clients`` concurrent
``POST /v1/schedule-runs`` of the bundled conveyor scenario, and prints the process
CPU time per submission (all threads) and the wall time.  uvicorn's HTTP parsing and
the socket writes are not in the figure; everything the application does is.  Unlike
``bench_service.py`` the figure hardly depends on what else the machine is doing, so
it compares two versions of the code on a busy machine.

Usage::

    python benchmarks/bench_submit_cpu.py [--runs 2000] [--clients 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_service import conveyor  # noqa: E402

from optimizer.service.app import create_app  # noqa: E402
from optimizer.service.auth import create_key  # noqa: E402
from optimizer.service.settings import ServiceSettings  # noqa: E402

PEPPER = "bench-pepper"


async def _post(app: Any, key: str, body: bytes) -> int:
    """One request through the ASGI interface; returns the status code."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/schedule-runs",
        "raw_path": b"/v1/schedule-runs",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {key}".encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # a client that stays connected
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status


async def _lifespan(app: Any, body: bytes, keys: list[str], runs: int, clients: int) -> Any:
    startup: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    done = asyncio.Event()
    started = asyncio.Event()
    stopped = asyncio.Event()
    await startup.put({"type": "lifespan.startup"})

    async def receive() -> dict[str, Any]:
        return await startup.get()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()
        elif message["type"] == "lifespan.shutdown.complete":
            stopped.set()
        elif message["type"].endswith(".failed"):
            raise SystemExit(f"lifespan failed: {message}")

    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    await started.wait()
    # warm up: the caches of the key lookups and of SQLAlchemy's compiled statements
    for k in keys:
        await _post(app, k, body)
    counter = iter(range(runs))
    statuses: dict[int, int] = {}

    async def client(j: int) -> None:
        for _ in counter:
            code = await _post(app, keys[j % len(keys)], body)
            statuses[code] = statuses.get(code, 0) + 1

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client(j) for j in range(clients)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    done.set()
    await startup.put({"type": "lifespan.shutdown"})
    await stopped.wait()
    await task
    return cpu, wall, statuses


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--tenants", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    body = json.dumps({"config": {"seed": 1}, "input": conveyor()}).encode()
    per: list[float] = []
    for rep in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            cfg = ServiceSettings(
                database_url=f"sqlite:///{tmp}/cpu.db",
                api_key_pepper=PEPPER,
                workers=0,
                max_queued_per_tenant=args.runs + 10,
                max_queued_total=args.runs + 100,
            )
            app = create_app(cfg, start_workers=False)
            store = app.state.ctx.store
            keys = [create_key(store, f"tenant-{j}", PEPPER)[0] for j in range(args.tenants)]
            cpu, wall, statuses = asyncio.run(_lifespan(app, body, keys, args.runs, args.clients))
            if set(statuses) != {202}:
                raise SystemExit(f"unexpected statuses {statuses}")
            per.append(1e3 * cpu / args.runs)
            print(
                f"repeat {rep}: {args.runs} submissions, CPU {1e3 * cpu / args.runs:.3f} ms "
                f"each, wall {1e3 * wall / args.runs:.3f} ms each "
                f"({args.runs / wall:.0f} /s in one process)"
            )
    print(f"CPU ms per submission: min {min(per):.3f}  median {statistics.median(per):.3f}")


if __name__ == "__main__":
    main()
