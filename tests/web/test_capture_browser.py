"""In headless Chromium on an emulated phone (390x844, touch, zh-CN): the crew leader writes a 点工单 with a
4 MB photo from the camera field and a signature drawn on the pad; the stored photo is a stamped JPEG of at most
400 KB and the signature a PNG with ink on it.

Screenshots land in tests/artifacts/capture-*.png (git-ignored) for people to look at.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from PIL import Image, ImageStat

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from engine import tenancy
from engine.fields import photos
from engine.runtime import Formwork
from tests.browser import ARTIFACTS, all_steps, serving
from tests.photo_samples import noisy_jpeg

playwright_api = pytest.importorskip("playwright.sync_api")

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
         "permissions": ["geolocation"], "geolocation": {"latitude": 30.65984, "longitude": 104.06325, "accuracy": 12},
         "user_agent": "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/120.0 Mobile Safari/537.36"}
ADMIN = tenancy.Actor(DEMO_TENANT, "admin", frozenset({"admin"}))


@pytest.fixture
def site(demo_formwork: Formwork) -> Iterator[str]:
    app = create_app(demo_formwork, SECRET_KEY="capture-browser-tests")
    with serving(app, demo_formwork) as url:
        yield url


@pytest.fixture
def phone(browser: Any, site: str) -> Iterator[Any]:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(site + "/login")
    page.fill("#tenant", DEMO_TENANT)
    page.fill("#username", "crew1")
    page.fill("#password", DEMO_PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(site + "/")
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def sign(page: Any, selector: str) -> None:
    """Draw a short scribble with the pointer (mouse moves give the pad the same pointer events as a finger)."""
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    assert box is not None and box["width"] >= 300
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(x + step * 10, y + (18 if step % 2 else -18), steps=2)
    page.mouse.up()


def fill_ticket(page: Any) -> None:
    all_steps(page)
    page.select_option("#f-project", index=1)
    page.fill("#f-work_date", date.today().isoformat())
    page.select_option("#f-crew", index=1)
    page.select_option("#f-trade", index=1)
    page.fill("#f-location", "6#楼 21层 电梯厅")
    page.select_option("#f-reason_type", "cleanup")
    page.fill("#f-reason", "楼层清理建筑垃圾，配合总包检查")
    page.fill("#f-work_content", "清运 5 层东侧垃圾")
    page.fill("#f-headcount", "2")
    for remove in page.locator("table[data-table=workers] [data-remove-row]").all():
        remove.click()


def stored(page: Any, site: str, file_id: str) -> bytes:
    response = page.request.get(f"{site}/files/{file_id}")
    assert response.ok, response.status
    return bytes(response.body())


def test_the_crew_leader_sends_a_stamped_photo_and_a_signature_drawn_on_the_pad(
        site: str, phone: Any, demo_formwork: Formwork) -> None:
    phone.goto(site + "/m/labor/day_labor_ticket/new")
    fill_ticket(phone)
    original = noisy_jpeg()
    assert len(original) > 4 * 1000 * 1000
    phone.set_input_files("#f-photos", files=[{"name": "IMG_2041.JPG", "mimeType": "image/jpeg", "buffer": original}])
    phone.wait_for_selector("#f-photos[data-captured='1']", state="attached", timeout=30000)
    picked = phone.evaluate("(() => { const f = document.querySelector('#f-photos').files;"
                            " return [f.length, f[0].name, f[0].type, f[0].size]; })()")
    assert picked[:3] == [1, "IMG_2041.jpg", "image/jpeg"] and picked[3] <= photos.MAX_BYTES
    assert phone.locator(".capture-photo img").count() == 1

    sign(phone, ".signature-canvas")
    phone.wait_for_selector("#f-crew_leader_signature[data-captured='1']", state="attached")
    signature = phone.evaluate("(() => { const f = document.querySelector('#f-crew_leader_signature').files;"
                               " return [f.length, f[0].name, f[0].type]; })()")
    assert signature == [1, "signature.png", "image/png"]
    phone.locator("[data-field=photos]").scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / "capture-form-390-zh.png"))
    widths = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"

    dropped: list[str] = []   # the first send is cut off as by a lost signal: 重试 sends it again, nothing lost

    def drop_once(route: Any) -> None:
        if dropped:
            route.continue_()
        else:
            dropped.append(route.request.url)
            route.abort("internetdisconnected")

    phone.route("**/m/labor/day_labor_ticket/new", drop_once)
    phone.locator(".form-actions .button-primary").click()
    phone.wait_for_selector(".capture-upload.is-failed .capture-retry", timeout=30000)
    assert "网络中断" in phone.locator(".capture-upload").inner_text()
    assert phone.input_value("#f-location") == "6#楼 21层 电梯厅"
    assert phone.evaluate("document.querySelector('#f-photos').files.length") == 1
    phone.locator(".capture-upload").scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / "capture-retry-390-zh.png"))
    phone.locator(".capture-retry").click()
    phone.wait_for_url(lambda url: "/new" not in url, timeout=30000)
    errors = phone.locator(".error-summary").all_inner_texts()
    assert not errors, errors
    record_id = phone.url.rstrip("/").split("/")[-1]
    with demo_formwork.records(ADMIN, reading=True) as records:
        data = records.get("labor", "day_labor_ticket", record_id)["data"]
    assert len(data["photos"]) == 1 and data["crew_leader_signature"] and len(dropped) == 1
    with demo_formwork.records(ADMIN, reading=True) as records:   # the retry made one ticket, not two
        same = records.find("labor", "day_labor_ticket", q="location == '6#楼 21层 电梯厅'", limit=5).items
    assert [r["id"] for r in same] == [record_id]

    photo = stored(phone, site, data["photos"][0])
    assert len(photo) <= photos.MAX_BYTES
    with Image.open(io.BytesIO(photo)) as image, Image.open(io.BytesIO(original)) as before:
        assert image.format == "JPEG" and image.size == (1600, 1200)
        band = (0, image.height - 40, image.width, image.height)   # the stamp's dark band at the bottom
        scaled = before.resize(image.size)
        assert ImageStat.Stat(image.convert("L").crop(band)).mean[0] < 150
        assert ImageStat.Stat(scaled.convert("L").crop(band)).mean[0] > 200
        above = (0, image.height - 400, image.width, image.height - 300)   # and the picture above it unchanged
        assert abs(ImageStat.Stat(image.convert("L").crop(above)).mean[0]
                   - ImageStat.Stat(scaled.convert("L").crop(above)).mean[0]) < 8
    ink = stored(phone, site, data["crew_leader_signature"])
    with Image.open(io.BytesIO(ink)) as pad:
        assert pad.format == "PNG"
        darkest, lightest = pad.convert("L").getextrema()
        assert darkest < 80 and lightest == 255   # ink on white

    (ARTIFACTS / "capture-stored-photo.jpg").write_bytes(photo)
    phone.locator("img[src*='/files/']").first.scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / "capture-record-390-zh.png"))


def test_a_ticket_sent_unsigned_comes_back_asking_for_the_signature_with_the_photo_kept(
        site: str, phone: Any) -> None:
    phone.goto(site + "/m/labor/day_labor_ticket/new")
    fill_ticket(phone)
    phone.set_input_files("#f-photos", files=[{"name": "IMG_2042.JPG", "mimeType": "image/jpeg",
                                               "buffer": noisy_jpeg(1200, 900)}])
    phone.wait_for_selector("#f-photos[data-captured='1']", state="attached", timeout=30000)
    sign(phone, ".signature-canvas")
    phone.locator(".signature-tools button").click()   # 清除: the pad and the field are empty again
    assert phone.evaluate("document.querySelector('#f-crew_leader_signature').files.length") == 0
    phone.locator(".form-actions .button-primary").click()
    phone.wait_for_selector(".error-summary", timeout=30000)   # the answer replaced the page: the form again
    assert "班组长签字" in phone.locator(".error-summary").inner_text()
    assert "IMG_2042.jpg" in phone.locator("[data-field=photos]").inner_text()   # uploaded once, kept by id
    assert phone.locator("[data-field=crew_leader_signature] .signature-canvas").count() == 1
    assert phone.input_value("#f-location") == "6#楼 21层 电梯厅"
