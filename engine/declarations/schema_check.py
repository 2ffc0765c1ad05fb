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

from engine.declarations.source import JsonPath, Source
from engine.errors import Problem

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"

_TYPE_WORDS = {"string": "text", "boolean": "true or false", "integer": "a whole number",
               "number": "a number", "object": "a mapping", "array": "a list", "null": "empty"}
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
            problems.add(Problem(source.file, line, column, finding.message))
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
    message: str


class _Explainer:
    """Turns jsonschema errors into findings worded for people who write declarations."""

    def __init__(self, source: Source, schema_name: str) -> None:
        self.source = source
        self.root = f"the {schema_name}"
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
            message = self._value_message(error, path, self._name(path), value)
            if error.validator == "uniqueItems" and isinstance(value, list):
                path = (*path, _first_repeat(value))  # point at the second occurrence
            yield _Finding(path, False, message)

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
            shapes: list[str] = []
            choices: list[str] = []
            for errors in branches.values():
                for sub in errors:
                    if sub.validator == "type":
                        shapes.append(_shape_words(sub))
                    elif sub.validator == "enum":
                        choices.extend(str(choice) for choice in sub.validator_value)
                        shapes.append("one of " + ", ".join(str(choice) for choice in sub.validator_value))
            expected = _one_of(list(dict.fromkeys(shapes)) or ["something else"])
            hint = _did_you_mean(value, choices)
            yield _Finding(path, False, f"{self._name(path)} must be {expected}, not {_show(value)}{hint}")

    def _bad_key(self, error: ValidationError, path: JsonPath) -> Iterator[_Finding]:
        key = str(error.instance)
        member = self._states((*path, key))[-1]
        noun = f"{'option key' if member == 'option' else member + ' name'}"
        if member == "permission":
            noun = "role name"
        elif member == "workflow":
            noun = "entity name"
        yield _Finding((*path, key), True, self._value_message(error, (*path, key), noun, key))

    def _unknown_keys(self, error: ValidationError, path: JsonPath) -> Iterator[_Finding]:
        known, patterns = self._known_keys(error.schema)
        for key in error.instance:
            if key in known or any(re.search(pattern, key) for pattern in patterns):
                continue
            hint = _did_you_mean(key, sorted(known)) or f"; expected one of {', '.join(sorted(known))}"
            yield _Finding((*path, key), True, f"unknown key {key!r} in {self._describe(path)}{hint}")

    def _missing(self, error: ValidationError, path: JsonPath) -> Iterator[_Finding]:
        instance = self.source.value_at(path)
        because = ""
        if "then" in error.absolute_schema_path and isinstance(instance, dict) and "type" in instance:
            because = f" (a field of type {instance['type']!r} needs it)"
        for key in error.validator_value:
            if isinstance(instance, dict) and key not in instance:
                yield _Finding(path, True, f"{self._describe(path)} is missing {key!r}{because}")

    def _value_message(self, error: ValidationError, path: JsonPath, name: str, value: Any) -> str:
        limit = error.validator_value
        match error.validator:
            case "type":
                hint = ""
                if self._states(path)[-1] == "field" and isinstance(value, str):
                    hint = f" (did you mean {{type: {value}}}?)"
                return f"{name} must be {_type_words(limit)}, not {_show(value)}{hint}"
            case "enum":
                choices = [str(choice) for choice in limit]
                return f"{name} must be one of {', '.join(choices)}, not {_show(value)}" + _did_you_mean(
                    value, choices)
            case "const":
                return f"{name} must be {_show(limit)}, not {_show(value)}"
            case "pattern":
                return _pattern_message(self.schemas.pattern_kinds.get(limit, ""), name, str(value), limit)
            case "minimum" | "exclusiveMinimum":
                word = "at least" if error.validator == "minimum" else "more than"
                return f"{name} must be {word} {limit}, not {_show(value)}"
            case "maximum" | "exclusiveMaximum":
                word = "at most" if error.validator == "maximum" else "less than"
                return f"{name} must be {word} {limit}, not {_show(value)}"
            case "minLength" | "minItems" | "minProperties" if limit == 1:
                return f"{name} must not be empty"
            case "minLength":
                return f"{name} must be at least {limit} characters long"
            case "maxLength":
                return f"{_subject(name, value)} is longer than {limit} characters"
            case "minItems" | "minProperties":
                return f"{name} must have at least {limit} entries"
            case "maxItems" | "maxProperties":
                return f"{name} must have at most {limit} entries"
            case "uniqueItems" if isinstance(value, list):
                return f"{name} lists {_show(value[_first_repeat(value)])} more than once"
        return f"{name}: {error.message}"

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
        for part in path:
            state = states[-1]
            if state in _MEMBER:
                states.append(_MEMBER[state])
            else:
                states.append(_CHILD.get((state, str(part)), "other"))
        return states

    def _describe(self, path: JsonPath) -> str:
        """Name the thing at `path` the way an author thinks of it: "field 'lines.qty'"."""
        if not path:
            return self.root
        states = self._states(path)
        last, state = path[-1], states[-1]
        steps = list(zip(path, states[1:], strict=True))
        entity = next((str(part) for part, seen in steps if seen == "entity"), "")
        match state:
            case "field":
                dotted = ".".join(str(part) for part, seen in steps if seen == "field")
                return f"field {dotted!r}"
            case "entity" | "role" | "parameter" | "report" | "kpi" | "measure" | "option":
                return f"{state} {last!r}"
            case "rule":
                return f"rule {int(last) + 1} of entity {entity!r}"
            case "permission":
                return f"permissions of role {last!r}"
            case "view":
                return f"{last} view of entity {entity!r}"
            case "workflow":
                return f"workflow of entity {last!r}"
        if isinstance(last, int):
            return f"item {last + 1} of {self._describe(path[:-1])}"
        if len(path) == 1:
            return f"{last!r}"
        return f"{last!r} of {self._describe(path[:-1])}"

    def _name(self, path: JsonPath) -> str:
        """Name a value in a message: the key alone (`'required'`), or the member it is."""
        if path in (("module",), ("overlay",)):
            return "module name"
        if not path or self._states(path)[-1] != "other":
            return self._describe(path)
        last = path[-1]
        if isinstance(last, int):
            parent = path[-2] if len(path) > 1 else ""
            return f"item {last + 1} of {parent!r}"
        return f"{last!r}"


def _first_repeat(items: list[Any]) -> int:
    return next((index for index, item in enumerate(items) if item in items[:index]), 0)


def _is_shape_mismatch(error: ValidationError, depth: int) -> bool:
    """Tell whether an alternative failed on the value's kind itself, so it was not the one meant."""
    return len(error.absolute_path) == depth and error.validator in ("type", "enum", "const")


_PATTERN_WORDS = {
    "field_path": "a field name like 'amount' or 'project.name'",
    "sort_key": "a field name, '-' in front to sort descending, like '-date'",
    "entity_ref": "the name of an entity like 'claim' or 'base.project'",
    "bpmn_path": "a .bpmn file in the module folder, like 'approvals/claim.bpmn'",
    "bound": "a number like 0 or '0.5', or a date like '2024-05-01'",
    "option_key": "made of letters, digits, '_', '-' and '.'",
    "max_size": "a size like '10MB' or a number of bytes",
    "to": "a field of another module's entity, like 'base.contract.paid_amount'",
    "shares": "a table's column like 'workers.worker'",
}


def _pattern_message(kind: str, name: str, value: str, pattern: str) -> str:
    """Say what shape the value must have; `kind` names the schema definition holding the pattern."""
    if kind == "name":
        words = f"lower snake_case like {_snake_case(value)!r}"
    elif kind == "semver":
        words = f"a semantic version like {'.'.join([*re.findall(r'[0-9]+', value), '0', '0', '0'][:3])!r}"
    else:
        words = _PATTERN_WORDS.get(kind, f"text matching {pattern!r}")
    if _is_noun(name):
        return f"{name} {value!r} must be {words}"
    return f"{name} must be {words}, not {value!r}"  # "'start' 'x' must be" would read badly


def _is_noun(name: str) -> bool:
    """Tell 'module name' or 'field name' (followed by the value) from a quoted key or an item."""
    return name.endswith((" name", " key"))


def _subject(name: str, value: Any) -> str:
    return f"{name} {_show(value)}" if _is_noun(name) else name


def _snake_case(value: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", value).lower()
    snake = re.sub(r"[^a-z0-9]+", "_", words).strip("_")
    if not snake:
        return "expense_claim"
    return snake if snake[0].isalpha() else f"n_{snake}"


def _type_words(types: Any) -> str:
    names = types if isinstance(types, list) else [types]
    if len(names) == 1:
        return _TYPE_WORDS.get(str(names[0]), str(names[0]))
    return _one_of([_TYPE_WORDS.get(str(name), str(name)).replace(" or ", "/") for name in names])


def _one_of(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _shape_words(error: ValidationError) -> str:
    """Describe an alternative by its type; a closed mapping also names its keys ('a mapping of zh/en')."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator_value == "object" and schema.get("additionalProperties") is False:
        return f"a mapping of {'/'.join(schema.get('properties', {}))}"
    return _type_words(error.validator_value)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return str(value)


def _did_you_mean(value: Any, choices: list[str]) -> str:
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""

