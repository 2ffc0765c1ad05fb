"""Posted forms turned into record data, and stored records into what a form's inputs hold.

A form travels as text: `raw` maps each field to what its inputs hold (a string, a list of
strings for checkbox groups, a bool for a checkbox, a list of row dicts for a child table).
`to_data` makes the engine's input from it; the engine coerces, computes and validates.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from engine.declarations.model import NUMERIC_TYPES, EntitySpec, FieldSpec
from engine.fields.values import InvalidValue, coerce, to_json
from web.ui.display import display_zone, format_number, local_input

ROW_KEY = "_index"           # a table row's index in the posted form (rows may have gaps)
CELL = re.compile(r"^(?P<table>[a-z][a-z0-9_]*)\[(?P<index>\d+)\]\.(?P<column>[a-z_][a-z0-9_]*)$")
MAX_ROWS = 500

Raw = dict[str, Any]


# -- reading a posted form ---------------------------------------------------------------------


def is_blank(value: Any) -> bool:
    return value in (None, "", [], False)


def read_raw(entity: EntitySpec, form: MultiDict[str, str], fields: set[str]) -> Raw:
    """What the form's inputs of `fields` hold; tables keep their rows' posted indices."""
    raw: Raw = {}
    for name in fields:
        spec = entity.fields[name]
        if spec.type == "table":
            raw[name] = _read_rows(spec, form)
        else:
            raw[name] = _read_input(spec, form, name)
    return raw


def _read_input(spec: FieldSpec, form: MultiDict[str, str], name: str) -> Any:
    if spec.type == "boolean":
        return form.get(name) in ("on", "true", "1")
    if spec.type == "multi_enum" or (spec.type in ("user", "attachment") and spec.multiple):
        return [v for v in form.getlist(name) if v]
    return form.get(name, "")


def _read_rows(spec: FieldSpec, form: MultiDict[str, str]) -> list[dict[str, Any]]:
    indices: set[int] = set()
    for key in form:
        match = CELL.match(key)
        if match and match["table"] == spec.name:
            indices.add(int(match["index"]))
    rows = []
    for index in sorted(indices)[:MAX_ROWS]:
        row: dict[str, Any] = {ROW_KEY: index}
        for column, child in spec.fields.items():
            if not child.is_computed:
                row[column] = _read_input(child, form, f"{spec.name}[{index}].{column}")
        rows.append(row)
    return rows


def without_blank_rows(entity: EntitySpec, raw: Raw) -> Raw:
    """Rows left entirely empty are dropped (an added row nobody filled in is no row)."""
    result = dict(raw)
    for name, value in raw.items():
        if entity.fields[name].type == "table":
            result[name] = [{**row, ROW_KEY: position} for position, row in enumerate(
                r for r in value if not all(is_blank(v) for k, v in r.items() if k != ROW_KEY))]
    return result


def to_data(entity: EntitySpec, raw: Raw) -> dict[str, Any]:
    """The engine's input: blanks become null, datetimes get the display zone, rows lose their index."""
    return {name: _value(entity.fields[name], value) for name, value in raw.items()}


def _value(spec: FieldSpec, value: Any) -> Any:
    if spec.type == "table":
        return [{column: _value(spec.fields[column], cell) for column, cell in row.items() if column != ROW_KEY}
                for row in value]
    if isinstance(value, bool | list):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if spec.type == "datetime":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value  # the engine says what is wrong with it
        return (moment if moment.tzinfo else moment.replace(tzinfo=display_zone())).isoformat()
    return value


# -- raw values from what is stored -----------------------------------------------------------


def raw_value(spec: FieldSpec, stored: Any) -> Any:
    """A stored (JSON) value as its input holds it."""
    if spec.type == "boolean":
        return stored is True
    if spec.type == "multi_enum" or (spec.type in ("user", "attachment") and spec.multiple):
        return [str(v) for v in stored] if isinstance(stored, list) else []
    if spec.type == "table":
        rows = stored if isinstance(stored, list) else []
        return [{ROW_KEY: i, **{c: raw_value(child, row.get(c)) for c, child in spec.fields.items()
                                if not child.is_computed}} for i, row in enumerate(rows)]
    if stored is None:
        return ""
    if spec.type in NUMERIC_TYPES:
        return format_number(spec, stored, grouped=spec.type == "money").rstrip("%")
    if spec.type == "datetime":
        return local_input(stored)
    return str(stored)


def raw_from_document(entity: EntitySpec, document: Mapping[str, Any], fields: set[str]) -> Raw:
    return {name: raw_value(entity.fields[name], document.get(name)) for name in fields}


def default_raw(entity: EntitySpec, fields: set[str]) -> Raw:
    """A new record's inputs: declared defaults, and one empty row per table to start typing in."""
    raw: Raw = {}
    for name in fields:
        spec = entity.fields[name]
        if spec.type == "table":
            raw[name] = [{ROW_KEY: 0, **{c: raw_value(child, default_of(child)) for c, child in spec.fields.items()
                                         if not child.is_computed}}]
        else:
            raw[name] = raw_value(spec, default_of(spec))
    return raw


def default_of(spec: FieldSpec) -> Any:
    if spec.default is None or spec.is_computed:
        return None
    try:
        return to_json(coerce(spec, spec.default))
    except InvalidValue:
        return None


def add_row(entity: EntitySpec, raw: Raw, table: str) -> None:
    spec = entity.fields.get(table)
    if spec is None or spec.type != "table" or table not in raw:
        return
    rows = raw[table]
    index = max((r[ROW_KEY] for r in rows), default=-1) + 1
    rows.append({ROW_KEY: index, **{c: raw_value(child, default_of(child)) for c, child in spec.fields.items()
                                    if not child.is_computed}})


def remove_row(raw: Raw, table: str, index: int) -> None:
    if isinstance(raw.get(table), list):
        raw[table] = [r for r in raw[table] if r.get(ROW_KEY) != index]


def coerced(entity: EntitySpec, data: Mapping[str, Any]) -> dict[str, Any]:
    """Field values for computing a preview: what does not parse yet counts as empty."""
    values: dict[str, Any] = {}
    for name, value in data.items():
        spec = entity.fields[name]
        if spec.type == "table":
            values[name] = [{c: _coerce_quietly(child, row.get(c)) for c, child in spec.fields.items()}
                            for row in value]
        else:
            values[name] = _coerce_quietly(spec, value)
    return values


def _coerce_quietly(spec: FieldSpec, value: Any) -> Any:
    try:
        return coerce(spec, value)
    except InvalidValue:
        return None
