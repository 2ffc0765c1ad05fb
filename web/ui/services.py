"""The engine services a page calls, for the signed-in user, one tenant transaction at a time.

Also the two things the pages need that the engine has no service for yet (the lead was told):
the tenant's user directory and a user looked up by login for the session cookie.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import tenancy
from engine.approvals.service import Approvals
from engine.declarations.model import Action, EntitySpec
from engine.errors import FormworkError
from engine.records.service import Records
from engine.runtime import Formwork
from engine.storage.models import User
from web.ui.display import Formatter, end_event_names
from web.ui.i18n import language
from web.uploads import uploads_root as uploads_root

MAX_IDS_PER_QUERY = 200


def formwork() -> Formwork:
    engine: Formwork = current_app.extensions["formwork"]
    return engine


@dataclass(frozen=True)
class SignedIn:
    actor: tenancy.Actor
    display_name: str
    tenant_name: str


def signed_in(tenant_id: str, username: str, generation: int) -> SignedIn | None:
    """The session's user if they and their tenant are still active and the session's generation is
    still theirs (no logout, new password or deactivation since it was opened); roles are read fresh. A read-only
    transaction: it answers while an import holds SQLite's write lock (the import's progress is polled then)."""
    try:
        with formwork().db.reading(tenant_id) as session:
            tenant = tenancy.get_tenant(session, tenant_id)
            user = session.get(User, (tenant_id, username))
            if user is None or not user.is_active or not tenant.is_active:
                return None
            if generation != user.session_generation:
                return None
            return SignedIn(tenancy.actor_of(user), user.display_name or username, tenant.name or tenant_id)
    except FormworkError:
        return None


@contextmanager
def approvals() -> Iterator[Approvals]:
    """The signed-in user's approvals (and, as `.records`, records) in one tenant transaction."""
    with formwork().approvals(g.signed_in.actor, language()) as service:
        yield service


def users(session: Session) -> list[tuple[str, str, bool]]:
    """(login, display name, is active) of every user of the session's tenant."""
    rows = session.scalars(select(User).order_by(User.username))
    return [(u.username, u.display_name or u.username, bool(u.is_active)) for u in rows]


def readable(records: Records, entity: EntitySpec) -> bool:
    return records.access(entity).allows(Action.READ)


def target_of(records: Records, key: str | None) -> EntitySpec | None:
    """The entity a ref points at, if it is enabled for the tenant."""
    if not key:
        return None
    module, _, name = key.partition(".")
    spec = records.modules.get(module)
    return spec.entities.get(name) if spec is not None else None


def quoted(text: str) -> str:
    """A formula string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def record_title(entity: EntitySpec, record: Mapping[str, Any], formatter: Formatter | None = None) -> str:
    """What a record is called: its title field's value, else its id."""
    data = record.get("data") or {}
    if entity.title_field and data.get(entity.title_field) not in (None, ""):
        value = data[entity.title_field]
        spec = entity.fields.get(entity.title_field)
        return formatter.value(spec, value) if formatter is not None and spec is not None else str(value)
    return str(record.get("id", ""))


def readable_title(records: Records, entity: EntitySpec) -> str | None:
    """The entity's title field if the user may read it in the clear (to sort and search ref choices by), else None:
    a hidden or masked title can neither sort nor filter (the choices then show ids or masked titles)."""
    title = entity.title_field
    if not title or title not in entity.fields or title in records.access(entity).unreadable_fields:
        return None
    return title


def titles_of(records: Records, target_key: str, ids: Iterable[str]) -> dict[str, str]:
    """Titles of records the user may read, by id; the others are left out (shown by id)."""
    target = target_of(records, target_key)
    wanted = sorted({str(i) for i in ids if i})
    if target is None or not wanted or not readable(records, target):
        return {}
    found: dict[str, str] = {}
    for start in range(0, len(wanted), MAX_IDS_PER_QUERY):
        chunk = wanted[start:start + MAX_IDS_PER_QUERY]
        q = "id in [" + ", ".join(quoted(i) for i in chunk) + "]"
        for item in records.find(target.module, target.name, q=q, limit=len(chunk)).items:
            found[item["id"]] = record_title(target, item)
    return found


def ref_titles(records: Records, entity: EntitySpec, documents: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Titles of every record the documents' ref fields (and ref columns of their tables) point at."""
    wanted: dict[str, set[str]] = {}
    for document in documents:
        for name, spec in entity.fields.items():
            value = document.get(name)
            if spec.type == "ref" and spec.target and value:
                wanted.setdefault(spec.target, set()).add(str(value))
            if spec.type == "table" and isinstance(value, list):
                for row in value:
                    for column, child in spec.fields.items():
                        if child.type == "ref" and child.target and isinstance(row, dict) and row.get(column):
                            wanted.setdefault(child.target, set()).add(str(row[column]))
    titles: dict[str, str] = {}
    for target, ids in wanted.items():
        titles.update(titles_of(records, target, ids))
    return titles


def formatter(records: Records, entity: EntitySpec | None = None,
              documents: Iterable[Mapping[str, Any]] = ()) -> Formatter:
    """A formatter knowing the tenant's user names and the titles the documents refer to."""
    names = {login: display for login, display, _active in users(records.session)}
    titles = ref_titles(records, entity, documents) if entity is not None else {}
    statuses = end_event_names(entity) if entity is not None else {}
    return Formatter(records.language, names, titles, statuses)
