"""A loaded declaration and where each of its keys and values was written, down to the character."""
from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from engine.errors import Problem

JsonPath = tuple[str | int, ...]
_LINE_BREAKS = "\n\x85\u2028\u2029"  # what PyYAML counts as a new line (after \r is normalized)


class ScalarStyle(Enum):
    """How a scalar was written; it decides how offsets in its value map back to the file."""

    PLAIN = "plain"
    SINGLE_QUOTED = "'"
    DOUBLE_QUOTED = '"'
    LITERAL = "|"
    FOLDED = ">"


@dataclass(frozen=True)
class Span:
    """Where a node starts (1-based line and column) and its character range in `Source.text`."""

    line: int
    column: int
    start: int
    end: int
    style: ScalarStyle | None = None  # None for mappings and sequences


@dataclass(frozen=True, eq=False)
class Source:
    """A loaded declaration: its data, the problems found while loading, and every position."""

    file: str
    text: str
    data: dict[str, Any]
    problems: list[Problem]
    values: Mapping[JsonPath, Span] = field(default_factory=dict)
    keys: Mapping[JsonPath, Span] = field(default_factory=dict)

    def position(self, path: JsonPath, *, key: bool = False) -> tuple[int, int]:
        """Return (line, column) of the value at `path`, or of its key; else of the nearest ancestor.

        List items have no key, so `key=True` gives the item's own position for them.
        """
        for length in range(len(path), -1, -1):
            prefix = path[:length]
            span = (self.keys.get(prefix) if key else None) or self.values.get(prefix)
            if span is not None:
                return span.line, span.column
        return 1, 1

    def value_at(self, path: JsonPath) -> Any:
        """Return the data at `path`, or None where the path does not exist."""
        return _lookup(self.data, path)

    def style(self, path: JsonPath) -> ScalarStyle | None:
        """Return how the scalar at `path` was written, or None for a collection or a missing path."""
        span = self.values.get(path)
        return span.style if span else None

    def position_in_scalar(self, path: JsonPath, offset: int) -> tuple[int, int]:
        """Return (line, column) in the file of character `offset` (0-based) of the scalar at `path`.

        Quotes, escapes (`\\n`, `''`), line folding and block indentation are accounted for; an
        offset at or past the end gives the position just after the last character.
        """
        span = self.values.get(path)
        if span is None or span.style is None:
            return self.position(path)
        value = _lookup(self.data, path)
        text_value = value if isinstance(value, str) else self.text[span.start : span.end].strip()
        indices = _scalar_indices(self.text, span, text_value)
        return self._line_column(indices[max(0, min(offset, len(indices) - 1))])

    def _line_column(self, index: int) -> tuple[int, int]:
        starts = _line_starts(self.text)
        line = bisect.bisect_right(starts, index)
        return line, index - starts[line - 1] + 1


def _lookup(data: Any, path: JsonPath) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _line_starts(text: str) -> list[int]:
    return [0, *(match.end() for match in re.finditer(f"[{_LINE_BREAKS}]", text))]


def index_position(text: str, index: int) -> tuple[int, int]:
    starts = _line_starts(text)
    line = bisect.bisect_right(starts, index)
    return line, index - starts[line - 1] + 1


def _scalar_indices(text: str, span: Span, value: str) -> list[int]:
    """Map each character of a scalar's value (and its end) to an index in `text`."""
    start = span.start
    while start < span.end and text[start] in "!&":  # a tag or an anchor before the scalar
        while start < span.end and not text[start].isspace():
            start += 1
        while start < span.end and text[start].isspace():
            start += 1
    style = span.style
    if style in (ScalarStyle.LITERAL, ScalarStyle.FOLDED):
        body = _block_body(text, start, span.end)
    elif style in (ScalarStyle.SINGLE_QUOTED, ScalarStyle.DOUBLE_QUOTED):
        body = list(range(start + 1, max(start + 1, span.end - 1)))
    else:
        body = list(range(start, span.end))
    return _align(text, body, value, style, fallback=max(start, span.end - 1))


def _block_body(text: str, start: int, end: int) -> list[int]:
    """Return the indices of a block scalar's content: after its header line, minus indentation."""
    lines: list[tuple[int, int]] = []
    position = start
    while position < end:
        stop = position
        while stop < end and text[stop] not in _LINE_BREAKS:
            stop += 1
        lines.append((position, min(stop + 1, end)))
        position = stop + 1
    contents = [(a, b) for a, b in lines[1:] if text[a:b].strip()]
    indent = min((len(text[a:b]) - len(text[a:b].lstrip(" ")) for a, b in contents[:1]), default=0)
    body: list[int] = []
    for a, b in lines[1:]:
        skip = 0
        while skip < indent and a + skip < b and text[a + skip] == " ":
            skip += 1
        body.extend(range(a + skip, b))
    return body


def _align(text: str, body: list[int], value: str, style: ScalarStyle | None, *, fallback: int) -> list[int]:
    """Walk the raw characters alongside the value; folding and escapes make them differ."""
    indices: list[int] = []
    j = 0
    for char in value:
        while j < len(body):
            raw = text[body[j]]
            following = text[body[j + 1]] if j + 1 < len(body) else ""
            if style is ScalarStyle.DOUBLE_QUOTED and raw == "\\":
                if following in _LINE_BREAKS:  # an escaped line break adds nothing to the value
                    j += 2
                    while j < len(body) and text[body[j]] in " \t":
                        j += 1
                    continue
                indices.append(body[j])
                j += {"x": 4, "u": 6, "U": 10}.get(following, 2)
                break
            if style is ScalarStyle.SINGLE_QUOTED and raw == "'" and following == "'":
                indices.append(body[j])
                j += 2
                break
            j += 1
            if raw == char or (char in " \n" and raw in _LINE_BREAKS):
                indices.append(body[j - 1])
                break
        else:
            indices.append(indices[-1] + 1 if indices else fallback)
    indices.append(indices[-1] + 1 if indices else (body[0] if body else fallback))
    return indices
