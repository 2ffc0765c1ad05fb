"""Bulk import (engine.records.bulk): the CLI, the API, all rows or none, permissions, unique values, deferred
attachments, the audit chain and progress, on SQLite and PostgreSQL."""
from __future__ import annotations

import io
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import select

from app import cli, create_app
from engine import tenancy
from engine.customization.overlays import MAIN, Overlay
from engine.declarations.loader import validate_paths
from engine.records.bulk.importer import BulkImport, ImportRejected
from engine.records.bulk.sheets import read_sheet
from engine.runtime import Formwork
from engine.security import audit
from engine.storage import summaries
from engine.storage.models import AuditEntry
from tests.conftest import PASSWORD, add_user, login, new_tenant_id

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from imports import HEADER, workbook

TRADES = "trade_key,trade_name,skill_level,guide_price\n"


def csv_bytes(*lines: str) -> bytes:
    return (TRADES + "".join(line + "\n" for line in lines)).encode("utf-8")


def trades(engine: Formwork, tenant: str) -> list[str]:
    admin = tenancy.Actor(tenant_id=tenant, username="system", roles=frozenset({"admin"}))
    with engine.records(admin) as records:
        return sorted(r["data"]["trade_key"] for r in records.find("base", "trade", limit=500).items)


def import_trades(engine: Formwork, actor: tenancy.Actor, data: bytes, **options: Any) -> Any:
    with engine.records(actor) as records:
        return BulkImport(records, "base", "trade", **options).run(read_sheet(data, "trades.csv"))


def test_all_rows_or_none_and_the_report_of_every_row(engine: Formwork, tenant: str) -> None:
    admin = add_user(engine, tenant, "boss", "system_admin")
    before = trades(engine, tenant)
    with pytest.raises(ImportRejected) as rejected:
        import_trades(engine, admin, csv_bytes("mason,瓦工,技工,380", "painter,油漆工,普工,-5", "BAD KEY,木工,技工,1"))
    found = {(e.row, e.field, e.code) for e in rejected.value.rows}
    assert (3, "guide_price", "min") in found and (4, "trade_key", "pattern_example") in found
    assert all(e.row != 2 for e in rejected.value.rows)
    assert trades(engine, tenant) == before   # nothing written, the valid row included
    outcome = import_trades(engine, admin, csv_bytes("mason,瓦工,技工,380", "painter,油漆工,普工,300"))
    assert outcome.imported == 2 and {"mason", "painter"} <= set(trades(engine, tenant))


def test_unique_values_repeated_in_the_file_and_held_by_stored_records(engine: Formwork, tenant: str) -> None:
    admin = add_user(engine, tenant, "boss", "system_admin")
    import_trades(engine, admin, csv_bytes("mason,瓦工,技工,380"))
    with pytest.raises(ImportRejected) as rejected:
        import_trades(engine, admin, csv_bytes("mason,泥工,技工,380", "rebar,钢筋工,技工,400", "rebar2,钢筋工,技工,1"))
    found = {(e.row, e.field, e.code) for e in rejected.value.rows}
    assert (2, "trade_key", "unique") in found
    assert (4, "trade_name", "duplicate_in_file") in found


def test_batches_share_the_file_s_unique_values_and_report_progress(engine: Formwork, tenant: str) -> None:
    admin = add_user(engine, tenant, "boss", "system_admin")
    seen: list[tuple[int, int, int]] = []
    lines = [f"t{i},工种{i},普工,{i}" for i in range(7)]
    outcome = import_trades(engine, admin, csv_bytes(*lines), batch=3,
                            progress=lambda *step: seen.append(step))
    assert outcome.imported == 7
    assert seen == [(3, 3, 7), (6, 6, 7), (7, 7, 7)]
    with pytest.raises(ImportRejected) as rejected:   # a repeat in a later batch than its first row
        import_trades(engine, admin, csv_bytes("u1,甲,普工,1", "u2,乙,普工,1", "u3,丙,普工,1", "u1,丁,普工,1"), batch=2)
    assert {(e.row, e.code) for e in rejected.value.rows} == {(5, "duplicate_in_file")}
    assert "u2" not in trades(engine, tenant)


def test_hidden_and_unknown_columns_are_refused(engine: Formwork, tenant: str) -> None:
    admin = add_user(engine, tenant, "boss", "system_admin")
    data = b"trade_key,trade_name,skill_level,nonsense\nx,y,skilled,1\n"
    with pytest.raises(ImportRejected) as rejected:
        import_trades(engine, admin, data)
    assert [(e.row, e.code) for e in rejected.value.rows] == [(1, "import_column_unknown")]


# --- 点工单: the labor module's day-labor tickets, set up as bench/imports.py sets them up --------------------

@pytest.fixture
def labor(engine: Formwork) -> tuple[str, dict[str, Any]]:
    """A tenant with a project, its crew, trade and cost account, whose tickets leave photos for later."""
    return labor_tenant(engine, deferred=True)


def labor_tenant(engine: Formwork, *, deferred: bool) -> tuple[str, dict[str, Any]]:
    tenant = new_tenant_id()
    installed = engine.catalog.modules()
    with engine.db.tenant(tenant) as session:
        tenancy.create_tenant(session, tenant, plan="enterprise")
        for name in installed:
            tenancy.set_module_enabled(session, tenant, name, True, installed)
        for username, role in (("ann", "system_admin"), ("cost", "project_cost_engineer"),
                               ("site", "site_engineer"), ("reader", "cost_manager")):
            tenancy.add_user(session, tenant, username, PASSWORD, [role])
    admin = tenancy.Actor(tenant_id=tenant, username="ann", roles=frozenset({"admin"}))
    with engine.adjustments(admin) as service:
        text = ("overlay: labor\nbase_version: " + service.modules["labor"].version + "\nentities:\n"
                "  day_labor_ticket:\n    import: {defer_required: [photos, crew_leader_signature]}\n")
        if deferred:
            service.publish("labor", Overlay("overlay.yaml", {MAIN: text}))
    with engine.records(tenancy.Actor(tenant_id=tenant, username="ann", roles=frozenset({"system_admin"}))) as r:
        def create(entity: str, data: dict[str, Any]) -> str:
            return str(r.create("base", entity, data)["id"])

        org = create("org_unit", {"unit_code": "ORG-1", "unit_name": "Branch"})
        owner = create("party", {"party_name": "Owner", "party_type": ["owner"], "credit_code": "91350100M000100Y43"})
        project = create("project", {
            "project_code": "XM-0001", "project_name": "Bench", "project_type": "building",
            "contract_mode": "general_contracting", "owner_party": owner, "org_unit": org, "project_manager": "ann",
            "contract_amount": "10000000.00", "planned_start_date": "2024-01-01", "planned_finish_date": "2025-12-31",
            "members": [{"user": "ann", "position": "project_manager"},
                        {"user": "cost", "position": "project_cost_engineer"}]})
        company = create("party", {"party_name": "鑫源劳务", "party_type": ["labor_company"],
                                   "credit_code": "91350105MA31ABCD5X"})
        trade = create("trade", {"trade_key": "carpenter", "trade_name": "木工", "skill_level": "skilled",
                                 "guide_price": "400"})
        crew = create("crew", {"project": project, "crew_name": "木工一班", "crew_leader_name": "班组长",
                        "crew_leader_phone": "13800000001", "crew_leader_id_no": "510321198503121234",
                        "labor_company": company, "main_trade": trade})
        create("cost_account", {"account_code": "0102", "account_name": "点工/零星用工", "cost_element": "labor"})
    return tenant, {"project": project, "crew": crew, "trade": trade}


def ticket_book(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def post_file(client: FlaskClient, headers: dict[str, str], data: bytes, name: str = "tickets.xlsx",
              **form: str) -> Any:
    return client.post("/api/v1/records/labor/day_labor_ticket/import?lang=zh", headers=headers,
                       data={"file": (io.BytesIO(data), name), **form}, content_type="multipart/form-data")


def test_the_api_imports_tickets_leaving_photos_for_later_and_the_chain_verifies(
        engine: Formwork, labor: tuple[str, dict[str, Any]]) -> None:
    tenant, _world = labor
    client = create_app(engine, TESTING=True).test_client()
    api = login(client, tenant, "cost")
    checked = post_file(client, api.headers, workbook(12), dry_run="true")
    assert checked.status_code == 200, checked.get_json()
    assert checked.get_json() == {"imported": 0, "checked": 12, "dry_run": True}
    assert api.get("/records/labor/day_labor_ticket").get_json()["total"] == 0
    response = post_file(client, api.headers, workbook(12))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["imported"] == 12
    listed = api.get("/records/labor/day_labor_ticket?limit=50").get_json()
    assert listed["total"] == 12
    first = listed["items"][0]["data"]
    assert first["ticket_no"].startswith("DG-XM-0001-") and "photos" not in first and first["man_days"] is not None
    history = api.get(f"/records/labor/day_labor_ticket/{listed['items'][0]['id']}/history").get_json()
    assert history
    with engine.db.tenant(tenant) as session:
        assert audit.verify(session, tenant) == []
    numbers = sorted(item["data"]["ticket_no"] for item in listed["items"])
    assert len(set(numbers)) == 12


def test_the_api_reports_rows_with_their_chinese_messages(engine: Formwork,
                                                          labor: tuple[str, dict[str, Any]]) -> None:
    tenant, _world = labor
    client = create_app(engine, TESTING=True).test_client()
    api = login(client, tenant, "cost")
    yesterday = date.today() - timedelta(days=1)
    good = ["Bench", yesterday, "木工一班", "木工", "1#楼", "清理/杂活", "模板拆除后楼层垃圾清理外运", "清理", 2, 1, 0]
    bad = ["Bench", yesterday, "木工一班", "木工", "1#楼", "清理/杂活", "太短", "清理", 0, 1, 0]
    response = post_file(client, api.headers, ticket_book([good, bad, good]))
    assert response.status_code == 422
    rows = response.get_json()["rows"]
    assert {(r["row"], r["field"], r["code"]) for r in rows} == {(3, "reason", "min_length"),
                                                                 (3, "headcount", "min")}
    assert all(r["message"] and r["column"] for r in rows)
    assert api.get("/records/labor/day_labor_ticket").get_json()["total"] == 0


def test_permissions_create_right_hidden_columns_and_row_filters(engine: Formwork,
                                                                 labor: tuple[str, dict[str, Any]]) -> None:
    tenant, _world = labor
    client = create_app(engine, TESTING=True).test_client()
    reader = login(client, tenant, "reader")
    assert post_file(client, reader.headers, workbook(2)).status_code == 403
    site = login(client, tenant, "site")
    hidden = post_file(client, site.headers, ticket_book([], [*HEADER, "unit_price"]))
    assert hidden.status_code == 422
    assert [r["code"] for r in hidden.get_json()["rows"]] == ["import_column_not_importable"]
    world = labor[1]   # by id: the site engineer, no member of the project, cannot find it by its name
    row = [world["project"], date.today() - timedelta(days=1), world["crew"], world["trade"], "1#楼", "清理/杂活",
           "模板拆除后楼层垃圾清理外运", "清理", 2, 1, 0]
    outside = post_file(client, site.headers, ticket_book([row]))
    assert outside.status_code == 422
    assert {"import_outside_rows"} <= {r["code"] for r in outside.get_json()["rows"]}


def test_a_large_file_runs_as_a_job_whose_progress_is_polled(engine: Formwork,
                                                              labor: tuple[str, dict[str, Any]]) -> None:
    tenant, _world = labor
    client = create_app(engine, TESTING=True, FORMWORK_IMPORT_SYNC_ROWS=5).test_client()
    api = login(client, tenant, "cost")
    response = post_file(client, api.headers, workbook(8))
    assert response.status_code == 202, response.get_json()
    url = response.get_json()["url"].removeprefix("/api/v1")
    for _attempt in range(600):
        state = api.get(url).get_json()
        if state["state"] != "running":
            break
        time.sleep(0.1)
    assert state["state"] == "done", state
    assert state["imported"] == 8 and state["written"] == 8 and state["total"] == 8
    assert login(client, tenant, "site").get(url).status_code == 404   # another user's job


def test_the_cli_imports_or_reports_and_exits_non_zero(engine: Formwork, labor: tuple[str, dict[str, Any]],
                                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, _world = labor
    monkeypatch.setenv("FORMWORK_DATABASE_URL", str(engine.db.engine.url.render_as_string(hide_password=False)))
    good = tmp_path / "tickets.xlsx"
    good.write_bytes(workbook(3))
    runner = CliRunner()
    dry = runner.invoke(cli, ["import-rows", tenant, "labor.day_labor_ticket", str(good), "--user", "cost",
                              "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "3 rows checked" in dry.output and "3/3 rows checked" in dry.output
    done = runner.invoke(cli, ["import-rows", tenant, "labor.day_labor_ticket", str(good), "--user", "cost"])
    assert done.exit_code == 0, done.output
    assert "3 records imported" in done.output
    verified = runner.invoke(cli, ["audit", "verify", tenant])
    assert verified.exit_code == 0 and "audit chain intact" in verified.output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(ticket_book([["Bench", date.today() - timedelta(days=1), "木工一班", "木工", "1#楼", "清理/杂活",
                                  "太短", "清理", 2, 1, 0]]))
    failed = runner.invoke(cli, ["import-rows", tenant, "labor.day_labor_ticket", str(bad), "--user", "cost"])
    assert failed.exit_code == 1
    assert "第 2 行 [事由说明] min_length" in failed.output
    refused = runner.invoke(cli, ["import-rows", tenant, "labor.day_labor_ticket", str(good), "--user", "reader"])
    assert refused.exit_code == 1


MODULE = """module: stock
version: 1.0.0
title: {zh: 库存, en: Stock}
entities:
  item:
    title: {zh: 物料, en: Item}
    fields:
      name: {type: text, required: true, label: {zh: 名称, en: Name}}
      photo: {type: attachment, required: true, label: {zh: 照片, en: Photo}}
      sketch: {type: attachment, label: {zh: 草图, en: Sketch}}
    import: {defer_required: [photo, sketch, nmae]}
"""


def test_import_declaration_names_required_attachments_only(tmp_path: Path) -> None:
    (tmp_path / "stock").mkdir()
    (tmp_path / "stock" / "module.yaml").write_text(MODULE, encoding="utf-8")
    problems = [str(p) for p in validate_paths([tmp_path / "stock"])]
    assert any(":11:" in p and "'sketch', which is not a required attachment" in p for p in problems), problems
    assert any("'nmae', which is not a field" in p and "did you mean 'name'" in p for p in problems), problems
    assert not any("'photo'" in p for p in problems), problems


def test_an_entity_whose_process_starts_at_create_is_written_by_the_single_create(engine: Formwork,
                                                                                  tenant: str) -> None:
    admin = add_user(engine, tenant, "boss", "admin")
    with engine.approvals(admin) as service:
        outcome = BulkImport(service.records, "visa", "escalating", create=service.create).run(
            read_sheet(b"code,total\nV-1,100\nV-2,200\n", "visas.csv"))
    assert outcome.imported == 2
    with engine.records(admin) as records:
        statuses = {r["data"]["code"]: r["status"] for r in records.find("visa", "escalating").items}
    assert statuses == {"V-1": "in_review", "V-2": "in_review"}   # each started its process, as a create does


def test_without_the_declaration_imported_rows_need_their_attachments(engine: Formwork) -> None:
    tenant, _world = labor_tenant(engine, deferred=False)
    cost = tenancy.Actor(tenant_id=tenant, username="cost", roles=frozenset({"project_cost_engineer"}))
    with engine.approvals(cost) as service, pytest.raises(ImportRejected) as rejected:
        BulkImport(service.records, "labor", "day_labor_ticket").run(read_sheet(workbook(2), "t.xlsx"))
    assert {(e.row, e.field, e.code) for e in rejected.value.rows} >= {(2, "photos", "required"),
                                                                      (3, "crew_leader_signature", "required")}


def test_csv_in_gb18030_and_a_header_below_empty_rows_are_read() -> None:
    sheet = read_sheet("\n,,\n工种键,工种名称\nmason,瓦工\n".encode("gb18030"), "trades.csv")
    assert sheet.header == ["工种键", "工种名称"] and sheet.header_row == 3
    assert list(sheet.rows) == [(4, ["mason", "瓦工"])]


def test_a_few_hundred_rows_go_in_with_copy_and_the_chain_still_verifies(engine: Formwork, tenant: str) -> None:
    admin = add_user(engine, tenant, "boss", "system_admin")
    outcome = import_trades(engine, admin, csv_bytes(*(f"k{i},工种{i},普工,{i}" for i in range(250))), batch=120)
    assert outcome.imported == 250 and len(trades(engine, tenant)) >= 250
    with engine.db.tenant(tenant) as session:
        assert audit.verify(session, tenant) == []
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "record.create")).all()
    assert {entry.target_id for entry in entries} >= set(outcome.ids)
    with engine.db.tenant(tenant) as session:  # the dashboard's kept counts hold the rows COPY wrote
        assert summaries.matches(session.connection(), tenant)
