"""Designer pages `/designer/users`: tenant administrators invite users, give roles and projects, deactivate."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from designer.pages import check_request, engine_error, http_error
from designer.words import w
from engine.errors import FormworkError, NotFound
from engine.people import membership
from engine.people.service import People
from engine.storage.models import User
from engine.tenancy import invitations
from engine.tenancy.invitations import Link
from engine.tenancy.licenses import as_utc
from web.errors import status_of
from web.ui.error_text import engine_error_text
from web.ui.i18n import language
from web.ui.layout import render
from web.ui.services import approvals, formwork

people_pages = Blueprint("people_pages", __name__, url_prefix="/designer/users")
people_pages.before_request(check_request)
people_pages.register_error_handler(FormworkError, engine_error)
people_pages.register_error_handler(HTTPException, http_error)


@contextmanager
def people() -> Iterator[People]:
    with formwork().people(g.signed_in.actor, language()) as service:
        yield service


def page(template: str, code: int = 200, **context: Any) -> Response:
    with approvals() as service:
        return render(service, template, code=code, dw=w, **context)


def moment(text: str | None) -> str:
    """An ISO moment as the pages show it: date and minutes."""
    return text.replace("T", " ")[:16] if text else ""


def link_view(link: Link, name: str) -> dict[str, str]:
    return {"url": url_for("pages.accept_link", token=link.token, _external=True), "name": name,
            "expires": moment(as_utc(link.expires_at).isoformat())}


# -- the list and the invitation form -------------------------------------------------------------------


@people_pages.get("")
def index() -> Response:
    return list_page()


def list_page(form: dict[str, Any] | None = None, error: str = "", code: int = 200) -> Response:
    with people() as service:
        users, seats, roles = service.users(), service.seats(), list(service.roles.values())
    return page("designer/users.html", code=code, title=w("people.title"), users=users, seats=seats, roles=roles,
                form=form or {"roles": []}, error=error, days=invitations.INVITATION_DAYS, moment=moment)


@people_pages.post("")
def invite() -> Response:
    form = request.form
    username, name, email = form.get("username", "").strip(), form.get("display_name", ""), form.get("email", "")
    roles = form.getlist("roles")
    entered = {"username": username, "display_name": name, "email": email, "roles": roles}
    try:
        with people() as service:
            user, link = service.invite(username, name, roles, email)
            shown = link_view(link, user.display_name)
    except FormworkError as refused:
        return list_page(entered, engine_error_text(refused), status_of(refused))
    return user_page(user.username, link=shown)


# -- one user -------------------------------------------------------------------------------------------


@people_pages.get("/<username>")
def user(username: str) -> Response:
    return user_page(username)


def user_page(username: str, *, link: dict[str, str] | None = None, error: str = "", code: int = 200) -> Response:
    with people() as service:
        found: User = service.user(username)
        described = service.describe(found)
        roles = list(service.roles.values())
        try:
            positions = service.positions()
            projects, choices = service.projects(username), _choices(service)
        except NotFound:
            positions, projects, choices = {}, None, []
    return page("designer/user.html", code=code, title=f"{described['display_name']} ({username})", user=described,
                roles=roles, positions=positions, projects=projects, choices=choices, link=link, error=error,
                moment=moment)


def _choices(service: People) -> list[dict[str, Any]]:
    return membership.all_projects(service.records)


def act(username: str, work: Any, done: str = "") -> Response:
    """Run one change; on success flash `done` and go back to the user's page, else show why."""
    try:
        with people() as service:
            work(service)
    except FormworkError as refused:  # an unknown user fails again in user_page: the 404 page
        return user_page(username, error=engine_error_text(refused), code=status_of(refused))
    if done:
        flash(done, "ok")
    return redirect(url_for("people_pages.user", username=username))


@people_pages.post("/<username>/details")
def details(username: str) -> Response:
    form = request.form
    return act(username, lambda s: s.update(username, display_name=form.get("display_name", ""),
                                            email=form.get("email", "")), w("people.saved"))


@people_pages.post("/<username>/roles")
def roles(username: str) -> Response:
    chosen = request.form.getlist("roles")
    return act(username, lambda s: s.set_roles(username, chosen), w("people.saved"))


@people_pages.post("/<username>/deactivate")
def deactivate(username: str) -> Response:
    return act(username, lambda s: s.set_active(username, False), w("people.deactivated", name=username))


@people_pages.post("/<username>/activate")
def activate(username: str) -> Response:
    return act(username, lambda s: s.set_active(username, True), w("people.activated", name=username))


@people_pages.post("/<username>/reset")
def reset(username: str) -> Response:
    try:
        with people() as service:
            link = service.reset_password(username)
            shown = link_view(link, service.user(username).display_name)
    except FormworkError as refused:
        return user_page(username, error=engine_error_text(refused), code=status_of(refused))
    return user_page(username, link=shown)


@people_pages.post("/<username>/projects")
def add_project(username: str) -> Response:
    form = request.form
    return act(username, lambda s: s.add_project(username, form.get("project", ""), form.get("position") or None),
               w("people.added"))


@people_pages.post("/<username>/projects/<project_id>/remove")
def remove_project(username: str, project_id: str) -> Response:
    position = request.form.get("position") or None
    return act(username, lambda s: s.remove_project(username, project_id, position), w("people.removed"))
