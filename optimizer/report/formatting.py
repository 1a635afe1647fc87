"""Number formatting, names and colours shared by every report.

Managers read these numbers aloud, so they are rounded to what the confidence intervals
support, carry thousands separators and their unit, and never show a 12-digit float.
Every strategy keeps one colour in every chart of every report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "CATEGORY_COLOURS",
    "COST_CATEGORIES",
    "STRATEGY_COLOURS",
    "fmt_count",
    "fmt_hours",
    "fmt_money",
    "fmt_money_range",
    "fmt_pct",
    "money_scale",
    "sig_round",
    "strategy_colour",
    "strategy_label",
]

STRATEGY_LABELS: dict[str, str] = {
    "run-to-failure": "Run to failure",
    "fixed-interval": "Fixed interval",
    "optimal-age": "Optimal age",
    "condition-based": "Condition based",
    "predictive": "Predictive",
    "prescriptive": "Prescriptive",
}
"""Display names of the built-in strategies."""

# Colour-blind-safe (Okabe-Ito) hues; run-to-failure, the usual current practice, is a
# neutral grey so that the alternatives stand out against it.
STRATEGY_COLOURS: dict[str, str] = {
    "run-to-failure": "#6b6b6b",
    "fixed-interval": "#e69f00",
    "optimal-age": "#56b4e9",
    "condition-based": "#cc79a7",
    "predictive": "#0072b2",
    "prescriptive": "#009e73",
}
_EXTRA_COLOURS: tuple[str, ...] = ("#d55e00", "#8c564b", "#bcbd22", "#17becf", "#7f3c8d")

COST_CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("preventive", "Preventive", ("cost_preventive",)),
    ("corrective", "Corrective", ("cost_corrective",)),
    ("setup", "Set-up", ("cost_setup",)),
    ("lost_production", "Lost production", ("cost_lost_production",)),
    (
        "spares",
        "Spare parts",
        ("cost_spares_holding", "cost_spares_ordering", "cost_spares_expediting"),
    ),
    ("labour", "Labour", ("cost_labour",)),
    ("resources", "Campaign resources", ("cost_resources",)),
)
"""Report cost categories: key, label, simulator KPIs that add up to it."""

# Muted tones for cost categories, distinct from the saturated strategy colours.
CATEGORY_COLOURS: dict[str, str] = {
    "preventive": "#8fb8de",
    "corrective": "#e8a09a",
    "setup": "#c6b6e0",
    "lost_production": "#f2c57c",
    "spares": "#a8d5ba",
    "labour": "#b8b8b8",
    "resources": "#9ec9d9",
}


def strategy_label(name: str) -> str:
    """Display name of a strategy (``"optimal-age"`` -> ``"Optimal age"``)."""
    return STRATEGY_LABELS.get(name, name.replace("-", " ").replace("_", " ").capitalize())


def strategy_colour(name: str, order: Sequence[str] = ()) -> str:
    """Colour of a strategy; unknown names get a stable extra colour by position.

    Parameters
    ----------
    name : str
        Strategy name.
    order : sequence of str
        All strategies of the report, so unknown ones get distinct colours.

    Returns
    -------
    str
        A ``#rrggbb`` colour.
    """
    if name in STRATEGY_COLOURS:
        return STRATEGY_COLOURS[name]
    unknown = [s for s in order if s not in STRATEGY_COLOURS]
    idx = unknown.index(name) if name in unknown else sum(map(ord, name))
    return _EXTRA_COLOURS[idx % len(_EXTRA_COLOURS)]


def sig_round(x: float, digits: int = 3) -> float:
    """Round to ``digits`` significant figures (``0`` and non-finite pass through).

    Raises
    ------
    ValueError
        If ``digits < 1``.
    """
    if digits < 1:
        raise ValueError(f"digits must be >= 1, got {digits}")
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def money_scale(max_abs: float) -> tuple[float, str]:
    """Divisor and word for a money axis whose largest magnitude is ``max_abs``.

    Returns ``(1, "")`` below 100,000, ``(1e3, "thousand")`` below 100 million, else
    ``(1e6, "million")``: axis ticks then need at most five digits.
    """
    m = abs(max_abs) if math.isfinite(max_abs) else 0.0
    if m < 1e5:
        return 1.0, ""
    if m < 1e8:
        return 1e3, "thousand"
    return 1e6, "million"


def fmt_money(x: float, currency: str, *, compact: bool = True, digits: int = 3) -> str:
    """Money for prose: ``"2.86 million EUR"``, ``"412 thousand EUR"``, ``"8,450 EUR"``.

    Parameters
    ----------
    x : float
        Amount in ``currency``.
    currency : str
        ISO 4217 code.
    compact : bool
        Scale to thousand / million with ``digits`` significant figures; otherwise the
        whole amount with thousands separators.
    digits : int
        Significant figures in compact form.

    Returns
    -------
    str
        ``"n/a"`` for a non-finite amount.
    """
    if not math.isfinite(x):
        return "n/a"
    if not compact:
        return f"{x:,.0f} {currency}"
    r = sig_round(x, digits)
    a = abs(r)
    if a >= 1e6:
        return f"{_trim(r / 1e6, digits)} million {currency}"
    if a >= 1e4:
        return f"{_trim(r / 1e3, digits)} thousand {currency}"
    return f"{r:,.0f} {currency}"


def _trim(v: float, digits: int) -> str:
    """``v`` with enough decimals for ``digits`` significant figures, thousands separated."""
    a = abs(v)
    decimals = max(0, digits - 1 - (math.floor(math.log10(a)) if a > 0 else 0))
    return f"{v:,.{decimals}f}"


def fmt_money_range(lo: float, hi: float, currency: str, *, digits: int = 3) -> str:
    """A confidence interval in the unit and precision of its larger end.

    ``fmt_money_range(974_225, 1_060_104, "EUR") == "0.97 to 1.06 million EUR"``.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a"
    big = max(abs(sig_round(lo, digits)), abs(sig_round(hi, digits)))
    if big < 1e4:
        # Same significant figures as the larger end, never below whole units.
        step = 10.0 ** max(0, math.floor(math.log10(big)) - (digits - 1)) if big > 0 else 1.0
        return f"{round(lo / step) * step:,.0f} to {round(hi / step) * step:,.0f} {currency}"
    div, word = (1e6, "million") if big >= 1e6 else (1e3, "thousand")
    decimals = max(0, digits - 1 - math.floor(math.log10(big / div)))
    return f"{lo / div:,.{decimals}f} to {hi / div:,.{decimals}f} {word} {currency}"


def fmt_pct(p: float, decimals: int = 1) -> str:
    """Fraction as a percentage: ``0.98734 -> "98.7%"``; ``"n/a"`` if not finite."""
    if not math.isfinite(p):
        return "n/a"
    return f"{100.0 * p:.{decimals}f}%"


def fmt_hours(h: float) -> str:
    """Hours with thousands separators: ``"1,234 h"`` (one decimal below 10 h)."""
    if not math.isfinite(h):
        return "n/a"
    return f"{h:,.1f} h" if abs(h) < 10 else f"{h:,.0f} h"


def fmt_count(x: float) -> str:
    """A mean count: one decimal below 100, whole numbers above, thousands separated."""
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.1f}" if abs(x) < 100 else f"{x:,.0f}"
