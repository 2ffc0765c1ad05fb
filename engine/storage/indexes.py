"""Expression indexes over JSON fields declared `indexed` or `unique`, per module entity."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import Dialect

from engine.declarations.model import EntitySpec, ModuleSpec
from engine.formula import Formula
from engine.storage.queries import RecordColumns

PREFIX = "fw_"
SCOPE = ("project", "period")   # the fields of the scope index (`scope_indexes`)


def json_text(dialect: str, field: str) -> str:
    """SQL text of a record field as text; the same expression the query layer uses, so indexes apply."""
    if dialect == "postgresql":
        return f"(data ->> '{field}')"
    return f"json_extract(data, '$.{field}')"


@dataclass(frozen=True)
class PlannedIndex:
    """One expression index an entity declares: a field (`indexed` / `unique`) or a composite unique key."""

    key: str                  # catalog-wide name part: the field, or the key's fields joined by '__'
    what: str                 # for people: `entity.field (unique)`
    columns: tuple[str, ...]
    unique: bool
    when: Formula | None = None
    by_age: bool = False      # records' age (created_at, id) after the fields: the oldest match without a sort


def planned_indexes(entity: EntitySpec) -> list[PlannedIndex]:
    """The declared ones (fields `indexed` or `unique`, unique keys) and the scope index a project's month needs."""
    planned = [PlannedIndex(field.name, f"{entity.name}.{field.name}{' (unique)' if field.unique else ''}",
                            (field.name,), field.unique)
               for field in entity.fields.values() if field.indexed or field.unique]
    planned += [PlannedIndex("__".join(key.fields), f"{entity.name}.({', '.join(key.fields)}) (unique"
                             + (f" where {key.when.text})" if key.when is not None else ")"),
                             key.fields, True, key.when)
                for key in entity.unique]
    # A declared conflict is checked on every save by its match fields: the index makes that a probe, not a scan
    # of the entity's history (a crew's tickets over years).
    planned += [PlannedIndex("__".join(check.match), f"{entity.name}.({', '.join(check.match)}) (conflict)",
                             check.match, False, by_age=True)
                for check in entity.conflicts if check.match]
    planned += scope_indexes(entity)
    distinct = list({(plan.columns, plan.unique, plan.when): plan for plan in planned}.values())
    return [plan for plan in distinct if not _covered(plan, distinct)]


def _covered(plan: PlannedIndex, planned: list[PlannedIndex]) -> bool:
    """Whether a plain index is the leading columns of a longer one over all live rows: that one answers the same
    lookups and sorts, and every write of the entity would otherwise update both."""
    width = len(plan.columns)
    return not plan.unique and plan.when is None and any(
        other.when is None and len(other.columns) > width and other.columns[:width] == plan.columns
        for other in planned)


def scope_indexes(entity: EntitySpec) -> list[PlannedIndex]:
    """(project, period) of an entity that has both: the list of one project's month, the dashboard's project
    switcher and period selector, a report of one month for a project role (its row filter is a set of projects)."""
    fields = entity.fields
    if not all(name in fields and fields[name].indexed for name in SCOPE):
        return []
    return [PlannedIndex("__".join(SCOPE), f"{entity.name}.({', '.join(SCOPE)})", SCOPE, False)]


def _statement(name: str, plan: PlannedIndex, dialect: str, scope: str) -> str:
    columns = ", ".join([json_text(dialect, column) for column in plan.columns]
                        + (["created_at", "id"] if plan.by_age else []))
    condition = f" AND ({condition_sql(plan.when, dialect)})" if plan.when is not None else ""
    return (f"CREATE {'UNIQUE ' if plan.unique else ''}INDEX IF NOT EXISTS {name} ON records (tenant_id, {columns}) "
            f"WHERE {scope} AND deleted_at IS NULL{condition}")


def condition_sql(formula: Formula, dialect: str) -> str:
    """A formula over the record's own fields as literal SQL for an index condition (no bound parameters)."""
    expression = formula.to_sql(RecordColumns(dialect))
    compiled = expression.compile(dialect=_dialect(dialect), compile_kwargs={"literal_binds": True})
    return str(compiled).replace("records.", "")


def _dialect(name: str) -> Dialect:
    return PGDialect() if name == "postgresql" else SQLiteDialect()  # type: ignore[no-untyped-call]


def desired_indexes(spec: ModuleSpec, dialect: str) -> dict[str, str]:
    """Index name -> CREATE statement for every indexed or unique field and unique key of the module."""
    statements = {}
    for entity in spec.entities.values():
        for plan in planned_indexes(entity):
            name = _index_name(spec.name, entity.name, plan.key, plan.unique)
            statements[name] = _statement(name, plan, dialect,
                                          f"module = '{spec.name}' AND entity = '{entity.name}'")
    return statements


def unique_key_of(entity: EntitySpec, database_message: str) -> tuple[str, ...]:
    """The fields of the unique index a database error names (empty when it names none of the entity's)."""
    for plan in planned_indexes(entity):
        if plan.unique and _index_name(entity.module, entity.name, plan.key, True) in database_message:
            return plan.columns
    return ()


def create_indexes(connection: Connection, spec: ModuleSpec) -> None:
    """Create the module's indexes that are missing (drop none): an installed version meets a newer engine."""
    for statement in desired_indexes(spec, connection.dialect.name).values():
        connection.execute(text(statement))


def sync_indexes(connection: Connection, spec: ModuleSpec) -> None:
    """Create the module's indexes and drop the ones its current version no longer declares."""
    dialect = connection.dialect.name
    wanted = desired_indexes(spec, dialect)
    prefix = f"{PREFIX}{spec.name}__"
    for name in index_names(connection):
        if name.startswith(prefix) and name not in wanted:
            connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
    for statement in wanted.values():
        connection.execute(text(statement))


def desired_tenant_indexes(tenant_id: str, spec: ModuleSpec, base: ModuleSpec,
                           dialect: str) -> dict[str, tuple[str, str]]:
    """Index name -> (what it indexes, CREATE statement) for what a tenant's version adds to `base`.

    Partial on the tenant, so another tenant's version of the module never meets it, and named
    apart from the catalog's indexes, so installing a module never drops it.
    """
    shared = desired_indexes(base, dialect)
    result = {}
    for entity in spec.entities.values():
        for plan in planned_indexes(entity):
            if _index_name(spec.name, entity.name, plan.key, plan.unique) in shared:
                continue
            name = tenant_index_prefix(tenant_id, spec.name) + hashlib.sha1(plan.what.encode()).hexdigest()[:12]
            scope = f"tenant_id = '{tenant_id}' AND module = '{spec.name}' AND entity = '{entity.name}'"
            result[name] = (plan.what, _statement(name, plan, dialect, scope))
    return result


def tenant_index_prefix(tenant_id: str, module: str) -> str:
    return f"{PREFIX}t{hashlib.sha1(f'{tenant_id}/{module}'.encode()).hexdigest()[:10]}_"


def tenant_index_changes(connection: Connection, tenant_id: str, spec: ModuleSpec,
                         base: ModuleSpec) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """(indexes to create, names to drop) to bring a tenant's indexes of a module to `spec`."""
    wanted = desired_tenant_indexes(tenant_id, spec, base, connection.dialect.name)
    prefix = tenant_index_prefix(tenant_id, spec.name)
    existing = [name for name in index_names(connection) if name.startswith(prefix)]
    return {name: wanted[name] for name in wanted if name not in existing}, [n for n in existing if n not in wanted]


def sync_tenant_indexes(connection: Connection, tenant_id: str, spec: ModuleSpec, base: ModuleSpec) -> None:
    create, drop = tenant_index_changes(connection, tenant_id, spec, base)
    for name in drop:
        connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
    for _what, statement in create.values():
        connection.execute(text(statement))


def _index_name(module: str, entity: str, field: str, unique: bool) -> str:
    name = f"{PREFIX}{module}__{entity}__{field}{'__u' if unique else ''}"
    if len(name) > 60:
        digest = hashlib.sha1(name.encode()).hexdigest()[:10]
        name = f"{PREFIX}{module}__{digest}"[:60]
    return name


def index_names(connection: Connection) -> list[str]:
    """Names of the records table's indexes (the inspector skips expression indexes)."""
    if connection.dialect.name == "postgresql":
        query = "SELECT indexname FROM pg_indexes WHERE tablename = 'records'"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'"
    return [str(row[0]) for row in connection.execute(text(query))]
