"""What wraps every request: the body size limit, CORS, and problem-details error handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException

from optimizer.service.problems import install_handlers, problem_body, problem_response
from optimizer.service.settings import ServiceSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CORS_METHODS = ["GET", "POST", "DELETE"]
CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"]
CORS_EXPOSE_HEADERS = ["Location", "Retry-After", "Idempotent-Replayed"]


NOSNIFF = (b"x-content-type-options", b"nosniff")
"""Sent with every answer: browsers must not guess a content type other than the declared."""


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 (declared or streamed).

    Also adds ``X-Content-Type-Options: nosniff`` to every answer.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), NOSNIFF]
            await send(message)

        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    resp = problem_response(self.problem(scope), {"Connection": "close"})
                    await resp(scope, receive, send_nosniff)
                    return
        seen = 0
        limit = self.max_bytes

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise StarletteHTTPException(413, detail=self.detail())
            return message

        await self.app(scope, limited, send_nosniff)

    def detail(self) -> str:
        """The ``detail`` of the 413 answer."""
        return f"the request body is larger than the limit of {self.max_bytes} bytes"

    def problem(self, scope: Scope) -> dict[str, Any]:
        """The 413 problem document of a body declared too large."""
        return problem_body(
            413,
            "request-too-large",
            self.detail(),
            title="Request too large",
            instance=str(scope.get("path", "")),
        )


def install_middleware(app: FastAPI, settings: ServiceSettings) -> None:
    """Error handlers (problem details), CORS when ``cors_origins`` is set, the body limit."""
    install_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_ALLOW_HEADERS,
            expose_headers=CORS_EXPOSE_HEADERS,
        )
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
