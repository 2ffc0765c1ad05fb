"""Fixtures of the Excel, saved-view and attachment tests: the sheetshop tenant, its users, an uploads folder."""
from __future__ import annotations

import functools
import io
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import Workbook, load_workbook

from app import create_app
from engine import tenancy
from engine.runtime import Formwork
from tests.conftest import PASSWORD, new_tenant_id
from tests.web.conftest import Visitor, sign_in

SHEETSHOP = Path(__file__).parent / "fixtures" / "sheetshop"
USERS = {"clerk": ("文员小王", ["clerk"]), "viewer": ("Vera Viewer", ["viewer"]), "reader": ("Rita", ["reader"]),
         "boss": ("Boss", ["admin"]), "auditor": ("审计老周", ["auditor"])}


@pytest.fixture
def shop(engine: Formwork) -> str:
    """A fresh tenant with only sheetshop, its users, and two suppliers."""
    tenant_id = new_tenant_id()
    installed = engine.catalog.modules()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, name=f"表格测试 {tenant_id}", plan="enterprise")
        tenancy.set_module_enabled(session, tenant_id, "sheetshop", True, installed)
        for username, (name, roles) in USERS.items():
            tenancy.add_user(session, tenant_id, username, PASSWORD, roles, display_name=name)
    boss = tenancy.Actor(tenant_id, "boss", frozenset({"admin"}))
    with engine.records(boss) as records:
        records.create("sheetshop", "supplier", {"name": "Acme 建材", "code": "S-01"})
        records.create("sheetshop", "supplier", {"name": "Beta Steel", "code": "S-02"})
    return tenant_id


@pytest.fixture
def app(engine: Formwork, tmp_path: Path) -> Flask:
    return create_app(engine, TESTING=True, SECRET_KEY="excel-tests", FORMWORK_UPLOADS=str(tmp_path / "uploads"))


def visitor(app: Flask, tenant: str, username: str, language: str = "en") -> Visitor:
    return sign_in(app.test_client(), tenant, username, language=language)


def supplier_ids(engine: Formwork, tenant: str) -> dict[str, str]:
    boss = tenancy.Actor(tenant, "boss", frozenset({"admin"}))
    with engine.records(boss) as records:
        return {item["data"]["name"]: item["id"] for item in records.find("sheetshop", "supplier").items}


def add_orders(engine: Formwork, tenant: str, rows: Sequence[dict[str, Any]], username: str = "clerk") -> None:
    actor = tenancy.Actor(tenant, username, frozenset(USERS[username][1]))
    suppliers = supplier_ids(engine, tenant)
    with engine.records(actor) as records:
        for row in rows:
            records.create("sheetshop", "order", {"supplier": suppliers["Acme 建材"], **row})


def workbook(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_rows(content: bytes) -> list[list[Any]]:
    """The table of the first sheet, from its header row (the row above the frozen pane: an export's title lines
    come before it)."""
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    header = int((sheet.freeze_panes or "A2")[1:]) - 1
    return [list(row) for row in sheet.iter_rows(min_row=header, values_only=True)]


def upload(user: Visitor, content: bytes, name: str = "orders.xlsx", entity: str = "sheetshop/order") -> Any:
    return user.post(f"/m/{entity}/import", {"file": (io.BytesIO(content), name)},
                     content_type="multipart/form-data")


def wait_until_finished(user: Visitor, step_url: str, timeout: float = 120) -> dict[str, Any]:
    """Poll the import's progress like the page does; returns every state seen, the last one finished."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = user.client.get(step_url + "/progress", headers=user.headers).get_json()
        seen.append(state)
        if state["finished"]:
            return {"last": state, "seen": seen}
        time.sleep(0.05)
    raise AssertionError(f"the import did not finish in {timeout}s: {seen[-3:]}")


def fetch(user: Visitor, path: str) -> Any:
    """A GET whose answer may be a binary file (the visitor's own `get` reads pages as text)."""
    return user.client.get(path, headers=user.headers)


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPES}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPES}.sharedStrings+xml"/></Types>',
    "_rels/.rels": f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" Type="{_DOC}/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
}


def raw_workbook(sheet_data: str, shared: Iterable[bytes] = (), doctype: str = "", level: int = 1) -> bytes:
    """An .xlsx written by hand: `sheet_data` is the sheet's <row> elements, `shared` the text of the one shared
    string (streamed in chunks, so it may be hundreds of MB), `doctype` goes before the sheet's root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", f'{doctype}<worksheet xmlns="{_MAIN}"><sheetData>{sheet_data}'
                                                     '</sheetData></worksheet>')
        with archive.open("xl/sharedStrings.xml", "w") as strings:
            strings.write(f'<sst xmlns="{_MAIN}" count="1" uniqueCount="1"><si><t>'.encode())
            for chunk in shared:
                strings.write(chunk)
            strings.write(b"</t></si></sst>")
    return buffer.getvalue()


BOMB_MB = 200


@functools.cache
def bomb() -> bytes:
    """About 200 KB that unzip to a 200 MB cell: one shared string of one repeated letter, shown in A1 and A2.

    (Compressed at level 6: at level 1 it would be faster to make but larger than the 500 KB past which the
    test client spools the upload to a temporary file it never closes.)"""
    chunk = b"A" * (1024 * 1024)
    return raw_workbook('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>0</v></c></row>',
                        (chunk for _ in range(BOMB_MB)), level=6)


def understated(content: bytes, member: str = "xl/sharedStrings.xml", size: int = 1024) -> bytes:
    """The archive with the central directory claiming `size` uncompressed bytes for `member` (a lying bomb)."""
    data = bytearray(content)
    name = member.encode()
    position = data.find(b"PK\x01\x02")
    while position >= 0:
        length = int.from_bytes(data[position + 28:position + 30], "little")
        if data[position + 46:position + 46 + length] == name:
            data[position + 24:position + 28] = size.to_bytes(4, "little")
            return bytes(data)
        position = data.find(b"PK\x01\x02", position + 4)
    raise AssertionError(f"{member} is not in the archive")
