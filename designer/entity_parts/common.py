"""What the rule, list view and permission pages share: the draft overlay being worked on and the module it makes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, url_for
from werkzeug.wrappers import Response

from designer.words import w
from engine.customization.draft_edit import DraftOverlay
from engine.customization.publishing import Adjustments
from engine.declarations.model import SYSTEM_FIELDS, EntitySpec, ModuleSpec
from engine.errors import NotFound, Problem
from web.ui.error_text import problem_json
from web.ui.i18n import language, t
from web.ui.layout import render
from web.ui.services import approvals


@dataclass
class Working:
    """The draft overlay as data, and the module it makes (the current version's while the draft has problems)."""

    draft: DraftOverlay
    data: dict[str, Any]
    spec: ModuleSpec
    problems: list[Problem]

    def entity(self, name: str) -> EntitySpec:
        found = self.spec.entities.get(name)
        if found is None:
            raise NotFound(f"module {self.spec.name!r} has no entity {name!r}", message_code="entity_not_found",
                           params={"module": self.spec.name, "entity": name, "hint": ""})
        return found

    def part(self, entity: str) -> dict[str, Any]:
        """The overlay's mapping for `entity` (made when missing)."""
        entities = self.data.get("entities")
        if not isinstance(entities, dict):
            entities = self.data["entities"] = {}
        part = entities.get(entity)
        if not isinstance(part, dict):
            part = entities[entity] = {}
        return part

    def put(self, module: str, entity: str, key: str, value: Any, *, note: str) -> dict[str, Any]:
        """Write `key` of the entity's part of the overlay (drop it when `value` is empty) and keep the draft."""
        part = self.part(entity)
        if value:
            part[key] = value
        else:
            part.pop(key, None)
        self.tidy(entity)
        return self.draft.save(module, self.data, note=note)

    def tidy(self, entity: str) -> None:
        """Drop the empty mappings a page left (an overlay without them reads the same)."""
        entities = self.data.get("entities") or {}
        if entities.get(entity) == {}:
            del entities[entity]
        if entities == {}:
            self.data.pop("entities", None)


def working(service: Adjustments, module: str) -> Working:
    draft = DraftOverlay(service)
    data = draft.load(module)
    problems, spec = draft.preview(module, data)
    return Working(draft, data, spec or service.module(module), problems)




def field_label(entity: EntitySpec, name: str) -> str:
    """A field (or system field) by its label in the page's language."""
    spec = entity.fields.get(name)
    return spec.label.get(language()) if spec is not None else t(f"field.{name}")


def field_choices(entity: EntitySpec, *, system: bool = True, tables: bool = False) -> list[tuple[str, str]]:
    """(key, label) of the entity's fields a picker offers, then the system fields; hidden fields left out."""
    fields = [(name, spec.label.get(language())) for name, spec in entity.fields.items()
              if not spec.hidden and (tables or spec.type != "table")]
    extra = [(name, t(f"field.{name}")) for name in SYSTEM_FIELDS if name != "version"] if system else []
    return fields + extra


def page(template: str, module: str, entity: EntitySpec, code: int = 200, **context: Any) -> Response:
    with approvals() as service:
        spec = service.records.modules.get(module)
        return render(service, template, code=code, module=module, entity=entity, dw=w,
                      module_title=spec.title.get(language()) if spec is not None else module,
                      entity_title=entity.title.get(language()), has_process=entity.workflow is not None,
                      publish_url=url_for("designer_pages.editor", module=module), **context)


def flash_saved(result: dict[str, Any], saved: str = "parts.saved") -> None:
    """Say the draft was saved, or which problems it still has (they must be fixed before publishing)."""
    if result["problems"]:
        flash(w("parts.saved_problems") + " " + "; ".join(p["message"] for p in result["problems"]), "error")
    else:
        flash(w(saved), "success")


def problems_json(problems: list[Problem]) -> list[dict[str, Any]]:
    return [problem_json(p) for p in problems]
