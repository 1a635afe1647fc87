"""Tests of cost_models.summary.CostBreakdown."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cost_models.summary import CATEGORIES, CostBreakdown

amounts = st.floats(0.0, 1e9)
breakdowns = st.builds(CostBreakdown, *[amounts for _ in CATEGORIES])


def test_total_and_dict() -> None:
    b = CostBreakdown(preventive=100.0, setup=50.0, lost_production=1000.0, labour=25.5)
    assert_allclose(b.total, 1175.5)
    d = b.as_dict()
    assert list(d) == [*CATEGORIES, "total"]
    assert d["setup"] == 50.0
    assert d["corrective"] == 0.0
    assert_allclose(d["total"], 1175.5)


@settings(max_examples=50, deadline=None)
@given(a=breakdowns, b=breakdowns)
def test_addition_is_by_category(a: CostBreakdown, b: CostBreakdown) -> None:
    s = a + b
    for name in CATEGORIES:
        assert_allclose(getattr(s, name), getattr(a, name) + getattr(b, name))
    assert_allclose(s.total, a.total + b.total, rtol=1e-12)
    assert a + b == b + a


def test_sum_and_scaled_average() -> None:
    reps = [CostBreakdown(corrective=float(i), spares_holding=2.0) for i in range(1, 5)]
    mean = sum(reps, CostBreakdown()).scaled(1 / len(reps))
    assert_allclose(mean.corrective, 2.5)
    assert_allclose(mean.spares_holding, 2.0)
    assert_allclose(mean.total, 4.5)


def test_validation() -> None:
    with pytest.raises(ValueError, match="setup"):
        CostBreakdown(setup=-1.0)
    with pytest.raises(ValueError, match="labour"):
        CostBreakdown(labour=math.nan)
    with pytest.raises(ValueError, match="spares_expediting"):
        CostBreakdown(spares_expediting=math.inf)
    with pytest.raises(ValueError, match="factor"):
        CostBreakdown().scaled(-2.0)
    with pytest.raises(TypeError):
        CostBreakdown() + 1.0  # type: ignore[operator]
    with pytest.raises(AttributeError):
        CostBreakdown().setup = 1.0  # type: ignore[misc]
