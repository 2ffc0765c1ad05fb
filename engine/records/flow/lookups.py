"""Lookups and fills: the values a record takes at a save from other records and from its own refs.

A lookup finds the newest live target record whose `match` fields equal formulas over this record
(`null` wanting an empty field) and whose `where` holds (it may read this record as `this.<field>`),
in one SQL query; a list of lookups is tried in order until one yields a value. A lookup on a
`readonly` field is looked up again at every save while the author may edit the record and kept
from submission on; on another field it fills the field when left empty. A `fill` formula gives
an empty field its value. Both run in `fill_order`, each after the lookups and fills it reads.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, or_, true

from engine.declarations.model import NUMERIC_TYPES, EntitySpec, FieldSpec, Lookup
from engine.errors import FormulaRuntimeError
from engine.fields.values import InvalidValue, from_json, round_to
from engine.formula import Formula
from engine.records.flow.frozen import EDITABLE_STATUSES
from engine.records.unit_of_work import UnitOfWork, values_of
from engine.storage.models import Record
from engine.storage.queries import RecordQuery, first_of_each
from engine.storage.sql_memo import StatementMemo, memoized


def fill_fields(work: UnitOfWork, entity: EntitySpec, values: dict[str, Any], record_id: str | None) -> None:
    """Look up and fill the record's lookup and `fill` fields in place, in dependency order."""
    if not entity.fill_order:
        return
    copying = _copying(work, entity, record_id)
    evaluation = work.evaluation(entity)
    asked = _asked_together(work, entity, values, record_id, copying)
    for name in entity.fill_order:
        spec = entity.fields[name]
        if spec.lookup is not None and _due(spec, values, copying):
            values[name] = asked[name] if name in asked else looked_up(work, entity, spec, spec.lookup, values,
                                                                       record_id)
        if spec.fill is not None and _is_empty(values.get(name)):
            try:
                filled = evaluation.run(spec.fill, values)
                if spec.type in NUMERIC_TYPES and isinstance(filled, Decimal):
                    filled = round_to(spec, filled)
            except (FormulaRuntimeError, InvalidValue):
                continue  # left empty: a required field says so, as if the user had left it out
            values[name] = filled


def looked_up(work: UnitOfWork, entity: EntitySpec, spec: FieldSpec, lookup: Lookup, values: Mapping[str, Any],
              record_id: str | None = None) -> Any:
    """The value of the first lookup of the chain that yields one (never `record_id` itself), or None.

    A chain over one target, value and effective field is one query (each lookup a branch, the first
    branch that matches wins); other chains run a query per lookup until one finds a value.
    """
    kept = work.kept
    if kept is not None and all(c.target != entity.key for c in lookup.chain):  # an import writes none of them
        key = (entity.key, spec.name, record_id, *((name, repr(values.get(name))) for name in sorted(lookup.reads)))
        if key not in kept:
            kept[key] = _looked_up(work, entity, lookup, values, record_id)
        return kept[key]
    return _looked_up(work, entity, lookup, values, record_id)


def _looked_up(work: UnitOfWork, entity: EntitySpec, lookup: Lookup, values: Mapping[str, Any],
               record_id: str | None) -> Any:
    chain = lookup.chain
    if _one_query(chain):
        return _query(work, entity, chain, values, record_id)
    for candidate in chain:
        found = _query(work, entity, (candidate,), values, record_id)
        if not _is_empty(found):
            return found
    return None


Wanted = tuple[tuple[tuple[str, Any], ...], Any]   # a lookup's (target field, value) pairs and its moment
# lookup statements kept per process (one per chain, branches that apply, their compiled `where`s and value types)
_STATEMENTS: StatementMemo[Select[Any]] = StatementMemo(512)


def _due(spec: FieldSpec, values: Mapping[str, Any], copying: Callable[[], bool]) -> bool:
    """Whether a lookup field is looked up at this save: a `readonly` one while copying, another when empty."""
    return copying() if spec.readonly else _is_empty(values.get(spec.name))


def _one_query(chain: tuple[Lookup, ...]) -> bool:
    """Whether a chain is asked in one query: one target, value and effective field."""
    first = chain[0]
    return all(c.target == first.target and c.value == first.value and c.effective_field == first.effective_field
               for c in chain)


def _asked_together(work: UnitOfWork, entity: EntitySpec, values: Mapping[str, Any], record_id: str | None,
                    copying: Callable[[], bool]) -> dict[str, Any]:
    """The values of the lookups due at this save that read no field this save fills (so none waits for another),
    found in one query when there are several (each asked in one query: `_one_query`); the others are asked in
    their turn. An import asks each in turn, keeping the answers for rows that ask the same (`looked_up`)."""
    if work.kept is not None:
        return {}
    fields = entity.fields
    lookups = [(name, lookup) for name in entity.fill_order
               if (lookup := fields[name].lookup) is not None and _due(fields[name], values, copying)]
    filled = {name for name, _lookup in lookups} | {
        name for name in entity.fill_order if fields[name].fill is not None and _is_empty(values.get(name))}
    due = [(name, lookup.chain) for name, lookup in lookups if _one_query(lookup.chain) and not lookup.reads & filled]
    if len(due) < 2:
        return {}
    answers: dict[str, Any] = {name: None for name, _chain in due}  # a lookup that wants nothing finds nothing
    asks = [(name, chain[0], *ask) for index, (name, chain) in enumerate(due)
            if (ask := _ask(work, entity, chain, values, record_id, f"l{index}_")) is not None]
    params = {k: v for _name, _first, _statement, ask_params, _target in asks for k, v in ask_params.items()}
    rows = first_of_each(work.session, [statement for _name, _first, statement, _params, _target in asks], params)
    for (name, first, _statement, _params, target), row in zip(asks, rows, strict=True):
        answers[name] = _value_of(work, target, first, row)
    return answers


def _query(work: UnitOfWork, entity: EntitySpec, chain: tuple[Lookup, ...], values: Mapping[str, Any],
           record_id: str | None) -> Any:
    """The newest target record matching the first branch that matches any, with a value; one query."""
    ask = _ask(work, entity, chain, values, record_id, "")
    if ask is None:
        return None
    statement, params, target = ask
    return _value_of(work, target, chain[0], work.session.scalars(statement, params).first())


def _value_of(work: UnitOfWork, target: EntitySpec, first: Lookup, row: Record | None) -> Any:
    if row is None:
        return None
    work.remember(row)  # a reference to it, filled in from here, is not read again
    spec = target.fields.get(first.value)  # a field's value converted alone; a system field's as values_of gives it
    return from_json(spec, row.data.get(first.value)) if spec is not None else values_of(target, row).get(first.value)


def _ask(work: UnitOfWork, entity: EntitySpec, chain: tuple[Lookup, ...], values: Mapping[str, Any],
         record_id: str | None, prefix: str) -> tuple[Select[Any], dict[str, Any], EntitySpec] | None:
    """A chain's query, its parameters (named after `prefix`) and its target; None when it wants nothing. The
    statement is built once for the branches that apply, the types of their values and their `where`s as compiled
    (once per process, unless one reads through this record's references or the clock: then built anew, and so is
    the statement), the values bound to it."""
    first = chain[0]
    target = work.entity_of(first.target)
    if target is None or target.environment is None:
        return None
    query = RecordQuery(work.session, target, work.evaluation(target))
    branches = [(index, lookup, found) for index, lookup in enumerate(chain)
                if (found := _wanted(work, entity, lookup, values)) is not None]
    if not branches:
        return None
    fields = target.environment.fields
    named = [(f"{prefix}b{index}_{n}", value, fields[name].type) for index, lookup, (matched, moment) in branches
             for n, (name, value) in enumerate((*matched, *_effective(lookup, moment)))]
    params: dict[str, Any] = {name: query.columns.bound(value, ftype) for name, value, ftype in named}
    excluded = record_id is not None and target.key == entity.key
    if excluded:
        params[f"{prefix}excluded_id"] = record_id
    lookups = tuple(lookup for _index, lookup, _found in branches)
    wheres = tuple(None if lookup.where is None else _where_sql(work, entity, query, lookup.where, values)
                   for lookup in lookups)
    key = (query.columns.dialect, target.key, first.value in target.fields, excluded, tuple(map(id, lookups)),
           tuple(map(id, wheres)), tuple((ftype.kind, type(value)) for _name, value, ftype in named), prefix)
    statement = _STATEMENTS.get(key, (*lookups, *wheres),
                                lambda: _statement(query, branches, wheres, excluded, prefix))
    return statement, params, target


def _statement(query: RecordQuery, branches: list[tuple[int, Lookup, Wanted]],
               wheres: tuple[ColumnElement[Any] | None, ...], excluded: bool, prefix: str) -> Select[Any]:
    """The lookup's query with its values as bound parameters (named as `_ask` binds them), each branch's
    `where` as compiled (`wheres`, in the order of `branches`)."""
    first, target = branches[0][1], query.entity
    assert target.environment is not None
    fields, columns = target.environment.fields, query.columns
    conditions = []
    for (index, lookup, (matched, moment)), where in zip(branches, wheres, strict=True):
        parts: list[ColumnElement[bool]] = []
        for n, (name, value) in enumerate(matched):
            parts.append(columns.field(name, fields[name].type)
                         == columns.parameter(f"{prefix}b{index}_{n}", value, fields[name].type))
        parts += [columns.json_text(name).is_(None) for name in lookup.empty]
        if where is not None:
            parts.append(where)
        if moment is not None:
            assert lookup.effective_field is not None
            ftype = fields[lookup.effective_field].type
            parts.append(columns.field(lookup.effective_field, ftype)
                         <= columns.parameter(f"{prefix}b{index}_{len(matched)}", moment, ftype))
        conditions.append((and_(true(), *parts), moment))
    statement = query.base()
    if first.value in target.fields:  # a record without the value is passed over (`id` and the like always have one)
        statement = statement.where(columns.json_text(first.value).is_not(None))
    if excluded:
        statement = statement.where(Record.id != bindparam(f"{prefix}excluded_id"))  # a record never finds itself
    if len(conditions) == 1:
        statement = statement.where(conditions[0][0])
    else:
        statement = statement.where(or_(*(condition for condition, _moment in conditions))).order_by(
            case(*((condition, index) for index, (condition, _moment) in enumerate(conditions))))
    if first.effective_field is not None and all(moment is not None for _condition, moment in conditions):
        statement = statement.order_by(columns.field(first.effective_field,
                                                     fields[first.effective_field].type).desc())
    return statement.order_by(Record.created_at.desc()).limit(1)


def _effective(lookup: Lookup, moment: Any) -> tuple[tuple[str, Any], ...]:
    """The effective date's (target field, value), bound after the match values; none without one."""
    return ((lookup.effective_field, moment),) if lookup.effective_field and moment is not None else ()


def _wanted(work: UnitOfWork, entity: EntitySpec, lookup: Lookup, values: Mapping[str, Any]) -> Wanted | None:
    """The values one lookup of the chain wants (and its effective date), or None when it finds nothing."""
    evaluation = work.evaluation(entity)
    matched = []
    for field, formula in lookup.match:
        wanted = evaluation.run(formula, values)
        if wanted is None:
            return None  # a field this record leaves empty finds nothing (`field: "null"` wants an empty one)
        matched.append((field, wanted))
    moment = None
    if lookup.effective_field and lookup.effective_on is not None:
        moment = evaluation.run(lookup.effective_on, values)
        if moment is None:
            return None
    return tuple(matched), moment


def _where_sql(work: UnitOfWork, entity: EntitySpec, query: RecordQuery, where: Formula,
               values: Mapping[str, Any]) -> ColumnElement[Any]:
    """A lookup's `where` in SQL: `this.` values bound like parameters, so compiled once per process for the values
    it reads (storage/sql_memo.py), unless it reads through one of this record's references."""
    evaluation = query.evaluation

    def build() -> ColumnElement[Any]:
        return where.to_sql(query.columns, params=evaluation.params, user_name=evaluation.user_name,
                            user_roles=evaluation.user_roles, now=work.now, this=values, load_ref=work.load_ref)

    read = sorted(where.this_dependencies)
    if any(name in entity.fields and entity.fields[name].type in ("ref", "table") for name in read):
        return build()  # what a reference of this record leads to may have changed since
    this = {f"this.{name}": values.get(name) for name in read}
    return memoized(where, query.columns.dialect, {**evaluation.params, **this}, evaluation.user_name,
                    evaluation.user_roles, build)


def _copying(work: UnitOfWork, entity: EntitySpec, record_id: str | None) -> Callable[[], bool]:
    """Whether `readonly` lookups are copied at this save: a new record, or one its author may edit (read once)."""
    known: list[bool] = []

    def copying() -> bool:
        if not known:
            row = work.find_row(entity, record_id) if record_id is not None else None
            known.append(row is None or row.status in EDITABLE_STATUSES)  # copied again; kept once submitted
        return known[0]

    return copying


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []
