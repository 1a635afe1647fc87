"""``POST /v1/benchmark``: the same answer as the CLI's core, problems as problem documents."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from optimizer.cmms.benchmark import benchmark


def _records(seed: int = 4) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for s, scale in (("A", 10_000.0), ("B", 10_000.0), ("C", 10_000.0), ("D", 5_000.0)):
        for i in range(50):
            life, pm = scale * rng.weibull(2.0), rng.uniform(3_000.0, 15_000.0)
            out.append(
                {"asset_id": f"{s}{i}", "type": "pump", "site": s,
                 "hours": float(min(life, pm)), "failed": bool(life < pm)}
            )  # fmt: skip
    return out


def test_benchmark_endpoint_matches_core(api: Any) -> None:
    recs = _records()
    r = api.client.post(
        "/v1/benchmark", json={"records": recs, "config": {"alpha": 0.05}}, headers=api.auth()
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["flagged"] == ["D"]
    core = benchmark(pd.DataFrame(recs), by="site", alpha=0.05).as_dict()
    assert body["groups"] == core["groups"]


def test_benchmark_endpoint_errors(api: Any) -> None:
    c = api.client
    assert c.post("/v1/benchmark", json={"records": _records()}).status_code == 401
    bad = _records()
    bad[3]["hours"] = -1.0
    r = c.post("/v1/benchmark", json={"records": bad}, headers=api.auth())
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem")
    assert "/records/3/hours" in r.text
    nosite = _records()
    nosite[7]["site"] = ""
    r = c.post("/v1/benchmark", json={"records": nosite}, headers=api.auth())
    assert r.status_code == 422 and "/records/7/site" in r.json()["detail"]
    ok = c.post(
        "/v1/benchmark", json={"records": nosite, "config": {"by": "asset"}}, headers=api.auth()
    )
    assert ok.status_code == 200
    assert c.post("/v1/benchmark", json={"records": []}, headers=api.auth()).status_code == 422
