"""The module description clients build forms from: entities, fields, parameters, reports."""
from __future__ import annotations

from typing import Any

from engine.declarations.model import Action, FieldSpec, ModuleSpec
from engine.fields.values import to_json
from engine.records.service import Records


def describe_field(spec: FieldSpec, language: str) -> dict[str, Any]:
    described: dict[str, Any] = {
        "type": spec.type, "label": spec.label.as_dict(), "title": spec.label.get(language),
        "required": spec.required, "unique": spec.unique, "indexed": spec.indexed,
    }
    optional = {
        "options": {k: v.as_dict() for k, v in spec.options.items()} or None,
        "entity": spec.target,
        "formula": spec.formula.text if spec.formula else None,
        "default": spec.default,
        "min": str(spec.min) if spec.min is not None else None,
        "max": str(spec.max) if spec.max is not None else None,
        "max_length": spec.max_length, "scale": spec.decimal_places if spec.type != "text" else None,
        "pattern": spec.pattern, "pattern_message": spec.pattern_message.as_dict() if spec.pattern_message else None,
        "visible_if": spec.visible_if.text if spec.visible_if else None,
        "readonly_if": spec.readonly_if.text if spec.readonly_if else None,
        "help": spec.help.as_dict() if spec.help else None,
        "multiline": spec.multiline or None, "multiple": spec.multiple or None,
        "hidden": spec.hidden or None, "readonly": spec.readonly or None,
        "min_length": spec.min_length,
        "numbering": spec.numbering.template if spec.numbering else None,
        "fields": {n: describe_field(c, language) for n, c in spec.fields.items()} or None,
    }
    described.update({k: v for k, v in optional.items() if v is not None})
    described.update(spec.presentation)
    return described


def describe_module(service: Records, module: ModuleSpec, language: str) -> dict[str, Any]:
    entities = {}
    for name, entity in module.entities.items():
        access = service.access(entity)
        hidden = access.hidden_fields
        masked = access.masked_fields
        entities[name] = {
            "title": entity.title.as_dict(), "title_field": entity.title_field,
            "unique": [list(key.fields) for key in entity.unique] or None,
            "masked_fields": sorted(masked) or None,
            "actions": [a.value for a in Action if access.allows(a)],
            "fields": {n: describe_field(f, language) for n, f in entity.fields.items() if n not in hidden},
            "list": {"columns": [c for c in entity.list_columns if c not in hidden], "sort": entity.list_sort,
                     "filter": entity.list_filter.text if entity.list_filter else None},
            "workflow": {"process": entity.workflow.process, "start": entity.workflow.start}
            if entity.workflow else None,
        }
    params = service.params_of(module.name)
    return {
        "name": module.name, "version": module.version, "title": module.title.as_dict(),
        "requires": list(module.requires), "roles": {k: v.as_dict() for k, v in module.roles.items()},
        "entities": entities,
        "parameters": {n: {"type": p.type, "label": p.label.as_dict(), "default": to_json(p.default),
                           "value": to_json(params.get(n))} for n, p in module.parameters.items()},
        "reports": {n: {"title": r.title.as_dict(), "entity": r.entity} for n, r in module.reports.items()},
    }
