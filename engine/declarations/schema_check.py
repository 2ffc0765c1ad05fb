"""Validate declaration data against `schemas/*.schema.json`, one positioned Problem per failure.

jsonschema's own messages ("'yes' is not of type 'boolean'") name neither the file position
nor the fix, and an `anyOf` failure arrives as a wall of alternatives; this module rewrites
each error in the words of the declaration format and places it on the offending key or value.
"""
from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from engine.core.declaration_codes import Part, part, problem_at, snake_case
from engine.core.declaration_codes.schema_messages import SCHEMA_MESSAGES
from engine.declarations.source import JsonPath, Source
from engine.errors import Problem

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"

# A path is read as a walk through the format: from a state, a key leads into a collection
# (_CHILD), and every entry of a collection is one member (_MEMBER), e.g. a field.
_CHILD = {
    **{("root", key): key for key in ("entities", "roles", "parameters", "reports", "kpis", "workflows")},
    **{("entity", key): key for key in ("fields", "rules", "permissions", "views")},
    **{("views", key): "view" for key in ("list", "form", "gantt")},
    ("field", "fields"): "fields", ("field", "options"): "options", ("report", "measures"): "measures",
    ("view", "sections"): "sections",
}
_MEMBER = {"entities": "entity", "fields": "field", "roles": "role", "parameters": "parameter",
           "reports": "report", "kpis": "kpi", "measures": "measure", "options": "option", "permissions": "permission",
           "workflows": "workflow", "rules": "rule", "sections": "section"}


def check_against_schema(source: Source, schema_name: str = "module") -> list[Problem]:
    """Return every way `source.data` breaks `schemas/<schema_name>.schema.json`, sorted by position."""
    validator = _validator(schema_name)
    explainer = _Explainer(source, schema_name)
    problems: set[Problem] = set()
    for error in validator.iter_errors(_for_validation(source.data)):
        for finding in explainer.explain(error):
            line, column = source.position(finding.path, key=finding.at_key)
            problems.add(problem_at(source.file, line, column, finding.code, finding.params))
    return sorted(problems, key=lambda problem: (problem.line, problem.column, problem.message))


@dataclass(frozen=True)
class _Schemas:
    registry: Registry[Any]
    documents: dict[int, str]  # id() of every subschema -> URI of the file holding it, to resolve its $refs
    uris: dict[str, str]  # schema name -> URI
    pattern_kinds: dict[str, str]  # a pattern -> the definition or property it belongs to


@functools.cache
def _schemas() -> _Schemas:
    registry: Registry[Any] = Registry()
    documents: dict[int, str] = {}
    uris: dict[str, str] = {}
    pattern_kinds: dict[str, str] = {}
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(contents)
        uri = contents["$id"]
        uris[path.name.removesuffix(".schema.json")] = uri
        registry = registry.with_resource(uri, Resource.from_contents(contents))
        _index(contents, uri, "", documents, pattern_kinds)
    return _Schemas(registry, documents, uris, pattern_kinds)


def _index(node: Any, uri: str, label: str, documents: dict[int, str], patterns: dict[str, str]) -> None:
    if isinstance(node, list):
        for item in node:
            _index(item, uri, label, documents, patterns)
    elif isinstance(node, dict):
        documents[id(node)] = uri
        if isinstance(node.get("pattern"), str):
            patterns.setdefault(node["pattern"], label)
        for key, value in node.items():
            if key in ("properties", "$defs") and isinstance(value, dict):
                for name, subschema in value.items():
                    _index(subschema, uri, name, documents, patterns)
            else:
                _index(value, uri, label, documents, patterns)


@functools.cache
def _validator(schema_name: str) -> Draft202012Validator:
    schemas = _schemas()
    if schema_name not in schemas.uris:
        close = difflib.get_close_matches(schema_name, schemas.uris, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"no schema {schema_name!r} in {SCHEMA_DIR}{hint}")
    contents = schemas.registry.contents(schemas.uris[schema_name])
    return Draft202012Validator(contents, registry=schemas.registry)


def _for_validation(value: Any) -> Any:
    """Copy the data with Decimals as int/float: jsonschema's arithmetic expects JSON numbers."""
    if isinstance(value, dict):
        return {key: _for_validation(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_for_validation(item) for item in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


@dataclass(frozen=True)
class _Finding:
    path: JsonPath
    at_key: bool
    code: str  # of engine/core/declaration_codes/schema_messages.py
    params: dict[str, Any]


class _Explainer:
    """Turns jsonschema errors into findings worded for people who write declarations."""

    def __init__(self, source: Source, schema_name: str) -> None:
        self.source = source
        self.root = part(f"decl_schema_at_{schema_name}" if schema_name in ("module", "overlay") else
                         "decl_schema_at_root", {"schema": schema_name})
        self.schemas = _schemas()

    def explain(self, error: ValidationError) -> Iterator[_Finding]:
        path = tuple(error.absolute_path)
        if error.validator in ("anyOf", "oneOf") and error.context:
            yield from self._alternatives(error, path)
        elif "propertyNames" in error.absolute_schema_path:
            yield from self._bad_key(error, path)
        elif error.validator in ("additionalProperties", "unevaluatedProperties"):
            yield from self._unknown_keys(error, path)
        elif error.validator == "required":
            yield from self._missing(error, path)
        else:
            value = self.source.value_at(path)
            code, params = self._value_message(error, path, self._name(path), value)
            if error.validator == "uniqueItems" and isinstance(value, list):
                path = (*path, _first_repeat(value))  # point at the second occurrence
            yield _Finding(path, False, code, params)

    def _alternatives(self, error: ValidationError, path: JsonPath) -> Iterator[_Finding]:
        """Explain the alternative the value was evidently meant to be, or list the expected shapes."""
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context or []:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [errors for errors in branches.values()
                   if not any(_is_shape_mismatch(sub, len(path)) for sub in errors)]
        if len(fitting) == 1:
            for sub in fitting[0]:
                yield from self.explain(sub)
        elif fitting:
            yield from self.explain(best_match([sub for errors in fitting for sub in errors]))
        else:
            value = self.source.value_at(path)
            shapes: dict[str, Part] = {}
            choices: list[str] = []
            for errors in branches.values():
                for sub in errors:
                    if sub.validator == "type":
                        shape = _shape(sub)
                    elif sub.validator == "enum":
                        choices.extend(str(choice) for choice in sub.validator_value)
                        shape = part("decl_schema_one_of", {"choices": ", ".join(map(str, sub.validator_value))})
                    else:
                        continue
                    shapes.setdefault(json.dumps(shape, sort_keys=True, default=str), shape)
            yield _Finding(path, False, "decl_schema_not_shape", {
                "name": self._name(path), "expected": list(shapes.values()) or [part("decl_schema_shape_other")],
                "value": _show(value), "suggestion": _closest(value, choices)})

    def _bad_key(self, error: ValidationError, path: JsonPath) -> Iterator[_Finding]:
        key = str(error.instance)
        member = self._states((*path, key))[-1]
        noun = part(f"decl_schema_noun_{member}" if f"decl_schema_noun_{member}" in SCHEMA_MESSAGES
                    else "decl_schema_noun_name", {"member": member})
        code, params = self._value_message(error, (*path, key), noun, key)
        yield _Finding((*path, key), True, code, params)

    def _unknown_keys(self, error: ValidationError, path: JsonPath) -> Iterator[_Finding]:
        known, patterns = self._known_keys(error.schema)
        for key in error.instance:
            if key in known or any(re.search(pattern, key) for pattern in patterns):
                continue
            where, close = self._describe(path), _closest(key, sorted(known))
            if close:
                yield _Finding((*path, key), True, "decl_schema_unknown_key",
                               {"key": key, "where": where, "suggestion": close})
            else:
                yield _Finding((*path, key), True, "decl_schema_unknown_key_expected",
                               {"key": key, "where": where, "choices": ", ".join(sorted(known))})

    def _missing(self, error: ValidationError, path: JsonPath) -> Iterator[_Finding]:
        instance = self.source.value_at(path)
        typed = "then" in error.absolute_schema_path and isinstance(instance, dict) and "type" in instance
        for key in error.validator_value:
            if isinstance(instance, dict) and key not in instance:
                params = {"where": self._describe(path), "key": key}
                if typed:
                    yield _Finding(path, True, "decl_schema_missing_for_type", {**params, "type": instance["type"]})
                else:
                    yield _Finding(path, True, "decl_schema_missing", params)

    def _value_message(self, error: ValidationError, path: JsonPath, name: Part,
                       value: Any) -> tuple[str, dict[str, Any]]:
        limit = error.validator_value
        said = {"name": name, "value": _show(value)}
        match error.validator:
            case "type":
                if self._states(path)[-1] == "field" and isinstance(value, str):
                    return "decl_schema_type_field", {**said, "expected": _types(limit), "type": value}
                return "decl_schema_type", {**said, "expected": _types(limit)}
            case "enum":
                choices = [str(choice) for choice in limit]
                return "decl_schema_enum", {**said, "choices": ", ".join(choices),
                                            "suggestion": _closest(value, choices)}
            case "const":
                return "decl_schema_const", {**said, "expected": _show(limit)}
            case "pattern":
                words = _pattern_words(self.schemas.pattern_kinds.get(limit, ""), str(value), limit)
                noun = name["code"].startswith("decl_schema_noun_")  # "field name 'x' must be", not "'start' 'x'"
                return ("decl_schema_pattern_noun" if noun else "decl_schema_pattern",
                        {"name": name, "text": str(value), "words": words})
            case "minimum" | "exclusiveMinimum" | "maximum" | "exclusiveMaximum":
                return f"decl_schema_{snake_case(str(error.validator))}", {**said, "limit": limit}
            case "minLength" | "minItems" | "minProperties" if limit == 1:
                return "decl_schema_empty", {"name": name}
            case "minLength":
                return "decl_schema_min_length", {"name": name, "limit": limit}
            case "maxLength":
                noun = name["code"].startswith("decl_schema_noun_")
                return ("decl_schema_max_length_noun" if noun else "decl_schema_max_length"), {**said, "limit": limit}
            case "minItems" | "minProperties":
                return "decl_schema_min_items", {"name": name, "limit": limit}
            case "maxItems" | "maxProperties":
                return "decl_schema_max_items", {"name": name, "limit": limit}
            case "uniqueItems" if isinstance(value, list):
                return "decl_schema_repeated", {"name": name, "value": _show(value[_first_repeat(value)])}
        return "decl_schema_other", {"name": name, "reason": error.message}

    def _known_keys(self, schema: Any) -> tuple[set[str], list[str]]:
        """Return the property names and patterns a schema evaluates, following $ref and allOf."""
        if not isinstance(schema, dict):
            return set(), []
        known = set(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        parts = list(schema.get("allOf", []))
        if "$ref" in schema:
            base = self.schemas.documents.get(id(schema), "")
            parts.append(self.schemas.registry.resolver(base_uri=base).lookup(schema["$ref"]).contents)
        for subschema in parts:
            more_known, more_patterns = self._known_keys(subschema)
            known |= more_known
            patterns += more_patterns
        return known, patterns

    def _states(self, path: JsonPath) -> list[str]:
        """Return the state after each step of `path`, starting with 'root'."""
        states = ["root"]
        for step in path:
            state = states[-1]
            if state in _MEMBER:
                states.append(_MEMBER[state])
            else:
                states.append(_CHILD.get((state, str(step)), "other"))
        return states

    def _describe(self, path: JsonPath) -> Part:
        """Name the thing at `path` the way an author thinks of it: "field 'lines.qty'"."""
        if not path:
            return self.root
        states = self._states(path)
        last, state = path[-1], states[-1]
        steps = list(zip(path, states[1:], strict=True))
        entity = next((str(step) for step, seen in steps if seen == "entity"), "")
        match state:
            case "field":
                return part("decl_schema_at_field", {"name": ".".join(str(s) for s, seen in steps if seen == "field")})
            case "entity" | "role" | "parameter" | "report" | "kpi" | "measure" | "option":
                return part(f"decl_schema_at_{state}", {"name": last})
            case "rule":
                return part("decl_schema_at_rule", {"number": int(last) + 1, "entity": entity})
            case "permission":
                return part("decl_schema_at_permission", {"role": last})
            case "view":
                return part("decl_schema_at_view", {"view": last, "entity": entity})
            case "workflow":
                return part("decl_schema_at_workflow", {"entity": last})
        if isinstance(last, int):
            return part("decl_schema_at_item", {"number": last + 1, "parent": self._describe(path[:-1])})
        if len(path) == 1:
            return part("decl_schema_at_key", {"key": last})
        return part("decl_schema_at_key_of", {"key": last, "parent": self._describe(path[:-1])})

    def _name(self, path: JsonPath) -> Part:
        """Name a value in a message: the key alone (`'required'`), or the member it is."""
        if path in (("module",), ("overlay",)):
            return part("decl_schema_noun_module")
        if not path or self._states(path)[-1] != "other":
            return self._describe(path)
        last = path[-1]
        if isinstance(last, int):
            parent = path[-2] if len(path) > 1 else ""
            parent_part = part("decl_schema_at_key", {"key": parent})
            return part("decl_schema_at_item", {"number": last + 1, "parent": parent_part})
        return part("decl_schema_at_key", {"key": last})


def _first_repeat(items: list[Any]) -> int:
    return next((index for index, item in enumerate(items) if item in items[:index]), 0)


def _is_shape_mismatch(error: ValidationError, depth: int) -> bool:
    """Tell whether an alternative failed on the value's kind itself, so it was not the one meant."""
    return len(error.absolute_path) == depth and error.validator in ("type", "enum", "const")


_PATTERN_KINDS = ("field_path", "sort_key", "entity_ref", "bpmn_path", "bound", "option_key", "max_size", "to",
                  "shares")


def _pattern_words(kind: str, value: str, pattern: str) -> Part:
    """Say what shape the value must have; `kind` names the schema definition holding the pattern."""
    if kind == "name":
        return part("decl_schema_words_name", {"example": _snake_case(value)})
    if kind == "semver":
        return part("decl_schema_words_semver",
                    {"example": ".".join([*re.findall(r"[0-9]+", value), "0", "0", "0"][:3])})
    if kind in _PATTERN_KINDS:
        return part(f"decl_schema_words_{kind}")
    return part("decl_schema_words_pattern", {"pattern": pattern})


def _snake_case(value: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", value).lower()
    snake = re.sub(r"[^a-z0-9]+", "_", words).strip("_")
    if not snake:
        return "expense_claim"
    return snake if snake[0].isalpha() else f"n_{snake}"


def _types(types: Any) -> list[Part]:
    """The JSON types a value may have, as parts ("true or false"; "true/false" among other types)."""
    names = [str(name) for name in (types if isinstance(types, list) else [types])]
    if len(names) == 1:
        return [part(f"decl_schema_type_{names[0]}")]
    return [part("decl_schema_type_boolean_short" if name == "boolean" else f"decl_schema_type_{name}")
            for name in names]


def _shape(error: ValidationError) -> Part:
    """Describe an alternative by its type; a closed mapping also names its keys ('a mapping of zh/en')."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator_value == "object" and schema.get("additionalProperties") is False:
        return part("decl_schema_mapping_of", {"keys": "/".join(schema.get("properties", {}))})
    kinds = _types(error.validator_value)
    return kinds[0] if len(kinds) == 1 else part("decl_schema_shape_any", {"kinds": kinds})


def _show(value: Any) -> Any:
    """A value as a message shows it: its repr, a number, true/false, or what it is (a mapping, a list, empty)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return part("decl_schema_type_null")
    if isinstance(value, dict):
        return part("decl_schema_type_object")
    if isinstance(value, list):
        return part("decl_schema_type_array")
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return str(value)


def _closest(value: Any, choices: list[str]) -> str:
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, choices, n=1)
    return close[0] if close else ""
