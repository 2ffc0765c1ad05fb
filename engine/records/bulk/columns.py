"""A sheet's columns matched to fields, and its cells turned into field input a batch at a time.

Cells read as people type them (options by label, records by title, users by name, see records/imports.py);
here the referenced records a batch names are found together, one query per referenced entity.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_

from engine.declarations.model import Action, EntitySpec, FieldSpec
from engine.errors import FieldError
from engine.records.imports import ID_PATTERN, SKIPPED_TYPES, Converter, normal_heading
from engine.records.service import Records
from engine.storage.queries import RecordQuery

HeaderError = tuple[int, str, FieldError]   # (column position, its heading, the problem)


def mapping(records: Records, entity: EntitySpec, header: Sequence[str]) -> tuple[list[str | None], list[FieldError]]:
    """Each column's field by its key or zh/en label; a column of a field the actor may not write (hidden,
    read-only, computed, numbered), of no field, or repeating another is an error; empty headings are skipped."""
    access = records.access(entity)
    blocked = access.hidden_fields | access.readonly_fields
    names: dict[str, str] = {}
    for spec in entity.fields.values():
        if spec.name in access.hidden_fields:
            names.setdefault(normal_heading(spec.name), spec.name)  # a hidden field is named by its key only
            continue
        for text in (spec.name, spec.label.en, spec.label.zh):
            names.setdefault(normal_heading(text), spec.name)
    result: list[str | None] = []
    errors: list[FieldError] = []
    for heading in header:
        name = names.get(normal_heading(heading)) if heading.strip() else None
        result.append(None)
        if not heading.strip():
            continue
        if name is None:
            errors.append(FieldError(heading, f"column {heading!r} is not a field of {entity.title.en}",
                                     code="import_column_unknown",
                                     params={"column": heading, "entity": entity.title.en}))
            continue
        spec = entity.fields[name]
        if (spec.is_computed or spec.readonly or spec.numbering is not None or name in blocked
                or spec.type in SKIPPED_TYPES):
            errors.append(FieldError(name, f"column {heading!r} cannot be imported: you may not write {name!r}",
                                     code="import_column_not_importable", params={"column": heading, "field": name}))
            continue
        if name in result:
            errors.append(FieldError(name, f"column {heading!r} repeats another column of the same field",
                                     code="import_column_twice", params={"column": heading}))
            continue
        result[-1] = name
    return result, errors


class BatchConverter(Converter):
    """The record input of a batch of rows; the records the batch names by title are found before its rows."""

    def prime(self, rows: Sequence[Sequence[Any]]) -> None:
        """Find every record the batch's reference cells name, one query per referenced entity."""
        wanted: dict[str, set[str]] = {}
        for position, name in enumerate(self.mapping):
            spec = self.entity.fields[name] if name else None
            if spec is None or spec.type != "ref" or not spec.target:
                continue
            for cells in rows:
                cell = cells[position] if position < len(cells) else None
                text = str(cell).strip() if cell is not None else ""
                if text and not ID_PATTERN.match(text) and (spec.target, text) not in self._refs:
                    wanted.setdefault(spec.target, set()).add(text)
        for target, texts in wanted.items():
            self._find_all(target, sorted(texts))

    def _find_all(self, target: str, texts: list[str]) -> None:
        entity = self.records.entity_of(target)
        if entity is None:
            return
        if not self.records.access(entity).allows(Action.READ):
            for text in texts:
                self._refs[(target, text)] = FieldError(
                    "", f"you may not read {entity.title.en} records; enter the record's id",
                    code="ref_name_unreadable", params={"entity": entity.title.en})
            return
        candidates = [entity.title_field] if entity.title_field and entity.title_field in entity.fields else []
        candidates += [n for n, f in entity.fields.items() if f.unique and f.type == "text" and n not in candidates]
        candidates = [n for n in candidates if entity.fields[n].type == "text"]
        if not candidates:
            return
        query = RecordQuery(self.records.session, entity, self.records.evaluation(entity))
        statement = query.visible(query.base().where(or_(*(query.columns.json_text(n).in_(texts)
                                                             for n in candidates))),
                                  self.records.access(entity).row_filters)
        found: dict[tuple[str, str], list[str]] = {}
        for row in self.records.session.scalars(statement):
            self.records.work.remember(row)
            for name in candidates:
                found.setdefault((name, str(row.data.get(name))), []).append(row.id)
        for text in texts:
            ids = next((found[(name, text)] for name in candidates if (name, text) in found), [])
            if len(ids) == 1:
                self._refs[(target, text)] = ids[0]
            elif ids:
                self._refs[(target, text)] = FieldError("", f"several {entity.title.en} records are called {text!r}",
                                                        code="ref_name_ambiguous",
                                                        params={"entity": entity.title.en, "text": text})
            else:
                self._refs[(target, text)] = FieldError("", f"no {entity.title.en} is called {text!r}",
                                                        code="ref_name_unknown",
                                                        params={"entity": entity.title.en, "text": text})

    def value(self, spec: FieldSpec, cell: Any) -> Any:
        """Excel keeps a date as a date-time at midnight (openpyxl reads it so): a date field takes its day."""
        if spec.type == "date" and isinstance(cell, datetime):
            return cell.date().isoformat()
        return super().value(spec, cell)

    def _ref(self, spec: FieldSpec, text: str) -> str | FieldError:
        found = super()._ref(spec, text)
        if isinstance(found, FieldError) and found.field != spec.name:   # primed for the entity, named per field
            return FieldError(spec.name, found.message, code=found.code, params=found.params)
        return found
