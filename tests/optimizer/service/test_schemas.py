"""The API's response models agree with the core objects they describe."""

from __future__ import annotations

from dataclasses import fields

import pytest

from optimizer.planning import workorders
from optimizer.planning.pipeline import PlanResult, plan_scenario
from optimizer.planning.shutdowns import ShutdownGroup
from optimizer.scenario import Scenario
from optimizer.service import schemas


@pytest.fixture(scope="module")
def api_plan(conveyor: Scenario) -> PlanResult:
    return plan_scenario(conveyor)


def test_work_order_schema_is_the_dataclass() -> None:
    """One field list: the pydantic model names the exported work-order fields, in order."""
    assert tuple(schemas.WorkOrder.model_fields) == workorders.WORK_ORDER_FIELDS
    assert tuple(schemas.Labor.model_fields) == tuple(f.name for f in fields(workorders.Labor))
    assert tuple(schemas.Material.model_fields) == tuple(
        f.name for f in fields(workorders.Material)
    )
    assert tuple(schemas.Deferred.model_fields) == tuple(
        f.name for f in fields(workorders.Deferred)
    )
    assert tuple(schemas.Group.model_fields) == tuple(f.name for f in fields(ShutdownGroup))


def test_a_real_plan_validates_unchanged(api_plan: PlanResult) -> None:
    """Every work order, group and deferred component of a plan passes through the
    response models without a field added, dropped or converted."""
    d = api_plan.as_dict()
    assert d["work_orders"] and d["groups"] and d["deferred"]
    for wo in d["work_orders"]:
        assert schemas.WorkOrder.model_validate(wo).model_dump() == wo
    for g in d["groups"]:
        assert schemas.Group.model_validate(g).model_dump() == g
    for x in d["deferred"]:
        assert schemas.Deferred.model_validate(x).model_dump() == x
