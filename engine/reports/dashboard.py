"""The dashboard's scope (one project the actor may read, one month) and its status counts.

Every figure goes through the actor's permissions: the projects to choose from are the project records they may
read (a project outside their row filter is not found, even by its id); the counts keep their row filters; a
figure filtered by a field they may not read is left out. The counts by status come from the kept record counts
(engine/storage/summaries.py) when the actor's row filters select by project alone, else from one GROUP BY.
"""
from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, func, select, union

from engine.declarations.model import Action, EntitySpec
from engine.errors import BadRequest, NotFound
from engine.records.service import Records
from engine.storage import summaries
from engine.storage.models import Record
from engine.storage.queries import RecordQuery
from engine.storage.row_filters import passing_ids, referenced_through

PROJECT = "base.project"
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MONTHS = 36   # how many months the period selector offers


@dataclass(frozen=True)
class Scope:
    """What the dashboard's figures are limited to: a project (None: every project the actor may read) and a month
    (None: every period)."""

    project: str | None = None
    period: str | None = None

    def now(self, today: date) -> datetime | None:
        """The clock of `today()` in a kpi: the month's last day, or None (the real clock) for this month."""
        if self.period is None or self.period == f"{today:%Y-%m}":
            return None
        year, month = int(self.period[:4]), int(self.period[5:])
        return datetime(year, month, monthrange(year, month)[1], 12, tzinfo=UTC)


def projects(records: Records) -> list[tuple[str, str]]:
    """(id, title) of the projects the actor may read, by code; empty when they may read none."""
    entity = records.entity_of(PROJECT)
    if entity is None or not records.access(entity).allows(Action.READ):
        return []
    page = records.find("base", "project", sort=entity.list_sort or "project_code", limit=500)
    title = entity.title_field or "project_name"
    return [(str(item["id"]), str(item["data"].get(title) or item["id"])) for item in page.items]


def scope_of(records: Records, project: str | None, period: str | None) -> Scope:
    """The scope a page asks for, checked: a project the actor may read, a month `YYYY-MM`."""
    project, period = (project or "").strip() or None, (period or "").strip() or None
    if period is not None and not PERIOD.match(period):
        raise BadRequest(f"period {period!r} is not a month such as 2025-06",
                         message_code="dash_bad_period", params={"period": period})
    if project is not None and project not in dict(projects(records)):
        raise NotFound(f"project {project!r} does not exist or you may not see it",
                       message_code="dash_project_not_found", params={"project": project})
    return Scope(project, period)


def months(today: date) -> list[str]:
    """The months the period selector offers, newest first."""
    year, month = today.year, today.month
    result = []
    for _ in range(MONTHS):
        result.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return result


def filter_of(records: Records, entity: EntitySpec, scope: Scope, *, months: int = 1) -> str | None:
    """The scope as a list filter over the entity (`project == '…' and period == '…'`; with `months`, the months
    up to the scope's), or None when the scope cannot apply to it: a project is chosen and the entity has no
    project the actor may read. A checked scope holds an id and a month, nothing to quote."""
    parts = []
    if scope.project is not None:
        if not _has(records, entity, "project"):
            return None
        parts.append(f"project == '{scope.project}'")
    if scope.period is not None and _has(records, entity, "period"):
        if months == 1:
            parts.append(f"period == '{scope.period}'")
        else:
            year, month = int(scope.period[:4]), int(scope.period[5:])
            first = year * 12 + month - 1 - months   # the month before the first one shown
            parts.append(f"period > '{first // 12:04d}-{first % 12 + 1:02d}' and period <= '{scope.period}'")
    return " and ".join(parts) or "true"


def _has(records: Records, entity: EntitySpec, name: str) -> bool:
    """Whether the entity has the scope field `name` (a project reference, a text period) the actor may read."""
    spec = entity.fields.get(name)
    wanted = spec is not None and (spec.target == PROJECT if name == "project" else spec.type == "text")
    return wanted and records.reader().may_read(entity, (name,))


def status_counts(records: Records, entity: EntitySpec, scope: Scope) -> dict[str, int] | None:
    """Live records by status in the scope that the actor may see; None when the scope cannot apply."""
    return status_counts_each(records, [entity], scope)[entity.key]


def status_counts_each(records: Records, entities: Sequence[EntitySpec], scope: Scope
                       ) -> dict[str, dict[str, int] | None]:
    """`status_counts` of several entities, by key: those the kept counts answer for the same projects and period
    in one query (a dashboard's dozens of cards in a few), the others in a GROUP BY each."""
    counts: dict[str, dict[str, int] | None] = {}
    kept: dict[tuple[int, str | None], tuple[Select[Any] | None, list[EntitySpec]]] = {}
    for entity in entities:
        records.access(entity).require(Action.READ)
        q = filter_of(records, entity, scope)
        if q is None:
            counts[entity.key] = None
            continue
        period = scope.period if scope.period is not None and _has(records, entity, "period") else None
        filters = records.access(entity).row_filters
        visible = None if filters is None else _visible_projects(records, entity, filters)
        if filters is None or visible is not None:   # the same select object for the same filter (passing_ids)
            kept.setdefault((id(visible), period), (visible, []))[1].append(entity)
            continue
        query = RecordQuery(records.session, entity, records.evaluation(entity), reader=records.reader())
        statement = (query.visible(query.base(), filters).where(query.filter_sql(q))
                     .with_only_columns(Record.status, func.count()).group_by(Record.status))
        counts[entity.key] = {str(status): int(count) for status, count in records.session.execute(statement)}
    for (_visible, period), (visible, group) in kept.items():
        found = summaries.by_status_each(records.session, [(e.module, e.name) for e in group], projects=visible,
                                         project=scope.project, period=period)
        counts.update({e.key: found.get((e.module, e.name), {}) for e in group})
    return counts


def _visible_projects(records: Records, entity: EntitySpec, filters: list[Any]) -> Select[Any] | None:
    """The ids of the projects whose rows the filters let the actor see, when each filter reads through the
    entity's project alone (`user.name in project.members.user`); None when one reads anything else."""
    evaluation = records.evaluation(entity)
    dialect = records.session.get_bind().dialect.name
    selects = []
    for formula in filters:
        if referenced_through(entity, evaluation, formula) != ("project", PROJECT):
            return None
        selects.append(passing_ids(records.session, dialect, evaluation, formula, "project", PROJECT))
    return selects[0] if len(selects) == 1 else select(union(*selects).subquery().c[0])
