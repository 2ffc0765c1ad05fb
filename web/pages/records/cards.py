"""A list's records as phone cards: the declared (or default) card layout, its cells made as the list's rows are.

The cells come from the list's own row rendering, so a card shows what the table would (enum labels, ref titles,
formatted numbers and dates) and leaves out what the user may not see (hidden fields are never shown, masked
ones arrive masked from the record service).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.declarations.flow.cards import card_layout
from engine.declarations.model import SYSTEM_FIELDS, EntitySpec
from web.ui.display import label_of

# enum badges take a tone by the option's place, so each value keeps its colour from card to card
ENUM_TONES = ("info", "success", "pending", "warning", "neutral", "danger")


@dataclass
class CardLine:
    label: str
    text: str
    kind: str


@dataclass
class Card:
    id: str
    url: str
    title: str
    badge: str = ""
    tone: str = ""
    lines: list[CardLine] = field(default_factory=list)


def cards_of(entity: EntitySpec, rows: list[Any], items: list[dict[str, Any]], hidden: frozenset[str],
             language: str, make_row: Any) -> list[Card]:
    """One card per record; `make_row(names)` renders cells like the list (`listing._row`)."""
    shown = {n for n, s in entity.fields.items() if not s.hidden and n not in hidden} | set(SYSTEM_FIELDS)
    layout = card_layout(entity, shown)
    names = [n for n in (layout.title, layout.badge, *layout.fields) if n is not None]
    cards = []
    for item in items:
        row = make_row(item, names)
        cells = dict(zip(names, row.cells, strict=True))
        title = cells[layout.title].text if layout.title else ""
        card = Card(item["id"], row.url, title or _fallback_title(rows, item["id"]))
        if layout.badge is not None:
            cell = cells[layout.badge]
            card.badge, card.tone = cell.text, cell.tone or _enum_tone(entity, layout.badge, item)
        card.lines = [CardLine(label_of(entity, n, language), cells[n].text, cells[n].kind)
                      for n in layout.fields]
        cards.append(card)
    return cards


def _fallback_title(rows: list[Any], record_id: str) -> str:
    """No title field to show: the linked cell of the table's row (its first column), as the table names it."""
    row = next((r for r in rows if r.id == record_id), None)
    linked = next((c.text for c in row.cells if c.url), "") if row is not None else ""
    return linked or record_id


def _enum_tone(entity: EntitySpec, name: str, item: dict[str, Any]) -> str:
    spec = entity.fields.get(name)
    value = item["data"].get(name)
    if spec is None or value is None:
        return "neutral"
    options = list(spec.options)
    return ENUM_TONES[options.index(value) % len(ENUM_TONES)] if value in options else "neutral"
