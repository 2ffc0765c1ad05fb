"""Field types added by plugins: the one registry the compiler, value coercion and JSON Schema consult."""
from __future__ import annotations

from engine.core.plugin_api import FieldType

_TYPES: dict[str, FieldType] = {}


def register(field_type: FieldType) -> None:
    existing = _TYPES.get(field_type.name)
    if existing is not None and existing is not field_type:
        raise ValueError(f"field type {field_type.name!r} is already added by another plugin")
    _TYPES[field_type.name] = field_type


def unregister(name: str) -> None:
    _TYPES.pop(name, None)


def get(name: str) -> FieldType | None:
    return _TYPES.get(name)


def base_type(name: str) -> str:
    """The built-in type a field type behaves like (itself for built-in types)."""
    found = _TYPES.get(name)
    return found.base_type if found is not None else name
