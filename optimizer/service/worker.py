"""Worker processes: claim queued runs from the store, solve them, store the outcome.

Process tree::

    web process (uvicorn + FastAPI)
      +-- Supervisor thread: keeps N worker processes alive, re-queues the runs of
      |   workers that died, re-queues runs whose lease ran out (any host)
      +-- worker 0 (spawned; ignores SIGINT; niceness +worker_nice)
      |     +-- one forked child per run: plans / simulates, sends the outcome back
      +-- worker 1 ...

A worker never solves in its own process: it forks a child per run and waits for it
while renewing the run's lease every second.  So the worker stays responsive however
long the solver holds the GIL, and can stop a run at once: when the run was cancelled
(its lease renewal fails), when it exceeds its time limit plus ``run_grace_s``, or on
shutdown, it kills the child with SIGKILL.  While the solver works, the child sends
its improved plans ("incumbents", at most one a second, already turned into work
orders) through the same pipe; the worker stores each as the run's best plan so far
(``GET`` shows it while the run is ``running``).  A run cancelled while solving keeps
the newest of them, with ``plan_status`` ``cancelled``.

Worker processes run at a lower CPU priority (``os.nice(worker_nice)``, default +10):
on a machine where the web process and the solvers share the cores, accepting and
answering requests wins over solving, which only finishes a little later.

On Linux every process asks the kernel to kill it when its parent dies
(``PR_SET_PDEATHSIG``), so killing the server with SIGKILL leaves no orphan solving;
the runs they held are found at the next start (their worker's pid is gone, or their
lease ran out) and queued again, up to ``max_attempts`` attempts.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import logging
import multiprocessing as mp
import multiprocessing.connection as mpc
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

from sqlalchemy.exc import OperationalError

from optimizer.service.db import Store, make_engine, storage_full
from optimizer.service.jsonutil import dumps
from optimizer.service.problems import problem_body
from optimizer.service.runs import (
    HOST,
    Claimed,
    Outcome,
    claim,
    finish,
    keep_incumbent,
    progress,
    recover,
    release,
    renew_lease,
    running_runs,
    worker_identity,
)
from optimizer.service.settings import ServiceSettings

log = logging.getLogger("opportune.service.worker")
PR_SET_PDEATHSIG = 1
# Names, not imported modules: this module is imported by the web process (for the
# Supervisor), which must not load the planner, solvers and simulator; each worker
# process imports these before it forks its first run.
WARM_MODULES = (
    "optimizer.planning.pipeline",
    "optimizer.service.jobs",
    "optimizer.solvers.dp",
    "optimizer.solvers.milp",
    "optimizer.solvers.cpsat",
    "optimizer.solvers.shutdown",
    "optimizer.planning.workorders",
    "optimizer.problem.purchasing",
    "optimizer.sim.simulate",
    "optimizer.report.comparison",
)
HEARTBEAT_S = 1.0
"""How often a busy worker renews its lease and checks for cancellation."""
STORE_RETRY_S = 1.0
"""How often a worker retries storing a finished run's outcome the store refused."""


def retryable(exc: BaseException) -> bool:
    """True when a failed write may succeed later: disk full, database unreachable."""
    return storage_full(exc) or isinstance(exc, OperationalError)


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# ----------------------------------------------------------------------------------------
# one run, in a forked child
# ----------------------------------------------------------------------------------------
PROGRESS = b"P"
"""Tag of a child's message carrying an incumbent (a ``running`` outcome)."""
FINAL = b"F"
"""Tag of a child's message carrying the run's outcome."""


def _child_main(
    claimed: Claimed, max_time_limit_s: float, conn: mpc.Connection, dask_address: str | None
) -> None:
    die_with_parent()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Lazy: jobs imports the planner, solvers and simulator, which the web process
    # (it imports this module for the Supervisor) must not load; here, in a child
    # forked from a warmed worker (WARM_MODULES), the import is already done.
    from optimizer.service.jobs import execute

    def progress(outcome: Outcome) -> None:
        conn.send_bytes(PROGRESS + dumps(outcome.__dict__).encode("utf-8"))

    outcome = execute(
        claimed, max_time_limit_s=max_time_limit_s, on_progress=progress, dask_address=dask_address
    )
    conn.send_bytes(FINAL + dumps(outcome.__dict__).encode("utf-8"))
    conn.close()


def _outcome_from(payload: bytes) -> Outcome:
    data: dict[str, Any] = json.loads(payload.decode("utf-8"))
    return Outcome(**data)


def _failed(slug: str, title: str, detail: str, status: int = 500, **extra: Any) -> Outcome:
    return Outcome("failed", problem=problem_body(status, slug, detail, title=title, **extra))


PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 4096 / 2**20
MEMORY_CHECK_S = 0.25
"""How often a worker reads its solver process's resident memory."""


def resident_mb(pid: int) -> float:
    """Resident memory of a process, MiB (0 when it cannot be read: not Linux, gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_MB
    except (OSError, ValueError, IndexError):
        return 0.0


def out_of_memory(attempt: int) -> Outcome:
    """The failed outcome of a run whose solver process the operating system killed."""
    return _failed(
        "out-of-memory",
        "Solver process killed by the system",
        f"the solver process of attempt {attempt} was killed by the operating system "
        "(SIGKILL, not by the service): it most likely ran out of memory. Reduce the "
        "scenario (components, periods, replications) or give the workers more memory.",
        status=503,
        failure="out-of-memory",
    )


def memory_exceeded(cap_mb: int, used_mb: float) -> Outcome:
    """The failed outcome of a run whose solver process went over the memory cap."""
    return _failed(
        "memory-limit-exceeded",
        "Run exceeded its memory limit",
        f"the solver process used {used_mb:.0f} MiB, over the limit of {cap_mb} MiB per "
        "run (OPPORTUNE_WORKER_MEMORY_MB), and was stopped. Reduce the scenario "
        "(components, periods, replications) or raise the limit.",
        status=422,
        failure="memory-limit",
        memory_limit_mb=cap_mb,
    )


@dataclass
class _Worker:
    store: Store
    settings: ServiceSettings
    index: int
    parent_pid: int
    wid: str = ""
    draining: bool = field(default=False)
    terminating: bool = field(default=False)

    def parent_alive(self) -> bool:
        return os.getppid() == self.parent_pid

    def loop(self) -> None:
        self.wid = worker_identity(self.index)
        while not self.draining and not self.terminating and self.parent_alive():
            try:
                claimed = claim(self.store, self.wid, self.settings.lease_s)
            except Exception:
                log.exception("worker %s: cannot claim a run", self.wid)
                claimed = None
                time.sleep(1.0)
            if claimed is None:
                time.sleep(self.settings.poll_interval_s)
                continue
            self.run_one(claimed)

    def run_one(self, claimed: Claimed) -> None:
        ctx = mp.get_context("fork")
        recv, send = ctx.Pipe(duplex=False)
        child = ctx.Process(
            target=_child_main,
            args=(claimed, self.settings.max_time_limit_s, send, self.settings.dask_address),
            name=f"opportune-run-{claimed.id[:8]}",
            daemon=True,
        )
        child.start()
        send.close()
        limit = claimed.time_limit_s or self.settings.max_time_limit_s
        deadline = time.monotonic() + limit + self.settings.run_grace_s
        next_beat = time.monotonic() + HEARTBEAT_S
        cap_mb = self.settings.memory_cap_mb
        next_memory = 0.0
        killed_by_system = False
        payload: bytes | None = None
        outcome: Outcome | None = None
        best: Outcome | None = None  # newest incumbent received
        abandoned = False

        def receive(timeout_s: float) -> bool:
            """Read one message if one comes within the timeout; False if none came."""
            nonlocal payload, best
            if not recv.poll(timeout_s):
                return False
            try:
                message = recv.recv_bytes()
            except EOFError:
                payload = b""
                return True
            if message[:1] == PROGRESS:
                best = _outcome_from(message[1:])
                self._store_progress(claimed.id, best)
            else:
                payload = message[1:]
            return True

        while True:
            if payload is None:
                receive(0.05)
            if payload is None and not child.is_alive():
                # It may have written its last messages just before it exited (after the
                # poll above timed out): read what the pipe still holds.
                while payload is None and receive(0.0):
                    pass
            if payload is not None or not child.is_alive():
                child.join(5.0)
                if payload:
                    outcome = _outcome_from(payload)
                elif child.exitcode == -signal.SIGKILL:
                    killed_by_system = True  # not by us: the kernel's OOM killer
                else:
                    code = child.exitcode
                    how = f"signal {-code}" if code is not None and code < 0 else f"code {code}"
                    outcome = _failed(
                        "worker-crashed",
                        "Solver process died",
                        f"the solver process of this run ended with {how} without a result "
                        "(out of memory?)",
                    )
                break
            now = time.monotonic()
            if now >= next_memory and child.pid is not None:
                next_memory = now + MEMORY_CHECK_S
                used_mb = resident_mb(child.pid)
                if used_mb > cap_mb:
                    log.warning(
                        "worker %s: run %s uses %.0f MiB (limit %d MiB): stopped",
                        self.wid,
                        claimed.id,
                        used_mb,
                        cap_mb,
                    )
                    outcome = memory_exceeded(cap_mb, used_mb)
                    break
            if now >= next_beat:
                next_beat = now + HEARTBEAT_S
                try:
                    mine = renew_lease(self.store, claimed.id, self.wid, self.settings.lease_s)
                except Exception:
                    log.exception("worker %s: lease renewal failed", self.wid)
                    mine = True  # a database hiccup is not a cancellation
                if not mine:
                    abandoned = True  # cancelled, or taken over after a lost lease
                    break
            if now >= deadline:
                outcome = _failed(
                    "time-limit-exceeded",
                    "Run exceeded its time limit",
                    f"the run did not stop within its time limit of {limit:g} s plus "
                    f"{self.settings.run_grace_s:g} s grace and was stopped",
                    status=504,
                )
                break
            if self.terminating or not self.parent_alive():
                break  # shutdown: the run is queued again below
        if child.is_alive():
            child.kill()
            child.join(5.0)
        recv.close()
        if abandoned and best is not None:
            try:
                keep_incumbent(self.store, claimed.id, self.wid, best)
            except Exception:
                log.exception(
                    "worker %s: cannot keep the plan of cancelled %s", self.wid, claimed.id
                )
        if killed_by_system:
            log.warning(
                "worker %s: the solver of %s was killed (out of memory?)", self.wid, claimed.id
            )
            if claimed.attempt <= self.settings.oom_retries:
                try:
                    release(
                        self.store,
                        claimed.id,
                        self.wid,
                        "its solver process was killed by the system (out of memory?)",
                        count_attempt=True,
                        max_attempts=self.settings.oom_retries + 1,
                    )
                except Exception:
                    log.exception("worker %s: cannot queue %s again", self.wid, claimed.id)
                return
            outcome = out_of_memory(claimed.attempt)
        if outcome is not None:
            self._store_outcome(claimed.id, outcome)
        elif not abandoned:
            release(
                self.store,
                claimed.id,
                self.wid,
                "the server shut down during the run",
                count_attempt=False,
                max_attempts=self.settings.max_attempts,
            )

    def _store_outcome(self, run_id: str, outcome: Outcome) -> None:
        """Store a run's outcome; while the store cannot take it, keep it and retry.

        When the disk of the store is full (or the database is unreachable) the finished
        result stays in this process and the write is retried every
        :data:`STORE_RETRY_S` (renewing the run's lease, so nobody takes the run over),
        until it is stored, the run is no longer this worker's, or the worker stops.
        """
        warned = False
        while True:
            try:
                finish(self.store, run_id, self.wid, outcome)
                if warned:
                    log.warning("worker %s: outcome of %s stored at last", self.wid, run_id)
                return
            except Exception as exc:
                if not retryable(exc) or self.terminating or not self.parent_alive():
                    log.exception("worker %s: cannot store the outcome of %s", self.wid, run_id)
                    return
                if not warned:
                    why = "the disk is full" if storage_full(exc) else "the store is unreachable"
                    log.warning(
                        "worker %s: cannot store the outcome of %s (%s): kept, retrying",
                        self.wid,
                        run_id,
                        why,
                    )
                    warned = True
            with contextlib.suppress(Exception):
                renew_lease(self.store, run_id, self.wid, self.settings.lease_s)
            time.sleep(STORE_RETRY_S)

    def _store_progress(self, run_id: str, best: Outcome) -> None:
        try:
            progress(self.store, run_id, self.wid, best)
        except Exception:
            # the next incumbent (or the final outcome) is stored instead
            log.exception("worker %s: cannot store the best plan so far of %s", self.wid, run_id)


def worker_main(settings: ServiceSettings, index: int, parent_pid: int, ready: Any = None) -> None:
    """Entry point of a worker process (spawned by the :class:`Supervisor`).

    Signals: SIGUSR1 = drain (claim nothing more, finish the current run); SIGTERM =
    stop now (kill the current run's process and queue the run again).  Plain signals,
    not a ``multiprocessing.Event``: a process killed while waiting on such an event
    can leave it unusable, and ``Event.set()`` then blocks forever.
    """
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    with contextlib.suppress(OSError):
        os.nice(settings.worker_nice)
    # Import the core once here, so each forked run starts warm (the solver backends
    # are imported lazily by the core; importing OR-Tools and HiGHS in every run's
    # process would triple the time of a small run).  Nothing is *run* here: a solver
    # thread pool started before fork() would be unusable in the children.
    for module in WARM_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    # The web process created the tables before starting the workers.
    store = Store(make_engine(settings.database_url, pool_size=2))
    worker = _Worker(store, settings, index, parent_pid)
    if ready is not None:
        ready.value = 1  # warm and connected: counts as alive for /readyz

    def on_term(_sig: int, _frame: Any) -> None:
        worker.terminating = True

    def on_drain(_sig: int, _frame: Any) -> None:
        worker.draining = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGUSR1, on_drain)
    try:
        worker.loop()
    finally:
        store.dispose()


# ----------------------------------------------------------------------------------------
# supervisor (a thread in the web process)
# ----------------------------------------------------------------------------------------
class Supervisor:
    """Keeps ``settings.workers`` worker processes alive and recovers orphaned runs.

    Parameters
    ----------
    store : Store
        The web process's store (for recovery; workers open their own).
    settings : ServiceSettings
        Service settings (passed to the workers).
    """

    def __init__(self, store: Store, settings: ServiceSettings) -> None:
        self.store = store
        self.settings = settings
        self._ctx = mp.get_context("spawn")
        self._stop = threading.Event()
        self._procs: list[BaseProcess | None] = [None] * settings.workers
        # Lock-free shared flags (a lock held by a killed process would never be freed).
        self._ready = [self._ctx.RawValue("i", 0) for _ in range(settings.workers)]
        # a worker that keeps dying (database unreachable...) is restarted with back-off
        self._failures = [0] * settings.workers
        self._not_before = [0.0] * settings.workers
        self._spawned_at = [0.0] * settings.workers
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.started_at = time.monotonic()
        self.restarts = 0

    def start(self) -> None:
        """Recover orphaned runs, start the workers and the supervision thread."""
        try:
            for run_id, status in recover(self.store, self.settings.max_attempts):
                log.warning("run %s was orphaned by a previous server: now %s", run_id, status)
        except Exception:
            log.exception("recovery of orphaned runs failed")
        self._thread = threading.Thread(target=self._loop, name="opportune-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self, index: int) -> BaseProcess:
        self._ready[index].value = 0
        proc = self._ctx.Process(
            target=worker_main,
            args=(self.settings, index, os.getpid(), self._ready[index]),
            name=f"opportune-worker-{index}",
            daemon=False,
        )
        proc.start()
        return proc

    def _check_children(self) -> None:
        now = time.monotonic()
        for i, proc in enumerate(self._procs):
            if proc is not None and proc.is_alive():
                if now - self._spawned_at[i] > 60:
                    self._failures[i] = 0  # it has been up a while: healthy again
                continue
            if proc is not None:
                code = proc.exitcode
                proc.join(0)
                self.restarts += 1
                self._failures[i] += 1
                delay = min(30.0, 0.5 * 2 ** (self._failures[i] - 1))
                self._not_before[i] = now + delay
                log.warning(
                    "worker %d (pid %s) exited with %s; restarting in %.1f s",
                    i,
                    proc.pid,
                    code,
                    delay,
                )
                self._release_of(proc.pid, i, f"its worker process exited with {code}")
                with self._lock:
                    self._procs[i] = None
            if now < self._not_before[i]:
                continue
            with self._lock:
                if not self._stop.is_set():
                    self._procs[i] = self._spawn(i)
                    self._spawned_at[i] = now

    def _release_of(self, pid: int | None, index: int, reason: str) -> None:
        if pid is None:
            return
        wid = f"{HOST}:{pid}:w{index}"
        for run_id, worker_id, _lease in running_runs(self.store):
            if worker_id == wid:
                release(
                    self.store,
                    run_id,
                    wid,
                    reason,
                    count_attempt=True,
                    max_attempts=self.settings.max_attempts,
                )

    def _loop(self) -> None:
        next_reap = 0.0
        while not self._stop.is_set():
            try:
                self._check_children()
                now = time.monotonic()
                if now >= next_reap:
                    next_reap = now + max(1.0, self.settings.lease_s / 3)
                    for run_id, status in recover(self.store, self.settings.max_attempts):
                        log.warning("run %s lost its worker: now %s", run_id, status)
            except Exception:
                log.exception("supervisor iteration failed")
            self._stop.wait(0.5)
        # The shutdown runs in this thread on purpose: the workers were started from it,
        # and PR_SET_PDEATHSIG kills them as soon as the thread that forked them ends.
        self._shutdown()

    def alive(self) -> int:
        """Number of worker processes that are up and ready to take runs."""
        with self._lock:
            return sum(
                1
                for p, ready in zip(self._procs, self._ready, strict=True)
                if p is not None and p.is_alive() and ready.value == 1
            )

    def stop(self) -> None:
        """Stop the workers (a busy one gets ``shutdown_grace_s`` to finish its run)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.settings.shutdown_grace_s + 15.0)

    def _shutdown(self) -> None:
        deadline = time.monotonic() + self.settings.shutdown_grace_s
        with self._lock:
            procs = [p for p in self._procs if p is not None]
        for p in procs:
            if p.pid is not None and p.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p.pid, signal.SIGUSR1)  # drain: finish the current run
        for p in procs:
            p.join(max(0.0, deadline - time.monotonic()))
        for p in procs:
            if p.is_alive():
                p.terminate()  # the worker kills its run and queues it again
        for p in procs:
            p.join(5.0)
            if p.is_alive():
                p.kill()
                p.join(1.0)
