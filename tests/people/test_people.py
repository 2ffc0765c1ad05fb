"""Tenant users managed by their administrators: invitations, roles, seats, the last admin, membership."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import tenancy
from engine.errors import BadRequest, Conflict, PermissionDenied, RecordInvalid
from engine.people.service import LastAdmin, People
from engine.records.service import Records
from engine.runtime import Formwork
from engine.security import audit
from engine.storage.models import AuditEntry, UserInvitation
from engine.tenancy import invitations, licenses
from tests.conftest import PASSWORD, add_user, new_project


def admin_of(engine: Formwork, tenant: str, name: str = "boss") -> tenancy.Actor:
    return add_user(engine, tenant, name, "admin")


def set_seats(engine: Formwork, tenant: str, seats: int) -> None:
    token = licenses.issue(tenant, "professional", seats=seats)
    with engine.db.tenant(tenant) as session:
        licenses.apply(session, tenancy.get_tenant(session, tenant), token, "test")


def accept(engine: Formwork, tenant: str, link: invitations.Link, password: str = PASSWORD) -> None:
    with engine.db.tenant(tenant) as session:
        invitations.accept(session, link.token, password)


def test_an_invited_user_sets_a_password_through_the_link_once(engine: Formwork, tenant: str) -> None:
    boss = admin_of(engine, tenant)
    with engine.people(boss) as people:
        user, link = people.invite("li", "李工", ["site_engineer"], "li@example.com")
        assert people.describe(user)["status"] == "invited"
    assert link.token.startswith(f"{tenant}.")
    with engine.db.tenant(tenant) as session, pytest.raises(Exception, match="wrong tenant, user name or password"):
        tenancy.authenticate(session, tenant, "li", "")
    accept(engine, tenant, link)
    with engine.db.tenant(tenant) as session:
        assert tenancy.authenticate(session, tenant, "li", PASSWORD).display_name == "李工"
        stored = session.scalars(select(UserInvitation)).one()
        assert stored.token_hash != link.token and stored.used_at is not None   # only the digest is kept
    with pytest.raises(invitations.LinkInvalid, match="already used"):
        accept(engine, tenant, link)
    with engine.people(boss) as people:
        assert people.describe(people.user("li"))["status"] == "active"


def test_an_expired_or_replaced_link_is_refused(engine: Formwork, tenant: str) -> None:
    boss = admin_of(engine, tenant)
    with engine.people(boss) as people:
        _user, first = people.invite("li", roles=["site_engineer"])
        second = people.reset_password("li")
    with pytest.raises(invitations.LinkInvalid, match="replaced by a newer one"):
        accept(engine, tenant, first)
    with engine.db.tenant(tenant) as session:
        row = session.get(UserInvitation, (tenant, invitations.token_digest(second.token)))
        assert row is not None
        row.expires_at = tenancy.now() - timedelta(minutes=1)
    with pytest.raises(invitations.LinkInvalid, match=r"expired on .*ask your administrator for a new one"):
        accept(engine, tenant, second)


def test_a_short_password_is_refused_and_the_link_stays_usable(engine: Formwork, tenant: str) -> None:
    boss = admin_of(engine, tenant)
    with engine.people(boss) as people:
        _user, link = people.invite("li", roles=[])
    with pytest.raises(BadRequest, match="at least 6 characters"):
        accept(engine, tenant, link, "abc")
    accept(engine, tenant, link)


def test_only_tenant_administrators_manage_people(engine: Formwork, tenant: str) -> None:
    clerk = add_user(engine, tenant, "clerk", "labor_clerk")
    with pytest.raises(PermissionDenied, match="only tenant administrators"), engine.people(clerk):
        pass


def test_roles_are_limited_to_those_the_enabled_modules_declare(engine: Formwork, tenant: str) -> None:
    boss = admin_of(engine, tenant)
    with engine.people(boss) as people, pytest.raises(BadRequest, match=r"role 'site_enginer' is not declared .*did "
                                                                         r"you mean 'site_engineer'"):
        people.invite("li", roles=["site_enginer"])
    with engine.people(boss) as people:
        people.invite("li", roles=["site_engineer", "admin"])
        assert people.set_roles("li", ["labor_clerk"]).roles == ["labor_clerk"]
        assert people.roles["site_engineer"].label.zh == "施工员/现场工程师"
        assert "base" in people.roles["site_engineer"].modules
    engine.enable_module(tenant, "labor_output", enabled=False)  # it requires labor
    engine.enable_module(tenant, "labor", enabled=False)
    with engine.people(boss) as people:
        assert "labor" not in {m for role in people.roles.values() for m in role.modules}
    # a role held before its module was disabled may stay; it cannot be given to anyone else
    add_user(engine, tenant, "old", "day_labor_only_role")
    with engine.people(boss) as people:
        assert people.set_roles("old", ["day_labor_only_role", "site_engineer"]).roles == [
            "day_labor_only_role", "site_engineer"]
        assert people.describe(people.user("old"))["unknown_roles"] == ["day_labor_only_role"]
        with pytest.raises(BadRequest, match="'day_labor_only_role' is not declared"):
            people.set_roles("li", ["day_labor_only_role"])


def test_seats_bound_invitations_and_reactivation_with_the_count(engine: Formwork, tenant: str) -> None:
    boss = admin_of(engine, tenant)
    set_seats(engine, tenant, 2)
    with engine.people(boss) as people:
        people.invite("li", roles=["site_engineer"])
        assert people.seats() == {"used": 2, "total": 2}
    with engine.people(boss) as people, pytest.raises(licenses.SeatsExhausted,
                                                      match=f"seats 2 of 2 in use in tenant {tenant!r}"):
        people.invite("wang", roles=["site_engineer"])
    with engine.people(boss) as people:
        people.set_active("li", False)
        people.invite("wang", roles=["site_engineer"])
    with engine.people(boss) as people, pytest.raises(licenses.SeatsExhausted, match="seats 2 of 2 in use"):
        people.set_active("li", True)


def test_the_last_active_administrator_cannot_be_removed_or_deactivated(engine: Formwork, tenant: str) -> None:
    boss = admin_of(engine, tenant)
    with engine.people(boss) as people, pytest.raises(LastAdmin, match="last active administrator"):
        people.set_roles("boss", ["site_engineer"])
    with engine.people(boss) as people, pytest.raises(LastAdmin, match="cannot deactivate 'boss'"):
        people.set_active("boss", False)
    with engine.people(boss) as people:
        people.invite("second", roles=["admin"])
        people.set_active("second", False)   # a deactivated administrator does not count
    with engine.people(boss) as people, pytest.raises(LastAdmin):
        people.set_roles("boss", [])
    with engine.people(boss) as people:
        people.set_active("second", True)
        people.set_roles("boss", ["site_engineer"])    # now another administrator remains
    with engine.db.tenant(tenant) as session:
        assert tenancy.get_tenant(session, tenant) is not None


def test_a_deactivated_users_tokens_stop_at_once_and_stay_revoked(engine: Formwork, tenant: str) -> None:
    boss = admin_of(engine, tenant)
    add_user(engine, tenant, "li", "site_engineer")
    with engine.db.tenant(tenant) as session:
        token = tenancy.issue_token(session, tenancy.authenticate(session, tenant, "li", PASSWORD)).token
    with engine.people(boss) as people:
        people.set_active("li", False)
    with engine.db.tenant(tenant) as session, pytest.raises(tenancy.AuthenticationFailed, match="deactivated"):
        tenancy.actor_for_token(session, tenant, token)
    with engine.people(boss) as people:
        people.set_active("li", True)
    with engine.db.tenant(tenant) as session, pytest.raises(tenancy.AuthenticationFailed):
        tenancy.actor_for_token(session, tenant, token)


def test_a_password_reset_ends_the_old_password_and_tokens(engine: Formwork, tenant: str) -> None:
    boss = admin_of(engine, tenant)
    add_user(engine, tenant, "li", "site_engineer")
    with engine.db.tenant(tenant) as session:
        token = tenancy.issue_token(session, tenancy.authenticate(session, tenant, "li", PASSWORD)).token
    with engine.people(boss) as people:
        link = people.reset_password("li")
        assert people.describe(people.user("li"))["status"] == "reset"
    with engine.db.tenant(tenant) as session:
        with pytest.raises(tenancy.AuthenticationFailed):
            tenancy.actor_for_token(session, tenant, token)
        with pytest.raises(tenancy.AuthenticationFailed):
            tenancy.authenticate(session, tenant, "li", PASSWORD)
    accept(engine, tenant, link, "a-new-password")
    with engine.db.tenant(tenant) as session:
        tenancy.authenticate(session, tenant, "li", "a-new-password")


def test_every_change_is_audited_and_the_chain_holds(engine: Formwork, tenant: str) -> None:
    boss = admin_of(engine, tenant)
    with engine.people(boss) as people:
        _user, link = people.invite("li", "Li", ["site_engineer"])
        people.update("li", display_name="Li Gong", email="li@example.com")
        people.set_roles("li", ["site_engineer", "labor_clerk"])
        people.set_active("li", False)
        people.set_active("li", True)
        link = people.reset_password("li")
    accept(engine, tenant, link)
    with engine.db.tenant(tenant) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.target_type == "user",
                                                           AuditEntry.target_id == "li")
                                  .order_by(AuditEntry.seq)).all()
        assert [(e.actor, e.action) for e in entries] == [
            ("boss", "user.invite"), ("boss", "user.update"), ("boss", "user.roles"), ("boss", "user.deactivate"),
            ("boss", "user.activate"), ("boss", "user.reinvite"), ("li", "user.password_set")]
        assert entries[2].before == {"roles": ["site_engineer"]}
        assert entries[2].after == {"roles": ["labor_clerk", "site_engineer"]}
        assert audit.verify(session, tenant) == []


def test_project_membership_gives_row_access_to_that_project_only(engine: Formwork, tenant: str) -> None:
    boss = admin_of(engine, tenant)
    with engine.records(boss) as records:
        def create(entity: str, body: dict) -> dict:   # type: ignore[type-arg]
            return records.create("base", entity, body)
        first = new_project(create, "P-001", manager="boss")
        second = new_project(create, "P-002", manager="boss")
    with engine.people(boss) as people:
        people.invite("zhang", roles=["production_manager"])
        people.add_project("zhang", first["id"], "production_manager")
        with pytest.raises(Conflict, match="already a member of this project as 'production_manager'"):
            people.add_project("zhang", first["id"], "production_manager")
        with pytest.raises(Exception, match="position 'boss' is not one of"):
            people.add_project("zhang", second["id"], "boss")
        assert [(p["title"], p["positions"]) for p in people.projects("zhang")] == [
            ("Project P-001", ["production_manager"])]
    zhang = tenancy.Actor(tenant, "zhang", frozenset({"production_manager"}))
    with engine.records(zhang) as records:
        assert [r["data"]["project_code"] for r in records.find("base", "project").items] == ["P-001"]
    with engine.people(boss) as people:
        people.add_project("zhang", second["id"], "site_engineer")
        people.remove_project("zhang", first["id"])
    with engine.records(zhang) as records:
        assert [r["data"]["project_code"] for r in records.find("base", "project").items] == ["P-002"]
    with engine.db.tenant(tenant) as session:
        updates = session.scalars(select(AuditEntry).where(AuditEntry.target_id == first["id"],
                                                           AuditEntry.action == "record.update")).all()
        assert [e.actor for e in updates] == ["boss", "boss"]


def test_the_project_rules_still_apply_to_membership_changes(engine: Formwork, tenant: str) -> None:
    boss = admin_of(engine, tenant)
    add_user(engine, tenant, "wang", "site_engineer")
    members = [{"user": "boss", "position": "project_manager"}, {"user": "wang", "position": "site_engineer"}]
    with engine.records(boss) as records:
        project = new_project(lambda entity, body: records.create("base", entity, body), "P-001", manager="boss",
                              members=members)
    with engine.people(boss) as people, pytest.raises(RecordInvalid, match="project manager must be one of the "
                                                                          "project members"):
        people.remove_project("boss", project["id"])
    with engine.people(boss) as people, pytest.raises(RecordInvalid, match="members: is required"):
        people.remove_project("wang", project["id"])
        people.remove_project("boss", project["id"])


def test_people_and_records_share_the_transaction(engine: Formwork, tenant: str) -> None:
    boss = admin_of(engine, tenant)
    with engine.people(boss) as people:
        assert isinstance(people, People) and isinstance(people.records, Records)
        assert people.records.session is people.session


def test_the_command_line_invites_deactivates_and_resets(engine: Formwork, tenant: str) -> None:
    from click.testing import CliRunner

    from app import cli

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args), env={"FORMWORK_DATABASE_URL": engine.db.url})
        return result.exit_code, result.output

    admin_of(engine, tenant)
    code, out = run("user", "invite", tenant, "li", "--role", "site_engineer", "--name", "李工")
    assert code == 0 and f"/welcome/{tenant}." in out and "not shown again" in out
    assert run("user", "roles", tenant, "li", "--role", "sitee_engineer")[0] == 1
    assert run("user", "roles", tenant, "li", "--role", "labor_clerk") == (0, "li: labor_clerk\n")
    code, out = run("user", "deactivate", tenant, "boss")
    assert code == 1 and "last active administrator" in out
    assert run("user", "deactivate", tenant, "li") == (0, "deactivated li\n")
    code, out = run("user", "list", tenant)
    assert "li\tdeactivated\tlabor_clerk\t李工" in out and "seats: 1 of unlimited in use" in out
    assert run("user", "activate", tenant, "li")[0] == 0
    code, out = run("user", "reset", tenant, "li")
    assert code == 0 and "one-time link" in out
