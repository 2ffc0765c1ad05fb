"""REST API `/api/v1/designer/users`: tenant administrators invite users, give roles, deactivate, reset
passwords, and put users on projects."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for

from engine.errors import BadRequest
from engine.people.service import People
from engine.tenancy.invitations import Link
from engine.tenancy.licenses import as_utc
from web.api import body, current_actor, formwork, language

people_api = Blueprint("people_api", __name__, url_prefix="/api/v1/designer/users")


@people_api.before_request
def authenticate() -> None:
    g.actor = current_actor()


@contextmanager
def people() -> Iterator[People]:
    with formwork().people(g.actor, language()) as service:
        yield service


def link_json(link: Link) -> dict[str, Any]:
    """The one-time link, shown this once: the administrator passes it on to the user."""
    return {"url": url_for("pages.accept_link", token=link.token, _external=True), "token": link.token,
            "purpose": link.purpose, "expires_at": as_utc(link.expires_at).isoformat()}


def text_of(data: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadRequest(f"send {key!r} as text in the JSON body", message_code="send_text", params={"key": key})
    return value


def roles_of(data: dict[str, Any]) -> list[str] | None:
    roles = data.get("roles")
    if roles is None:
        return None
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise BadRequest("'roles' must be a list of role keys, e.g. [\"project_manager\"]",
                         message_code="roles_list_example")
    return roles


@people_api.get("")
def list_users() -> Response:
    with people() as service:
        return jsonify({"items": service.users(), "seats": service.seats(),
                        "roles": [role.as_dict() for role in service.roles.values()]})


@people_api.post("")
def invite() -> tuple[Response, int]:
    data = body()
    days = data.get("days", 7)
    if not isinstance(days, int) or isinstance(days, bool):
        raise BadRequest("'days' must be a whole number of days the link stays valid", message_code="link_days_whole")
    with people() as service:
        user, link = service.invite(text_of(data, "username", required=True) or "",
                                    text_of(data, "display_name") or "", roles_of(data) or [],
                                    text_of(data, "email"), days)
        answer = {"user": service.describe(user), "link": link_json(link)}
    response = jsonify(answer)
    response.headers["Location"] = f"{request.path}/{user.username}"
    return response, 201


@people_api.get("/<username>")
def get_user(username: str) -> Response:
    with people() as service:
        return jsonify(service.describe(service.user(username)))


@people_api.patch("/<username>")
def update_user(username: str) -> Response:
    """Change display name, e-mail, roles and/or `is_active` (each only when sent)."""
    data = body()
    active = data.get("is_active")
    if active is not None and not isinstance(active, bool):
        raise BadRequest("'is_active' must be true or false", message_code="is_active_boolean")
    with people() as service:
        user = service.update(username, display_name=text_of(data, "display_name"), email=text_of(data, "email"))
        roles = roles_of(data)
        if roles is not None:
            user = service.set_roles(username, roles)
        if active is not None:
            user = service.set_active(username, active)
        return jsonify(service.describe(user))


@people_api.post("/<username>/deactivate")
def deactivate(username: str) -> Response:
    with people() as service:
        return jsonify(service.describe(service.set_active(username, False)))


@people_api.post("/<username>/activate")
def activate(username: str) -> Response:
    with people() as service:
        return jsonify(service.describe(service.set_active(username, True)))


@people_api.post("/<username>/reset")
def reset(username: str) -> Response:
    data = body()
    days = data.get("days", 7)
    if not isinstance(days, int) or isinstance(days, bool):
        raise BadRequest("'days' must be a whole number of days the link stays valid", message_code="link_days_whole")
    with people() as service:
        link = service.reset_password(username, days)
        return jsonify({"user": service.describe(service.user(username)), "link": link_json(link)})


@people_api.get("/<username>/projects")
def projects(username: str) -> Response:
    with people() as service:
        return jsonify(projects_json(service, username))


@people_api.post("/<username>/projects")
def add_project(username: str) -> tuple[Response, int]:
    data = body()
    project = text_of(data, "project", required=True) or ""
    with people() as service:
        service.add_project(username, project, text_of(data, "position"))
        return jsonify(projects_json(service, username)), 201


@people_api.delete("/<username>/projects/<project_id>")
def remove_project(username: str, project_id: str) -> Response:
    with people() as service:
        service.remove_project(username, project_id, request.args.get("position") or None)
        return jsonify(projects_json(service, username))


def projects_json(service: People, username: str) -> dict[str, Any]:
    positions = service.positions()
    return {"items": service.projects(username),
            "positions": [{"key": key, "label": label.as_dict()} for key, label in positions.items()]}
