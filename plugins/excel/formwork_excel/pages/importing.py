"""Excel import of an entity's records: upload, column mapping, checked preview, one-transaction import."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app, flash, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response

from engine.approvals.service import Approvals
from engine.declarations.model import Action, EntitySpec
from engine.errors import NotFound
from engine.records import imports
from formwork_excel import Column, UnreadableWorkbook, read_workbook, write_workbook
from formwork_excel.pages import import_jobs
from formwork_excel.pages.exporting import XLSX
from web.pages.blueprint import pages
from web.ui.display import display_zone
from web.ui.error_text import error_text
from web.ui.i18n import language, t
from web.ui.layout import render
from web.ui.services import approvals, formwork, uploads_root
from web.ui.sheets.import_template import template_workbook
from web.uploads import file_response

MAX_BYTES = 10 * 1024 * 1024
PREVIEW_ROWS = 200
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Choice:
    name: str
    label: str


def max_bytes() -> int:
    """The largest workbook taken: FORMWORK_IMPORT_MAX_BYTES in the app config, else MAX_BYTES."""
    return int(current_app.config.get("FORMWORK_IMPORT_MAX_BYTES", MAX_BYTES))


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _store() -> import_jobs.Store:
    """The import states, bounded by FORMWORK_IMPORT_MAX_STATE_BYTES; a check or import whose heartbeat is older
    than FORMWORK_IMPORT_LEASE_SECONDS has died with its process."""
    config = current_app.config
    return import_jobs.Store(
        uploads_root(), max_bytes=int(config.get("FORMWORK_IMPORT_MAX_STATE_BYTES", import_jobs.MAX_STATE_BYTES)),
        lease=timedelta(seconds=float(config.get("FORMWORK_IMPORT_LEASE_SECONDS",
                                                 import_jobs.LEASE.total_seconds()))))


def _entity(service: Approvals, module: str, entity: str) -> EntitySpec:
    spec = service.records.entity(module, entity)
    service.records.access(spec).require(Action.CREATE)
    return spec


def _state(module: str, entity: str, token: str) -> import_jobs.ImportState:
    """The signed-in user's own import of this entity, else 404; one whose process died is ended first."""
    store = _store()
    state = store.load(session.get("tenant", ""), token)
    if state is None or state.username != session.get("user") or (state.module, state.entity) != (module, entity):
        raise NotFound(f"import {token!r} does not exist", message_code="import_not_found", params={"token": token})
    return import_jobs.recover(formwork(), store, state)


def _unreadable(error: UnreadableWorkbook) -> str:
    """Why a workbook is refused, in the user's language."""
    if error.reason == "unreadable":
        return t("import.unreadable", message=str(error))
    limit = error.limit or 0
    return t(f"import.limit_{error.reason}", limit=int(limit) if float(limit).is_integer() else limit)


def _page(service: Approvals, spec: EntitySpec, code: int = 200, **context: Any) -> Response:
    records = service.records
    title = t("import.title", entity=spec.title.get(records.language))
    return render(service, "pages/import.html", code=code, module=records.modules[spec.module], entity=spec,
                  title=title, max_mb=megabytes(max_bytes()), **context)


@pages.get("/m/<module>/<entity>/import")
def import_upload(module: str, entity: str) -> Response:
    with approvals() as service:
        return _page(service, _entity(service, module, entity), step="upload")


@pages.get("/m/<module>/<entity>/import/template.xlsx")
def import_template(module: str, entity: str) -> Response:
    """The entity's import template for this user (web/ui/sheets/import_template.py)."""
    with approvals() as service:
        spec = _entity(service, module, entity)
        content = template_workbook(service.records, spec)
        name = f"{spec.title.get(service.records.language)}-{t('import.template_file')}.xlsx"
    return file_response(content, XLSX, name, inline=False)


@pages.post("/m/<module>/<entity>/import")
def import_receive(module: str, entity: str) -> Response:
    """Read the uploaded workbook, keep its sheets, and go on to the column mapping."""
    upload = request.files.get("file")
    data = b""
    if upload is not None:
        data = upload.stream.read(max_bytes() + 1)
        upload.close()  # the spooled temporary file is closed now, not whenever it is collected
    with approvals() as service:   # only someone who may import gets the workbook read
        _entity(service, module, entity)
    problem = ""
    sheets: list[Any] = []
    if upload is None or not upload.filename:
        problem = t("import.no_file")
    elif len(data) > max_bytes():
        problem = t("import.too_big", mb=megabytes(max_bytes()))
    elif not upload.filename.lower().endswith(".xlsx") or not data.startswith(ZIP_MAGIC):
        problem = t("import.not_xlsx")
    else:
        try:
            sheets = [s for s in read_workbook(data) if s.header]
        except UnreadableWorkbook as error:
            problem = _unreadable(error)
        if not problem and not sheets:
            problem = t("import.empty")
    with approvals() as service:
        spec = _entity(service, module, entity)
        if problem:
            return _page(service, spec, code=400, step="upload", problem=problem)
        fields = imports.importable_fields(service.records, spec)
        actor = service.records.actor
    zone = display_zone()
    store = _store()
    state = import_jobs.ImportState(
        token=store.new_token(), tenant=actor.tenant_id, username=actor.username, module=module,
        entity=entity, filename=(upload.filename or "") if upload is not None else "", language=language(),
        sheets=[import_jobs.SheetData(s.name, s.header, [[import_jobs.cell_json(c, zone) for c in row]
                                                         for row in s.rows], s.numbers) for s in sheets])
    state.mapping = imports.auto_mapping(state.current.header, fields)
    try:
        store.save(state)
    except import_jobs.ImportTooLarge:
        with approvals() as service:
            return _page(service, spec, code=400, step="upload", problem=t("import.notice_too_large"))
    return redirect(url_for("pages.import_step", module=module, entity=entity, token=state.token))


@pages.get("/m/<module>/<entity>/import/<token>")
def import_step(module: str, entity: str, token: str) -> Response:
    """The import's current step: mapping, progress, preview with errors, or the outcome."""
    state = _state(module, entity, token)
    with approvals() as service:
        spec = _entity(service, module, entity)
        return _render_state(service, spec, state)


def _render_state(service: Approvals, spec: EntitySpec, state: import_jobs.ImportState, code: int = 200) -> Response:
    language = service.records.language
    fields = imports.importable_fields(service.records, spec)
    choices = [Choice(f.name, f.label.get(language) + (" *" if f.required else "")) for f in fields]
    labels = {name: s.label.get(language) for name, s in spec.fields.items()}
    urls = {name: url_for(f"pages.import_{name}", module=spec.module, entity=spec.name, token=state.token)
            for name in ("step", "check", "run", "progress", "errors")}
    errors_by_row = {r["number"]: [_problem(labels, e) for e in r["errors"]] for r in state.results}
    failure = [_problem(labels, e) for e in state.failure.get("errors", [])]
    sheet = state.current
    mapped = [(position, labels.get(name, "")) for position, name in enumerate(state.mapping) if name]
    preview = [(number, [row[p] if p < len(row) else None for p, _ in mapped], errors_by_row.get(number, []))
               for row, number in zip(sheet.rows, sheet.numbers, strict=True)]
    preview.sort(key=lambda item: not item[2])  # rows with problems first
    return render(service, "pages/import.html", code=code, module=service.records.modules[spec.module],
                  entity=spec, title=t("import.title", entity=spec.title.get(language)), step=state.state,
                  state=state, choices=choices, urls=urls, mapped=mapped, preview=preview[:PREVIEW_ROWS],
                  valid=len(state.valid_numbers), invalid=state.invalid_count, failure=failure,
                  failure_row=state.failure.get("number"), max_mb=megabytes(max_bytes()),
                  list_url=url_for("pages.record_list", module=spec.module, entity=spec.name))


@dataclass(frozen=True)
class Problem:
    """One problem of a row as the page shows it: the column's label, then what is wrong."""

    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.column}{'：' if language() == 'zh' else ': '}{self.message}" if self.column else self.message


def _problem(labels: dict[str, str], stored: list[Any]) -> Problem:
    """A stored [field, message, code?, params?] in the reader's language (by its code when it has one)."""
    field, message = stored[0], stored[1]
    text = error_text(stored[2], stored[3] if len(stored) > 3 else {}, language(), message) if len(stored) > 2 \
        else message   # a state saved before codes: as it was
    return Problem(labels.get(field.split("[")[0], field) if field else "", text)


def _message(labels: dict[str, str], stored: list[Any]) -> str:
    return str(_problem(labels, stored))


@pages.post("/m/<module>/<entity>/import/<token>/check")
def import_check(module: str, entity: str, token: str) -> Response:
    """Take the chosen sheet and mapping, then check every row in the background."""
    state = _state(module, entity, token)
    if state.state in ("checking", "importing"):
        return redirect(url_for("pages.import_step", module=module, entity=entity, token=token))
    with approvals() as service:
        spec = _entity(service, module, entity)
        allowed = {f.name for f in imports.importable_fields(service.records, spec)}
        sheet = request.form.get("sheet", "")
        if sheet.isdigit() and int(sheet) < len(state.sheets) and int(sheet) != state.sheet:
            state.sheet = int(sheet)   # another sheet: its own columns, matched afresh
            state.mapping = imports.auto_mapping(state.current.header, imports.importable_fields(service.records,
                                                                                                 spec))
            state.results, state.state = [], "mapping"
            _store().save(state)
            return _render_state(service, spec, state)
        chosen = [request.form.get(f"col{position}", "") for position in range(len(state.current.header))]
        mapping = [name if name in allowed else None for name in chosen]
        used = [name for name in mapping if name]
        if len(used) != len(set(used)) or not used:
            state.mapping = mapping
            flash(t("import.mapping_twice") if used else t("import.mapping_none"), "error")
            return _render_state(service, spec, state, code=400)
        actor = service.records.actor
    state.mapping, state.state, state.done, state.total, state.results, state.notice = mapping, "checking", 0, \
        len(state.current.rows), [], ""
    store = _store()
    store.save(state)
    import_jobs.start(import_jobs.check, formwork(), store, actor, state, display_zone())
    return redirect(url_for("pages.import_step", module=module, entity=entity, token=token))


@pages.post("/m/<module>/<entity>/import/<token>/run")
def import_run(module: str, entity: str, token: str) -> Response:
    """Import the valid rows in one transaction, in the background; the page shows its progress."""
    state = _state(module, entity, token)
    with approvals() as service:
        spec = _entity(service, module, entity)
        if state.state != "checked" or not state.valid_numbers:
            return _render_state(service, spec, state, code=409)
        actor = service.records.actor
        state.state, state.done, state.total, state.notice = "importing", 0, len(state.valid_numbers), ""
        page = _render_state(service, spec, state)   # rendered first: the import holds SQLite's write lock
    store = _store()
    store.save(state)
    import_jobs.start(import_jobs.run, formwork(), store, actor, state, display_zone())
    return page


@pages.get("/m/<module>/<entity>/import/<token>/progress")
def import_progress(module: str, entity: str, token: str) -> Response:
    """How far the check or import got; reads the state file (the session check reads without
    waiting for SQLite's write lock, web/pages/services.signed_in), and the
    database only to end an import whose process died (when no import holds SQLite's write lock)."""
    state = _state(module, entity, token)
    return jsonify({"state": state.state, "done": state.done, "total": state.total, "created": state.created,
                    "finished": state.state not in import_jobs.RUNNING})


@pages.get("/m/<module>/<entity>/import/<token>/errors.xlsx")
def import_errors(module: str, entity: str, token: str) -> Response:
    """The rows that cannot be imported, as uploaded, with an errors column to fix them by."""
    state = _state(module, entity, token)
    with approvals() as service:
        spec = _entity(service, module, entity)
        labels = {name: s.label.get(service.records.language) for name, s in spec.fields.items()}
        errors = {r["number"]: r["errors"] for r in state.results if r["errors"]}
        sheet = state.current
        columns = [Column(f"c{p}", heading or f"#{p + 1}") for p, heading in enumerate(sheet.header)]
        columns += [Column("row", t("import.row")), Column("errors", t("import.errors_column"))]
        rows = [[*row, number, "\n".join(_message(labels, e) for e in errors[number])]
                for row, number in zip(sheet.rows, sheet.numbers, strict=True) if number in errors]
        content = write_workbook(columns, rows, title=sheet.name, language=service.records.language)
    stem = f"{spec.title.get(service.records.language)}-{t('import.errors_file')}-{date.today().isoformat()}"
    return file_response(content, XLSX, f"{stem}.xlsx", inline=False)
