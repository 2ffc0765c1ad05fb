"""What may go into process data, and reading login names back out of it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from engine.workflow.errors import InvalidProcessData
from engine.workflow.scripts.dialects import ASSIGNEE_SUBMITTER

_SCALARS = (str, bool, int, Decimal, date, type(None))


def check_data(data: Mapping[str, Any], where: str) -> None:
    """Refuse values that cannot be stored exactly: floats, sets, objects; keys must be text."""
    _check(data, where)


def _check(value: Any, path: str) -> None:
    if isinstance(value, _SCALARS):
        return
    if isinstance(value, float):
        raise InvalidProcessData(f"{path} is a float ({value!r}); pass numbers as Decimal",
                                 message_code="process_data_float", params={"path": path, "value": value})
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidProcessData(f"{path} has a key {key!r} that is not text",
                                         message_code="process_data_key_not_text", params={"path": path, "key": key})
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    raise InvalidProcessData(f"{path} holds a {type(value).__name__}, which process data cannot store",
                             message_code="process_data_unstorable",
                             params={"path": path, "type": type(value).__name__})


def resolve_assignee(assignee: str | None, data: Mapping[str, Any]) -> str | None:
    """Return the login name a task's assignee stands for in its data (`submitter` or a field)."""
    if assignee is None:
        return None
    value = data.get("submitter" if assignee == ASSIGNEE_SUBMITTER else assignee)
    return value if isinstance(value, str) and value else None
