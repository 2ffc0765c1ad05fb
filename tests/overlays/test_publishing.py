"""Publishing design.md's example overlay on the labor module: dry run, publish, old and new records, rollback."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import tenancy
from engine.customization.overlays import Overlay, read_overlay
from engine.errors import Conflict, DeclarationError, NotFound, PermissionDenied
from engine.runtime import Formwork
from engine.security import audit
from engine.storage.indexes import index_names, tenant_index_prefix
from engine.storage.models import AuditEntry
from tests.conftest import decide, errors_of, new_tenant_id, tasks
from tests.modules.test_labor import create_ticket, submit, ticket_body, world  # noqa: F401 - fixture

OVERLAY = Path(__file__).parent / "fixtures" / "overlay.yaml"
TICKETS = "/records/labor/day_labor_ticket"


def admin(tenant: str) -> tenancy.Actor:
    return tenancy.Actor(tenant_id=tenant, username="boss", roles=frozenset({"admin"}))


def labor(engine: Formwork, tenant: str) -> Any:
    with engine.db.tenant(tenant) as session:
        return engine.tenant_modules(session, tenant)[0]["labor"]


@pytest.fixture
def before(world: dict[str, Any]) -> dict[str, Any]:  # noqa: F811 - the labor world fixture
    """Tickets written on the catalog version: a valid draft, two the new rule refuses, one in review."""
    cost = world["users"]["cost"]
    made = {
        "draft": create_ticket(cost, ticket_body(world, 1)),
        "big": create_ticket(cost, ticket_body(world, 2, headcount=60)),
        "bigger": create_ticket(cost, ticket_body(world, 3, headcount=55)),
        "review": create_ticket(cost, ticket_body(world, 4)),
    }
    submit(cost, "day_labor_ticket", made["review"]["id"])
    return made


def test_the_dry_run_counts_what_publishing_does_and_changes_nothing(engine: Formwork, tenant: str,
                                                                     world: dict[str, Any],  # noqa: F811
                                                                     before: dict[str, Any]) -> None:
    with engine.adjustments(admin(tenant)) as service:
        report = service.dry_run("labor", read_overlay(OVERLAY))
    assert (report["from_version"], report["to_version"], report["published"]) == ("1.6.0", "1.6.0+t1", False)
    records = report["records"]
    assert {k: records[k] for k in ("checked", "migrated", "kept", "invalid")} == {
        "checked": 4, "migrated": 1, "kept": 1, "invalid": 2}
    [reason] = records["invalid_reasons"]
    assert (reason["entity"], reason["field"], reason["count"]) == ("day_labor_ticket", "headcount", 2)
    assert reason["reason"] == "Too many people"
    assert set(reason["sample_ids"]) == {before["big"]["id"], before["bigger"]["id"]}
    [instance] = report["approvals"]["instances"]
    assert instance["record_id"] == before["review"]["id"] and instance["process_changes"] is True
    assert report["approvals"]["on_replaced_process"] == 1
    ticket = report["diff"]["entities"]["day_labor_ticket"]
    assert ticket["fields_added"] == ["weather"]
    assert ticket["fields_changed"]["location"]["label"]["to"] == {"zh": "作业部位", "en": "Work area"}
    assert ticket["fields_changed"]["reason"]["hidden"] == {"from": False, "to": True}
    assert [rule["assert"] for rule in ticket["rules_added"]] == ["headcount <= 50"]
    assert ticket["workflow"]["to"] == "approvals/ticket_v2.bpmn"
    assert report["diff"]["parameters"] == {"production_review_amount": {"from": 2000, "to": 3000}}
    assert report["indexes"] == {"create": [], "drop": []}
    draft = world["users"]["cost"].get(f"{TICKETS}/{before['draft']['id']}").get_json()
    assert draft["schema_version"] == "1.6.0" and "weather" not in draft["data"]
    assert labor(engine, tenant).version == "1.6.0"
    with engine.db.tenant(tenant) as session:
        assert session.query(AuditEntry).filter_by(action="module.published").count() == 0


def test_publishing_migrates_valid_drafts_and_leaves_the_rest_on_their_version(
        engine: Formwork, tenant: str, world: dict[str, Any], before: dict[str, Any]) -> None:  # noqa: F811
    users = world["users"]
    cost = users["cost"]
    with engine.adjustments(admin(tenant)) as service:
        report = service.publish("labor", read_overlay(OVERLAY))
    assert report["published"] is True and report["records"]["migrated"] == 1
    spec = labor(engine, tenant)
    assert spec.version == "1.6.0+t1" and spec.parameters["production_review_amount"].default == 3000
    migrated = cost.get(f"{TICKETS}/{before['draft']['id']}").get_json()
    assert (migrated["schema_version"], migrated["data"]["weather"]) == ("1.6.0+t1", "sunny")
    big = cost.get(f"{TICKETS}/{before['big']['id']}").get_json()
    assert (big["schema_version"], big["data"]["headcount"]) == ("1.6.0", 60)   # still readable, untouched
    assert errors_of(cost.patch(f"{TICKETS}/{big['id']}", {"version": big["version"], "data": {"remark": "x"}})) \
        == {"headcount": "Too many people"}
    fixed = cost.patch(f"{TICKETS}/{big['id']}", {"version": big["version"], "data": {"headcount": 40}})
    assert fixed.status_code == 200 and fixed.get_json()["schema_version"] == "1.6.0+t1"
    with engine.db.tenant(tenant) as session:
        [entry] = session.query(AuditEntry).filter_by(action="module.published").all()
        assert entry.after is not None and entry.after["version"] == "1.6.0+t1"

    fresh = create_ticket(cost, ticket_body(world, 7))
    assert (fresh["schema_version"], fresh["data"]["weather"]) == ("1.6.0+t1", "sunny")
    assert errors_of(cost.post(TICKETS, ticket_body(world, 8, headcount=51))) == {"headcount": "Too many people"}
    assert "weather" in errors_of(cost.post(TICKETS, ticket_body(world, 8, weather="snow")))
    described = cost.get("/modules").get_json()["modules"]
    fields = next(m for m in described if m["name"] == "labor")["entities"]["day_labor_ticket"]["fields"]
    assert fields["location"]["label"]["en"] == "Work area" and fields["reason"]["hidden"] is True


def test_an_approval_finishes_on_the_process_it_started_with(engine: Formwork, tenant: str,
                                                             world: dict[str, Any],  # noqa: F811
                                                             before: dict[str, Any]) -> None:
    users = world["users"]
    with engine.adjustments(admin(tenant)) as service:
        service.publish("labor", read_overlay(OVERLAY))
    assert decide(users["site"], before["review"]["id"])["status"] == "signed"       # the old one-step process
    after = create_ticket(users["cost"], ticket_body(world, 5))
    submit(users["cost"], "day_labor_ticket", after["id"])
    assert decide(users["site"], after["id"])["status"] == "in_review"               # ticket_v2 adds a level
    [task] = tasks(users["pm"], after["id"])
    assert task["title"] == "项目经理审批"
    assert decide(users["pm"], after["id"])["status"] == "signed"


def test_another_tenant_keeps_the_catalog_version(engine: Formwork, tenant: str) -> None:
    other = new_tenant_id()
    installed = engine.catalog.modules()
    with engine.db.tenant(other) as session:
        tenancy.create_tenant(session, other, plan="enterprise")
        for name in installed:
            tenancy.set_module_enabled(session, other, name, True, installed)
    with engine.adjustments(admin(tenant)) as service:
        service.publish("labor", read_overlay(OVERLAY))
    mine, theirs = labor(engine, tenant), labor(engine, other)
    assert (mine.version, theirs.version) == ("1.6.0+t1", "1.6.0")
    assert "weather" not in theirs.entities["day_labor_ticket"].fields
    assert theirs.entities["day_labor_ticket"].fields["location"].label.en == "Work area"  # labor's own en label
    assert theirs.entities["day_labor_ticket"].fields["location"].label.zh == "施工部位"


def test_rollback_restores_the_previous_version(engine: Formwork, tenant: str, world: dict[str, Any],  # noqa: F811
                                                before: dict[str, Any]) -> None:
    users = world["users"]
    cost = users["cost"]
    overlay = read_overlay(OVERLAY)
    relabel = Overlay(overlay.origin, {**overlay.files, "overlay.yaml": overlay.text.replace("作业部位", "作业区域")})
    with engine.adjustments(admin(tenant)) as service:
        service.publish("labor", overlay)
    with engine.adjustments(admin(tenant)) as service:
        assert service.publish("labor", relabel)["to_version"] == "1.6.0+t2"
    with engine.adjustments(admin(tenant)) as service:
        back = service.rollback("labor")
        assert (back["from_version"], back["to_version"]) == ("1.6.0+t2", "1.6.0+t1")
        assert [(v["version"], v["state"]) for v in service.history("labor")] == [
            ("1.6.0", "catalog"), ("1.6.0+t1", "current"), ("1.6.0+t2", "rolled_back")]
        changed = service.version_diff("labor", "1.6.0+t2")["entities"]["day_labor_ticket"]["fields_changed"]
        assert changed["location"]["label"]["to"]["zh"] == "作业区域"
    with engine.adjustments(admin(tenant)) as service:
        assert service.rollback("labor")["to_version"] == "1.6.0"
    assert labor(engine, tenant).version == "1.6.0"
    fresh = create_ticket(cost, ticket_body(world, 6, headcount=60))      # the rule is gone again
    assert fresh["schema_version"] == "1.6.0" and "weather" not in fresh["data"]
    assert cost.get(f"{TICKETS}/{before['draft']['id']}").get_json()["schema_version"] == "1.6.0+t2"  # as written
    small = create_ticket(cost, ticket_body(world, 9))
    submit(cost, "day_labor_ticket", small["id"])
    assert decide(users["site"], small["id"])["status"] == "signed"      # the catalog's process again
    with engine.adjustments(admin(tenant)) as service, pytest.raises(Conflict, match="no tenant version to roll back"):
        service.rollback("labor")


def test_only_tenant_administrators_adjust_modules(engine: Formwork, tenant: str) -> None:
    clerk = tenancy.Actor(tenant_id=tenant, username="clerk", roles=frozenset({"labor_clerk"}))
    with pytest.raises(PermissionDenied, match="tenant administrators"), engine.adjustments(clerk):
        pass


def test_unknown_module_and_wrong_base_version_are_clear_errors(engine: Formwork, tenant: str) -> None:
    overlay = read_overlay(OVERLAY)
    with engine.adjustments(admin(tenant)) as service:
        with pytest.raises(NotFound, match=r"'labour' is not enabled for this tenant \(did you mean 'labor'\?\)"):
            service.validate("labour", overlay)
        stale = Overlay(overlay.origin, {**overlay.files, "overlay.yaml": overlay.text.replace(
            "base_version: 1.6.0", "base_version: 0.9.0")})
        with pytest.raises(DeclarationError, match=r"overlay.yaml:3:15: the overlay was written against labor 0.9.0"):
            service.plan("labor", stale)
        assert str(service.validate("cost", overlay)[0]).endswith(
            "overlay.yaml:2:10: this overlay adjusts 'labor', but it is applied to module 'cost'; write "
            "'overlay: cost' or apply it to its module")



def test_a_field_the_overlay_indexes_gets_a_tenant_index_that_rollback_drops(engine: Formwork, tenant: str) -> None:
    overlay = read_overlay(OVERLAY)
    indexed = Overlay(overlay.origin, {**overlay.files, "overlay.yaml": overlay.text.replace(
        "default: sunny,", "default: sunny, unique: true,")})

    def tenant_indexes() -> list[str]:
        with engine.db.tenant(tenant) as session:
            return [name for name in index_names(session.connection())
                    if name.startswith(tenant_index_prefix(tenant, "labor"))]

    with engine.adjustments(admin(tenant)) as service:
        assert service.dry_run("labor", indexed)["indexes"] == {"create": ["day_labor_ticket.weather (unique)"],
                                                                "drop": []}
    assert tenant_indexes() == []
    with engine.adjustments(admin(tenant)) as service:
        service.publish("labor", indexed)
    [name] = tenant_indexes()
    with engine.adjustments(admin(tenant)) as service:
        assert service.dry_run("labor", overlay)["indexes"] == {"create": [], "drop": [name]}
        service.rollback("labor")
    assert tenant_indexes() == []
    with engine.db.tenant(tenant) as session:
        assert audit.verify(session, tenant) == []


def test_problems_of_the_overlays_bpmn_name_its_file_and_line(engine: Formwork, tenant: str) -> None:
    overlay = read_overlay(OVERLAY)
    bpmn = "approvals/ticket_v2.bpmn"
    broken = Overlay(overlay.origin, {**overlay.files, bpmn: overlay.files[bpmn].replace(
        'camunda:candidateGroups="project_manager"', 'camunda:candidateGroups="project_manger"')})
    with engine.adjustments(admin(tenant)) as service:
        [problem] = service.validate("labor", broken)
    assert problem.file == f"{OVERLAY.parent}/{bpmn}" and problem.line == 17
    assert "project_manger" in problem.message and "did you mean 'project_manager'" in problem.message


def test_a_parameter_the_tenant_set_itself_wins_and_the_dry_run_says_so(engine: Formwork, tenant: str) -> None:
    with engine.db.tenant(tenant) as session:
        tenancy.set_parameter(session, tenant, "labor", "production_review_amount", "5000", engine.catalog.modules())
    with engine.adjustments(admin(tenant)) as service:
        [warning] = service.dry_run("labor", read_overlay(OVERLAY))["warnings"]
    assert warning.startswith("parameter 'production_review_amount' is set to ") and "takes precedence" in warning
