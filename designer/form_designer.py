"""The visual form designer `/designer/<module>/<entity>` and the entity pages' dry run and publish.

The page's script edits the tenant's draft overlay as data and posts it whole to `.../model`; the answer
is the entity as the admin now sees it (cards, panel values), the engine's problems and the end users'
form as a preview. Saving goes into the same draft the YAML source tab and the approval editor use.
"""
from __future__ import annotations

import os
from typing import Any

from flask import flash, g, jsonify, request, url_for
from werkzeug.wrappers import Response

from designer import form_model
from designer.form_words import FORM_WORDS
from designer.pages import adjustments, designer_pages, preview_html
from designer.words import w
from engine.customization.draft_edit import DraftOverlay
from engine.customization.publishing import Adjustments
from engine.declarations.model import ModuleSpec
from engine.errors import BadRequest, DeclarationError, NotFound, Problem
from engine.reports.adjustment_report import diff_lines
from web.ui.error_text import problem_json
from web.ui.i18n import language
from web.ui.layout import render
from web.ui.services import approvals

STATIC = os.path.join(os.path.dirname(__file__), "static")
TABS = ("form", "rules", "list", "permissions", "process", "source", "publish")


@designer_pages.before_request
def note_processes() -> None:
    """Which entity has a process, for the tab bar (read here: a template must not open a second transaction)."""
    args = request.view_args or {}
    module, entity = args.get("module"), args.get("entity") or request.args.get("entity")
    pages = request.method == "GET" or request.endpoint == "designer_pages.entity_publish"
    if pages and isinstance(module, str) and isinstance(entity, str) and g.get("signed_in"):
        with adjustments() as service:
            spec = service.modules.get(module)
            found = spec.entities.get(entity) if spec is not None else None
            g.designer_has_process = found is not None and found.workflow is not None


@designer_pages.app_template_global()
def designer_tabs(module: str, entity: str) -> list[dict[str, str]]:
    """The tab bar of the designer's entity pages (`_entity_tabs.html`): key, word and address of each tab."""
    base = url_for("designer_pages.entity_form", module=module, entity=entity)
    hrefs = {"form": base, "rules": base + "/rules", "list": base + "/list", "permissions": base + "/permissions",
             "process": url_for("designer_pages.process_editor", module=module, entity=entity),
             "source": url_for("designer_pages.editor", module=module, entity=entity),
             "publish": url_for("designer_pages.entity_publish", module=module, entity=entity)}
    shown = [tab for tab in TABS if tab != "process" or g.get("designer_has_process")]
    return [{"key": tab, "label": w(f"tab.{tab}"), "href": hrefs[tab]} for tab in shown]


def entity_spec(service: Adjustments, module: str, entity: str) -> tuple[ModuleSpec, dict[str, Any]]:
    """The catalog module and its declaration as data; an entity it does not have is a 404."""
    base = service.catalog_base(module)
    service.module(module)                     # not enabled for the tenant: 404
    catalog = form_model.catalog_data(base)
    if entity not in form_model.mapping(catalog.get("entities")):
        raise NotFound(f"module {module!r} has no entity {entity!r}")
    return base, catalog


def model(service: Adjustments, module: str, entity: str, data: dict[str, Any], *,
          problems: list[Problem] | None = None, with_preview: bool = False) -> dict[str, Any]:
    """What the page shows for `data`: the effective entity, the pickers' choices, problems and the preview."""
    base, catalog = entity_spec(service, module, entity)
    lang = language()
    spec: ModuleSpec | None = None
    if problems is None:
        problems, spec = DraftOverlay(service).preview(module, data)
    effective = form_model.effective_entity(catalog, data, entity)
    catalog_fields = form_model.mapping(form_model.mapping(catalog["entities"][entity]).get("fields"))
    hidden = form_model.hidden_by_role(effective)
    roles = {**form_model.mapping(catalog.get("roles")), **form_model.mapping(data.get("roles"))}
    fields = []
    for key, raw in form_model.mapping(effective.get("fields")).items():
        if isinstance(raw, dict):
            fields.append(form_model.field_json(
                key, raw, catalog=catalog_fields.get(key) if key in catalog_fields else None,
                type_label=w(f"type.{raw.get('type')}") if raw.get("type") else "",
                hidden_for=[role for role, names in hidden.items() if key in names]))
    answer: dict[str, Any] = {
        "overlay": data,
        "entity": {"name": entity, "title": (form_model.label(effective.get("title")) or {}).get(lang, entity),
                   "sections": form_model.sections(effective), "fields": fields,
                   "catalog_sections": bool(form_model.mapping(form_model.mapping(
                       catalog["entities"][entity].get("views")).get("form")).get("sections")),
                   "hidden_by_role": hidden},
        "roles": [{"key": role, "label": (form_model.label(roles.get(role)) or {}).get(lang, role)}
                  for role in hidden],
        "types": [{"key": kind, "label": w(f"type.{kind}")} for kind in form_model.NEW_TYPES],
        "targets": targets(service, base),
        "problems": [problem_json(p) for p in problems],
    }
    if with_preview:
        answer["preview_html"] = preview_html(service, spec, entity) if spec is not None else ""
    return answer


def targets(service: Adjustments, spec: ModuleSpec) -> list[dict[str, str]]:
    """The entities a reference may point at (this module's and those it requires), by their titles."""
    lang = language()
    found = []
    for name in (spec.name, *spec.requires):
        module = service.modules.get(name)
        if module is not None:
            found += [{"key": f"{name}.{e.name}", "label": f"{e.title.get(lang)} · {module.title.get(lang)}"}
                      for e in module.entities.values()]
    return found


@designer_pages.get("/<module>/<entity>")
def entity_form(module: str, entity: str) -> Response:
    """The form designer page: cards and panel drawn by form_designer.js from the embedded model."""
    with adjustments() as service:
        data = DraftOverlay(service).load(module)
        found = model(service, module, entity, data, with_preview=True)
        title = service.catalog_base(module).title.get(language())
    words = {key[5:]: w(key) for key in FORM_WORDS if key.startswith("form.")}
    config = {"model": found, "words": words, "language": language(),
              "model_url": url_for("designer_pages.entity_model", module=module, entity=entity),
              "module": module}
    with approvals() as service_:
        return render(service_, "designer/form.html", title=w("form_title", entity=found["entity"]["title"]),
                      module=module, module_title=title, entity=entity, entity_title=found["entity"]["title"],
                      config=config, preview=found.get("preview_html", ""),
                      formula_editor=os.path.exists(os.path.join(STATIC, "formula_editor.js")), dw=w)


@designer_pages.get("/<module>/<entity>/model")
def entity_model(module: str, entity: str) -> Response | tuple[Response, int]:
    """The designer's model of the draft (JSON)."""
    try:
        with adjustments() as service:
            return jsonify(model(service, module, entity, DraftOverlay(service).load(module)))
    except DeclarationError as error:     # the draft's YAML does not parse: fixed in the source tab
        return jsonify({"problems": [problem_json(p) for p in error.problems]}), 422


@designer_pages.post("/<module>/<entity>/model")
def entity_save(module: str, entity: str) -> Response | tuple[Response, int]:
    """Save `{overlay}` (the overlay as data) into the draft: the refreshed model and the form's preview."""
    body = request.get_json(silent=True)
    data = body.get("overlay") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise BadRequest("send the overlay as data: a JSON body {\"overlay\": {...}}")
    with adjustments() as service:
        _, catalog = entity_spec(service, module, entity)
        form_model.minimize(data, catalog, entity)
        draft = DraftOverlay(service)
        draft.save(module, data, note=f"form designer: {entity}")
        return jsonify({"saved": True, **model(service, module, entity, data, with_preview=True)})


# -- dry run and publish ---------------------------------------------------------------------------


@designer_pages.route("/<module>/<entity>/publish", methods=["GET", "POST"])
def entity_publish(module: str, entity: str) -> Response:
    """Dry-run or publish the draft (everything the visual designer's pages changed) after a confirmation."""
    action = request.form.get("_action") if request.method == "POST" else None
    report: dict[str, Any] | None = None
    problems: list[Problem] = []
    with adjustments() as service:
        entity_spec(service, module, entity)
        draft = DraftOverlay(service)
        data = draft.load(module)
        has_draft = service.draft(module) is not None
        if action in ("dryrun", "publish"):
            try:
                overlay = draft.overlay(module, data)
                report = service.publish(module, overlay) if action == "publish" else service.dry_run(module, overlay)
            except DeclarationError as error:
                problems = list(error.problems)
        else:
            problems = draft.preview(module, data)[0]
        base = service.catalog_base(module)
        title, entity_title = base.title.get(language()), base.entities[entity].title.get(language())
    if report is not None and action == "publish":
        flash(w("publish.done", version=report["to_version"]), "success")
        has_draft = False
    with approvals() as service_:
        return render(service_, "designer/publish.html", code=422 if problems and action else 200,
                      title=w("publish.title", module=title), module=module, module_title=title, entity=entity,
                      entity_title=entity_title, has_draft=has_draft, problems=[problem_json(p) for p in problems],
                      report=report,
                      diff=diff_lines(report["diff"]) if report else [], dw=w)

