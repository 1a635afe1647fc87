"""The request-size limit (``optimizer.service.middleware.BodyLimit``), declared and streamed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.exceptions import HTTPException as StarletteHTTPException

from optimizer.service.middleware import BodyLimit, Message, Receive, Scope, Send


def _call(limit: int, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> dict[str, Any]:
    """Run BodyLimit around an app that reads the whole body; what was seen and sent."""
    seen: dict[str, Any] = {"body": b"", "sent": [], "app_called": False}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen["app_called"] = True
        while True:
            msg = await receive()
            seen["body"] += msg.get("body", b"")
            if not msg.get("more_body"):
                return

    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(msg: Message) -> None:
        seen["sent"].append(msg)

    scope = {"type": "http", "path": "/v1/schedule-runs", "headers": headers}
    asyncio.run(BodyLimit(app, max_bytes=limit)(scope, receive, send))
    return seen


def test_declared_length_over_the_limit_is_refused_before_the_app() -> None:
    seen = _call(10, [(b"content-length", b"11")], [b"x" * 11])
    assert not seen["app_called"]
    start, body = seen["sent"]
    assert start["status"] == 413
    assert (b"connection", b"close") in start["headers"]
    assert b"larger than the limit of 10 bytes" in body["body"]
    assert b'"instance":"/v1/schedule-runs"' in body["body"].replace(b" ", b"")


def test_body_at_the_limit_passes() -> None:
    seen = _call(10, [(b"content-length", b"10")], [b"12345", b"67890"])
    assert seen["app_called"] and seen["body"] == b"1234567890" and seen["sent"] == []


def test_streamed_body_over_the_limit_raises_413() -> None:
    # no (or a lying) Content-Length: the count of the chunks read decides
    with pytest.raises(StarletteHTTPException) as info:
        _call(10, [(b"content-length", b"nonsense")], [b"123456", b"78901"])
    assert info.value.status_code == 413
    assert info.value.detail == "the request body is larger than the limit of 10 bytes"


def test_other_scopes_pass_untouched() -> None:
    called: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        called.append(scope["type"])

    async def receive() -> Message:
        return {}

    async def send(msg: Message) -> None:
        pass

    asyncio.run(BodyLimit(app, max_bytes=0)({"type": "lifespan"}, receive, send))
    assert called == ["lifespan"]
