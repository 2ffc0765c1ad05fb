"""Saved list views: save the list's filter, sort and columns under a name, pick one, delete one."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.declarations.model import Action, EntitySpec
from engine.errors import BadRequest
from engine.records.service import Records
from engine.reports import saved_views
from web.pages.blueprint import pages
from web.ui.i18n import t
from web.ui.services import approvals

KEPT_PARAMS = frozenset({"f", "op", "v", "q", "sort", "cols"})


@dataclass(frozen=True)
class ViewLink:
    id: str
    name: str
    url: str
    delete_url: str


def of_user(records: Records, entity: EntitySpec) -> list[ViewLink]:
    """The signed-in user's views of this entity's list, as links."""
    return [ViewLink(view.id, view.name,
                     url_for("pages.record_list", module=entity.module, entity=entity.name)
                     + ("?" + urlencode(view.params) if view.params else ""),
                     url_for("pages.delete_view", module=entity.module, entity=entity.name, view_id=view.id))
            for view in saved_views.views_of(records.session, records.actor, entity.module, entity.name)]


@pages.post("/m/<module>/<entity>/views")
def save_view(module: str, entity: str) -> Response:
    params = [(k, v) for k, v in parse_qsl(request.form.get("params", ""), keep_blank_values=True)
              if k in KEPT_PARAMS]
    query = "?" + urlencode(params) if params else ""
    try:
        with approvals() as service:
            records = service.records
            spec = records.entity(module, entity)
            records.access(spec).require(Action.READ)
            view = saved_views.save_view(records.session, records.actor, module, entity,
                                         request.form.get("name", ""), params)
    except BadRequest:
        flash(t("views.bad_name"), "error")
    else:
        flash(t("views.saved", name=view.name), "ok")
    return redirect(url_for("pages.record_list", module=module, entity=entity) + query)


@pages.post("/m/<module>/<entity>/views/<view_id>/delete")
def delete_view(module: str, entity: str, view_id: str) -> Response:
    with approvals() as service:
        records = service.records
        records.entity(module, entity)
        saved_views.delete_view(records.session, records.actor, view_id)
    flash(t("views.deleted"), "ok")
    return redirect(url_for("pages.record_list", module=module, entity=entity))
