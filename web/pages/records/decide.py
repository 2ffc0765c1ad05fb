"""A decision from the record page's task panel: the decision, the comment and the step's fields in one engine
call; refused input comes back beside its fields."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.errors import BadRequest, Conflict, NotFound, PermissionDenied, RecordInvalid
from engine.workflow import DECISIONS
from web.pages.blueprint import pages
from web.pages.records.approval_parts import Posted, step_fields
from web.pages.records.attachments import posted_files, save_uploads
from web.pages.records.editing import _form_action
from web.pages.records.record import record_page
from web.ui.error_text import engine_error_text
from web.ui.forms import raw_from_document, read_raw, to_data, without_blank_rows
from web.ui.i18n import t
from web.ui.preview import shown_fields
from web.ui.services import approvals

TASK_FAILURES = (Conflict, PermissionDenied, NotFound)
SHOWN_FIELD = "_field"   # the panel names each field it shows


@pages.post("/m/<module>/<entity>/<record_id>/tasks/<task_id>")
def record_decide(module: str, entity: str, record_id: str, task_id: str) -> Response:
    """Decide a task from the record page: the decision, the comment and the step's fields in one engine call;
    refused input comes back beside its fields (422), the values kept."""
    here = url_for("pages.record_view", module=module, entity=entity, record_id=record_id)
    decision = request.form.get("decision", "")
    comment = request.form.get("comment", "").strip()
    with approvals() as service:
        records = service.records
        spec = records.entity(module, entity)
        record = records.get(module, entity, record_id)
        task = next((i for i in service.inbox() if i["id"] == task_id and i["record_id"] == record_id), None)
        if task is None:
            flash(t("progress.task_gone"), "error")
            return redirect(here)
        names = step_fields(spec, task["bpmn_id"], shown_fields(records, spec))
        raw = read_raw(spec, request.form, set(names))
        upload_errors = save_uploads(records, spec, raw, set(names), posted_files())
        stored = raw_from_document(spec, record["data"], set(names))
        if decision not in DECISIONS:  # a table's row buttons and Enter without JavaScript: the panel again
            _form_action(spec, raw)
            return record_page(service, module, entity, record_id, posted=Posted(task_id, raw, comment))
    if upload_errors:
        return _again(module, entity, record_id, Posted(task_id, raw, comment, upload_errors))
    data = to_data(spec, without_blank_rows(spec, raw))
    before = to_data(spec, stored)
    changed = {name: value for name, value in data.items() if value != before.get(name) and _sent(name)}
    try:
        with approvals() as service:
            service.complete(task_id, decision, comment, changed or None)
    except RecordInvalid as error:
        return _again(module, entity, record_id, Posted(task_id, raw, comment, error.errors))
    except BadRequest as error:
        return _again(module, entity, record_id, Posted(task_id, raw, comment, notice=engine_error_text(error)),
                      status=400)
    except TASK_FAILURES as error:
        flash(t("form.conflict", message=engine_error_text(error)), "error")
        return redirect(here)
    flash(t(f"tasks.done.{decision}"), "ok")
    return redirect(here)


def _sent(name: str) -> bool:
    """Whether the panel showed the field (`_field` names each): an emptied input, an unticked box or a table
    without rows send nothing of their own, and a field the panel did not show stays as it is."""
    return name in request.form.getlist(SHOWN_FIELD)


def _again(module: str, entity: str, record_id: str, posted: Posted, status: int = 422) -> Response:
    with approvals() as service:
        return record_page(service, module, entity, record_id, posted=posted, status=status)
