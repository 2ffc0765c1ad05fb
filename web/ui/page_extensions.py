"""What plugins add to end users' pages, in one place: a template part in a page slot, a mark on a plan's Gantt rows,
a card on the dashboard or on a record's page, a line under a task the administrator assigns or several people may
take.

- Page slots, a closed set (docs/plugins.md §7): `add_part("record_form.new", "assist/parse_box.html",
  plugin="assist")` when the plugin loads; the page includes the part's template, with the page's own context,
  only for tenants that enabled that plugin. `record_form.new` sits above the fields of the new-record form
  (`entity`, `module`, `widgets`); `record_list.filter` in the list's filter form, before its formula box
  (`entity`, `free_formula`) — a part's inputs there carry no `name`, or the list's GET would send them.
- Providers (`@gantt_marks`, `@dashboard_cards`, `@task_hints`, `@record_cards`) registered from the plugin's page
  module: the page calls every provider inside its own transaction, with the signed-in user's approvals service,
  and shows what comes back. A provider answers only for tenants that enabled its plugin, and shows only what the
  user may read. One that fails is logged and left out: the page renders without it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g

from engine.approvals.service import Approvals
from engine.declarations.model import EntitySpec
from engine.tenancy import plugin_registry

log = logging.getLogger("formwork.pages")
SLOTS = frozenset({"record_form.new", "record_list.filter"})
_parts: dict[str, list[tuple[str, str]]] = {}   # slot -> (plugin, template)


@dataclass(frozen=True)
class Mark:
    """A small label beside a Gantt row, its tone (`danger`, `warning`, `muted`) and a tooltip."""

    text: str
    tone: str
    tooltip: str


@dataclass(frozen=True)
class CardRow:
    text: str
    note: str = ""
    badge: str = ""           # a short label beside the row, in its tone (a badge class: danger, warning ...)
    tone: str = "neutral"
    url: str | None = None


@dataclass(frozen=True)
class Card:
    """A dashboard card: a title, a few rows, a line saying where the figures come from."""

    title: str
    rows: Sequence[CardRow] = field(default_factory=tuple)
    note: str = ""


TaskHints = Callable[[Approvals, Sequence[str]], Mapping[str, str]]
# (service, entity, record, the texts its page shows the user: text fields, table cells, decision comments)
RecordCards = Callable[[Approvals, EntitySpec, Mapping[str, Any], Sequence[str]], Sequence[Card]]
GanttMarks = Callable[[Approvals, str, Sequence[Mapping[str, Any]]], Mapping[str, Mark]]
DashboardCards = Callable[[Approvals, str | None], Sequence[Card]]
_GANTT: list[GanttMarks] = []
_DASHBOARD: list[DashboardCards] = []
_TASKS: list[TaskHints] = []
_RECORD: list[RecordCards] = []


def gantt_marks(provider: GanttMarks) -> GanttMarks:
    """Register `provider(service, plan_id, tasks) -> {task id: Mark}` for the plan Gantt page."""
    _GANTT.append(provider)
    return provider


def dashboard_cards(provider: DashboardCards) -> DashboardCards:
    """Register `provider(service, project_id or None) -> [Card]` for the dashboard."""
    _DASHBOARD.append(provider)
    return provider


def task_hints(provider: TaskHints) -> TaskHints:
    """Register `provider(service, task ids) -> {task id: text}`: a line under a task the administrator assigns."""
    _TASKS.append(provider)
    return provider


def record_cards(provider: RecordCards) -> RecordCards:
    """Register `provider(service, entity, record, shown texts) -> [Card]` for a record's page. It reads the texts
    the page shows, so it sees nothing the user may not."""
    _RECORD.append(provider)
    return provider


def record_cards_of(service: Approvals, entity: EntitySpec, record: Mapping[str, Any],
                    texts: Sequence[str]) -> list[Card]:
    cards: list[Card] = []
    for provider in _RECORD:
        try:
            cards.extend(provider(service, entity, record, texts))
        except Exception:  # a plugin's failure never breaks the page
            log.exception("record cards of %s failed", getattr(provider, "__module__", provider))
    return cards


def hints_of(service: Approvals, task_ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for provider in _TASKS if task_ids else []:
        try:
            found.update(provider(service, task_ids))
        except Exception:  # a plugin's failure never breaks the page
            log.exception("task hints of %s failed", getattr(provider, "__module__", provider))
    return found


def marks_of(service: Approvals, plan_id: str, tasks: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Every provider's marks of the plan's tasks, as the page's JSON holds them."""
    found: dict[str, dict[str, str]] = {}
    for provider in _GANTT:
        try:
            marks = provider(service, plan_id, tasks)
        except Exception:  # a plugin's failure never breaks the page
            log.exception("gantt marks of %s failed", getattr(provider, "__module__", provider))
            continue
        for task_id, mark in marks.items():
            found[task_id] = {"text": mark.text, "tone": mark.tone, "tooltip": mark.tooltip}
    return found


def cards_of(service: Approvals, project_id: str | None) -> list[Card]:
    cards: list[Card] = []
    for provider in _DASHBOARD:
        try:
            cards.extend(provider(service, project_id))
        except Exception:  # a plugin's failure never breaks the page
            log.exception("dashboard cards of %s failed", getattr(provider, "__module__", provider))
    return cards


def add_part(slot: str, template: str, *, plugin: str) -> None:
    """Show `template` in `slot` for tenants that enabled `plugin` (idempotent)."""
    if slot not in SLOTS:
        raise ValueError(f"unknown page slot {slot!r}; use one of {', '.join(sorted(SLOTS))}")
    if (plugin, template) not in _parts.setdefault(slot, []):
        _parts[slot].append((plugin, template))


def page_parts(slot: str) -> list[str]:
    """The templates of `slot` the signed-in user's tenant shows (its enabled plugins' parts); a template global."""
    parts = _parts.get(slot, [])
    signed_in = getattr(g, "signed_in", None)
    if not parts or signed_in is None:
        return []
    if "enabled_plugins" not in g:   # read once per request
        tenant = signed_in.actor.tenant_id
        # a reading session: the page renders inside its own transaction, which a second writer would wait on
        with current_app.extensions["formwork"].db.reading(tenant) as session:
            g.enabled_plugins = dict(plugin_registry.enabled_plugins(session, tenant))
    return [template for plugin, template in parts if plugin in g.enabled_plugins]
