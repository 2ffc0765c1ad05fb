"""The dashboard: key indicators and charts, my modules, my open tasks, record counts by status."""
from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.wrappers import Response

from engine.declarations.model import EntitySpec
from engine.records.service import Records
from web.pages.blueprint import pages
from web.pages.reporting.figures import charts_of, figures_of
from web.pages.tasks import inbox_groups
from web.ui.display import Formatter, end_event_names, status_tone
from web.ui.layout import Chrome, navigation, render
from web.ui.services import approvals, quoted

TOP_TASKS = 10
IN_PROCESS = ("draft", "in_review", "returned", "withdrawn")


@dataclass
class Kpi:
    title: str
    url: str
    total: int
    by_status: list[tuple[str, str, int]] = field(default_factory=list)   # status, label, count


def kpi_of(records: Records, entity: EntitySpec, url: str) -> Kpi:
    """Counts in SQL through the user's own list query: their row filters apply."""
    total = records.find(entity.module, entity.name, limit=1).total
    kpi = Kpi(entity.title.get(records.language), url, total)
    if entity.workflow is None or not total:
        return kpi
    ends = end_event_names(entity)
    fmt = Formatter(records.language, statuses=ends)
    for status in dict.fromkeys([*IN_PROCESS, *ends]):
        count = records.find(entity.module, entity.name, q=f"status == {quoted(status)}", limit=1).total
        if count:
            kpi.by_status.append((status, fmt.status(status), count))
    return kpi


@pages.get("/")
def dashboard() -> Response:
    with approvals() as service:
        records = service.records
        inbox = service.inbox()
        modules = navigation(records)
        kpis = []  # per module: its title and one card per entity
        for module in modules:
            cards = []
            for entry in module.entities:
                module_name, _, entity_name = entry.key.partition(".")
                cards.append(kpi_of(records, records.entity(module_name, entity_name), entry.url))
            kpis.append((module.title, cards))
        return render(service, "pages/dashboard.html", chrome=Chrome(modules, len(inbox)), modules=modules,
                      kpis=kpis, figures=figures_of(records), charts=charts_of(records),
                      groups=inbox_groups(records, inbox[:TOP_TASKS]), task_count=len(inbox),
                      status_tone=status_tone)
