"""`scope: project` on roles, a workflow's project field and the separation-of-duties switches, checked at load."""
from __future__ import annotations

from pathlib import Path

from engine.declarations.loader import builtin_folders, compile_all, read_folder, validate_paths

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="https://x.invalid">
  <bpmn:process id="log_approval" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_site" name="site_engineer"><bpmn:flowNodeRef>sign</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_inspector" name="inspector"><bpmn:flowNodeRef>inspect</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign" />
    <bpmn:userTask id="sign" name="Sign" />
    <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="inspect" />
    <bpmn:userTask id="inspect" name="Inspect">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="allow_same_approver" value="%s" />
      </camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="inspect" targetRef="done" />
    <bpmn:endEvent id="done" />
  </bpmn:process>
</bpmn:definitions>
"""

MODULE = """module: sitework
version: 1.0.0
title: {zh: 现场, en: Site work}
requires: [base]
roles:
  site_engineer: {zh: 施工员, en: Site engineer}
  inspector: {zh: 检查员, en: Inspector, scope: project}
  clerk: {zh: 文员, en: Clerk}
entities:
  log:
    title: {zh: 日志, en: Log}
    fields:
      code: {type: text}
      project: {type: ref, entity: base.project}
    workflow: {process: approvals/log.bpmn}
  visit:
    title: {zh: 巡查, en: Visit}
    fields:
      code: {type: text}
      site: {type: ref, entity: base.project}
    workflow: {process: approvals/log.bpmn, project_field: site, separation_of_duties: false}
"""


def _folder(tmp_path: Path, module: str = MODULE, allow: str = "true") -> Path:
    folder = tmp_path / "sitework"
    (folder / "approvals").mkdir(parents=True)
    (folder / "module.yaml").write_text(module, encoding="utf-8")
    (folder / "approvals" / "log.bpmn").write_text(BPMN % allow, encoding="utf-8")
    return folder


def test_a_role_is_project_scoped_where_declared_or_inherited_from_a_required_module(tmp_path: Path) -> None:
    available, problems = compile_all(builtin_folders())
    assert problems == []
    assert {"site_engineer", "project_manager", "crew_leader"} <= available["base"].project_roles
    assert {"cost_manager", "vice_gm", "general_manager", "finance_manager"}.isdisjoint(available["base"].project_roles)
    compiled, problems = compile_all([read_folder(_folder(tmp_path))], available)
    assert problems == []
    spec = compiled["sitework"]
    assert spec.project_roles == {"site_engineer", "inspector"}   # clerk stays a company role
    log, visit = spec.entities["log"].workflow, spec.entities["visit"].workflow
    assert log is not None and log.project_field == "project" and log.separation_of_duties is True
    assert visit is not None and visit.project_field == "site" and visit.separation_of_duties is False
    assert log.spec is not None and log.spec.tasks["inspect"].allow_same_approver is True
    assert log.spec.tasks["sign"].allow_same_approver is False and log.spec.tasks["sign"].separation_of_duties


def test_scope_problems_are_reported_at_their_position(tmp_path: Path) -> None:
    module = (MODULE.replace("  clerk: {zh: 文员, en: Clerk}", "  clerk: {zh: 文员, en: Clerk, scope: site}\n"
                             "  project_manager: {zh: 项目经理, en: PM, scope: company}")
              .replace("      project: {type: ref, entity: base.project}", "      project: {type: text}")
              .replace("project_field: site,", "project_field: code,"))
    folder = _folder(tmp_path, module)
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert lines == [
        "module.yaml:8:37: 'scope' must be one of project, company, not 'site'",
        "module.yaml:9:46: role 'project_manager' is 'scope: project' in a module this one requires; a role has one "
        "scope: remove 'scope: company' here",
        "module.yaml:16:15: the process gives tasks to project roles (inspector, site_engineer) but 'log' has no field "
        "'project' referring to base.project; name the field whose project's members take them with 'project_field'",
        "module.yaml:22:60: project_field 'code' is not a ref to base.project of 'visit'",
    ]


def test_a_step_property_of_the_separation_of_duties_is_true_or_false(tmp_path: Path) -> None:
    folder = _folder(tmp_path, allow="perhaps")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert lines == ["approvals/log.bpmn:13:1: user task 'inspect': property 'allow_same_approver' must be 'true' or "
                     "'false', not 'perhaps'"]
