"""Submission parsing: the fast JSON path gives the same answers as json.loads/dumps."""

from __future__ import annotations

import json
from typing import Any

import pytest

from optimizer.service.problems import ProblemError
from optimizer.service.settings import ServiceSettings
from optimizer.service.submissions import compact_input_json, prepare

CFG = ServiceSettings(database_url="sqlite://", workers=0)


def _problem(raw: bytes) -> ProblemError:
    with pytest.raises(ProblemError) as info:
        prepare("schedule", raw, 1, None, CFG)
    return info.value


def test_fast_path_stores_the_same_input_as_json(conveyor_input: dict[str, Any]) -> None:
    conveyor_input["description"] = "Förderband — NaN and Infinity are words here"
    body = {"config": {"seed": 3, "gap": 0.01}, "input": conveyor_input}
    sub = prepare("schedule", json.dumps(body).encode(), 1, "k", CFG)
    assert sub.input_json is not None
    # the stored text is other bytes (UTF-8, not \u escapes) but the same document
    assert json.loads(sub.input_json) == conveyor_input
    assert sub.config == {"seed": 3, "gap": 0.01}
    # the idempotency hash does not depend on the parser
    slow = prepare("schedule", json.dumps(body, indent=2).encode(), 1, "k", CFG)
    assert slow.request_sha256 == sub.request_sha256


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
def test_non_finite_numbers_are_refused(conveyor_input: dict[str, Any], token: str) -> None:
    # json.loads accepts NaN/Infinity and both parsers overflow 1e400 to inf; neither
    # may be stored (the scenario's own checks may list it first: either way a 422)
    text = json.dumps({"input": conveyor_input})
    text = text.replace('"currency"', f'"extra_number": {token}, "currency"', 1)
    exc = _problem(text.encode())
    assert exc.status == 422
    pointers = [e["pointer"] for e in exc.extra["errors"]]
    assert "/input/extra_number" in pointers
    parsed = json.loads(text.encode())["input"]
    for fast in (True, False):
        with pytest.raises(ValueError):
            compact_input_json(parsed, fast)


def test_input_json_text_mentioning_nan_is_kept() -> None:
    doc = {"name": "NaN / Infinity", "x": [1.5, -0.0, 10**30]}
    for fast in (True, False):
        assert json.loads(compact_input_json(doc, fast)) == doc


def test_what_the_fast_parser_refuses_gets_the_json_answer() -> None:
    assert _problem(b"{not json").status == 400
    assert _problem(b"\xff\xfe").status == 400
    assert _problem(b"[" * 100_000).status == 400  # too deep for both parsers
    exc = _problem(b'"a lone \\ud800 surrogate"')
    assert exc.status == 422
    assert exc.extra["errors"] == [
        {"pointer": "", "detail": "must be an object with config and input"}
    ]


def test_submit_route_checks_key_and_header_like_fastapi(
    api: Any, conveyor_input: dict[str, Any]
) -> None:
    body = {"input": conveyor_input}
    for value, detail in (
        ("", "String should have at least 1 character"),
        ("x" * 256, "String should have at most 255 characters"),
    ):
        r = api.post(body, **{"Idempotency-Key": value})
        assert r.status_code == 422
        assert r.json()["errors"] == [{"detail": detail, "header": "Idempotency-Key"}]
    assert api.post(body, **{"Idempotency-Key": "x" * 255}).status_code == 202
    # no or a wrong key: 401 before anything else is looked at
    url = "/v1/schedule-runs"
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer opp_x"}):
        r = api.client.post(url, json=body, headers={**headers, "Idempotency-Key": ""})
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"] == 'Bearer realm="opportune"'
    op = api.client.get("/openapi.json").json()["paths"][url]["post"]
    assert op["security"] == [{"HTTPBearer": []}]
    assert [p["name"] for p in op["parameters"]] == ["Idempotency-Key"]
