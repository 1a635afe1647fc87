"""Problem details (RFC 9457) for every error the service returns.

Every error answer is ``application/problem+json`` with ``type``, ``title``, ``status``
and ``detail``; validation errors add ``errors``: one entry per problem, each with a
JSON ``pointer`` into the request body (RFC 6901), or a ``parameter`` / ``header``
name.  Unexpected exceptions are logged with their traceback on the server and answered
with a generic 500 that carries only a correlation id: no stack trace, exception text
or file path ever reaches a client.

References
----------
.. [1] M. Nottingham, E. Wilde, S. Dalal, "Problem Details for HTTP APIs", RFC 9457, 2023.
.. [2] P. Bryan, K. Zyp, M. Nottingham, "JavaScript Object Notation (JSON) Pointer",
   RFC 6901, 2013.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from optimizer.service.db import storage_full

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://opportune.example/problems/"
log = logging.getLogger("opportune.service")


def problem_type(slug: str) -> str:
    """The ``type`` URI of a problem kind."""
    return TYPE_BASE + slug


def pointer(loc: Sequence[str | int]) -> str:
    """RFC 6901 JSON pointer of a location (keys escaped: ``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in loc)


def problem_body(
    status: int,
    slug: str,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A problem document (dict) ready to be serialized."""
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


class ProblemError(Exception):
    """Raise to answer with a problem document.

    Parameters
    ----------
    status : int
        HTTP status code.
    slug : str
        Problem kind; the ``type`` URI ends with it.
    detail : str
        Human-readable explanation of this occurrence.
    title : str, optional
        Short summary of the kind (default: the status phrase).
    headers : mapping, optional
        Extra response headers (``Retry-After``, ``WWW-Authenticate``).
    **extra
        Extension members (``errors``, ``run_id`` ...).
    """

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.title = title
        self.headers = dict(headers or {})
        self.extra = extra

    def __reduce__(self) -> tuple[Any, ...]:
        # picklable (raised in a validation process, answered by the web process)
        return (
            _rebuild_problem,
            (self.status, self.slug, self.detail, self.title, self.headers, self.extra),
        )

    def body(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document."""
        return problem_body(
            self.status, self.slug, self.detail, title=self.title, instance=instance, **self.extra
        )


def _rebuild_problem(
    status: int,
    slug: str,
    detail: str,
    title: str | None,
    headers: Mapping[str, str],
    extra: dict[str, Any],
) -> ProblemError:
    return ProblemError(status, slug, detail, title=title, headers=headers, **extra)


def problem_response(
    body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """A JSON response with the problem media type and the body's status."""
    return JSONResponse(
        dict(body),
        status_code=int(body["status"]),
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


def not_found(what: str, ident: str) -> ProblemError:
    """404 for an unknown (or another tenant's) resource: the two are indistinguishable."""
    return ProblemError(404, "not-found", f"{what} '{ident}' does not exist", title="Not found")


def _request_error_entry(err: Mapping[str, Any]) -> dict[str, Any]:
    loc = list(err.get("loc", ()))
    where = loc[0] if loc else "body"
    rest = loc[1:]
    entry: dict[str, Any] = {"detail": str(err.get("msg", "invalid"))}
    if where == "body":
        entry["pointer"] = pointer(rest)
    elif where == "header":
        entry["header"] = str(rest[0]) if rest else ""
    else:
        entry["parameter"] = ".".join(str(p) for p in rest)
        entry["in"] = str(where)
    return entry


def allowed_methods(request: Request) -> str:
    """The ``Allow`` header of a 405: every method served at the request's path.

    The router names only the methods of the first route whose path matches; a path
    served by several routes (``GET`` and ``DELETE /v1/schedule-runs/{id}``) needs
    them all.  They are read from the app's OpenAPI document (every route is in it,
    and it is built once), ``HEAD`` added wherever ``GET`` is served.
    """
    app = request.app
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        app.state, "allow_table", None
    )
    if table is None:
        table = []
        for path, ops in app.openapi().get("paths", {}).items():
            pattern = re.escape(path)
            pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", pattern)
            named = {m.upper() for m in ops if m.upper() in HTTP_METHODS}
            if "GET" in named:
                named.add("HEAD")
            table.append((re.compile(pattern), frozenset(named)))
        for route in app.routes:  # routes outside the document (/openapi.json, /docs)
            path, methods = getattr(route, "path", None), getattr(route, "methods", None)
            if path and methods and "{" not in path:
                table.append((re.compile(re.escape(path)), frozenset(methods)))
        app.state.allow_table = table
    allowed: set[str] = set()
    for pattern, methods in table:
        if pattern.fullmatch(request.url.path):
            allowed |= methods
    return ", ".join(sorted(allowed))


HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "request-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}


def install_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` with a problem document."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(exc.body(instance=request.url.path), exc.headers)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).description
        if status == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}"
        slug = _SLUGS.get(status, "http-error")
        headers = dict(exc.headers or {})
        if status == 405:
            headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        return problem_response(
            problem_body(status, slug, detail, instance=request.url.path), headers
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [_request_error_entry(e) for e in exc.errors()]
        return problem_response(
            problem_body(
                422,
                "validation-error",
                f"the request has {len(errors)} problem(s)",
                title="Invalid request",
                instance=request.url.path,
                errors=errors,
            )
        )

    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        if storage_full(exc):
            log.error("%s %s: the run store's disk is full", request.method, request.url.path)
            ctx = getattr(request.app.state, "ctx", None)
            retry_s = getattr(getattr(ctx, "settings", None), "retry_after_s", 5)
            return problem_response(
                problem_body(
                    503,
                    "storage-full",
                    "the service cannot store anything now (its disk is full); nothing "
                    "was stored for this request: retry later",
                    title="Storage full",
                    instance=request.url.path,
                ),
                {"Retry-After": str(retry_s)},
            )
        ref = uuid.uuid4().hex[:12]
        log.error(
            "unhandled error %s on %s %s", ref, request.method, request.url.path, exc_info=exc
        )
        return problem_response(
            problem_body(
                500,
                "internal-error",
                f"the server could not complete the request; reference {ref}",
                title="Internal server error",
                instance=request.url.path,
                reference=ref,
            )
        )

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_error)
