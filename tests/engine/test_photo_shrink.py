"""The server shrinks a big photo for a `capture: camera` field before keeping it, and only for such a field."""
from __future__ import annotations

import io

from PIL import Image

from app import create_app
from engine.fields import photos
from engine.records import files
from engine.runtime import Formwork
from tests.conftest import add_user, login
from tests.photo_samples import noisy_jpeg


def upload(client, headers: dict[str, str], data: bytes, **form: str):  # type: ignore[no-untyped-def]
    """POST the photo as multipart encoded here (the test client would spool it to a file it leaves open)."""
    boundary = "formwork-photo-boundary"
    fields = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
                      for k, v in form.items())
    body = fields + (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"IMG_0001.JPG\"\r\n"
                     "Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/api/v1/files", headers=headers, content_type=f"multipart/form-data; boundary={boundary}",
                       data=body)


def test_a_4_mb_photo_for_a_camera_field_is_stored_as_a_jpeg_of_at_most_400_kb(engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "lee", "admin")
    client = create_app(engine, TESTING=True).test_client()
    lee = login(client, tenant, "lee")
    original = noisy_jpeg()
    assert len(original) > 4 * 1000 * 1000
    response = upload(client, lee.headers, original, module="labor", entity="day_labor_ticket", field="photos")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["size"] <= photos.MAX_BYTES and body["type"] == "image/jpeg" and body["name"] == "IMG_0001.jpg"
    stored = client.get(f"/api/v1/files/{body['id']}", headers=lee.headers).data
    assert len(stored) == body["size"]
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and max(image.size) <= photos.LONGEST_SIDE
        assert image.size == (1600, 1200)   # the 4:3 shape kept

    elsewhere = upload(client, lee.headers, original)   # no capture: camera field: kept as it came
    assert elsewhere.status_code == 201 and elsewhere.get_json()["size"] == len(original)


def test_a_small_photo_or_a_file_that_is_no_image_passes_unchanged() -> None:
    small = noisy_jpeg(400, 300)
    assert photos.shrunk("a.jpg", "image/jpeg", small) == ("a.jpg", "image/jpeg", small)
    broken = b"\xff\xd8\xff" + b"0" * (files.CHUNK)
    assert photos.shrunk("b.jpg", "image/jpeg", broken) == ("b.jpg", "image/jpeg", broken)
