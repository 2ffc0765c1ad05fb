"""The engine services a page calls, for the signed-in user, one tenant transaction at a time.

Also the two things the pages need that the engine has no service for yet (the lead was told):
the tenant's user directory and a user looked up by login for the session cookie.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import tenancy
from engine.approvals.service import Approvals
from engine.declarations.model import Action, EntitySpec, FieldSpec
from engine.declarations.module_scope import ANY_ENTITY
from engine.errors import FormworkError
from engine.records import files
from engine.records.service import Records
from engine.runtime import Formwork
from engine.storage.models import Record, User
from web.ui.display import Formatter, end_event_names
from web.ui.i18n import language, translate
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


_USERS = "page_users"   # session.info: the tenant's users as `users` read them in this transaction


def users(session: Session) -> list[tuple[str, str, bool]]:
    """(login, display name, is active) of every user of the session's tenant; read once per request (a page's
    formatter, choices and filters each ask)."""
    if _USERS not in session.info:
        rows = session.scalars(select(User).order_by(User.username))
        session.info[_USERS] = [(u.username, u.display_name or u.username, bool(u.is_active)) for u in rows]
    return list(session.info[_USERS])


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
    """What a record is called: its title field's value (as people read it), else what it is (合同), never its id."""
    data = record.get("data") or {}
    if entity.title_field and data.get(entity.title_field) not in (None, ""):
        value = data[entity.title_field]
        spec = entity.fields.get(entity.title_field)
        return formatter.value(spec, value) if formatter is not None and spec is not None else str(value)
    return entity.title.get(formatter.language if formatter is not None else language())


def readable_title(records: Records, entity: EntitySpec) -> str | None:
    """The entity's title field if the user may read it in the clear (to sort and search ref choices by), else None:
    a hidden or masked title can neither sort nor filter (the choices then show what the records are, or masked
    titles)."""
    title = entity.title_field
    if not title or title not in entity.fields or title in records.access(entity).unreadable_fields:
        return None
    return title


def titles_of(records: Records, target_key: str, ids: Iterable[str],
              places: dict[str, tuple[str, str]] | None = None) -> dict[str, str]:
    """The title of every id, one query per target entity (in chunks): what the user may read is named by its
    title field, anything else (another's row, a hidden title, a deleted record, an entity they may not read)
    is 无权查看 — never its id, and never a value a hidden field holds. `places` gets (module, entity) of the
    records that may be opened; a ref to `any` entity is first sorted by the entity each id is of."""
    wanted = sorted({str(i) for i in ids if i})
    hidden = translate("value.no_access", records.language)
    found = dict.fromkeys(wanted, hidden)
    if target_key == ANY_ENTITY and wanted:
        kinds: dict[str, list[str]] = {}
        rows = records.session.execute(select(Record.id, Record.module, Record.entity).where(Record.id.in_(wanted)))
        for record_id, module, entity in rows:
            kinds.setdefault(f"{module}.{entity}", []).append(record_id)
        for key, some in kinds.items():
            found.update(titles_of(records, key, some, places))
        return found
    target = target_of(records, target_key)
    if target is None or not wanted or not readable(records, target) or readable_title(records, target) is None:
        return found
    plain = Formatter(records.language)
    title = target.fields[str(target.title_field)]
    for start in range(0, len(wanted), MAX_IDS_PER_QUERY):
        chunk = wanted[start:start + MAX_IDS_PER_QUERY]
        q = "id in [" + ", ".join(quoted(i) for i in chunk) + "]"
        for item in records.find(target.module, target.name, q=q, limit=len(chunk), counted=False).items:
            found[item["id"]] = record_title(target, item, plain) or hidden
            if places is not None:
                places[item["id"]] = (target.module, target.name)
    if title.type == "ref":  # a ledger called by its contract: the contract's title, by the same rules
        named = titles_of(records, title.target or ANY_ENTITY, [v for v in found.values() if v != hidden])
        found = {key: named.get(value, value) for key, value in found.items()}
    return found


def _ids(value: Any) -> list[str]:
    return [str(i) for i in (value if isinstance(value, list) else [value]) if i]


def ref_titles(records: Records, entity: EntitySpec, documents: Iterable[Mapping[str, Any]],
               kind: str = "ref", places: dict[str, tuple[str, str]] | None = None) -> dict[str, str]:
    """Titles of every record the documents' ref fields (and ref columns of their tables) point at, one query
    per target entity; with kind "attachment", the names of the files they hold."""
    wanted: dict[str, set[str]] = {}
    for document in documents:
        for name, spec in entity.fields.items():
            value = document.get(name)
            if spec.type == kind and value:
                wanted.setdefault(spec.target or ANY_ENTITY, set()).update(_ids(value))
            if spec.type == "table" and isinstance(value, list):
                for row in value:
                    for column, child in spec.fields.items():
                        if child.type == kind and isinstance(row, dict) and row.get(column):
                            wanted.setdefault(child.target or ANY_ENTITY, set()).update(_ids(row[column]))
    if kind == "attachment":
        known = files.infos(records.session, sorted(set().union(*wanted.values())))
        return {file_id: info.name for file_id, info in known.items()}
    titles: dict[str, str] = {}
    for target, ids in wanted.items():
        titles.update(titles_of(records, target, ids, places))
    return titles


def formatter(records: Records, entity: EntitySpec | None = None,
              documents: Iterable[Mapping[str, Any]] = ()) -> Formatter:
    """A formatter knowing the tenant's user names, the titles the documents refer to and their files' names."""
    names = {login: display for login, display, _active in users(records.session)}
    documents = list(documents)
    places: dict[str, tuple[str, str]] = {}
    titles = ref_titles(records, entity, documents, places=places) if entity is not None else {}
    file_names = ref_titles(records, entity, documents, "attachment") if entity is not None else {}
    statuses = end_event_names(entity) if entity is not None else {}
    mirrors = mirrors_of(records.modules, entity) if entity is not None else {}
    return Formatter(records.language, names, titles, statuses, file_names, mirrors, places)


PATH = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+$")


def path_field(modules: Mapping[str, Any], fields: Mapping[str, FieldSpec], text: str,
               depth: int = 0) -> FieldSpec | None:
    """The field a formula that is only a path of refs (`contract.contract_category`) ends at, else None; a
    computed field that is itself such a path is followed to where it ends (`budget_line.control_mode`)."""
    if not PATH.match(text.strip()) or depth > 5:
        return None
    *hops, last = text.strip().split(".")
    for hop in hops:
        spec = fields.get(hop)
        if spec is None or spec.type != "ref" or not spec.target:
            return None
        module, _, name = spec.target.partition(".")
        target = modules[module].entities.get(name) if module in modules else None
        if target is None:
            return None
        fields = target.fields
    found = fields.get(last)
    return copied(modules, fields, found, depth + 1) if found is not None else None


def copied(modules: Mapping[str, Any], fields: Mapping[str, FieldSpec], spec: FieldSpec,
           depth: int = 0) -> FieldSpec:
    """The field a computed text field copies through refs, else the field itself."""
    if spec.type != "text" or spec.formula is None:
        return spec
    return path_field(modules, fields, spec.formula.text, depth) or spec


def mirrors_of(modules: Mapping[str, Any], entity: EntitySpec) -> dict[int, FieldSpec]:
    """The entity's computed text fields (and table columns) that copy an enum through refs, and that enum:
    shown by its labels, as the field they copy is."""
    found: dict[int, FieldSpec] = {}
    scopes = [(entity.fields, entity.fields)] + [
        ({**entity.fields, **spec.fields}, spec.fields) for spec in entity.fields.values() if spec.type == "table"]
    for reach, own in scopes:
        for spec in own.values():
            source = copied(modules, reach, spec)
            if source is not spec and source.type in ("enum", "multi_enum"):
                found[id(spec)] = source
    return found
