"""Storage guarantees: tenant scope in one place, expression indexes, concurrent writers."""
from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from engine import tenancy
from engine.errors import Conflict
from engine.runtime import Formwork
from engine.security import audit
from engine.storage.database import TenantScopeMissing
from engine.storage.indexes import desired_indexes
from engine.storage.models import CatalogModule, Record, User
from engine.storage.queries import RecordQuery
from tests.api.test_conflicts import clashbook_tenant
from tests.conftest import FIXTURES, TENANT_MODULES, add_user, new_project, new_tenant_id


def test_tenant_tables_cannot_be_read_without_a_tenant_scope(engine: Formwork, tenant: str) -> None:
    with pytest.raises(TenantScopeMissing), engine.db.platform() as session:
        session.scalars(select(User)).all()
    with engine.db.tenant(tenant) as session:
        assert session.scalars(select(User)).all() == []


def test_tenant_scope_is_added_to_every_query(engine: Formwork, tenant: str) -> None:
    admin = add_user(engine, tenant, "ann", "admin")
    with engine.records(admin) as records:
        new_project(lambda entity, body: records.create("base", entity, body), "SCOPE-1")
    with engine.db.tenant("someone-else") as session:
        assert session.scalars(select(Record).where(Record.module == "base")).all() == []


def test_one_statement_built_once_is_scoped_to_each_tenant_that_runs_it(engine: Formwork, tenant: str) -> None:
    """The scope is a bound parameter added per execution: a cached statement (built once, run by every tenant)
    reads only the running tenant's rows, through an alias too, and an ORM update changes only its rows."""
    other_tenant = new_tenant_id()
    with engine.db.tenant(other_tenant) as session:
        tenancy.create_tenant(session, other_tenant, plan="enterprise")
        for module in sorted(TENANT_MODULES):
            tenancy.set_module_enabled(session, other_tenant, module, True, engine.catalog.modules())
    for name in (tenant, other_tenant):
        admin = add_user(engine, name, f"ann-{name}", "admin")
        with engine.records(admin) as records:
            new_project(lambda entity, body: records.create("base", entity, body), f"SCOPE-{len(name)}")
    other = aliased(Record)
    statement = (select(Record.tenant_id, other.tenant_id).join(other, other.id == Record.id)
                 .where(Record.module == "base"))
    for name in (tenant, other_tenant, tenant):
        with engine.db.tenant(name) as session:
            rows = session.execute(statement).all()
            assert rows and {row[0] for row in rows} == {row[1] for row in rows} == {name}
    with engine.db.tenant(other_tenant) as session:
        session.execute(update(Record).where(Record.module == "base").values(created_by="moved"))
    with engine.db.tenant(tenant) as session:
        assert "moved" not in set(session.scalars(select(Record.created_by)))


def test_declared_indexes_exist_and_unique_ones_hold_in_the_database(engine: Formwork, tenant: str) -> None:
    spec = engine.catalog.modules()["site"]
    names = set(desired_indexes(spec, engine.db.dialect))
    assert names == {"fw_site__delivery__number__u", "fw_site__delivery__project", "fw_site__delivery__delivered_on"}
    query = ("SELECT indexname FROM pg_indexes WHERE tablename = 'records'" if engine.db.dialect == "postgresql"
             else "SELECT name FROM sqlite_master WHERE type = 'index'")
    with engine.db.platform() as session:
        assert names <= {row[0] for row in session.execute(text(query))}
    admin = add_user(engine, tenant, "ann", "admin")
    with engine.records(admin) as records:
        project = new_project(lambda entity, body: records.create("base", entity, body), "IDX-1")
        records.create("site", "delivery", {"number": "U-1", "project": project["id"], "delivered_on": "2024-01-01"})
        row = records.session.scalars(select(Record).where(Record.entity == "delivery")).one()
        twin = Record(id="twin", module="site", entity="delivery", schema_version="2.3.0", status="draft", version=1,
                      data=dict(row.data), created_at=row.created_at, created_by="x", updated_at=row.updated_at,
                      updated_by="x")
        records.session.add(twin)
        with pytest.raises(IntegrityError):  # the database itself refuses, not only the engine's check
            records.session.flush()
        records.session.rollback()


def test_sqlite_uses_the_expression_index_for_filters(engine: Formwork, tenant: str) -> None:
    if engine.db.dialect != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    admin = add_user(engine, tenant, "ann", "admin")
    with engine.records(admin) as records:
        entity = records.entity("site", "delivery")
        query = RecordQuery(records.session, entity, records.evaluation(entity))
        statement = query.base().where(Record.tenant_id == tenant,  # what the session's scope adds
                                       query.sql(query.filter_formula("number == 'U-1'")))
        compiled = statement.compile(records.session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = records.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        assert any("fw_site__delivery__number__u" in str(step) for step in plan), plan


def test_two_writers_with_the_same_version_exactly_one_wins(engine: Formwork, tenant: str) -> None:
    admin = add_user(engine, tenant, "ann", "admin")
    with engine.records(admin) as records:
        project = new_project(lambda entity, body: records.create("base", entity, body), "RACE-1")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def write(name: str) -> None:
        barrier.wait()
        try:
            with engine.records(admin) as records:
                records.update("base", "project", project["id"], {"project_name": name}, version=1)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(n,)) for n in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    with engine.records(admin) as records:
        assert records.get("base", "project", project["id"])["version"] == 2
        assert audit.verify(records.session, tenant) == []


def test_a_module_can_be_written_in_json(engine: Formwork, tenant: str) -> None:
    """tests/fixtures/modules/notes_json holds a module.json (the session installed it, as any test module)."""
    folder = FIXTURES / "modules" / "notes_json"
    assert [p.name for p in folder.iterdir()] == ["module.json"]
    spec, changed = engine.catalog.install(folder)
    assert not changed and spec.entities["note"].fields["words"].is_computed
    with engine.db.tenant(tenant) as session:
        tenancy.set_module_enabled(session, tenant, "notes_json", True, engine.catalog.modules())
    admin = add_user(engine, tenant, "ann", "admin")
    with engine.records(admin) as records:
        assert records.create("notes_json", "note", {"title": "混凝土"})["data"] == {"title": "混凝土", "words": 3}


def test_an_installed_module_that_no_longer_compiles_is_left_out_and_the_others_go_on(tmp_path: Path) -> None:
    """E.g. a plugin its formulas need was uninstalled: that module (and what requires it) drops out."""
    formwork = Formwork(f"sqlite:///{tmp_path / 'catalog.db'}")
    formwork.initialise()
    broken = ("module: gone\nversion: 1.0.0\ntitle: Gone\nentities:\n  e:\n    fields:\n"
              "      x: {type: money, formula: 'plugin_vat(1)'}\n")
    with formwork.db.platform() as session:
        session.add(CatalogModule(name="gone", version="1.0.0", files={"module.yaml": broken}, digest="d" * 64,
                                  installed_at=datetime.now(UTC)))
    modules = formwork.catalog.modules()
    assert "gone" not in modules and {"base", "labor", "cost"} <= set(modules)
    assert [p.message for p in formwork.catalog.broken] == ["formula of 'x': unknown function 'plugin_vat'"]
    formwork.db.dispose()


def test_declared_conflicts_are_index_probes(engine: Formwork) -> None:
    """Each conflict's match fields have a composite index that the conflict's query uses (not a scan of the
    entity's history)."""
    spec = engine.catalog.modules()["clashbook"]
    names = set(desired_indexes(spec, engine.db.dialect))
    assert {"fw_clashbook__rate__crew__company", "fw_clashbook__ticket__crew__work_date__location"} <= names
    tenant = clashbook_tenant(engine)
    admin = add_user(engine, tenant, "ann", "admin")
    with engine.records(admin) as records:
        entity = records.entity("clashbook", "ticket")
        query = RecordQuery(records.session, entity, records.evaluation(entity))
        statement = query.base().where(Record.tenant_id == tenant,
                                       *(query.columns.json_text(name) == value for name, value in
                                         (("crew", "木工一班"), ("work_date", "2024-05-01"), ("location", "3#楼"))))
        compiled = statement.compile(records.session.get_bind(), compile_kwargs={"literal_binds": True})
        if engine.db.dialect == "postgresql":
            records.session.execute(text("SET LOCAL enable_seqscan = off"))  # an empty table: ask if it can
            plan = records.session.execute(text(f"EXPLAIN {compiled}")).all()
        else:
            plan = records.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        assert any("fw_clashbook__ticket__crew__work_date__location" in str(step) for step in plan), plan


def test_a_conflicts_oldest_match_is_read_off_its_index_in_age_order(engine: Formwork) -> None:
    """A conflict names the oldest live match: its index ends with the records' age, so the check reads the first
    entry that passes rather than sorting every match (a worker on every ticket of a busy day). A plain index that
    leads a longer one is not made twice (labor's `crew` leads the duplicate-ticket conflict's index)."""
    labor = set(desired_indexes(engine.catalog.modules()["labor"], engine.db.dialect))
    assert "fw_labor__day_labor_ticket__crew__work_date__location" in labor
    assert "fw_labor__day_labor_ticket__crew" not in labor
    assert "fw_labor__day_labor_ticket__ticket_no__u" in labor  # a unique one always stays
    tenant = clashbook_tenant(engine)
    clerk = add_user(engine, tenant, "ann", "clerk")
    same = {"crew": "木工一班", "work_date": "2024-05-01", "location": "3#楼"}
    with engine.records(clerk) as records:
        for number in range(40):
            records.create("clashbook", "ticket", {"ticket_no": f"DG-{number}", **same})
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "ORDER BY records.created_at" in statement and "location" in statement:
            seen.append((statement, parameters))

    event.listen(engine.db.engine, "before_cursor_execute", keep)
    try:
        with engine.records(clerk) as records:
            created = records.create("clashbook", "ticket", {"ticket_no": "DG-40", **same})
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", keep)
    (warning,) = created["warnings"]
    assert "'DG-0'" in warning["message"], warning  # the oldest of the 40 it clashes with
    (statement, parameters), = seen
    with engine.db.engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if engine.db.dialect == "postgresql":
            connection.execute(text("SET LOCAL enable_seqscan = off"))  # a small table: ask what the index gives
            cursor.execute("EXPLAIN " + statement, parameters)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "fw_clashbook__ticket__crew__work_date__location" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
