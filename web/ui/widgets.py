"""Form widgets from declarations: what each field shows, its options, its error, table rows."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.core import field_types
from engine.declarations.model import NUMERIC_TYPES, EntitySpec, FieldSpec
from engine.errors import FieldError
from engine.fields.values import to_json
from engine.records import files
from web.ui.display import Formatter, as_decimal, format_number, size_text
from web.ui.forms import ROW_KEY, Raw, default_of, raw_value
from web.ui.i18n import t


@dataclass
class Widget:
    """One field as a form shows it; `kind` picks the template macro."""

    name: str
    input_name: str
    label: str
    kind: str
    value: Any = ""
    display: str = ""
    required: bool = False
    locked: bool = False
    computed: bool = False
    visible: bool = True
    help: str = ""
    placeholder: str = ""
    unit: str = ""
    note: str = ""
    error: str = ""
    inputmode: str = ""
    align_right: bool = False
    is_money: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    search_url: str = ""
    columns: list[Widget] = field(default_factory=list)     # table: one per column (its header)
    rows: list[tuple[int, list[Widget]]] = field(default_factory=list)
    template_row: list[Widget] = field(default_factory=list)
    totals: dict[str, str] = field(default_factory=dict)
    files: list[Any] = field(default_factory=list)          # attachment: the FileLinks it holds
    multiple: bool = False
    accept: str = ""
    capture: str = ""                                       # attachment: 'camera' or 'signature' (capture.js)
    stamp: list[str] = field(default_factory=list)          # camera: the fields burned into the photo

    @property
    def input_id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.input_name)


@dataclass
class Choices:
    """Options the form offers: tenant users, and records of ref targets (None: not readable)."""

    users: list[tuple[str, str]]
    refs: dict[str, list[tuple[str, str]] | None]
    searchable: dict[str, str]                    # target -> search url when there are more records
    target_titles: dict[str, str]                 # target -> its entity title, for notes


@dataclass
class FormContext:
    entity: EntitySpec
    language: str
    formatter: Formatter
    choices: Choices
    writable: set[str]
    errors: dict[str, str]
    values: Mapping[str, Any]                      # computed values (python) to display
    visible: Mapping[str, bool]
    readonly: Mapping[str, bool]
    files: Mapping[str, Any] = field(default_factory=dict)   # file id -> FileLink, for attachment widgets


PLUGIN_WIDGETS = frozenset({"text", "textarea", "number", "date", "datetime", "checkbox"})  # what a plugin type may ask


def widget_kind(spec: FieldSpec, choices: Choices) -> str:
    if spec.type == "text":
        return "textarea" if spec.multiline else "text"
    if spec.type in NUMERIC_TYPES:
        return "number"
    if spec.type in ("date", "boolean", "attachment", "table"):
        return "checkbox" if spec.type == "boolean" else spec.type
    if spec.type == "datetime":
        return "datetime"
    if spec.type == "enum":
        return "select"
    if spec.type == "multi_enum" or (spec.type == "user" and spec.multiple):
        return "checkboxes"
    if spec.type == "user":
        return "select"
    if spec.type == "ref":
        return "select" if choices.refs.get(spec.target or "") is not None else "text"
    plugin_type = field_types.get(spec.type)
    if plugin_type is not None and plugin_type.widget in PLUGIN_WIDGETS:
        return plugin_type.widget
    return "text"


def build_widgets(ctx: FormContext, raw: Raw, names: list[str]) -> list[Widget]:
    """Widgets of `names`; fields the user may not write show their stored (or computed) value."""
    return [_widget(ctx, ctx.entity.fields[name],
                    raw[name] if name in raw else raw_value(ctx.entity.fields[name], to_json(ctx.values.get(name))),
                    name, ctx.values.get(name), top=True)
            for name in names]


def _widget(ctx: FormContext, spec: FieldSpec, raw: Any, input_name: str, computed_value: Any, *,
            top: bool, writable: bool | None = None) -> Widget:
    language = ctx.language
    kind = "computed" if spec.is_computed else widget_kind(spec, ctx.choices)
    is_writable = (spec.name in ctx.writable) if writable is None else writable
    locked = not is_writable or (top and ctx.readonly.get(spec.name, False))
    widget = Widget(
        name=spec.name, input_name=input_name, label=spec.label.get(language), kind=kind,
        required=spec.required and not spec.is_computed and spec.numbering is None, computed=spec.is_computed,
        locked=locked,
        visible=ctx.visible.get(spec.name, True) if top else True,
        help=spec.help.get(language) if spec.help else "",
        placeholder=_presentation(spec, "placeholder", language),
        unit=_presentation(spec, "unit", language) or ("%" if spec.type == "percent" else ""),
        error=ctx.errors.get(input_name, ""), align_right=spec.type in NUMERIC_TYPES, is_money=spec.type == "money",
        inputmode="numeric" if spec.type == "integer" else ("decimal" if spec.type in NUMERIC_TYPES else ""),
    )
    if spec.options:
        widget.options = [(key, label.get(language)) for key, label in spec.options.items()]
    elif spec.type == "user":
        widget.options = list(ctx.choices.users)
    elif spec.type == "ref":
        target = spec.target or ""
        widget.options = list(ctx.choices.refs.get(target) or [])
        widget.search_url = ctx.choices.searchable.get(target, "")
        if not target:
            widget.note = ctx.formatter.t("form.ref_id")
        elif ctx.choices.refs.get(target) is None:
            widget.note = ctx.formatter.t("form.ref_unreadable", entity=ctx.choices.target_titles.get(target, target))
    if spec.type == "attachment":
        held = raw if isinstance(raw, list) else [raw] if raw else []
        widget.files = [ctx.files[i] for i in held if i in ctx.files]
        widget.multiple = spec.multiple
        widget.accept = ",".join(files.accepted(spec))
        widget.capture = str(spec.presentation.get("capture") or "")
        widget.stamp = [str(n) for n in spec.presentation.get("stamp") or ()]
        widget.note = ctx.formatter.t("form.attachment_limits", size=size_text(files.max_size(spec)))
    if spec.type == "table":
        _table(ctx, widget, spec, raw or [], computed_value or [])
        return widget
    if spec.is_computed:
        widget.display = ctx.formatter.value(spec, to_json(computed_value))
        return widget
    widget.value = raw if raw is not None else ("" if spec.type != "boolean" else False)
    if widget.locked:
        widget.display = _shown(ctx, spec, widget.value) or (t("form.numbered") if spec.numbering else "")
    elif spec.type == "ref" and widget.value and all(key != widget.value for key, _ in widget.options):
        # the current record may sit beyond the first options loaded: keep it choosable
        widget.options.insert(0, (str(widget.value), ctx.formatter.titles.get(str(widget.value), str(widget.value))))
    return widget


def _shown(ctx: FormContext, spec: FieldSpec, raw: Any) -> str:
    """A locked input's value as text."""
    if spec.type in NUMERIC_TYPES:
        return format_number(spec, as_decimal(raw)) if raw not in ("", None) else ""
    if spec.type == "datetime":
        return str(raw).replace("T", " ")
    return ctx.formatter.value(spec, raw if raw != "" else None)


def _table(ctx: FormContext, widget: Widget, spec: FieldSpec, rows: list[dict[str, Any]],
           computed_rows: list[dict[str, Any]]) -> None:
    table_writable = widget.name in ctx.writable and not widget.locked
    widget.locked = not table_writable
    widget.columns = [_widget(ctx, child, None, child.name, None, top=False, writable=table_writable)
                      for child in spec.fields.values() if not child.hidden]
    for position, row in enumerate(rows):
        index = row.get(ROW_KEY, position)
        computed = computed_rows[position] if position < len(computed_rows) else {}
        cells = [_widget(ctx, child, row.get(column), f"{spec.name}[{index}].{column}", computed.get(column),
                         top=False, writable=table_writable)
                 for column, child in spec.fields.items() if not child.hidden]
        widget.rows.append((index, cells))
    blank_row = {c: raw_value(child, default_of(child)) for c, child in spec.fields.items() if not child.is_computed}
    widget.template_row = [_widget(ctx, child, blank_row.get(column), f"{spec.name}[__i__].{column}", None,
                                   top=False, writable=table_writable)
                           for column, child in spec.fields.items() if not child.hidden]
    for column, child in spec.fields.items():
        if child.type == "money" and child.is_computed and not child.hidden:
            amounts: list[Decimal] = [r[column] for r in computed_rows if isinstance(r.get(column), Decimal)]
            widget.totals[column] = format_number(child, sum(amounts, Decimal(0)))


def _presentation(spec: FieldSpec, key: str, language: str) -> str:
    value = spec.presentation.get(key)
    if isinstance(value, Mapping):
        return str(value.get(language) or value.get("en") or "")
    return str(value) if value else ""


def field_errors(errors: list[FieldError], translate: Callable[[FieldError], str],
                 ) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Errors by input name (`items[1].qty`), and all of them in order for the summary box."""
    by_input: dict[str, str] = {}
    listed: list[tuple[str, str]] = []
    for error in errors:
        message = translate(error)
        if error.field not in by_input:
            by_input[error.field] = message
        else:
            by_input[error.field] += "；" + message
        listed.append((error.field, message))
    return by_input, listed
