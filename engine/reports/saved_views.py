"""Users' named list views: a list's query parameters saved under a name, per user and entity."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import BadRequest, NotFound
from engine.storage.models import SavedView
from engine.tenancy.tenants import Actor

MAX_NAME = 100
MAX_PARAMS = 100

Params = list[tuple[str, str]]


@dataclass(frozen=True)
class View:
    id: str
    name: str
    params: Params


def _view(row: SavedView) -> View:
    return View(row.id, row.name, [(str(k), str(v)) for k, v in row.query.get("params", [])])


def views_of(session: Session, actor: Actor, module: str, entity: str) -> list[View]:
    """The actor's saved views of an entity's list, by name."""
    rows = session.scalars(select(SavedView).where(
        SavedView.username == actor.username, SavedView.module == module, SavedView.entity == entity,
    ).order_by(SavedView.name))
    return [_view(row) for row in rows]


def save_view(session: Session, actor: Actor, module: str, entity: str, name: str, params: Params) -> View:
    """Save the list's parameters under `name`; saving an existing name replaces what it holds."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise BadRequest(f"a view needs a name of 1 to {MAX_NAME} characters",
                         message_code="view_bad_name", params={"max_name": MAX_NAME})
    if len(params) > MAX_PARAMS:
        raise BadRequest(f"a view holds at most {MAX_PARAMS} list parameters",
                         message_code="view_too_many_params", params={"max_params": MAX_PARAMS})
    row = session.scalars(select(SavedView).where(
        SavedView.username == actor.username, SavedView.module == module, SavedView.entity == entity,
        SavedView.name == name)).first()
    query = {"params": [[key, value] for key, value in params]}
    if row is None:
        row = SavedView(id=str(uuid.uuid4()), username=actor.username, module=module, entity=entity, name=name,
                        query=query, created_at=datetime.now(UTC))
        session.add(row)
    else:
        row.query = query
    session.flush()
    return _view(row)


def delete_view(session: Session, actor: Actor, view_id: str) -> None:
    """Delete one of the actor's own views; other users' views do not exist for them."""
    row = session.scalars(select(SavedView).where(SavedView.id == view_id,
                                                  SavedView.username == actor.username)).first()
    if row is None:
        raise NotFound(f"saved view {view_id!r} does not exist",
                       message_code="view_not_found", params={"view_id": view_id})
    session.delete(row)
