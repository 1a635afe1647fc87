"""What ``opportune serve`` and ``opportune keys ...`` do (the CLI only forwards here)."""

from __future__ import annotations

import sys

from sqlalchemy.engine import make_url

from optimizer.service import auth
from optimizer.service.db import Store
from optimizer.service.settings import ServiceSettings


def _redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def serve(host: str, port: int, workers: int | None) -> None:
    """Run the HTTP service until interrupted.

    Parameters
    ----------
    host, port : str, int
        Where to listen (default loopback only).
    workers : int, optional
        Overrides ``OPPORTUNE_WORKERS``.
    """
    # Lazy: the web app (FastAPI, the routes, the worker supervisor) and uvicorn take
    # a second to import, which ``opportune keys ...`` (this module too) does not need.
    import uvicorn

    from optimizer.service.app import create_app

    settings = ServiceSettings()
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    app = create_app(settings)
    sys.stderr.write(
        f"opportune service on http://{host}:{port}/v1 (OpenAPI: /openapi.json), "
        f"store {_redact(settings.database_url)}, {settings.workers} worker(s)\n"
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=30,
        # open requests (long polls, event streams) get the workers' grace period
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_s)),
    )


def run_workers(workers: int | None) -> None:
    """Run solver worker processes on the store until SIGTERM or SIGINT (no web server).

    Parameters
    ----------
    workers : int, optional
        Overrides ``OPPORTUNE_WORKERS``.
    """
    import logging
    import signal
    import threading

    from optimizer.service.worker import Supervisor

    settings = ServiceSettings()
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    store = Store.from_url(settings.database_url, pool_size=2)
    stop = threading.Event()

    def on_signal(_sig: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sup = Supervisor(store, settings)
    sup.start()
    sys.stderr.write(
        f"opportune worker: {settings.workers} solver process(es) on "
        f"{_redact(settings.database_url)}\n"
    )
    try:
        while not stop.wait(1.0):
            pass
    finally:
        sup.stop()
        store.dispose()


def create_key(tenant: str) -> str:
    """Create an API key; print its metadata, then the key alone on the last line."""
    settings = ServiceSettings()
    store = Store.from_url(settings.database_url, pool_size=1)
    try:
        key, info = auth.create_key(store, tenant, settings.api_key_pepper.get_secret_value())
    finally:
        store.dispose()
    sys.stdout.write(
        f"created API key #{info.key_id} ({info.prefix}...) for tenant '{info.tenant}' in "
        f"{_redact(settings.database_url)}.\n"
        "It is shown only this once; only its hash is stored. The key:\n"
    )
    sys.stdout.write(key + "\n")
    return key


def list_keys() -> None:
    """Print every key's id, tenant, prefix and state (never the key)."""
    settings = ServiceSettings()
    store = Store.from_url(settings.database_url, pool_size=1)
    try:
        rows = auth.list_keys(store)
    finally:
        store.dispose()
    for k in rows:
        state = "revoked " + k.revoked_at.isoformat() if k.revoked_at else "active"
        sys.stdout.write(
            f"#{k.key_id}\t{k.tenant}\t{k.prefix}...\tcreated {k.created_at.isoformat()}\t{state}\n"
        )


def revoke_key(key_id: int) -> bool:
    """Revoke a key by id; True if it was active."""
    settings = ServiceSettings()
    store = Store.from_url(settings.database_url, pool_size=1)
    try:
        return auth.revoke_key(store, key_id)
    finally:
        store.dispose()
