"""Saved list views: save the current filter, sort and columns under a name, pick one, delete one."""
from __future__ import annotations

import re
from html import unescape

from flask import Flask

from engine.runtime import Formwork
from tests.excel.conftest import add_orders, visitor

LIST = "/m/sheetshop/order"
QUERY = "f=kind&op=eq&v=service&sort=-amount&cols=number,amount"


def view_links(html: str) -> dict[str, str]:
    menu = html.split('class="views-list"', 1)[1].split("</ul>", 1)[0]
    return {unescape(name): unescape(url) for url, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', menu)}


def test_a_saved_view_reproduces_filter_sort_and_columns(app: Flask, engine: Formwork, shop: str) -> None:
    add_orders(engine, shop, [{"number": f"PO-{n}", "ordered_on": "2024-05-01", "amount": str(n * 100),
                               "kind": "service" if n % 2 else "goods"} for n in range(1, 6)])
    clerk = visitor(app, shop, "clerk")
    html = clerk.text(f"{LIST}?{QUERY}&page=1")
    assert 'name="params" value="f=kind&amp;op=eq&amp;v=service&amp;sort=-amount&amp;cols=number%2Camount"' in html
    response = clerk.post(f"{LIST}/views", {"name": "大额服务单", "params": QUERY})
    assert response.status_code == 302 and response.location.startswith(LIST + "?f=kind")
    links = view_links(clerk.text(LIST))
    assert list(links) == ["大额服务单"]
    shown = clerk.text(links["大额服务单"])
    assert "View '大额服务单' saved." in shown or "大额服务单" in shown
    table = shown.split('class="data-table"', 1)[1]
    assert table.index("PO-5") < table.index("PO-3") < table.index("PO-1")
    assert "PO-2" not in table and "Ordered on" not in table.split("</thead>")[0]


def test_saving_a_name_again_replaces_it_and_views_belong_to_their_user(app: Flask, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    clerk.post(f"{LIST}/views", {"name": "mine", "params": "sort=number"})
    clerk.post(f"{LIST}/views", {"name": "mine", "params": "sort=-number"})
    links = view_links(clerk.text(LIST))
    assert links == {"mine": f"{LIST}?sort=-number"}
    assert view_links(visitor(app, shop, "viewer").text(LIST)) == {}


def test_a_view_is_deleted_only_by_its_owner(app: Flask, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    clerk.post(f"{LIST}/views", {"name": "old", "params": "sort=number"})
    html = clerk.text(LIST)
    delete_url = re.search(r'action="(/m/sheetshop/order/views/[^"]+/delete)"', html).group(1)
    viewer = visitor(app, shop, "viewer")
    assert viewer.post(delete_url).status_code == 404
    assert clerk.post(delete_url).status_code == 302
    assert view_links(clerk.text(LIST)) == {}


def test_a_view_needs_a_name_and_a_csrf_token(app: Flask, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    response = clerk.post(f"{LIST}/views", {"name": "  ", "params": "sort=number"}, follow_redirects=True)
    assert "A view needs a name of 1 to 100 characters." in response.get_data(as_text=True)
    assert clerk.post(f"{LIST}/views", {"name": "x", "params": ""}, token=False).status_code == 400
    assert view_links(clerk.text(LIST)) == {}


def test_columns_are_picked_in_the_filter_form_and_kept_by_a_view(app: Flask, engine: Formwork, shop: str) -> None:
    add_orders(engine, shop, [{"number": "PO-1", "ordered_on": "2024-05-01", "qty": 7}])
    clerk = visitor(app, shop, "clerk")
    html = clerk.text(LIST)
    assert '<input type="checkbox" name="cols" value="number" checked>' in html
    assert '<input type="checkbox" name="cols" value="qty">' in html
    assert 'name="cols" value="secret_price"' in html
    assert 'name="cols" value="secret_price"' not in visitor(app, shop, "viewer").text(LIST)
    picked = clerk.text(f"{LIST}?cols=number&cols=qty&cols=created_by")
    head = picked.split('class="data-table"', 1)[1].split("</thead>")[0]
    assert "Order number" in head and "Quantity" in head and "Created by" in head and "Supplier" not in head
    clerk.post(f"{LIST}/views", {"name": "qty", "params": "cols=number&cols=qty"})
    assert view_links(clerk.text(LIST)) == {"qty": f"{LIST}?cols=number&cols=qty"}
