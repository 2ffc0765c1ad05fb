"""The pages say an engine refusal in the page's language: the 403 page's detail comes from the message catalog
(it used to be the engine's English), seen in Chromium at 1366 and 390 px."""
from __future__ import annotations

import re
from typing import Any

from flask import Flask

from engine.runtime import Formwork
from tests.browser import ARTIFACTS, log_in, serving
from tests.conftest import PASSWORD
from tests.web.conftest import sign_in

ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:['’][a-z]+)?(?:[ ,;:]+[A-Za-z]{2,}){2,}")


def test_the_403_page_says_why_in_chinese(app: Flask, shop: str) -> None:
    viewer = sign_in(app.test_client(), shop, "viewer", language="zh")
    response = viewer.get("/m/formshop/order/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "您的角色（" in html and "不能新建订单；如需权限，请联系租户管理员" in html
    assert "may not create" not in html and "ask a tenant administrator" not in html
    english = sign_in(app.test_client(), shop, "viewer").get("/m/formshop/order/new").get_data(as_text=True)
    assert "may not create Order records" in english


def test_the_403_page_in_chromium_reads_chinese(app: Flask, engine: Formwork, shop: str, browser: Any) -> None:
    with serving(app, engine) as url:
        for width in (1366, 390):
            context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
            page = context.new_page()
            log_in(page, url, shop, "viewer", PASSWORD)
            page.goto(url + "/m/formshop/order/new")
            main = page.inner_text("main")
            assert "不能新建订单" in main
            assert ENGLISH_RUN.search(main) is None, main
            page.screenshot(path=str(ARTIFACTS / f"error-403-zh-{width}.png"), full_page=True)
            context.close()
