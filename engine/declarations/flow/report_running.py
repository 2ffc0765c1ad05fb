"""Compile a report's `running:` columns (windows over its grouped rows) and its `rows:` choice."""
from __future__ import annotations

from typing import Any

from engine.core.suggestions import suggest
from engine.declarations.model import Window
from engine.declarations.module_scope import ModuleScope, Path
from engine.formula import Formula, Kind

FUNCTIONS = ("sum", "avg", "min", "max", "previous", "next")
AGGREGATING = ("sum", "avg", "min", "max")
KEYS = (*FUNCTIONS, "partition", "order", "offset")
ROWS = ("own", "any")


def compile_running(compiler: ModuleScope, path: Path, what: str, raw: Any, known: list[tuple[str, Formula]],
                    unresolved: list[str]) -> tuple[Window, ...]:
    """`running:` — `name: {sum|avg|min|max|previous|next: column, partition: [columns], order: [columns],
    offset: n}` over the columns before them (groupings, measures, joined measures); each is added to
    `known` so that derived columns, labels, order_by and the chart may name it."""
    windows = []
    for name, item in (raw.items() if isinstance(raw, dict) else ()):
        at = (*path, "running", name)
        window = _window(compiler, at, what, str(name), item, known, unresolved)
        if any(column == name for column, _ in known):
            compiler.problem(at, f"{what} already has a column {name!r}; give this one another name", key=True)
        elif window is None:
            unresolved.append(str(name))
        else:
            windows.append(window)
            known.append((window.name, window.source))
    return tuple(windows)


def _window(compiler: ModuleScope, at: Path, what: str, name: str, item: Any, known: list[tuple[str, Formula]],
            unresolved: list[str]) -> Window | None:
    label = f"running column {name!r} of {what}"
    if not isinstance(item, dict):
        return None  # the schema says what it must be
    columns = dict(known)
    functions = [key for key in FUNCTIONS if key in item]
    if len(functions) != 1:
        compiler.problem(at, f"{label} needs exactly one of {', '.join(FUNCTIONS)} (the column it reads), "
                         f"not {len(functions)}", key=True)
        return None
    function = functions[0]
    column = str(item[function])
    problems = len(compiler.problems)
    if column in unresolved:
        return None
    if column not in columns:
        compiler.problem((*at, function), f"{label} reads unknown column {column!r} (a grouping, measure or "
                         "joined measure before it)" + suggest(column, columns))
    elif function in AGGREGATING and not (columns[column].type.is_numeric or columns[column].type.is_loose):
        compiler.problem((*at, function), f"{label}: {function} needs a number or money column, and "
                         f"{column!r} is {columns[column].type}")
    partition = _names(compiler, (*at, "partition"), label, item.get("partition"), columns, unresolved)
    order = [(n.removeprefix("-"), n.startswith("-"))
             for n in _names(compiler, (*at, "order"), label, item.get("order"), columns, unresolved, signed=True)]
    if function not in AGGREGATING and not item.get("order"):
        compiler.problem(at, f"{label}: {function} needs 'order' (which row comes before which)", key=True)
    offset = item.get("offset", 1)
    if function in AGGREGATING and "offset" in item:
        compiler.problem((*at, "offset"), f"{label}: 'offset' is for previous and next only")
    if len(compiler.problems) > problems or column not in columns:
        return None
    return Window(name=name, function=function, column=column, source=columns[column],
                  partition=tuple(partition), order=tuple(order), offset=int(offset))


def _names(compiler: ModuleScope, at: Path, label: str, raw: Any, columns: dict[str, Formula],
           unresolved: list[str], *, signed: bool = False) -> list[str]:
    names = [raw] if isinstance(raw, str) else list(raw or ())
    kept = []
    for index, text in enumerate(names):
        column = str(text).removeprefix("-") if signed else str(text)
        if column in unresolved:
            continue
        if column not in columns:
            compiler.problem((*at, index) if not isinstance(raw, str) else at,
                             f"{label} names unknown column {column!r}" + suggest(column, columns))
        elif columns[column].type.kind is Kind.LIST:
            compiler.problem((*at, index) if not isinstance(raw, str) else at, f"{label} cannot use the list "
                             f"column {column!r}")
        else:
            kept.append(str(text))
    return kept


def compile_rows(compiler: ModuleScope, path: Path, what: str, raw: Any, groups: list[str], joins: Any) -> str:
    """`rows: own` (default): a row per group of the report's entity; `rows: any`: a row per group any of its
    entities has (its own or a join's), so every join (`joins`: as declared) must match every grouping."""
    if raw is None:
        return "own"
    if raw not in ROWS:
        compiler.problem((*path, "rows"), f"{what}: rows must be one of {', '.join(ROWS)}, not {raw!r}")
        return "own"
    for index, join in enumerate(joins if raw == "any" and isinstance(joins, list) else ()):
        matched = join.get("match") if isinstance(join, dict) else None
        missing = [g for g in groups if g not in (matched if isinstance(matched, dict) else {})]
        if missing:
            compiler.problem((*path, "join", index), f"join {index + 1} of {what} must match every grouping "
                             f"with 'rows: any' (its groups become rows): add {', '.join(missing)} to 'match'")
    return str(raw)
