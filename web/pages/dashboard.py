"""The dashboard: key indicators and charts, my modules, my open tasks, record counts by status — for one
project the user may see (or all of them) and one month (or every period): ?project=&period=."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote, urlencode

from flask import request
from werkzeug.wrappers import Response

from engine.declarations.model import EntitySpec
from engine.records.service import Records
from engine.reports.dashboard import PROJECT, Scope, filter_of, months, projects, scope_of, status_counts_each
from web.pages.blueprint import pages
from web.pages.reporting.figures import charts_of, figures_of
from web.pages.tasks import inbox_groups
from web.ui.display import Formatter, end_event_names, status_tone
from web.ui.i18n import t
from web.ui.layout import Chrome, navigation, render
from web.ui.page_extensions import cards_of
from web.ui.services import approvals, titles_of

TOP_TASKS = 10
ALL = "all"   # ?period=all: every period
IN_PROCESS = ("draft", "in_review", "returned", "withdrawn")


@dataclass
class Kpi:
    title: str
    url: str
    total: int
    by_status: list[tuple[str, str, int]] = field(default_factory=list)   # status, label, count


def kpi_of(records: Records, entity: EntitySpec, url: str, scope: Scope, counts: dict[str, int] | None
           ) -> Kpi | None:
    """The card of the entity's `counts` by status (engine/reports/dashboard.status_counts_each: the records the
    user may see in the scope); None when the scope cannot apply to the entity (it has no project, a project is
    chosen)."""
    if counts is None:
        return None
    q = filter_of(records, entity, scope)
    kpi = Kpi(entity.title.get(records.language), url + (_conditions(records, scope, q) if q and q != "true" else ""),
              sum(counts.values()))
    if entity.workflow is None or not kpi.total:
        return kpi
    ends = end_event_names(entity)
    fmt = Formatter(records.language, statuses=ends)
    for status in dict.fromkeys([*IN_PROCESS, *ends]):
        if counts.get(status):
            kpi.by_status.append((status, fmt.status(status), counts[status]))
    return kpi


def _conditions(records: Records, scope: Scope, q: str) -> str:
    """The scope as the list's filter rows (项目 = 城南安置房一期, 月份 = 2026-12), which the list shows by their
    labels, rather than as a formula of field keys and ids."""
    rows: list[tuple[str, str]] = []
    if scope.project is not None and "project ==" in q:
        title = titles_of(records, PROJECT, [scope.project])[scope.project]
        rows.append(("project", scope.project if title == t("value.no_access") else title))
    if scope.period is not None and "period ==" in q:
        rows.append(("period", scope.period))
    if "period >" in q or len(rows) != q.count(" == "):   # a range of months: only a formula says it
        return f"?q={quote(q)}"
    return "?" + urlencode([pair for name, value in rows for pair in (("f", name), ("op", "eq"), ("v", value))])


def scope_from(records: Records) -> Scope:
    """The page's ?project= and ?period= (this month when absent, every period when `all`), checked."""
    period = request.args.get("period", f"{date.today():%Y-%m}")
    return scope_of(records, request.args.get("project"), None if period == ALL else period)


@pages.get("/")
def dashboard() -> Response:
    with approvals() as service:
        records = service.records
        scope = scope_from(records)
        inbox = service.inbox()
        modules = navigation(records)
        entities = {entry.key: records.entity(*entry.key.split(".", 1)) for module in modules
                    for entry in module.entities}
        counts = status_counts_each(records, list(entities.values()), scope)
        kpis = []  # per module: its title and one card per entity
        for module in modules:
            cards = []
            for entry in module.entities:
                entity = entities[entry.key]
                card = kpi_of(records, entity, entry.url, scope, counts[entity.key])
                if card is not None:
                    cards.append(card)
            if cards:
                kpis.append((module.title, cards))
        return render(service, "pages/dashboard.html", chrome=Chrome(modules, len(inbox)), modules=modules,
                      kpis=kpis, figures=figures_of(records, scope), charts=charts_of(records, scope),
                      groups=inbox_groups(records, inbox[:TOP_TASKS]), task_count=len(inbox),
                      status_tone=status_tone, projects=projects(records), periods=months(date.today()),
                      scope=scope, all_periods=ALL, plugin_cards=cards_of(service, scope.project))
