"""Fixtures of the HTTP service tests: scenario inputs, an in-process app, a real server."""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from optimizer.service.app import create_app
from optimizer.service.auth import create_key
from optimizer.service.db import Store
from optimizer.service.jobs import execute
from optimizer.service.runs import claim, finish
from optimizer.service.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[3]
PG_URL = os.environ.get("OPPORTUNE_TEST_PG_URL", "")
"""A PostgreSQL server for the tests (``export OPPORTUNE_TEST_PG_URL=$(bash pg_start.sh)``)."""
PEPPER = "test-pepper"


def scenario_json(name: str) -> dict[str, Any]:
    """A bundled scenario as the JSON a CMMS would send (YAML -> dict -> JSON)."""
    data = yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8"))
    out: dict[str, Any] = json.loads(json.dumps(data, default=lambda o: o.isoformat()))
    return out


@pytest.fixture
def conveyor_input() -> dict[str, Any]:
    """``scenarios/conveyor.yaml`` as a JSON document (a fresh copy per test)."""
    return copy.deepcopy(_CONVEYOR)


_CONVEYOR = scenario_json("conveyor")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------------------------------
# in-process app (no worker processes: tests drain the queue themselves)
# ----------------------------------------------------------------------------------------
@dataclass
class Api:
    """A TestClient on a fresh database plus helpers."""

    client: TestClient
    store: Store
    settings: ServiceSettings
    keys: dict[str, str] = field(default_factory=dict)

    def key(self, tenant: str) -> str:
        if tenant not in self.keys:
            self.keys[tenant] = create_key(self.store, tenant, PEPPER)[0]
        return self.keys[tenant]

    def auth(self, tenant: str = "acme") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key(tenant)}"}

    def post(
        self, body: Any, tenant: str = "acme", kind: str = "schedule", **headers: str
    ) -> httpx.Response:
        r: httpx.Response = self.client.post(
            f"/v1/{kind}-runs", json=body, headers={**self.auth(tenant), **headers}
        )
        return r

    def get(self, run_id: str, tenant: str = "acme", kind: str = "schedule") -> httpx.Response:
        r: httpx.Response = self.client.get(f"/v1/{kind}-runs/{run_id}", headers=self.auth(tenant))
        return r

    def drain(self, limit: int = 100) -> int:
        """Run queued runs in this process, oldest first; returns how many ran."""
        n = 0
        while n < limit:
            claimed = claim(self.store, "test:0:w0", lease_s=60)
            if claimed is None:
                return n
            outcome = execute(claimed, max_time_limit_s=self.settings.max_time_limit_s)
            finish(self.store, claimed.id, "test:0:w0", outcome)
            n += 1
        return n


@pytest.fixture
def make_api(tmp_path: Path) -> Iterator[Callable[..., Api]]:
    """Factory of in-process apps: ``make_api(max_queued_per_tenant=2, ...)``."""
    made: list[tuple[TestClient, Store]] = []

    def make(**overrides: Any) -> Api:
        url = f"sqlite:///{tmp_path / f'api{len(made)}.db'}"
        settings = ServiceSettings(database_url=url, api_key_pepper=PEPPER, workers=0, **overrides)
        app = create_app(settings, start_workers=False)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        store = app.state.ctx.store
        made.append((client, store))
        return Api(client, store, settings)

    yield make
    for client, _store in made:
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    """An in-process app with default settings."""
    return make_api()


# ----------------------------------------------------------------------------------------
# a real server process
# ----------------------------------------------------------------------------------------
@dataclass
class Server:
    """``python -m optimizer serve`` in a subprocess on a free loopback port."""

    env: dict[str, str]
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 180.0) -> Server:
        # generous: 2 solver workers + 2 validation processes import the engine at start,
        # which takes over a minute on a loaded 2-core machine
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "optimizer", "serve", "--port", str(self.port)],
            env=self.env,
            cwd=str(ROOT),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                r = httpx.get(self.url + "/v1/readyz", timeout=2.0)
                body = r.json()
                if r.status_code == 200 and body["workers_alive"] == body["workers_expected"]:
                    return self  # every worker is warm
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready in {timeout_s} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def kill(self) -> None:
        """SIGKILL the server process (its workers die with it)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """Graceful stop (SIGTERM), then SIGKILL if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``python -m optimizer ARGS`` with the server's environment."""
        return subprocess.run(
            [sys.executable, "-m", "optimizer", *args],
            env=self.env,
            cwd=str(ROOT),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def new_key(self, tenant: str) -> str:
        res = self.cli("keys", "create", "--tenant", tenant)
        assert res.returncode == 0, res.stderr
        return res.stdout.strip().splitlines()[-1]


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPPORTUNE_")}
    env.update(
        {
            "OPPORTUNE_DATABASE_URL": database_url,
            "OPPORTUNE_API_KEY_PEPPER": PEPPER,
            "OPPORTUNE_WORKERS": "2",
            "OPPORTUNE_LOG_LEVEL": "warning",
            "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        }
    )
    env.update(extra)
    return env


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Factory of real servers; each is stopped at teardown."""
    servers: list[Server] = []

    def make(database_url: str | None = None, **extra: str) -> Server:
        url = database_url or f"sqlite:///{tmp_path / 'server.db'}"
        srv = Server(server_env(url, **extra), free_port(), tmp_path / "server.log")
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.stop()


@pytest.fixture(scope="module")
def make_module_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., Server]]:
    """Like ``make_server``, but the servers live as long as the test module."""
    servers: list[Server] = []

    def make(database_url: str | None = None, **extra: str) -> Server:
        tmp = tmp_path_factory.mktemp("srv")
        url = database_url or f"sqlite:///{tmp / 'server.db'}"
        srv = Server(server_env(url, **extra), free_port(), tmp / "server.log")
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.stop()


_SHARED: list[Server] = []


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server (SQLite, 2 workers, default settings) for every test that needs no
    fresh process, started once.

    Tests that share it use their own tenant (runs, keys and listings are per tenant) and
    leave no run queued or running.  Start-up, fault, recovery and settings tests start
    their own with ``make_server``.  It is stopped when the session leaves this folder
    (:func:`pytest_runtest_teardown`), so its idle workers do not poll for the rest of
    the suite.
    """
    tmp = tmp_path_factory.mktemp("shared-srv")
    srv = Server(server_env(f"sqlite:///{tmp / 'server.db'}"), free_port(), tmp / "server.log")
    _SHARED.append(srv)
    srv.start()
    yield srv
    srv.stop()


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop the shared server after the last test of this folder that can use it."""
    here = Path(__file__).parent
    if _SHARED and (nextitem is None or here not in Path(nextitem.path).parents):
        for srv in _SHARED:
            srv.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty database on the test server (dropped afterwards)."""
    if not PG_URL:
        pytest.skip("OPPORTUNE_TEST_PG_URL is not set (tests/optimizer/service/pg_start.sh)")
    admin_url = ServiceSettings(database_url=PG_URL).database_url
    name = f"opportune_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wait_terminal(client: httpx.Client, path: str, timeout_s: float = 60.0) -> dict[str, Any]:
    """Long-poll a run until it reaches a terminal status."""
    deadline = time.monotonic() + timeout_s
    while True:
        r = client.get(path, params={"wait_s": 10}, timeout=30)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] in ("completed", "time_limit", "failed", "cancelled"):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} still {body['status']} after {timeout_s} s")


@pytest.fixture(scope="session")
def wait_run() -> Callable[..., dict[str, Any]]:
    """``wait_run(client, path, timeout_s)``: long-poll a run until it ends."""
    return wait_terminal


@pytest.fixture(scope="session")
def scenario_doc() -> Callable[[str], dict[str, Any]]:
    """``scenario_doc(name)``: a bundled scenario as a fresh JSON document."""
    return scenario_json
