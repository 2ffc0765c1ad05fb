"""An entity's form sections and its `print:` layout, checked at load (file:line:col) and compiled into the spec."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.core.suggestions import closest
from engine.declarations.model import FieldSpec, Label, PrintLayout, Section
from engine.declarations.module_scope import ModuleScope, Path, label_of


def form_sections(raw: Mapping[str, Any], fields: Mapping[str, FieldSpec]) -> tuple[Section, ...]:
    """`views.form.sections` with the fields the entity has (the form itself lays out every field)."""
    views = raw.get("views")
    form = views.get("form") if isinstance(views, Mapping) else None
    sections = form.get("sections") if isinstance(form, Mapping) else None
    if not isinstance(sections, list):
        return ()
    return tuple(Section(_title(section.get("title")), tuple(str(n) for n in section.get("fields") or ()
                                                             if str(n) in fields))
                 for section in sections if isinstance(section, Mapping))


def print_layout(scope: ModuleScope, base: Path, raw: Any, fields: Mapping[str, FieldSpec]) -> PrintLayout:
    """The entity's `print:`: every field it names must be one of the entity's, every amount a money field."""
    if not isinstance(raw, Mapping):   # absent (the schema reports another shape)
        return PrintLayout()
    where: Path = (*base, "print")
    sections = []
    for index, section in enumerate(raw.get("sections") or ()):
        if not isinstance(section, Mapping):
            continue
        names = [str(n) for n in section.get("fields") or ()]
        for position, name in enumerate(names):
            if name not in fields:
                scope.problem((*where, "sections", index, "fields", position),
                              "decl_print_field_unknown", {"name": name, "suggestion": closest(name, fields)})
        sections.append(Section(_title(section.get("title")), tuple(n for n in names if n in fields)))
    amounts = None
    if isinstance(raw.get("amounts"), list):
        amounts = tuple(str(n) for n in raw["amounts"])
        for position, name in enumerate(amounts):
            spec = fields.get(name)
            if spec is None:
                scope.problem((*where, "amounts", position), "decl_print_amount_unknown",
                              {"name": name,
                               "suggestion": closest(name, [n for n, f in fields.items() if f.type == "money"])})
            elif spec.type != "money":
                scope.problem((*where, "amounts", position), "decl_print_amount_not_money",
                              {"name": name, "type": spec.type})
        amounts = tuple(n for n in amounts if n in fields and fields[n].type == "money")
    return PrintLayout(title=_title(raw.get("title")), sections=tuple(sections), amounts=amounts,
                       footer=_title(raw.get("footer")))


def _title(raw: Any) -> Label | None:
    return label_of(raw, "") if raw else None
