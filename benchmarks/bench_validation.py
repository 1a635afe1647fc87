"""Validation against NREL WOMBAT's Dinwoodie et al. (2015) base case (issue 17).

Runs ``tests/data/validation/dinwoodie_base.yaml`` (every input sourced there) in three
variants (``tests/optimizer/sim/dinwoodie.py``) and prints the time-based availability,
the annual O&M cost and the downtime split next to WOMBAT's published validation run
(``examples/dinwoodie_validation.ipynb``, v0.11, https://github.com/WISDEM/WOMBAT:
availability 0.97; O&M 16.82 M a year = vessels 10.72 [CTV 1.92, FSV 0.27, HLV 8.53] +
materials 4.50 + technicians 1.60):

1. ``as stated``: Opportune's default semantics (a failure stops its turbine at once; the
   turbine waits for a CTV team in FIFO order, or for the FSV / HLV campaign resource:
   3 open requests trigger a mobilisation, fixed charters, the HLV in its own weather);
2. ``wombat-like``: WOMBAT's ``operation_reduction: 0`` (the turbine runs until its
   work starts): corrective and preventive ``stops_system: at_work_start``, 80 teams
   per crew (WOMBAT serves failures before services: Opportune's crews are FIFO);
3. ``wombat-like, shift pauses``: as 2, each job's hands-on hours stretched to the
   elapsed hours of WOMBAT's workdays (work stops at 19:00 after the crew's transfer
   off, the turbine stays down).

Fixed annual costs (CTVs on site all year, salaried technicians: 3.516 M) cannot be
stated in Opportune; ``om_total`` adds them.  ``+-`` is ``3 sd / sqrt(R)``.

Usage::

    python3 benchmarks/bench_validation.py            # R = 100 replications of 10 years
    python3 benchmarks/bench_validation.py --reps 20  # quicker
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "optimizer" / "sim"))

from dinwoodie import SEED, WOMBAT, YEARS, run, variants  # noqa: E402


def _fmt(v: np.ndarray) -> str:
    half = 3.0 * v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else float("nan")
    return f"{v.mean():10.4f} +- {half:.4f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--reps", type=int, default=100)
    args = ap.parse_args()
    print(f"R = {args.reps} replications x {YEARS} years, seed {SEED}; +- is 3 sd / sqrt(R)")
    print(f"WOMBAT v0.11 (one run; money in M a year): {WOMBAT}")
    for name, scn in variants().items():
        w0 = time.perf_counter()
        c0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime
        res = run(scn, args.reps)
        wall = time.perf_counter() - w0
        cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - c0
        print(f"\n== {name}  ({wall:.1f} s wall, {cpu:.1f} CPU s)")
        for key, v in res.items():
            ref = WOMBAT.get(key)
            extra = f"   WOMBAT {ref}" if ref is not None else ""
            print(f"  {key:22s} {_fmt(v)}{extra}")


if __name__ == "__main__":
    main()
