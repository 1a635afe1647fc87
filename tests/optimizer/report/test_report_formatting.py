"""Number formatting and colours: parsed back and compared with exact arithmetic."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.report.comparison import _num
from optimizer.report.formatting import (
    CATEGORY_COLOURS,
    COST_CATEGORIES,
    STRATEGY_COLOURS,
    fmt_count,
    fmt_hours,
    fmt_money,
    fmt_money_range,
    fmt_pct,
    money_scale,
    sig_round,
    strategy_colour,
    strategy_label,
)
from optimizer.scenario import STRATEGIES

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


def _parse_money(text: str) -> float:
    m = re.fullmatch(r"(-?[\d,]+(?:\.\d+)?)(?: (million|thousand))? EUR", text)
    assert m is not None, text
    scale = {"million": 1e6, "thousand": 1e3, None: 1.0}[m.group(2)]
    return float(m.group(1).replace(",", "")) * scale


@settings(max_examples=200, deadline=None)
@given(x=finite, digits=st.integers(1, 6))
def test_sig_round_matches_decimal(x: float, digits: int) -> None:
    got = sig_round(x, digits)
    if x == 0:
        assert got == 0
        return
    d = Decimal(x)  # the exact binary value, which is what round() sees
    exp = d.adjusted() - (digits - 1)
    want = float(d.quantize(Decimal(1).scaleb(exp), rounding=ROUND_HALF_EVEN))
    assert_allclose(got, want, rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(x=finite)
def test_fmt_money_is_within_three_significant_figures(x: float) -> None:
    text = fmt_money(x, "EUR")
    back = _parse_money(text)
    # 3 significant figures: relative error at most half a unit in the third digit,
    # plus half a currency unit for small amounts printed whole.
    assert abs(back - x) <= 0.005 * abs(x) + 0.5
    assert "e+" not in text and "e-" not in text


def test_fmt_money_examples() -> None:
    assert fmt_money(2_861_234.5, "EUR") == "2.86 million EUR"
    assert fmt_money(412_345, "EUR") == "412 thousand EUR"
    assert fmt_money(8_449.6, "EUR") == "8,450 EUR"
    assert fmt_money(999_999, "EUR") == "1.00 million EUR"
    assert fmt_money(1234.5678, "USD", compact=False) == "1,235 USD"
    assert fmt_money(math.nan, "EUR") == "n/a"


@settings(max_examples=150, deadline=None)
@given(a=finite, b=finite)
def test_fmt_money_range_keeps_order_and_value(a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    text = fmt_money_range(lo, hi, "EUR")
    m = re.fullmatch(r"(-?[\d,.]+) to (-?[\d,.]+)(?: (million|thousand))? EUR", text)
    assert m is not None, text
    scale = {"million": 1e6, "thousand": 1e3, None: 1.0}[m.group(3)]
    lo_b, hi_b = (float(g.replace(",", "")) * scale for g in m.group(1, 2))
    assert lo_b <= hi_b
    # Rounded at the larger end's third significant figure.
    tol = 0.005 * max(abs(lo), abs(hi)) + 0.5
    assert abs(lo_b - lo) <= tol and abs(hi_b - hi) <= tol


def test_fmt_money_range_examples() -> None:
    assert fmt_money_range(974_225, 1_060_104, "EUR") == "0.97 to 1.06 million EUR"
    assert fmt_money_range(1_573, 7_391, "EUR") == "1,570 to 7,390 EUR"
    assert fmt_money_range(-50_400, 870_000, "EUR") == "-50 to 870 thousand EUR"
    assert fmt_money_range(math.nan, 1.0, "EUR") == "n/a"


def test_percent_hours_counts() -> None:
    assert fmt_pct(0.98734) == "98.7%"
    assert fmt_pct(0.98734, 2) == "98.73%"
    assert fmt_pct(math.inf) == "n/a"
    assert fmt_hours(1234.4) == "1,234 h"
    assert fmt_hours(2.25) == "2.2 h"
    assert fmt_count(12.34) == "12.3"
    assert fmt_count(12345.6) == "12,346"


@pytest.mark.parametrize(
    ("m", "div", "word"),
    [(0.0, 1.0, ""), (99_999, 1.0, ""), (100_000, 1e3, "thousand"), (2.5e8, 1e6, "million")],
)
def test_money_scale(m: float, div: float, word: str) -> None:
    assert money_scale(m) == (div, word)
    assert money_scale(-m) == (div, word)


@settings(max_examples=300, deadline=None)
@given(v=finite)
def test_num_never_prints_negative_zero_and_round_trips(v: float) -> None:
    text = _num(v)
    assert text not in {"-0", "-0.0", "+0"}
    assert "e" not in text
    back = float(text.replace(",", ""))
    a = abs(v)
    # whole numbers, one decimal, two significant figures, then 0 below a millionth
    tol = 0.5 if a >= 100 else (0.05 if a >= 1 else (0.05 * a if a >= 1e-6 else 1e-6))
    assert abs(back - v) <= tol * (1 + 1e-9)
    signed = _num(v, signed=True)
    if back > 0:
        assert signed.startswith("+")


def test_strategy_colours_are_distinct_and_stable() -> None:
    colours = [strategy_colour(s) for s in STRATEGIES]
    assert len(set(colours)) == len(STRATEGIES)
    assert set(STRATEGY_COLOURS) == set(STRATEGIES)
    assert not set(colours) & set(CATEGORY_COLOURS.values())
    order = ["a-custom", "b-custom"]
    assert strategy_colour("a-custom", order) != strategy_colour("b-custom", order)
    assert strategy_colour("a-custom", order) == strategy_colour("a-custom", order)
    assert strategy_label("condition-based") == "Condition based"
    assert strategy_label("my_policy") == "My policy"
    assert {k for k, _, _ in COST_CATEGORIES} == set(CATEGORY_COLOURS)


def test_sig_round_rejects_zero_digits() -> None:
    with pytest.raises(ValueError, match="digits"):
        sig_round(1.0, 0)
