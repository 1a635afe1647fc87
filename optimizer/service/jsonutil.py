"""Strict JSON for stored results: no NaN/Infinity, numpy scalars as Python numbers."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import numpy as np


def sanitize(obj: Any) -> Any:
    """A JSON-safe copy of ``obj``: non-finite floats become ``None``.

    JSON has no infinity; an infeasible plan's objective (``inf``) is reported as
    ``null`` rather than as the invalid token ``Infinity``.
    """
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, Mapping):
        return {str(k): sanitize(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [sanitize(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [sanitize(v) for v in obj.tolist()]
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, np.bool_):
        return bool(obj)
    return str(obj)


def dumps(obj: Any) -> str:
    """Compact strict JSON of ``obj`` (after :func:`sanitize`)."""
    return json.dumps(sanitize(obj), separators=(",", ":"), allow_nan=False, ensure_ascii=False)


def canonical(obj: Any) -> str:
    """Key-sorted compact JSON: equal documents give equal text (idempotency hashes)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def finite_or_none(x: float | None) -> float | None:
    """``x`` if it is a finite number, else ``None``."""
    if x is None:
        return None
    return float(x) if math.isfinite(float(x)) else None
