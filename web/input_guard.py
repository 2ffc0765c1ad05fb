"""Refuse malformed request text at the edge: NUL characters, lone surrogates, JSON nested too deep or
with numbers JSON does not have (NaN, Infinity, 1e999).

What passes here is text every layer behind can trust: PostgreSQL refuses NUL in text and in JSONB,
UTF-8 cannot encode a lone surrogate (the answer echoing it would fail), and nesting deeper than any
of our bodies needs only feeds the recursion of later steps.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from engine.errors import BadRequest

MAX_JSON_DEPTH = 32  # a record body is 4 levels deep ({data: {items: [{...}]}}); 32 leaves room for any client
_MALFORMED = re.compile("[\x00\ud800-\udfff]")


class CheckedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, whose `loads` (what `request.get_json()` calls) refuses what `check_json` refuses."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _refuse_constant)
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise BadRequest(f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep",
                             message_code="json_too_deep", params={"depth": MAX_JSON_DEPTH}) from None
        check_json(value)
        return value


def check_json(value: Any) -> None:
    """Raise BadRequest naming the JSON path of the first NUL, lone surrogate or level too deep."""
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(value, 0, ())]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            if _MALFORMED.search(item):
                _refuse(item, f"the JSON body at {_json_path(path)}")
        elif isinstance(item, float) and not math.isfinite(item):
            raise BadRequest(f"the JSON body at {_json_path(path)} has a number too large to compute with",
                             message_code="json_number_too_large", params={"path": _json_path(path)})
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise BadRequest(f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep",
                                 message_code="json_too_deep", params={"depth": MAX_JSON_DEPTH})
            if isinstance(item, dict):
                for key, child in item.items():
                    if _MALFORMED.search(key):
                        _refuse(key, f"a key of the JSON body at {_json_path(path)}")
                    stack.append((child, depth + 1, (*path, key)))
            else:
                stack.extend((child, depth + 1, (*path, index)) for index, child in enumerate(item))


def _refuse_constant(name: str) -> NoReturn:
    raise BadRequest(f"the JSON body has {name}, which JSON does not allow: send a number",
                     message_code="json_not_a_number", params={"name": name})


def check_request() -> None:
    """Before every request: its path, query, headers, form fields and file names hold no NUL character."""
    if _MALFORMED.search(request.path):
        _refuse(request.path, "the URL path")
    for kind, pairs in (("query parameter", request.args), ("form field", request.form)):
        for key, text in pairs.items(multi=True):
            if _MALFORMED.search(key + text):
                _refuse(key + text, f"the {kind} {_quoted(key)}")
    for name, text in request.headers.items():
        if _MALFORMED.search(text):
            _refuse(text, f"the header {name}")
    for key, upload in request.files.items(multi=True):
        if _MALFORMED.search(upload.filename or ""):
            _refuse(upload.filename or "", f"the name of the file in {_quoted(key)}")


def _refuse(text: str, where: str) -> NoReturn:
    found = _MALFORMED.search(text)
    if found is not None and found.group() != "\x00":
        escaped = found.group().encode("unicode_escape").decode()
        raise BadRequest(f"{where} has a lone surrogate ({escaped}): send text as UTF-8, with surrogates only in pairs",
                         message_code="text_lone_surrogate", params={"where": where, "found": escaped})
    raise BadRequest(f"{where} has a NUL character; remove it", message_code="text_nul", params={"where": where})


def _quoted(text: str) -> str:
    """A name from the request, shown with escapes: an error message never echoes a NUL or a surrogate."""
    return json.dumps(text)


def _json_path(path: tuple[str | int, ...]) -> str:
    """`$.data.items[0].qty`; keys that are not plain names are quoted with escapes."""
    shown = "$"
    for part in path:
        if isinstance(part, int):
            shown += f"[{part}]"
        elif part.isidentifier() and part.isascii():
            shown += f".{part}"
        else:
            shown += f"[{_quoted(part)}]"
    return shown


def register(app: Flask) -> None:
    app.json = CheckedJSONProvider(app)
    app.before_request(check_request)
