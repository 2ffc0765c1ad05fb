"""The list view `/designer/<module>/<entity>/list` (columns, default sort, filters → `views.list`) and the
permission matrix `/designer/<module>/<entity>/permissions` (roles × actions, row filter, hidden and read-only
fields → `entities.<e>.permissions.<role>`). Both write only what differs from the module's own declaration, so
the overlay stays short and a later catalog change to the rest still reaches the tenant."""
from __future__ import annotations

from typing import Any

import yaml
from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from designer.entity_parts.common import Working, field_choices, flash_saved, page, problems_json, working
from designer.entity_parts.formula_text import namer, problem_text
from designer.pages import adjustments, designer_pages
from designer.words import w
from engine.customization.formula_probe import environment, probe
from engine.declarations.model import EntitySpec, ModuleSpec, Permission
from web.ui.i18n import language

ACTIONS = ("create", "read", "update", "delete", "submit", "approve", "export", "import")
MEMBERS = "user.name in project.members.user"
CREATOR = "created_by == user.name"


# -- the list view -----------------------------------------------------------------------------------


@designer_pages.get("/<module>/<entity>/list")
def list_page(module: str, entity: str) -> Response:
    with adjustments() as service:
        work = working(service, module)
        spec = work.entity(entity)
        catalog = _catalog_list(service.catalog_base(module), entity)
        current = {**catalog, **_overlay_list(work, entity)}
        columns = list(current.get("columns") or spec.list_columns)
        problems = problems_json(work.problems)
    return _list_page(module, spec, columns, str(current.get("sort") or ""), list(current.get("filters") or []),
                      problems=problems)


@designer_pages.post("/<module>/<entity>/list")
def list_save(module: str, entity: str) -> Response:
    form = request.form
    columns = [c for c in form.getlist("column") if c]
    sort_field = form.get("sort_field") or ""
    sort = (("-" if form.get("sort_direction") == "desc" else "") + sort_field) if sort_field else ""
    filters = [f for f in form.getlist("filter") if f]
    if not columns:
        with adjustments() as service:
            spec = working(service, module).entity(entity)
        return _list_page(module, spec, columns, sort, filters, code=422, notice=w("list.need_column"))
    with adjustments() as service:
        work = working(service, module)
        work.entity(entity)
        catalog = _catalog_list(service.catalog_base(module), entity)
        wanted = {"columns": columns, "sort": sort or None, "filters": filters}
        part = work.part(entity)
        views = part.setdefault("views", {})
        listed = views.setdefault("list", {})
        for key, value in wanted.items():
            if value == catalog.get(key) or (value in (None, []) and key not in catalog):
                listed.pop(key, None)
            else:
                listed[key] = value
        if not listed:
            views.pop("list")
        if not views:
            part.pop("views")
        work.tidy(entity)
        result = work.draft.save(module, work.data, note="list view")
    flash_saved(result)
    return redirect(url_for("designer_pages.list_page", module=module, entity=entity))


def _list_page(module: str, spec: EntitySpec, columns: list[str], sort: str, filters: list[str], *,
               code: int = 200, notice: str = "", problems: list[dict[str, Any]] | None = None) -> Response:
    choices = field_choices(spec)
    labels = dict(choices)
    ordered = [(c, labels[c], True) for c in columns if c in labels]
    ordered += [(key, label, False) for key, label in choices if key not in columns]
    title = w("list.title", entity=spec.title.get(language()))
    return page("designer/list_view.html", module, spec, code=code, title=title,
                ordered=ordered, choices=choices, sort_field=sort.lstrip("+-"), descending=sort.startswith("-"),
                filters=filters, notice=notice, problems=problems or [], active="list")


def _catalog_list(base: ModuleSpec, entity: str) -> dict[str, Any]:
    """The module's own `views.list` of the entity, as declared (the compiled entity keeps no filters)."""
    try:
        raw = yaml.safe_load(base.files.get("module.yaml", "")) or {}
        found = raw["entities"][entity]["views"]["list"]
    except (yaml.YAMLError, KeyError, TypeError):
        return {}
    return dict(found) if isinstance(found, dict) else {}


def _overlay_list(work: Working, entity: str) -> dict[str, Any]:
    views = (work.data.get("entities") or {}).get(entity, {}).get("views") or {}
    found = views.get("list") if isinstance(views, dict) else None
    return dict(found) if isinstance(found, dict) else {}


# -- the permission matrix ---------------------------------------------------------------------------


@designer_pages.get("/<module>/<entity>/permissions")
def permissions_page(module: str, entity: str) -> Response:
    with adjustments() as service:
        work = working(service, module)
        spec = work.entity(entity)
        grid = [_row(role, label.get(language()), spec.permissions.get(role))
                for role, label in work.spec.roles.items()]
        problems = problems_json(work.problems)
    return _permissions_page(module, spec, grid, problems)


@designer_pages.post("/<module>/<entity>/permissions")
def permissions_save(module: str, entity: str) -> Response:
    form = request.form
    with adjustments() as service:
        work = working(service, module)
        spec = work.entity(entity)
        base = service.catalog_base(module).entities.get(entity)
        own = base.permissions if base is not None else {}
        written: dict[str, Any] = {}
        grid, problems = [], []
        env = environment(spec)
        for role, label in work.spec.roles.items():
            rows = (form.get(f"rows-{role}") or "").strip()
            wanted: dict[str, Any] = {"actions": [a for a in ACTIONS if a in form.getlist(f"actions-{role}")],
                                      "rows": rows,
                                      "hidden_fields": sorted(form.getlist(f"hidden-{role}")),
                                      "readonly_fields": sorted(form.getlist(f"readonly-{role}"))}
            grid.append({"role": role, "label": label.get(language()), "actions": wanted["actions"],
                         "rows": wanted["rows"], "hidden": wanted["hidden_fields"],
                         "readonly": wanted["readonly_fields"]})
            if rows:
                problems += [f"{label.get(language())} · {w('perm.rows')}：{problem_text(p, namer(spec, None))}"
                             for p in probe(rows, env, "boolean").problems]
            changed = _changes(wanted, own.get(role))
            if changed:
                written[role] = changed
        if not problems:
            flash_saved(work.put(module, entity, "permissions", written, note="permissions"))
    if problems:
        return _permissions_page(module, spec, grid, [], code=422, notice="；".join(problems))
    return redirect(url_for("designer_pages.permissions_page", module=module, entity=entity))


def _row(role: str, label: str, permission: Permission | None) -> dict[str, Any]:
    if permission is None:
        return {"role": role, "label": label, "actions": [], "rows": "", "hidden": [], "readonly": []}
    return {"role": role, "label": label, "actions": [a.value for a in permission.actions],
            "rows": permission.rows.text if permission.rows is not None else "",
            "hidden": sorted(permission.hidden_fields), "readonly": sorted(permission.readonly_fields)}


def _changes(wanted: dict[str, Any], own: Permission | None) -> dict[str, Any]:
    """The keys of `wanted` that differ from the module's own permission of the role (what the overlay says)."""
    mine = _row("", "", own)
    result: dict[str, Any] = {}
    if wanted["actions"] != [a for a in ACTIONS if a in mine["actions"]]:
        result["actions"] = wanted["actions"]
    if wanted["rows"] != mine["rows"]:
        result["rows"] = wanted["rows"] or "true"   # an overlay cannot remove the key: every record
    for key, old in (("hidden_fields", "hidden"), ("readonly_fields", "readonly")):
        if wanted[key] != mine[old]:
            result[key] = wanted[key]
    return result


def _permissions_page(module: str, spec: EntitySpec, grid: list[dict[str, Any]],
                      problems: list[dict[str, Any]], *, code: int = 200, notice: str = "") -> Response:
    env = spec.environment
    project = env.fields.get("project") if env is not None else None
    members = project.target.get("members") if project is not None and project.target else None
    has_members = members is not None and members.row is not None and "user" in members.row
    presets = [("perm.preset_members", MEMBERS)] if has_members else []
    presets.append(("perm.preset_creator", CREATOR))
    return page("designer/permissions.html", module, spec, code=code,
                title=w("perm.title", entity=spec.title.get(language())), grid=grid, actions=ACTIONS,
                fields=field_choices(spec, system=False, tables=True), presets=presets, problems=problems,
                notice=notice, active="permissions")
