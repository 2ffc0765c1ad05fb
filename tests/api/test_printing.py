"""Printing (issue 16, item 6): an approved ticket as an A4 PDF over REST and from its page, a list's selection in
one PDF, and what the printer may not read left out (row filters, hidden fields, masks)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT, DEMO_USERS
from engine.printing.amounts import rmb_upper
from engine.runtime import Formwork
from engine.storage.models import User
from tests.conftest import Api, add_user, decide, login
from tests.modules.test_labor import create_ticket, submit, ticket_body
from tests.modules.test_labor import world as world
from tests.web.conftest import sign_in

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext is missing: `make install` installs poppler-utils")
NAMES = {"site": "王建国", "prod": "李生产", "lead": "张班长", "cost": "赵成本"}
TICKET = "/records/labor/day_labor_ticket"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}")
PNG = bytes.fromhex(   # a 60x24 red PNG: the crew leader's signature
    "89504e470d0a1a0a0000000d494844520000003c00000018080200000029a309050000003a49444154789cedce410dc020000031"
    "4008fea5200b0f7b1c59d22ae83c7b8fbf59af035f4857a42bd215e98a7445ba225d91ae4857a42bd2950be3c80134ecd6f85200"
    "00000049454e44ae426082")


@pytest.fixture
def app(engine: Formwork, tmp_path: Path) -> Flask:
    return create_app(engine, TESTING=True, SECRET_KEY="print-tests", FORMWORK_UPLOADS=str(tmp_path / "uploads"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """The labor world's client, with this test's uploads folder (the signature image is stored there)."""
    return app.test_client()


@pytest.fixture
def named(engine: Formwork, tenant: str, world: dict[str, Any]) -> dict[str, Any]:
    """The labor world with display names for the people who approve and write tickets."""
    with engine.db.tenant(tenant) as session:
        for login, name in NAMES.items():
            session.get(User, (tenant, login)).display_name = name
    return world


def text_of(pdf: bytes, page: int = 0) -> str:
    """The PDF's text (pdftotext), of one page when `page` is given."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    run = subprocess.run(["pdftotext", "-layout", *pages, "-", "-"], input=pdf, capture_output=True, check=True)
    return run.stdout.decode()


def pages_of(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def signature(api: Api) -> str:
    response = api.client.post("/api/v1/files", headers=api.headers, content_type="multipart/form-data", data={
        "file": (io.BytesIO(PNG), "签字.png", "image/png"), "module": "labor", "entity": "day_labor_ticket",
        "field": "crew_leader_signature"})
    assert response.status_code == 201, response.get_json()
    file_id: str = response.get_json()["id"]
    return file_id


def signed_ticket(world: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A 2,000 元 ticket the site engineer and then the production manager approve, with comments."""
    users = world["users"]
    workers = [{"worker": w["id"], "days": "1", "ot_hours": "8"} for w in world["workers"]]   # 2 x 2 man-days
    body = ticket_body(world, headcount=2, unit_price="500", workers=workers,
                       crew_leader_signature=signature(users["cost"]), **extra)
    ticket = create_ticket(users["cost"], body)
    submit(users["cost"], "day_labor_ticket", ticket["id"])
    decide(users["site"], ticket["id"], comment="现场核实无误")
    record = decide(users["prod"], ticket["id"], comment="同意按点工结算")
    assert record["status"] == "signed" and record["data"]["amount"] == "2000.00"
    return record


def test_an_approved_ticket_prints_its_number_amount_in_capitals_and_approvers(named: dict[str, Any]) -> None:
    ticket = signed_ticket(named)
    response = named["users"]["cost"].get(f"{TICKET}/{ticket['id']}/pdf?lang=zh")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    number = ticket["data"]["ticket_no"]
    assert f"filename*=UTF-8''{number}.pdf" in response.headers["Content-Disposition"]
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF") and pages_of(pdf) == 1
    text = text_of(pdf)
    assert number in text and "2,000.00" in text and rmb_upper(Decimal("2000.00")) == "贰仟元整" and "贰仟元整" in text
    for approver in ("site", "prod"):   # every approver, by name, with their decision, comment and time
        assert NAMES[approver] in text and approver in text
    assert "同意" in text and "现场核实无误" in text and "同意按点工结算" in text
    assert "施工员签认" in text and "生产经理审核" in text
    assert "3#楼 5层 东侧" in text and "木工一班" in text and "点工单" in text   # fields, the crew's title, the title
    assert "陈木生" in text and "黄志强" in text and "2.00" in text   # the worker rows, by the workers' names
    assert UUID.search(text) is None   # titles and names, never ids
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "WenQuanYi-Micro-Hei" in fonts   # the CJK font, embedded: Chinese is text, not boxes
    unasked = text_of(named["users"]["cost"].get(f"{TICKET}/{ticket['id']}/pdf").get_data())
    assert "点工单" in unasked and "同意" in unasked   # a printed document is Chinese unless asked otherwise
    asked = named["users"]["cost"].get(f"{TICKET}/{ticket['id']}/pdf?lang=en")
    assert "Day-labor ticket" in text_of(asked.get_data())
    images = subprocess.run(["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert len(images.strip().splitlines()) >= 3, images   # the header lines, then the signature


def test_the_pdf_page_is_a4(named: dict[str, Any]) -> None:
    ticket = create_ticket(named["users"]["cost"], ticket_body(named))
    pdf = named["users"]["cost"].get(f"{TICKET}/{ticket['id']}/pdf?lang=en").get_data()
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "595.276 x 841.89 pts (A4)" in info or "(A4)" in info, info
    assert "No approval steps yet." in text_of(pdf)   # a draft: no trail yet (English for an English reader)


def test_a_hidden_field_never_reaches_the_pdf(named: dict[str, Any]) -> None:
    """The site engineer may read the ticket but not its price or amount: neither in figures nor in capitals."""
    ticket = signed_ticket(named)
    response = named["users"]["site"].get(f"{TICKET}/{ticket['id']}/pdf?lang=zh")
    assert response.status_code == 200
    text = text_of(response.get_data())
    assert ticket["data"]["ticket_no"] in text and NAMES["site"] in text
    for secret in ("2,000.00", "2000", "贰仟元整", "500.00", "单价", "金额"):
        assert secret not in text, secret
    assert UUID.search(text) is None


def test_a_ticket_outside_the_printers_row_filters_is_not_found(named: dict[str, Any], tenant: str,
                                                                engine: Formwork, client: FlaskClient) -> None:
    ticket = create_ticket(named["users"]["cost"], ticket_body(named))
    add_user(engine, tenant, "stranger", "site_engineer")   # a site engineer of no project
    stranger = login(client, tenant, "stranger")
    response = stranger.get(f"{TICKET}/{ticket['id']}/pdf")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    batch = stranger.get(f"{TICKET}/pdf?ids={ticket['id']}")
    assert batch.status_code == 404 and ticket["data"]["ticket_no"] not in batch.get_data(as_text=True)


def test_a_selection_prints_in_one_pdf_one_ticket_a_page(named: dict[str, Any], tenant: str, engine: Formwork,
                                                         client: FlaskClient) -> None:
    cost = named["users"]["cost"]
    first = signed_ticket(named)
    second = create_ticket(cost, ticket_body(named, 2, location="2#楼 屋面"))
    response = cost.post(f"{TICKET}/pdf?lang=zh", {"ids": [first["id"], second["id"]]})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.get_data()
    numbers = first["data"]["ticket_no"], second["data"]["ticket_no"]
    first_page, last_page = text_of(pdf, 1), text_of(pdf, pages_of(pdf))
    assert numbers[0] in first_page and numbers[1] not in first_page   # each ticket starts a page of its own
    assert numbers[1] in last_page and numbers[0] not in last_page
    assert pages_of(pdf) == 2   # and each fits on one A4 page
    reordered = cost.get(f"{TICKET}/pdf?ids={second['id']},{first['id']}").get_data()
    assert numbers[1] in text_of(reordered, 1) and numbers[0] in text_of(reordered, 2)
    other = create_ticket(named["users"]["lead2"], ticket_body(named, 3, project=named["other"]["id"],
                                            crew=named["crews"]["other"]["id"]))
    site = named["users"]["site"]   # a member of the first project only: the other project's ticket is left out
    mixed = text_of(site.get(f"{TICKET}/pdf?ids={first['id']},{other['id']}").get_data())
    assert first["data"]["ticket_no"] in mixed and other["data"]["ticket_no"] not in mixed


def test_a_selection_of_none_or_too_many_records_is_refused(named: dict[str, Any]) -> None:
    cost = named["users"]["cost"]
    empty = cost.get(f"{TICKET}/pdf")
    assert empty.status_code == 400 and empty.get_json()["error"]["message_code"] == "print_no_records"
    too_many = cost.post(f"{TICKET}/pdf", {"ids": [f"id-{n}" for n in range(201)]})
    assert too_many.status_code == 400 and too_many.get_json()["error"]["message_code"] == "print_too_many"
    assert cost.post(f"{TICKET}/pdf", {"ids": "not a list"}).status_code == 400


def test_the_record_page_prints_and_the_list_prints_its_selection(named: dict[str, Any], tenant: str,
                                                                  client: FlaskClient) -> None:
    ticket = signed_ticket(named)
    pm = sign_in(client, tenant, "pm", language="zh")
    page = pm.text(f"/m/labor/day_labor_ticket/{ticket['id']}")
    link = f'href="/m/labor/day_labor_ticket/{ticket["id"]}/pdf"'
    assert link in page and "打印" in page
    response = pm.client.get(f"/m/labor/day_labor_ticket/{ticket['id']}/pdf", headers=pm.headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = text_of(response.get_data())
    assert ticket["data"]["ticket_no"] in text and "贰仟元整" in text and NAMES["prod"] in text
    listing = pm.text("/m/labor/day_labor_ticket")
    assert "批量打印" in listing and f'name="ids" value="{ticket["id"]}"' in listing
    batch = pm.client.get(f"/m/labor/day_labor_ticket/pdf?ids={ticket['id']}", headers=pm.headers)
    assert batch.status_code == 200 and ticket["data"]["ticket_no"] in text_of(batch.get_data())
    nothing = pm.get("/m/labor/day_labor_ticket/pdf")
    assert nothing.status_code == 400 and "请先勾选要打印的记录" in nothing.get_data(as_text=True)


def test_a_masked_field_prints_masked(named: dict[str, Any]) -> None:
    """The project manager reads the crew leader's phone and ID number masked; the labor clerk in the clear."""
    crew = named["crews"]["a"]["id"]
    masked = text_of(named["users"]["pm"].get(f"/records/base/crew/{crew}/pdf?lang=zh").get_data())
    assert "木工一班" in masked and "138****0001" in masked and "13800000001" not in masked
    assert "510321198503121234" not in masked
    clear = text_of(named["users"]["clerk"].get(f"/records/base/crew/{crew}/pdf?lang=zh").get_data())
    assert "13800000001" in clear


def test_a_signed_ticket_of_the_demo_prints_its_number_amount_capitals_and_approvers(
        demo_formwork: Formwork) -> None:
    """What acceptance testers do: `formwork demo`, then print a ticket the production manager also approved."""
    client = create_app(demo_formwork, TESTING=True).test_client()   # its own copy of the demo
    token = client.post("/api/v1/auth/token", json={"tenant": DEMO_TENANT, "username": "pm",
                                                    "password": DEMO_PASSWORD}).get_json()["token"]
    pm = Api(client, token)
    tickets = pm.get(TICKET, query_string={"q": "status == 'signed' and amount >= 2000", "limit": 5}).get_json()
    ticket = tickets["items"][0]
    steps = [e for e in pm.get(f"{TICKET}/{ticket['id']}/history").get_json()["items"]
             if e["action"] == "task.complete"]
    approvers = {e["actor"] for e in steps}
    assert len(approvers) >= 2, steps
    response = pm.get(f"{TICKET}/{ticket['id']}/pdf?lang=zh")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = text_of(response.get_data())
    amount = Decimal(ticket["data"]["amount"])
    assert ticket["data"]["ticket_no"] in text and f"{amount:,.2f}" in text and rmb_upper(amount) in text
    for approver in approvers:
        assert DEMO_USERS[approver][0] in text, (approver, text)
    visitor = sign_in(client, DEMO_TENANT, "pm", password=DEMO_PASSWORD)
    page = visitor.client.get(f"/m/labor/day_labor_ticket/{ticket['id']}/pdf", headers=visitor.headers)
    assert page.status_code == 200 and rmb_upper(amount) in text_of(page.get_data())
