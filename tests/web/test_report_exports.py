"""A report's and a list's Excel export as people read them: titles, parameters, frozen header, number formats,
subtotals and totals, projects and crews by their names, options by their labels, times in the tenant's zone."""
# ruff: noqa: F811 - the labor tests' fixtures are imported once and requested by name
from __future__ import annotations

import io
import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests.modules.test_labor import world  # noqa: F401
from tests.web.conftest import Visitor
from tests.web.test_report_pages import MONTH, tickets, visitor  # noqa: F401

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def fetch(user: Visitor, path: str) -> Any:
    """A GET of a file (the visitor's own `get` reads pages as text)."""
    return user.client.get(path, headers=user.headers)


def cells(sheet: Any) -> list[str]:
    return [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]


def test_the_crew_month_report_exports_with_its_parameters_subtotals_and_total(
        browser_client: FlaskClient, tenant: str, world: dict[str, Any], tickets: list[dict[str, Any]]) -> None:
    page = visitor(browser_client, world, tenant, "cost", "zh")
    project = world["project"]
    response = fetch(page, f"/reports/labor/day_labor_by_crew_month/export.xlsx?period={MONTH}"
                           f"&project={project['id']}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    name = project["data"]["project_name"]
    assert sheet["A1"].value == "点工汇总表(按班组×月)"
    assert sheet["A2"].value == f"项目：{name}；所属月份：{MONTH}" and sheet["A3"].value.startswith("导出时间：")
    assert sheet.freeze_panes == "A6" and sheet["A5"].font.bold
    rows = [list(r) for r in sheet.iter_rows(min_row=5, values_only=True)]
    header = rows[0]
    assert header[:2] == ["项目", "班组"] and "金额" in header and "平均单价" in header
    amount, average, count = header.index("金额"), header.index("平均单价"), header.index("单数")
    body = rows[1:-2]
    assert {r[0] for r in body} == {name} and {r[1] for r in body} == {"木工一班", "杂工班"}
    total = sum((Decimal(t["data"]["amount"]) for t in tickets), Decimal(0))
    subtotal, last = rows[-2], rows[-1]
    assert subtotal[0] == f"{name} 小计" and Decimal(str(subtotal[amount])) == total
    assert last[0] == "合计" and Decimal(str(last[amount])) == total and last[count] == len(tickets)
    assert last[average] is None                                   # an average is not summed
    assert sheet.cell(row=7, column=amount + 1).number_format == "#,##0.00"
    assert sheet.cell(row=5 + len(rows) - 1, column=1).font.bold
    assert not any(UUID.search(text) for text in cells(sheet))     # never an id where a title exists
    csv = fetch(page, f"/reports/labor/day_labor_by_crew_month/export.csv?period={MONTH}").data.decode("utf-8-sig")
    lines = csv.splitlines()
    assert lines[0].startswith("项目,班组") and lines[-1].startswith("合计,") and not UUID.search(csv)


def test_the_ticket_list_exports_titles_labels_local_times_and_its_filters(
        browser_client: FlaskClient, tenant: str, world: dict[str, Any], tickets: list[dict[str, Any]]) -> None:
    page = visitor(browser_client, world, tenant, "cost", "zh")
    columns = "&".join(f"cols={c}" for c in ("ticket_no", "project", "crew", "reason_type", "status", "created_at",
                                              "created_by", "amount"))
    response = fetch(page, f"/m/labor/day_labor_ticket/export.xlsx?f=reason_type&op=eq&v=cleanup&{columns}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value == "点工单" and sheet["A2"].value == "筛选条件：事由分类 等于 清理/杂活"
    rows = [list(r) for r in sheet.iter_rows(min_row=5, values_only=True)]
    assert rows[0] == ["点工单号", "项目", "班组", "事由分类", "状态", "创建时间", "创建人", "金额"]
    by_number = {r[0]: r for r in rows[1:]}
    first = tickets[0]
    row = by_number[first["data"]["ticket_no"]]
    assert row[1] == world["project"]["data"]["project_name"] and row[2] == "木工一班" and row[3] == "清理/杂活"
    assert row[4] != "signed" and not UUID.search(" ".join(str(v) for v in row))
    created = datetime.fromisoformat(first["created_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert abs((row[5] - created.replace(tzinfo=None)).total_seconds()) < 1     # in China time, not UTC
    assert sheet.cell(row=6, column=8).number_format == "#,##0.00"
