"""The best plan so far: shown while a run solves, kept when the run is cancelled.

Real server process; a tight-crew fleet whose MILP runs into a 60 s time limit, so
the first plans come from HiGHS incumbents long before the solve would end.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from numpy.testing import assert_allclose

from optimizer.loading import parse_scenario
from optimizer.problem.build import build_problem, period_edges
from optimizer.problem.plan import evaluate, violations

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from fleetgen import make_scenario


def _slow_input() -> dict[str, Any]:
    doc = make_scenario(150, 15, seed=3, crews="tight", stock="none")
    out: dict[str, Any] = json.loads(json.dumps(doc, default=lambda o: o.isoformat()))
    return out


def _cost_of(inp: dict[str, Any], assignment: dict[str, str | None]) -> float:
    """Independent costing of a stored plan: its start instants mapped back to periods."""
    scn = parse_scenario(inp)
    pb = build_problem(scn).problem
    edges = period_edges(scn)
    period = np.full(pb.n_components, -1, dtype=np.int64)
    for i, cid in enumerate(pb.component_ids):
        when = assignment[str(cid)]
        if when is not None:
            off = datetime.fromisoformat(when) - edges[0]
            period[i] = int(off / timedelta(hours=pb.period_h))
    assert not violations(pb, period)
    return evaluate(pb, period)["total"]


def test_running_run_shows_best_plan_and_cancel_keeps_it(
    shared_server: Any,
) -> None:
    srv = shared_server
    key = srv.new_key("incumbent")
    c = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    inp = _slow_input()
    r = c.post(
        "/v1/schedule-runs",
        json={"config": {"method": "milp", "time_limit_s": 60}, "input": inp},
    )
    assert r.status_code == 202
    path = r.headers["location"]

    # 1. while it runs, GET shows incumbents: work orders, objective, bound, gap (the
    # first HiGHS incumbent may defer everything: wait for one that schedules work)
    deadline = time.monotonic() + 90
    shown: list[float] = []
    while True:
        view = c.get(path).json()
        assert view["status"] in ("queued", "running"), view
        if view["status"] == "running" and view["result"] is not None:
            if not shown or shown[-1] != view["objective"]:
                shown.append(view["objective"])
            if view["result"]["work_orders"]:
                break
        assert time.monotonic() < deadline, f"no plan with work shown while running {shown}"
        time.sleep(0.2)
    assert shown == sorted(shown, reverse=True), "the best plan so far only improves"
    assert view["plan_status"] == "feasible"
    res = view["result"]
    assert res["status"] == "feasible" and res["method"] == "milp"
    assert_allclose(view["objective"], res["objective"], rtol=1e-12)
    assert view["lower_bound"] is not None and view["lower_bound"] <= view["objective"]
    assert view["gap"] is not None and 0 <= view["gap"] <= 1
    assert_allclose(view["objective"], _cost_of(inp, res["assignment"]), rtol=1e-9)
    running_obj = view["objective"]

    # 2. DELETE stops the solve and keeps the newest plan, marked cancelled
    cancelled = c.delete(path).json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["result"] is not None  # already stored: never lost by cancelling
    deadline = time.monotonic() + 15
    while True:
        after = c.get(path).json()
        if after["result"]["status"] == "cancelled":
            break  # the worker stored its newest incumbent and killed the solve
        assert time.monotonic() < deadline, after["result"]["status"]
        time.sleep(0.2)
    assert after["status"] == "cancelled" and after["plan_status"] == "cancelled"
    assert after["objective"] <= running_obj * (1 + 1e-12)
    assert after["result"]["work_orders"]
    assert_allclose(after["objective"], after["result"]["objective"], rtol=1e-12)
    assert_allclose(after["objective"], _cost_of(inp, after["result"]["assignment"]), rtol=1e-9)
    # the worker is free again at once (the solve was killed, not run to its limit)
    assert after["timings"]["run_s"] is None or after["timings"]["run_s"] < 55
    ready = c.get("/v1/readyz").json()
    assert ready["workers_alive"] == ready["workers_expected"] == 2
