"""Declaration checks of snapshots, task facts and guards: file:line:col problems."""
from __future__ import annotations

import shutil
from pathlib import Path

from engine.declarations.loader import validate_paths

BPMN = Path(__file__).parents[1] / "fixtures" / "modules" / "guardbook" / "approvals" / "sheet.bpmn"

MODULE = """\
module: checks
version: 1.0.0
title: {zh: 检查, en: Checks}
roles:
  manager: {zh: 经理, en: Manager}
entities:
  sheet:
    title: {zh: 单据, en: Sheet}
    readonly_when: "qty + 1"
    fields:
      qty: {type: decimal, freeze: submit}
      price: {type: money, formula: "qty * 2", freeze: submit}
      signer: {type: user, task_fact: {task: manager_aprove, value: actor}}
      signed_at: {type: money, task_fact: {task: manager_approve, value: completed_at}}
      total: {type: text, formula: "text(price)", task_fact: {task: manager_approve, value: actor}}
      approved_by: {type: user, task_fact: {task: [manager_approve, escalated]}}
      second: {type: user, task_fact: {task: [escalated, resubmitted], value: actor}}
      third: {type: user, task_fact: {task: [manager_approve, escalated], value: actor}}
    rules:
      - {assert: "qty > 0", on: submit, message: {zh: 数量, en: Quantity}}
      - {assert: "user.name in ['a']", on: approve, message: {zh: 用户, en: User}}
    workflow: {process: approvals/sheet.bpmn}
  note:
    title: {zh: 便笺, en: Note}
    append_only: true
    fields:
      by: {type: user, task_fact: {task: manager_approve, value: actor}}
"""


def test_guard_problems_are_reported_where_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "checks"
    (folder / "approvals").mkdir(parents=True)
    shutil.copy(BPMN, folder / "approvals" / "sheet.bpmn")
    (folder / "module.yaml").write_text(MODULE, encoding="utf-8")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert lines == [
        "module.yaml:9:21: readonly_when of 'sheet': expected a bool formula, found number",
        "module.yaml:11:36: freeze of 'qty': only a computed field (a formula, a lookup or a rollup) "
        "can be frozen; a typed value is kept anyway",
        "module.yaml:13:46: task_fact of 'signer' names task 'manager_aprove', which is not a user task "
        "of approvals/sheet.bpmn (did you mean 'manager_approve'?)",
        "module.yaml:14:74: task_fact completed_at of 'signed_at' goes into a datetime or date "
        "field, not a money field",
        "module.yaml:15:62: 'total' is computed: a task fact goes into a field of its own",
        "module.yaml:16:33: 'task_fact' of field 'approved_by' is missing 'value'",
        "module.yaml:17:46: task_fact of 'second' names tasks 'escalated, resubmitted', none of which is a user task "
        "of approvals/sheet.bpmn",
        "module.yaml:21:44: 'on' must be one of save, submit, not 'approve'",
        "module.yaml:27:42: task_fact of 'by': the entity has no workflow whose task could write it",
    ]


def test_the_fixture_and_built_in_modules_with_guards_load() -> None:
    modules = Path(__file__).parents[2] / "modules"
    folders = [BPMN.parents[1], *(modules / name for name in ("base", "labor", "funds", "cost"))]
    assert [str(p) for p in validate_paths(folders)] == []
