"""A ref is shown by its target's title, and every rule applies at that hop: a record the reader may not read
(another region's row) is not named, a title field hidden from the reader is never shown, and neither is
shown by its id — on the record page, the list and the history."""
from __future__ import annotations

import pytest
from flask import Flask

from engine import tenancy
from engine.runtime import Formwork
from tests.conftest import PASSWORD, new_tenant_id
from tests.web.conftest import sign_in

NO_ACCESS = "无权查看"


@pytest.fixture
def hops(engine: Formwork) -> dict[str, str]:
    """A tenant with a north and a south vendor and a bill of each; the second bill moved from north to south."""
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, name="标题", plan="enterprise")
        tenancy.set_module_enabled(session, tenant_id, "titlehops", True, engine.catalog.modules())
        for username, roles in (("boss", ["admin"]), ("buyer", ["buyer"]), ("auditor", ["auditor"])):
            tenancy.add_user(session, tenant_id, username, PASSWORD, roles, display_name=username)
    with engine.records(tenancy.Actor(tenant_id, "boss", frozenset({"admin"}))) as records:
        north = records.create("titlehops", "vendor", {"name": "北方建材", "region": "north"})
        south = records.create("titlehops", "vendor", {"name": "南方秘密供应商", "region": "south"})
        bill = records.create("titlehops", "bill", {"number": "B-1", "vendor": south["id"]})
        moved = records.create("titlehops", "bill", {"number": "B-2", "vendor": north["id"]})
        records.update("titlehops", "bill", moved["id"], {"vendor": south["id"]}, moved["version"])
    return {"tenant": tenant_id, "north": north["id"], "south": south["id"], "bill": bill["id"], "moved": moved["id"]}


def test_a_ref_to_a_row_the_reader_may_not_read_is_not_named(app: Flask, hops: dict[str, str]) -> None:
    buyer = sign_in(app.test_client(), hops["tenant"], "buyer", language="zh")
    for path in (f"/m/titlehops/bill/{hops['bill']}", "/m/titlehops/bill", f"/m/titlehops/bill/{hops['moved']}"):
        html = buyer.text(path)
        assert "南方秘密供应商" not in html and hops["south"] not in html, path
        assert NO_ACCESS in html, path
    history = buyer.text(f"/m/titlehops/bill/{hops['moved']}")
    assert "北方建材" in history  # the history's before value: a vendor the buyer may read
    assert "南区" in buyer.text("/m/titlehops/bill") and ">south<" not in buyer.text("/m/titlehops/bill")


def test_a_hidden_title_field_is_never_shown_through_a_ref(app: Flask, hops: dict[str, str]) -> None:
    auditor = sign_in(app.test_client(), hops["tenant"], "auditor", language="zh")
    for path in (f"/m/titlehops/bill/{hops['moved']}", "/m/titlehops/bill"):
        html = auditor.text(path)
        assert "北方建材" not in html and "南方秘密供应商" not in html, path
        assert hops["north"] not in html.replace(f'/vendor/{hops["north"]}', "") and NO_ACCESS in html, path


def test_a_readable_ref_is_its_title_with_a_link(app: Flask, hops: dict[str, str]) -> None:
    boss = sign_in(app.test_client(), hops["tenant"], "boss", language="zh")
    html = boss.text(f"/m/titlehops/bill/{hops['bill']}")
    assert f'<a href="/m/titlehops/vendor/{hops["south"]}">南方秘密供应商</a>' in html
    assert "北方建材" in boss.text(f"/m/titlehops/bill/{hops['moved']}")  # the history's before value
