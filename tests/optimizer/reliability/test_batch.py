"""Tests for optimizer.reliability.batch and the family registry it reads.

Reference: every batched evaluation equals the member-by-member evaluation of the scalar
distributions it stacks, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.reliability import distributions as rul
from optimizer.reliability.batch import BatchKey, batch_key, stack_ages, stack_params


def _examples() -> list[rul.LifeDistribution]:
    return [
        rul.Weibull(2.5, 900.0),
        rul.Lognormal(700.0, 0.4),
        rul.Gamma(3.0, 250.0),
        rul.Exponential(800.0),
        rul.Normal(1000.0, 120.0),
        rul.Deterministic(950.0),
    ]


def test_registry_names_every_parametric_family_once() -> None:
    assert [f.cls for f in rul.FAMILIES] == [type(d) for d in _examples()]
    assert len({f.name for f in rul.FAMILIES}) == len(rul.FAMILIES)
    for f in rul.FAMILIES:
        assert rul.FAMILY_OF[f.cls] is f
        # parsing a spec goes through the registry: same distribution as the class
        d = next(d for d in _examples() if type(d) is f.cls)
        spec = {"distribution": f.name, **{p: float(getattr(d, p)) for p in f.params}}
        assert repr(rul.from_spec(spec)) == repr(d)
    assert [f.name for f in rul.FAMILIES if not f.smooth] == ["deterministic"]


def test_keys_separate_families_residuals_and_the_rest() -> None:
    w = rul.Weibull(2.0, 100.0)
    assert batch_key(w) == BatchKey(rul.FAMILY_OF[rul.Weibull], False)
    assert batch_key(rul.Residual(w, 30.0)) == BatchKey(rul.FAMILY_OF[rul.Weibull], True)
    assert batch_key(rul.Weibull(np.array([2.0, 3.0]), 100.0)) is None  # already a batch
    assert batch_key(rul.Empirical([10.0, 20.0, 30.0])) is None  # not a parametric family
    assert batch_key(rul.Residual(rul.Empirical([10.0, 20.0, 30.0]), 5.0)) is None


@pytest.mark.parametrize("residual", [False, True])
def test_stacked_batches_equal_the_members(residual: bool) -> None:
    t = np.array([0.0, 50.0, 400.0, 949.0, 1500.0])
    for d in _examples():
        members: list[rul.LifeDistribution]
        if residual:
            members = [rul.Residual(d, 120.0), rul.Residual(d, 300.0)]
        else:
            twin = rul.from_spec(
                {
                    "distribution": rul.FAMILY_OF[type(d)].name,
                    **{p: 1.1 * float(getattr(d, p)) for p in rul.FAMILY_OF[type(d)].params},
                }
            )
            members = [d, twin]
        key = batch_key(members[0])
        assert key is not None and all(batch_key(m) == key for m in members)
        vals = stack_params(members, key)
        assert all(v.shape == (2,) for v in vals)
        batch = key.build([v[:, None] for v in vals], stack_ages(members)[:, None])
        for k, m in enumerate(members):
            np.testing.assert_array_equal(batch.sf(t)[k], m.sf(t))
            np.testing.assert_array_equal(batch.ppf(np.array([0.1, 0.5]))[k], m.ppf([0.1, 0.5]))
