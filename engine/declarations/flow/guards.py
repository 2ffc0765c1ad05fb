"""Snapshots, task facts and guards of an entity: `freeze`, `task_fact`, `readonly_when`, `append_only` and
the `on: submit` of rules, checked at load (file:line:col) and compiled into the spec."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.core.declaration_codes import part
from engine.core.suggestions import closest
from engine.declarations.model import EntitySpec, FieldSpec, TaskFact, Workflow
from engine.declarations.module_scope import ModuleScope, Path
from engine.formula import Environment, Formula, ftype_for
from engine.formula.ir import UserAttr, walk

FREEZE_MOMENTS = ("submit", "create")
TASK_FACT_VALUES = {"actor": ("user", "text"), "completed_at": ("datetime", "date")}
RULE_MOMENTS = ("save", "submit")


def freeze(scope: ModuleScope, path: Path, raw: Mapping[str, Any], name: str) -> str | None:
    """A computed field's `freeze:` moment: submit or create."""
    moment = raw.get("freeze")
    if moment not in FREEZE_MOMENTS:  # the schema reports another value
        return None
    if not any(raw.get(key) for key in ("formula", "lookup", "rollup")):
        scope.problem((*path, "freeze"), "decl_freeze_not_computed", {"name": name})
        return None
    return str(moment)


def task_fact(scope: ModuleScope, path: Path, raw: Mapping[str, Any], name: str, kind: str) -> TaskFact | None:
    """A field's `task_fact: {task, value}`: the actor or the completion time of a task of the process."""
    fact = raw.get("task_fact")
    if not isinstance(fact, Mapping):
        return None
    where = (*path, "task_fact")
    task, value = fact.get("task"), fact.get("value")
    tasks = tuple(str(t) for t in (task if isinstance(task, list) else [task]) if isinstance(t, str) and t)
    if not tasks:  # the schema reports a missing or malformed task
        return None
    if value not in TASK_FACT_VALUES:  # the schema reports it
        return None
    if kind not in TASK_FACT_VALUES[value]:
        scope.problem((*where, "value"), "decl_task_fact_field_type",
                      {"fact": value, "name": name, "types": ' or '.join(TASK_FACT_VALUES[value]), "type": kind})
        return None
    if any(raw.get(key) for key in ("formula", "lookup", "rollup")):
        scope.problem(where, "decl_task_fact_computed", {"name": name})
        return None
    return TaskFact(tasks=tasks, value=str(value))


def rule_moment(raw: Mapping[str, Any]) -> str:
    """A rule's `on:` (the schema reports a value outside save and submit)."""
    moment = raw.get("on", "save")
    return str(moment) if moment in RULE_MOMENTS else "save"


def reads_user(*formulas: Formula | None) -> bool:
    """Whether a rule reads the acting user: it is checked on users' own writes, not the engine's."""
    return any(isinstance(node, UserAttr) for formula in formulas if formula is not None
               for node in walk(formula.tree))



def readonly_when(scope: ModuleScope, base: Path, raw: Mapping[str, Any], env: Environment,
                  name: str) -> Formula | None:
    return scope.formula((*base, "readonly_when"), raw.get("readonly_when"), env,
                         what=part("decl_part_readonly_when", {"name": name}), expect=ftype_for("boolean"))


def readonly_except(scope: ModuleScope, base: Path, raw: Mapping[str, Any],
                    fields: Mapping[str, FieldSpec]) -> tuple[str, ...]:
    """The fields users may still change on a record `readonly_when` locks (a forecast on an approved line)."""
    names = raw.get("readonly_except") or []
    if names and "readonly_when" not in raw:
        scope.problem((*base, "readonly_except"), "decl_readonly_except_without_when")
    for index, name in enumerate(names):
        if name not in fields:
            scope.problem((*base, "readonly_except", index), "decl_readonly_except_unknown_field",
                          {"name": name, "suggestion": closest(str(name), fields)})
    return tuple(str(name) for name in names if name in fields)


def check_task_facts(scope: ModuleScope, base: Path, fields: Mapping[str, FieldSpec],
                     workflow: Workflow | None) -> None:
    """Each task fact names a user task of the entity's process (of a list, at least one)."""
    for name, spec in fields.items():
        if spec.task_fact is None:
            continue
        where = (*base, "fields", name, "task_fact", "task")
        if workflow is None:
            scope.problem(where, "decl_task_fact_no_workflow", {"name": name})
            continue
        tasks = spec.task_fact.tasks
        if workflow.spec is not None and not any(task in workflow.spec.tasks for task in tasks):
            # of a list, one may be missing (a tenant's simpler process without the escalation), not all
            scope.problem(where, "decl_task_fact_unknown_task" if len(tasks) == 1 else "decl_task_fact_unknown_tasks",
                          {"name": name, "tasks": ", ".join(tasks), "process": workflow.process,
                           "suggestion": closest(tasks[0], workflow.spec.tasks)})


def frozen_names(entity: EntitySpec, submitted: bool) -> frozenset[str]:
    """The computed fields a stored record keeps: `freeze: create` always, `freeze: submit` once submitted."""
    return frozenset(spec.name for spec in entity.fields.values() if spec.freeze is not None
                     and (submitted or spec.freeze == "create"))


def frozen_columns(entity: EntitySpec, submitted: bool) -> dict[str, frozenset[str]]:
    """Per table, the computed columns its stored rows keep, by the same moments."""
    kept = {name: frozenset(column for column, spec in table.fields.items() if spec.freeze is not None
                            and (submitted or spec.freeze == "create"))
            for name, table in entity.fields.items() if table.type == "table"}
    return {name: columns for name, columns in kept.items() if columns}
