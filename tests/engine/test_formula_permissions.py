"""The permission rule at every hop, on the engine: hidden fields, masked fields and masked table columns behind a
reference, row filters of the referenced entity, declared report formulas, and who may read everything."""
from __future__ import annotations

import pytest

from engine import tenancy
from engine.errors import FormulaError, PermissionDenied
from engine.reports.service import run_report
from engine.runtime import Formwork
from engine.tenancy import Actor
from tests.conftest import add_user


@pytest.fixture
def site(engine: Formwork, tenant: str) -> dict[str, Actor]:
    """The yard fixture module enabled: two teams (one the member may not read) with a log each; the actors by
    role."""
    with engine.db.tenant(tenant) as session:
        tenancy.set_module_enabled(session, tenant, "yard", True, engine.catalog.modules())
    admin = add_user(engine, tenant, "root", "admin")
    with engine.records(admin) as records:
        for name in ("open", "secret"):
            team = records.create("yard", "team", {"name": name, "budget": "900", "code": "K-42",
                                                   "roster": [{"worker": "ann", "phone": "13800000001"}]})
            records.create("yard", "log", {"team": team["id"], "text": f"{name} log"})
    return {"admin": admin, "member": add_user(engine, tenant, "mia", "member"),
            "boss": add_user(engine, tenant, "bo", "boss")}


def logs(engine: Formwork, actor: Actor, q: str | None = None, sort: str | None = None) -> set[str]:
    with engine.records(actor) as records:
        return {item["data"]["text"] for item in records.find("yard", "log", q=q, sort=sort).items}


@pytest.mark.parametrize("q", ["team.budget > 1", "team.code == 'K-42'", "contains(team.code, '4')",
                               "'13800000001' in team.roster.phone", "coalesce(team.budget, 0) > 1"])
def test_what_is_hidden_or_masked_behind_a_reference_is_unknown_to_a_member(engine: Formwork,
                                                                           site: dict[str, Actor], q: str) -> None:
    with pytest.raises(FormulaError, match="unknown field"):
        logs(engine, site["member"], q)
    assert logs(engine, site["boss"], q) == {"open log", "secret log"}
    assert logs(engine, site["admin"], q) == {"open log", "secret log"}


def test_a_member_filters_on_what_they_may_read_of_records_they_may_read(engine: Formwork,
                                                                        site: dict[str, Actor]) -> None:
    member = site["member"]
    assert logs(engine, member) == {"open log", "secret log"}            # the logs themselves are readable
    assert logs(engine, member, "'ann' in team.roster.worker") == {"open log"}
    assert logs(engine, member, "team.name == 'secret'") == set()          # a team they may not read is missing
    assert logs(engine, member, "team.name != null") == {"open log"}
    assert logs(engine, site["boss"], "team.name == 'secret'") == {"secret log"}


def test_declared_formulas_through_a_reference_are_checked_for_whoever_runs_them(engine: Formwork,
                                                                                site: dict[str, Actor]) -> None:
    with engine.records(site["member"]) as records, \
            pytest.raises(PermissionDenied, match=r"uses team\.budget, which your roles may not see"):
        run_report(records, "yard", "budget_by_team")
    with engine.records(site["boss"]) as records:
        assert len(run_report(records, "yard", "budget_by_team")["rows"]) == 2
