"""The BPMN examples of docs/approvals.md: valid BPMN 2.0 with a diagram (they open in Camunda Modeler), loaded
by our loader and run, each step through dump() -> JSON -> restore()."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from engine.declarations.loader import validate_paths
from engine.formula import MONEY, TEXT, Environment, FieldInfo
from engine.workflow import ProcessRun, ProcessSpec, ScriptContext, load_processes

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples" / "approvals"
ENV = Environment(fields={"total": FieldInfo(MONEY), "note": FieldInfo(TEXT), "created_by": FieldInfo(TEXT)},
                  params={})
ROLES = ("manager", "director", "finance")
CTX = ScriptContext(params={})
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"


def load(name: str) -> ProcessSpec:
    files = {path.name: path.read_text(encoding="utf-8") for path in EXAMPLES.glob("*.bpmn")}
    process, problems = load_processes(files, name, origin="docs/examples/approvals", roles=ROLES, environment=ENV,
                                       params={})
    assert problems == []
    assert process is not None
    return process


def stored(run: ProcessRun) -> ProcessRun:
    return ProcessRun.restore(run.process, json.loads(json.dumps(run.dump())), engine=CTX)


def step(run: ProcessRun, bpmn_id: str, decision: str = "approve") -> ProcessRun:
    [task] = [t for t in run.open_tasks() if t.bpmn_id == bpmn_id]
    run.complete(task.id, decision=decision, comment="", actor="someone")
    return stored(run)


def start() -> dict[str, object]:
    return {"total": Decimal("100"), "note": "", "created_by": "sub", "submitter": "sub"}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.bpmn")), ids=lambda p: p.name)
def test_each_example_is_valid_bpmn_with_a_diagram_of_every_element(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    BpmnValidator().validate(root, path.name)   # the BPMN 2.0 XML schema
    process = root.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process")
    assert process is not None
    drawn = {shape.get("bpmnElement") for shape in root.iter(f"{DI}BPMNShape", f"{DI}BPMNEdge")}
    elements = {e.get("id") for e in process if e.get("id")}
    assert elements and elements <= drawn


def test_add_signer_example_runs() -> None:
    run = stored(ProcessRun.start(load("add_signer.bpmn"), start(), engine=CTX))
    assert [t.roles for t in run.open_tasks()] == [("manager",)]
    assert step(run, "manager_approve").end_event == "approved"


def test_return_to_step_example_reopens_a_completed_step_and_runs_again() -> None:
    run = stored(ProcessRun.start(load("return_to_step.bpmn"), start(), engine=CTX))
    [manager] = run.open_tasks()
    run = step(step(run, "manager_approve"), "director_approve")
    assert run.completed_human_tasks() >= {manager.id} and len(run.completed_human_tasks()) == 2
    run.rewind(manager.id, {"note": "补充"})
    run = stored(run)
    [again] = run.open_tasks()
    assert (again.id, again.bpmn_id, again.data["note"]) == (manager.id, "manager_approve", "补充")
    assert run.completed_human_tasks() == set()   # the director's step is to be done again
    run = step(step(run, "manager_approve"), "director_approve")
    assert step(run, "finance_review").end_event == "approved"
    assert run.process.tasks["finance_review"].editable == ("note",)


def test_return_to_step_example_still_returns_to_the_submitter_without_a_target() -> None:
    run = stored(ProcessRun.start(load("return_to_step.bpmn"), start(), engine=CTX))
    run = step(run, "manager_approve", "return")
    [task] = run.open_tasks()
    assert (task.bpmn_id, task.assignee) == ("resubmit", "sub")


def test_cc_example_names_whom_the_step_and_the_process_copy() -> None:
    process = load("cc.bpmn")
    assert process.tasks["manager_approve"].cc == ("director", "user:alice")
    assert process.cc == ("finance",)
    run = stored(ProcessRun.start(process, start(), engine=CTX))
    assert step(run, "manager_approve", "reject").end_event == "rejected"


def test_remind_example_has_a_due_date() -> None:
    run = stored(ProcessRun.start(load("remind.bpmn"), start(), engine=CTX))
    [task] = run.open_tasks()
    assert task.due_at is not None
    assert step(run, "manager_approve").end_event == "approved"



def test_a_cc_naming_an_undeclared_role_is_a_load_problem() -> None:
    text = (EXAMPLES / "cc.bpmn").read_text(encoding="utf-8").replace('value="director,user:alice"',
                                                                      'value="directors,user:"')
    process, problems = load_processes({"cc.bpmn": text}, "cc.bpmn", origin="m", roles=ROLES, environment=ENV,
                                       params={})
    assert process is None
    messages = [p.message for p in problems]
    assert messages == [
        "user task 'manager_approve': cc entry 'directors' is not a declared role (did you mean 'director'?); name "
        "a role of the module or a user as user:<login name>",
        "user task 'manager_approve': cc entry 'user:' names no user; write user:<login name>"]


def test_a_workflow_declaration_may_cc_declared_roles_and_users(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    (folder / "approvals").mkdir(parents=True)
    (folder / "approvals" / "cc.bpmn").write_text((EXAMPLES / "cc.bpmn").read_text(encoding="utf-8"),
                                                    encoding="utf-8")
    module = ("module: m\nversion: 1.0.0\ntitle: M\nroles: {manager: M, director: D, finance: F}\nentities:\n  e:\n"
              "    fields: {total: {type: money}}\n    workflow: {process: approvals/cc.bpmn, cc: [%s]}\n")
    (folder / "module.yaml").write_text(module % "finance, 'user:alice'", encoding="utf-8")
    assert validate_paths([folder]) == []
    (folder / "module.yaml").write_text(module % "finanse", encoding="utf-8")
    assert [p.message for p in validate_paths([folder])] == [
        "cc names 'finanse', which is not a role of the module (did you mean 'finance'?); name a role or a user as "
        "user:<login name>"]
