"""New and edit forms of a record, and the preview endpoint that recomputes them while people type."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import flash, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.approvals.idempotency import IdempotentRequest
from engine.approvals.once import create_once, earlier_record
from engine.approvals.service import Approvals
from engine.declarations.model import Action, EntitySpec
from engine.errors import Conflict, FieldError, RecordInvalid
from engine.fields.values import to_json
from web.pages.blueprint import pages
from web.pages.records import once
from web.pages.records.attachments import file_links, posted_files, save_uploads
from web.pages.records.choices import form_choices
from web.pages.records.record import source_texts, warning_lines
from web.ui.display import Formatter, format_number
from web.ui.error_text import engine_error_text, field_message
from web.ui.forms import (
    ROW_KEY,
    Raw,
    add_row,
    default_raw,
    raw_from_document,
    read_raw,
    remove_row,
    to_data,
    without_blank_rows,
)
from web.ui.i18n import t
from web.ui.layout import render
from web.ui.preview import evaluate, is_editable, previous_values, shown_fields, writable_fields
from web.ui.services import approvals, formatter, record_title
from web.ui.widgets import FormContext, build_widgets, field_errors


def render_form(service: Approvals, entity: EntitySpec, raw: Raw, *, record: Mapping[str, Any] | None,
                errors: Sequence[FieldError] = (), status: int = 200, notice: str = "") -> Response:
    """The form for a new record (`record` None) or an existing one, with the input in `raw`."""
    records = service.records
    record_id = record["id"] if record is not None else None
    previous = previous_values(records, entity, record_id) if record_id else None
    writable = writable_fields(records, entity, previous)
    names = shown_fields(records, entity)
    evaluated = evaluate(records, entity, to_data(entity, raw), previous, record_id)
    documents = [to_data(entity, raw), {name: to_json(value) for name, value in evaluated.values.items()}]
    fmt = formatter(records, entity, documents)
    by_input, listed = field_errors(list(errors), field_message)
    held = [i for name in names if entity.fields[name].type == "attachment"
            for i in _listed(raw.get(name)) if i]
    record_ref = (entity.module, entity.name, str(record_id)) if record_id else None
    links = {link.id: link for link in file_links(records, held, record_ref)}
    ctx = FormContext(entity, records.language, fmt, form_choices(records, entity, names), writable, by_input,
                      evaluated.values, evaluated.visible, evaluated.readonly, links)
    widgets = build_widgets(ctx, raw, names)
    texts = source_texts(records, {**(record or {}).get("data", {}), **to_data(entity, raw)})
    for widget in widgets:  # a locked source or kpi key reads as what it names
        widget.display = texts.get(widget.name, widget.display) if widget.locked else widget.display
    derived, no_access = records.access(entity).derived_refs, t("value.no_access")
    for widget in widgets:  # a ref filled for the user: its title when they may read it, else a neutral word
        if widget.name in derived:
            widget.note = ""
            widget.display = t("form.filled_for_you") if widget.display in ("", no_access) else widget.display
    anchors: dict[str, tuple[str, str]] = {}
    for w in widgets:
        anchors[w.input_name] = (w.input_id if w.visible else "", w.label)
        for number, (_index, cells) in enumerate(w.rows, start=1):
            for cell in cells:
                anchors[cell.input_name] = (cell.input_id if w.visible else "",
                                            f"{w.label} · {t('form.row', number=number)} · {cell.label}")
    summary = []
    for name, message in listed:
        anchor, label = anchors.get(name, ("", ""))
        spec = entity.fields.get(name.split("[")[0])
        summary.append((anchor, label or (spec.label.get(records.language) if spec is not None else ""), message))
    language = records.language
    title = (t("form.edit_title", entity=entity.title.get(language), title=record_title(entity, record, fmt))
             if record is not None else t("form.new_title", entity=entity.title.get(language)))
    module = records.modules[entity.module]
    action = (url_for("pages.record_edit", module=entity.module, entity=entity.name, record_id=record_id)
              if record_id else url_for("pages.record_new", module=entity.module, entity=entity.name))
    cancel = (url_for("pages.record_view", module=entity.module, entity=entity.name, record_id=record_id)
              if record_id else url_for("pages.record_list", module=entity.module, entity=entity.name))
    warnings = warning_lines(records, entity, record_id) if record_id and not errors else []
    key = (request.form.get(once.FIELD) or uuid.uuid4().hex) if record is None else ""  # a retry sends it again
    return render(service, "pages/form.html", code=status, title=title, entity=entity, module=module,
                  idempotency_key=key, widgets=widgets, errors=summary, notice=notice, warnings=warnings,
                  action=action, cancel_url=cancel,
                  record=record, status_label=fmt.status(record["status"]) if record is not None else "",
                  preview_url=url_for("pages.record_preview", module=entity.module,
                                                     entity=entity.name))


def _listed(value: Any) -> list[Any]:
    """An attachment field's input: a list of file ids, or one."""
    return value if isinstance(value, list) else [value]


def _form_action(entity: EntitySpec, raw: Raw) -> bool:
    """Handle a no-JavaScript table button (add/remove a row, recalculate); True when one was pressed."""
    action = request.form.get("_action", "save")
    if action.startswith("add_row:"):
        add_row(entity, raw, action.partition(":")[2])
        return True
    if action.startswith("remove_row:"):
        _, table, index = action.split(":", 2)
        if index.isdigit():
            remove_row(raw, table, int(index))
        return True
    return action == "recalculate"


def _save(spec: EntitySpec, raw: Raw, record: Mapping[str, Any] | None,
          write: Callable[[Approvals, dict[str, Any]], dict[str, Any]]) -> dict[str, Any] | Response:
    """Write the posted form in its own transaction; on refusal, the form again with the input kept."""
    raw = without_blank_rows(spec, raw)
    try:
        with approvals() as service:
            return write(service, to_data(spec, raw))
    except RecordInvalid as error:
        with approvals() as service:
            return render_form(service, spec, raw, record=record, errors=error.errors, status=422)
    except Conflict as error:
        with approvals() as service:
            return render_form(service, spec, raw, record=record, status=409,
                               notice=t("form.conflict", message=engine_error_text(error)))


UNFILLED = frozenset({"table", "attachment"})   # never filled in from a link's query


@pages.route("/m/<module>/<entity>/new", methods=["GET", "POST"])
def record_new(module: str, entity: str) -> Response:
    with approvals() as service:
        spec = service.records.entity(module, entity)
        service.records.access(spec).require(Action.CREATE)
        writable = writable_fields(service.records, spec, None)
        if request.method != "POST":   # GET and HEAD show the form, filled in from the query where it names fields
            given = {name for name in request.args if name in writable and spec.fields[name].type not in UNFILLED}
            return render_form(service, spec, {**default_raw(spec, writable), **read_raw(spec, request.args, given)},
                               record=None)
        raw = read_raw(spec, request.form, writable)
        key = once.form_request()
        try:  # sent before (a phone's retry): its record, before any file is stored again
            earlier = earlier_record(service, module, entity, key)
        except Conflict as error:
            return render_form(service, spec, raw, record=None, status=409,
                               notice=t("form.conflict", message=engine_error_text(error)))
        if earlier is not None:
            return once.replayed(module, entity, earlier)
        upload_errors = save_uploads(service.records, spec, raw, writable, posted_files())
        if upload_errors:
            return render_form(service, spec, raw, record=None, errors=upload_errors, status=422)
        if _form_action(spec, raw):
            return render_form(service, spec, raw, record=None)
    replays: list[bool] = []
    created = _save(spec, raw, None, lambda service, data: _create(service, module, entity, data, key, replays))
    if isinstance(created, Response):
        return created
    if replays:  # a retry that raced the first send: it created nothing
        return once.replayed(module, entity, created["id"])
    _flash_saved("form.created", created.get("warnings", []))
    return redirect(url_for("pages.record_view", module=module, entity=entity, record_id=created["id"]))


def _create(service: Approvals, module: str, entity: str, data: dict[str, Any],
            key: IdempotentRequest | None, replays: list[bool]) -> dict[str, Any]:
    created = create_once(service, module, entity, data, key)
    if created.is_replay:
        replays.append(True)
    return created.record


@pages.route("/m/<module>/<entity>/<record_id>/edit", methods=["GET", "POST"])
def record_edit(module: str, entity: str, record_id: str) -> Response:
    with approvals() as service:
        records = service.records
        spec = records.entity(module, entity)
        records.access(spec).require(Action.UPDATE)
        record = records.get(module, entity, record_id)
        view_url = url_for("pages.record_view", module=module, entity=entity, record_id=record_id)
        if not is_editable(record["status"]):
            flash(t("record.not_editable", status=Formatter(records.language).status(record["status"])), "error")
            return redirect(view_url)
        writable = writable_fields(records, spec, previous_values(records, spec, record_id))
        if request.method != "POST":   # GET and HEAD show the form
            return render_form(service, spec, raw_from_document(spec, record["data"], writable), record=record)
        raw = read_raw(spec, request.form, writable)
        upload_errors = save_uploads(service.records, spec, raw, writable, posted_files())
        if upload_errors:
            return render_form(service, spec, raw, record=record, errors=upload_errors, status=422)
        if _form_action(spec, raw):
            return render_form(service, spec, raw, record=record)
    version = request.form.get("_version")
    saved = _save(spec, raw, record,
                  lambda service, data: service.records.update(module, entity, record_id, data, version))
    if isinstance(saved, Response):
        return saved
    _flash_saved("form.saved", saved.get("warnings", []))
    return redirect(view_url)


def _flash_saved(done: str, warnings: list[dict[str, Any]]) -> None:
    """Saved; the warning rules the record breaks are said at once (the record page keeps showing them)."""
    if warnings:
        flash(t("form.saved_with_warnings", messages="；".join(w["message"] for w in warnings)), "warning")
    else:
        flash(t(done), "ok")


@pages.post("/m/<module>/<entity>/preview")
def record_preview(module: str, entity: str) -> Response:
    """Computed values, visibility and read-only state of the posted form, as display text."""
    record_id = request.form.get("_record") or None
    with approvals() as service:
        records = service.records
        spec = records.entity(module, entity)
        access = records.access(spec)
        access.require(Action.UPDATE if record_id else Action.CREATE)
        previous = previous_values(records, spec, record_id) if record_id else None
        raw = read_raw(spec, request.form, writable_fields(records, spec, previous))
        evaluated = evaluate(records, spec, to_data(spec, raw), previous, record_id)
        fmt = formatter(records, spec, [{k: to_json(v) for k, v in evaluated.values.items()}])
        shown = set(shown_fields(records, spec))
        fields: dict[str, str] = {}
        cells: dict[str, str] = {}
        totals: dict[str, str] = {}
        for name in shown:
            field_spec = spec.fields[name]
            value = evaluated.values.get(name)
            if field_spec.is_computed:
                fields[name] = fmt.value(field_spec, to_json(value))
            if field_spec.type != "table":
                continue
            rows = value or []
            posted = raw.get(name, [])
            for column, child in field_spec.fields.items():
                if not child.is_computed or child.hidden:
                    continue
                for position, row in enumerate(rows):
                    index = posted[position][ROW_KEY] if position < len(posted) else position
                    cells[f"{name}[{index}].{column}"] = fmt.value(child, to_json(row.get(column)))
                if child.type == "money":
                    totals[f"{name}.{column}"] = format_number(child, sum(
                        (r[column] for r in rows if r.get(column) is not None), start=0))
        return jsonify({"fields": fields, "cells": cells, "totals": totals,
                        "visible": {k: v for k, v in evaluated.visible.items() if k in shown},
                        "readonly": {k: v for k, v in evaluated.readonly.items() if k in shown}})
