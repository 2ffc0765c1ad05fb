"""Field values as people read them: money with separators, labels not keys, names not logins."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.declarations.model import NUMERIC_TYPES, EntitySpec, FieldSpec
from web.ui.i18n import translate

DEFAULT_ZONE = "Asia/Shanghai"
SYSTEM_TYPES = {"id": "text", "status": "status", "version": "integer", "created_at": "datetime",
                "created_by": "user", "updated_at": "datetime", "updated_by": "user"}
RIGHT_ALIGNED = NUMERIC_TYPES


@lru_cache(maxsize=8)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def display_zone() -> tzinfo:
    """Where datetimes are shown and datetime-local inputs are read: FORMWORK_TIMEZONE, else China time."""
    return _zone(os.environ.get("FORMWORK_TIMEZONE", DEFAULT_ZONE))


def zone_name() -> str:
    return os.environ.get("FORMWORK_TIMEZONE", DEFAULT_ZONE) if display_zone() is not UTC else "UTC"


def as_decimal(raw: Any) -> Decimal | None:
    if raw is None or raw == "" or isinstance(raw, bool):
        return None
    try:
        return Decimal(str(raw).replace(",", ""))
    except (InvalidOperation, ValueError):
        return None


def format_number(spec: FieldSpec | None, raw: Any, *, grouped: bool = True) -> str:
    """A number as text: money and decimals with their places, thousands separated when `grouped`."""
    number = as_decimal(raw)
    if number is None:
        return "" if raw is None else str(raw)
    places = spec.decimal_places if spec is not None else None
    comma = "," if grouped else ""
    text = format(number, f"{comma}.{places}f") if places is not None else format(number, f"{comma}f")
    return f"{text}%" if spec is not None and spec.type == "percent" else text


def parse_moment(raw: Any) -> datetime | None:
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, str) and raw:
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_moment(raw: Any) -> str:
    moment = parse_moment(raw)
    return moment.astimezone(display_zone()).strftime("%Y-%m-%d %H:%M") if moment else ("" if raw is None else str(raw))


def local_input(raw: Any) -> str:
    """A stored datetime as the value of a datetime-local input."""
    moment = parse_moment(raw)
    return moment.astimezone(display_zone()).strftime("%Y-%m-%dT%H:%M") if moment else ""


@dataclass
class Formatter:
    """Formats stored (JSON) values for one request: its language, users and referenced titles."""

    language: str
    users: Mapping[str, str] = field(default_factory=dict)        # login -> display name
    titles: Mapping[str, str] = field(default_factory=dict)       # record id -> title
    statuses: Mapping[str, str] = field(default_factory=dict)     # end event id -> name
    files: Mapping[str, str] = field(default_factory=dict)        # file id -> file name
    mirrors: Mapping[int, FieldSpec] = field(default_factory=dict)  # id(computed text field) -> the enum it copies
    places: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # record id -> (module, entity) it may open

    def t(self, key: str, **values: object) -> str:
        return translate(key, self.language, **values)

    def status(self, status: str | None) -> str:
        if not status:
            return ""
        key = f"status.{status}"
        label = self.t(key)
        return label if label != key else self.statuses.get(status, status)

    def user(self, login: Any) -> str:
        if not login:
            return ""
        name = self.users.get(str(login))
        return f"{name}" if name and name != login else str(login)

    def value(self, spec: FieldSpec | None, raw: Any, name: str = "") -> str:
        """The text of one stored value; `spec` None means a system field named `name`."""
        if raw is None or raw == "" or raw == []:
            return ""
        if spec is not None and id(spec) in self.mirrors:  # `control_mode: cost_account.control_mode`: its labels
            spec = self.mirrors[id(spec)]
        kind = spec.type if spec is not None else SYSTEM_TYPES.get(name, "text")
        if kind in NUMERIC_TYPES:
            return format_number(spec, raw)
        if kind == "status":
            return self.status(str(raw))
        if kind == "boolean":
            return self.t("value.yes") if raw is True else self.t("value.no")
        if kind == "datetime":
            return format_moment(raw)
        if kind == "date":
            return raw.isoformat() if isinstance(raw, date) else str(raw)
        if kind in ("enum", "multi_enum") and spec is not None:
            items = raw if isinstance(raw, list) else [raw]
            labels = [spec.options[i].get(self.language) if i in spec.options else str(i) for i in items]
            return ("、" if self.language == "zh" else ", ").join(labels)
        if kind == "user":
            items = raw if isinstance(raw, list) else [raw]
            return ("、" if self.language == "zh" else ", ").join(self.user(i) for i in items)
        if kind in ("ref", "attachment"):  # titles and file names were looked up for the page (services.formatter)
            names = self.titles if kind == "ref" else self.files
            items = raw if isinstance(raw, list) else [raw]
            return ("、" if self.language == "zh" else ", ").join(names.get(str(i), str(i)) for i in items)
        if kind == "table":
            return self.t("list.rows", count=len(raw)) if isinstance(raw, list) else ""
        if isinstance(raw, list):
            return ", ".join(str(item) for item in raw)
        return str(raw)


def label_of(entity: EntitySpec, name: str, language: str) -> str:
    spec = entity.fields.get(name)
    return spec.label.get(language) if spec is not None else translate(f"field.{name}", language)


def type_of(entity: EntitySpec, name: str) -> str:
    spec = entity.fields.get(name)
    return spec.type if spec is not None else SYSTEM_TYPES.get(name, "text")


def end_event_names(entity: EntitySpec) -> dict[str, str]:
    """Statuses a record reaches at the end of its process, named as in the BPMN file."""
    if entity.workflow is None or entity.workflow.spec is None:
        return {}
    return {key: name or key for key, name in entity.workflow.spec.end_events.items()}


def status_tone(status: str | None) -> str:
    """A colour family for a status badge."""
    return {"draft": "neutral", "in_review": "pending", "returned": "warning", "withdrawn": "neutral",
            "approved": "success", "completed": "success", "rejected": "danger"}.get(status or "", "info")


def size_text(size: int) -> str:
    """A file size as people read it: 512 B, 14 KB, 1.5 MB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
