"""Attachments: uploaded with a form or the API, kept by content hash, shown as thumbnails, served to readers."""
from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from flask import Flask

from engine.runtime import Formwork
from tests.conftest import add_user, login
from tests.excel.conftest import fetch, supplier_ids, visitor
from tests.web.conftest import Visitor

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
                       "AAAABJRU5ErkJggg==")


def new_order(user: Visitor, supplier: str, number: str, **uploads: list[tuple[bytes, str]]):  # type: ignore[no-untyped-def]
    items: list[tuple[str, object]] = [("number", number), ("supplier", supplier), ("ordered_on", "2024-05-01"),
                                       ("kind", "goods"), ("_action", "save")]
    for name, files in uploads.items():
        items += [(name, (io.BytesIO(content), filename)) for content, filename in files]
    return user.post("/m/sheetshop/order/new", items, content_type="multipart/form-data")


def file_urls(html: str) -> list[str]:
    return re.findall(r'<img class="thumb" src="([^"]+)"', html)


def test_files_uploaded_with_the_form_show_as_thumbnails_to_readers(app: Flask, engine: Formwork, shop: str,
                                                                     tmp_path: Path) -> None:
    clerk = visitor(app, shop, "clerk")
    supplier = supplier_ids(engine, shop)["Acme 建材"]
    form = clerk.text("/m/sheetshop/order/new")
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form and 'name="photos" multiple' in form
    response = new_order(clerk, supplier, "PO-1", contract=[(b"%PDF-1.4 scan", "合同.pdf")],
                         photos=[(PNG, "site-1.png"), (PNG + b"\x00", "site-2.png")])
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    record_url = response.location
    record_id = record_url.rsplit("/", 1)[1]
    html = clerk.text(record_url)
    thumbs = file_urls(html)
    assert len(thumbs) == 2 and all(url.endswith(f"?r=sheetshop/order/{record_id}") for url in thumbs)
    assert "合同.pdf" in html
    image = fetch(clerk, thumbs[0])
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == PNG
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert fetch(visitor(app, shop, "viewer"), thumbs[1]).status_code == 200     # may read the record
    bare = thumbs[0].split("?")[0]
    assert fetch(visitor(app, shop, "viewer"), bare).status_code == 404         # not through a record it reads
    blobs = [p for p in (tmp_path / "uploads" / "files" / shop).rglob("*") if p.is_file()]
    assert len(blobs) == 3 and all(len(p.name) == 64 for p in blobs)


def test_the_same_content_is_stored_once(app: Flask, engine: Formwork, shop: str, tmp_path: Path) -> None:
    clerk = visitor(app, shop, "clerk")
    supplier = supplier_ids(engine, shop)["Acme 建材"]
    for number in ("PO-1", "PO-2"):
        assert new_order(clerk, supplier, number, photos=[(PNG, "same.png")]).status_code == 302
    assert len([p for p in (tmp_path / "uploads" / "files" / shop).rglob("*") if p.is_file()]) == 1


def test_uploads_outside_the_fields_limits_are_refused_at_the_field(app: Flask, engine: Formwork, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    supplier = supplier_ids(engine, shop)["Acme 建材"]
    wrong = new_order(clerk, supplier, "PO-1", contract=[(b"MZ...", "setup.exe")])
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "setup.exe" in html and "is not an accepted type" in html
    big = new_order(clerk, supplier, "PO-1", contract=[(b"0" * 100_001, "big.pdf")])
    assert big.status_code == 422 and "files may be at most 100000 bytes" in big.get_data(as_text=True)
    photo_pdf = new_order(clerk, supplier, "PO-1", photos=[(b"%PDF", "a.pdf")])
    assert photo_pdf.status_code == 422


def test_a_kept_box_left_unticked_removes_the_file(app: Flask, engine: Formwork, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    supplier = supplier_ids(engine, shop)["Acme 建材"]
    record_url = new_order(clerk, supplier, "PO-1", photos=[(PNG, "a.png"), (PNG + b"1", "b.png")]).location
    edit = clerk.text(record_url + "/edit")
    kept = re.findall(r'<input type="checkbox" name="photos" value="([^"]+)" checked>', edit)
    version = re.search(r'name="_version" value="(\d+)"', edit).group(1)
    response = clerk.post(record_url + "/edit", [("number", "PO-1"), ("supplier", supplier),
                                                 ("ordered_on", "2024-05-01"), ("kind", "goods"),
                                                 ("photos", kept[1]), ("_version", version), ("_action", "save")],
                          content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert len(file_urls(clerk.text(record_url))) == 1


def test_the_api_uploads_files_and_records_hold_their_ids(app: Flask, engine: Formwork, shop: str) -> None:
    client = app.test_client()
    clerk = login(client, shop, "clerk")
    uploaded = client.post("/api/v1/files", headers=clerk.headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(PNG), "photo.png"), "module": "sheetshop", "entity": "order",
                                 "field": "photos"})
    assert uploaded.status_code == 201, uploaded.get_json()
    body = uploaded.get_json()
    assert body == {"id": body["id"], "name": "photo.png", "size": len(PNG), "type": "image/png",
                    "url": f"/api/v1/files/{body['id']}"}
    supplier = supplier_ids(engine, shop)["Beta Steel"]
    created = clerk.post("/records/sheetshop/order", {"number": "PO-9", "supplier": supplier,
                                                      "ordered_on": "2024-05-01", "photos": [body["id"]]})
    assert created.status_code == 201 and created.get_json()["data"]["photos"] == [body["id"]]
    assert client.get(body["url"], headers=clerk.headers).data == PNG
    add_user(engine, shop, "other", "reader")
    other = login(client, shop, "other")
    assert client.get(body["url"], headers=other.headers).status_code == 404
    record = f"{body['url']}?record=sheetshop/order/{created.get_json()['id']}"
    assert client.get(record, headers=other.headers).status_code == 200
    missing = clerk.post("/records/sheetshop/order", {"number": "PO-10", "supplier": supplier,
                                                      "ordered_on": "2024-05-01",
                                                      "contract": "00000000-0000-0000-0000-000000000000"})
    assert missing.status_code == 422
    assert missing.get_json()["errors"][0]["message"].startswith("file '00000000-0000-0000-0000-000000000000'")
    pdf_as_photo = client.post("/api/v1/files", headers=clerk.headers, content_type="multipart/form-data",
                               data={"file": (io.BytesIO(b"%PDF"), "x.pdf"), "module": "sheetshop",
                                     "entity": "order", "field": "photos"})
    assert pdf_as_photo.status_code == 400 and "not an accepted type" in pdf_as_photo.get_json()["error"]["message"]
    no_file = client.post("/api/v1/files", headers=clerk.headers, content_type="multipart/form-data", data={})
    assert no_file.status_code == 400
    assert "/files" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_files_are_tenant_scoped(app: Flask, engine: Formwork, shop: str, tenant: str) -> None:
    client = app.test_client()
    clerk = login(client, shop, "clerk")
    body = client.post("/api/v1/files", headers=clerk.headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(PNG), "photo.png")}).get_json()
    add_user(engine, tenant, "clerk", "admin")
    stranger = login(client, tenant, "clerk")   # same login, another tenant
    assert client.get(body["url"], headers=stranger.headers).status_code == 404
