"""Resolve dotted names — fields, one ref hop, table columns, `params.*`, `user.*` — to checked nodes."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from engine.core.codes.formula_codes import english_hint
from engine.core.codes.formula_codes import reason as coded
from engine.errors import FormulaError
from engine.formula import ast
from engine.formula.environment import Environment, FieldInfo
from engine.formula.ir import Expr, Field, Param, ParentField, RefField, TableColumn, ThisValue, UserAttr
from engine.formula.types import TEXT, TEXT_LIST, FType, Kind

_V = TypeVar("_V")
Fail = Callable[[dict[str, Any], ast.Pos], FormulaError]  # a problem by its code, where it is


@dataclass(frozen=True)
class Resolved:
    """A resolved name: the node, the record field it reads, whether it hops through it, and the whole
    path of names it reads (`('project', 'contract_amount')`; None for `params.*` and `user.*`)."""

    expr: Expr
    field: str | None = None
    through_ref: bool = False
    path: tuple[str, ...] | None = None
    this_field: str | None = None   # `this.<field>`: the field of the record running a lookup it reads


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ` (did you mean 'x'?)` when a candidate is close to `name`, else ``."""
    return english_hint(closest(name, candidates))


def closest(name: str, candidates: Iterable[str]) -> str:
    """The candidate close to `name` a writer may have meant, or ''."""
    visible = [c for c in candidates if not c.startswith("_")]
    close = difflib.get_close_matches(name, visible, n=1)
    return close[0] if close else ""


def _lookup(mapping: Mapping[str, _V] | None, name: str) -> _V | None:
    # Underscore names are never resolved, whatever the environment holds.
    if mapping is None or name.startswith("_"):
        return None
    return mapping.get(name)


def resolve_name(node: ast.Name, env: Environment, fail: Fail) -> Resolved:
    """Resolve `node` against `env`; call `fail(message, pos)` for the error to raise."""
    head, pos = node.parts[0], node.positions[0]
    if head == "params":
        return Resolved(_param(node, env, fail))
    if head == "user":
        return Resolved(_user(node, fail))
    if head == "this" and env.this is not None:
        return _this(node, env, fail)
    info = _lookup(env.fields, head)
    if info is None and len(node.parts) > 1 and any(name.startswith(f"{head}.") for name in env.fields):
        return _dotted(node, env, fail)
    if info is None:
        names = [*env.fields, "params", "user", *(["this"] if env.this is not None else [])]
        raise fail(coded("formula_unknown_field", field=head, suggestion=closest(head, names)), pos)
    if info.type.kind is Kind.ROW and info.target is not None:  # `parent` in a table row's formula
        return _parent(node, info.target, fail)
    if len(node.parts) == 1:
        return Resolved(Field(head, info.type, pos), head, path=(head,))
    attr, attr_pos = node.parts[1], node.positions[1]
    if len(node.parts) > 2:
        target = _lookup(info.target, attr) if info.type.kind is Kind.REF else None
        if len(node.parts) > 3 or target is None or target.row is None:
            code = "formula_one_hop_column" if len(node.parts) == 3 else "formula_one_hop"
            raise fail(coded(code, head=head, attr=attr, next=node.parts[2]), node.positions[2])
        column_name, column_pos = node.parts[2], node.positions[2]
        row_field = _lookup(target.row, column_name)
        if row_field is None:
            raise fail(coded("formula_unknown_hop_column", field=column_name, head=head, attr=attr,
                             suggestion=closest(column_name, target.row)), column_pos)
        entity = info.target_entity or info.type.entity or ""
        return Resolved(RefField(head, entity, attr, FType.list_of(row_field.type), pos, column=column_name), head,
                        through_ref=True, path=(head, attr, column_name))
    if info.type.kind is Kind.REF:
        entity = info.target_entity or info.type.entity or ""
        target = _lookup(info.target, attr)
        if target is None:
            suggestion = closest(attr, info.target or {})
            raise fail(coded("formula_unknown_ref_field_entity", field=attr, owner=head, entity=entity,
                             suggestion=suggestion) if entity else
                       coded("formula_unknown_ref_field", field=attr, owner=head, suggestion=suggestion), attr_pos)
        return Resolved(RefField(head, entity, attr, target.type, pos), head, through_ref=True, path=(head, attr))
    if info.type.kind is Kind.LIST and info.row is not None:
        column = _lookup(info.row, attr)
        if column is None:
            raise fail(coded("formula_unknown_column", field=attr, table=head, suggestion=closest(attr, info.row)),
                       attr_pos)
        return Resolved(TableColumn(head, attr, FType.list_of(column.type), pos), head, path=(head, attr))
    raise fail(coded("formula_no_fields", name=head, type=str(info.type), field=attr), attr_pos)


def _this(node: ast.Name, env: Environment, fail: Fail) -> Resolved:
    """`this.<field>` (one ref hop further allowed): resolved against the fields of the record running the lookup."""
    if len(node.parts) < 2:
        raise fail(coded("formula_this_alone"), node.positions[0])
    inner = resolve_name(ast.Name(node.parts[1:], node.positions[1:]),
                         Environment(fields=env.this or {}, params=env.params), fail)
    if inner.field is None:  # this.params.x, this.user.name: not fields of the record
        raise fail(coded("formula_unknown_this_field", field=node.parts[1],
                         suggestion=closest(node.parts[1], env.this or {})), node.positions[1])
    return Resolved(ThisValue(inner.expr, inner.field, inner.expr.type, node.positions[0]), this_field=inner.field)


def _parent(node: ast.Name, fields: Mapping[str, FieldInfo], fail: Fail) -> Resolved:
    if len(node.parts) != 2:
        where = node.positions[2] if len(node.parts) > 2 else node.positions[0]
        raise fail(coded("formula_parent_alone"), where)
    name, pos = node.parts[1], node.positions[1]
    info = _lookup(fields, name)
    if info is None:
        raise fail(coded("formula_unknown_parent_field", field=name, suggestion=closest(name, fields)), pos)
    if info.type.kind is Kind.LIST and info.row is not None:
        raise fail(coded("formula_parent_table", field=name), pos)
    return Resolved(ParentField(name, info.type, node.positions[0]), path=("parent", name))


def _dotted(node: ast.Name, env: Environment, fail: Fail) -> Resolved:
    """A field whose name is dotted (`row.task`, `target.version`: an effect's namespaces), then what follows it."""
    head = f"{node.parts[0]}.{node.parts[1]}"
    if _lookup(env.fields, head) is None:
        known = [name for name in env.fields if name.startswith(f"{node.parts[0]}.")]
        raise fail(coded("formula_unknown_field", field=head, suggestion=closest(head, known)), node.positions[1])
    resolved = resolve_name(ast.Name((head, *node.parts[2:]), (node.positions[0], *node.positions[2:])), env, fail)
    return resolved


def _param(node: ast.Name, env: Environment, fail: Fail) -> Expr:
    if len(node.parts) != 2:
        where = node.positions[2] if len(node.parts) > 2 else node.positions[0]
        raise fail(coded("formula_params_alone"), where)
    name, pos = node.parts[1], node.positions[1]
    ptype = _lookup(env.params, name)
    if ptype is None:
        raise fail(coded("formula_unknown_param", name=name, suggestion=closest(name, env.params)), pos)
    return Param(name, ptype, node.positions[0])


def _user(node: ast.Name, fail: Fail) -> Expr:
    attr = node.parts[1] if len(node.parts) == 2 else None
    if attr == "name":
        return UserAttr("name", TEXT, node.positions[0])
    if attr == "roles":
        return UserAttr("roles", TEXT_LIST, node.positions[0])
    where = node.positions[1] if len(node.parts) > 1 else node.positions[0]
    raise fail(coded("formula_user_attr", suggestion=closest(attr, ["name", "roles"]) if attr else ""), where)
