"""What ``opportune serve`` and ``opportune keys ...`` do (the CLI only forwards here)."""

from __future__ import annotations

import sys

from optimizer.service.settings import ServiceSettings


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

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
        timeout_graceful_shutdown=20,
    )


def create_key(tenant: str) -> str:
    """Create an API key; print its metadata, then the key alone on the last line."""
    from optimizer.service.auth import create_key as _create
    from optimizer.service.db import Store

    settings = ServiceSettings()
    store = Store.from_url(settings.database_url, pool_size=1)
    try:
        key, info = _create(store, tenant, settings.api_key_pepper.get_secret_value())
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
    from optimizer.service.auth import list_keys as _list
    from optimizer.service.db import Store

    settings = ServiceSettings()
    store = Store.from_url(settings.database_url, pool_size=1)
    try:
        rows = _list(store)
    finally:
        store.dispose()
    for k in rows:
        state = "revoked " + k.revoked_at.isoformat() if k.revoked_at else "active"
        sys.stdout.write(
            f"#{k.key_id}\t{k.tenant}\t{k.prefix}...\tcreated {k.created_at.isoformat()}\t{state}\n"
        )


def revoke_key(key_id: int) -> bool:
    """Revoke a key by id; True if it was active."""
    from optimizer.service.auth import revoke_key as _revoke
    from optimizer.service.db import Store

    settings = ServiceSettings()
    store = Store.from_url(settings.database_url, pool_size=1)
    try:
        return _revoke(store, key_id)
    finally:
        store.dispose()
