"""What plugins add to end users' pages: a mark on a plan's Gantt rows, a card on the dashboard, a line under
a task the administrator assigns or a person of several may take, a card on a record's page.

A plugin registers a provider (`@gantt_marks`, `@dashboard_cards`, `@task_hints`, `@record_cards`) from its page
module; the page
calls every provider inside its own transaction, with the signed-in user's approvals service, and shows what comes back.
A provider answers only for tenants that enabled its plugin, and shows only what the user may read. One that
fails is logged and left out: the page renders without it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.approvals.service import Approvals
from engine.declarations.model import EntitySpec

log = logging.getLogger("formwork.pages")


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
