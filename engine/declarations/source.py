"""Load a declaration file into plain data that remembers where every key and value was written.

Every later check (schema, formulas, references, BPMN roles) reports `file:line:col`, so the
loader keeps, for each path such as `('entities', 'claim', 'fields', 'amount', 'formula')`,
where the value starts, where its key starts, and how a scalar was quoted, which lets a formula
error at character 7 be mapped to the exact column in the file.

Shape of `Source.data`, chosen so JSON Schema and money arithmetic see what the author meant:

- Plain scalars follow the YAML 1.2 core schema, not PyYAML's YAML 1.1 default: only
  `true`/`false` are booleans (`yes`, `on`, `no` stay text, so the schema can say so), `null`,
  `~` and nothing are null, `12`, `0x1f`, `0o17` are `int`, every other number is an exact
  `decimal.Decimal` (`5000.50` keeps both places; a float is never produced), and dates and
  times stay strings.
- Mapping keys are always the key's text (`1:` gives `'1'`), as in JSON.
- Syntax errors, duplicate keys, unsupported tags and a top level that is not a mapping are
  `Problem`s in `Source.problems`; loading never raises for a bad file.
"""
from __future__ import annotations

import functools
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from engine.core.declaration_codes import problem_at

# Source and its positions live in source_map; importers name them here, as before.
from engine.declarations.source_map import JsonPath as JsonPath
from engine.declarations.source_map import ScalarStyle as ScalarStyle
from engine.declarations.source_map import Source as Source
from engine.declarations.source_map import Span as Span
from engine.declarations.source_map import index_position
from engine.errors import Problem

MODULE_FILE_NAMES = ("module.yaml", "module.yml", "module.json")
_MAX_NODES = 200_000  # an alias bomb in a tenant's overlay must not exhaust memory
_MAX_DEPTH = 64  # nesting; a declaration needs about 8 levels, and deeper only feeds the recursion below
_TAG = "tag:yaml.org,2002:"


def load_source(path: Path) -> Source:
    """Load a declaration file, or the module file (`module.yaml`, `.yml`, `.json`) in a folder."""
    if path.is_dir():
        found = [path / name for name in MODULE_FILE_NAMES if (path / name).is_file()]
        if not found:
            names = ", ".join(MODULE_FILE_NAMES)
            return _failed(str(path), 1, 1, "decl_module_folder_empty", {"names": names})
        path = found[0]
    try:
        raw = path.read_bytes()
    except OSError as error:
        return _failed(str(path), 1, 1, "decl_file_unreadable", {"reason": error.strerror or str(error)})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = len(before.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")) + 1
        return _failed(str(path), line, column, "decl_file_not_utf8", {"byte": f"0x{raw[error.start]:02x}"})
    return load_source_text(text, str(path))


@functools.lru_cache(maxsize=128)
def load_source_text(text: str, file: str) -> Source:
    """Load declaration text held in memory (designer edits, overlays); `file` names it in messages.

    Parsing YAML in Python is slow and a module's text is read several times (its name, what it
    requires, its compilation), so results are cached by content: callers must not mutate them.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    builder = _Builder(text, file)
    source = builder.load()
    if builder.is_unparsable and _is_json(text):
        # Valid JSON that YAML 1.1 rejects is almost always tabs used as whitespace; tabs cannot
        # occur inside valid JSON strings, so swapping them for spaces keeps every column.
        builder = _Builder(text.replace("\t", " "), file, original=text)
        source = builder.load()
        if builder.is_unparsable:
            source = _load_json_without_positions(text, file)
    return source


class _Loader(yaml.SafeLoader):
    """A SafeLoader that only composes nodes, resolving plain scalars by the YAML 1.2 core schema."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level registry


for _tag, _pattern, _first in (
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    ("float", r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?", "-+.0123456789"),
    ("merge", r"<<", "<"),
):
    _Loader.add_implicit_resolver(_TAG + _tag, re.compile(f"^(?:{_pattern})$"), list(_first))
_Loader.add_implicit_resolver(_TAG + "null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])

class _FastLoader(yaml.CSafeLoader):
    """The same composition in libyaml (C), several times faster; node marks count characters alike."""

    yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


def _compose(loader_class: type[Any], text: str) -> yaml.Node | None:
    loader = loader_class(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


_STYLES = {None: ScalarStyle.PLAIN, "": ScalarStyle.PLAIN, "'": ScalarStyle.SINGLE_QUOTED,
           '"': ScalarStyle.DOUBLE_QUOTED, "|": ScalarStyle.LITERAL, ">": ScalarStyle.FOLDED}
_HINTS = {  # PyYAML's words for a common mistake -> the code of a message that says how to fix it
    "found character '\\t' that cannot start any token": "decl_yaml_tab",
    "mapping values are not allowed here": "decl_yaml_colon",
    "found undefined alias": "decl_yaml_undefined_alias",
}


class _Builder:
    """Turns one YAML document into plain data, recording spans and problems on the way."""

    def __init__(self, text: str, file: str, *, original: str | None = None) -> None:
        self.text, self.file = text, file
        self.original = text if original is None else original
        self.values: dict[JsonPath, Span] = {}
        self.keys: dict[JsonPath, Span] = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.is_unparsable = False

    def load(self) -> Source:
        data: dict[str, Any] = {}
        try:
            root = _compose(_FastLoader, self.text)
        except yaml.YAMLError:
            root = None  # libyaml found a problem: the Python parser below words it (and positions it) exactly
        except RecursionError:  # PyYAML composes nested nodes recursively, with no depth limit of its own
            self._add(1, 1, "decl_yaml_too_deep", {"max_depth": _MAX_DEPTH})
            return Source(self.file, self.original, data, self.problems, self.values, self.keys)
        try:
            if root is None:
                root = _compose(_Loader, self.text)
        except RecursionError:
            self._add(1, 1, "decl_yaml_too_deep", {"max_depth": _MAX_DEPTH})
            root = None
        except yaml.MarkedYAMLError as error:
            self._syntax_problem(error)
            root, self.is_unparsable = None, True
        except yaml.reader.ReaderError as error:
            line, column = index_position(self.text, error.position)
            character = error.character  # PyYAML gives the code point for text input
            code = ord(character) if isinstance(character, str) else int(character)
            self._add(line, column, "decl_yaml_control_character", {"codepoint": f"{code:04X}"})
            root, self.is_unparsable = None, True
        built = self._build(root, (), frozenset()) if root is not None else None
        if isinstance(built, dict):
            data = built
        elif built is None and not self.problems:
            self._add(1, 1, "decl_file_empty")
        elif built is not None:
            span = self.values[()]
            if isinstance(built, list):
                self._add(span.line, span.column, "decl_top_level_list")
            else:
                self._add(span.line, span.column, "decl_top_level_value", {"value": built})
        return Source(self.file, self.original, data, self.problems, self.values, self.keys)

    def _syntax_problem(self, error: yaml.MarkedYAMLError) -> None:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if error.problem in _HINTS:
            self._add(line, column, _HINTS[error.problem])
        elif error.context and error.problem and error.problem.startswith("but "):
            self._add(line, column, "decl_yaml_syntax_but", {"context": error.context, "problem": error.problem})
        elif error.context and error.context_mark and error.problem:
            mark = error.context_mark
            self._add(line, column, "decl_yaml_syntax_started",
                      {"problem": error.problem, "context": error.context, "line": mark.line + 1,
                       "column": mark.column + 1})
        else:
            self._add(line, column, "decl_yaml_syntax", {"problem": error.problem or error.context})

    def _add(self, line: int, column: int, code: str, params: dict[str, Any] | None = None) -> None:
        self.problems.append(problem_at(self.file, line, column, code, params))

    def _span(self, node: yaml.Node) -> Span:
        style = _STYLES.get(node.style, ScalarStyle.PLAIN) if isinstance(node, yaml.ScalarNode) else None
        start, end = node.start_mark, node.end_mark
        return Span(start.line + 1, start.column + 1, start.index, end.index, style)

    def _build(self, node: yaml.Node, path: JsonPath, active: frozenset[int]) -> Any:
        span = self.values[path] = self._span(node)
        self.count += 1
        if self.count == _MAX_NODES:
            self._add(span.line, span.column, "decl_yaml_too_large", {"max_nodes": _MAX_NODES})
        if self.count >= _MAX_NODES:
            return None
        if len(path) > _MAX_DEPTH:
            if not any(p.code == "decl_yaml_too_deep" for p in self.problems):
                self._add(span.line, span.column, "decl_yaml_too_deep", {"max_depth": _MAX_DEPTH})
            return None
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, span)
        if id(node) in active:
            self._add(span.line, span.column, "decl_yaml_alias_cycle")
            return None
        active = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, span, "seq")
            return [self._build(item, (*path, index), active) for index, item in enumerate(node.value)]
        assert isinstance(node, yaml.MappingNode)
        self._check_tag(node, span, "map")
        result: dict[str, Any] = {}
        for key_node, value_node in self._pairs(node, path):
            key_span = self._span(key_node)
            key = str(key_node.value)
            child = (*path, key)
            self.keys[child] = key_span
            result[key] = self._build(value_node, child, active)
        return result

    def _pairs(self, node: yaml.MappingNode, path: JsonPath) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
        """Return the mapping's entries, reporting duplicates and applying `<<` merges under them."""
        own: dict[str, tuple[yaml.ScalarNode, yaml.Node]] = {}
        merged: list[tuple[yaml.ScalarNode, yaml.Node]] = []
        for key_node, value_node in node.value:
            key_span = self._span(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                self._add(key_span.line, key_span.column, "decl_yaml_key_not_text")
            elif key_node.tag == _TAG + "merge":
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    if isinstance(source, yaml.MappingNode):
                        merged.extend(source.value)
                    else:
                        self._add(key_span.line, key_span.column, "decl_yaml_merge_not_mapping")
            elif str(key_node.value) in own:
                first = self._span(own[str(key_node.value)][0])
                code = "decl_yaml_duplicate_key_in" if path else "decl_yaml_duplicate_key"
                self._add(key_span.line, key_span.column, code,
                          {"key": key_node.value, "parent": path[-1] if path else "", "line": key_span.line,
                           "column": key_span.column, "first_line": first.line, "first_column": first.column})
            else:
                own[str(key_node.value)] = (key_node, value_node)
        for key_node, value_node in merged:
            if isinstance(key_node, yaml.ScalarNode):
                own.setdefault(str(key_node.value), (key_node, value_node))
        return list(own.values())

    def _check_tag(self, node: yaml.Node, span: Span, kind: str) -> None:
        if node.tag != _TAG + kind:
            self._unsupported_tag(node, span)

    def _unsupported_tag(self, node: yaml.Node, span: Span) -> None:
        tag = node.tag.replace(_TAG, "!!")
        self._add(span.line, span.column, "decl_yaml_unsupported_tag", {"tag": tag})

    def _scalar(self, node: yaml.ScalarNode, span: Span) -> Any:
        value: str = node.value
        kind = node.tag.removeprefix(_TAG)
        try:
            if kind == "str":
                return value
            if kind == "null" and value in ("", "~", "null", "Null", "NULL"):
                return None
            if kind == "bool" and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if kind == "int":
                lowered = value.lower()
                return int(value[2:], 16 if lowered.startswith("0x") else 8) if lowered[:2] in ("0x", "0o") \
                    else int(value)
            if kind == "float":
                number = Decimal(value)
                if number.is_finite():
                    return number
        except (ValueError, InvalidOperation):
            pass
        if kind in ("null", "bool", "int", "float"):
            self._add(span.line, span.column, "decl_yaml_bad_scalar", {"value": value, "type": kind})
        else:
            self._unsupported_tag(node, span)
        return value


def _failed(file: str, line: int, column: int, code: str, params: dict[str, Any]) -> Source:
    return Source(file, "", {}, [problem_at(file, line, column, code, params)])


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _load_json_without_positions(text: str, file: str) -> Source:
    """Last resort for valid JSON that YAML cannot read: exact data, positions only for duplicates."""
    problems: list[Problem] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                problems.append(problem_at(file, 1, 1, "decl_duplicate_key", {"key": key}))
            result.setdefault(key, value)
        return result

    data = json.loads(text, object_pairs_hook=pairs, parse_float=Decimal)
    if not isinstance(data, dict):
        problems.append(problem_at(file, 1, 1, "decl_top_level_not_mapping"))
        data = {}
    return Source(file, text, data, problems)
