"""Large and expensive request bodies (issue 18): answered, without stalling anyone else.

Real server.  Bodies that take seconds to validate (thousands of unknown keys) are
parsed and validated in validation processes, under ``OPPORTUNE_VALIDATE_TIMEOUT_S``:
meanwhile ``/v1/healthz`` and another tenant's submissions answer at once, a 4 MB body
gets its answer, and SIGINT stops the server within its grace period.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

TIMEOUT_S = 4.0
# The first test needs the 4 MB body to exceed the validation time limit on ANY machine
# (it validated in under 4 s on the idle CI machine): 0.5 s is far below what 280,000 keys
# take, while every body still gets an answer of one of the two kinds.
FAST_TIMEOUT_S = 0.5
GRACE_S = 3.0


def _unknown_keys(n: int) -> bytes:
    """A submission whose input has ``n`` unknown keys (one problem each)."""
    return json.dumps({"input": {f"k{i}": i for i in range(n)}}).encode()


def _post(srv: Any, key: str, body: bytes, out: list[Any]) -> None:
    t0 = time.monotonic()
    try:
        r = httpx.post(
            srv.url + "/v1/schedule-runs",
            content=body,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            timeout=120,
        )
        out.append((r.status_code, r.json(), time.monotonic() - t0))
    except (httpx.HTTPError, ValueError) as exc:  # cut off by the shutdown
        out.append((None, repr(exc), time.monotonic() - t0))


def test_large_bodies_do_not_stall_the_service(
    make_server: Callable[..., Any], conveyor_input: dict[str, Any]
) -> None:
    srv = make_server(
        OPPORTUNE_WORKERS="0",
        OPPORTUNE_VALIDATE_TIMEOUT_S=str(FAST_TIMEOUT_S),
        OPPORTUNE_SHUTDOWN_GRACE_S=str(GRACE_S),
    )
    attacker, other = srv.new_key("attacker"), srv.new_key("other")
    srv.start()
    # ~60 KB bodies (the old code validated up to 64 KiB on the event loop) and a 4 MB one
    medium = _unknown_keys(4000)
    large = _unknown_keys(280_000)
    assert len(medium) < 64 * 1024 and 3.5e6 < len(large) < 16 * 2**20
    answers: list[Any] = []
    threads = [
        threading.Thread(target=_post, args=(srv, attacker, body, answers))
        for body in (medium, medium, medium, large)
    ]
    for t in threads:
        t.start()
    time.sleep(0.3)
    worst_s = 0.0
    others: list[float] = []
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        while any(t.is_alive() for t in threads):
            t0 = time.monotonic()
            assert c.get("/v1/healthz").status_code == 200
            worst_s = max(worst_s, time.monotonic() - t0)
            if len(others) < 3:  # another tenant's small submission is accepted at once
                t0 = time.monotonic()
                r = c.post(
                    "/v1/schedule-runs",
                    json={"input": conveyor_input},
                    headers={"Authorization": f"Bearer {other}"},
                )
                assert r.status_code == 202, r.text
                others.append(time.monotonic() - t0)
            time.sleep(0.1)
    for t in threads:
        t.join()
    assert worst_s < 1.0, worst_s
    assert max(others) < 1.0, others
    # every body got its answer: a problem document, within the validation time limit
    assert len(answers) == 4
    for status, body, took_s in answers:
        assert status == 422, body
        assert body["type"].rsplit("/", 1)[-1] in ("input-too-complex", "validation-error")
        assert took_s < 2 * FAST_TIMEOUT_S + 15, took_s
    assert any(b["type"].endswith("/input-too-complex") for _, b, _ in answers)

    # graceful shutdown with such bodies in flight completes within its grace period
    threads = [
        threading.Thread(target=_post, args=(srv, attacker, body, []), daemon=True)
        for body in (medium, large)
    ]
    for t in threads:
        t.start()
    time.sleep(1.0)
    t0 = time.monotonic()
    srv.proc.send_signal(signal.SIGINT)
    srv.proc.wait(GRACE_S + 10)
    assert time.monotonic() - t0 < GRACE_S + 10
    assert srv.proc.returncode == 0, srv.log()


def test_large_risk_bodies_are_validated_off_the_event_loop(
    make_server: Callable[..., Any], conveyor_input: dict[str, Any]
) -> None:
    # POST /v1/risk used to validate in a thread of the web process (GIL: healthz stalled)
    # a longer limit than above: the first body waits for its process's imports
    srv = make_server(OPPORTUNE_WORKERS="0", OPPORTUNE_VALIDATE_TIMEOUT_S=str(3 * TIMEOUT_S))
    key = srv.new_key("risk")
    srv.start()
    heads = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    large = json.dumps({"config": {"days": 30}, "input": {f"k{i}": i for i in range(280_000)}})
    # a valid scenario over the inline size (padded) goes through a validation
    # process too, and is answered like a small one
    padded = json.dumps({"config": {"days": 30}, "input": conveyor_input}, indent=200)
    assert len(padded) > 16 * 1024
    big = httpx.post(srv.url + "/v1/risk", content=padded, headers=heads, timeout=60)
    small = httpx.post(
        srv.url + "/v1/risk",
        json={"config": {"days": 30}, "input": conveyor_input},
        headers=heads,
        timeout=60,
    )
    assert big.status_code == small.status_code == 200, big.text
    assert big.json() == small.json()
    answers: list[Any] = []

    def post_risk() -> None:
        t0 = time.monotonic()
        r = httpx.post(srv.url + "/v1/risk", content=large, headers=heads, timeout=120)
        answers.append((r.status_code, r.json(), time.monotonic() - t0))

    thread = threading.Thread(target=post_risk)
    thread.start()
    time.sleep(0.3)
    worst_s = 0.0
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        while thread.is_alive():
            t0 = time.monotonic()
            assert c.get("/v1/healthz").status_code == 200
            worst_s = max(worst_s, time.monotonic() - t0)
            time.sleep(0.1)
        thread.join()
        assert worst_s < 1.0, worst_s
        [(status, body, took_s)] = answers
        assert status == 422, body
        assert body["type"].rsplit("/", 1)[-1] in ("input-too-complex", "validation-error")
        assert took_s < 6 * TIMEOUT_S + 15, took_s
