"""JSON Schema (2020-12) of records, generated from declarations; also validates stored documents."""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from engine.core import field_types, patterns
from engine.declarations.model import NUMERIC_TYPES, EntitySpec, FieldSpec
from engine.errors import FieldError

DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"
SYSTEM_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string", "readOnly": True},
    "module": {"type": "string", "readOnly": True},
    "entity": {"type": "string", "readOnly": True},
    "version": {"type": "integer", "readOnly": True, "description": "send it back to update (optimistic lock)"},
    "status": {"type": "string", "readOnly": True},
    "schema_version": {"type": "string", "readOnly": True},
    "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    "created_by": {"type": "string", "readOnly": True},
    "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
    "updated_by": {"type": "string", "readOnly": True},
}


def field_schema(spec: FieldSpec, language: str = "en") -> dict[str, Any]:
    schema: dict[str, Any] = {"title": spec.label.get(language), "x-formwork-type": spec.type}
    if spec.help:
        schema["description"] = spec.help.get(language)
    if spec.is_computed and spec.formula is not None:
        schema.update(readOnly=True, **{"x-formwork-formula": spec.formula.text})
    if spec.readonly:
        schema["readOnly"] = True
    if spec.numbering is not None:
        schema.update(readOnly=True, **{"x-formwork-numbering": spec.numbering.template})
    kind = spec.type
    if kind in NUMERIC_TYPES:
        if kind == "integer":
            schema["type"] = "integer"
        else:
            schema.update(type="string", pattern=DECIMAL_PATTERN)
        if spec.min is not None:
            schema["x-formwork-min"] = str(spec.min)
        if spec.max is not None:
            schema["x-formwork-max"] = str(spec.max)
    elif kind == "boolean":
        schema["type"] = "boolean"
    elif kind == "date":
        schema.update(type="string", format="date")
    elif kind == "datetime":
        schema.update(type="string", format="date-time")
    elif kind == "enum":
        schema.update(type="string", enum=list(spec.options))
        schema["x-formwork-options"] = {k: v.as_dict() for k, v in spec.options.items()}
    elif kind == "multi_enum":
        schema.update(type="array", uniqueItems=True, items={"type": "string", "enum": list(spec.options)})
        schema["x-formwork-options"] = {k: v.as_dict() for k, v in spec.options.items()}
    elif kind == "table":
        schema.update(type="array", items=object_schema(spec.fields, language))
    elif spec.multiple:
        schema.update(type="array", items={"type": "string"})
    elif (plugin_type := field_types.get(kind)) is not None:
        schema.update(plugin_type.schema, **{"x-formwork-widget": plugin_type.widget})
    else:
        schema["type"] = "string"
        if kind == "ref":
            schema["x-formwork-ref"] = spec.target
    if kind in ("text", "enum", "user", "ref", "attachment") and not spec.multiple:
        if spec.max_length is not None:
            schema["maxLength"] = spec.max_length
        if spec.min_length is not None:
            schema["minLength"] = spec.min_length
        if spec.pattern:
            schema["pattern"] = spec.pattern
    return schema


def object_schema(fields: dict[str, FieldSpec] | Any, language: str = "en",
                  hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    visible = {name: spec for name, spec in fields.items() if name not in hidden}
    return {
        "type": "object",
        "properties": {name: field_schema(spec, language) for name, spec in visible.items()},
        "required": [name for name, spec in visible.items() if spec.required and not spec.is_computed],
        "additionalProperties": False,
    }


def record_schema(entity: EntitySpec, language: str = "en", hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The JSON Schema of a record as the API returns it: the envelope with `data` holding the fields."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"formwork:{entity.key}",
        "title": entity.title.get(language),
        "type": "object",
        "properties": {**SYSTEM_PROPERTIES, "data": object_schema(entity.fields, language, hidden)},
        "required": ["id", "version", "status", "data"],
    }


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """The `pattern` keyword on RE2: the schema holds tenants' patterns, which Python's `re` could
    match in exponential time."""
    if validator.is_type(instance, "string") and not patterns.searches(pattern, instance):
        yield ValidationError("has the wrong format")


_Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})


@lru_cache(maxsize=512)
def _validator(entity: EntitySpec) -> Any:
    schema = object_schema(entity.fields)
    schema["required"] = []  # presence is checked with friendlier messages in engine.records.compute
    return _Validator(schema)


def schema_errors(entity: EntitySpec, document: dict[str, Any]) -> list[FieldError]:
    """Check a serialised record document; each error names the field path."""
    errors = []
    for error in _validator(entity).iter_errors(document):
        path = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p))
                       for i, p in enumerate(error.absolute_path))
        errors.append(FieldError(path, _message(error.validator, error.message),
                                 code="schema", params={"message": _message(error.validator, error.message)}))
    return errors


def _message(validator: Any, default: str) -> str:
    messages = {"pattern": "has the wrong format", "enum": "is not one of the options", "maxLength": "is too long",
                "minLength": "is too short", "type": "has the wrong type"}
    return messages.get(str(validator), default)
