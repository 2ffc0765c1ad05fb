"""In headless Chromium emulating a 390x844 phone (zh-CN): a crew leader writes a 点工单 with the network
switched off; it is kept on the phone with its photo and signature, sent once when the network returns, and a
retried send of the same draft creates nothing twice.

Screenshots land in tests/artifacts/offline-*.png (git-ignored) for people to look at.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app import create_app
from demo.data import DEMO_TENANT
from engine import tenancy
from engine.runtime import Formwork
from engine.storage.models import StoredFile
from tests.browser import ARTIFACTS, all_steps, serving
from tests.web.test_browser import Tab

playwright_api = pytest.importorskip("playwright.sync_api")

PHONE = {"width": 390, "height": 844}
MOBILE_CHROME = ("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/120.0.0.0 Mobile Safari/537.36")
ADMIN = tenancy.Actor(DEMO_TENANT, "admin", frozenset({"admin"}))
LOCATION = "离线测试 3#楼 5层 东侧"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small solid PNG (a photo, a signature) without an image library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
    row = b"\x00" + bytes(rgb) * width
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height))
            + chunk(b"IEND", b""))


@pytest.fixture
def site(demo_formwork: Formwork) -> Iterator[str]:
    app = create_app(demo_formwork, SECRET_KEY="offline-browser-tests")
    with serving(app, demo_formwork) as url:
        yield url


class Phone(Tab):
    """A tab in a phone's device emulation: 390x844, touch, a mobile user agent, zh-CN."""

    def __init__(self, browser: Any, base: str) -> None:
        self.context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=3, is_mobile=True,
                                           has_touch=True, user_agent=MOBILE_CHROME)
        self.page = self.context.new_page()
        self.base = base
        self.language = "zh"
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))


def tickets(engine: Formwork) -> list[dict[str, Any]]:
    with engine.records(ADMIN, reading=True) as records:
        return records.find("labor", "day_labor_ticket", q=f"location == '{LOCATION}'", limit=10).items


def stored_files(engine: Formwork) -> int:
    with engine.db.tenant(DEMO_TENANT) as session:
        return int(session.scalar(select(func.count()).select_from(StoredFile)) or 0)


def fill_ticket(page: Any) -> None:
    all_steps(page)
    page.select_option("select[name=project]", index=1)
    page.fill("input[name=work_date]", (date.today() - timedelta(days=1)).isoformat())
    crew = page.locator("select[name=crew]")
    if crew.count():
        crew.select_option(index=1)
    page.fill("input[name=location]", LOCATION)
    page.select_option("select[name=reason_type]", "cleanup")
    page.fill("textarea[name=reason]", "模板拆除后楼层垃圾清理外运，离线填写")
    page.fill("textarea[name=work_content]", "清理5层楼面建筑垃圾并吊运至地面")
    page.fill("input[name=headcount]", "2")
    page.set_input_files("input[type=file][name=photos]", [
        {"name": "site-photo.png", "mimeType": "image/png", "buffer": png(64, 48, (120, 140, 160))}])
    page.set_input_files("input[type=file][name=crew_leader_signature]", [
        {"name": "signature.png", "mimeType": "image/png", "buffer": png(120, 40, (20, 20, 20))}])


def test_a_ticket_written_offline_arrives_once_with_its_photo_signature_and_agreed_price(
        site: str, demo_formwork: Formwork, browser: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    before_files = stored_files(demo_formwork)
    phone = Phone(browser, site)
    phone.log_in("crew1")
    phone.open("/m/labor/day_labor_ticket/new")
    page = phone.page
    key = page.input_value("input[name=_idempotency_key]")
    assert len(key) >= 16
    phone.context.set_offline(True)
    fill_ticket(page)
    page.locator(".form-actions button[value=save]").click()
    notice = page.locator(".offline-notice")
    notice.wait_for()
    assert "已保存到本机，联网后自动提交" in notice.inner_text()
    page.locator(".offline-notice .offline-draft").first.wait_for()
    draft = page.locator(".offline-notice .offline-draft").first.inner_text()
    assert "等待联网" in draft and "2 个附件" in draft
    assert page.evaluate("typeof window.FormworkOffline.sync") == "function"
    page.screenshot(path=str(ARTIFACTS / "offline-saved-390-zh.png"))
    assert tickets(demo_formwork) == [] and stored_files(demo_formwork) == before_files

    kept = page.evaluate("window.FormworkOffline.drafts().then(d => { window.__replay = d[d.length - 1]; "
                         "return [d.length, window.__replay.key]; })")
    assert kept == [1, key]
    phone.context.set_offline(False)   # the `online` event sends the draft
    page.locator(".offline-notice .offline-draft.is-sent").wait_for(timeout=20000)
    [ticket] = tickets(demo_formwork)
    data = ticket["data"]
    assert ticket["created_by"] == "crew1" and ticket["status"] == "draft"
    assert len(data["photos"]) == 1 and data["crew_leader_signature"]
    assert stored_files(demo_formwork) == before_files + 2
    assert data["agreed_price"] is not None and data["unit_price"] == data["agreed_price"]
    assert data["price_source"] == "agreement" and data["amount"] is not None
    page.locator(".offline-notice .offline-draft.is-sent a", has_text="查看单据").wait_for()

    # a retried send of the same draft (its answer lost, say): the same key, values and files, posted again
    resent = page.evaluate(RESEND)
    assert resent["redirected"] and resent["url"].endswith("/m/labor/day_labor_ticket/" + ticket["id"]), resent
    assert [t["id"] for t in tickets(demo_formwork)] == [ticket["id"]]
    assert stored_files(demo_formwork) == before_files + 2
    # the drafts list (from the inbox's "待发送" link when something waits; here: the page itself)
    phone.open("/drafts")
    page.locator(".offline-draft.is-sent").wait_for()
    assert "已提交" in page.inner_text(".offline-drafts")
    page.screenshot(path=str(ARTIFACTS / "offline-drafts-390-zh.png"))
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the drafts page scrolls sideways: {widths}"

    phone.close()


# the draft as it was stored, posted again with the page's CSRF token (kept in window.__replay before sending)
RESEND = """async () => {
    const draft = window.__replay;
    const form = new FormData();
    draft.entries.forEach(([name, value]) => value instanceof Blob ? form.append(name, value, value.name)
                                                                  : form.append(name, value));
    form.set('_csrf', document.querySelector('meta[name="csrf-token"]').content);
    const response = await fetch(draft.action, {method: 'POST', body: form, headers: {'Idempotency-Key': draft.key}});
    return {status: response.status, redirected: response.redirected, url: response.url};
}"""


def test_a_draft_the_server_refuses_shows_why_and_reopens_with_its_files(
        site: str, demo_formwork: Formwork, browser: Any) -> None:
    phone = Phone(browser, site)
    phone.log_in("crew1")
    phone.open("/m/labor/day_labor_ticket/new")
    page = phone.page
    phone.context.set_offline(True)
    fill_ticket(page)
    page.fill("input[name=location]", LOCATION + " 待修改")
    page.fill("textarea[name=reason]", "太短")   # at least 10 characters
    page.locator(".form-actions button[value=save]").click()
    page.locator(".offline-notice .offline-draft.is-waiting").wait_for()
    phone.context.set_offline(False)
    page.locator(".offline-notice .offline-draft.is-invalid").wait_for(timeout=20000)
    assert "事由说明" in page.inner_text(".offline-notice .offline-draft-errors")

    phone.open("/tasks")   # the inbox says something waits, and leads to the list
    pending = page.locator(".offline-pending")
    pending.wait_for()
    assert pending.inner_text() == "待发送 1"
    pending.click()
    page.wait_for_url(site + "/drafts")
    page.locator(".offline-draft.is-invalid").wait_for()
    assert "需修改后重新保存" in page.inner_text(".offline-drafts")
    page.screenshot(path=str(ARTIFACTS / "offline-drafts-invalid-390-zh.png"))

    page.locator(".offline-draft.is-invalid a", has_text="打开修改").click()
    page.locator(".offline-notice").wait_for()
    all_steps(page)
    assert page.input_value("input[name=location]") == LOCATION + " 待修改"
    assert page.evaluate("[document.querySelector('input[name=photos]').files.length, "
                         "document.querySelector('input[name=crew_leader_signature]').files.length]") == [1, 1]
    page.fill("textarea[name=reason]", "模板拆除后楼层垃圾清理外运，已补充说明")
    page.locator(".form-actions button[value=save]").click()
    page.wait_for_url(lambda url: "/m/labor/day_labor_ticket/" in url and "/new" not in url)
    with demo_formwork.records(ADMIN, reading=True) as records:
        found = records.find("labor", "day_labor_ticket", q=f"location == '{LOCATION} 待修改'").items
    assert len(found) == 1, (page.url, page.inner_text("main")[:600])
    [ticket] = found
    assert len(ticket["data"]["photos"]) == 1 and ticket["data"]["crew_leader_signature"]
    phone.open("/drafts")   # the draft became a receipt: nothing waits any more
    page.locator(".offline-draft.is-sent").wait_for(timeout=20000)
    assert page.locator(".offline-draft").count() == 1
    phone.close()
