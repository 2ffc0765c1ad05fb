"""The import template of an entity: a workbook people fill in and import back as it is.

Sheet 1 holds one heading per field the user may write (labels in their language, required ones marked *), an
example row, a drop-down list of option labels on each option column and a note on each reference column; sheet 2
(说明 / Notes) says each column's type, whether it is required and its options. The importer reads labels, titles
and names (engine.records.imports), so the template asks for nothing else.
"""
from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from engine.declarations.model import Action, EntitySpec, FieldSpec
from engine.records.imports import importable_fields
from engine.records.service import Records
from web.ui.display import display_zone
from web.ui.i18n import translate
from web.ui.services import target_of

HEADING_FILL = PatternFill("solid", fgColor="E8EEF5")
INLINE_LIST = 250            # Excel keeps a drop-down list typed into the validation to 255 characters
OPTIONS_SHEET = "options"    # longer lists live in this hidden sheet
FORBIDDEN_IN_TITLES = str.maketrans("[]:*?/\\", " " * 7)   # what Excel refuses in a sheet's name


def heading(spec: FieldSpec, language: str) -> str:
    """A column's heading: the field's label, `*` when it must be filled (the importer ignores the mark)."""
    return spec.label.get(language) + (" *" if spec.required else "")


def template_workbook(records: Records, entity: EntitySpec) -> bytes:
    """The entity's import template for this user (see the module)."""
    language = records.language
    fields = importable_fields(records, entity)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_title(entity.title.get(language))
    lists = None
    for position, spec in enumerate(fields, start=1):
        letter = get_column_letter(position)
        cell = sheet.cell(row=1, column=position, value=heading(spec, language))
        cell.font, cell.fill, cell.alignment = Font(bold=True), HEADING_FILL, Alignment(vertical="center")
        example = sheet.cell(row=2, column=position, value=_example(records, entity, spec))
        if spec.type in ("date", "datetime"):
            example.number_format = "yyyy-mm-dd" if spec.type == "date" else "yyyy-mm-dd hh:mm"
        sheet.column_dimensions[letter].width = max(12, min(40, 2 * len(cell.value or "") + 4))
        labels = [label.get(language) for label in spec.options.values()]
        if spec.type == "enum" and labels:
            inline = ",".join(labels)
            if len(inline) <= INLINE_LIST and "," not in "".join(labels):
                formula = f'"{inline}"'
            else:
                lists = lists or _options_sheet(book)
                column = get_column_letter(lists.max_column + (1 if lists["A1"].value is not None else 0))
                for row, label in enumerate(labels, start=1):
                    lists[f"{column}{row}"] = label
                formula = f"'{OPTIONS_SHEET}'!${column}$1:${column}${len(labels)}"
            validation = DataValidation(type="list", formula1=formula, allow_blank=not spec.required,
                                        showErrorMessage=True)
            validation.error = translate("template.pick", language)
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}1000")
        note = _note(records, spec, language)
        if note:
            cell.comment = Comment(note, "Formwork")
    sheet.freeze_panes = "A2"
    _notes_sheet(book, records, fields, language)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(text: str) -> str:
    return (text.translate(FORBIDDEN_IN_TITLES).strip() or "Sheet1")[:31]


def _options_sheet(book: Workbook) -> Any:
    lists = book.create_sheet(OPTIONS_SHEET)
    lists.sheet_state = "hidden"
    return lists


def _note(records: Records, spec: FieldSpec, language: str) -> str:
    if spec.type == "ref":
        target = target_of(records, spec.target)
        return translate("template.ref_note", language, entity=target.title.get(language) if target else "")
    if spec.type == "multi_enum":
        return "、".join(label.get(language) for label in spec.options.values())
    return spec.help.get(language) if spec.help is not None else ""


def _notes_sheet(book: Workbook, records: Records, fields: list[FieldSpec], language: str) -> None:
    notes = book.create_sheet(translate("template.notes", language), 1)
    words = [translate(f"template.{key}", language) for key in ("column", "type", "required", "options")]
    notes.append(words)
    for cell in notes[1]:
        cell.font, cell.fill = Font(bold=True), HEADING_FILL
    for spec in fields:
        kind = translate(f"template.type_{spec.type}", language)
        if spec.type == "ref":
            kind = f"{kind}：{_note(records, spec, language)}" if language == "zh" else \
                f"{kind}: {_note(records, spec, language)}"
        options = "、".join(label.get(language) for label in spec.options.values())
        notes.append([spec.label.get(language), kind,
                      translate("template.yes" if spec.required else "template.no", language), options])
    notes.append([])
    notes.append([translate("template.how", language)])
    for letter, width in zip("ABCD", (20, 36, 8, 60), strict=True):
        notes.column_dimensions[letter].width = width
    notes.freeze_panes = "A2"


def _example(records: Records, entity: EntitySpec, spec: FieldSpec) -> Any:
    """What a person would type: the default, the first option, a record they may read, their own name; an
    optional field without a default is left empty."""
    language = records.language
    if not spec.required and spec.default is None:
        return None
    if spec.type in ("enum", "multi_enum") and spec.options:
        key = spec.default if isinstance(spec.default, str) and spec.default in spec.options else next(
            iter(spec.options))
        return spec.options[key].get(language)
    if spec.type == "ref":
        return _ref_example(records, entity, spec)
    if spec.type == "user":
        return records.actor.username
    if spec.default is not None:
        return Decimal(str(spec.default)) if spec.type in ("integer", "decimal", "money", "percent") \
            else spec.default
    if spec.type in ("integer", "decimal", "money", "percent"):
        return spec.min if spec.min is not None and spec.min > 0 else (Decimal(1) if spec.type != "percent"
                                                                      else Decimal(10))
    if spec.type == "date":
        return datetime.now(display_zone()).date()
    if spec.type == "datetime":
        return datetime.now(display_zone()).replace(second=0, microsecond=0, tzinfo=None)
    if spec.type == "boolean":
        return False
    if spec.pattern:
        return None   # no example can be made up for a pattern: the notes say what it takes
    text = str(spec.presentation.get("placeholder", {}).get(language, "") if isinstance(
        spec.presentation.get("placeholder"), dict) else "") or spec.label.get(language)
    while spec.min_length is not None and len(text) < spec.min_length:
        text += "，" + spec.label.get(language) if language == "zh" else ", " + spec.label.get(language)
    return text[:spec.max_length] if spec.max_length else text


def _ref_example(records: Records, entity: EntitySpec, spec: FieldSpec) -> str | None:
    """A title the importer finds: taken from the newest record of this entity the user may read (so that the
    example's references go together, a crew of its project), else the first record of the target they may read."""
    target = target_of(records, spec.target)
    if target is None or not target.title_field or not records.access(target).allows(Action.READ):
        return None
    wanted: str | None = None
    if records.access(entity).allows(Action.READ):
        newest = records.find(entity.module, entity.name, sort="-created_at", limit=1).items
        if newest and newest[0]["data"].get(spec.name):
            wanted = str(newest[0]["data"][spec.name])
    query = f"id == '{wanted}'" if wanted else None
    found = records.find(target.module, target.name, q=query, limit=1).items
    if not found and wanted:
        found = records.find(target.module, target.name, limit=1).items
    value = found[0]["data"].get(target.title_field) if found else None
    return str(value) if value not in (None, "") else None

