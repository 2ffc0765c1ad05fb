"""Imports say every problem of a row at once, and each entity has a template workbook that imports back as it is.

The rule book's ticket (tests/fixtures/modules/rulebook) has a required field, a pattern, a rule and a reference:
one row that breaks them all gets all of its errors in one answer, over REST and on the import page.
"""
from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from engine import tenancy
from engine.runtime import Formwork
from tests.conftest import PASSWORD, new_tenant_id
from tests.excel.conftest import fetch, upload, visitor, wait_until_finished, workbook

HEADER = ["工地", "日期", "班组", "月份", "人数", "加班小时", "银行账号"]
BAD_ROW = ["S01", "2024-05-01", None, "2024-05", 0, "很多", "12"]   # no crew, a word for hours, a short account,
#                                                                     and no one at all (the rule: headcount > 0)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def book(engine: Formwork) -> str:
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, name=f"规则导入 {tenant_id}", plan="enterprise")
        tenancy.set_module_enabled(session, tenant_id, "rulebook", True, engine.catalog.modules())
        tenancy.add_user(session, tenant_id, "clerk", PASSWORD, ["clerk"], display_name="文员小李")
    with engine.records(tenancy.Actor(tenant_id, "clerk", frozenset({"clerk"}))) as records:
        records.create("rulebook", "site", {"code": "S01"})
    return tenant_id


def token(client: FlaskClient, tenant: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"tenant": tenant, "username": "clerk", "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}", "Accept-Language": "zh-CN,zh;q=0.9"}


def post_import(client: FlaskClient, headers: dict[str, str], content: bytes, dry_run: bool = False) -> Any:
    return client.post("/api/v1/records/rulebook/ticket/import", headers=headers,
                       data={"file": (io.BytesIO(content), "tickets.xlsx"), **({"dry_run": "1"} if dry_run else {})},
                       content_type="multipart/form-data")


def test_one_answer_holds_every_problem_of_a_row(app: Flask, book: str) -> None:
    client = app.test_client()
    headers = token(client, book)
    good = ["S01", "2024-05-02", "木工一班", "2024-05", 2, 1, "6222 0000 1111"]
    response = post_import(client, headers, workbook(HEADER, [good, BAD_ROW, ["S99", *good[1:]]]))
    assert response.status_code == 422
    rows = response.get_json()["rows"]
    assert all(set(e) == {"row", "field", "column", "code", "message"} for e in rows)
    second = {(e["field"], e["code"]) for e in rows if e["row"] == 3}
    assert second == {("hours", "not_a_number"), ("crew", "required"), ("bank_account", "pattern_example"),
                      ("headcount", "rule")}, rows
    assert {e["column"] for e in rows if e["row"] == 3} == {"加班小时", "班组", "银行账号", "人数"}
    assert next(e["message"] for e in rows if e["code"] == "rule") == "人数须大于0"
    assert [(e["field"], e["code"]) for e in rows if e["row"] == 4] == [("site", "ref_name_unknown")]
    assert not [e for e in rows if e["row"] == 2]
    assert not any(re.search(r"[A-Za-z]{4,}", e["message"]) for e in rows), rows   # in Chinese, no regex


def test_the_import_page_lists_the_problems_row_column_and_message_first(app: Flask, book: str) -> None:
    clerk = visitor(app, book, "clerk", language="zh")
    step = upload(clerk, workbook(HEADER, [BAD_ROW]), entity="rulebook/ticket").headers["Location"]
    clerk.post(step + "/check", {f"col{n}": name for n, name in enumerate(
        ["site", "work_date", "crew", "period", "headcount", "hours", "bank_account"])})
    wait_until_finished(clerk, step)
    html = clerk.text(step)
    problems = html.split('class="data-table problems-table"')[1].split("</table>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", problems)
    lines = [tuple(cells[i:i + 3]) for i in range(0, len(cells), 3)]
    assert ("2", "班组", "必填") in lines and ("2", "人数", "人数须大于0") in lines
    assert {column for _row, column, _message in lines} == {"加班小时", "班组", "银行账号", "人数"}
    preview = html.split('class="data-table preview-table"')[1]
    assert re.findall(r'<th scope="col">(.*?)</th>', preview)[:2] == ["行号", "错误"]   # the errors column first


def test_the_template_offers_what_the_user_may_write_and_imports_back(app: Flask, book: str) -> None:
    client = app.test_client()
    headers = token(client, book)
    response = client.get("/api/v1/records/rulebook/ticket/import/template", headers=headers)
    assert response.status_code == 200 and "attachment;" in response.headers["Content-Disposition"]
    workbook_ = load_workbook(io.BytesIO(response.data))
    sheet = workbook_.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["工地 *", "日期 *", "班组 *", "月份 *"] and "单号" not in " ".join(header)   # numbered
    assert sheet["A1"].comment is not None and "工地" in sheet["A1"].comment.text       # a title or number
    assert sheet["A2"].value == "S01" and sheet.freeze_panes == "A2"
    notes = workbook_.worksheets[1]
    assert notes.title == "说明" and [c.value for c in notes[1]] == ["列", "类型", "必填", "可选值"]
    assert [c.value for c in notes[2]][:3] == ["工地", "关联记录：填写工地的名称或编号", "是"]
    buffer = io.BytesIO()
    workbook_.save(buffer)
    back = post_import(client, headers, buffer.getvalue())
    assert back.status_code == 201, back.get_json()
    assert back.get_json()["imported"] == 1


def test_the_template_of_an_entity_with_options_has_drop_down_lists(app: Flask, engine: Formwork,
                                                                      shop: str) -> None:
    clerk = visitor(app, shop, "clerk", language="zh")
    list_page = clerk.text("/m/sheetshop/order")
    assert "/m/sheetshop/order/import/template.xlsx" in list_page and "下载导入模板" in list_page
    response = fetch(clerk, "/m/sheetshop/order/import/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert "总额" not in header and "现场照片" not in header             # computed and file fields left out
    kind = header.index("类型") + 1
    lists = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert any(v.formula1 == '"货物,服务"' for v in lists)
    assert sheet.cell(row=2, column=kind).value == "货物"                 # the default option, by its label
    assert sheet.cell(row=2, column=header.index("供应商 *") + 1).value in ("Acme 建材", "Beta Steel")
    assert not any(UUID.search(str(c.value or "")) for row in sheet.iter_rows() for c in row)
    reader = visitor(app, shop, "reader")
    assert fetch(reader, "/m/sheetshop/order/import/template.xlsx").status_code == 403


def test_an_imported_row_is_held_to_the_rules_that_read_its_number(app: Flask, book: str) -> None:
    """The number is taken once the rows are sound; a rule reading it is checked then, as on a single save."""
    client = app.test_client()
    headers = token(client, book)
    assert client.post("/api/v1/records/rulebook/site", headers=headers, json={"code": "S99"}).status_code == 201
    reserved = ["S99", "2024-05-09", "木工一班", "2024-05", 2, 1, "6222 0000 1111"]   # numbered T-S99-20240509-001
    response = post_import(client, headers, workbook(HEADER, [reserved]))
    assert response.status_code == 422, response.get_json()
    assert [(e["row"], e["field"], e["code"], e["message"]) for e in response.get_json()["rows"]] == [
        (2, "ticket_no", "rule", "此单号留作他用")]
    assert post_import(client, headers, workbook(HEADER, [reserved]), dry_run=True).status_code == 200
