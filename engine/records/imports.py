"""Importing sheet rows as records: columns matched to fields, cells turned into field input, rows checked.

Cells arrive as people type them in Excel: options by label, referenced records by their title
(or another unique text field), users by login or name. This module only translates them into
the engine's input; every rule is checked by engine.records.bulk: its `rows.check_rows` (a preview's rows,
every problem of a row at once) and its bulk import, which writes them.

An import is one transaction, and it writes an `ImportRun` row in that transaction (`record_run`):
whether an import whose process died had committed is a question the database answers
(`run_of`), and the row's primary key lets one import commit once, however often it is started.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.declarations.model import Action, EntitySpec, FieldSpec
from engine.errors import Conflict, FieldError
from engine.fields.values import to_json
from engine.records.service import Records
from engine.storage.models import ImportRun, User

SKIPPED_TYPES = frozenset({"table", "attachment"})
LIST_SEPARATORS = re.compile(r"\s*[,，、;；]\s*")
ID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

ColumnMap = list[str | None]          # per sheet column: the field it fills, or None (ignored)


def importable_fields(records: Records, entity: EntitySpec) -> list[FieldSpec]:
    """Fields an import may fill for this user: typed-in fields they may write (no tables, no files)."""
    access = records.access(entity)
    blocked = access.hidden_fields | access.readonly_fields
    return [spec for name, spec in entity.fields.items()
            if not (spec.is_computed or spec.hidden or spec.readonly or spec.numbering is not None or name in blocked
                    or spec.type in SKIPPED_TYPES)]


def normal_heading(text: str) -> str:
    return re.sub(r"[\s*＊:：]", "", text).casefold()


def auto_mapping(header: Sequence[str], fields: Sequence[FieldSpec]) -> ColumnMap:
    """Each column's field, matched by its zh or en label or its key; each field used at most once."""
    names: dict[str, str] = {}
    for spec in fields:
        for text in (spec.name, spec.label.en, spec.label.zh):
            names.setdefault(normal_heading(text), spec.name)
    result: ColumnMap = []
    used: set[str] = set()
    for heading in header:
        name = names.get(normal_heading(heading or ""))
        result.append(name if name and name not in used else None)
        if name:
            used.add(name)
    return result


class Converter:
    """Turns a row of cells into a record's input, resolving labels, titles and names (cached)."""

    def __init__(self, records: Records, entity: EntitySpec, mapping: ColumnMap, zone: tzinfo) -> None:
        self.records = records              # rebind with `using` for each transaction; the caches stay valid
        self.entity = entity
        self.mapping = mapping
        self.zone = zone
        self._refs: dict[tuple[str, str], str | FieldError] = {}
        self._users: dict[str, str] | None = None

    def using(self, records: Records) -> Converter:
        self.records = records
        return self

    def data(self, cells: Sequence[Any]) -> tuple[dict[str, Any], list[FieldError]]:
        data: dict[str, Any] = {}
        errors: list[FieldError] = []
        for name, cell in zip(self.mapping, cells, strict=False):
            if name is None or cell is None or (isinstance(cell, str) and not cell.strip()):
                continue
            spec = self.entity.fields[name]
            value = self.value(spec, cell)
            if isinstance(value, FieldError):
                errors.append(value)
            else:
                data[name] = value
        return data, errors

    def value(self, spec: FieldSpec, cell: Any) -> Any:
        if spec.type == "datetime" and isinstance(cell, datetime) and cell.tzinfo is None:
            return cell.replace(tzinfo=self.zone).isoformat()
        if spec.type == "datetime" and isinstance(cell, date) and not isinstance(cell, datetime):
            return datetime(cell.year, cell.month, cell.day, tzinfo=self.zone).isoformat()
        if spec.type == "enum":
            return self._option(spec, str(cell).strip())
        if spec.type == "multi_enum":
            return [self._option(spec, item) for item in LIST_SEPARATORS.split(str(cell).strip()) if item]
        if spec.type == "user":
            items = [self._user(item) for item in LIST_SEPARATORS.split(str(cell).strip()) if item]
            return items if spec.multiple else (items[0] if items else None)
        if spec.type == "ref":
            return self._ref(spec, str(cell).strip())
        if spec.type == "text" and not isinstance(cell, str):
            return str(to_json(cell))
        return to_json(cell)

    @staticmethod
    def _option(spec: FieldSpec, text: str) -> str:
        """An option key from its key or either label; unknown text goes on for the engine to refuse."""
        wanted = text.casefold()
        for key, label in spec.options.items():
            if wanted in (key.casefold(), label.zh.casefold(), label.en.casefold()):
                return key
        return text

    def _user(self, text: str) -> str:
        """A login from a login or a display name; unknown names go on for the engine to judge."""
        if self._users is None:
            users = list(self.records.session.scalars(select(User)))
            self._users = {u.display_name.casefold(): u.username for u in users if u.display_name}
            self._users.update({u.username.casefold(): u.username for u in users})
        return self._users.get(text.casefold(), text)

    def _ref(self, spec: FieldSpec, text: str) -> str | FieldError:
        if ID_PATTERN.match(text) or not spec.target:
            return text
        key = (spec.target, text)
        if key not in self._refs:
            self._refs[key] = self._find_ref(spec, text)
        return self._refs[key]

    def _find_ref(self, spec: FieldSpec, text: str) -> str | FieldError:
        """The one record whose title (or another unique text field) is `text`."""
        module, _, name = (spec.target or "").partition(".")
        target = self.records.modules.get(module, None)
        entity = target.entities.get(name) if target is not None else None
        if entity is None:
            return text
        if not self.records.access(entity).allows(Action.READ):
            return FieldError(spec.name, f"you may not read {entity.title.en} records; enter the record's id",
                              code="ref_name_unreadable", params={"entity": entity.title.en})
        candidates = [entity.title_field] if entity.title_field and entity.title_field in entity.fields else []
        candidates += [n for n, f in entity.fields.items() if f.unique and f.type == "text" and n not in candidates]
        literal = "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        for field_name in candidates:
            if entity.fields[field_name].type != "text":
                continue
            found = self.records.find(module, name, q=f"{field_name} == {literal}", limit=2).items
            if len(found) == 1:
                return str(found[0]["id"])
            if len(found) > 1:
                return FieldError(spec.name, f"several {entity.title.en} records are called {text!r}",
                                  code="ref_name_ambiguous", params={"entity": entity.title.en, "text": text})
        return FieldError(spec.name, f"no {entity.title.en} is called {text!r}",
                          code="ref_name_unknown", params={"entity": entity.title.en, "text": text})


class ImportAlreadyRun(Conflict):
    """This import has committed already (a second start of it, after a crash or a double click)."""

    code = "import_already_run"


def record_run(session: Session, token: str, module: str, entity: str, username: str = "",
               created: int = 0) -> ImportRun:
    """Mark the import `token` as run, in the caller's transaction (call it first: on PostgreSQL a second
    start of the same import waits here until the first commits or rolls back)."""
    run = ImportRun(token=token, module=module, entity=entity, username=username, created=created,
                    at=datetime.now(UTC))
    session.add(run)
    try:
        session.flush()
    except IntegrityError:
        raise ImportAlreadyRun(f"import {token!r} has already been run",
                               message_code="import_already_run", params={"token": token}) from None
    return run


def run_of(session: Session, token: str) -> ImportRun | None:
    """The committed run of import `token`, if it committed."""
    return session.scalar(select(ImportRun).where(ImportRun.token == token))
