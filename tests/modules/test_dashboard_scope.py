"""The dashboard's project switcher and period selector, the kept record counts, and row filters as semi-joins."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import tenancy
from engine.declarations.model import Action
from engine.formula import BOOL, compile_formula
from engine.ops import backup
from engine.reports.dashboard import Scope, filter_of, status_counts, status_counts_each
from engine.reports.grouping import read_after_grouping
from engine.reports.service import run_report
from engine.runtime import Formwork
from engine.storage import summaries
from engine.storage.models import Record, RecordCount, User
from engine.storage.queries import RecordQuery
from engine.storage.row_filters import passing_ids, referenced_through
from tests.conftest import add_user, api_creator, login, new_project, new_tenant_id
from tests.engine.test_unit_of_work import statements
from tests.modules.test_labor import create_ticket, sign, ticket_body, world
from tests.web.conftest import sign_in

__all__ = ["world"]  # the fixture, shared with test_labor

TODAY = date.today()
THIS_MONTH = f"{TODAY:%Y-%m}"
LAST_MONTH_DAY = (TODAY.replace(day=1) - timedelta(days=3)).isoformat()


def actor(engine: Formwork, tenant: str, username: str) -> tenancy.Actor:
    with engine.db.tenant(tenant) as session:
        user = session.get(User, (tenant, username))
        assert user is not None
        return tenancy.actor_of(user)


def counts_match(engine: Formwork, tenant: str) -> bool:
    with engine.db.engine.connect() as connection:
        return summaries.matches(connection, tenant)


def tickets(world: dict[str, Any], engine: Formwork, tenant: str) -> dict[str, dict[str, Any]]:
    """Tickets of this month and of last month on the pm's project, one on a project the pm is not a member of."""
    other = world["other"]                                           # no longer the pm's
    response = world["users"]["ann"].patch(f"/records/base/project/{other['id']}", {
        "version": other["version"], "project_manager": "prod",
        "members": [{"user": "prod", "position": "production_manager"}]})
    assert response.status_code == 200, response.get_json()
    cost = world["users"]["cost"]
    made = {"now": create_ticket(cost, ticket_body(world, 1, work_date=TODAY.isoformat(), unit_price="400")),
            "before": create_ticket(cost, ticket_body(world, 2, work_date=LAST_MONTH_DAY, unit_price="400"))}
    leader = world["users"]["lead2"]                                 # leads the other project's crew
    response = leader.post("/records/labor/day_labor_ticket", ticket_body(
        world, 3, project=world["other"]["id"], crew=world["crews"]["other"]["id"], work_date=TODAY.isoformat()))
    assert response.status_code == 201, response.get_json()
    made["other"] = response.get_json()
    return made


def test_kept_counts_equal_a_full_recount_after_creates_updates_deletes_and_status_changes(
        world: dict[str, Any], engine: Formwork, tenant: str) -> None:
    made = tickets(world, engine, tenant)
    assert counts_match(engine, tenant)
    cost = world["users"]["cost"]
    sign(world, made["now"])                                        # draft -> in_review -> signed
    assert counts_match(engine, tenant)
    before = made["before"]                                         # moved to this month: another period
    response = cost.patch(f"/records/labor/day_labor_ticket/{before['id']}",
                          {"version": before["version"], "work_date": TODAY.isoformat()})
    assert response.status_code == 200, response.get_json()
    assert counts_match(engine, tenant)
    assert cost.delete(f"/records/labor/day_labor_ticket/{before['id']}").status_code in (200, 204)
    assert counts_match(engine, tenant)
    with engine.records(actor(engine, tenant, "costdept"), reading=True) as records:
        entity = records.entity("labor", "day_labor_ticket")
        mine = status_counts(records, entity, Scope(world["project"]["id"], THIS_MONTH))
        everyone = status_counts(records, entity, Scope(None, None))
    assert mine == {"signed": 1}
    assert everyone == {"signed": 1, "draft": 1}
    with engine.db.engine.begin() as connection:                    # a rebuild counts the same
        summaries.rebuild(connection, tenant)
        assert summaries.matches(connection, tenant)


def test_counts_keep_row_filters(world: dict[str, Any], engine: Formwork, tenant: str) -> None:
    tickets(world, engine, tenant)
    for username, expected in (("pm", 2), ("costdept", 3), ("lead2", 1)):  # member; company role; crew leader
        with engine.records(actor(engine, tenant, username), reading=True) as records:
            entity = records.entity("labor", "day_labor_ticket")
            counted = status_counts(records, entity, Scope())
            listed = records.find("labor", "day_labor_ticket").total
        assert counted is not None and sum(counted.values()) == listed == expected, username


def test_the_counts_of_every_card_in_a_few_queries_equal_the_lists(world: dict[str, Any], engine: Formwork,
                                                                   tenant: str) -> None:
    """The dashboard's cards counted together: each entity's counts by status are what its list shows for the scope
    (row filters kept), and the entities the kept counts answer alike share one query."""
    tickets(world, engine, tenant)
    for username in ("pm", "costdept", "lead2"):
        for scope in (Scope(), Scope(world["project"]["id"], THIS_MONTH), Scope(None, THIS_MONTH)):
            with engine.records(actor(engine, tenant, username), reading=True) as records:
                entities = [entity for spec in records.modules.values() for entity in spec.entities.values()
                            if records.access(entity).allows(Action.READ)]
                with statements(engine) as seen:
                    counted = status_counts_each(records, entities, scope)
                assert len(seen) < len(entities) // 2, (username, len(seen), len(entities))
                for entity in entities:
                    q = filter_of(records, entity, scope)
                    if q is None:
                        assert counted[entity.key] is None
                        continue
                    counts = counted[entity.key]
                    assert counts is not None
                    listed = records.find(entity.module, entity.name, q=q, limit=1).total
                    assert sum(counts.values()) == listed, (username, scope, entity.key, counts, listed)
                    for status, count in counts.items():
                        assert records.find(entity.module, entity.name, q=f"({q}) and status == '{status}'",
                                            limit=1).total == count, (username, scope, entity.key, status)
            assert any(counted.values()), username                    # some records in every user's view


def test_row_filter_through_the_project_is_a_semi_join_with_the_same_rows(
        world: dict[str, Any], engine: Formwork, tenant: str) -> None:
    tickets(world, engine, tenant)
    with engine.records(actor(engine, tenant, "pm"), reading=True) as records:
        entity = records.entity("labor", "day_labor_ticket")
        filters = records.access(entity).row_filters
        assert filters is not None and len(filters) == 1
        evaluation = records.evaluation(entity)
        assert referenced_through(entity, evaluation, filters[0]) == ("project", "base.project")
        query = RecordQuery(records.session, entity, evaluation)
        as_semi_join = set(records.session.scalars(query.visible(query.base(), filters).with_only_columns(Record.id)))
        per_row = set(records.session.scalars(query.base().where(query.sql(filters[0])).with_only_columns(Record.id)))
        assert as_semi_join == per_row and len(per_row) == 2
        # the projects the filter passes are read on the project rows themselves: no second copy of each found by
        # its id (a correlated self-join PostgreSQL estimated at one row and ran once per outer row)
        dialect = records.session.get_bind().dialect
        passing = str(passing_ids(records.session, dialect.name, evaluation, filters[0], "project", "base.project")
                      .compile(dialect=dialect))
        assert passing.count("FROM records") == 1, passing
        assert environment_free(records, entity) is None


def test_row_filters_kept_per_process_still_limit_each_tenant(world: dict[str, Any], engine: Formwork, tenant: str,
                                                               client: FlaskClient) -> None:
    """Row filters are compiled once per process (storage/sql_memo.py), the projects one passes included: a `pm` of
    another tenant under the same declarations sees only that tenant's projects and crews, whichever asks first."""
    other = new_tenant_id()
    with engine.db.tenant(other) as session:
        tenancy.create_tenant(session, other, plan="enterprise")
        for name in ("base", "labor"):
            tenancy.set_module_enabled(session, other, name, True, engine.catalog.modules())
    for name, role in (("ann", "system_admin"), ("pm", "project_manager")):
        add_user(engine, other, name, role)
    create = api_creator(login(client, other, "ann"))
    project = new_project(create, "XM-9001")                         # managed by this tenant's `pm`
    company = create("party", {"party_name": "鑫源劳务", "party_type": ["labor_company"],
                               "credit_code": "91350105MA31ABCD5X"})
    trade = create("trade", {"trade_key": "carpenter", "trade_name": "木工", "skill_level": "skilled",
                             "guide_price": "400"})
    create("crew", {"project": project["id"], "crew_name": "木工一班", "crew_leader_name": "木工一班班组长",
                    "crew_leader_phone": "13800000001", "crew_leader_id_no": "510321198503121234",
                    "leader_user": "pm", "labor_company": company["id"], "main_trade": trade["id"]})
    for tenant_id, projects, crews in ((tenant, 2, 3), (other, 1, 1), (tenant, 2, 3), (other, 1, 1)):
        with engine.records(actor(engine, tenant_id, "pm"), reading=True) as records:
            assert records.access(records.entity("base", "crew")).row_filters   # filtered through the project
            seen = (records.find("base", "project").total, records.find("base", "crew").total)
        assert seen == (projects, crews), (tenant_id, seen)


def environment_free(records: Any, entity: Any) -> Any:
    """A filter that holds for a ticket without a project (`not …`) keeps its per-row test."""
    assert entity.environment is not None
    negated = compile_formula("not (user.name in project.members.user)", entity.environment, expect=BOOL)
    return referenced_through(entity, records.evaluation(entity), negated)


def test_switcher_offers_only_the_projects_the_user_may_see(
        world: dict[str, Any], engine: Formwork, tenant: str, client: FlaskClient) -> None:
    tickets(world, engine, tenant)
    pm = sign_in(client, tenant, "pm", language="zh")
    page = pm.text("/")
    assert "项目" in page and "全部期间" in page
    assert world["project"]["data"]["project_name"] in page
    assert world["other"]["data"]["project_name"] not in page
    assert pm.get(f"/?project={world['other']['id']}").status_code == 404        # typed by hand
    assert pm.get("/?period=2025-13").status_code == 400
    scoped = pm.text(f"/?project={world['project']['id']}&period={THIS_MONTH}")
    assert f'value="{world["project"]["id"]}" selected' in scoped
    assert pm.get("/?period=all").status_code == 200
    admin = sign_in(client, tenant, "ann", language="zh")
    assert admin.get(f"/?project={world['other']['id']}").status_code == 200


def test_figures_leave_out_what_a_role_may_not_see(
        world: dict[str, Any], engine: Formwork, tenant: str, client: FlaskClient) -> None:
    tickets(world, engine, tenant)
    site = sign_in(client, tenant, "site", language="zh").text("/")    # the amount is hidden from site engineers
    assert "本月点工工日" in site and "本月点工费用" not in site
    cost = sign_in(client, tenant, "cost", language="zh").text("/")
    assert "本月点工工日" in cost and "本月点工费用" in cost


def test_scope_filters_an_entity_by_what_it_has(world: dict[str, Any], engine: Formwork, tenant: str) -> None:
    project = world["project"]["id"]
    with engine.records(add_user(engine, tenant, "boss", "admin"), reading=True) as records:
        ticket = records.entity("labor", "day_labor_ticket")
        trade = records.entity("base", "trade")
        assert filter_of(records, ticket, Scope(project, "2025-06")) == \
            f"project == '{project}' and period == '2025-06'"
        assert filter_of(records, ticket, Scope(None, "2025-06"), months=12) == \
            "period > '2024-06' and period <= '2025-06'"
        assert filter_of(records, trade, Scope(project, None)) is None          # no project: left out
        assert filter_of(records, trade, Scope(None, "2025-06")) == "true"      # no period: every record


def test_crew_names_of_a_report_are_read_once_per_group_with_the_same_rows(
        world: dict[str, Any], engine: Formwork, tenant: str) -> None:
    made = tickets(world, engine, tenant)
    sign(world, made["now"])
    sign(world, made["before"])
    with engine.records(actor(engine, tenant, "costdept"), reading=True) as records:
        entity = records.entity("labor", "day_labor_ticket")
        report = records.module("labor").reports["day_labor_by_crew_month"]
        assert read_after_grouping(entity, report.group_by) == {"crew_crew_name"}
        rows = run_report(records, "labor", "day_labor_by_crew_month")["rows"]
    crew = world["crews"]["a"]["id"]
    assert [row[:4] + row[4:6] for row in rows] == [
        [world["project"]["id"], crew, "木工一班", LAST_MONTH_DAY[:7], 1, 2],
        [world["project"]["id"], crew, "木工一班", THIS_MONTH, 1, 2]]


def test_a_backup_from_before_the_kept_counts_is_counted_when_restored(
        world: dict[str, Any], engine: Formwork, tenant: str) -> None:
    tickets(world, engine, tenant)
    document = backup.export_tenant(engine.db, tenant)
    assert document["tables"].pop("record_counts")
    backup.import_tenant(engine.db, document, replace=True)
    assert counts_match(engine, tenant)
    with engine.db.engine.connect() as connection:
        kept = connection.execute(select(func.sum(RecordCount.count)).where(
            RecordCount.tenant_id == tenant, RecordCount.entity == "day_labor_ticket")).scalar()
    assert kept == 3


def test_counts_are_added_at_the_commit_under_the_chain_lock_and_go_back_with_a_savepoint(
        world: dict[str, Any], engine: Formwork, tenant: str) -> None:
    """The count rows a tenant's writers share (one project's month of tickets) are written last, after the audit
    chain's lock, so each writer holds them for its commit alone; a savepoint that rolls back takes its counts
    with it, and a read of the counts inside the transaction sees the records it wrote."""
    with statements(engine) as seen:
        create_ticket(world["users"]["cost"], ticket_body(world, 1))
    order = [statement for statement, _ in seen]
    chain = next(i for i, statement in enumerate(order) if "audit_anchors" in statement)
    assert "INSERT INTO record_counts" in order[-1] and chain < len(order) - 1, order
    key = [("labor", "day_labor_ticket")]
    with engine.records(actor(engine, tenant, "cost")) as records:
        records.create("labor", "day_labor_ticket", ticket_body(world, 2, location="2#楼"))
        try:
            with records.session.begin_nested():
                records.create("labor", "day_labor_ticket", ticket_body(world, 3, location="3#楼"))
                assert summaries.by_status_each(records.session, key, projects=None, project=None,
                                                period=None) == {key[0]: {"draft": 3}}
                raise LookupError("taken back")
        except LookupError:
            pass
        assert summaries.by_status_each(records.session, key, projects=None, project=None,
                                        period=None) == {key[0]: {"draft": 2}}
        records.create("labor", "day_labor_ticket", ticket_body(world, 4, location="4#楼"))
    assert counts_match(engine, tenant)
    with engine.db.engine.connect() as connection:
        kept = connection.scalar(select(func.sum(RecordCount.count)).where(
            RecordCount.tenant_id == tenant, RecordCount.entity == "day_labor_ticket"))
    assert kept == 3
