"""Project membership: which projects a user works on, and in which position.

Membership is data, not a table of its own: the rows of `base.project`'s `members` table, which the
declared row filters read (`user.name in members.user`, `user.name in project.members.user`).
Adding or removing a member is an ordinary update of the project record, so validation rules,
optimistic locking, audit and events all apply as for any other edit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.declarations.model import EntitySpec, FieldSpec, Label
from engine.errors import BadRequest, Conflict, NotFound
from engine.records.service import MAX_LIMIT, Records

MODULE, ENTITY, TABLE = "base", "project", "members"   # where the shared master data keeps a project's people


@dataclass(frozen=True)
class Members:
    """The members table as the tenant's current version of the project entity declares it."""

    entity: EntitySpec
    table: FieldSpec
    user_column: str
    position_column: str | None

    def positions(self) -> dict[str, Label]:
        """The project roles a member may hold (the position column's options)."""
        column = self.table.fields.get(self.position_column or "")
        return dict(column.options) if column is not None and column.options else {}


def members_of(records: Records) -> Members:
    """The members table, or NotFound telling the administrator what is missing."""
    entity = records.entity(MODULE, ENTITY)
    table = entity.fields.get(TABLE)
    user_column = next((n for n, f in table.fields.items() if f.type == "user"), None) if table else None
    if table is None or table.type != "table" or user_column is None:
        raise NotFound(f"{MODULE}.{ENTITY} has no '{TABLE}' table with a user column in this tenant's version",
                       message_code="membership_table_missing",
                       params={"module": MODULE, "entity": ENTITY, "table": TABLE})
    position = next((n for n, f in table.fields.items() if f.type == "enum"), None)
    return Members(entity, table, user_column, position)


def projects_of(records: Records, username: str) -> list[dict[str, Any]]:
    """The projects listing `username` among their members, each with the positions held there."""
    members = members_of(records)
    query = f"{_quoted(username)} in {TABLE}.{members.user_column}"
    found = records.find(MODULE, ENTITY, q=query, limit=MAX_LIMIT).items
    return [{**_summary(members, record),
             "positions": [row.get(members.position_column) for row in _rows(record)
                           if row.get(members.user_column) == username and members.position_column]}
            for record in found]


def all_projects(records: Records) -> list[dict[str, Any]]:
    """Every project (id, title, version) for choosing one, in the list's order."""
    members = members_of(records)
    return [_summary(members, record) for record in records.find(MODULE, ENTITY, limit=MAX_LIMIT).items]


def add(records: Records, username: str, project_id: str, position: str | None) -> dict[str, Any]:
    """List `username` on a project in `position`; returns the updated project record."""
    members = members_of(records)
    record = records.get(MODULE, ENTITY, project_id)
    rows = _rows(record)
    row: dict[str, Any] = {members.user_column: username}
    if members.position_column:
        options = members.positions()
        if not position:
            raise BadRequest(f"choose the position {username!r} holds on the project: {', '.join(options)}",
                             message_code="position_required",
                             params={"username": username, "options": ', '.join(options)})
        if options and position not in options:
            raise BadRequest(f"position {position!r} is not one of {', '.join(options)}",
                             message_code="position_unknown",
                             params={"position": position, "options": ', '.join(options)})
        row[members.position_column] = position
    if any(all(existing.get(k) == v for k, v in row.items()) for existing in rows):
        raise Conflict(f"{username!r} is already a member of this project" + (f" as {position!r}" if position else ""),
                       message_code="already_member",
                       params={"username": username, "as_position": f" as {position!r}" if position else ""})
    return records.update(MODULE, ENTITY, project_id, {TABLE: [*rows, row]}, record["version"])


def remove(records: Records, username: str, project_id: str, position: str | None = None) -> dict[str, Any]:
    """Take `username` off a project (only the rows of `position` when given)."""
    members = members_of(records)
    record = records.get(MODULE, ENTITY, project_id)
    rows = _rows(record)

    def matches(row: dict[str, Any]) -> bool:
        return row.get(members.user_column) == username and (
            not position or row.get(members.position_column or "") == position)

    kept = [row for row in rows if not matches(row)]
    if len(kept) == len(rows):
        raise NotFound(f"{username!r} is not a member of this project" + (f" as {position!r}" if position else ""),
                       message_code="not_a_member",
                       params={"username": username, "as_position": f" as {position!r}" if position else ""})
    return records.update(MODULE, ENTITY, project_id, {TABLE: kept}, record["version"])


def _rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    rows = record["data"].get(TABLE) or []
    return [dict(row) for row in rows if isinstance(row, dict)]


def _summary(members: Members, record: dict[str, Any]) -> dict[str, Any]:
    title_field = members.entity.title_field
    title = record["data"].get(title_field) if title_field else None
    code = next((record["data"].get(n) for n, f in members.entity.fields.items() if f.unique and f.type == "text"
                 and not f.is_computed), None)
    return {"id": record["id"], "title": str(title or record["id"]), "code": code, "version": record["version"]}


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
