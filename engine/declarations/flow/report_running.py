"""Compile a report's `running:` columns (windows over its grouped rows) and its `rows:` choice."""
from __future__ import annotations

from typing import Any

from engine.core.declaration_codes import Part, part
from engine.core.suggestions import closest
from engine.declarations.model import Window
from engine.declarations.module_scope import ModuleScope, Path
from engine.formula import Formula, Kind

FUNCTIONS = ("sum", "avg", "min", "max", "previous", "next")
AGGREGATING = ("sum", "avg", "min", "max")
KEYS = (*FUNCTIONS, "partition", "order", "offset")
ROWS = ("own", "any")


def compile_running(compiler: ModuleScope, path: Path, what: Part, raw: Any, known: list[tuple[str, Formula]],
                    unresolved: list[str]) -> tuple[Window, ...]:
    """`running:` — `name: {sum|avg|min|max|previous|next: column, partition: [columns], order: [columns],
    offset: n}` over the columns before them (groupings, measures, joined measures); each is added to
    `known` so that derived columns, labels, order_by and the chart may name it."""
    windows = []
    for name, item in (raw.items() if isinstance(raw, dict) else ()):
        at = (*path, "running", name)
        window = _window(compiler, at, what, str(name), item, known, unresolved)
        if any(column == name for column, _ in known):
            compiler.problem(at, "decl_column_name_taken", {"what": what, "name": name}, key=True)
        elif window is None:
            unresolved.append(str(name))
        else:
            windows.append(window)
            known.append((window.name, window.source))
    return tuple(windows)


def _window(compiler: ModuleScope, at: Path, what: Part, name: str, item: Any, known: list[tuple[str, Formula]],
            unresolved: list[str]) -> Window | None:
    label = part("decl_part_running_column", {"name": name, "what": what})
    if not isinstance(item, dict):
        return None  # the schema says what it must be
    columns = dict(known)
    functions = [key for key in FUNCTIONS if key in item]
    if len(functions) != 1:
        compiler.problem(at, "decl_running_needs_one_function",
                         {"label": label, "choices": ', '.join(FUNCTIONS), "count": len(functions)}, key=True)
        return None
    function = functions[0]
    column = str(item[function])
    problems = len(compiler.problems)
    if column in unresolved:
        return None
    if column not in columns:
        compiler.problem((*at, function), "decl_running_unknown_column",
                         {"label": label, "column": column, "suggestion": closest(column, columns)})
    elif function in AGGREGATING and not (columns[column].type.is_numeric or columns[column].type.is_loose):
        compiler.problem((*at, function), "decl_running_needs_number",
                         {"label": label, "function": function, "column": column, "type": columns[column].type})
    partition = _names(compiler, (*at, "partition"), label, item.get("partition"), columns, unresolved)
    order = [(n.removeprefix("-"), n.startswith("-"))
             for n in _names(compiler, (*at, "order"), label, item.get("order"), columns, unresolved, signed=True)]
    if function not in AGGREGATING and not item.get("order"):
        compiler.problem(at, "decl_running_needs_order", {"label": label, "function": function}, key=True)
    offset = item.get("offset", 1)
    if function in AGGREGATING and "offset" in item:
        compiler.problem((*at, "offset"), "decl_running_offset_misplaced", {"label": label})
    if len(compiler.problems) > problems or column not in columns:
        return None
    return Window(name=name, function=function, column=column, source=columns[column],
                  partition=tuple(partition), order=tuple(order), offset=int(offset))


def _names(compiler: ModuleScope, at: Path, label: Part, raw: Any, columns: dict[str, Formula],
           unresolved: list[str], *, signed: bool = False) -> list[str]:
    names = [raw] if isinstance(raw, str) else list(raw or ())
    kept = []
    for index, text in enumerate(names):
        column = str(text).removeprefix("-") if signed else str(text)
        if column in unresolved:
            continue
        if column not in columns:
            compiler.problem((*at, index) if not isinstance(raw, str) else at,
                             "decl_running_list_unknown_column",
                             {"label": label, "column": column, "suggestion": closest(column, columns)})
        elif columns[column].type.kind is Kind.LIST:
            compiler.problem((*at, index) if not isinstance(raw, str) else at, "decl_running_list_column",
                             {"label": label, "column": column})
        else:
            kept.append(str(text))
    return kept


def compile_rows(compiler: ModuleScope, path: Path, what: Part, raw: Any, groups: list[str], joins: Any) -> str:
    """`rows: own` (default): a row per group of the report's entity; `rows: any`: a row per group any of its
    entities has (its own or a join's), so every join (`joins`: as declared) must match every grouping."""
    if raw is None:
        return "own"
    if raw not in ROWS:
        compiler.problem((*path, "rows"), "decl_join_rows_invalid",
                         {"what": what, "choices": ', '.join(ROWS), "value": raw})
        return "own"
    for index, join in enumerate(joins if raw == "any" and isinstance(joins, list) else ()):
        matched = join.get("match") if isinstance(join, dict) else None
        missing = [g for g in groups if g not in (matched if isinstance(matched, dict) else {})]
        if missing:
            compiler.problem((*path, "join", index), "decl_join_rows_any_unmatched",
                             {"number": index + 1, "what": what, "missing": ', '.join(missing)})
    return str(raw)
