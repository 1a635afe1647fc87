"""Hardening of the HTTP service (issue 18), against the folder's shared real server
(uvicorn + SQLite, ``shared_server``).

Malformed or extreme inputs answer 4xx problem documents, never a 500 or a dropped
stream; reports are served under a strict Content-Security-Policy.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def srv(shared_server: Any) -> Iterator[tuple[Any, httpx.Client]]:
    server = shared_server
    key = server.new_key("hardening")
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        yield server, client


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    return body


def test_integer_over_4300_digits_is_a_422(srv: tuple[Any, httpx.Client]) -> None:
    server, client = srv
    for where in (b'{"config":{"seed":%s},"input":{}}', b'{"input":{"x":[%s]}}'):
        body = where % (b"7" * 5000)
        r = client.post(
            "/v1/schedule-runs", content=body, headers={"Content-Type": "application/json"}
        )
        p = _problem(r, 422)
        assert "digits" in p["errors"][0]["detail"]
    assert "Traceback" not in server.log()


@pytest.mark.parametrize(
    "before",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+23:59"],
)
def test_before_out_of_the_utc_range_is_a_422(srv: tuple[Any, httpx.Client], before: str) -> None:
    _, client = srv
    p = _problem(client.get("/v1/schedule-runs", params={"before": before}), 422)
    assert p["errors"][0]["parameter"] == "before"
    # the same instant just inside the range is accepted
    ok = client.get("/v1/schedule-runs", params={"before": "0001-01-01T14:00:00+14:00"})
    assert ok.status_code == 200 and ok.json()["items"] == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/schedule-runs/00000000-0000-4000-8000-000000000000", {"GET", "HEAD", "DELETE"}),
        ("/v1/strategy-runs/x", {"GET", "HEAD", "DELETE"}),
        ("/v1/schedule-runs", {"GET", "HEAD", "POST"}),
        ("/v1/healthz", {"GET", "HEAD"}),
    ],
)
def test_405_allow_lists_every_method_of_the_path(
    srv: tuple[Any, httpx.Client], path: str, expected: set[str]
) -> None:
    _, client = srv
    r = client.request("PUT", path)
    _problem(r, 405)
    assert {m.strip() for m in r.headers["allow"].split(",")} == expected
    # every method named is really served (no 405 for it)
    for method in expected - {"HEAD", "POST"}:
        assert client.request(method, path).status_code != 405


def test_last_event_id_beyond_any_event_is_ignored(
    srv: tuple[Any, httpx.Client], conveyor_input: dict[str, Any]
) -> None:
    server, client = srv
    r = client.post(
        "/v1/schedule-runs", json={"config": {"time_limit_s": 2}, "input": conveyor_input}
    )
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    for last in ("9" * 20, "18446744073709551616", "-5", "1e3", "٣".encode()):
        with client.stream(
            "GET", f"/v1/schedule-runs/{rid}/events", headers={"Last-Event-ID": last}
        ) as s:
            assert s.status_code == 200
            text = "".join(s.iter_text())
        # the whole history from the start, up to the terminal status
        statuses = re.findall(r'"status":"(\w+)"', text)
        assert statuses[0] == "queued" and statuses[-1] in ("completed", "time_limit"), text
    assert "OverflowError" not in server.log()


def test_every_answer_says_nosniff(srv: tuple[Any, httpx.Client]) -> None:
    _, client = srv
    for r in (
        client.get("/v1/healthz"),
        client.get("/v1/schedule-runs"),
        client.get("/v1/schedule-runs/nope"),
        httpx.get(client.base_url.join("/v1/schedule-runs")),  # 401
    ):
        assert r.headers["x-content-type-options"] == "nosniff", r.status_code


def test_report_is_served_under_a_strict_csp(
    srv: tuple[Any, httpx.Client], conveyor_input: dict[str, Any], wait_run: Callable[..., Any]
) -> None:
    _, client = srv
    cfg = {"replications": 2, "years": 0.5, "seed": 3, "strategies": ["run-to-failure"]}
    r = client.post("/v1/strategy-runs", json={"config": cfg, "input": conveyor_input})
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    assert wait_run(client, f"/v1/strategy-runs/{rid}", 120)["status"] == "completed"
    report = client.get(f"/v1/strategy-runs/{rid}/report", headers={"Accept-Encoding": "gzip"})
    assert report.status_code == 200
    assert report.headers["x-content-type-options"] == "nosniff"
    assert report.headers["content-disposition"] == f'inline; filename="strategy-run-{rid}.html"'
    csp = dict(
        [*d.split(" ", 1), ""][:2]
        for d in (x.strip() for x in report.headers["content-security-policy"].split(";"))
    )
    assert csp["default-src"] == "'none'" and csp["sandbox"] == "allow-scripts"
    assert csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'"
    script_src = csp["script-src"].split()
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert all(s.startswith("'sha256-") for s in script_src)
    # independent: every inline script of the page, hashed here, is allowed (charts draw)
    html = report.content  # httpx decoded the gzip
    scripts = re.findall(rb"<script>(.*?)</script>", html, re.DOTALL)
    assert len(scripts) >= 3
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        assert f"'sha256-{digest}'" in script_src
    # an attribute handler (the injected <img onerror=...> of issue 18) is no script
    # block: no hash can allow it, and 'unsafe-hashes' is not granted
    assert "'unsafe-hashes'" not in script_src
    dl = client.get(f"/v1/strategy-runs/{rid}/report", params={"download": "true"})
    assert dl.headers["content-disposition"].startswith("attachment;")
    assert dl.headers["content-security-policy"] == report.headers["content-security-policy"]
    assert gzip.compress(dl.content)  # the same page, uncompressed
    assert dl.content == html
