"""REST API `/api/v1`: each endpoint parses, calls one engine service, and returns JSON."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy.orm import Session

from engine import tenancy
from engine.approvals import idempotency, idioms, reminders, trail
from engine.approvals.once import create_once
from engine.approvals.service import Approvals
from engine.errors import AuthenticationFailed, BadRequest, NotFound
from engine.fields.json_schema import record_schema
from engine.printing.document import print_document, print_documents
from engine.records import files
from engine.records.service import Records
from engine.reports.service import run_report
from engine.runtime import Formwork
from engine.tenancy import licenses, login_throttle, plugin_registry
from web.describe import describe_module
from web.errors import request_language
from web.login_guard import guarded, token_lifetime
from web.openapi import openapi_document
from web.ui.printing import file_name, pdf_of, pdf_response, print_html, selected_ids
from web.uploads import file_response, uploads_root

api = Blueprint("api", __name__, url_prefix="/api/v1")
RESERVED_BODY_KEYS = ("version", "data")


def formwork() -> Formwork:
    engine: Formwork = current_app.extensions["formwork"]
    return engine


def language() -> str:
    return request_language()


def document_language() -> str:
    """A printed document is for a Chinese office: Chinese unless `?lang=` or Accept-Language asks otherwise."""
    return language() if request.args.get("lang") or request.headers.get("Accept-Language") else "zh"


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None:
        if request.content_length:
            raise BadRequest("the request body is not valid JSON", message_code="body_not_json")
        return {}
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object", message_code="body_not_object")
    return data


def current_actor() -> tenancy.Actor:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("send 'Authorization: Bearer <token>'; get a token from POST /api/v1/auth/token",
                                   message_code="bearer_missing")
    token = token.strip()
    tenant_id = token.partition(".")[0]
    db = formwork().db
    begun = db.begin(tenant_id, reading=request.method == "GET")
    if begun is None:
        with db.reading(tenant_id) as session:
            return tenancy.actor_for_token(session, tenant_id, token)
    try:
        actor = tenancy.actor_for_token(begun, tenant_id, token)
    except BaseException:
        db.release(begun)
        raise
    g.begun = begun  # the endpoint's unit of work goes on in it: one connection, one transaction
    return actor


def begun_session() -> Session | None:
    """The session the token was checked in, for the request's (first) unit of work to go on with."""
    begun: Session | None = g.pop("begun", None)
    return begun


@contextmanager
def records() -> Iterator[Records]:
    with formwork().records(g.actor, language(), reading=request.method == "GET", begun=begun_session()) as service:
        yield service


@api.before_request
def authenticate() -> None:
    if request.endpoint in ("api.token", "api.openapi_public") or request.method == "OPTIONS":
        return
    g.actor = current_actor()


@api.teardown_app_request  # every blueprint's: the designer's and plugins' routes check tokens with current_actor
def release_begun(_error: BaseException | None) -> None:
    """An endpoint that used no unit of work (or failed before one) leaves the token's session: roll it back."""
    begun = begun_session()
    if begun is not None:
        formwork().db.release(begun)


@api.post("/auth/token")
def token() -> tuple[Response, int]:
    data = body()
    missing = [k for k in ("tenant", "username", "password") if not isinstance(data.get(k), str) or not data[k]]
    if missing:
        raise BadRequest(f"send {', '.join(missing)} as text in the JSON body", message_code="send_texts",
                         params={"names": ", ".join(missing)})
    with guarded(login_throttle.account_key("user", data["tenant"], data["username"])), \
            formwork().db.tenant(data["tenant"]) as session:
        user = tenancy.authenticate(session, data["tenant"], data["username"], data["password"])
        issued = tenancy.issue_token(session, user, token_lifetime())
    return token_json(data["tenant"], issued), 201


@api.post("/auth/refresh")
def refresh() -> tuple[Response, int]:
    """A new token for the live one sent (which stops working); an expired one needs a new login."""
    with formwork().db.tenant(g.actor.tenant_id) as session:
        issued = tenancy.refresh_token(session, g.actor.tenant_id, bearer_token(), token_lifetime())
    return token_json(g.actor.tenant_id, issued), 201


@api.delete("/auth/token")
def revoke() -> tuple[str, int]:
    with formwork().db.tenant(g.actor.tenant_id) as session:
        tenancy.revoke_token(session, g.actor.tenant_id, bearer_token())
    return "", 204


def bearer_token() -> str:
    return request.headers["Authorization"].partition(" ")[2].strip()


def token_json(tenant_id: str, issued: tenancy.IssuedToken) -> Response:
    return jsonify({"token": issued.token, "token_type": "Bearer", "tenant": tenant_id, "username": issued.username,
                    "expires_at": issued.expires_at.isoformat(timespec="seconds"),
                    "expires_in": round(token_lifetime().total_seconds())})


@api.get("/me")
def me() -> Response:
    return jsonify({"tenant": g.actor.tenant_id, "username": g.actor.username, "roles": sorted(g.actor.roles)})


@api.get("/license")
def license_info() -> Response:
    """The tenant's plan, seats used of total, modules and expiry: any signed-in user may see it."""
    with formwork().db.reading(g.actor.tenant_id) as session:
        return jsonify(licenses.summary(session, tenancy.get_tenant(session, g.actor.tenant_id)))


@api.get("/modules")
def modules() -> Response:
    with records() as service:
        return jsonify({"modules": [describe_module(service, spec, language())
                                    for spec in service.modules.values()]})


@api.get("/schema/<module>/<entity>")
def schema(module: str, entity: str) -> Response:
    with records() as service:
        spec = service.entity(module, entity)
        return jsonify(record_schema(spec, language(), service.access(spec).hidden_fields))


@api.get("/records/<module>/<entity>")
def list_records(module: str, entity: str) -> Response:
    args = request.args
    with records() as service:
        page = service.find(module, entity, q=args.get("q"), sort=args.get("sort"),
                            limit=args.get("limit", 50), offset=args.get("offset", 0))
        return jsonify({"items": page.items, "total": page.total})


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """Accept `{data: {...}, version}` or the field values directly."""
    if isinstance(data.get("data"), dict):
        fields: dict[str, Any] = data["data"]
        return fields
    return {k: v for k, v in data.items() if k not in RESERVED_BODY_KEYS}


@api.post("/records/<module>/<entity>")
def create_record(module: str, entity: str) -> tuple[Response, int]:
    fields = _fields(body())
    key = idempotency.request_of(request.headers.get("Idempotency-Key"), fields)
    with approvals() as service:
        created = create_once(service, module, entity, fields, key)
    response = jsonify(created.record)
    response.headers["Location"] = f"{request.path}/{created.record['id']}"
    if created.is_replay:  # a retry of a create that succeeded: the same record, nothing written
        response.headers["Idempotent-Replay"] = "true"
        return response, 200
    return response, 201


@api.get("/records/<module>/<entity>/<record_id>")
def get_record(module: str, entity: str, record_id: str) -> Response:
    with records() as service:
        return jsonify(service.get(module, entity, record_id))


@api.patch("/records/<module>/<entity>/<record_id>")
def update_record(module: str, entity: str, record_id: str) -> Response:
    data = body()
    version = data.get("version", request.headers.get("If-Match", "").strip('"') or None)
    with records() as service:
        return jsonify(service.update(module, entity, record_id, _fields(data), version))


@api.delete("/records/<module>/<entity>/<record_id>")
def delete_record(module: str, entity: str, record_id: str) -> tuple[str, int]:
    version = request.args.get("version") or request.headers.get("If-Match", "").strip('"') or None
    with records() as service:
        service.delete(module, entity, record_id, version)
    return "", 204


@api.get("/records/<module>/<entity>/<record_id>/history")
def history(module: str, entity: str, record_id: str) -> Response:
    with records() as service:
        return jsonify({"items": service.history(module, entity, record_id)})


@api.get("/records/<module>/<entity>/<record_id>/approval")
def approval(module: str, entity: str, record_id: str) -> Response:
    """With whom the record's approval waits, and the steps it took."""
    with records() as service:
        return jsonify(trail.approval_of(service, module, entity, record_id))


@api.get("/records/<module>/<entity>/<record_id>/pdf")
def record_pdf(module: str, entity: str, record_id: str) -> Response:
    """The record as an A4 PDF: what the caller may read of it, its amounts in 大写, its approval trail."""
    with records() as service:
        service.language = document_language()
        documents = [print_document(service, module, entity, record_id)]
        html = print_html(service, documents)
    return pdf_response(pdf_of(html), file_name(documents))


@api.route("/records/<module>/<entity>/pdf", methods=["GET", "POST"])
def records_pdf(module: str, entity: str) -> Response:
    """Several records in one PDF, one document a page: `?ids=a,b` or a JSON body `{"ids": [...]}`."""
    ids = selected_ids(request.args.getlist("ids"), body().get("ids") if request.method == "POST" else None)
    with records() as service:
        service.language = document_language()
        documents = print_documents(service, module, entity, ids)
        html = print_html(service, documents)
    return pdf_response(pdf_of(html), file_name(documents))


@contextmanager
def approvals() -> Iterator[Approvals]:
    with formwork().approvals(g.actor, language(), reading=request.method == "GET", begun=begun_session()) as service:
        yield service


@api.post("/records/<module>/<entity>/<record_id>/submit")
def submit(module: str, entity: str, record_id: str) -> Response:
    with approvals() as service:
        return jsonify(service.submit(module, entity, record_id))


@api.post("/records/<module>/<entity>/<record_id>/withdraw")
def withdraw(module: str, entity: str, record_id: str) -> Response:
    with approvals() as service:
        return jsonify(service.withdraw(module, entity, record_id))


@api.get("/tasks")
def tasks() -> Response:
    with approvals() as service:
        items = service.inbox()
        return jsonify({"items": items, "total": len(items)})


@api.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> Response:
    data = body()
    with approvals() as service:
        return jsonify(idioms.decide(service, task_id, data))  # also add_signer, and return with `to`


@api.post("/records/<module>/<entity>/<record_id>/remind")
def remind(module: str, entity: str, record_id: str) -> Response:
    with approvals() as service:
        return jsonify(reminders.remind(service, module, entity, record_id))


@api.post("/tasks/<task_id>/remind")
def remind_task(task_id: str) -> Response:
    with approvals() as service:
        return jsonify(reminders.remind_task(service, task_id))


@api.post("/tasks/<task_id>/claim")
def claim_task(task_id: str) -> Response:
    with approvals() as service:
        return jsonify(service.claim(task_id))


@api.post("/tasks/<task_id>/delegate")
def delegate_task(task_id: str) -> Response:
    data = body()
    with approvals() as service:
        return jsonify(service.delegate(task_id, data.get("to"), data.get("comment", "")))


@api.get("/reports/<module>/<name>")
def report(module: str, name: str) -> Response:
    with records() as service:
        return jsonify(run_report(service, module, name, q=request.args.get("q")))


@api.post("/files")
def upload_file() -> tuple[Response, int]:
    """Store one attachment (multipart field `file`); `module`, `entity`, `field` apply that field's limits."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("send the file as multipart/form-data in the field 'file'", message_code="upload_no_file")
    with records() as service:
        spec = None
        if request.form.get("field"):
            entity = service.entity(request.form.get("module", ""), request.form.get("entity", ""))
            spec = entity.fields.get(request.form["field"])
            if spec is None or spec.type != "attachment":
                raise BadRequest(f"{entity.title.en} has no attachment field {request.form['field']!r}",
                                 message_code="no_attachment_field",
                                 params={"entity": entity.title.en, "field": request.form["field"]})
        data = upload.stream.read(files.max_size(spec) + 1)
        upload.close()
        stored = files.store(service.session, service.actor, uploads_root(), upload.filename, upload.mimetype,
                             data, spec)
    body = {**stored.as_dict(), "url": f"{request.script_root}/api/v1/files/{stored.id}"}
    response = jsonify(body)
    response.headers["Location"] = body["url"]
    return response, 201


@api.get("/files/<file_id>")
def download_file(file_id: str) -> Response:
    """A file for its uploader, or for readers of `?record=module/entity/id` when that record holds it."""
    parts = request.args.get("record", "").split("/")
    record = (parts[0], parts[1], parts[2]) if len(parts) == 3 and all(parts) else None
    with records() as service:
        info = files.readable(service, file_id, record)
    path = files.blob_path(uploads_root(), g.actor.tenant_id, info.sha256)
    if not path.is_file():
        raise NotFound(f"the content of file {file_id!r} is missing from the uploads folder",
                       message_code="file_content_missing", params={"file_id": file_id})
    return file_response(path.read_bytes(), info.content_type, info.name, inline=False)


@api.get("/openapi.json")
def openapi_public() -> Response:
    """Without a token: the generic document; with one: the tenant's entities spelled out."""
    plugin_paths = {path: item for plugin in plugin_registry.load().values()
                    for path, item in plugin.openapi_paths.items()}
    header = request.headers.get("Authorization", "")
    if not header:
        return jsonify(openapi_document(None, language(), plugin_paths))
    g.actor = current_actor()
    with records() as service:
        return jsonify(openapi_document(service, language(), plugin_paths))
