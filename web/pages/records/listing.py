"""The list page of an entity: declared columns, sorting, the filter builder, paging, page totals."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import current_app, jsonify, request, url_for
from werkzeug.wrappers import Response

from engine.declarations.model import NUMERIC_TYPES, SYSTEM_FIELDS, Action, EntitySpec
from engine.errors import BadRequest, FormulaError
from engine.records.service import Page, Records
from web.pages.blueprint import pages
from web.pages.records import saved_views
from web.pages.records.approval_parts import waiting_names
from web.pages.records.cards import cards_of
from web.pages.records.filters import (
    OPERATORS,
    BadCondition,
    Condition,
    FilterField,
    combined,
    conditions_from,
    filter_fields,
    formula_of,
)
from web.ui.display import Formatter, as_decimal, format_number, label_of, status_tone, type_of
from web.ui.error_text import engine_error_text
from web.ui.i18n import t
from web.ui.layout import render
from web.ui.services import approvals, formatter, quoted, readable_title, record_title, target_of, users

PER_PAGE = 25
DEFAULT_COLUMNS = 6
UNSORTABLE = frozenset({"table", "multi_enum", "attachment"})


@dataclass
class Column:
    name: str
    label: str
    kind: str
    sortable: bool
    sort_url: str = ""
    sorted: str = ""              # "ascending" / "descending" / ""

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_TYPES


@dataclass
class Cell:
    text: str
    kind: str
    tone: str = ""
    url: str = ""


@dataclass
class Row:
    id: str
    url: str
    cells: list[Cell] = field(default_factory=list)


def columns_of(entity: EntitySpec, hidden: frozenset[str]) -> list[str]:
    """The declared list columns, else the first fields (tables and hidden fields left out)."""
    def shown(name: str) -> bool:
        spec = entity.fields.get(name)
        return (spec is None and name in SYSTEM_FIELDS) or (spec is not None and not spec.hidden
                                                              and name not in hidden)
    declared = [c for c in entity.list_columns if shown(c)]
    if declared:
        return declared
    first = [n for n, s in entity.fields.items() if shown(n) and s.type != "table"][:DEFAULT_COLUMNS]
    return [*first, "status"] if entity.workflow is not None else first


def query_url(**changes: Any) -> str:
    """This page's URL with some query parameters changed (None removes one). The query is encoded apart from
    the path: a parameter named like a path part or a `url_for` option (`module`, `_external`) stays a parameter."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    path = url_for(request.endpoint or "pages.dashboard", **(request.view_args or {}))
    return f"{path}?{urlencode(args, doseq=True)}" if args else path


def _sort_state(sort: str | None, name: str) -> str:
    first = (sort or "").split(",")[0].strip()
    if first.lstrip("+-") != name:
        return ""
    return "descending" if first.startswith("-") else "ascending"


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


@dataclass
class ListQuery:
    """What a list shows, from its query string: one place for the page, its exports and saved views."""

    q: str | None
    sort: str | None
    columns: list[str]
    fields: list[FilterField]
    conditions: list[Condition]
    free: str
    problems: list[str]


def list_query(records: Records, spec: EntitySpec, args: Any) -> ListQuery:
    """Filter (builder conditions, formula box, standing filter), sort and columns (`cols`) of a list."""
    access = records.access(spec)
    hidden = access.hidden_fields
    people = users(records.session)
    statuses = _statuses(spec, records.language)
    fields = filter_fields(spec, access.unreadable_fields, records.language,
                           [(u, f"{d} ({u})") for u, d, _ in people], statuses)
    by_name = {f.name: f for f in fields}
    problems: list[str] = []
    parts: list[str] = []
    conditions = conditions_from(args)
    ref_titles = _ref_title_fields(records, spec)
    for condition in conditions:
        try:
            parts.append(formula_of(condition, by_name, spec, records.language, ref_titles))
        except BadCondition as error:
            problems.append(str(error))
    free = args.get("q", "").strip()
    q = combined([*parts, free, spec.list_filter.text if spec.list_filter else ""])
    sort = args.get("sort") or spec.list_sort
    cols = ",".join(args.getlist("cols"))
    return ListQuery(q, sort, chosen_columns(spec, hidden, cols), fields, conditions, free, problems)


def column_choices(entity: EntitySpec, hidden: frozenset[str]) -> list[str]:
    """Columns a user may pick for the list: the default ones, then other fields, then system columns."""
    names = columns_of(entity, hidden)
    names += [n for n, s in entity.fields.items() if not s.hidden and n not in hidden and s.type != "table"]
    names += [n for n in SYSTEM_FIELDS if n != "version"]
    return list(dict.fromkeys(names))


def chosen_columns(entity: EntitySpec, hidden: frozenset[str], cols: str) -> list[str]:
    """The columns asked for in `cols` (comma-separated) that the user may see, else the default ones."""
    allowed = set(column_choices(entity, hidden))
    wanted = [c.strip() for c in cols.split(",") if c.strip() in allowed]
    return list(dict.fromkeys(wanted)) or columns_of(entity, hidden)


@pages.get("/m/<module>/<entity>")
def record_list(module: str, entity: str) -> Response:
    args = request.args
    with approvals() as service:
        records = service.records
        spec = records.entity(module, entity)
        access = records.access(spec)
        access.require(Action.READ)
        query = list_query(records, spec, args)
        problems, q, sort = query.problems, query.q, query.sort
        number = _page_number(args.get("page"))
        status = 200
        try:
            page = records.find(module, entity, q=q, sort=sort, limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
        except (FormulaError, BadRequest) as error:
            problems.append(t("list.bad_filter", message=engine_error_text(error)))
            page, status = Page([], 0), 400
        names = query.columns
        fmt = formatter(records, spec, [item["data"] for item in page.items])
        masked = access.masked_fields  # shown masked: neither sorted nor filtered on
        columns = [_column(spec, name, records.language, sort, name not in masked) for name in names]
        rows = [_row(spec, module, entity, item, names, fmt) for item in page.items]
        if spec.workflow is not None:  # 待审批人: with whom each record's approval waits
            waits = waiting_names(records, spec, [item["id"] for item in page.items], fmt)
            columns.append(Column("_waiting", t("list.waiting_on"), "text", False))
            for row in rows:
                row.cells.append(Cell(waits.get(row.id, ""), "text"))
        cards = cards_of(spec, rows, page.items, access.hidden_fields, records.language,
                         lambda item, card_names: _row(spec, module, entity, item, card_names, fmt))
        return render(
            service, "pages/list.html", cards=cards, active_filters=len(query.conditions) + bool(query.free),
            code=status, module=records.modules[module], entity=spec,
            title=spec.title.get(records.language), columns=columns, rows=rows,
            totals=_totals(spec, names, page), total=page.total, page_number=number,
            first=(number - 1) * PER_PAGE + 1 if page.total else 0,
            last=min(number * PER_PAGE, page.total),
            previous_url=query_url(page=number - 1) if number > 1 else "",
            next_url=query_url(page=number + 1) if number * PER_PAGE < page.total else "",
            can_create=access.allows(Action.CREATE), filter_fields=query.fields, operators=OPERATORS,
            conditions=query.conditions, free_formula=query.free, active_formula=q or "", problems=problems,
            standing_filter=spec.list_filter.text if spec.list_filter else "",
            builder_fields=_builder_json(query.fields, records.language),
            can_export=access.allows(Action.EXPORT) and "pages.export_list" in current_app.view_functions,
            can_import=access.allows(Action.CREATE) and "pages.import_upload" in current_app.view_functions,
            list_args=list_args(args),
            saved_views=saved_views.of_user(records, spec),
            column_choices=[(n, label_of(spec, n, records.language), n in names)
                            for n in column_choices(spec, access.hidden_fields)],
        )


def list_args(args: Any) -> str:
    """The list's query string without the page number: what exports and saved views keep."""
    kept = [(key, value) for key, values in args.lists() if key != "page" for value in values]
    return urlencode(kept)


def _statuses(entity: EntitySpec, language: str) -> list[tuple[str, str]]:
    fmt = Formatter(language, statuses=dict(_end_events(entity)))
    keys = ["draft", "in_review", "returned", "withdrawn", *(k for k, _ in _end_events(entity))]
    return [(key, fmt.status(key)) for key in dict.fromkeys(keys)]


def _end_events(entity: EntitySpec) -> list[tuple[str, str]]:
    if entity.workflow is None or entity.workflow.spec is None:
        return []
    return list(entity.workflow.spec.end_events.items())


def _ref_title_fields(records: Records, entity: EntitySpec) -> dict[str, str | None]:
    """Per ref field, the text title field of its target (for conditions on what people see), when the user
    may read it through the reference (else the condition matches the id)."""
    result: dict[str, str | None] = {}
    reader = records.reader()
    for name, spec in entity.fields.items():
        if spec.type != "ref":
            continue
        target = target_of(records, spec.target)
        title = target.title_field if target is not None else None
        is_text = target is not None and title is not None and title in target.fields \
            and target.fields[title].type == "text" and reader.may_read(entity, (name, title))
        result[name] = title if is_text else None
    return result


def _builder_json(fields: list[FilterField], language: str) -> dict[str, Any]:
    return {"fields": {f.name: {"family": f.family, "options": f.options} for f in fields},
            "operators": {family: [(op, t(f"op.{op}")) for op in ops] for family, ops in OPERATORS.items()}}


def _column(entity: EntitySpec, name: str, language: str, sort: str | None, is_readable: bool = True) -> Column:
    kind = type_of(entity, name)
    spec = entity.fields.get(name)
    sortable = is_readable and kind not in UNSORTABLE and not (spec is not None and spec.multiple)
    column = Column(name, label_of(entity, name, language), kind, sortable)
    if sortable:
        column.sorted = _sort_state(sort, name)
        column.sort_url = query_url(sort=f"-{name}" if column.sorted == "ascending" else name, page=None)
    return column


def _row(entity: EntitySpec, module: str, entity_name: str, item: dict[str, Any], names: list[str],
         fmt: Formatter) -> Row:
    url = url_for("pages.record_view", module=module, entity=entity_name, record_id=item["id"])
    row = Row(item["id"], url)
    for position, name in enumerate(names):
        value = item["data"].get(name) if name in entity.fields else item.get(name)
        kind = type_of(entity, name)
        text = fmt.value(entity.fields.get(name), value, name)
        cell = Cell(text, kind, tone=status_tone(value) if kind == "status" else "")
        if name == entity.title_field or (position == 0 and entity.title_field not in names):
            cell.url = url
            cell.text = cell.text or record_title(entity, item)
        row.cells.append(cell)
    return row


def _totals(entity: EntitySpec, names: list[str], page: Page) -> dict[str, str] | None:
    """Sums of the money columns over this page's rows (not over every matching record)."""
    money = [n for n in names if type_of(entity, n) == "money"]
    if not money or not page.items:
        return None
    totals: dict[str, str] = {}
    for name in money:
        amount = sum((as_decimal(item["data"].get(name)) or Decimal(0) for item in page.items), Decimal(0))
        totals[name] = format_number(entity.fields.get(name), amount)
    return totals


@pages.get("/m/<module>/<entity>/options")
def record_options(module: str, entity: str) -> Response:
    """Records of an entity for a ref input: id and title, matching what was typed."""
    text = request.args.get("q", "").strip()
    with approvals() as service:
        records = service.records
        spec = records.entity(module, entity)
        title = readable_title(records, spec)
        q = None
        if text and title and spec.fields[title].type == "text":
            q = f"contains(lower({title}), {quoted(text.lower())})"
        page = records.find(module, entity, q=q, sort=title, limit=50)
        return jsonify({"items": [{"id": item["id"], "title": record_title(spec, item)} for item in page.items],
                        "total": page.total})
