"""Fit Opportune's calm/rough access-weather model to the Dinwoodie reference site.

The Dinwoodie et al. (2015) reference cases, as shipped by NREL WOMBAT
(``library/code_comparison/dinwoodie/weather/alpha_ventus_weather_2002_2014.pqt``,
https://github.com/WISDEM/WOMBAT), use an hourly wind speed / significant wave height
series of the alpha ventus site (North Sea), 2002-2014.  This script turns it into the
twelve monthly mean calm and rough spell lengths of :class:`optimizer.scenario.Weather`
(``tests/data/validation/dinwoodie_base.yaml``: the site's, for the CTVs and the FSV, and
the HLV's own, ``resources[hlv].weather``, for its stricter limits): a spell is a maximal run of hours with
Hs below (calm) or at/above (rough) the access limit, attributed to the calendar month
in which it begins, over the simulated years of the WOMBAT base case (2003-2012).

The data file is not part of this repository: pass its path (it needs ``pyarrow``).

Run::

    python benchmarks/fit_dinwoodie_weather.py /path/to/alpha_ventus_weather_2002_2014.pqt
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

CTV_HS_LIMIT_M = 1.5  # vessels/ctv1.yaml, fsv_requests.yaml: max_waveheight_repair
HLV_HS_LIMIT_M = 2.0  # vessels/hlv_requests.yaml: max_waveheight_repair
HLV_WIND_LIMIT_M_S = 10.0  # vessels/hlv_requests.yaml: max_windspeed_repair


def monthly_spells(calm: np.ndarray, month: np.ndarray) -> tuple[list[float], list[float]]:
    """Mean calm and rough spell lengths (h) by the month (1..12) in which they begin."""
    change = np.flatnonzero(np.diff(calm.astype(np.int8))) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [calm.size])))
    is_calm = calm[starts]
    m = month[starts]
    mean_calm = [float(lengths[(m == k) & is_calm].mean()) for k in range(1, 13)]
    mean_rough = [float(lengths[(m == k) & ~is_calm].mean()) for k in range(1, 13)]
    return mean_calm, mean_rough


def main(path: str) -> None:
    df = pd.read_parquet(path)
    df = df[(df.datetime.dt.year >= 2003) & (df.datetime.dt.year <= 2012)]
    month = df.datetime.dt.month.to_numpy()
    calm = (df.waveheight < CTV_HS_LIMIT_M).to_numpy()
    mc, mr = monthly_spells(calm, month)
    print(f"hours {len(df)}; calm fraction Hs < {CTV_HS_LIMIT_M} m: {calm.mean():.4f}")
    print("mean_calm_h: [" + ", ".join(f"{v:.1f}" for v in mc) + "]")
    print("mean_rough_h: [" + ", ".join(f"{v:.1f}" for v in mr) + "]")
    for k in range(12):
        print(f"  month {k + 1:2d}: calm fraction {calm[month == k + 1].mean():.3f}")
    hlv = ((df.waveheight < HLV_HS_LIMIT_M) & (df.windspeed < HLV_WIND_LIMIT_M_S)).to_numpy()
    print(
        f"HLV calm fraction (Hs < {HLV_HS_LIMIT_M} m and wind < {HLV_WIND_LIMIT_M_S} m/s):"
        f" {hlv.mean():.4f}"
    )
    mc, mr = monthly_spells(hlv, month)
    print("HLV (resources[hlv].weather):")
    print("mean_calm_h: [" + ", ".join(f"{v:.1f}" for v in mc) + "]")
    print("mean_rough_h: [" + ", ".join(f"{v:.1f}" for v in mr) + "]")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
