"""System health and risk ranking: P(system down within D days), production at risk, drivers.

:func:`system_risk` answers, for every system of a scenario, "how likely is it to stop
in the next ``D`` days, what does that put at risk, and which parts drive it":

* **Component probabilities.**  ``q_i = P(component i fails within D days)`` from its
  residual life at the plan start, in operating hours (``t_h = D x operating_h_per_day``
  of its system): the twin's prediction when the component has ``prognostics``
  (:func:`optimizer.fleet.residual_life`: parametric, sample-based Kaplan-Meier /
  empirical CDF, or ProgPy, conditioned on the hours since it was issued), otherwise
  the life of a new part conditioned on the current age,
  ``q_i = 1 - S(a_i + t) / S(a_i) = 1 - exp(-(H(a_i + t) - H(a_i)))``.
* **Structure.**  A system runs while every component outside a redundancy group runs
  and every ``k``-out-of-``n`` group has at least ``k`` members running
  (``System.redundancy``).  Components are independent, so the system is a series of
  *blocks*: a block is one series component or one group.  A group's probability of
  being down (fewer than ``k`` members running) is exact by the Poisson-binomial
  recursion over its members, vectorised over all groups of the same size, and
  ``p_down = 1 - prod_b (1 - Q_b)`` (computed as ``-expm1(sum log1p(-Q_b))`` so that
  small probabilities keep their digits).  This is the method ``exact``: it is the
  probability that the system is stopped by a failure at least once within ``D`` days
  when no failed part is repaired inside the window.  For a series system that is also
  exact *with* repair (its first stop does not depend on what happens after it); for a
  redundant group it is conservative (an upper bound) when failed members would be
  repaired before the next one fails.  ``repair=True`` estimates those systems by
  Monte Carlo instead (method ``simulation``; see :func:`system_risk`).
* **Drivers.**  The Birnbaum importance ``B_i = dR_sys / dp_i = P(up | i up) - P(up | i
  down)`` (``p_i = 1 - q_i``), exact from the same recursion (the other blocks' product
  times, inside a group, the probability that exactly ``k - 1`` of the other members run).
  The system reliability is linear in each ``p_i``, so renewing part ``i`` today (its
  ``q_i`` becomes ``F_new(t)``, the new part's probability of failing within ``D`` days)
  lowers ``p_down`` by exactly ``renewal_drop_i = B_i (q_i - F_new,i(t))``.
* **Production at risk.**  ``expected_loss = p_down x value x outage_h``: ``value`` is the
  system's production value per hour (mean of its value profile), ``outage_h`` the
  expected stop of a failure (response + corrective duration + part wait,
  :func:`cost_models.expected_downtime_h`), averaged over the components with weights
  ``B_i q_i`` (criticality importance: how often component ``i`` is the one whose failure
  stops the system), priced by :func:`cost_models.downtime_cost`.  Only lost production
  is counted (not the repair's direct cost).
* **Health score.**  ``health = 100 x (1 - p_down)``: the chance, in percent, that the
  system runs through the next ``D`` days without a failure stop (100 = no risk).
* **Rankings.**  Systems by ``expected_loss`` (then ``p_down``); components by the
  production at risk that renewing them today would remove,
  ``loss_reduction_i = renewal_drop_i x value x outage_h`` of their system (then by
  ``renewal_drop``).

Cost: ``O(n)`` for series components and ``O(n^3)`` per group of ``n`` members (the
leave-one-out recursions of the Birnbaum importances), all vectorised with numpy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np

import cost_models as cm
from optimizer._typing import FloatArray, IntArray
from optimizer.calendar import serving_crews
from optimizer.fleet import (
    distribution,
    failure_part_wait,
    mean_duration_h,
    mean_value_multiplier,
    part_demand_rates,
    residual_life,
)
from optimizer.reliability.distributions import LifeDistribution
from optimizer.scenario import ResolvedComponent, Scenario, System

__all__ = [
    "ComponentRisk",
    "RiskResult",
    "SystemRisk",
    "block_importance",
    "k_out_of_n_down",
    "poisson_binomial",
    "system_risk",
]

MAX_DAYS = 3650.0
"""Longest risk window accepted, days."""
MAX_CYCLES = 200
"""Most failures of one group member in the window that the repair simulation follows."""


# --------------------------------------------------------------------------------------
# The exact building blocks (pure numpy)
# --------------------------------------------------------------------------------------
def poisson_binomial(p: FloatArray) -> FloatArray:
    """Distribution of the number of successes of independent trials (Poisson binomial).

    Parameters
    ----------
    p : ndarray of float, shape (..., n)
        Success probability of each trial (a padding trial with ``p = 0`` changes nothing).

    Returns
    -------
    ndarray of float, shape (..., n + 1)
        ``pmf[..., m] = P(exactly m successes)``, by the recursion
        ``pmf_j[m] = pmf_{j-1}[m] (1 - p_j) + pmf_{j-1}[m - 1] p_j``.
    """
    p = np.asarray(p, dtype=float)
    n = p.shape[-1]
    pmf = np.zeros((*p.shape[:-1], n + 1))
    pmf[..., 0] = 1.0
    for j in range(n):
        pj = p[..., j : j + 1]
        nxt = pmf * (1.0 - pj)
        nxt[..., 1:] += pmf[..., :-1] * pj
        pmf = nxt
    return pmf


def k_out_of_n_down(p_work: FloatArray, k: IntArray) -> FloatArray:
    """P(fewer than ``k`` members run) of independent ``k``-out-of-``n`` groups.

    Parameters
    ----------
    p_work : ndarray of float, shape (G, n)
        Probability that each member runs (pad short groups with 0).
    k : ndarray of int, shape (G,)
        Members needed, ``1 <= k <= n``.

    Returns
    -------
    ndarray of float, shape (G,)
        ``sum_{m < k} pmf[m]`` of :func:`poisson_binomial`, clipped to ``[0, 1]``.
    """
    pmf = poisson_binomial(p_work)
    below = np.arange(pmf.shape[-1]) < np.asarray(k)[:, None]
    return np.asarray(np.clip(np.sum(pmf * below, axis=-1), 0.0, 1.0), dtype=float)


def block_importance(p_work: FloatArray, k: IntArray) -> FloatArray:
    """Birnbaum importance of each member inside its ``k``-out-of-``n`` group.

    ``P(group up | member up) - P(group up | member down)``: the probability that exactly
    ``k - 1`` of the *other* members run (leave-one-out Poisson binomial).

    Parameters
    ----------
    p_work : ndarray of float, shape (G, n)
        Probability that each member runs (padding members: 0).
    k : ndarray of int, shape (G,)
        Members needed.

    Returns
    -------
    ndarray of float, shape (G, n)
    """
    p = np.asarray(p_work, dtype=float)
    g, n = p.shape
    others = np.broadcast_to(p[:, None, :], (g, n, n)).copy()
    idx = np.arange(n)
    others[:, idx, idx] = 0.0  # member j removed (a padding trial)
    pmf = poisson_binomial(others)  # (G, n, n + 1)
    km1 = np.broadcast_to((np.asarray(k) - 1)[:, None, None], (g, n, 1))
    return np.asarray(np.take_along_axis(pmf, km1, axis=-1)[..., 0], dtype=float)


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ComponentRisk:
    """One component's share of its system's risk over the window."""

    component_id: str
    system_id: str
    site_id: str
    p_fail: float
    """P(the part fails within the window)."""
    importance: float
    """Birnbaum importance ``dR_sys / dp_i``."""
    renewal_drop: float
    """Drop of the system's ``p_down`` if the part were renewed today."""
    loss_reduction: float
    """Production at risk removed by renewing it today, currency."""
    source: Literal["twin", "age"]
    """Residual life from the twin's prediction or from the age-conditional life."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "component_id": self.component_id,
            "system_id": self.system_id,
            "site_id": self.site_id,
            "p_fail": self.p_fail,
            "importance": self.importance,
            "renewal_drop": self.renewal_drop,
            "loss_reduction": self.loss_reduction,
            "source": self.source,
        }


@dataclass(frozen=True)
class SystemRisk:
    """One system's risk over the window."""

    rank: int
    system_id: str
    site_id: str
    name: str | None
    p_down: float
    """P(the system is stopped by a failure within the window)."""
    p_down_ci: tuple[float, float] | None
    """95% interval of ``p_down`` (simulation only)."""
    expected_loss: float
    """Production value at risk, currency."""
    outage_h: float
    """Expected stop of a failure, hours (criticality-weighted)."""
    health: float
    """``100 (1 - p_down)``."""
    method: str
    """``exact`` or ``simulation`` (with what it assumes)."""
    drivers: tuple[ComponentRisk, ...]
    """The system's components, most important first."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "rank": self.rank,
            "system_id": self.system_id,
            "site_id": self.site_id,
            "name": self.name,
            "p_down": self.p_down,
            "p_down_ci": list(self.p_down_ci) if self.p_down_ci is not None else None,
            "expected_loss": self.expected_loss,
            "outage_h": self.outage_h,
            "health": self.health,
            "method": self.method,
            "drivers": [
                {
                    "component_id": d.component_id,
                    "importance": d.importance,
                    "p_fail": d.p_fail,
                    "renewal_drop": d.renewal_drop,
                    "loss_reduction": d.loss_reduction,
                }
                for d in self.drivers
            ],
        }


@dataclass(frozen=True)
class RiskResult:
    """Risk of every system over ``days`` from ``start``, ranked."""

    scenario: str
    currency: str
    start: datetime
    days: float
    systems: tuple[SystemRisk, ...]
    """Ranked by expected loss, then ``p_down``."""
    components: tuple[ComponentRisk, ...]
    """Ranked by loss reduction, then renewal drop."""

    @property
    def expected_loss(self) -> float:
        """Production at risk over the fleet, currency."""
        return float(sum(s.expected_loss for s in self.systems))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (``systems`` ranked, each with its ``drivers``)."""
        return {
            "scenario": self.scenario,
            "currency": self.currency,
            "start": self.start.isoformat(),
            "days": self.days,
            "expected_loss": self.expected_loss,
            "health_score": "100 x (1 - p_down): % chance of no failure stop in the window",
            "systems": [s.as_dict() for s in self.systems],
            "components": [c.as_dict() for c in self.components],
        }

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per system (for CSV), ranked; ``drivers`` as ``id:importance``."""
        out = []
        for s in self.systems:
            d = s.as_dict()
            d["p_down_ci"] = (
                "" if s.p_down_ci is None else f"{s.p_down_ci[0]:.6g}-{s.p_down_ci[1]:.6g}"
            )
            d["drivers"] = " ".join(f"{x.component_id}:{x.importance:.4g}" for x in s.drivers[:5])
            d["name"] = s.name or ""
            out.append(d)
        return out


# --------------------------------------------------------------------------------------
# From a scenario
# --------------------------------------------------------------------------------------
def _age_probabilities(
    comps: Sequence[ResolvedComponent], idx: Sequence[int], t_h: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``q`` (installed part, age-conditional) and ``q_new`` of components, batched per life.

    ``q = 1 - exp(-(H(a + t) - H(a)))`` (1 where the age is beyond the support).
    """
    q = np.empty(len(comps))
    q_new = np.empty(len(comps))
    groups: dict[str, list[int]] = {}
    lives: dict[str, LifeDistribution] = {}
    for i in idx:
        key = comps[i].life.model_dump_json()
        if key not in lives:
            lives[key] = distribution(comps[i].life)
        groups.setdefault(key, []).append(i)
    for key, members in groups.items():
        life = lives[key]
        m = np.asarray(members)
        age = np.array([comps[i].age_h for i in members], dtype=float)
        with np.errstate(invalid="ignore"):
            dh = np.asarray(life.cum_hazard(age + t_h[m])) - np.asarray(life.cum_hazard(age))
        dh = np.where(np.isnan(dh), np.inf, np.maximum(dh, 0.0))
        q[m] = -np.expm1(-dh)
        q_new[m] = np.asarray(life.cdf(t_h[m]), dtype=float)
    return q, q_new


def _outage_h(scn: Scenario, comps: Sequence[ResolvedComponent]) -> FloatArray:
    """Expected stop of each component's failure: response + corrective duration + part wait."""
    cache: dict[str, float] = {}

    def mean_h(d: Any) -> float:
        if isinstance(d, int | float):
            return float(d)
        key = d.model_dump_json()
        if key not in cache:
            cache[key] = mean_duration_h(d)
        return cache[key]

    resp = np.empty(len(comps))
    rep = np.empty(len(comps))
    wait = np.empty(len(comps))
    crews_of: dict[tuple[str, str], float] = {}
    demand = part_demand_rates(scn)
    waits: dict[tuple[str | None, int], float] = {}
    for i, c in enumerate(comps):
        ck = (c.skill, c.site_id)
        if ck not in crews_of:
            crews = serving_crews(scn.crews, c.skill, c.site_id)
            crews_of[ck] = min((mean_h(cr.response_delay_h) for cr in crews), default=0.0)
        resp[i] = crews_of[ck]
        rep[i] = mean_h(c.corrective.duration_h)
        wkey = (c.spare_part, c.parts_per_task)
        if wkey not in waits:
            waits[wkey] = failure_part_wait(scn, c, demand)[0]
        wait[i] = waits[wkey]
    return np.asarray(cm.expected_downtime_h(resp, rep, wait), dtype=float)


def _leave_one_out_log(log_r: FloatArray, owner: IntArray, n_owner: int) -> FloatArray:
    """``sum_{b' != b, same owner} log R_b'`` for every block ``b`` (zero-aware)."""
    zero = ~np.isfinite(log_r)
    finite = np.where(zero, 0.0, log_r)
    total = np.bincount(owner, weights=finite, minlength=n_owner)
    zeros = np.bincount(owner, weights=zero.astype(float), minlength=n_owner)
    rest = total[owner] - finite
    rest_zeros = zeros[owner] - zero
    return np.asarray(np.where(rest_zeros > 0, -np.inf, rest), dtype=float)


@dataclass(frozen=True)
class _Structure:
    """The fleet as blocks: every block is one series component or one group."""

    block_of: IntArray  # (n,) block of each component
    block_system: IntArray  # (B,) system of each block
    block_k: IntArray  # (B,) members needed
    members: tuple[IntArray, ...]  # components of each block
    redundant: np.ndarray  # (S,) system has a group with k < n


def _structure(systems: Sequence[System], comps: Sequence[ResolvedComponent]) -> _Structure:
    pos = {c.id: i for i, c in enumerate(comps)}
    sys_pos = {s.id: j for j, s in enumerate(systems)}
    block_of = np.full(len(comps), -1, dtype=np.int64)
    block_system: list[int] = []
    block_k: list[int] = []
    members: list[IntArray] = []
    redundant = np.zeros(len(systems), dtype=bool)
    for j, s in enumerate(systems):
        for g in s.redundancy:
            m = np.array([pos[c] for c in g.components], dtype=np.int64)
            block_of[m] = len(members)
            members.append(m)
            block_system.append(j)
            block_k.append(g.k)
            redundant[j] |= g.k < len(g.components)
    series = np.flatnonzero(block_of < 0)
    block_of[series] = len(members) + np.arange(series.size)
    block_system.extend(sys_pos[comps[int(i)].system_id] for i in series)
    block_k.extend([1] * series.size)
    members.extend(series[:, None])
    return _Structure(
        block_of=block_of,
        block_system=np.asarray(block_system, dtype=np.int64),
        block_k=np.asarray(block_k, dtype=np.int64),
        members=tuple(members),
        redundant=redundant,
    )


def _exact(st: _Structure, q: FloatArray, n_sys: int) -> tuple[FloatArray, FloatArray]:
    """``p_down`` per system and Birnbaum importance per component, exact."""
    n_blocks = st.block_k.size
    q_block = np.empty(n_blocks)
    inner = np.empty(q.size)  # importance of a member inside its block
    sizes = np.array([m.size for m in st.members])
    for size in np.unique(sizes):
        bl = np.flatnonzero(sizes == size)
        mem = np.stack([st.members[b] for b in bl])  # (G, size)
        if size == 1:
            q_block[bl] = q[mem[:, 0]]
            inner[mem[:, 0]] = 1.0
            continue
        p = 1.0 - q[mem]
        q_block[bl] = k_out_of_n_down(p, st.block_k[bl])
        inner[mem] = block_importance(p, st.block_k[bl])
    with np.errstate(divide="ignore"):
        log_r = np.log1p(-np.minimum(q_block, 1.0))
    p_down = -np.expm1(np.bincount(st.block_system, weights=log_r, minlength=n_sys))
    p_down = np.where(
        np.bincount(st.block_system, weights=~np.isfinite(log_r), minlength=n_sys) > 0,
        1.0,
        p_down,
    )
    rest = _leave_one_out_log(log_r, st.block_system, n_sys)
    importance = np.exp(rest[st.block_of]) * inner
    # (+ 0.0 turns the -0.0 of expm1(-0.0) into 0.0)
    return np.clip(p_down, 0.0, 1.0) + 0.0, np.clip(importance, 0.0, 1.0)


def _simulate(
    st: _Structure,
    system: int,
    residuals: Mapping[int, LifeDistribution],
    lives: Mapping[int, LifeDistribution],
    t_h: float,
    outage_h: FloatArray,
    replications: int,
    rng: np.random.Generator,
    ids: Sequence[str],
) -> tuple[float, tuple[float, float]]:
    """Monte Carlo ``p_down`` of one system whose failed parts are repaired in the window.

    A failed part stops for its expected outage (``outage_h``: response + repair + part
    wait, as a constant) and then runs again as a new part (a fresh life); the system
    is down when a series part has failed or a group has fewer than ``k`` members up.
    Crews and stock are not shared between failures (each repair is served as if alone).
    """
    blocks = np.flatnonzero(st.block_system == system)
    down_any = np.zeros(replications, dtype=bool)
    for b in blocks:
        mem = st.members[b]
        k = int(st.block_k[b])
        if mem.size == 1 or k == mem.size:  # first failure of a member stops it: no repair role
            first = np.min(
                np.stack([np.asarray(residuals[int(i)].sample(replications, rng)) for i in mem]),
                axis=0,
            )
            down_any |= first <= t_h
            continue
        # Down intervals of each member: [T_c, T_c + outage) for successive cycles c.
        starts: list[FloatArray] = []
        ends: list[FloatArray] = []
        for i in mem:
            s_i: list[FloatArray] = []
            e_i: list[FloatArray] = []
            t = np.asarray(residuals[int(i)].sample(replications, rng), dtype=float)
            while True:
                s_i.append(t)
                e_i.append(t + outage_h[i])
                if not np.any(t <= t_h):
                    break
                if len(s_i) > MAX_CYCLES:
                    raise ValueError(
                        f"repair simulation: component {ids[int(i)]} fails more than "
                        f"{MAX_CYCLES} times in the window; use the exact method"
                    )
                t = np.where(
                    t <= t_h,
                    t + outage_h[i] + np.asarray(lives[int(i)].sample(replications, rng)),
                    np.inf,
                )
            starts.append(np.stack(s_i, axis=1))
            ends.append(np.stack(e_i, axis=1))
        width = max(s.shape[1] for s in starts)
        s_all = np.stack(
            [np.pad(s, ((0, 0), (0, width - s.shape[1])), constant_values=np.inf) for s in starts],
            axis=1,
        )
        e_all = np.stack(
            [np.pad(e, ((0, 0), (0, width - e.shape[1])), constant_values=np.inf) for e in ends],
            axis=1,
        )
        # at each failure instant inside the window, count members down
        inst = s_all.reshape(replications, -1)  # (R, M)
        cnt = np.zeros(inst.shape)
        for j in range(mem.size):
            sj = s_all[:, j, :][:, None, :]
            ej = e_all[:, j, :][:, None, :]
            cnt += np.any((sj <= inst[:, :, None]) & (inst[:, :, None] < ej), axis=-1)
        hit = (inst <= t_h) & (cnt >= mem.size - k + 1)
        down_any |= np.any(hit, axis=1)
    p = float(down_any.mean())
    # Wilson score interval (keeps its coverage near 0 and 1, unlike p +- z se)
    z, n = 1.96, float(replications)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, (max(0.0, centre - half), min(1.0, centre + half))


def system_risk(
    scn: Scenario,
    days: float,
    *,
    repair: bool = False,
    replications: int = 10_000,
    seed: int = 0,
) -> RiskResult:
    """Risk of every system of a scenario over the next ``days`` from the plan start.

    Parameters
    ----------
    scn : Scenario
        A validated scenario.
    days : float
        Window, calendar days, ``0 < days <= 3650``.
    repair : bool, default False
        Systems with a redundancy group that has spare members (``k < n``) are then
        estimated by Monte Carlo with failed members repaired inside the window
        (method ``simulation``, with a 95% Wilson interval); the others stay exact.
        Importances, renewal drops and the outage weights stay those of the exact model.
    replications : int, default 10000
        Monte Carlo replications per simulated system.
    seed : int, default 0
        Random seed of the simulation.

    Returns
    -------
    RiskResult
        Systems ranked by expected loss, components by loss reduction (module docstring).

    Raises
    ------
    ValueError
        If ``days`` or ``replications`` is out of range, or (``repair``) a group member
        fails more than :data:`MAX_CYCLES` times in the window.
    """
    if not (isinstance(days, int | float) and math.isfinite(days) and 0 < days <= MAX_DAYS):
        raise ValueError(f"days: must be in (0, {MAX_DAYS:g}], got {days!r}")
    if replications < 1:
        raise ValueError(f"replications: must be >= 1, got {replications}")
    pairs = list(scn.systems())
    systems = [s for _, s in pairs]
    sys_pos = {s.id: j for j, s in enumerate(systems)}
    comps = scn.components()
    n = len(comps)
    csys = np.array([sys_pos[c.system_id] for c in comps], dtype=np.int64)
    oph = np.array([s.operating_h_per_day for s in systems], dtype=float)
    t_h = days * oph[csys]
    twin = [i for i, c in enumerate(comps) if c.prognostics is not None]
    twin_set = set(twin)
    plain = [i for i in range(n) if i not in twin_set]
    q, q_new = _age_probabilities(comps, plain, t_h)
    resid: dict[int, LifeDistribution] = {}
    for i in twin:
        resid[i] = residual_life(scn, comps[i], systems[csys[i]])
        q[i] = float(np.asarray(resid[i].cdf(t_h[i])))
        q_new[i] = float(np.asarray(distribution(comps[i].life).cdf(t_h[i])))
    q = np.clip(q, 0.0, 1.0)
    st = _structure(systems, comps)
    p_down, importance = _exact(st, q, len(systems))
    outage = _outage_h(scn, comps)
    value = np.array([s.production_value_per_h * mean_value_multiplier(scn, s) for s in systems])
    # criticality-weighted expected outage of each system
    w = importance * q
    wsum = np.bincount(csys, weights=w, minlength=len(systems))
    wout = np.bincount(csys, weights=w * outage, minlength=len(systems))
    plain_mean = np.bincount(csys, weights=outage, minlength=len(systems)) / np.maximum(
        np.bincount(csys, minlength=len(systems)), 1
    )
    out_h = np.where(wsum > 0, wout / np.where(wsum > 0, wsum, 1.0), plain_mean)
    loss_per_outage = (
        np.asarray(cm.downtime_cost(cm.ValueProfile.constant(1.0), 0.0, out_h)) * value
    )
    methods = ["exact" for _ in systems]
    ci: list[tuple[float, float] | None] = [None] * len(systems)
    if repair and st.redundant.any():
        rng = np.random.default_rng(seed)
        lives_all: dict[int, LifeDistribution] = {}
        for j in (int(x) for x in np.flatnonzero(st.redundant)):
            for i in (int(x) for x in np.flatnonzero(csys == j)):
                if i not in resid:
                    resid[i] = residual_life(scn, comps[i], systems[j])
                lives_all[i] = distribution(comps[i].life)
            p_down[j], ci[j] = _simulate(
                st,
                int(j),
                resid,
                lives_all,
                float(days * oph[j]),
                outage,
                replications,
                rng,
                [c.id for c in comps],
            )
            methods[j] = (
                f"simulation ({replications} replications; failed members repaired after "
                "response + repair + part wait, crews and stock not shared)"
            )
    renewal_drop = importance * np.maximum(q - q_new, 0.0)
    loss_red = renewal_drop * loss_per_outage[csys]
    crisks = [
        ComponentRisk(
            component_id=c.id,
            system_id=c.system_id,
            site_id=c.site_id,
            p_fail=float(q[i]),
            importance=float(importance[i]),
            renewal_drop=float(renewal_drop[i]),
            loss_reduction=float(loss_red[i]),
            source="twin" if i in twin_set else "age",
        )
        for i, c in enumerate(comps)
    ]
    by_sys: dict[int, list[int]] = {}
    for i in np.lexsort((-renewal_drop, -importance)):
        by_sys.setdefault(int(csys[i]), []).append(int(i))
    loss = p_down * loss_per_outage
    order = np.lexsort((np.arange(len(systems)), -p_down, -loss))
    srisks = []
    for rank, j in enumerate(order, start=1):
        site, s = pairs[j]
        srisks.append(
            SystemRisk(
                rank=rank,
                system_id=s.id,
                site_id=site.id,
                name=s.name,
                p_down=float(p_down[j]),
                p_down_ci=ci[j],
                expected_loss=float(loss[j]),
                outage_h=float(out_h[j]),
                health=float(100.0 * (1.0 - p_down[j])),
                method=methods[j],
                drivers=tuple(crisks[i] for i in by_sys.get(int(j), [])),
            )
        )
    corder = np.lexsort((np.arange(n), -renewal_drop, -loss_red))
    return RiskResult(
        scenario=scn.name,
        currency=scn.currency,
        start=scn.calendar.start,
        days=float(days),
        systems=tuple(srisks),
        components=tuple(crisks[i] for i in corder),
    )
