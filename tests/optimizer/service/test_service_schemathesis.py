"""Property-based API fuzzing: schemathesis requests from the OpenAPI document, no 5xx.

Every operation of ``/openapi.json`` gets a fixed budget of generated requests, valid
(positive) and schema-violating (negative), sent to a real server with a valid API key.
No answer may be a 5xx; every error must be a problem document; every answer must match
the documented status codes and content types.  (Negative cases include requests whose
Authorization header schemathesis strips on purpose: those must be 401.)
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis  # noqa: F401  (required: the fuzz run below drives it)
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

EXAMPLES_PER_MODE = 30
EXAMPLES_PER_MODE_POST = 6
"""Generating whole scenarios from the schema is slow (~2 s each): fewer for submissions."""
MIN_REQUESTS = 500


def _header(headers: Any, name: str) -> str:
    value = next((v for k, v in headers.items() if k.lower() == name), "")
    return str(value[0] if isinstance(value, list) and value else value)


class _Fuzz:
    """Sends generated cases and keeps the tally."""

    def __init__(self, base_url: str, auth: dict[str, str]) -> None:
        from schemathesis.checks import (
            content_type_conformance,
            not_a_server_error,
            status_code_conformance,
        )

        self.base_url = base_url
        self.auth = auth
        self.checks = [not_a_server_error, status_code_conformance, content_type_conformance]
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []

    def send(self, case: Any, label: str) -> None:
        headers = {**(case.headers or {}), **self.auth}
        response = case.call(base_url=self.base_url, headers=headers, timeout=30)
        self.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=self.checks)
        except Exception as exc:  # collect; all are reported at the end
            self.failures.append(f"{label}: {exc}"[:600])
        if response.status_code >= 400:
            ctype = _header(response.headers, "content-type")
            if not ctype.startswith("application/problem+json"):
                self.failures.append(f"{label}: {response.status_code} as {ctype}")

    def run(self, op: Any, mode: Any, budget: int) -> None:
        label = f"{op.label} [{mode.value}]"

        @settings(
            max_examples=budget,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy(generation_mode=mode))
        def each(case: Any) -> None:
            self.send(case, label)

        each()


@pytest.mark.slow
def test_fuzz_openapi_no_server_errors(make_server: Callable[..., Any]) -> None:
    from schemathesis import GenerationMode, openapi

    srv = make_server(
        OPPORTUNE_WORKERS="1",
        OPPORTUNE_MAX_TIME_LIMIT_S="2",
        OPPORTUNE_RUN_GRACE_S="5",
        OPPORTUNE_SHUTDOWN_GRACE_S="0.5",
        OPPORTUNE_MAX_REQUEST_BYTES="1000000",
    )
    key = srv.new_key("fuzz")
    srv.start()
    schema = openapi.from_url(srv.url + "/openapi.json")
    fuzz = _Fuzz(srv.url, {"Authorization": f"Bearer {key}"})
    ops = [r.ok() for r in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(ops) >= 13
    for op in ops:
        budget = EXAMPLES_PER_MODE_POST if op.label.startswith("POST") else EXAMPLES_PER_MODE
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            t0, n0 = time.perf_counter(), sum(fuzz.statuses.values())
            try:
                fuzz.run(op, mode, budget)
            except Unsatisfiable:
                # an operation without any parameter has no schema-violating request
                assert mode is GenerationMode.NEGATIVE and op.label.endswith("z")
            n = sum(fuzz.statuses.values()) - n0
            print(f"{op.label} {mode.value}: {n} requests in {time.perf_counter() - t0:.1f} s")

    total = sum(fuzz.statuses.values())
    server_errors = {s: n for s, n in fuzz.statuses.items() if s >= 500}
    print(f"schemathesis: {total} requests, statuses {dict(sorted(fuzz.statuses.items()))}")
    assert total >= MIN_REQUESTS, fuzz.statuses
    assert not server_errors, (server_errors, srv.log())
    assert not fuzz.failures, "\n".join(fuzz.failures[:10])
    assert httpx.get(srv.url + "/v1/readyz").status_code == 200  # still healthy
