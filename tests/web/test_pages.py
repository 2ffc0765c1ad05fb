"""The end users' pages through the Flask test client: every route, permissions, languages, forms."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import event

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from engine import tenancy
from engine.runtime import Formwork
from tests.web.conftest import Visitor, csrf_of, sign_in

TODAY = date.today().isoformat()


def order_form(number: str, supplier: str, **extra: object) -> list[tuple[str, object]]:
    fields: dict[str, object] = {
        "number": number, "supplier": supplier, "ordered_on": TODAY, "kind": "goods", "buyer": "clerk",
        "crates": "3", "weight": "1.250", "discount": "10", "deliver_at": "2024-05-01T08:30",
        "items[0]._row": "1", "items[0].item": "水泥", "items[0].qty": "2", "items[0].price": "1,000.25",
        "items[3]._row": "1", "items[3].item": "钢筋", "items[3].qty": "1.5", "items[3].price": "2000",
        "_action": "save",
    }
    fields.update(extra)
    items = list(fields.items())
    items += [("flags", "urgent"), ("watchers", "viewer"), ("watchers", "clerk2")]
    return items


def supplier_id(visitor: Visitor, name: str) -> str:
    html = visitor.text("/m/formshop/order/new")
    match = re.search(r'<option value="([^"]+)">' + re.escape(name) + "</option>", html)
    assert match, f"{name} is not offered"
    return match.group(1)


def create_order(visitor: Visitor, number: str, **extra: object) -> str:
    response = visitor.post("/m/formshop/order/new", order_form(number, supplier_id(visitor, "Acme 建材"), **extra))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return response.location.rsplit("/", 1)[1]


# -- signing in ----------------------------------------------------------------------------------


def test_pages_send_visitors_who_are_not_signed_in_to_the_login_page(app: Flask) -> None:
    response = app.test_client().get("/m/formshop/order?sort=total")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/m/formshop/order")


def test_login_page_speaks_the_browsers_language(app: Flask) -> None:
    zh = app.test_client().get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    en = app.test_client().get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh and "租户" in zh and "密码" in zh
    assert '<html lang="en">' in en and "Tenant" in en and "Password" in en
    assert 'for="tenant"' in en and 'id="tenant"' in en  # labels bound to their inputs


def test_login_refuses_a_wrong_password_and_keeps_what_was_typed(app: Flask, shop: str) -> None:
    visitor = Visitor(app.test_client())
    visitor.get("/login")
    response = visitor.post("/login", {"tenant": shop, "username": "clerk", "password": "nope-nope"})
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Wrong tenant, user name or password." in html
    assert f'value="{shop}"' in html and 'value="clerk"' in html
    assert "nope-nope" not in html


def test_login_follows_next_only_on_this_site(app: Flask, shop: str) -> None:
    visitor = Visitor(app.test_client())
    visitor.get("/login")
    response = visitor.post("/login", {"tenant": shop, "username": "clerk", "password": "secret-pw",
                                       "next": "//evil.example/steal"})
    assert response.status_code == 302 and response.location == "/"
    visitor.post("/logout")
    visitor.get("/login")
    response = visitor.post("/login", {"tenant": shop, "username": "clerk", "password": "secret-pw",
                                       "next": "/m/formshop/order"})
    assert response.location == "/m/formshop/order"


def test_logout_ends_the_session(app: Flask, shop: str) -> None:
    visitor = sign_in(app.test_client(), shop, "clerk")
    assert visitor.get("/").status_code == 200
    response = visitor.post("/logout")
    assert response.status_code == 302 and response.location == "/login"
    assert visitor.get("/").status_code == 302


def test_a_deactivated_user_is_signed_out(app: Flask, engine: Formwork, shop: str) -> None:
    visitor = sign_in(app.test_client(), shop, "clerk2")
    with engine.db.tenant(shop) as session:
        from engine.storage.models import User

        user = session.get(User, (shop, "clerk2"))
        assert user is not None
        user.is_active = False
    assert visitor.get("/").status_code == 302


# -- CSRF ----------------------------------------------------------------------------------------


def test_every_form_carries_a_csrf_token(app: Flask, shop: str) -> None:
    visitor = sign_in(app.test_client(), shop, "clerk")
    html = visitor.text("/m/formshop/order/new")
    forms = re.findall(r"<form\b[^>]*>(.*?)</form>", html, flags=re.S)
    posting = [f for f in re.findall(r"<form\b[^>]*>", html) if 'method="post"' in f]
    assert len(posting) >= 3  # language switch, log out, the record form
    for form_open, body in zip(re.findall(r"<form\b[^>]*>", html), forms, strict=True):
        if 'method="post"' in form_open:
            assert 'name="_csrf"' in body, form_open


def test_a_post_without_the_csrf_token_is_refused(app: Flask, engine: Formwork, shop: str) -> None:
    visitor = sign_in(app.test_client(), shop, "clerk")
    supplier = supplier_id(visitor, "Acme 建材")
    response = visitor.post("/m/formshop/order/new", order_form("PO-NOCSRF", supplier), token=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form has expired" in html and "<html" in html and '"error"' not in html
    forged = visitor.post("/m/formshop/order/new", [*order_form("PO-NOCSRF", supplier), ("_csrf", "forged")],
                          token=False)
    assert forged.status_code == 400
    assert visitor.post("/logout", token=False).status_code == 400
    assert visitor.get("/").status_code == 200  # still signed in
    with engine.records(tenancy.Actor(shop, "boss", frozenset({"admin"}))) as records:
        assert records.find("formshop", "order", q="number == 'PO-NOCSRF'").total == 0


def test_a_head_request_is_a_get_and_never_a_form_sent_without_the_csrf_token(app: Flask, engine: Formwork,
                                                                             shop: str) -> None:
    visitor = sign_in(app.test_client(), shop, "clerk")
    supplier = supplier_id(visitor, "Acme 建材")
    for path in ("/m/formshop/order/new", "/login"):
        response = visitor.client.open(path, method="HEAD", data=dict(order_form("PO-HEAD", supplier)))
        assert response.status_code == 200, path
    with engine.records(tenancy.Actor(shop, "boss", frozenset({"admin"}))) as records:
        assert records.find("formshop", "order", q="number == 'PO-HEAD'").total == 0


def test_the_preview_endpoint_needs_the_csrf_header(app: Flask, shop: str) -> None:
    visitor = sign_in(app.test_client(), shop, "clerk")
    response = visitor.client.post("/m/formshop/order/preview", data={"items[0]._row": "1"})
    assert response.status_code == 400
    assert response.is_json


# -- language ------------------------------------------------------------------------------------


def test_the_language_toggle_is_remembered(app: Flask, shop: str) -> None:
    visitor = sign_in(app.test_client(), shop, "clerk", language="en")
    assert "Dashboard" in visitor.text("/")
    response = visitor.post("/language", {"lang": "zh", "next": "/m/formshop/order"})
    assert response.status_code == 302 and response.location == "/m/formshop/order"
    html = visitor.text("/m/formshop/order")
    assert '<html lang="zh-CN">' in html
    assert "订单" in html and "下单日期" in html and "筛选" in html
    assert 'aria-pressed="true">中文' in html
    visitor.post("/language", {"lang": "en"})
    assert "Ordered on" in visitor.text("/m/formshop/order")


# -- chrome, dashboard, permissions --------------------------------------------------------------


def test_header_shows_tenant_navigation_and_task_badge(app: Flask, shop: str) -> None:
    html = sign_in(app.test_client(), shop, "viewer").text("/")
    assert f"表单测试 {shop}" in html
    assert 'href="/m/formshop/order"' in html and 'href="/m/formshop/supplier"' in html
    assert 'class="count-badge is-zero"' in html
    assert "Vera Viewer" in html


def test_dashboard_shows_modules_open_tasks_and_counts_by_status(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    create_order(clerk, "PO-D1")
    html = clerk.text("/")
    assert "My modules" in html and "My open tasks" in html and "Key figures" in html
    assert re.search(r'kpi-title">Order</span>\s*<span class="kpi-value">1</span>', html)
    assert re.search(r'kpi-title">Supplier</span>\s*<span class="kpi-value">2</span>', html)


def test_a_page_reads_its_inbox_and_the_tenants_users_once(app: Flask, shop: str, engine: Formwork) -> None:
    """The pages that show open tasks count them for the navigation's badge with the same inbox, every part of a
    page that names people shares one read of the tenant's users, and the titles of the records a page refers to
    are read without counting them."""
    clerk = sign_in(app.test_client(), shop, "clerk")
    record_id = create_order(clerk, "PO-INBOX")
    seen: dict[str, list[str]] = {"inbox": [], "users": [], "counts": []}
    asks = {"inbox": r"FROM human_tasks\b.*\bhuman_tasks\.state = ",
            "users": r"^SELECT users\..* FROM users WHERE users\.tenant_id = \S+ ORDER BY users\.username$",
            "counts": r"^SELECT count\(\*\) AS \w+ FROM \(SELECT records\."}

    def executed(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        flat = " ".join(statement.split())
        for name, pattern in asks.items():
            if re.search(pattern, flat):
                seen[name].append(flat)

    for path, counts in (("/", None), ("/tasks", None), ("/my/submissions", None),
                         (f"/m/formshop/order/{record_id}", 0), ("/m/formshop/order", 1)):
        event.listen(engine.db.engine, "before_cursor_execute", executed)
        try:
            assert clerk.get(path).status_code == 200, path
        finally:
            event.remove(engine.db.engine, "before_cursor_execute", executed)
        assert len(seen["inbox"]) == 1 and len(seen["users"]) <= 1, (path, seen)
        assert counts is None or len(seen["counts"]) == counts, (path, seen["counts"])
        assert path != f"/m/formshop/order/{record_id}" or seen["users"], "the record page names its author"
        for found in seen.values():
            found.clear()


def test_a_role_without_read_sees_a_403_page_in_its_language(app: Flask, shop: str) -> None:
    outsider = sign_in(app.test_client(), shop, "outsider", language="zh")
    home = outsider.text("/")
    assert "/m/formshop/order" not in home  # no navigation to what it may not read
    response = outsider.get("/m/formshop/order")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "没有权限" in html and "<html" in html
    assert "Traceback" not in html and '{"error"' not in html
    assert outsider.get("/m/formshop/order/new").status_code == 403


def test_a_clerk_cannot_see_another_clerks_order(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    record_id = create_order(clerk, "PO-MINE")
    other = sign_in(app.test_client(), shop, "clerk2")
    response = other.get(f"/m/formshop/order/{record_id}")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert "PO-MINE" not in other.text("/m/formshop/order")


def test_missing_pages_are_404_pages_and_the_api_still_answers_json(app: Flask, shop: str) -> None:
    visitor = sign_in(app.test_client(), shop, "clerk", language="zh")
    for path in ("/no/such/page", "/m/nomodule/order", "/m/formshop/nothing", "/m/formshop/order/not-an-id"):
        response = visitor.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 404, path
        assert "找不到页面" in html, path
    api = visitor.client.get("/api/v1/no-such-endpoint")
    assert api.status_code == 404 and api.is_json


def test_hidden_fields_never_reach_the_html(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    record_id = create_order(clerk, "PO-HID", secret_price="987,654.32")
    assert "987,654.32" in clerk.text(f"/m/formshop/order/{record_id}")
    boss = sign_in(app.test_client(), shop, "boss")
    assert "987,654.32" in boss.text(f"/m/formshop/order/{record_id}")
    viewer = sign_in(app.test_client(), shop, "viewer")
    for path in (f"/m/formshop/order/{record_id}", "/m/formshop/order"):
        html = viewer.text(path)
        assert "PO-HID" in html
        assert "Floor price" not in html and "987,654" not in html and "secret_price" not in html, path
    response = viewer.get("/m/formshop/order?q=secret_price+%3E+0")  # filtering on it is refused too,
    assert response.status_code == 400                                 # as on a field that does not exist
    assert "unknown field &#39;secret_price&#39;" in response.get_data(as_text=True)


def test_a_reader_gets_no_edit_button_and_no_form(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    record_id = create_order(clerk, "PO-RO")
    assert f"/m/formshop/order/{record_id}/edit" in clerk.text(f"/m/formshop/order/{record_id}")
    viewer = sign_in(app.test_client(), shop, "viewer")
    html = viewer.text(f"/m/formshop/order/{record_id}")
    assert "/edit" not in html and "/delete" not in html and "New" not in viewer.text("/m/formshop/order")
    assert viewer.get(f"/m/formshop/order/{record_id}/edit").status_code == 403
    assert viewer.post(f"/m/formshop/order/{record_id}/delete").status_code == 403
    assert sign_in(app.test_client(), shop, "boss").get(f"/m/formshop/order/{record_id}/edit").status_code == 200


# -- forms ---------------------------------------------------------------------------------------


def test_the_new_form_has_a_widget_for_every_field_type(app: Flask, shop: str) -> None:
    html = sign_in(app.test_client(), shop, "clerk").text("/m/formshop/order/new")
    assert re.search(r'<label for="f-number">Order number<span class="required"', html)
    assert "For example PO-001" in html and 'placeholder="PO-"' in html
    assert re.search(r'<select id="f-supplier" name="supplier"', html) and ">Acme 建材</option>" in html
    assert 'type="date" id="f-ordered_on"' in html
    assert 'type="datetime-local" id="f-deliver_at"' in html
    assert re.search(r'<option value="goods" selected>Goods</option>', html)
    assert 'name="flags" value="urgent"' in html and 'name="flags" value="fragile"' in html
    assert re.search(r'<select id="f-buyer" name="buyer"', html) and "文员小王 (clerk)" in html
    assert 'name="watchers" value="viewer"' in html
    assert re.search(r'id="f-crates" name="crates" value="" inputmode="numeric"', html)
    assert re.search(r'id="f-weight" name="weight" value="" inputmode="decimal"', html) and ">t</span>" in html
    assert 'id="f-discount" name="discount" value="0.00"' in html
    assert 'type="checkbox" id="f-insured" name="insured"' in html
    assert re.search(r'<div class="field field-textarea[^"]*" data-field="service_note" hidden>', html)
    assert '<textarea id="f-service_note"' in html
    assert re.search(r'type="file" id="f-contract" name="contract" accept="image/\*,\.pdf,[^"]*"', html)
    assert "Each file at most 20 MB." in html
    assert 'name="items[0].item"' in html and 'id="row-template-items"' in html and 'name="items[__i__].qty"' in html
    assert 'data-out="items[0].amount"' in html and 'data-out="total"' in html and 'data-out="payable"' in html
    assert 'data-add-row="items"' in html and 'data-remove-row' in html
    assert 'data-preview-url="/m/formshop/order/preview"' in html


def test_a_refused_form_comes_back_with_the_input_and_each_error_at_its_field(app: Flask, engine: Formwork,
                                                                           shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    supplier = supplier_id(clerk, "Acme 建材")
    unparsable = clerk.post("/m/formshop/order/new", order_form("", supplier, crates="2.5"))
    assert unparsable.status_code == 422  # values that do not parse are reported first
    assert re.search(r'id="f-crates-error">must be a whole number<', unparsable.get_data(as_text=True))
    data = order_form("", supplier, **{"items[3].qty": "-4", "weight": "12,345.678", "service_note": "多行\n备注"})
    response = clerk.post("/m/formshop/order/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-summary"' in html
    assert re.search(r'id="f-number-error">is required<', html)
    assert re.search(r'id="f-items-1--qty-error">must be at least 0<', html)  # the second row, renumbered
    assert 'aria-invalid="true"' in html
    assert 'value="12,345.678"' in html and 'value="-4"' in html and 'value="1,000.25"' in html
    assert "多行\n备注</textarea>" in html
    assert 'name="flags" value="urgent" checked' in html and 'name="watchers" value="clerk2" checked' in html
    assert f'<option value="{supplier}" selected>' in html
    assert 'href="#f-items-1--qty"' in html  # the summary links to the cell
    with engine.records(tenancy.Actor(shop, "boss", frozenset({"admin"}))) as records:
        assert records.find("formshop", "order").total == 0


def test_form_errors_are_shown_in_chinese_too(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk", language="zh")
    response = clerk.post("/m/formshop/order/new", order_form("", supplier_id(clerk, "Acme 建材"),
                                                             **{"items[3].qty": "-4"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请修改以下问题后再保存" in html and ">必填<" in html and "不能小于 0" in html


def test_a_new_order_is_saved_and_shown_as_people_read_it(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    record_id = create_order(clerk, "PO-001")
    html = clerk.text(f"/m/formshop/order/{record_id}")
    assert "Created." in html
    assert "PO-001" in html and "Acme 建材" in html and "Goods" in html and "Urgent" in html
    assert "文员小王" in html and "Vera Viewer, Clerk Two" in html
    assert "5,000.50" in html  # 2 × 1,000.25 + 1.5 × 2,000
    assert "4,500.45" in html  # payable after 10 %
    assert "10.00%" in html and "1.250" in html
    assert "2024-05-01 08:30" in html  # typed in the display zone, shown in it again
    assert "badge-neutral" in html and ">Draft<" in html


def test_edit_form_round_trip_and_change_history(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    record_id = create_order(clerk, "PO-EDIT")
    form = clerk.text(f"/m/formshop/order/{record_id}/edit")
    assert 'value="PO-EDIT"' in form and 'name="_version" value="1"' in form
    assert 'value="1,000.25"' in form and 'value="2024-05-01T08:30"' in form
    data = order_form("PO-EDIT", supplier_id(clerk, "Acme 建材"), crates="7", _version="1")
    response = clerk.post(f"/m/formshop/order/{record_id}/edit", data)
    assert response.status_code == 302
    html = clerk.text(f"/m/formshop/order/{record_id}")
    assert "Saved." in html and "Change history" in html and "Crates: 3 → 7" in html
    stale = clerk.post(f"/m/formshop/order/{record_id}/edit", order_form("PO-EDIT", supplier_id(clerk, "Acme 建材"),
                                                                         crates="9", _version="1"))
    assert stale.status_code == 409
    assert "Not saved" in stale.get_data(as_text=True) and 'value="9"' in stale.get_data(as_text=True)


def test_a_locked_field_is_shown_read_only_and_not_sent(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    record_id = create_order(clerk, "PO-LOCK", insured="on", locked_note="fixed")
    form = clerk.text(f"/m/formshop/order/{record_id}/edit")
    assert 'name="locked_note"' not in form and "fixed" in form
    data = [*order_form("PO-LOCK", supplier_id(clerk, "Acme 建材"), insured="on", _version="1"),
            ("locked_note", "changed")]
    assert clerk.post(f"/m/formshop/order/{record_id}/edit", data).status_code == 302
    assert "fixed" in clerk.text(f"/m/formshop/order/{record_id}")


def test_table_rows_are_added_and_removed_without_javascript(app: Flask, engine: Formwork, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    supplier = supplier_id(clerk, "Acme 建材")
    added = clerk.post("/m/formshop/order/new", order_form("PO-ROWS", supplier, _action="add_row:items"))
    html = added.get_data(as_text=True)
    assert added.status_code == 200
    assert 'name="items[4].item"' in html and 'value="钢筋"' in html
    assert re.search(r'data-out="items\[0\]\.amount"[^>]*>2,000.50<', html)  # computed on the server too
    removed = clerk.post("/m/formshop/order/new", order_form("PO-ROWS", supplier, _action="remove_row:items:0"))
    html = removed.get_data(as_text=True)
    assert 'value="水泥"' not in html and 'value="钢筋"' in html
    with engine.records(tenancy.Actor(shop, "boss", frozenset({"admin"}))) as records:
        assert records.find("formshop", "order").total == 0


def test_preview_runs_the_engines_formulas_and_conditions(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    token = csrf_of(clerk.text("/m/formshop/order/new"))
    data = {"items[0]._row": "1", "items[0].qty": "2", "items[0].price": "1,000.25",
            "items[5]._row": "1", "items[5].qty": "3", "items[5].price": "0.1",
            "discount": "10", "kind": "service", "insured": "on"}
    response = clerk.client.post("/m/formshop/order/preview", data=data, headers={"X-CSRF-Token": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    result = response.get_json()
    assert result["cells"] == {"items[0].amount": "2,000.50", "items[5].amount": "0.30"}
    assert result["fields"]["total"] == "2,000.80"
    assert result["fields"]["payable"] == "1,800.72"
    assert result["totals"] == {"items.amount": "2,000.80"}
    assert result["visible"] == {"service_note": True}
    assert result["readonly"] == {"locked_note": True}
    response = clerk.client.post("/m/formshop/order/preview", data={"kind": "goods", "items[0]._row": "1",
                                                                    "items[0].qty": "x"},
                                 headers={"X-CSRF-Token": token})
    assert response.get_json()["visible"] == {"service_note": False}
    assert response.get_json()["fields"]["total"] == "0.00"


def test_preview_hides_hidden_fields_and_needs_the_right_to_write(app: Flask, shop: str) -> None:
    viewer = sign_in(app.test_client(), shop, "viewer")
    token = csrf_of(viewer.text("/"))
    response = viewer.client.post("/m/formshop/order/preview", data={}, headers={"X-CSRF-Token": token})
    assert response.status_code == 403 and response.is_json


def test_ref_search_lists_matching_titles(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    found = clerk.get("/m/formshop/supplier/options?q=acme").get_json()
    assert [item["title"] for item in found["items"]] == ["Acme 建材"]
    assert clerk.get("/m/formshop/supplier/options").get_json()["total"] == 2
    outsider = sign_in(app.test_client(), shop, "outsider")
    assert outsider.get("/m/formshop/supplier/options").status_code == 403


# -- lists ---------------------------------------------------------------------------------------


def test_list_shows_declared_columns_labels_refs_and_page_totals(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    create_order(clerk, "PO-L1")
    create_order(clerk, "PO-L2", **{"items[0].qty": "100"})
    html = clerk.text("/m/formshop/order")
    headers = re.findall(r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([^<]+)', html)
    assert [h.strip() for h in headers] == ["Order number", "Supplier", "Ordered on", "Kind", "Total", "Status"]
    assert "Acme 建材" in html and ">Goods<" in html and "badge-neutral" in html
    assert '<td class="num">5,000.50</td>' in html and '<td class="num">103,025.00</td>' in html
    assert "<strong>108,025.50</strong>" in html and "Totals cover this page only" in html
    assert "1–2 of 2" in html


def test_list_sorts_by_clicking_headers(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    create_order(clerk, "PO-S1", **{"items[0].qty": "100"})
    create_order(clerk, "PO-S2")
    ascending = clerk.text("/m/formshop/order?sort=total")
    assert ascending.index("PO-S2") < ascending.index("PO-S1")
    assert 'aria-sort="ascending"' in ascending and 'href="/m/formshop/order?sort=-total"' in ascending
    descending = clerk.text("/m/formshop/order?sort=-total")
    assert descending.index("PO-S1") < descending.index("PO-S2")


def test_query_parameters_named_like_the_path_or_url_options_change_no_link(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    create_order(clerk, "PO-Q1")
    for query in ("module=x", "entity=y", "_external=1&_scheme=javascript", "_scheme=https", "_anchor=x",
                  "_method=POST", "endpoint=pages.login"):
        response = clerk.get(f"/m/formshop/order?{query}")
        assert response.status_code == 200, query
        html = response.get_data(as_text=True)
        assert "PO-Q1" in html and "javascript:" not in html and "href=\"http" not in html
        assert re.search(r'href="/m/formshop/order\?[^"]*sort=', html), query   # sort links stay on this page


def test_filter_builder_and_formula_box_narrow_the_list(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    create_order(clerk, "PO-F1", **{"items[0].qty": "100"})
    create_order(clerk, "PO-F2", kind="service")
    html = clerk.text("/m/formshop/order?f=total&op=ge&v=50%2C000&f=&op=contains&v=")
    assert "PO-F1" in html and "PO-F2" not in html and "<code>total &gt;= 50000</code>" in html
    html = clerk.text("/m/formshop/order?f=kind&op=eq&v=Service")
    assert "PO-F2" in html and "PO-F1" not in html
    html = clerk.text("/m/formshop/order?f=supplier&op=contains&v=acme")
    assert "PO-F1" in html and "PO-F2" in html
    html = clerk.text("/m/formshop/order?f=flags&op=contains&v=urgent&f=number&op=contains&v=f2")
    assert "PO-F2" in html and "PO-F1" not in html
    html = clerk.text("/m/formshop/order?q=number+%3D%3D+%27PO-F1%27")
    assert "PO-F1" in html and "PO-F2" not in html
    bad = clerk.get("/m/formshop/order?q=totl+%3E+1")
    assert bad.status_code == 400
    assert "The filter has a problem" in bad.get_data(as_text=True) and "total" in bad.get_data(as_text=True)
    wrong = clerk.get("/m/formshop/order?f=ordered_on&op=ge&v=yesterday")
    assert wrong.status_code == 200 and "is not a valid value for Ordered on" in wrong.get_data(as_text=True)


def test_list_pages_through_many_records(app: Flask, engine: Formwork, shop: str) -> None:
    clerk = tenancy.Actor(shop, "clerk", frozenset({"clerk"}))
    with engine.records(clerk) as records:
        supplier = records.find("formshop", "supplier").items[0]["id"]
        for number in range(27):
            records.create("formshop", "order", {"number": f"PO-P{number:02d}", "supplier": supplier,
                                                 "ordered_on": (date.today() - timedelta(days=number)).isoformat()})
    visitor = sign_in(app.test_client(), shop, "clerk")
    first = visitor.text("/m/formshop/order")
    assert "1–25 of 27" in first and 'rel="next"' in first and "PO-P00" in first and "PO-P26" not in first
    second = visitor.text("/m/formshop/order?page=2")
    assert "26–27 of 27" in second and "PO-P26" in second and 'rel="prev"' in second


# -- record actions ------------------------------------------------------------------------------


def test_delete_from_the_record_page(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk")
    record_id = create_order(clerk, "PO-DEL")
    html = clerk.text(f"/m/formshop/order/{record_id}")
    assert "data-confirm=" in html
    response = clerk.post(f"/m/formshop/order/{record_id}/delete", {"_version": "1"})
    assert response.status_code == 302 and response.location == "/m/formshop/order"
    assert clerk.get(f"/m/formshop/order/{record_id}").status_code == 404


def test_an_unexpected_failure_is_a_page_without_a_stack_trace(app: Flask, shop: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from web.pages import dashboard

    def broken(*_args: object) -> None:
        raise RuntimeError("boom in the KPI code")

    monkeypatch.setattr(dashboard, "kpi_of", broken)
    visitor = sign_in(app.test_client(), shop, "clerk", language="zh")
    response = visitor.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "服务器出错" in html and "boom" not in html and "Traceback" not in html


# -- approvals in the demo tenant ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_formwork: Formwork) -> Flask:
    """The pages on this module's own copy of the demo tenant (tests/demo_copy.py), not on the shared `engine`."""
    return create_app(demo_formwork, TESTING=True, SECRET_KEY="page-tests")


def demo_project(engine: Formwork) -> str:
    admin = tenancy.Actor(DEMO_TENANT, "admin", frozenset({"admin"}))
    with engine.records(admin) as records:
        return str(records.find("base", "project", limit=1).items[0]["id"])


def new_claim(visitor: Visitor, project: str, code: str) -> str:
    response = visitor.post("/m/expense/claim/new", {
        "code": code, "project": project, "date": TODAY, "category": "travel",
        "lines[0]._row": "1", "lines[0].item": "高铁票", "lines[0].qty": "2", "lines[0].price": "553.50",
        "lines[1]._row": "1", "lines[1].item": "住宿", "lines[1].qty": "3", "lines[1].price": "380"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return response.location.rsplit("/", 1)[1]


def demo_visitor(app: Flask, username: str, language: str = "en") -> Visitor:
    return sign_in(app.test_client(), DEMO_TENANT, username, language=language, password=DEMO_PASSWORD)


def test_a_claim_goes_through_approval_on_the_pages(demo: Flask, demo_formwork: Formwork) -> None:
    alice = demo_visitor(demo, "alice")
    code = f"BX-WEB-{date.today():%m%d}-A"
    record_id = new_claim(alice, demo_project(demo_formwork), code)
    page = alice.text(f"/m/expense/claim/{record_id}")
    assert "2,247.00" in page and "Submit for approval" in page
    assert alice.post(f"/m/expense/claim/{record_id}/submit").status_code == 302
    page = alice.text(f"/m/expense/claim/{record_id}")
    assert "Submitted for approval." in page and ">In review<" in page and "Withdraw" in page

    pm = demo_visitor(demo, "pm", "zh")
    inbox = pm.text("/tasks")
    assert code in inbox and "费用报销" in inbox and "2,247.00" in inbox
    record_page = pm.text(f"/m/expense/claim/{record_id}")
    assert "您的待办" in record_page and "同意" in record_page and "驳回" in record_page
    tasks = re.findall(rf'action="/m/expense/claim/{record_id}/tasks/([^/"]+)"', record_page)
    response = pm.post(f"/m/expense/claim/{record_id}/tasks/{tasks[0]}", {"decision": "approve",
                                                                          "comment": "同意报销"})
    assert response.status_code == 302 and response.location == f"/m/expense/claim/{record_id}"
    assert code not in pm.text("/tasks")

    page = alice.text(f"/m/expense/claim/{record_id}")
    assert ">Approved<" in page and "badge-success" in page
    assert "同意报销" in page and "王经理" in page and "Submitted" in page
    again = pm.post(f"/tasks/{tasks[0]}/complete", {"decision": "approve"})
    assert again.status_code == 302  # a second decision is refused politely
    assert "已经处理（已办理，办理人 pm）" in pm.text("/tasks")  # in the page's language, by its code


def test_bulk_approve_and_delegate_from_the_inbox(demo: Flask, demo_formwork: Formwork) -> None:
    alice = demo_visitor(demo, "alice")
    project = demo_project(demo_formwork)
    claims = [new_claim(alice, project, f"BX-WEB-{date.today():%m%d}-{n}") for n in ("B1", "B2", "B3")]
    for record_id in claims:
        alice.post(f"/m/expense/claim/{record_id}/submit")
    pm = demo_visitor(demo, "pm")
    inbox = pm.text("/tasks")
    # each task's checkbox with the link of its own row (the demo's inbox holds other records' tasks too)
    ids = dict(re.findall(r'name="task" value="([^"]+)" form="bulk-\d+">(?:(?!name="task").)*?'
                          r'<a href="/m/expense/claim/([^"]+)"',
                          inbox, flags=re.S))
    by_record = {record: task for task, record in ids.items()}
    response = pm.post("/tasks/bulk", [("task", by_record[claims[0]]), ("task", by_record[claims[1]]),
                                       ("comment", "ok")])
    assert response.status_code == 302
    assert "Approved 2." in pm.text("/tasks")
    delegated = pm.post(f"/tasks/{by_record[claims[2]]}/delegate", {"to": "finance", "comment": "请财务看"})
    assert delegated.status_code == 302
    assert "Delegated to finance." in pm.text("/tasks")
    finance = demo_visitor(demo, "finance")
    assert f"BX-WEB-{date.today():%m%d}-B3" in finance.text("/tasks")
    trail = alice.text(f"/m/expense/claim/{claims[2]}")
    assert "Delegated" in trail and "请财务看" in trail
    assert ">Approved<" in alice.text(f"/m/expense/claim/{claims[0]}")


def test_a_submitter_withdraws_and_an_approver_claims(demo: Flask, demo_formwork: Formwork) -> None:
    alice = demo_visitor(demo, "alice")
    project = demo_project(demo_formwork)
    first = new_claim(alice, project, f"BX-WEB-{date.today():%m%d}-W")
    alice.post(f"/m/expense/claim/{first}/submit")
    assert alice.post(f"/m/expense/claim/{first}/withdraw").status_code == 302
    page = alice.text(f"/m/expense/claim/{first}")
    assert "Withdrawn." in page and ">Withdrawn<" in page and "Submit for approval" in page
    second = new_claim(alice, project, f"BX-WEB-{date.today():%m%d}-C")
    alice.post(f"/m/expense/claim/{second}/submit")
    pm = demo_visitor(demo, "pm")
    page = pm.text(f"/m/expense/claim/{second}")
    task = re.findall(r'action="/tasks/([^/"]+)/claim"', page)
    assert task, "an unassigned task offers to claim it"
    response = pm.post(f"/tasks/{task[0]}/claim", {"next": f"/m/expense/claim/{second}"})
    assert response.status_code == 302
    page = pm.text(f"/m/expense/claim/{second}")
    assert "Claimed." in page and f'action="/tasks/{task[0]}/claim"' not in page
    assert "Claimed Project manager review" in page
    assert alice.post(f"/m/expense/claim/{second}/withdraw").status_code == 302  # claiming is not deciding
    assert ">Withdrawn<" in alice.text(f"/m/expense/claim/{second}")


def test_static_assets_are_served_without_signing_in(app: Flask) -> None:
    client = app.test_client()
    css = client.get("/assets/pages/app.css")
    js = client.get("/assets/pages/app.js")
    assert css.status_code == 200 and "--primary" in css.get_data(as_text=True)
    assert js.status_code == 200 and "data-preview-url" in js.get_data(as_text=True)
    css.close()
    js.close()
