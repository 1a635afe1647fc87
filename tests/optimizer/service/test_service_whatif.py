"""``POST /v1/whatif-runs``: 422 naming bad options, the run lifecycle, same answer as the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from numpy.testing import assert_allclose

ROOT = Path(__file__).resolve().parents[3]
OPTIONS = ["replace C1-GBX on 2027-02-16", "defer C1-GBX"]
CONFIG = {"options": OPTIONS, "replications": 6, "seed": 3, "days": 60}


def test_bad_options_are_422_naming_the_option(api: Any, conveyor_input: dict[str, Any]) -> None:
    bad = [
        "replace C1-GBX on 2027-02-16",
        "replace NOPE on 2027-02-16",
        "replace C1-GBX on 2031-01-01",
        "replace C1-GBX on 2027-01-12",
        "mend C1-GBX",
    ]
    r = api.post({"config": {"options": bad}, "input": conveyor_input}, kind="whatif")
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [e["pointer"] for e in errors] == [f"/config/options/{j}" for j in (1, 2, 3, 4)]
    for e, opt, why in zip(
        errors,
        bad[1:],
        ("unknown component 'NOPE'", "outside the horizon", "part GBX-25", "expected"),
        strict=True,
    ):
        assert opt in e["detail"] and why in e["detail"]
    # an empty list and an unknown key are envelope problems
    r = api.post({"config": {"options": []}, "input": conveyor_input}, kind="whatif")
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/config/options"
    r = api.post({"config": {"options": OPTIONS, "x": 1}, "input": conveyor_input}, kind="whatif")
    assert r.status_code == 422


def test_lifecycle_in_process(api: Any, conveyor_input: dict[str, Any]) -> None:
    r = api.post({"config": CONFIG, "input": conveyor_input}, kind="whatif")
    assert r.status_code == 202, r.text
    body = r.json()
    rid = body["id"]
    assert r.headers["location"] == f"/v1/whatif-runs/{rid}"
    assert body["links"]["report"] == f"/v1/whatif-runs/{rid}/report"
    assert api.get(rid, kind="whatif").json()["status"] == "queued"
    assert api.get(rid, kind="strategy").status_code == 404  # another kind
    report = api.client.get(f"/v1/whatif-runs/{rid}/report", headers=api.auth())
    assert report.status_code == 409
    assert api.drain() == 1
    view = api.get(rid, kind="whatif").json()
    assert view["status"] == "completed", view
    res = view["result"]
    assert [o["option"]["text"] for o in res["options"]] == OPTIONS
    assert res["cheaper"]["best"] in ("option 1", "option 2")
    page = api.client.get(f"/v1/whatif-runs/{rid}/report", headers=api.auth())
    assert page.status_code == 200 and "What-if" in page.text
    listing = api.client.get("/v1/whatif-runs", headers=api.auth()).json()
    assert [x["id"] for x in listing["items"]] == [rid]


def test_server_end_to_end_matches_the_cli(
    shared_server: Any,
    conveyor_input: dict[str, Any],
    wait_run: Callable[..., dict[str, Any]],
) -> None:
    srv = shared_server
    key = srv.new_key("whatif")
    c = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    r = c.post("/v1/whatif-runs", json={"config": CONFIG, "input": conveyor_input})
    assert r.status_code == 202, r.text
    path = r.headers["location"]
    view = wait_run(c, path, 120)
    assert view["status"] == "completed", view
    got = view["result"]
    args = ["--replications", "6", "--seed", "3", "--days", "60", "--workers", "1", "--json"]
    cli = subprocess.run(
        [sys.executable, "-m", "optimizer", "whatif", "scenarios/conveyor.yaml"]
        + [a for o in OPTIONS for a in ("--option", o)]
        + args,
        env=srv.env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    ref = json.loads(cli.stdout)
    for a, b in zip(got["options"], ref["options"], strict=True):
        assert a["work_orders"] == b["work_orders"]
        assert_allclose(
            a["kpis"]["cost_total"]["mean"], b["kpis"]["cost_total"]["mean"], rtol=1e-12
        )
        assert_allclose(a["actions"][0]["p_fail_exact"], b["actions"][0]["p_fail_exact"])
    assert got["cheaper"]["text"] == ref["cheaper"]["text"]
    page = c.get(path + "/report")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # a bad option sent to the real server: 422 naming it
    bad = c.post(
        "/v1/whatif-runs",
        json={"config": {"options": ["defer NOPE"]}, "input": conveyor_input},
    )
    assert bad.status_code == 422
    assert "defer NOPE" in bad.json()["errors"][0]["detail"]
