"""The visual form designer's model: one entity of a module as the catalog declares it with the overlay's patches.

The designer's script edits the overlay as data (`entities.<e>.fields`, `views.form.sections` and
`permissions.<role>.hidden_fields`); this module says what the admin sees after that edit (the effective
fields, their sections, who may not see them) and keeps the overlay minimal: a patch key equal to the
catalog's value is dropped, so an overlay never repeats the catalog.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.customization.overlays import _deep
from engine.declarations.loader import MAIN_FILES
from engine.declarations.model import ModuleSpec
from engine.declarations.source import load_source_text

# the types a new field may take, in the order the picker lists them (a table is declared in the source tab)
NEW_TYPES = ("text", "integer", "decimal", "money", "percent", "boolean", "date", "datetime", "enum", "multi_enum",
             "ref", "user", "attachment")
LABELS = ("label", "help", "unit")          # {zh, en} mappings merged key by key
PLAIN = ("type", "entity", "required", "default", "min", "max", "visible_if", "readonly_if", "formula", "hidden")
COMPUTED = ("formula", "lookup", "rollup", "numbering", "task_fact", "gather")


def catalog_data(spec: ModuleSpec) -> dict[str, Any]:
    """The catalog module's declaration as data (a copy: the loader caches what it parsed)."""
    main = next((name for name in MAIN_FILES if name in spec.files), None)
    return copy.deepcopy(load_source_text(spec.files[main], f"{spec.name}/{main}").data) if main else {}


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def label(value: Any) -> dict[str, str] | None:
    """A declared label (`{zh, en}` or one text) as `{zh, en}`; None when there is none."""
    if isinstance(value, str):
        return {"zh": value, "en": value}
    if isinstance(value, dict) and (value.get("zh") or value.get("en")):
        zh, en = str(value.get("zh") or value.get("en")), str(value.get("en") or value.get("zh"))
        return {"zh": zh, "en": en}
    return None


def number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None and not isinstance(value, bool) else None
    except InvalidOperation:
        return None


def same(key: str, catalog: Any, patch: Any) -> bool:
    """Whether a patch value says what the catalog already says (numbers compared as numbers)."""
    if key in ("min", "max", "default") and number(catalog) is not None:
        return number(catalog) == number(patch)
    if key == "required" or key == "hidden":
        return bool(catalog) == bool(patch)
    return bool(catalog == patch)


def empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def minimize(overlay: dict[str, Any], catalog: Mapping[str, Any], entity: str) -> dict[str, Any]:
    """`overlay` without what repeats the catalog in the parts the form designer writes (changed in place)."""
    entities = overlay.get("entities")
    if not isinstance(entities, dict) or not isinstance(entities.get(entity), dict):
        return overlay
    patch = entities[entity]
    base = mapping(mapping(catalog.get("entities")).get(entity))
    fields, base_fields = patch.get("fields"), mapping(base.get("fields"))
    if isinstance(fields, dict):
        for key, field in list(fields.items()):
            if isinstance(field, dict):
                _minimize_field(field, mapping(base_fields.get(key)) if key in base_fields else None)
                if not field:
                    del fields[key]
    permissions, base_permissions = patch.get("permissions"), mapping(base.get("permissions"))
    if isinstance(permissions, dict):
        for role, grant in list(permissions.items()):
            if isinstance(grant, dict):
                hidden = grant.get("hidden_fields")
                if isinstance(hidden, list) and sorted(hidden) == sorted(
                        mapping(base_permissions.get(role)).get("hidden_fields") or []):
                    del grant["hidden_fields"]
                if not grant:
                    del permissions[role]
    form = mapping(mapping(patch.get("views")).get("form"))
    if "sections" in form and _sections_data(form["sections"]) == _sections_data(
            mapping(mapping(base.get("views")).get("form")).get("sections")):
        del form["sections"]
    for outer, inner in (("views", "form"),):
        views = patch.get(outer)
        if isinstance(views, dict) and views.get(inner) == {}:
            del views[inner]
    for key in ("fields", "permissions", "views"):
        if patch.get(key) == {}:
            del patch[key]
    if not patch:
        del entities[entity]
    if entities == {}:
        del overlay["entities"]
    return overlay


def _minimize_field(field: dict[str, Any], catalog: dict[str, Any] | None) -> None:
    for key in list(field):
        value = field[key]
        if key in LABELS and isinstance(value, dict):
            known = label(catalog.get(key)) if catalog is not None else None
            for language in ("zh", "en"):
                if empty(value.get(language)) or (known is not None and value.get(language) == known[language]):
                    value.pop(language, None)
            if not value:
                del field[key]
        elif key == "options" and isinstance(value, dict):
            for text in value.values():
                if isinstance(text, dict):
                    for language in [k for k, v in text.items() if empty(v)]:
                        del text[language]
            known_options = mapping(mapping(catalog).get("options"))
            for option, text in list(value.items()):
                if option in known_options and label(text) == label(known_options[option]):
                    del value[option]
            if not value:
                del field[key]
        elif empty(value):
            del field[key]     # a cleared value: the catalog's again (a new field: nothing)
        elif catalog is not None and key in PLAIN and same(key, catalog.get(key), value):
            del field[key]
        elif catalog is None and value is False:
            del field[key]     # a new field's `required: false` or `hidden: false` says nothing


def _sections_data(value: Any) -> list[tuple[Any, tuple[str, ...]]]:
    sections = value if isinstance(value, list) else []
    return [(label(s.get("title")), tuple(s.get("fields") or ())) for s in sections if isinstance(s, dict)]


def effective_entity(catalog: Mapping[str, Any], overlay: Mapping[str, Any], entity: str) -> dict[str, Any]:
    """The entity's declaration as data with the overlay's patch merged (fields and permissions as the engine
    merges them; the rest key by key)."""
    base = copy.deepcopy(mapping(mapping(catalog.get("entities")).get(entity)))
    patch = mapping(mapping(overlay.get("entities")).get(entity))
    fields = mapping(base.get("fields"))
    for key, change in mapping(patch.get("fields")).items():
        if not isinstance(change, dict):
            continue
        if key in fields:
            merged = _deep(fields[key], change)
            if change.get("hidden") is True and "required" not in change:
                merged["required"] = False
            fields[key] = merged
        else:
            fields[key] = dict(change)
    base["fields"] = fields
    for key, value in patch.items():
        if key != "fields":
            base[key] = _deep(base.get(key), value)
    return base


def sections(entity: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The form's sections; fields in none of them go to a last section without a key (`loose`)."""
    fields = list(mapping(entity.get("fields")))
    declared = mapping(mapping(entity.get("views")).get("form")).get("sections")
    if not isinstance(declared, list) or not declared:
        return [{"title": None, "fields": fields, "loose": True}]
    shown: list[dict[str, Any]] = []
    placed: set[str] = set()
    for section in declared:
        if isinstance(section, dict):
            names = [str(n) for n in section.get("fields") or () if str(n) in fields and str(n) not in placed]
            placed.update(names)
            shown.append({"title": label(section.get("title")), "fields": names, "loose": False})
    rest = [name for name in fields if name not in placed]
    if rest:
        shown.append({"title": None, "fields": rest, "loose": True})
    return shown


def field_json(key: str, raw: Mapping[str, Any], *, catalog: Mapping[str, Any] | None,
               type_label: str, hidden_for: list[str]) -> dict[str, Any]:
    """One field card and its panel: the effective values, and which options the catalog declares."""
    catalog_options = mapping(mapping(catalog).get("options"))
    options = [{"key": str(k), "label": label(v) or {"zh": str(k), "en": str(k)}, "from_catalog": k in catalog_options}
               for k, v in mapping(raw.get("options")).items()]
    return {
        "key": key, "type": str(raw.get("type") or ""), "type_label": type_label,
        "label": label(raw.get("label")) or {"zh": key, "en": key}, "required": bool(raw.get("required")),
        "default": raw.get("default"), "options": options, "help": label(raw.get("help")),
        "unit": label(raw.get("unit")), "min": _plain(raw.get("min")), "max": _plain(raw.get("max")),
        "visible_if": raw.get("visible_if"), "readonly_if": raw.get("readonly_if"), "formula": raw.get("formula"),
        "hidden": bool(raw.get("hidden")), "target": raw.get("entity") if raw.get("type") == "ref" else None,
        "computed": any(raw.get(k) is not None for k in COMPUTED if k != "formula") or bool(raw.get("readonly")),
        "from_catalog": catalog is not None, "hidden_for": hidden_for,
    }


def _plain(value: Any) -> Any:
    """A bound as JSON has it (a Decimal from YAML would not serialize)."""
    return float(value) if isinstance(value, Decimal) else value


def hidden_by_role(entity: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each role with a permission on the entity, and the fields hidden from it."""
    return {str(role): [str(f) for f in mapping(grant).get("hidden_fields") or ()]
            for role, grant in mapping(entity.get("permissions")).items()}
