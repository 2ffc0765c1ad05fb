"""An entity's `print:` layout: checked at load with file:line:col, followed by the print model and the PDF."""
from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from engine.declarations.loader import validate_paths
from engine.declarations.model import Label
from engine.printing.document import print_document
from engine.runtime import Formwork
from engine.tenancy import Actor
from tests.conftest import add_user, login
from tests.web.conftest import shop as shop

MODULE = """\
module: slips
version: 1.0.0
title: {zh: 单据, en: Slips}
roles:
  clerk: {zh: 文员, en: Clerk}
entities:
  slip:
    title: {zh: 付款单, en: Payment slip}
    title_field: code
    fields:
      code: {type: text, required: true}
      amount: {type: money}
      payee: {type: text}
    permissions:
      clerk: {actions: [create, read]}
    print:
      title: {zh: 付款审批单, en: Payment approval}
      sections:
        - title: {zh: 付款, en: Payment}
          fields: [code, amuont]
        - fields: [payee]
          columns: 2
      amounts: [amount, payee]
      footer: {zh: 财务联, en: Finance copy}
"""


def test_a_print_layout_is_checked_where_it_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "slips"
    folder.mkdir()
    (folder / "module.yaml").write_text(MODULE, encoding="utf-8")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert lines == [
        "module.yaml:20:26: print section field 'amuont' is not a field (did you mean 'amount'?)",
        "module.yaml:22:11: unknown key 'columns' in item 2 of 'sections' of 'print' of entity 'slip'; "
        "expected one of fields, title",
        "module.yaml:23:25: print amount 'payee' is a text field: only a money field is written in Chinese "
        "capitals (大写)",
    ]
    (folder / "module.yaml").write_text(MODULE.replace("amount, payee", "amount"), encoding="utf-8")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert len(lines) == 2 and not any("print amount" in line for line in lines)


def order(engine: Formwork, tenant: str) -> str:
    clerk = Actor(tenant, "clerk", frozenset({"clerk"}))
    with engine.records(clerk) as records:
        supplier = records.find("formshop", "supplier", q="name == 'Acme 建材'").items[0]["id"]
        created = records.create("formshop", "order", {
            "number": "PO-7", "supplier": supplier, "ordered_on": "2024-05-02", "buyer": "clerk", "weight": "1.5",
            "secret_price": "888.00", "discount": "10", "items": [
                {"item": "螺纹钢", "qty": "2", "price": "1000.00"}, {"item": "扣件", "qty": "10", "price": "5.55"}]})
    record_id: str = created["id"]
    return record_id


def test_the_print_model_follows_the_layout_and_the_readers_hidden_fields(engine: Formwork, shop: str) -> None:
    record_id = order(engine, shop)
    with engine.records(Actor(shop, "clerk", frozenset({"clerk"}))) as records:
        document = print_document(records, "formshop", "order", record_id)
    assert document.title == Label(zh="采购订单", en="Purchase order") and document.number == "PO-7"
    assert [[f.name for f in s.fields] for s in document.sections] == [
        ["number", "supplier", "ordered_on", "kind", "buyer"], ["items", "secret_price"]]   # weight: not laid out
    [payable] = document.amounts   # the declared amounts only: not the total
    assert (payable.name, payable.value, payable.upper) == ("payable", Decimal("1849.95"), "壹仟捌佰肆拾玖元玖角伍分")
    assert document.footer == Label(zh="本单一式两份", en="In two copies")
    with engine.records(Actor(shop, "viewer", frozenset({"viewer"}))) as records:
        seen = print_document(records, "formshop", "order", record_id)
    assert [[f.name for f in s.fields] for s in seen.sections] == [
        ["number", "supplier", "ordered_on", "kind", "buyer"], ["items"]]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="`make install` installs poppler-utils")
def test_the_pdf_shows_the_declared_title_sections_capitals_and_footer(engine: Formwork, shop: str,
                                                                      client: FlaskClient) -> None:
    record_id = order(engine, shop)
    pdfs = {user: login(client, shop, user).get(f"/records/formshop/order/{record_id}/pdf?lang=zh")
            for user in ("clerk", "viewer", "clerk2")}
    assert pdfs["clerk2"].status_code == 404   # another clerk's order: outside the row filter
    texts = {user: subprocess.run(["pdftotext", "-", "-"], input=pdfs[user].get_data(), capture_output=True,
                                  check=True).stdout.decode() for user in ("clerk", "viewer")}
    for text in texts.values():
        assert "采购订单" in text and "本单一式两份" in text and "壹仟捌佰肆拾玖元玖角伍分" in text
        assert "螺纹钢" in text and "2,000.00" in text and "2,055.50" in text   # the rows and their total
        assert "Acme 建材" in text and "文员小王" in text   # the supplier's title, the buyer's name
        assert "重量" not in text and "1.500" not in text   # not in the layout
    assert "888.00" in texts["clerk"] and "底价" in texts["clerk"]
    assert "888.00" not in texts["viewer"] and "底价" not in texts["viewer"], texts["viewer"]   # hidden from viewers


def test_the_pdf_is_named_after_the_number_made_safe_for_a_file_name(engine: Formwork, shop: str,
                                                                      client: FlaskClient) -> None:
    clerk = Actor(shop, "clerk", frozenset({"clerk"}))
    with engine.records(clerk) as records:
        supplier = records.find("formshop", "supplier", q="name == 'Acme 建材'").items[0]["id"]
        record_id = records.create("formshop", "order", {"number": "PO/8\n采购", "supplier": supplier,
                                                         "ordered_on": "2024-05-02"})["id"]
    response = login(client, shop, "clerk").get(f"/records/formshop/order/{record_id}/pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        "inline; filename=\"PO_8.pdf\"; filename*=UTF-8''PO_8_%E9%87%87%E8%B4%AD.pdf")


def test_a_tenant_overlay_may_lay_out_the_print_and_is_checked_where_it_is_written(
        engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "boss", "admin")
    boss = login(client, tenant, "boss")
    version = boss.get("/designer/labor").get_json()["base_version"]
    overlay = (f"overlay: labor\nbase_version: {version}\nentities:\n  day_labor_ticket:\n    print:\n"
               "      title: {zh: 点工签证单, en: Day-labor visa}\n"
               "      sections:\n        - fields: [ticket_no, amount, amuont]\n")
    result = boss.post("/designer/labor/validate", {"overlay": overlay}).get_json()
    [problem] = result["problems"]
    assert (problem["line"], problem["column"]) == (8, 39), problem
    assert "print section field 'amuont' is not a field (did you mean 'amount'?)" in problem["message"]
    fixed = boss.post("/designer/labor/validate", {"overlay": overlay.replace(", amuont", "")}).get_json()
    assert fixed == {"valid": True, "problems": []}
