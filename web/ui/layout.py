"""What every page around its content shows: tenant, navigation, open-task badge, language."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import g, make_response, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import tenancy
from engine.approvals.service import Approvals
from engine.records.service import Records
from engine.tenancy import licenses
from web.ui import csrf
from web.ui.display import status_tone, zone_name
from web.ui.i18n import HTML_LANG, LANGUAGES, language, t
from web.ui.phone_nav import NewEntry, new_entry
from web.ui.services import readable


@dataclass
class NavEntity:
    title: str
    url: str
    key: str


@dataclass
class NavModule:
    name: str
    title: str
    entities: list[NavEntity] = field(default_factory=list)
    current: bool = False                     # the page shows one of its entities


@dataclass
class Chrome:
    modules: list[NavModule]
    task_count: int
    license: dict[str, Any] | None = None     # licenses.summary: the dashboard line and the banner
    new: NewEntry | None = None               # the phone's bottom navigation: the user's usual new record


def license_of(service: Approvals) -> dict[str, Any]:
    session = service.session
    return licenses.summary(session, tenancy.get_tenant(session, service.actor.tenant_id))


def navigation(records: Records) -> list[NavModule]:
    """The modules and entities the user may read, in declaration order."""
    result = []
    shown = (request.view_args or {}).get("module")
    for name, module in records.modules.items():
        entry = NavModule(name, module.title.get(records.language), current=name == shown)
        for entity_name, entity in module.entities.items():
            if readable(records, entity):
                entry.entities.append(NavEntity(entity.title.get(records.language),
                                                url_for("pages.record_list", module=name, entity=entity_name),
                                                f"{name}.{entity_name}"))
        if entry.entities:
            result.append(entry)
    return result


def chrome(service: Approvals) -> Chrome:
    return Chrome(navigation(service.records), len(service.inbox()))


def render(service: Approvals | None, template: str, code: int = 200, **context: Any) -> Response:
    """A page inside the layout; `service` (the request's transaction) fills the navigation."""
    if service is not None:
        if "chrome" not in context:   # a page that counted its inbox already passes its own
            context["chrome"] = chrome(service)
        if context["chrome"].license is None:
            context["chrome"].license = license_of(service)
        if context["chrome"].new is None:
            context["chrome"].new = new_entry(service.records)
    context.setdefault("signed_in", getattr(g, "signed_in", None))
    context.update(page_globals())
    response = make_response(render_template(template, **context), code)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def page_globals() -> dict[str, Any]:
    """Names every page template may use."""
    return {"t": t, "lang": language(), "html_lang": HTML_LANG[language()], "languages": LANGUAGES,
            "csrf_token": csrf.token, "csrf_field": csrf.FIELD, "status_tone": status_tone, "zone_name": zone_name}
