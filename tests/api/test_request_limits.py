"""Request bodies have a size limit: small for JSON, large enough for attachments; too big is a JSON 413."""
from __future__ import annotations

import contextlib
import http.client
import json
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from app import create_app
from engine.runtime import Formwork
from tests.browser import serving
from tests.conftest import PASSWORD, add_user, login

MB = 1024 * 1024


def test_a_json_body_over_the_limit_is_refused_with_a_json_413(engine: Formwork, tenant: str,
                                                               client: FlaskClient) -> None:
    add_user(engine, tenant, "ann", "admin")
    ann = login(client, tenant, "ann")
    huge = json.dumps({"project_name": "x" * (3 * MB)})
    response = client.post("/api/v1/records/base/project", data=huge, content_type="application/json",
                           headers=ann.headers)
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "request_entity_too_large" and "2 MB" in error["message"]
    assert ann.get("/records/base/project").get_json()["total"] == 0
    # the limit is read before the body: a login needs no token to be refused
    assert client.post("/api/v1/auth/token", data=huge, content_type="application/json").status_code == 413


def test_the_json_limit_is_configurable(engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    client = create_app(engine, TESTING=True, FORMWORK_MAX_JSON_MB=0.001).test_client()
    ann = login(client, tenant, "ann")
    response = ann.post("/records/base/project", {"project_name": "x" * 2000})
    assert response.status_code == 413


def multipart(content: bytes) -> tuple[bytes, str]:
    """A multipart body with one file, encoded here (the test client would spool it to a file it leaves open)."""
    boundary = "formwork-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_an_attachment_of_the_declared_20_mb_fits_but_a_larger_request_does_not(engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    client = create_app(engine, TESTING=True).test_client()
    ann = login(client, tenant, "ann")
    body, content_type = multipart(b"%PDF-1.4\n" + b"0" * (20 * 1000 * 1000 - 20))
    upload = client.post("/api/v1/files", headers=ann.headers, content_type=content_type, data=body)
    assert upload.status_code == 201, upload.get_json()
    small = create_app(engine, TESTING=True, FORMWORK_MAX_REQUEST_MB=1).test_client()
    body, content_type = multipart(b"0" * (2 * MB))
    too_big = small.post("/api/v1/files", headers=ann.headers, content_type=content_type, data=body)
    assert too_big.status_code == 413 and too_big.get_json()["error"]["code"] == "request_entity_too_large"


def test_the_openapi_document_lists_413_429_and_token_expiry(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    token = document["paths"]["/auth/token"]
    assert {"201", "401", "413", "429"} <= set(token["post"]["responses"])
    assert "204" in token["delete"]["responses"]
    assert {"201", "401"} <= set(document["paths"]["/auth/refresh"]["post"]["responses"])
    assert "token_expired" in json.dumps(document["components"])
    assert "413" in document["paths"]["/records/{module}/{entity}"]["post"]["responses"]


def chunked_post(base: str, path: str, chunks: list[bytes], headers: dict[str, str]) -> tuple[int, bytes]:
    """POST a body in chunks, without Content-Length, over a real socket; (status, body) of the answer."""
    connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=60)
    # the server may answer and close before it has read everything: the answer is still there
    with contextlib.suppress(OSError):
        connection.request("POST", path, body=iter(chunks), headers=headers, encode_chunked=True)
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    return response.status, answer


def test_a_chunked_body_without_content_length_is_held_to_the_same_limits(engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    app = create_app(Formwork(engine.db.url), TESTING=True, FORMWORK_MAX_JSON_MB=1, FORMWORK_MAX_REQUEST_MB=4)
    with serving(app, app.extensions["formwork"]) as base:
        status, answer = chunked_post(base, "/api/v1/auth/token", [json.dumps(
            {"tenant": tenant, "username": "ann", "password": PASSWORD}).encode()],
            {"Content-Type": "application/json"})
        assert status == 201, answer
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {json.loads(answer)['token']}"}
        for megabytes in (2, 8):   # over the JSON limit; over the limit of any request
            chunks = [b'{"project_name": "', *[b"x" * MB] * megabytes, b'"}']
            status, answer = chunked_post(base, "/api/v1/records/base/project", chunks, headers)
            assert status == 413, (megabytes, answer[:300])
            assert json.loads(answer)["error"]["code"] == "request_entity_too_large"
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        status, answer = chunked_post(base, "/login", [b"tenant=", *[b"x" * MB] * 2], form)
        assert status == 413, answer[:300]
