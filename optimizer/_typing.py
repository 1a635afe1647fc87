"""The array aliases every module of the engine annotates with (one definition).

``IndexArray`` is the platform index type numpy returns from ``argsort``, ``nonzero`` and
friends; ``IntArray`` holds stored integers (periods, counts) as 64-bit values.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
IndexArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

__all__ = ["BoolArray", "FloatArray", "IndexArray", "IntArray"]
