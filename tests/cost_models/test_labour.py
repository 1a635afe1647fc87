"""Tests of cost_models.labour against hand computations and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cost_models.labour import labour_cost, split_overtime

FAST = settings(max_examples=60, deadline=None)
money = st.floats(0.0, 1e4)
hours = st.floats(0.0, 100.0)


def test_hand_computed() -> None:
    # 2 technicians, 8 h of which 2 h overtime at 1.5x, 50/h, call-out 120 per job:
    # 2 * 50 * (6 + 1.5 * 2) + 120
    got = labour_cost(8.0, 2, 50.0, overtime_h=2.0, overtime_factor=1.5, callout_premium=120.0)
    assert_allclose(got, 2 * 50 * 9 + 120)
    assert_allclose(labour_cost(8.0, 3, 40.0), 960.0)


def test_broadcasting() -> None:
    got = labour_cost(np.array([[4.0], [8.0]]), np.array([1, 2, 3]), 10.0)
    assert_allclose(got, [[40.0, 80.0, 120.0], [80.0, 160.0, 240.0]])


def test_split_overtime_hand_computed() -> None:
    reg, ot = split_overtime([3.0, 8.0, 12.0, 5.0], [8.0, 8.0, 8.0, np.inf])
    assert_allclose(reg, [3.0, 8.0, 8.0, 5.0])
    assert_allclose(ot, [0.0, 0.0, 4.0, 0.0])


@FAST
@given(h=hours, avail=st.one_of(hours, st.just(float("inf"))))
def test_split_overtime_partitions_hours(h: float, avail: float) -> None:
    reg, ot = split_overtime(h, avail)
    assert_allclose(reg + ot, h)
    assert reg <= avail
    assert ot >= 0.0
    assert ot == 0.0 or reg == avail


@FAST
@given(
    h=hours,
    avail=hours,
    crew=st.integers(0, 10),
    rate=money,
    factor=st.floats(1.0, 3.0),
    callout=money,
    k=st.integers(1, 5),
)
def test_linear_in_crew_and_overtime_costs_more(
    h: float, avail: float, crew: int, rate: float, factor: float, callout: float, k: int
) -> None:
    reg, ot = split_overtime(h, avail)
    one = labour_cost(h, crew, rate, overtime_h=ot, overtime_factor=factor)
    assert one >= 0.0
    assert_allclose(
        labour_cost(h, k * crew, rate, overtime_h=ot, overtime_factor=factor), k * one, atol=1e-9
    )
    # an independent formula: regular part + overtime part
    assert_allclose(one, crew * rate * float(reg) + crew * rate * factor * float(ot), atol=1e-9)
    assert one >= labour_cost(h, crew, rate) - 1e-9 * (1.0 + float(one))
    with_callout = labour_cost(
        h, crew, rate, overtime_h=ot, overtime_factor=factor, callout_premium=callout
    )
    assert_allclose(with_callout, one + callout, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hours": -1.0}, "hours"),
        ({"crew_qty": float("nan")}, "crew_qty"),
        ({"rate_per_h": -5.0}, "rate_per_h"),
        ({"overtime_h": 9.0}, "overtime_h"),
        ({"overtime_h": -1.0}, "overtime_h"),
        ({"overtime_factor": 0.9}, "overtime_factor"),
        ({"callout_premium": np.inf}, "callout_premium"),
        ({"crew_qty": np.ones(3), "rate_per_h": np.ones(2)}, "broadcast"),
    ],
)
def test_labour_cost_validation(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"hours": 8.0, "crew_qty": 2, "rate_per_h": 50.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        labour_cost(**args)  # type: ignore[arg-type]


def test_split_overtime_validation() -> None:
    with pytest.raises(ValueError, match="hours"):
        split_overtime(np.inf, 8.0)
    with pytest.raises(ValueError, match="regular_available_h"):
        split_overtime(1.0, -8.0)
    with pytest.raises(ValueError, match="regular_available_h"):
        split_overtime(1.0, float("nan"))
