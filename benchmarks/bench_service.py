"""Load benchmark of the HTTP service on loopback.

Starts ``opportune serve`` on a free loopback port with a fresh SQLite database (or
``--database-url``), creates one API key per tenant, then ``--clients`` concurrent
clients submit ``--runs`` small runs (the bundled ``scenarios/conveyor.yaml``) and the
benchmark waits until every run has ended.  Prints the submit latency (p50 / p95 /
p99, ms), the submit throughput, and the runs completed per minute.

Modes:

* ``burst`` (default): each client submits its share back to back; the queue fills
  up and the workers drain it.  Submit latency is measured under the full load of
  the workers solving at the same time (the worst case for the API).
* ``closed``: each client submits one run, long-polls it to the end, then submits the
  next (a CMMS that waits for each plan).  ``--ramp-s`` spreads the clients' first
  submissions (otherwise all 50 arrive in the same millisecond).

Usage::

    python benchmarks/bench_service.py --clients 50 --runs 500 [--workers 2] [--mode burst]

Every request is sent to 127.0.0.1 only; the loops are bounded by ``--runs`` and
``--timeout-s``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def conveyor() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "scenarios" / "conveyor.yaml").read_text(encoding="utf-8"))
    out: dict[str, Any] = json.loads(json.dumps(data, default=lambda o: o.isoformat()))
    return out


def start_server(
    env: dict[str, str], port: int, log: Path, nice: int = 0
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimizer", "serve", "--port", str(port)],
        env=env,
        cwd=str(ROOT),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        # its worker processes add OPPORTUNE_WORKER_NICE to this
        preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text()[-2000:]}")
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/v1/readyz", timeout=2)
            if r.status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server not ready in 60 s")


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        for k in kids:
            out.append(int(k))
            todo.append(int(k))
    return out


def cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the web process(es) and of the worker processes.

    Web processes are the server and any child that is not a worker (uvicorn workers);
    forked per-run children that already ended are not counted (Linux only).
    """
    web = _proc_cpu_s(server_pid)
    workers = 0.0
    for pid in _descendants(server_pid):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"multiprocessing" in cmd and b"spawn_main" in cmd:
            workers += _proc_cpu_s(pid)
        else:
            web += _proc_cpu_s(pid)
    return {"web": web, "workers": workers}


def new_key(env: dict[str, str], tenant: str) -> str:
    res = subprocess.run(
        [sys.executable, "-m", "optimizer", "keys", "create", "--tenant", tenant],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        check=True,
    )
    return res.stdout.strip().splitlines()[-1]


class RawPoster:
    """A minimal keep-alive HTTP/1.1 client that POSTs one body (one per simulated client).

    httpx spends ~3 ms of CPU per request; with 50 clients in one event loop on a
    2-core machine the benchmark itself then queues requests for ~150 ms before they
    are even sent, so the submit latency would measure the client.  This client costs
    a few tens of microseconds per request (``--client httpx`` still measures with httpx).
    """

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        """Send the request; returns the status code and the Location header."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        head += [f"Content-Length: {len(body)}", "", ""]
        self.writer.write("\r\n".join(head).encode("latin-1") + body)
        status = int((await self.reader.readline()).split()[1])
        length, location, close = 0, "", False
        while True:
            line = (await self.reader.readline()).decode("latin-1").strip()
            if not line:
                break
            name, _, value = line.partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "location":
                location = value.strip()
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, location

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def run_load(
    server_pid: int,
    url: str,
    keys: list[str],
    n_runs: int,
    n_clients: int,
    mode: str,
    timeout_s: float,
    ramp_s: float,
    submit_only: bool = False,
    client_kind: str = "raw",
) -> dict[str, Any]:
    body = json.dumps({"input": conveyor()}).encode()
    host, port = url.rsplit("/", 1)[-1].rsplit(":", 1)[0], int(url.rsplit(":", 1)[1])
    latencies_ms: list[float] = []
    locations: list[tuple[str, str]] = []
    next_index = 0
    errors: dict[int, int] = {}
    limits = httpx.Limits(max_connections=n_clients + 10, max_keepalive_connections=n_clients + 10)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def client_task(k: int) -> None:
            nonlocal next_index
            await asyncio.sleep(ramp_s * k / n_clients)  # clients start spread over ramp_s
            key = keys[k % len(keys)]
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            raw = RawPoster(host, port)
            while next_index < n_runs:
                next_index += 1
                t0 = time.perf_counter()
                if client_kind == "raw":
                    status, loc = await raw.post("/v1/schedule-runs", headers, body)
                else:
                    r = await client.post("/v1/schedule-runs", content=body, headers=headers)
                    status, loc = r.status_code, r.headers.get("location", "")
                latencies_ms.append(1000 * (time.perf_counter() - t0))
                if status != 202:
                    errors[status] = errors.get(status, 0) + 1
                    continue
                locations.append((loc, key))
                if mode == "closed":
                    await wait_done(client, loc, key, timeout_s)
            await raw.close()

        cpu0, client0 = cpu_snapshot(server_pid), time.process_time()
        load0 = os.getloadavg()[0]
        t_start = time.perf_counter()
        await asyncio.gather(*(client_task(k) for k in range(n_clients)))
        t_submitted = time.perf_counter()
        cpu1, client1 = cpu_snapshot(server_pid), time.process_time()
        views = (
            []
            if submit_only
            else await asyncio.gather(
                *(wait_done(client, loc, key, timeout_s) for loc, key in locations)
            )
        )
        t_done = time.perf_counter()
    statuses: dict[str, int] = {}
    for v in views:
        statuses[v["status"]] = statuses.get(v["status"], 0) + 1
    run_s = [v["timings"]["run_s"] for v in views if v["timings"]["run_s"] is not None]
    wait_s = [v["timings"]["queue_wait_s"] for v in views if v["timings"]["queue_wait_s"]]
    lat = np.asarray(latencies_ms)
    return {
        "mode": mode,
        "client": client_kind,
        "latencies_ms": latencies_ms,
        "ramp_s": ramp_s,
        "clients": n_clients,
        "runs_submitted": len(locations),
        "submit_errors": errors,
        "statuses": statuses,
        "submit_p50_ms": float(np.percentile(lat, 50)),
        "submit_p95_ms": float(np.percentile(lat, 95)),
        "submit_p99_ms": float(np.percentile(lat, 99)),
        "submit_max_ms": float(lat.max()),
        "submit_phase_s": t_submitted - t_start,
        "submits_per_s": len(latencies_ms) / (t_submitted - t_start),
        "total_s": t_done - t_start,
        "runs_completed_per_min": (
            None if submit_only else 60 * statuses.get("completed", 0) / (t_done - t_start)
        ),
        "submit_phase_cpu_s": {
            "web": cpu1["web"] - cpu0["web"],
            "workers": cpu1["workers"] - cpu0["workers"],
            "client": client1 - client0,
        },
        "loadavg_1min_before": load0,
        "run_s_median": statistics.median(run_s) if run_s else None,
        "queue_wait_s_max": max(wait_s) if wait_s else None,
    }


async def wait_done(
    client: httpx.AsyncClient, loc: str, key: str, timeout_s: float
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            r = await client.get(loc, params={"wait_s": 30}, headers=headers)
        except httpx.TransportError:
            # a kept-alive connection closed by the server as it was reused: retry (GET)
            await asyncio.sleep(0.1)
            continue
        view: dict[str, Any] = r.json()
        if view["status"] in ("completed", "time_limit", "failed", "cancelled"):
            return view
        if time.monotonic() > deadline:
            raise SystemExit(f"{loc} did not finish within {timeout_s} s")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--worker-procs",
        type=int,
        default=0,
        help="scale-out layout: the server runs with --workers 0 and this many separate "
        "'opportune worker --workers 1' processes solve (0: the server's own workers)",
    )
    ap.add_argument("--tenants", type=int, default=5)
    ap.add_argument("--mode", choices=["burst", "closed"], default="burst")
    ap.add_argument("--ramp-s", type=float, default=0.0, help="spread client starts over")
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--timeout-s", type=float, default=900)
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument(
        "--dump-latencies", default=None, help="write every submit latency (ms, in order)"
    )
    ap.add_argument(
        "--server-nice",
        type=int,
        default=0,
        help="niceness of the server (negative needs root): on a machine busy with other "
        "work, -5 approximates the CPU share the web process gets on an idle machine",
    )
    ap.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="HTTP client of the submissions (see RawPoster); GETs always use httpx",
    )
    ap.add_argument(
        "--submit-only",
        action="store_true",
        help="measure the submissions only (do not wait for the runs; for profiling)",
    )
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url_db = args.database_url or f"sqlite:///{tmp}/bench.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPPORTUNE_")}
        env.update(
            {
                "OPPORTUNE_DATABASE_URL": url_db,
                "OPPORTUNE_WORKERS": str(args.workers),
                "OPPORTUNE_MAX_QUEUED_PER_TENANT": str(args.runs),
                "OPPORTUNE_MAX_QUEUED_TOTAL": str(args.runs + 1),
                "OPPORTUNE_LOG_LEVEL": "warning",
                "PYTHONPATH": str(ROOT),
            }
        )
        keys = [new_key(env, f"tenant-{j}") for j in range(args.tenants)]
        port = free_port()
        solvers: list[subprocess.Popen[bytes]] = []
        if args.worker_procs:
            env["OPPORTUNE_WORKERS"] = "0"
        proc = start_server(env, port, Path(tmp) / "server.log", args.server_nice)
        for j in range(args.worker_procs):
            solvers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "optimizer", "worker", "--workers", "1"],
                    env=env,
                    cwd=str(ROOT),
                    stdout=(Path(tmp) / f"worker{j}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            res = asyncio.run(
                run_load(
                    proc.pid,
                    f"http://127.0.0.1:{port}",
                    keys,
                    args.runs,
                    args.clients,
                    args.mode,
                    args.timeout_s,
                    args.ramp_s,
                    args.submit_only,
                    args.client,
                )
            )
        finally:
            for w in solvers:
                w.send_signal(signal.SIGTERM)
            for w in solvers:
                try:
                    w.wait(30)
                except subprocess.TimeoutExpired:
                    w.kill()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    lat = res.pop("latencies_ms")
    if args.dump_latencies:
        Path(args.dump_latencies).write_text(json.dumps(lat))
    res["workers"] = args.worker_procs or args.workers
    res["worker_procs"] = args.worker_procs
    res["server_nice"] = args.server_nice
    res["cpus"] = os.cpu_count()
    if args.json:
        print(json.dumps(res, indent=2))
        return
    print(
        f"{res['runs_submitted']} runs by {res['clients']} clients ({res['mode']}, "
        f"{res['client']} client), "
        f"{res['workers']} workers, {res['cpus']} CPUs, server nice {res['server_nice']}"
    )
    print(f"  statuses            {res['statuses']}  submit errors {res['submit_errors']}")
    print(
        f"  submit latency ms   p50 {res['submit_p50_ms']:.1f}  p95 {res['submit_p95_ms']:.1f}  "
        f"p99 {res['submit_p99_ms']:.1f}  max {res['submit_max_ms']:.1f}"
    )
    print(f"  submit throughput   {res['submits_per_s']:.0f} /s over {res['submit_phase_s']:.1f} s")
    cpu = res["submit_phase_cpu_s"]
    print(
        f"  submit phase CPU s  web {cpu['web']:.2f}  worker procs {cpu['workers']:.2f} "
        "(their per-run processes not counted)  "
        f"client {cpu['client']:.2f}  (load average before {res['loadavg_1min_before']:.2f})"
    )
    if res["runs_completed_per_min"] is not None:
        print(
            f"  completed per min   {res['runs_completed_per_min']:.0f}  (all done in "
            f"{res['total_s']:.1f} s; median solve {res['run_s_median']:.3f} s)"
        )


if __name__ == "__main__":
    main()
