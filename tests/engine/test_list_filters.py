"""List fields in SQL filters on the real records table: row permissions by membership, `?q=` filters."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine import tenancy
from engine.errors import NotFound
from engine.formula import BOOL, compile_formula
from engine.records.service import Records
from engine.runtime import Formwork
from engine.storage.models import Record
from engine.storage.queries import RecordColumns, RecordQuery
from tests.conftest import add_user

TEAMS: dict[str, dict[str, list[Any]]] = {
    "alpha": {"members": ["ann", "bob"], "labels": ["night", "urgent"],
              "roster": [{"worker": "ann", "role_name": "lead"}, {"worker": "bob"}]},
    "beta": {"members": ["carl"], "labels": ["urgent"], "roster": [{"role_name": "vacant"}, {"worker": "carl"}]},
    "gamma": {},  # no members at all: a null list
    "delta": {"members": [], "labels": []},
}


@pytest.fixture
def crew(engine: Formwork, tenant: str) -> dict[str, str]:
    """The crew fixture module enabled in the tenant, one team of each kind and one log per team; log ids by team."""
    with engine.db.tenant(tenant) as session:
        tenancy.set_module_enabled(session, tenant, "crew", True, engine.catalog.modules())
    admin = add_user(engine, tenant, "root", "admin")
    logs = {}
    with engine.records(admin) as records:
        for name, values in TEAMS.items():
            team = records.create("crew", "team", {"name": name, **values})
            logs[name] = records.create("crew", "log", {"team": team["id"], "text": f"{name} log"})["id"]
    return logs


def _log_teams(records: Records, q: str | None = None) -> set[str]:
    page = records.find("crew", "log", q=q, limit=100)
    return {item["data"]["text"].removesuffix(" log") for item in page.items}


def _team_names(records: Records, q: str) -> set[str]:
    return {item["data"]["name"] for item in records.find("crew", "team", q=q, limit=100).items}


def test_a_member_sees_only_the_logs_of_teams_listing_them(engine: Formwork, tenant: str,
                                                           crew: dict[str, str]) -> None:
    for name, teams in (("ann", {"alpha"}), ("bob", {"alpha"}), ("carl", {"beta"}), ("dave", set())):
        member = add_user(engine, tenant, name, "member")
        with engine.records(member) as records:
            assert _log_teams(records) == teams, name
            assert records.find("crew", "log").total == len(teams)
            for team, log_id in crew.items():
                if team in teams:
                    assert records.get("crew", "log", log_id)["id"] == log_id
                else:
                    with pytest.raises(NotFound):
                        records.get("crew", "log", log_id)


def test_a_child_table_column_one_ref_away_grants_rows(engine: Formwork, tenant: str,
                                                       crew: dict[str, str]) -> None:
    for name, teams in (("ann", {"alpha"}), ("carl", {"beta"}), ("dave", set())):
        rostered = add_user(engine, tenant, name, "rostered")
        with engine.records(rostered) as records:
            assert _log_teams(records) == teams, name
            for team, log_id in crew.items():
                if team not in teams:
                    with pytest.raises(NotFound):
                        records.get("crew", "log", log_id)


def test_a_computed_list_field_grants_rows_too(engine: Formwork, tenant: str, crew: dict[str, str]) -> None:
    for name, teams in (("ann", {"alpha"}), ("carl", {"beta"}), ("dave", set())):
        reader = add_user(engine, tenant, name, "reader")
        with engine.records(reader) as records:  # crew is a copy of team.members, made when the log was
            assert _log_teams(records) == teams, name
            assert _log_teams(records, q="len(crew) == 1") == teams & {"beta"}


def test_list_filters_work_in_q(engine: Formwork, tenant: str, crew: dict[str, str]) -> None:
    admin = add_user(engine, tenant, "ada", "admin")
    with engine.records(admin) as records:
        assert _team_names(records, "'bob' in members") == {"alpha"}
        assert _team_names(records, "'bob' not in members") == {"beta", "gamma", "delta"}
        assert _team_names(records, "contains(labels, 'urgent') and not contains(labels, 'night')") == {"beta"}
        assert _team_names(records, "len(members) == 0") == {"delta"}
        assert _team_names(records, "count(members) == 0") == {"gamma", "delta"}
        assert _team_names(records, "members == null") == {"gamma"}
        assert _log_teams(records, q="'carl' in team.members or count(team.labels) == 2") == {"alpha", "beta"}
        assert _log_teams(records, q="len(team.members) >= 0") == {"alpha", "beta", "delta"}
    member = add_user(engine, tenant, "bob", "member")
    with engine.records(member) as records:  # the row filter and q together
        assert _log_teams(records, q="contains(team.labels, 'night')") == {"alpha"}
        assert _log_teams(records, q="'carl' in team.members") == set()


@pytest.mark.parametrize(
    ("entity", "text"),
    [
        ("team", "'ann' in members"),
        ("team", "'ann' not in members"),
        ("team", "contains(labels, 'urgent')"),
        ("team", "len(members) > 0"),
        ("team", "count(labels) < 2"),
        ("team", "members == null or len(labels) == 1"),
        ("log", "user.name in team.members"),
        ("log", "user.name not in team.members"),
        ("log", "len(team.members) == count(team.labels)"),
        ("log", "team.members == null or 'night' in team.labels"),
        ("log", "'bob' in crew or crew == null"),
        ("team", "'ann' in roster.worker"),
        ("team", "len(roster.worker) > 1"),
        ("team", "count(roster.worker) == 1"),
        ("log", "user.name in team.roster.worker"),
        ("log", "'carl' not in team.roster.worker"),
        ("log", "count(team.roster.worker) >= 1"),
    ],
)
def test_sql_list_filters_agree_with_python(engine: Formwork, tenant: str, crew: dict[str, str], entity: str,
                                           text: str) -> None:
    admin = add_user(engine, tenant, "ann", "admin")
    with engine.records(admin) as records:
        spec = records.entity("crew", entity)
        assert spec.environment is not None
        formula = compile_formula(text, spec.environment, expect=BOOL)
        evaluation = records.evaluation(spec)
        rows = records.session.scalars(RecordQuery(records.session, spec, evaluation).base()).all()
        python = {row.id for row in rows if formula.evaluate(evaluation.context(Records.values_of(spec, row)))}
        sql = {item["id"] for item in records.find("crew", entity, q=text, limit=100).items}
        assert sql == python
        assert python not in (set(), {row.id for row in rows})


def test_a_stored_value_that_is_not_a_list_grants_nothing(engine: Formwork, tenant: str,
                                                          crew: dict[str, str]) -> None:
    admin = add_user(engine, tenant, "root2", "admin")
    with engine.records(admin) as records:  # e.g. a field made `multiple` after records were written
        team = records.find("crew", "team", q="name == 'beta'").items[0]
        row = records.session.scalars(select(Record).where(Record.id == team["id"])).one()
        row.data = {**row.data, "members": "carl"}
        records.session.flush()
        assert _team_names(records, "members == null") == {"beta", "gamma"}
    carl = add_user(engine, tenant, "carl", "member")
    with engine.records(carl) as records:
        assert _log_teams(records) == set()


def test_list_filters_keep_json_keys_as_sql_literals(engine: Formwork, tenant: str, crew: dict[str, str]) -> None:
    member = add_user(engine, tenant, "ann", "member")
    with engine.records(member) as records:
        spec = records.entity("crew", "log")
        assert spec.environment is not None
        formula = compile_formula("user.name in team.members and len(crew) > 0", spec.environment)
        columns = RecordColumns(engine.db.dialect)
        compiled = formula.to_sql(columns, user_name="ann").compile(records.session.get_bind())
    sql = str(compiled)
    keys = (["'team'", "'members'", "'crew'"] if engine.db.dialect == "postgresql"
            else ["'$.team'", "'$.members'", "'$.crew'"])
    assert all(key in sql for key in keys), sql
    assert "'crew'" in sql and "'team'" in sql  # the referenced entity's names, literals like the index predicates
    assert sorted(str(value) for value in compiled.params.values()) == ["0", "ann"]
