"""Excel import through the pages: upload, column mapping, checked preview, one-transaction import."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import date
from html import unescape
from pathlib import Path

from flask import Flask

from engine import tenancy
from engine.records import imports
from engine.runtime import Formwork
from tests.conftest import add_user, api_creator, login, new_project
from tests.excel.conftest import (
    add_orders,
    bomb,
    fetch,
    sheet_rows,
    supplier_ids,
    upload,
    visitor,
    wait_until_finished,
    workbook,
)
from tests.web.conftest import Visitor

HEADER = ["订单号", "Supplier", "下单日期", "kind", "金额", "采购员", "标记", "Remarks"]


def orders_of(engine: Formwork, tenant: str) -> list[dict[str, object]]:
    boss = tenancy.Actor(tenant, "boss", frozenset({"admin"}))
    with engine.records(boss) as records:
        return records.find("sheetshop", "order", sort="number", limit=500).items


def mapped(user: Visitor, content: bytes, entity: str = "sheetshop/order") -> str:
    """Upload a workbook; the mapping step's URL."""
    response = upload(user, content, entity=entity)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.location


def mapping_of(html: str) -> dict[str, str]:
    """Each column's chosen field in the mapping form."""
    chosen = {}
    for position, body in re.findall(r'<select id="col(\d+)" name="col\d+" data-mapping>(.*?)</select>', html, re.S):
        match = re.search(r'<option value="([^"]*)" selected>', body)
        chosen[position] = match.group(1) if match else ""
    return chosen


def check(user: Visitor, step: str, mapping: dict[str, str]) -> str:
    response = user.post(step + "/check", mapping)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    wait_until_finished(user, step)
    return user.text(step)


def test_columns_are_matched_by_zh_or_en_label_or_key(app: Flask, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    step = mapped(clerk, workbook(HEADER, [["PO-1", "Acme 建材", date(2024, 5, 1), "货物", 10, "clerk", "", "x"]]))
    html = clerk.text(step)
    assert mapping_of(html) == {"0": "number", "1": "supplier", "2": "ordered_on", "3": "kind", "4": "amount",
                                "5": "buyer", "6": "flags", "7": ""}
    assert "Floor price" in html                              # the clerk may write it
    assert visitor(app, shop, "boss").get(step).status_code == 404   # another user's import is not theirs to see


def test_rows_are_converted_checked_and_imported_in_one_go(app: Flask, engine: Formwork, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    rows = [
        ["PO-1", "Acme 建材", date(2024, 5, 1), "货物", 1234.5, "Vera Viewer", "加急、Fragile", ""],
        ["PO-2", "S-02", "2024年5月3日", "Service", "12,345.60", "clerk", "", ""],
        ["PO-3", "Beta Steel", "2024/05/04", "service", "0", "", "", ""],
    ]
    step = mapped(clerk, workbook(HEADER, rows))
    html = check(clerk, step, {f"col{p}": f for p, f in mapping_of(clerk.text(step)).items()})
    assert "3 rows can be imported" in html and "0 rows have problems" in html
    response = clerk.post(step + "/run")
    assert response.status_code == 200 and "data-progress-url" in response.get_data(as_text=True)
    assert wait_until_finished(clerk, step)["last"]["state"] == "done"
    assert "3 records imported." in clerk.text(step)
    stored = orders_of(engine, shop)
    assert [o["data"]["number"] for o in stored] == ["PO-1", "PO-2", "PO-3"]
    first, second, _third = (o["data"] for o in stored)
    assert first["amount"] == "1234.50" and first["ordered_on"] == "2024-05-01" and first["kind"] == "goods"
    assert first["buyer"] == "viewer" and first["flags"] == ["urgent", "fragile"]
    assert second["amount"] == "12345.60" and second["ordered_on"] == "2024-05-03" and second["kind"] == "service"
    assert stored[0]["created_by"] == "clerk"


def test_a_preview_shows_each_rows_errors_and_writes_nothing(app: Flask, engine: Formwork, shop: str) -> None:
    add_orders(engine, shop, [{"number": "PO-OLD", "ordered_on": "2024-01-01"}])
    clerk = visitor(app, shop, "clerk")
    rows = [
        ["PO-1", "Acme 建材", date(2024, 5, 1), "货物", 10, "", "", ""],
        ["PO-OLD", "Acme 建材", date(2024, 5, 1), "货物", 10, "", "", ""],      # used in the database
        ["PO-3", "Nobody Ltd", "not a date", "bulk", 5, "", "", ""],            # three problems
        ["PO-1", "Beta Steel", date(2024, 5, 1), "", -1, "", "", ""],            # repeats row 2; below the minimum
    ]
    step = mapped(clerk, workbook(HEADER, rows))
    html = unescape(check(clerk, step, {f"col{p}": f for p, f in mapping_of(clerk.text(step)).items()}))
    assert "1 rows can be imported" in html and "3 rows have problems" in html
    problems = {int(n): body for n, body in re.findall(r'data-row-number="(\d+)">(.*?)</tr>', html, re.S)}
    assert "Order number: 'PO-OLD' is already used by another Order" in problems[3]
    assert "Supplier: no Supplier is called 'Nobody Ltd'" in problems[4]
    assert "Ordered on: must be a date like 2024-05-31, not 'not a date'" in problems[4]
    assert "Kind: 'bulk' is not one of goods, service" in problems[4]
    assert "Amount: must be at least 0" in problems[5]
    assert "Order number: 'PO-1' is already used by row 2 of this file" in problems[5]
    assert "✓" in problems[2]
    assert [o["data"]["number"] for o in orders_of(engine, shop)] == ["PO-OLD"]

    report = fetch(clerk, step + "/errors.xlsx")
    assert report.status_code == 200
    lines = sheet_rows(report.data)
    assert lines[0] == [*HEADER, "Row", "Errors"]
    assert [line[0] for line in lines[1:]] == ["PO-OLD", "PO-3", "PO-1"]
    assert "Supplier: no Supplier is called 'Nobody Ltd'" in lines[2][-1] and lines[2][-2] == 4

    assert clerk.post(step + "/run").status_code == 200
    assert wait_until_finished(clerk, step)["last"]["state"] == "done"
    assert [o["data"]["number"] for o in orders_of(engine, shop)] == ["PO-1", "PO-OLD"]


def test_errors_are_shown_in_chinese_for_chinese_users(app: Flask, shop: str) -> None:
    clerk = visitor(app, shop, "clerk", language="zh")
    step = mapped(clerk, workbook(HEADER, [["", "Acme 建材", date(2024, 5, 1), "货物", 1, "", "", ""],
                                           ["PO-2", "Acme 建材", date(2024, 5, 1), "货物", "abc", "", "", ""]]))
    html = check(clerk, step, {f"col{p}": f for p, f in mapping_of(clerk.text(step)).items()})
    assert "2 行有错误" in html and "订单号：必填" in html and "金额：须为数字" in html


def test_an_import_that_fails_midway_writes_nothing(app: Flask, engine: Formwork, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    step = mapped(clerk, workbook(HEADER, [[f"PO-{n}", "Acme 建材", date(2024, 5, 1), "", 1, "", "", ""]
                                           for n in range(1, 4)]))
    check(clerk, step, {f"col{p}": f for p, f in mapping_of(clerk.text(step)).items()})
    add_orders(engine, shop, [{"number": "PO-3", "ordered_on": "2024-01-01"}])   # someone was quicker
    clerk.post(step + "/run")
    assert wait_until_finished(clerk, step)["last"]["state"] == "failed"
    html = unescape(clerk.text(step))
    assert "Row 4 could not be imported; no record was written:" in html
    assert "'PO-3' is already used by another Order" in html
    assert [o["data"]["number"] for o in orders_of(engine, shop)] == ["PO-3"]


def test_the_mapping_can_be_changed_and_must_be_sensible(app: Flask, engine: Formwork, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    step = mapped(clerk, workbook(["A", "B", "C", "D"], [["PO-9", "Beta Steel", "2024-06-01", "77"]]))
    assert set(mapping_of(clerk.text(step)).values()) == {""}
    twice = clerk.post(step + "/check", {"col0": "number", "col1": "number"})
    assert twice.status_code == 400 and "Each field can take only one column." in twice.get_data(as_text=True)
    html = check(clerk, step, {"col0": "number", "col1": "supplier", "col2": "ordered_on", "col3": "secret_price"})
    assert "1 rows can be imported" in html
    clerk.post(step + "/run")
    wait_until_finished(clerk, step)
    [order] = orders_of(engine, shop)
    assert order["data"]["secret_price"] == "77.00"


def test_uploads_are_checked_for_type_size_and_content(app: Flask, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    assert "Import Order" in clerk.text("/m/sheetshop/order/import")
    not_excel = upload(clerk, b"number,amount\nPO-1,3\n", name="orders.csv")
    assert not_excel.status_code == 400 and "Only Excel .xlsx files" in not_excel.get_data(as_text=True)
    fake = upload(clerk, b"PK\x03\x04 not really a zip", name="orders.xlsx")
    assert fake.status_code == 400 and "The file cannot be read" in fake.get_data(as_text=True)
    assert "at most 10 MB" in clerk.text("/m/sheetshop/order/import")
    app.config["FORMWORK_IMPORT_MAX_BYTES"] = 200 * 1024       # small enough for the test client to keep in memory
    huge = upload(clerk, b"PK\x03\x04" + b"0" * (300 * 1024), name="big.xlsx")
    assert huge.status_code == 400 and "larger than 0.2 MB" in huge.get_data(as_text=True)
    empty = upload(clerk, workbook([], []))
    assert empty.status_code == 400 and "The file holds no data." in empty.get_data(as_text=True)
    missing = clerk.post("/m/sheetshop/order/import", {}, content_type="multipart/form-data")
    assert missing.status_code == 400 and "Choose an .xlsx file" in missing.get_data(as_text=True)


def test_only_users_who_may_create_can_import(app: Flask, shop: str) -> None:
    viewer = visitor(app, shop, "viewer")
    assert viewer.get("/m/sheetshop/order/import").status_code == 403
    assert upload(viewer, workbook(HEADER, [["PO-1"]])).status_code == 403
    assert "/m/sheetshop/order/import" not in viewer.text("/m/sheetshop/order")
    clerk = visitor(app, shop, "clerk")
    assert "/m/sheetshop/order/import" in clerk.text("/m/sheetshop/order")
    assert clerk.get("/m/sheetshop/order/import/not-a-real-token-at-all").status_code == 404
    assert clerk.get("/m/sheetshop/order/import/../../etc/progress").status_code == 404


def test_export_then_import_round_trip(app: Flask, engine: Formwork, shop: str, tmp_path: object) -> None:
    add_orders(engine, shop, [{"number": f"PO-{n}", "ordered_on": f"2024-05-0{n}", "kind": "service",
                               "amount": f"{n},000.25", "buyer": "viewer", "flags": ["urgent", "fragile"],
                               "deliver_at": "2024-05-01T08:30:00+08:00"} for n in range(1, 4)])
    clerk = visitor(app, shop, "clerk", language="zh")
    cols = "number,supplier,ordered_on,kind,amount,buyer,flags,deliver_at"
    exported = fetch(clerk, f"/m/sheetshop/order/export.xlsx?cols={cols}").data
    before = {o["data"]["number"]: o["data"] for o in orders_of(engine, shop)}
    boss = tenancy.Actor(shop, "boss", frozenset({"admin"}))
    with engine.records(boss) as records:
        for item in records.find("sheetshop", "order").items:
            records.delete("sheetshop", "order", item["id"])
    step = mapped(clerk, exported)
    mapping = mapping_of(clerk.text(step))
    assert list(mapping.values()) == cols.split(",")
    html = check(clerk, step, {f"col{p}": f for p, f in mapping.items()})
    assert "3 行可导入" in html
    clerk.post(step + "/run")
    assert wait_until_finished(clerk, step)["last"]["state"] == "done"
    after = {o["data"]["number"]: o["data"] for o in orders_of(engine, shop)}
    assert after == before


def test_a_big_import_reports_its_progress(app: Flask, engine: Formwork, shop: str) -> None:
    """Big enough for three checking chunks (web/pages/import_jobs.py CHUNK), each long enough for the poll to see."""
    clerk = visitor(app, shop, "clerk")
    rows = [[f"PO-{n:05d}", "Acme 建材", date(2024, 5, 1 + n % 28), "货物", n, "", "", ""] for n in range(300)]
    step = mapped(clerk, workbook(HEADER, rows))
    clerk.post(step + "/check", {f"col{p}": f for p, f in mapping_of(clerk.text(step)).items()})
    checking = wait_until_finished(clerk, step, timeout=600)
    assert any(0 < s["done"] < 300 for s in checking["seen"]), checking["seen"][:5]
    assert "300 rows can be imported" in clerk.text(step)
    clerk.post(step + "/run")
    importing = wait_until_finished(clerk, step, timeout=600)
    assert importing["last"] == {"state": "done", "done": 300, "total": 300, "created": 300, "finished": True}
    # The bulk import checks and writes 300 rows in one batch, too fast for a poll to be sure of a step between
    # (tests/imports/test_bulk_import.py counts its progress calls); what the poll saw only ever went forward.
    seen = [(s["done"], s["created"]) for s in importing["seen"]]
    assert seen == sorted(seen) and all(created <= done for done, created in seen), seen
    boss = tenancy.Actor(shop, "boss", frozenset({"admin"}))
    with engine.records(boss) as records:
        page = records.find("sheetshop", "order", sort="-number", limit=1)
    assert page.total == 300 and page.items[0]["data"]["amount"] == "299.00"


def test_an_import_is_only_its_owners_and_runs_only_once_checked(app: Flask, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    step = mapped(clerk, workbook(HEADER, [["PO-1", "Acme 建材", date(2024, 5, 1), "货物", 1, "", "", ""]]))
    assert clerk.post(step + "/run").status_code == 409                       # not checked yet
    boss = visitor(app, shop, "boss")
    for path in ("", "/progress", "/errors.xlsx"):
        assert fetch(boss, step + path).status_code == 404
    assert boss.post(step + "/check", {"col0": "number"}).status_code == 404
    assert app.test_client().get(step + "/progress").status_code == 302       # not signed in: to the login page
    other_entity = step.replace("/order/", "/supplier/")
    assert fetch(clerk, other_entity + "/progress").status_code == 404


def test_a_built_in_entity_imports_with_projects_named_by_code_or_name(app: Flask, engine: Formwork,
                                                                        tenant: str) -> None:
    add_user(engine, tenant, "planner", "admin")
    new_project(api_creator(login(app.test_client(), tenant, "planner")), "P-001")
    planner = visitor(app, tenant, "planner", language="zh")
    header = ["计划编号", "计划名称", "项目", "计划层级"]
    step = mapped(planner, workbook(header, [["PLAN-1", "总控计划", "P-001", "总控计划"],
                                             ["PLAN-2", "五月计划", "Project P-001", "Monthly plan"],
                                             ["PLAN-3", "无此项目", "P-404", "weekly"]]),
                  entity="schedule/schedule_plan")
    html = unescape(check(planner, step, {f"col{p}": f for p, f in mapping_of(planner.text(step)).items()}))
    assert "2 行可导入" in html and "项目：找不到名为 'P-404' 的项目" in html
    planner.post(step + "/run")
    assert wait_until_finished(planner, step)["last"]["state"] == "done"
    boss = tenancy.Actor(tenant, "planner", frozenset({"admin"}))
    with engine.records(boss) as records:
        plans = records.find("schedule", "schedule_plan", sort="plan_code").items
        project = records.find("base", "project").items[0]["id"]
    assert [(p["data"]["plan_code"], p["data"]["project"], p["data"]["plan_level"]) for p in plans] == [
        ("PLAN-1", project, "master"), ("PLAN-2", project, "monthly")]


def state_files(uploads: Path) -> list[Path]:
    return sorted((uploads / "imports").rglob("*.json"))


def test_an_xlsx_bomb_is_refused_fast_with_a_clear_message_and_kept_nowhere(app: Flask, shop: str,
                                                                              tmp_path: Path) -> None:
    clerk = visitor(app, shop, "clerk", language="zh")
    started = time.monotonic()
    response = upload(clerk, bomb())
    assert response.status_code == 400 and time.monotonic() - started < 5
    assert "解压后超过 64 MB" in response.get_data(as_text=True)
    assert state_files(tmp_path / "uploads") == []


def test_an_import_whose_state_would_be_too_large_is_refused(app: Flask, shop: str, tmp_path: Path) -> None:
    app.config["FORMWORK_IMPORT_MAX_STATE_BYTES"] = 20_000
    clerk = visitor(app, shop, "clerk", language="zh")
    rows = [[f"PO-{n}", "Acme 建材", date(2024, 5, 1), "货物", n, "", "", "备注" * 20] for n in range(300)]
    response = upload(clerk, workbook(HEADER, rows))
    assert response.status_code == 400 and "数据过多" in response.get_data(as_text=True)
    assert state_files(tmp_path / "uploads") == []


def test_a_check_whose_results_would_make_the_state_too_large_fails_cleanly(app: Flask, shop: str,
                                                                            tmp_path: Path) -> None:
    clerk = visitor(app, shop, "clerk")
    step = mapped(clerk, workbook(HEADER, [[f"PO-{n}", "Nobody Ltd", "not a date", "bulk", -1, "", "", ""]
                                           for n in range(30)]))
    [state_file] = state_files(tmp_path / "uploads")
    app.config["FORMWORK_IMPORT_MAX_STATE_BYTES"] = state_file.stat().st_size + 500   # no room for 30 rows' errors
    clerk.post(step + "/check", {f"col{p}": f for p, f in mapping_of(clerk.text(step)).items()})
    assert wait_until_finished(clerk, step)["last"]["state"] == "failed"
    assert "The import holds too much data; split the file" in clerk.text(step)
    assert state_file.stat().st_size < 2000


def test_an_imports_rows_are_dropped_once_done_and_its_state_forgotten_after_it_expires(
        app: Flask, engine: Formwork, shop: str, tmp_path: Path) -> None:
    clerk = visitor(app, shop, "clerk")
    step = mapped(clerk, workbook(HEADER, [["PO-1", "Acme 建材", date(2024, 5, 1), "货物", 1, "", "", "x" * 5000]]))
    check(clerk, step, {f"col{p}": f for p, f in mapping_of(clerk.text(step)).items()})
    clerk.post(step + "/run")
    assert wait_until_finished(clerk, step)["last"]["state"] == "done"
    [done] = state_files(tmp_path / "uploads")
    assert done.stat().st_size < 2000                          # the summary, not the workbook
    assert "1 records imported." in clerk.text(step)
    waiting = mapped(clerk, workbook(HEADER, [["PO-2", "Acme 建材", date(2024, 5, 1), "货物", 1, "", "", ""]]))
    long_ago = time.time() - 3 * 3600
    for path in state_files(tmp_path / "uploads"):
        os.utime(path, (long_ago, long_ago))
    assert clerk.get(waiting).status_code == 404                # expired: gone on the next request
    mapped(clerk, workbook(HEADER, [["PO-3"]]))                  # a new upload sweeps the old ones away
    assert len(state_files(tmp_path / "uploads")) == 1


def test_an_import_killed_mid_run_can_be_run_again_and_imports_each_row_once(
        app: Flask, engine: Formwork, shop: str, tmp_path: Path) -> None:
    app.config["FORMWORK_IMPORT_LEASE_SECONDS"] = 1
    clerk = visitor(app, shop, "clerk")
    rows = [[f"PO-{n:04d}", "Acme 建材", date(2024, 5, 1), "货物", n, "", "", ""] for n in range(150)]  # killed at 50+
    step = mapped(clerk, workbook(HEADER, rows))
    check(clerk, step, {f"col{p}": f for p, f in mapping_of(clerk.text(step)).items()})
    [state_file] = state_files(tmp_path / "uploads")
    web = subprocess.Popen([sys.executable, "-m", "tests.excel.import_process", engine.db.url,
                            str(tmp_path / "uploads"), shop, step], cwd=Path(__file__).parents[2])
    try:
        deadline = time.monotonic() + 120
        while (seen := json.loads(state_file.read_text("utf-8")))["state"] != "importing" or seen["done"] < 50:
            assert web.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)                                    # till it is mid-transaction: rows created
    finally:
        web.kill()
        web.wait()
    assert json.loads(state_file.read_text("utf-8"))["state"] == "importing"
    assert orders_of(engine, shop) == []                        # the transaction died with its process
    time.sleep(1.5)                                             # its lease runs out
    assert "The last import was interrupted; no record was written." in clerk.text(step)
    assert clerk.post(step + "/run").status_code == 200
    assert wait_until_finished(clerk, step, timeout=300)["last"]["state"] == "done"
    boss = tenancy.Actor(shop, "boss", frozenset({"admin"}))
    with engine.records(boss) as records:
        assert records.find("sheetshop", "order", limit=1).total == 150


def test_an_import_that_died_after_committing_shows_done_and_never_runs_twice(
        app: Flask, engine: Formwork, shop: str, tmp_path: Path) -> None:
    app.config["FORMWORK_IMPORT_LEASE_SECONDS"] = 1
    clerk = visitor(app, shop, "clerk")
    step = mapped(clerk, workbook(HEADER, [[f"PO-{n}", "Acme 建材", date(2024, 5, 1), "货物", n, "", "", ""]
                                           for n in range(1, 3)]))
    check(clerk, step, {f"col{p}": f for p, f in mapping_of(clerk.text(step)).items()})
    [state_file] = state_files(tmp_path / "uploads")
    checked = json.loads(state_file.read_text("utf-8"))
    clerk.post(step + "/run")
    assert wait_until_finished(clerk, step)["last"]["state"] == "done"
    # as if the process had died between the commit and writing "done": the file still says importing
    state_file.write_text(json.dumps({**checked, "state": "importing", "done": 0, "total": 2}), "utf-8")
    long_ago = time.time() - 60
    os.utime(state_file, (long_ago, long_ago))
    for lease in state_file.parent.glob("*.lease"):
        lease.unlink()
    assert "2 records imported." in clerk.text(step)
    assert clerk.post(step + "/run").status_code == 409
    assert len(orders_of(engine, shop)) == 2


def test_a_stale_import_run_again_while_its_lost_process_commits_imports_once(
        app: Flask, engine: Formwork, shop: str, tmp_path: Path) -> None:
    app.config["FORMWORK_IMPORT_LEASE_SECONDS"] = 1
    clerk = visitor(app, shop, "clerk")
    step = mapped(clerk, workbook(HEADER, [[f"PO-{n}", "Acme 建材", date(2024, 5, 1), "货物", n, "", "", ""]
                                           for n in range(1, 3)]))
    check(clerk, step, {f"col{p}": f for p, f in mapping_of(clerk.text(step)).items()})
    [state_file] = state_files(tmp_path / "uploads")
    state = json.loads(state_file.read_text("utf-8"))
    state_file.write_text(json.dumps({**state, "state": "importing", "done": 0, "total": 2}), "utf-8")
    long_ago = time.time() - 60
    os.utime(state_file, (long_ago, long_ago))
    assert "The last import was interrupted" in clerk.text(step)   # judged dead: back to checked
    # ... but it was only frozen, and commits its import now, before the user's second run
    add = {"supplier": supplier_ids(engine, shop)["Acme 建材"], "ordered_on": "2024-05-01"}
    with engine.approvals(tenancy.Actor(shop, "clerk", frozenset({"clerk"}))) as service:
        imports.record_run(service.records.session, state["token"], "sheetshop", "order", created=2)
        for n in (1, 2):
            service.create("sheetshop", "order", {**add, "number": f"PO-{n}"})
    assert clerk.post(step + "/run").status_code == 200
    assert wait_until_finished(clerk, step)["last"]["state"] == "done"
    assert "2 records imported." in clerk.text(step)
    assert len(orders_of(engine, shop)) == 2


def test_a_copied_session_cookie_reads_no_import_progress_after_logout(app: Flask, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    step = mapped(clerk, workbook(HEADER, [["PO-1", "Acme 建材", date(2024, 5, 1), "货物", 1, "", "", ""]]))
    cookie = clerk.client.get_cookie("session")
    assert cookie is not None
    stolen = app.test_client()
    stolen.set_cookie("session", cookie.value)
    assert stolen.get(step + "/progress").status_code == 200           # the copy works while the session lives
    clerk.get("/")
    assert clerk.post("/logout").status_code == 302
    response = stolen.get(step + "/progress")
    assert response.status_code == 302 and "/login" in response.location   # logged out: the copy opens nothing
