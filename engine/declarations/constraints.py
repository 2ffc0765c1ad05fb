"""Compile the declarations that constrain values: composite unique keys, conflicts, numbering, masks, and how an
attachment is captured on a phone (`capture: camera` with `stamp`, `capture: signature`)."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from engine.core.declaration_codes import part, problem_at
from engine.core.suggestions import closest, suggest
from engine.declarations.model import ConflictCheck, FieldSpec, Mask, Numbering, NumberPart, UniqueKey
from engine.declarations.module_scope import ModuleScope, Path, label_of
from engine.errors import FormulaError
from engine.formula import Environment, Formula, SqlProbe, compile_formula, ftype_for

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
SEQ = re.compile(r"seq(?::(\d+))?")
NOT_IN_INDEX = re.compile(r"\b(params|user)\s*\.|\b(today|now)\s*\(")   # what an index condition cannot hold
LIST_TYPES = frozenset({"table", "multi_enum", "attachment"})   # hold lists: no unique key over them
RANGE_TYPES = frozenset({"date", "datetime"})                      # what `overlaps` compares
SEVERITIES = ("error", "warning")
SHARED_TYPES = frozenset({"text", "user", "enum", "ref"})          # what `shares` compares across records


def unique_keys(compiler: ModuleScope, base: Path, raw: Any, fields: Mapping[str, FieldSpec],
                env: Environment) -> tuple[UniqueKey, ...]:
    """`unique: [[a, b], {fields: [c, d], when: formula, message: label}]` of an entity."""
    keys = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        path = (*base, "unique", index)
        spec = item if isinstance(item, dict) else {"fields": item}
        names = [str(n) for n in spec.get("fields") or ()]
        if not names:
            compiler.problem(path, "decl_unique_key_empty")
            continue
        is_sound = True
        for position, name in enumerate(names):
            where = (*path, "fields", position) if isinstance(item, dict) else (*path, position)
            field = fields.get(name)
            if field is None:
                compiler.problem(where, "decl_unique_key_unknown_field",
                                 {"name": name, "suggestion": closest(name, fields)})
                is_sound = False
            elif field.type in LIST_TYPES or field.multiple:
                compiler.problem(where, "decl_unique_key_field_list", {"name": name, "type": field.type})
                is_sound = False
        if len(set(names)) != len(names):
            compiler.problem(path, "decl_unique_key_repeats")
            is_sound = False
        when = compiler.formula((*path, "when"), spec.get("when"), env, what=part("decl_part_when_unique_key"),
                                expect=ftype_for("boolean"))
        if when is not None and (when.uses_refs or NOT_IN_INDEX.search(when.text)):
            compiler.problem((*path, "when"), "decl_unique_key_when_not_own")
            is_sound = False
        message = label_of(spec["message"], "") if spec.get("message") else None
        if is_sound:
            keys.append(UniqueKey(tuple(names), when=when, message=message))
    return tuple(keys)


def conflict_checks(compiler: ModuleScope, base: Path, raw: Any, fields: Mapping[str, FieldSpec],
                    env: Environment) -> tuple[ConflictCheck, ...]:
    """`conflicts: [{match: [a, b], when: formula, overlaps: [start, end], severity, message}]` of an entity."""
    checks = []
    for index, spec in enumerate(raw if isinstance(raw, list) else []):
        path = (*base, "conflicts", index)
        names = [str(n) for n in spec.get("match") or ()] if isinstance(spec, dict) else []
        if not names or not isinstance(spec.get("match"), list):
            continue  # the schema asks for a mapping with a non-empty `match`
        is_sound = _conflict_fields_sound(compiler, (*path, "match"), names, fields, suggest)
        overlaps = _overlap_fields(compiler, (*path, "overlaps"), spec.get("overlaps"), fields, names, suggest)
        if spec.get("overlaps") is not None and overlaps is None:
            is_sound = False
        shares = _shared_column(compiler, (*path, "shares"), spec.get("shares"), fields)
        if spec.get("shares") is not None and shares is None:
            is_sound = False
        severity = str(spec.get("severity", "error"))
        if severity not in SEVERITIES:  # the schema says so
            is_sound = False
        when = compiler.formula((*path, "when"), spec.get("when"), env, what=part("decl_part_when_conflict",
                                                                                  {"number": index + 1}),
                                expect=ftype_for("boolean"))
        if spec.get("when") is not None and when is None:
            is_sound = False
        elif when is not None and (reason := _not_in_sql(when)) is not None:
            compiler.problem((*path, "when"), "decl_conflict_when_not_sql", {"number": index + 1, "reason": reason})
            is_sound = False
        message = label_of(spec["message"], "") if spec.get("message") else None
        if is_sound:
            checks.append(ConflictCheck(tuple(names), number=index + 1, when=when, overlaps=overlaps,
                                        severity=severity, message=message, shares=shares))
    return tuple(checks)


def _shared_column(compiler: ModuleScope, path: Path, raw: Any,
                   fields: Mapping[str, FieldSpec]) -> tuple[str, str] | None:
    """`shares: table.column`: a text, user, enum or ref column of a child table (the workers of a ticket)."""
    if raw is None:
        return None
    table_name, _, column_name = str(raw).partition(".")
    table = fields.get(table_name)
    if table is None or table.type != "table":
        tables = [n for n, f in fields.items() if f.type == "table"]
        compiler.problem(path, "decl_shares_not_table",
                         {"table": table_name, "suggestion": closest(table_name, tables)})
        return None
    column = table.fields.get(column_name)
    if column is None:
        compiler.problem(path, "decl_shares_unknown_column",
                         {"column": column_name, "table": table_name, "suggestion": closest(column_name, table.fields)})
        return None
    if column.type not in SHARED_TYPES or column.multiple:
        compiler.problem(path, "decl_shares_column_type",
                         {"table": table_name, "column": column_name, "type": column.type})
        return None
    return table_name, column_name


def _not_in_sql(when: Formula) -> str | None:
    """Why `when` cannot become SQL (it selects the other records in the database), or None."""
    try:
        when.to_sql(SqlProbe())
    except FormulaError as error:
        return error.reason
    return None


def _conflict_fields_sound(compiler: ModuleScope, path: Path, names: Sequence[str],
                           fields: Mapping[str, FieldSpec], suggest: Any) -> bool:
    is_sound = True
    for position, name in enumerate(names):
        field = fields.get(name)
        if field is None:
            compiler.problem((*path, position), "decl_conflict_unknown_field",
                             {"name": name, "suggestion": closest(name, fields)})
            is_sound = False
        elif field.type in LIST_TYPES or field.multiple:
            compiler.problem((*path, position), "decl_conflict_field_list", {"name": name, "type": field.type})
            is_sound = False
    return is_sound and len(set(names)) == len(names)  # the schema reports a field named twice


def _overlap_fields(compiler: ModuleScope, path: Path, raw: Any, fields: Mapping[str, FieldSpec],
                    matched: Sequence[str], suggest: Any) -> tuple[str, str] | None:
    """`overlaps: [start, end]`: two different date (or datetime) fields of the same type."""
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != 2:
        return None  # the schema asks for two names
    start, end = str(raw[0]), str(raw[1])
    is_sound = True
    for position, name in enumerate((start, end)):
        field = fields.get(name)
        if field is None:
            compiler.problem((*path, position), "decl_overlaps_unknown_field",
                             {"name": name, "suggestion": closest(name, fields)})
            is_sound = False
        elif field.type not in RANGE_TYPES:
            compiler.problem((*path, position), "decl_overlaps_field_not_date", {"name": name, "type": field.type})
            is_sound = False
        elif name in matched:
            compiler.problem((*path, position), "decl_overlaps_bound_matched", {"name": name})
            is_sound = False
    if not is_sound:
        return None
    if start == end:
        compiler.problem(path, "decl_overlaps_needs_two_fields")
        return None
    if fields[start].type != fields[end].type:
        compiler.problem(path, "decl_overlaps_types_differ",
                         {"start": start, "start_type": fields[start].type, "end": end, "end_type": fields[end].type})
        return None
    return start, end


def numbering(compiler: ModuleScope, path: Path, raw: Any, kind: str, env: Environment,
              name: str) -> Numbering | None:
    """`numbering: "DG-{project.project_code}-{work_date:%Y%m%d}-{seq:3}"` of a text field."""
    if raw is None:
        return None
    where = (*path, "numbering")
    if not isinstance(raw, str):
        compiler.problem(where, "decl_numbering_not_text", {"name": name})
        return None
    if kind != "text":
        compiler.problem(where, "decl_numbering_field_not_text", {"name": name, "type": kind})
    parts: list[NumberPart] = []
    seqs = 0
    position = 0
    for match in PLACEHOLDER.finditer(raw):
        if match.start() > position:
            parts.append(NumberPart(text=raw[position:match.start()]))
        position = match.end()
        inside = match.group(1).strip()
        seq = SEQ.fullmatch(inside)
        if seq is not None:
            seqs += 1
            parts.append(NumberPart(is_seq=True, width=int(seq.group(1) or 1)))
            continue
        text, _, fmt = inside.partition(":")
        if text.strip() in ("", name):
            compiler.problem(where, "decl_numbering_bad_part", {"name": name, "inside": inside})
            continue
        try:
            formula = compile_formula(text, env)
        except FormulaError as error:
            line, column = compiler.source.position_in_scalar(where, match.start(1) + max(error.column - 1, 0))
            compiler.problems.append(problem_at(compiler.source.file, line, column,
                                             "decl_numbering_formula", {"name": name, "reason": error.reason_part}))
            continue
        parts.append(NumberPart(formula=formula, format=fmt))
    if position < len(raw):
        parts.append(NumberPart(text=raw[position:]))
    if seqs != 1:
        compiler.problem(where, "decl_numbering_seq_count", {"name": name, "count": seqs})
        return None
    return Numbering(template=raw, parts=tuple(parts))


def mask(compiler: ModuleScope, path: Path, raw: Mapping[str, Any], kind: str, name: str,
         roles: Sequence[str]) -> Mask | None:
    """`mask: {keep_start: 4, keep_end: 4}` with `unmasked_for: [roles]` on a text field."""
    spec = raw.get("mask")
    unmasked = [str(r) for r in raw.get("unmasked_for") or ()]
    if spec is None:
        if unmasked:
            compiler.problem((*path, "unmasked_for"), "decl_unmasked_for_without_mask", {"name": name})
        return None
    if not isinstance(spec, dict):
        return None
    if kind != "text":
        compiler.problem((*path, "mask"), "decl_mask_field_not_text", {"name": name, "type": kind})
    for index, role in enumerate(unmasked):
        if role not in roles:
            compiler.problem((*path, "unmasked_for", index), "decl_role_not_declared",
                             {"role": role, "suggestion": closest(role, roles)})
    return Mask(keep_start=int(spec.get("keep_start", 0)), keep_end=int(spec.get("keep_end", 0)),
                unmasked_for=frozenset(unmasked), char=str(spec.get("char", "*"))[:1] or "*")


def import_deferred(compiler: ModuleScope, base: Path, raw: Any, fields: Mapping[str, FieldSpec]) -> frozenset[str]:
    """`import: {defer_required: [photos, ...]}`: required attachments an imported row may leave for later (a
    spreadsheet cannot carry the photos; the record asks for them again at its next save)."""
    if raw is None:
        return frozenset()
    names = raw.get("defer_required") or [] if isinstance(raw, dict) else []
    found = set()
    for index, name in enumerate(names):
        where = (*base, "import", "defer_required", index)
        field = fields.get(str(name))
        if field is None:
            compiler.problem(where, "decl_defer_required_unknown_field",
                             {"name": name, "suggestion": closest(str(name), fields)})
        elif field.type != "attachment" or not field.required:
            compiler.problem(where, "decl_defer_required_not_attachment", {"name": name})
        else:
            found.add(field.name)
    return frozenset(found)


def capture(compiler: ModuleScope, path: Path, raw: Mapping[str, Any], kind: str, name: str,
            env: Environment) -> None:
    """Report `capture` on a field that holds no files, a multi-file signature, and `stamp` naming no field."""
    mode = raw.get("capture")
    stamp = raw.get("stamp")
    if mode is not None and kind != "attachment":
        compiler.problem((*path, "capture"), "decl_capture_not_attachment", {"name": name, "type": kind})
    if mode == "signature" and raw.get("multiple"):
        compiler.problem((*path, "capture"), "decl_capture_signature_multiple", {"name": name})
    if stamp is None or not isinstance(stamp, list):
        return
    if mode != "camera":
        compiler.problem((*path, "stamp"), "decl_stamp_needs_camera", {"name": name})
    for index, field in enumerate(stamp):
        if str(field) not in env.fields or str(field) == name:
            compiler.problem((*path, "stamp", index), "decl_stamp_unknown_field",
                             {"name": name, "field": field, "suggestion": closest(str(field), env.fields)})
