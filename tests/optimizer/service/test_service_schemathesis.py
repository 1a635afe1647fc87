"""Property-based API fuzzing: schemathesis requests from the OpenAPI document, no 5xx.

Stateless phase: every operation of ``/openapi.json`` gets a fixed budget of generated
requests, valid (positive) and schema-violating (negative), sent to a real server with a
valid API key.  Stateful phase: sequences of calls that follow the document's links
(submit, then get / cancel / events / report of the run just created).  No answer may
be a 5xx; every error must be a problem document; every answer must match the
documented status codes and content types; a run just created must be readable.
(Negative cases include requests whose Authorization header schemathesis strips on
purpose: those must be 401.)
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis  # noqa: F401  (required: the fuzz run below drives it)
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

EXAMPLES_PER_MODE = 45
EXAMPLES_PER_MODE_POST = 3
"""Generating whole scenarios from the schema is slow (~2 s each): fewer for submissions."""
STATEFUL_EXAMPLES = 25
STATEFUL_STEPS = 8
MIN_REQUESTS = 1000
WHATIF_OPTIONS = ["replace C1-GBX on 2027-02-16", "defer C1-GBX"]
"""Options of the bundled conveyor scenario (as in test_service_whatif)."""
MIN_STATEFUL_REQUESTS = 150


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
        self.stateful = 0
        self.failures: list[str] = []

    def send(self, case: Any, label: str) -> None:
        headers = {**(case.headers or {}), **self.auth}
        response = case.call(base_url=self.base_url, headers=headers, timeout=30)
        self.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=self.checks)
        except (Exception, BaseExceptionGroup) as exc:  # collect; all reported at the end
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


def _stateful(fuzz: _Fuzz, doc: dict[str, Any], scenario: dict[str, Any]) -> None:
    """Run the link-following state machine; its requests count in ``fuzz``.

    The submissions' ``input`` is a bundled scenario (whole scenarios generated from
    the schema take ~2 s each and are fuzzed by the stateless phase): each sequence
    creates real runs and exercises what follows on them.
    """
    from schemathesis import openapi
    from schemathesis.checks import (
        ensure_resource_availability,
        positive_data_acceptance,
        use_after_free,
    )

    doc = copy.deepcopy(doc)
    schemas = doc["components"]["schemas"]
    for name in ("ScheduleRunRequest", "StrategyRunRequest", "WhatIfRunRequest"):
        if name in schemas:
            schemas[name]["properties"]["input"] = {"const": scenario}
            schemas[name]["required"] = sorted({"input", *schemas[name].get("required", [])})
    if "WhatIfConfig" in schemas:
        # what-if options are free text checked against the scenario: two that it serves
        schemas["WhatIfConfig"]["properties"]["options"] = {"const": WHATIF_OPTIONS}
        schemas["WhatIfConfig"]["properties"].pop("days", None)
    schema = openapi.from_dict(doc)
    checks = [*fuzz.checks, ensure_resource_availability, use_after_free]

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": fuzz.base_url, "headers": fuzz.auth, "timeout": 30}

        def after_call(self, response: Any, case: Any) -> None:
            fuzz.statuses[response.status_code] += 1
            fuzz.stateful += 1
            if response.status_code >= 400:
                ctype = _header(response.headers, "content-type")
                if not ctype.startswith("application/problem+json"):
                    fuzz.failures.append(f"stateful {case.operation.label}: {ctype}")

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            # a submission valid by the document (the server's limits included) is
            # accepted; except an Idempotency-Key the sequence already used with another
            # body, which is refused with 422 as the IETF idempotency-key draft says
            reused = "idempotency-key-reused" in response.text
            extra = [positive_data_acceptance] if case.method == "POST" and not reused else []
            try:
                case.validate_response(response, checks=[*checks, *extra])
            except (Exception, BaseExceptionGroup) as exc:
                fuzz.failures.append(f"stateful {case.operation.label}: {exc}"[:600])

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )


@pytest.mark.slow
def test_fuzz_openapi_no_server_errors(
    make_server: Callable[..., Any], conveyor_input: dict[str, Any]
) -> None:
    from schemathesis import GenerationMode, openapi

    srv = make_server(
        OPPORTUNE_WORKERS="1",
        OPPORTUNE_MAX_TIME_LIMIT_S="2",
        OPPORTUNE_RUN_GRACE_S="5",
        OPPORTUNE_SHUTDOWN_GRACE_S="0.5",
        OPPORTUNE_MAX_REQUEST_BYTES="1000000",
        OPPORTUNE_MAX_WAIT_S="0.5",
        OPPORTUNE_EVENTS_MAX_S="0.2",
        OPPORTUNE_MAX_QUEUED_PER_TENANT="10000",
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

    t0 = time.perf_counter()
    _stateful(fuzz, httpx.get(srv.url + "/openapi.json").json(), conveyor_input)
    print(f"stateful: {fuzz.stateful} requests in {time.perf_counter() - t0:.1f} s")

    total = sum(fuzz.statuses.values())
    server_errors = {s: n for s, n in fuzz.statuses.items() if s >= 500}
    print(f"schemathesis: {total} requests, statuses {dict(sorted(fuzz.statuses.items()))}")
    assert total >= MIN_REQUESTS, fuzz.statuses
    assert fuzz.stateful >= MIN_STATEFUL_REQUESTS, fuzz.stateful
    assert not server_errors, (server_errors, srv.log())
    assert not fuzz.failures, "\n".join(fuzz.failures[:10])
    assert httpx.get(srv.url + "/v1/readyz").status_code == 200  # still healthy
