"""Designer pages `/designer` for tenant administrators: edit an overlay, preview, dry-run, publish, roll back."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from designer import overlay_form
from designer.words import w
from engine.customization.draft_guard import DraftProcessDropped, dropped_processes
from engine.customization.overlays import MAIN, Overlay
from engine.customization.process_editor import ProcessEditor
from engine.customization.publishing import Adjustments
from engine.declarations.model import ModuleSpec
from engine.errors import BadRequest, DeclarationError, FormworkError, PermissionDenied, Problem
from engine.records.service import Records
from engine.reports.adjustment_report import diff_lines
from web.errors import status_of
from web.ui import session_check
from web.ui.error_page import error_page
from web.ui.error_text import engine_error_text, problem_text
from web.ui.error_text import problem_json as shown_problem
from web.ui.forms import default_raw, to_data
from web.ui.i18n import language, t
from web.ui.layout import page_globals, render
from web.ui.preview import evaluate, shown_fields, writable_fields
from web.ui.services import approvals, formatter, formwork
from web.ui.widgets import Choices, FormContext, build_widgets

designer_pages = Blueprint("designer_pages", __name__, url_prefix="/designer", template_folder="templates",
                           static_folder="static", static_url_path="/assets")
log = logging.getLogger("formwork.designer")


@designer_pages.before_request
def check_request() -> Response | None:
    """The pages' login and CSRF checks, then: tenant administrators only."""
    answer = session_check.check_request()
    if answer is None and not g.signed_in.actor.is_admin:
        raise PermissionDenied("only tenant administrators (role 'admin') use the designer",
                               message_code="designer_admin_only")
    return answer


@designer_pages.errorhandler(FormworkError)
def engine_error(error: FormworkError) -> Response:
    return error_page(status_of(error), engine_error_text(error))


@designer_pages.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    if error.code == 401:
        flash(t("login.again"), "error")
        return redirect(url_for("pages.login"))
    return error_page(error.code or 500, (error.description or "") if error.code == 400 else "")


@contextmanager
def adjustments() -> Iterator[Adjustments]:
    with formwork().adjustments(g.signed_in.actor) as service:
        yield service


@designer_pages.get("/")
def index() -> Response:
    with approvals() as service:
        modules = [(name, spec) for name, spec in service.records.modules.items()]
        return render(service, "designer/index.html", title=w("title"), modules=modules, dw=w)


@designer_pages.get("/<module>")
def editor(module: str) -> Response:
    with adjustments() as service:
        described = service.describe(module)
    draft = described["draft"]["overlay"] if described["draft"] else None
    text = draft or described["overlay"] or overlay_form.starter(module, described["base_version"])
    return editor_page(module, text, entity=request.args.get("entity"))


@designer_pages.post("/<module>")
def act(module: str) -> Response:
    """The editor's buttons: check, dry run, publish, or a form-editor change written into the YAML."""
    text = request.form.get("overlay", "")
    action = request.form.get("_action", "validate")
    entity = request.form.get("preview_entity") or None
    if action == "edit":
        entity = request.form.get("edit_entity") or entity  # show the form being changed
        try:
            text = overlay_form.apply(text, module, request.form)
        except overlay_form.EditRefused as refused:
            return editor_page(module, text, entity=entity, notice=w("edit_failed", reason=str(refused)), code=422)
        return editor_page(module, text, entity=entity)
    if action not in ("dryrun", "publish"):
        return editor_page(module, text, entity=entity)
    overlay = Overlay(MAIN, {MAIN: text})
    confirm = request.form.get("confirm_drop_process") == "1"
    dropped: list[str] = []
    try:
        with adjustments() as service:
            if action == "publish":
                report = service.publish(module, overlay, confirm_drop_process=confirm)
            else:  # the dry run warns already, the publish will ask
                stored = service.draft(module)
                dropped = dropped_processes(dict(stored.files) if stored is not None else None, overlay.files)
                report = service.dry_run(module, overlay)
    except DeclarationError:
        return editor_page(module, text, entity=entity, code=422)
    except DraftProcessDropped as refused:
        return editor_page(module, text, entity=entity, code=409, dropped=str(refused.params["files"]))
    if action == "publish":
        flash(w("published", version=report["to_version"]), "success")
    return editor_page(module, text, entity=entity, report=report, dropped=", ".join(dropped))


@designer_pages.post("/<module>/check")
def check(module: str) -> Response:
    """While typing: the overlay's problems and the preview of one entity's form (JSON)."""
    data = request.get_json(silent=True) or {}
    text, entity = str(data.get("overlay", "")), data.get("entity")
    with adjustments() as service:
        problems, spec = checked(service, module, text)
        preview = preview_html(service, spec, entity) if spec is not None else ""
    return jsonify({"problems": [problem_json(p) for p in problems], "preview": preview})


@designer_pages.post("/<module>/draft/discard")
def discard_draft(module: str) -> Response:
    with adjustments() as service:
        ProcessEditor(service).discard(module)
    flash(w("discarded"), "success")
    return redirect(url_for("designer_pages.editor", module=module))


# -- the approval editor (bpmn-js) -------------------------------------------------------------------


@designer_pages.get("/<module>/processes/<entity>")
def process_editor(module: str, entity: str) -> Response:
    """The BPMN modeler on the entity's process (the draft's, else the current version's)."""
    with adjustments() as service:
        editor = ProcessEditor(service)
        found = editor.read(module, entity)
        vocabulary = editor.vocabulary(module, entity)
        spec = service.module(module)
    lang = language()
    words = {key: w(key) for key in PROCESS_WORDS}
    data = {"xml": found["xml"], "words": words, "language": lang, **vocabulary,
            "validate_url": url_for("designer_pages.process_check", module=module, entity=found["entity"]),
            "save_url": url_for("designer_pages.process_save", module=module, entity=found["entity"]),
            "moddle_url": url_for("designer_pages.static", filename="vendor/camunda-bpmn-moddle/camunda.json")}
    title = w("process_title", name=spec.entities[found["entity"]].title.get(lang))
    with approvals() as service_:
        return render(service_, "designer/process.html", title=title, module=module, spec=spec, found=found,
                      data=data, dw=w)


@designer_pages.post("/<module>/processes/<entity>/check")
def process_check(module: str, entity: str) -> Response:
    """The modeler's problems round trip (JSON `{xml}`): problems in the BPMN carry the element id."""
    xml = _posted_xml()
    with adjustments() as service:
        return jsonify(ProcessEditor(service, shown_problem).validate(module, entity, xml))


@designer_pages.post("/<module>/processes/<entity>/save")
def process_save(module: str, entity: str) -> Response | tuple[Response, int]:
    """Save the modeler's BPMN into the tenant's draft overlay (JSON `{xml}`)."""
    xml = _posted_xml()
    try:
        with adjustments() as service:
            return jsonify(ProcessEditor(service, shown_problem).save(module, entity, xml))
    except DeclarationError as error:
        return jsonify({"saved": False, "valid": False, "problems": [
            {**shown_problem(p), "element": None, "in_process": True} for p in error.problems]}), 422


def _posted_xml() -> str:
    data = request.get_json(silent=True)
    xml = data.get("xml") if isinstance(data, dict) else None
    if not isinstance(xml, str) or not xml.strip():
        raise BadRequest("send the BPMN XML as 'xml' in a JSON body")
    return xml


PROCESS_WORDS = ("check_process", "save_draft", "new_step", "saved", "advanced", "submitter", "find_role",
                 "candidate_roles", "candidate_roles_help", "unknown_role", "lane_role_pick", "lane_role_help",
                 "no_role", "leave_unsaved", "level_added", "no_place", "saved_with_problems", "process_ok",
                 "process_problems", "request_failed", "unsaved", "properties", "select_element", "element_name",
                 "assignee", "assignee_help", "editable", "due_date", "condition",
                 "condition_help", "default_flow", "checking", "line")


@designer_pages.post("/<module>/rollback")
def rollback(module: str) -> Response:
    with adjustments() as service:
        report = service.rollback(module)
    flash(w("rolled_back", old=report["from_version"], new=report["to_version"]), "success")
    return redirect(url_for("designer_pages.editor", module=module))


@designer_pages.get("/<module>/versions/<version>")
def version_diff(module: str, version: str) -> Response:
    with adjustments() as service:
        diff = service.version_diff(module, version)
    with approvals() as service:
        return render(service, "designer/diff.html", title=f"{module} {version}", module=module, version=version,
                      lines=diff_lines(diff), diff=diff, dw=w)


# -- the editor page ---------------------------------------------------------------------------------


def checked(service: Adjustments, module: str, text: str) -> tuple[list[Problem], ModuleSpec | None]:
    """Problems of the overlay text, and the module it would publish when there are none."""
    overlay = Overlay(MAIN, {MAIN: text})
    problems = service.validate(module, overlay)
    return problems, None if problems else service.plan(module, overlay).new


def problem_json(problem: Problem) -> dict[str, Any]:
    return {"line": problem.line, "column": problem.column, "message": problem_text(problem),
            "code": problem.code, "where": w("line", line=problem.line, column=problem.column)}


def editor_page(module: str, text: str, *, entity: str | None = None, report: dict[str, Any] | None = None,
                notice: str = "", code: int = 200, dropped: str = "") -> Response:
    with adjustments() as service:
        described = service.describe(module)
        current = service.module(module)
        processes = ProcessEditor(service).processes(module)
        problems, spec = checked(service, module, text)
        shown = spec or current
        entity = entity if entity in shown.entities else next(iter(shown.entities), None)
        preview = preview_html(service, spec, entity) if spec is not None else ""
    with approvals() as service_:
        return render(service_, "designer/editor.html", code=422 if problems and code == 200 else code,
                      title=w("adjust_title", module=current.title.get(language())), module=module, spec=current,
                      described=described, text=text, problems=[problem_json(p) for p in problems],
                      entities=list(shown.entities.values()), entity=entity, preview=preview, report=report,
                      processes=processes, dropped=dropped,
                      diff=diff_lines(report["diff"]) if report else [], notice=notice,
                      field_types=overlay_form.FIELD_TYPES, dw=w)


def preview_html(service: Adjustments, spec: ModuleSpec | None, entity_name: str | None) -> str:
    """The generated form of `entity_name` under `spec`, rendered by the end users' form widgets."""
    if spec is None or entity_name is None or entity_name not in spec.entities:
        return ""
    records = Records(service.session, service.actor, {**service.modules, spec.name: spec}, service.parameters,
                      language())
    entity = spec.entities[entity_name]
    writable = writable_fields(records, entity, None)
    raw = default_raw(entity, writable)
    evaluated = evaluate(records, entity, to_data(entity, raw), None, None)
    fields = [*entity.fields.values(), *(c for f in entity.fields.values() for c in f.fields.values())]
    refs: dict[str, list[tuple[str, str]] | None] = {f.target: [] for f in fields if f.type == "ref" and f.target}
    context = FormContext(entity, language(), formatter(records, entity), Choices([], refs, {}, {}), writable, {},
                          evaluated.values, evaluated.visible, evaluated.readonly)
    widgets = build_widgets(context, raw, shown_fields(records, entity))
    return render_template("designer/_preview.html", widgets=widgets, entity=entity, **page_globals())
