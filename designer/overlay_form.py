"""The designer's form editor: add a field, relabel or hide one by rewriting the overlay's YAML."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

FIELD_TYPES = ("text", "integer", "decimal", "money", "percent", "boolean", "date", "datetime", "enum", "user")
ACTIONS = ("add_field", "relabel", "hide")


class EditRefused(ValueError):
    """The change cannot be written (the YAML does not parse, a key is missing ...); the text says why."""


def starter(module: str, base_version: str) -> str:
    """A new overlay: the two keys every overlay has."""
    return f"overlay: {module}\nbase_version: {base_version}\n"


def apply(text: str, module: str, form: Mapping[str, str]) -> str:
    """The overlay `text` with the form editor's change written into it (comments are not kept)."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as error:
        raise EditRefused(f"the YAML does not parse ({str(error).splitlines()[0]}); fix it first") from None
    if not isinstance(data, dict):
        raise EditRefused("the overlay must be a mapping of keys such as 'overlay: labor'")
    action, entity, key = form.get("edit_action", ""), form.get("edit_entity", ""), form.get("field_key", "").strip()
    if action not in ACTIONS:
        raise EditRefused(f"choose one of {', '.join(ACTIONS)}")
    if not entity or not key:
        raise EditRefused("choose the entity and give the field key")
    data.setdefault("overlay", module)
    fields = data.setdefault("entities", {}).setdefault(entity, {}).setdefault("fields", {})
    patch: dict[str, Any] = fields.setdefault(key, {})
    label = {k: v for k, v in (("zh", form.get("label_zh", "").strip()), ("en", form.get("label_en", "").strip()))
             if v}
    if action == "hide":
        patch["hidden"] = True
    elif action == "relabel":
        if not label:
            raise EditRefused("give the new Chinese or English label")
        patch["label"] = {**patch.get("label", {}), **label}
    else:
        patch.update(_new_field(form, label))
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


def _new_field(form: Mapping[str, str], label: dict[str, str]) -> dict[str, Any]:
    kind = form.get("field_type", "text")
    if kind not in FIELD_TYPES:
        raise EditRefused(f"type {kind!r} is not one of {', '.join(FIELD_TYPES)}")
    field: dict[str, Any] = {"type": kind}
    if label:
        field["label"] = label
    if form.get("required"):
        field["required"] = True
    if kind == "enum":
        options = {}
        for item in form.get("options", "").split(","):
            key, _, names = item.strip().partition(":")
            zh, _, en = names.partition(":")
            if key.strip():
                options[key.strip()] = {"zh": zh.strip() or key.strip(), "en": en.strip() or zh.strip() or key.strip()}
        if not options:
            raise EditRefused("an enum field needs options: key:Chinese:English, separated by commas")
        field["options"] = options
    default = form.get("default", "").strip()
    if default:
        field["default"] = default
    return field
