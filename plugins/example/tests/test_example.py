"""The example plugin against a real engine: its function in a module, its service task, its hook."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))  # runs whether or not the package is pip-installed

from formwork_example import plugin, with_tax

from engine import tenancy
from engine.runtime import Formwork
from engine.tenancy import Actor, plugin_registry

MODULE = """\
module: example_orders
version: 1.0.0
title: {zh: 订单, en: Orders}
roles: {buyer: {zh: 采购, en: Buyer}}
entities:
  order:
    title: {zh: 订单, en: Order}
    fields:
      amount: {type: money, required: true, label: {zh: 金额, en: Amount}}
      gross: {type: money, formula: "with_tax(amount, 9)", label: {zh: 含税, en: Gross}}
    permissions: {buyer: {actions: [create, read, submit]}}
    workflow: {process: order.bpmn}
"""
BPMN = """\
<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="order" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="flag" />
    <bpmn:serviceTask id="flag" camunda:type="external" camunda:topic="example.flag_large" />
    <bpmn:sequenceFlow id="f2" sourceRef="flag" targetRef="gate" />
    <bpmn:exclusiveGateway id="gate" default="f_small" />
    <bpmn:sequenceFlow id="f_large" sourceRef="gate" targetRef="large">
      <bpmn:conditionExpression>is_large</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_small" sourceRef="gate" targetRef="small" />
    <bpmn:endEvent id="large" />
    <bpmn:endEvent id="small" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Formwork]:
    if "example" not in plugin_registry.loaded():
        plugin_registry.add(plugin)
    folder = tmp_path_factory.mktemp("example_orders")
    (folder / "module.yaml").write_text(MODULE, encoding="utf-8")
    (folder / "order.bpmn").write_text(BPMN, encoding="utf-8")
    formwork = Formwork(f"sqlite:///{tmp_path_factory.mktemp('db') / 'formwork.db'}")
    formwork.initialise()
    formwork.catalog.install(folder)
    with formwork.db.tenant("shop") as session:
        tenancy.create_tenant(session, "shop", plan="enterprise")
        tenancy.set_module_enabled(session, "shop", "example_orders", True, formwork.catalog.modules())
        plugin_registry.set_enabled(session, "shop", "example", True, settings={"large_amount": "1000"})
    yield formwork
    formwork.db.dispose()


def test_with_tax_rounds_half_up() -> None:
    assert with_tax(Decimal("100.05"), Decimal("9")) == Decimal("109.05")


def test_the_function_the_service_task_and_the_hook_work_in_a_module(engine: Formwork) -> None:
    buyer = Actor("shop", "ann", frozenset({"buyer"}))
    with engine.approvals(buyer) as approvals:
        small = approvals.records.create("example_orders", "order", {"amount": "100"})
        large = approvals.records.create("example_orders", "order", {"amount": "5000"})
        assert small["data"]["gross"] == "109.00"
        assert approvals.submit("example_orders", "order", small["id"])["status"] == "small"
        assert approvals.submit("example_orders", "order", large["id"])["status"] == "large"
    engine.run_jobs()
    [counter] = engine.plugins.store("example", "shop").list("counters")
    assert (counter["entity"], counter["created"]) == ("example_orders.order", 2)
