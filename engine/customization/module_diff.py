"""What changed between two versions of a module, as JSON an administrator can read before publishing."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.declarations.model import EntitySpec, FieldSpec, Label, ModuleSpec, Rule

_FIELD_KEYS = ("type", "label", "required", "unique", "indexed", "default", "min", "max", "max_length", "min_length",
               "scale", "pattern", "pattern_message", "formula", "visible_if", "readonly_if", "options", "target",
               "multiline", "hidden", "readonly", "scanned", "multiple", "help")


def module_diff(old: ModuleSpec, new: ModuleSpec) -> dict[str, Any]:
    """Fields added/removed/changed, rules, workflows, parameters and reports from `old` to `new`."""
    entities = {}
    for name in sorted({*old.entities, *new.entities}):
        before, after = old.entities.get(name), new.entities.get(name)
        if before is None or after is None:
            entities[name] = {"added" if before is None else "removed": True}
            continue
        change = _entity_diff(before, after)
        if change:
            entities[name] = change
    parameters = {
        name: {"from": _plain(old.parameters[name].default) if name in old.parameters else None,
               "to": _plain(new.parameters[name].default) if name in new.parameters else None}
        for name in sorted({*old.parameters, *new.parameters})
        if name not in old.parameters or name not in new.parameters
        or old.parameters[name].default != new.parameters[name].default
    }
    return {
        "from_version": old.version, "to_version": new.version, "entities": entities, "parameters": parameters,
        "reports_added": sorted(set(new.reports) - set(old.reports)),
        "reports_removed": sorted(set(old.reports) - set(new.reports)),
        "roles_added": sorted(set(new.roles) - set(old.roles)),
    }


def is_empty(diff: Mapping[str, Any]) -> bool:
    return not any(diff[key] for key in ("entities", "parameters", "reports_added", "reports_removed", "roles_added"))


def _entity_diff(old: EntitySpec, new: EntitySpec) -> dict[str, Any]:
    change: dict[str, Any] = {}
    added = [name for name in new.fields if name not in old.fields]
    removed = [name for name in old.fields if name not in new.fields]
    changed = {name: keys for name in new.fields if name in old.fields
               if (keys := field_changes(old.fields[name], new.fields[name]))}
    old_rules, new_rules = [_rule(r) for r in old.rules], [_rule(r) for r in new.rules]
    for key, value in (("fields_added", added), ("fields_removed", removed), ("fields_changed", changed),
                       ("rules_added", [r for r in new_rules if r not in old_rules]),
                       ("rules_removed", [r for r in old_rules if r not in new_rules])):
        if value:
            change[key] = value
    old_process, new_process = _process(old), _process(new)
    if old_process != new_process:
        change["workflow"] = {"from": old_process[0] if old_process else None,
                              "to": new_process[0] if new_process else None}
    if old.list_columns != new.list_columns:
        change["list_columns"] = {"from": list(old.list_columns), "to": list(new.list_columns)}
    return change


def field_changes(old: FieldSpec, new: FieldSpec) -> dict[str, dict[str, Any]]:
    """Key -> {from, to} for every declared property that differs (child columns by name)."""
    result = {}
    for key in _FIELD_KEYS:
        before, after = _plain(getattr(old, key)), _plain(getattr(new, key))
        if before != after:
            result[key] = {"from": before, "to": after}
    for name in sorted({*old.fields, *new.fields}):
        if name not in old.fields or name not in new.fields:
            result[f"fields.{name}"] = {"from": "absent" if name not in old.fields else "present",
                                        "to": "absent" if name not in new.fields else "present"}
        elif columns := field_changes(old.fields[name], new.fields[name]):
            for key, values in columns.items():
                result[f"fields.{name}.{key}"] = values
    return result


def _rule(rule: Rule) -> dict[str, Any]:
    return {"assert": rule.check.text, "when": rule.when.text if rule.when else None, "field": rule.field,
            "message": rule.message.as_dict()}


def _process(entity: EntitySpec) -> tuple[str, str] | None:
    workflow = entity.workflow
    if workflow is None:
        return None
    return workflow.process, workflow.spec.digest if workflow.spec else ""


def _plain(value: Any) -> Any:
    """JSON-ready: labels as {zh, en}, formulas as text, Decimals as text."""
    if isinstance(value, Label):
        return value.as_dict()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    text = getattr(value, "text", None)
    if isinstance(text, str) and not isinstance(value, str):
        return text
    return value
