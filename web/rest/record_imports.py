"""`POST /api/v1/records/<module>/<entity>/import`: a workbook or CSV file imported as records, all rows or none.

A file of at most FORMWORK_IMPORT_SYNC_ROWS rows (1,000 by default) is imported in the request: 201
{"imported": n, "ids": [...]} (200 {"imported": 0, "checked": n} for `dry_run`), or 422 with every row's errors,
`{"error": {...}, "rows": [{row, field, column, code, message}]}` (messages in the request's language), nothing
written. A larger file runs as a job in a background thread: 202 {"job", "url"}; `GET /api/v1/imports/<job>`
reports {state: running | done | failed, validated, written, total} and, once ended, what the request would have
answered (`imported`, or `error` and `rows`). A job's state is a JSON file under the uploads folder (any process
of the instance can answer the poll), readable by the user who started it only.
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Any

from flask import Response, current_app, g, jsonify, request

from engine import tenancy
from engine.declarations.model import Action
from engine.errors import BadRequest, FormworkError, NotFound
from engine.records.bulk.importer import BulkImport, ImportRejected, Outcome
from engine.records.bulk.sheets import Sheet, read_sheet
from engine.runtime import Formwork
from web.api import api, formwork, language
from web.errors import error_response, status_of
from web.ui.error_text import error_text
from web.ui.i18n import translate
from web.ui.sheets.import_template import template_workbook
from web.uploads import file_response, uploads_root

log = logging.getLogger("formwork.imports")
SYNC_ROWS = 1000
MAX_BYTES = 32 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JOB = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@api.post("/records/<module>/<entity>/import")
def import_records(module: str, entity: str) -> tuple[Response, int]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("send the file as multipart/form-data in the field 'file' (.xlsx or .csv)",
                         message_code="import_no_file")
    data = upload.stream.read(MAX_BYTES + 1)
    upload.close()
    if len(data) > MAX_BYTES:
        raise BadRequest(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it",
                         message_code="import_file_too_large", params={"megabytes": MAX_BYTES // (1024 * 1024)})
    dry_run = request.form.get("dry_run", request.args.get("dry_run", "")).lower() in ("1", "true", "yes", "on")
    actor, lang, name = g.actor, language(), upload.filename
    with formwork().approvals(actor, lang) as service:   # 403 / 404 before the file is read, not in a job
        BulkImport(service.records, module, entity)
    sheet = read_sheet(data, upload.filename)
    rows = list(sheet.rows)
    sheet = Sheet(sheet.header, iter(rows), sheet.header_row)
    if len(rows) <= int(current_app.config.get("FORMWORK_IMPORT_SYNC_ROWS", SYNC_ROWS)):
        body, status = run_import(formwork(), actor, lang, module, entity, sheet, dry_run, name)
        return jsonify(body), status
    job = secrets.token_urlsafe(18)
    path = job_path(uploads_root(), actor.tenant_id, job)
    save(path, {"state": "running", "user": actor.username, "validated": 0, "written": 0, "total": len(rows)})
    threading.Thread(target=_job, args=(formwork(), path, actor, lang, module, entity, sheet, dry_run, name),
                     name="formwork-record-import", daemon=True).start()
    url = f"{request.script_root}/api/v1/imports/{job}"
    response = jsonify({"job": job, "url": url, "total": len(rows)})
    response.headers["Location"] = url
    return response, 202


@api.get("/records/<module>/<entity>/import/template")
def import_template(module: str, entity: str) -> Response:
    """The entity's import template workbook for this user (web/ui/sheets/import_template.py)."""
    with formwork().records(g.actor, language()) as records:
        spec = records.entity(module, entity)
        records.access(spec).require(Action.CREATE)
        content = template_workbook(records, spec)
        name = f"{spec.title.get(records.language)}-{translate('import.template_file', records.language)}.xlsx"
    return file_response(content, XLSX, name, inline=False)


@api.get("/imports/<job>")
def import_progress(job: str) -> Response:
    path = job_path(uploads_root(), g.actor.tenant_id, job) if JOB.match(job) else None
    state = _load(path) if path is not None else None
    if state is None or state.get("user") != g.actor.username:
        raise NotFound(f"import {job!r} does not exist", message_code="import_job_not_found", params={"job": job})
    return jsonify({key: value for key, value in state.items() if key != "user"})


def run_import(engine: Formwork, actor: tenancy.Actor, lang: str, module: str, entity: str, sheet: Sheet,
               dry_run: bool, name: str, progress: Any = None) -> tuple[dict[str, Any], int]:
    """The import in one transaction, answered as the API answers it."""
    try:
        with engine.approvals(actor, lang) as service:
            outcome: Outcome = BulkImport(service.records, module, entity, create=service.create,
                                          progress=progress).run(sheet, dry_run=dry_run, source=name)
            if dry_run:
                service.records.session.rollback()
    except ImportRejected as rejected:
        body, status = error_response(422, rejected.code, error_text(rejected.message_code, rejected.params, lang,
                                                                     rejected.message),
                                      message_code=rejected.message_code, params=rejected.params)
        return {**(body.get_json() or {}), "rows": [
            {"row": e.row, "field": e.field, "column": e.column, "code": e.code,
             "message": error_text(e.code, e.params, lang, e.message)} for e in rejected.rows]}, status
    if dry_run:
        return {"imported": 0, "checked": outcome.rows, "dry_run": True}, 200
    return {"imported": outcome.imported, "ids": outcome.ids}, 201


def _job(engine: Formwork, path: Path, actor: tenancy.Actor, lang: str, module: str, entity: str, sheet: Sheet,
         dry_run: bool, name: str) -> None:
    state: dict[str, Any] = {"state": "running", "user": actor.username, "validated": 0, "written": 0}

    def progress(validated: int, written: int, total: int) -> None:
        state.update(validated=validated, written=written, total=total)
        save(path, state)

    try:
        body, status = run_import(engine, actor, lang, module, entity, sheet, dry_run, name, progress)
        state.update(body, state="done" if status < 400 else "failed", status=status)
    except FormworkError as error:
        state.update(state="failed", status=status_of(error),
                     error={"code": error.code, "message": error_text(error.message_code, error.params, lang,
                                                                      error.message)})
    except Exception:  # the thread's outermost boundary: log it, tell the poller
        log.exception("import job %s failed", path.stem)
        state.update(state="failed", status=500, error={"code": "internal_error", "message": error_text(
            "unexpected_error", {}, lang, "unexpected error; it was logged")})
    save(path, state)


def job_path(root: Path, tenant_id: str, job: str) -> Path:
    return root / "record-imports" / tenant_id / f"{job}.json"


def save(path: Path, state: dict[str, Any]) -> None:
    """Written whole, then renamed: a poll never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    temporary.write_text(json.dumps(state, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(temporary, path)


def _load(path: Path) -> dict[str, Any] | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None
