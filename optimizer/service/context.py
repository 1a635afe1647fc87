"""What the routes share (:class:`ServiceContext`) and the dependencies that read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from optimizer.service.auth import Authenticator
from optimizer.service.db import Store
from optimizer.service.events import EventHub
from optimizer.service.problems import ProblemError
from optimizer.service.settings import ServiceSettings
from optimizer.service.submissions import SubmitBatcher, ValidationPool
from optimizer.service.worker import Supervisor


@dataclass
class ServiceContext:
    """The state of one app (kept on ``app.state.ctx``).

    ``hub``, ``batcher``, ``validators`` and ``supervisor`` exist while the app's
    lifespan runs; without it (some tests) the routes fall back to polling, storing one
    run per request and validating in a thread.
    """

    settings: ServiceSettings
    store: Store
    auth: Authenticator
    supervisor: Supervisor | None = None
    hub: EventHub | None = None
    batcher: SubmitBatcher | None = None
    validators: ValidationPool | None = None

    @classmethod
    def create(cls, settings: ServiceSettings) -> ServiceContext:
        """Open the store of ``settings`` (creating its tables) and the key checker."""
        store = Store.from_url(settings.database_url)
        return cls(
            settings, store, Authenticator(store, settings.api_key_pepper.get_secret_value())
        )


async def context_of(request: Request) -> ServiceContext:
    """The context of the app serving ``request``.

    A coroutine so that FastAPI calls it on the event loop (a plain function would cost
    a hand-off to a worker thread per request).
    """
    ctx: ServiceContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServiceContext, Depends(context_of)]

bearer = HTTPBearer(
    auto_error=False,
    description="API key of the tenant: `Authorization: Bearer opp_...`",
)


async def tenant_id_of(
    request: Request,
    cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> int:
    """The tenant of the request's API key (401 problem when missing or unknown)."""
    ctx: ServiceContext = request.app.state.ctx
    auth = ctx.auth
    challenge = {"WWW-Authenticate": 'Bearer realm="opportune"'}
    if cred is None:
        raise ProblemError(
            401,
            "unauthorized",
            "an API key is required: Authorization: Bearer <key>",
            title="Unauthorized",
            headers=challenge,
        )
    key = cred.credentials
    # A cached key is answered on the event loop; only a miss costs a database read.
    tenant_id = auth.cached(key)
    if tenant_id is None:
        tenant_id = await to_thread.run_sync(auth.tenant_of, key)
    if tenant_id is None:
        raise ProblemError(
            401,
            "unauthorized",
            "the API key is unknown or revoked",
            title="Unauthorized",
            headers=challenge,
        )
    return tenant_id


TenantId = Annotated[int, Depends(tenant_id_of)]
