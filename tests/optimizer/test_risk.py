"""System risk over a window, checked against closed forms and brute force."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.loading import parse_scenario
from optimizer.risk import (
    block_importance,
    k_out_of_n_down,
    poisson_binomial,
    system_risk,
)
from optimizer.scenario import Scenario

START = "2027-01-04T00:00:00+00:00"


def _scenario(
    comps: list[dict[str, Any]],
    redundancy: list[dict[str, Any]] | None = None,
    oph: float = 24.0,
    extra_systems: list[dict[str, Any]] | None = None,
) -> Scenario:
    """One site, system S1 with these components (Weibull lives unless given)."""
    systems = [
        {
            "id": "S1",
            "production_value_per_h": 100.0,
            "operating_h_per_day": oph,
            "setup": {"cost": 0.0},
            "redundancy": redundancy or [],
            "components": [
                {
                    "preventive": {"duration_h": 1.0, "cost": 10.0},
                    "corrective": {"duration_h": 5.0, "cost": 100.0},
                    "skill": "mech",
                    **c,
                }
                for c in comps
            ],
        },
        *(extra_systems or []),
    ]
    return parse_scenario(
        {
            "name": "risk test",
            "currency": "EUR",
            "calendar": {"start": START, "horizon_days": 60},
            "fleet": {"sites": [{"id": "SITE", "systems": systems}]},
            "crews": [
                {
                    "id": "CR",
                    "skills": ["mech"],
                    "headcount": 1,
                    "rate_per_h": 50.0,
                    "response_delay_h": 3.0,
                }
            ],
        }
    )


def _weib(shape: float, scale: float) -> dict[str, Any]:
    return {"distribution": "weibull", "shape": shape, "scale_h": scale}


def _cond_weibull_q(shape: float, scale: float, age: float, t: float) -> float:
    """1 - S(age + t) / S(age) of a Weibull, by hand."""
    return 1.0 - math.exp(-(((age + t) / scale) ** shape) + (age / scale) ** shape)


def test_series_of_weibull_parts_is_product_of_conditional_survivals() -> None:
    parts = [(2.0, 3000.0, 1500.0), (1.5, 8000.0, 100.0), (3.0, 5000.0, 4000.0)]
    scn = _scenario(
        [{"id": f"C{j}", "life": _weib(b, eta), "age_h": a} for j, (b, eta, a) in enumerate(parts)],
        oph=16.0,
    )
    days = 30.0
    t = days * 16.0  # operating hours in the window
    q = [_cond_weibull_q(b, eta, a, t) for b, eta, a in parts]
    res = system_risk(scn, days)
    (sr,) = res.systems
    assert_allclose(sr.p_down, 1.0 - np.prod([1 - x for x in q]), rtol=1e-12)
    assert sr.method == "exact"
    # series Birnbaum importance: product of the others' survivals
    for d in sr.drivers:
        j = int(d.component_id[1:])
        others = np.prod([1 - x for i, x in enumerate(q) if i != j])
        assert_allclose(d.importance, others, rtol=1e-12)
        assert_allclose(d.p_fail, q[j], rtol=1e-12)
    # health score and production at risk: value 100/h x (3 h response + 5 h repair)
    assert_allclose(sr.health, 100 * (1 - sr.p_down))
    assert_allclose(sr.outage_h, 8.0)
    assert_allclose(sr.expected_loss, sr.p_down * 100.0 * 8.0, rtol=1e-12)


def test_two_out_of_three_with_different_ages_by_enumeration() -> None:
    members = [(2.0, 4000.0, 500.0), (2.0, 4000.0, 2500.0), (2.5, 3000.0, 2800.0)]
    scn = _scenario(
        [
            {"id": f"P{j}", "life": _weib(b, eta), "age_h": a}
            for j, (b, eta, a) in enumerate(members)
        ]
        + [{"id": "M", "life": _weib(1.2, 50000.0), "age_h": 1000.0}],
        redundancy=[{"id": "G", "k": 2, "components": ["P0", "P1", "P2"]}],
    )
    days = 45.0
    t = days * 24.0
    q = [_cond_weibull_q(b, eta, a, t) for b, eta, a in members]
    q_m = _cond_weibull_q(1.2, 50000.0, 1000.0, t)

    def up_prob(qs: list[float]) -> float:
        # the 8 states of the group, by hand
        total = 0.0
        for state in itertools.product((0, 1), repeat=3):  # 1 = running
            pr = np.prod([(1 - qs[j]) if s else qs[j] for j, s in enumerate(state)])
            if sum(state) >= 2:
                total += pr
        return float(total)

    p_group_up = up_prob(q)
    res = system_risk(scn, days)
    (sr,) = res.systems
    assert_allclose(sr.p_down, 1 - p_group_up * (1 - q_m), rtol=1e-12)
    imp = {d.component_id: d.importance for d in sr.drivers}
    # Birnbaum by brute force: R(p_j = 1) - R(p_j = 0)
    for j in range(3):
        hi = up_prob([0.0 if i == j else x for i, x in enumerate(q)])
        lo = up_prob([1.0 if i == j else x for i, x in enumerate(q)])
        assert_allclose(imp[f"P{j}"], (1 - q_m) * (hi - lo), rtol=1e-10)
    assert_allclose(imp["M"], p_group_up, rtol=1e-12)


def test_twin_sample_rul_uses_the_empirical_cdf() -> None:
    rng = np.random.default_rng(3)
    samples = np.round(rng.uniform(10.0, 2000.0, 400), 3)
    scn = _scenario(
        [
            {
                "id": "T",
                "life": _weib(2.0, 5000.0),
                "age_h": 3000.0,
                "prognostics": {
                    "kind": "samples",
                    "issued_at": START,
                    "residual_life_h": samples.tolist(),
                },
            },
            {"id": "U", "life": _weib(2.0, 5000.0), "age_h": 1000.0},
        ]
    )
    days = 20.0
    t = days * 24.0
    q_t = float(np.mean(samples <= t))  # empirical CDF of the twin's samples
    q_u = _cond_weibull_q(2.0, 5000.0, 1000.0, t)
    res = system_risk(scn, days)
    (sr,) = res.systems
    assert_allclose(sr.p_down, 1 - (1 - q_t) * (1 - q_u), rtol=1e-12)
    twin = next(c for c in res.components if c.component_id == "T")
    assert twin.source == "twin"
    assert_allclose(twin.p_fail, q_t)
    # renewing the twin-watched part: q becomes that of a new part (Weibull CDF at t)
    q_new = 1 - math.exp(-((t / 5000.0) ** 2))
    assert_allclose(twin.renewal_drop, (1 - q_u) * (q_t - q_new), rtol=1e-12)


def test_renewal_drop_equals_recomputed_probability() -> None:
    """Renewing a part today (age 0) lowers p_down by B_i (q_i - q_new,i): recompute."""
    comps = [
        {"id": "A", "life": _weib(2.2, 3000.0), "age_h": 2500.0},
        {"id": "B", "life": _weib(2.2, 3000.0), "age_h": 300.0},
        {"id": "C", "life": _weib(3.0, 2000.0), "age_h": 1800.0},
        {"id": "D", "life": _weib(1.5, 9000.0), "age_h": 4000.0},
    ]
    red = [{"id": "G", "k": 1, "components": ["A", "B"]}]
    base = system_risk(_scenario(comps, red), 60).systems[0]
    for d in base.drivers:
        renewed = [dict(c, age_h=0.0) if c["id"] == d.component_id else c for c in comps]
        again = system_risk(_scenario(renewed, red), 60).systems[0]
        assert_allclose(base.p_down - again.p_down, d.renewal_drop, rtol=1e-9, atol=1e-15)


def test_poisson_binomial_matches_enumeration() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(size=(4, 5))
    pmf = poisson_binomial(p)
    for g in range(4):
        ref = np.zeros(6)
        for state in itertools.product((0, 1), repeat=5):
            ref[sum(state)] += np.prod([p[g, j] if s else 1 - p[g, j] for j, s in enumerate(state)])
        assert_allclose(pmf[g], ref, rtol=1e-12, atol=1e-15)
    k = np.array([1, 2, 3, 5])
    assert_allclose(
        k_out_of_n_down(p, k), [pmf[g, : k[g]].sum() for g in range(4)], rtol=1e-12, atol=1e-15
    )
    # Birnbaum inside the group by finite difference of the (linear) group reliability
    imp = block_importance(p, k)
    for g in range(4):
        for j in range(5):
            hi, lo = p[g].copy(), p[g].copy()
            hi[j], lo[j] = 1.0, 0.0
            ref = k_out_of_n_down(lo[None], k[g : g + 1]) - k_out_of_n_down(hi[None], k[g : g + 1])
            assert_allclose(imp[g, j], ref[0], rtol=1e-10, atol=1e-14)


def test_repair_simulation_matches_the_overlap_closed_form() -> None:
    """A 1-of-2 with 8 h repairs: down only if the second failure lands in the first outage."""
    scn = _scenario(
        [
            {"id": "A", "life": _weib(1.0, 2000.0), "age_h": 0.0},
            {"id": "B", "life": _weib(1.0, 2000.0), "age_h": 0.0},
        ],
        redundancy=[{"id": "G", "k": 1, "components": ["A", "B"]}],
    )
    exact = system_risk(scn, 30).systems[0]
    q = 1 - math.exp(-720 / 2000)
    assert_allclose(exact.p_down, q * q, rtol=1e-12)
    sim = system_risk(scn, 30, repair=True, replications=20_000, seed=2).systems[0]
    assert sim.method.startswith("simulation")
    assert sim.p_down_ci is not None
    # 3 h response + 5 h repair << the window, but a 1-of-2 of exponential parts: the
    # second failure must land inside the first one's 8 h outage; P much smaller.
    assert sim.p_down < exact.p_down
    # CTMC closed form (rate l each, repair as a fixed 8 h delay): P(B fails within the
    # 8 h after A, or A after B) ~ 2 * int_0^T l e^{-2 l s} (1 - e^{-l 8}) ds
    lam = 1 / 2000
    approx = (1 - math.exp(-2 * lam * 720)) * (1 - math.exp(-lam * 8))
    assert abs(sim.p_down - approx) < 4 * math.sqrt(approx / 20_000) + 2e-4


def test_ranking_and_json_fields() -> None:
    other = {
        "id": "S2",
        "name": "=HYPERLINK(1)",
        "production_value_per_h": 1000.0,
        "setup": {"cost": 0.0},
        "components": [
            {
                "id": "X",
                "life": _weib(2.0, 1000.0),
                "age_h": 900.0,
                "preventive": {"duration_h": 1.0, "cost": 10.0},
                "corrective": {"duration_h": 5.0, "cost": 100.0},
                "skill": "mech",
            }
        ],
    }
    scn = _scenario([{"id": "A", "life": _weib(2.0, 50000.0)}], extra_systems=[other])
    res = system_risk(scn, 30)
    assert [s.system_id for s in res.systems] == ["S2", "S1"]
    assert [s.rank for s in res.systems] == [1, 2]
    assert res.components[0].component_id == "X"
    d = res.as_dict()
    first = d["systems"][0]
    assert {"system_id", "p_down", "expected_loss", "drivers"} <= set(first)
    assert set(first["drivers"][0]) >= {"component_id", "importance"}
    assert_allclose(d["expected_loss"], sum(s["expected_loss"] for s in d["systems"]))


@pytest.mark.parametrize("days", [0.0, -1.0, float("nan"), 4000.0])
def test_bad_window_is_a_clear_error(days: float) -> None:
    scn = _scenario([{"id": "A", "life": _weib(2.0, 5000.0)}])
    with pytest.raises(ValueError, match="days"):
        system_risk(scn, days)


@settings(max_examples=25, deadline=None)
@given(
    ages=st.lists(st.floats(0.0, 20000.0), min_size=3, max_size=3),
    shapes=st.lists(st.floats(0.5, 4.0), min_size=3, max_size=3),
    k=st.integers(1, 3),
    d1=st.floats(0.5, 300.0),
    d2=st.floats(0.5, 300.0),
)
def test_probability_is_in_unit_interval_and_monotone_in_window(
    ages: list[float], shapes: list[float], k: int, d1: float, d2: float
) -> None:
    comps = [
        {"id": f"C{j}", "life": _weib(b, 10000.0), "age_h": a}
        for j, (a, b) in enumerate(zip(ages, shapes, strict=True))
    ]
    scn = _scenario(comps, [{"id": "G", "k": k, "components": ["C0", "C1", "C2"]}])
    lo, hi = sorted((d1, d2))
    p_lo = system_risk(scn, lo).systems[0]
    p_hi = system_risk(scn, hi).systems[0]
    for r in (p_lo, p_hi):
        assert 0.0 <= r.p_down <= 1.0
        assert 0.0 <= r.health <= 100.0
        assert all(0.0 <= d.importance <= 1.0 for d in r.drivers)
    assert p_lo.p_down <= p_hi.p_down + 1e-12


def test_repair_simulation_refuses_a_runaway_renewal_loop() -> None:
    scn = _scenario(
        [
            {"id": "A", "life": _weib(1.0, 1.0), "age_h": 0.0},
            {"id": "B", "life": _weib(1.0, 1.0), "age_h": 0.0},
        ],
        redundancy=[{"id": "G", "k": 1, "components": ["A", "B"]}],
    )
    assert system_risk(scn, 30).systems[0].p_down > 0.99  # the exact method is fine
    with pytest.raises(ValueError, match="component A fails more than"):
        system_risk(scn, 300, repair=True, replications=10)  # ~800 cycles of 9 h
