"""An entity's phone card (`views.list.card`), checked at load (file:line:col) and compiled into the spec.

The defaults — the title field, the workflow status or a `status`/`state` enum, the first list columns — are
filled in by `card_layout`, so the web layer and its tests read one answer.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.core.suggestions import closest
from engine.declarations.model import SYSTEM_FIELDS, EntitySpec, FieldSpec, ListCard
from engine.declarations.module_scope import ModuleScope, Path

MAX_FIELDS = 4
DEFAULT_FIELDS = 3
BADGE_NAMES = ("status", "state")          # an enum named so is the badge when none is declared
UNSHOWN = frozenset({"table"})             # a card line holds one value, never a table


def list_card(scope: ModuleScope, base: Path, raw: Any, fields: Mapping[str, FieldSpec]) -> ListCard:
    """`views.list.card`: `[fields]` or `{title, badge, fields}`; every name a field the card can show."""
    where: Path = (*base, "views", "list", "card")
    if isinstance(raw, list):
        return ListCard(fields=_names(scope, (*where,), raw, fields))
    if not isinstance(raw, Mapping):       # absent (the schema reports another shape)
        return ListCard()
    title = _name(scope, (*where, "title"), raw.get("title"), fields)
    badge = _name(scope, (*where, "badge"), raw.get("badge"), fields)
    if badge is not None and badge != "status" and fields[badge].type != "enum":
        scope.problem((*where, "badge"), "decl_card_badge_not_enum", {"name": badge, "type": fields[badge].type})
        badge = None
    return ListCard(title=title, badge=badge, fields=_names(scope, (*where, "fields"), raw.get("fields"), fields))


def _names(scope: ModuleScope, where: Path, raw: Any, fields: Mapping[str, FieldSpec]) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    names = (_name(scope, (*where, index), name, fields) for index, name in enumerate(raw[:MAX_FIELDS]))
    return tuple(n for n in names if n is not None)


def _name(scope: ModuleScope, where: Path, raw: Any, fields: Mapping[str, FieldSpec]) -> str | None:
    if raw is None:
        return None
    name = str(raw)
    if name not in fields and name not in SYSTEM_FIELDS:
        scope.problem(where, "decl_card_unknown_field",
                      {"name": name, "suggestion": closest(name, [*fields, *SYSTEM_FIELDS])})
        return None
    if name in fields and fields[name].type in UNSHOWN:
        scope.problem(where, "decl_card_table_field", {"name": name})
        return None
    return name


def card_layout(entity: EntitySpec, shown: frozenset[str] | set[str]) -> ListCard:
    """The card this entity's records show as, with the defaults filled in, over the fields in `shown` (those
    the user may see): title, badge, and up to MAX_FIELDS summary fields apart from both."""
    card = entity.list_card
    title = card.title if card.title in shown else None
    if title is None and entity.title_field in shown:
        title = entity.title_field
    badge = card.badge if card.badge in shown else None
    if badge is None and card.badge is None:
        badge = _default_badge(entity, shown)
    named = card.fields or tuple(c for c in entity.list_columns if c != "status")
    if not card.fields and not named:
        named = tuple(n for n, s in entity.fields.items() if s.type not in UNSHOWN)
    rest = [n for n in dict.fromkeys(named) if n in shown and n not in (title, badge)
            and (n not in entity.fields or entity.fields[n].type not in UNSHOWN)]
    return ListCard(title=title, badge=badge, fields=tuple(rest[:MAX_FIELDS if card.fields else DEFAULT_FIELDS]))


def _default_badge(entity: EntitySpec, shown: frozenset[str] | set[str]) -> str | None:
    if entity.workflow is not None:
        return "status"
    return next((n for n in BADGE_NAMES if n in shown and n in entity.fields and entity.fields[n].type == "enum"),
                None)
