"""Compile a checked tree into one Python function, once per formula.

Evaluating a formula is then one call of plain Python over Decimal, date and str values: no tree walking,
no call per node, no name or function looked up per evaluation. The function's source is written here from
the tree's shape alone; everything taken from the formula (names, literals, functions) is bound to it as a
value, never written into the source, so no text of a formula is ever run as Python. It reads nothing but
the `Context` and the mappings it holds. `and`, `or` and `if` evaluate only the operand they need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from types import CodeType, FunctionType
from typing import Any

from engine.formula import values
from engine.formula.context import Context, reading_refs_once
from engine.formula.functions import Function
from engine.formula.ir import (
    Aggregate,
    Arith,
    CallExpr,
    Compare,
    Const,
    Expr,
    Field,
    If,
    In,
    IsNull,
    ListExpr,
    Logic,
    Negate,
    Not,
    Param,
    ParentField,
    RefField,
    TableColumn,
    ThisValue,
    UserAttr,
)
from engine.formula.types import ANY, FType, Kind

Evaluator = Callable[[Context], Any]

# Arithmetic as a plain call of the function (the decimal context's own methods for numbers).
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "add": values.DECIMAL.add,
    "sub": values.DECIMAL.subtract,
    "mul": values.DECIMAL.multiply,
    "div": values.DECIMAL.divide,
    "mod": values.DECIMAL.remainder,
    "date_add": values.date_add,
    "date_sub": values.date_sub,
    "date_diff": values.date_diff,
    "datetime_add": values.datetime_add,
    "datetime_sub": values.datetime_sub,
    "datetime_diff": values.datetime_diff,
    "dynamic_add": lambda a, b: values.dynamic("+", a, b),
    "dynamic_sub": lambda a, b: values.dynamic("-", a, b),
    "dynamic_mul": lambda a, b: values.dynamic("*", a, b),
    "dynamic_div": lambda a, b: values.dynamic("/", a, b),
    "dynamic_mod": lambda a, b: values.dynamic("%", a, b),
}
_DIVIDES = frozenset({"div", "mod"})  # a zero divisor fails as values.div and values.mod say
_COMPARE = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
# Values of these exact types need no checking when read from a record.
_TRUSTED: dict[Kind, type] = {kind: exact for kind, exact in values.EXACT.items() if kind is not Kind.ROW}
# All the generated functions may reach besides what is bound to them.
_BUILTINS = {"type": type, "list": list, "str": str, "ArithmeticError": ArithmeticError, "LookupError": LookupError,
             "TypeError": TypeError, "ValueError": ValueError}
_AS_IS = values.coercion(ANY)
_MAX_INDENT = 40


def compile_evaluator(node: Expr) -> Evaluator:
    """Return a function computing `node`'s value from a Context (raising ValueFailure or ArithmeticError).

    The SQL translation computes with it the parts of a formula that do not read the record, at each query:
    a literal costs nothing, and the function of a part is kept while its tree lives on (a declared formula).
    """
    if isinstance(node, Const):
        value = node.value
        return lambda ctx: value
    found = _PARTS.get(id(node))
    if found is not None and found[0] is node:
        return found[1]
    if len(_PARTS) >= 4096:
        _PARTS.clear()
    function = compile_formula_function(node, None, refs_once=False)
    _PARTS[id(node)] = (node, function)  # the entry holds the node: its id names no other while kept
    return function


_PARTS: dict[int, tuple[Expr, Evaluator]] = {}


def compile_formula_function(node: Expr, failed: Callable[[Exception], Exception] | None, *,
                             refs_once: bool) -> Evaluator:
    """Return the function computing a whole formula from a Context.

    A ValueFailure or ArithmeticError raises `failed(error)` instead (when given); with `refs_once`, a context
    whose `load_ref` does not read each record once already is given one that does (for one evaluation).
    """
    source = _Source()
    result = source.emit(node, "_v")
    body = ["_v = ctx.values", *(line[4:] for line in source.lines), f"return {result}"]
    if failed is not None:
        body = ["try:", *(f"    {line}" for line in body),
                "except (_VF, ArithmeticError) as _error:", "    raise _failed(_error) from None"]
    if refs_once:
        body.insert(0, "if not ctx.refs_read_once: ctx = _refs_once(ctx)")
    namespace = {**source.bound, "_failed": failed, "_refs_once": reading_refs_once}
    code = _compiled("\n".join(["def _formula(ctx):", *(f"    {line}" for line in body)]))
    return FunctionType(code, namespace, "_formula")  # our own lines over the formula's bound parts; no exec


@lru_cache(maxsize=1024)
def _compiled(source: str) -> CodeType:
    """The code of the function the source defines; formulas of one shape (`a + b`) share it."""
    module = compile(source, "<formula>", "exec")
    return next(const for const in module.co_consts if isinstance(const, CodeType))


class _Source:
    """The lines of one formula's function: each node's statements, its value in a fresh local name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.bound: dict[str, Any] = {"__builtins__": _BUILTINS, "_VF": values.ValueFailure, "_failure": _failure}
        self.indent = 1
        self.count = 0
        self.present = {"True", "False"}  # names whose value is never null (literals, comparisons)

    def bind(self, value: Any) -> str:
        """A name for a value taken from the formula (a literal, a field's name, a function)."""
        name = f"_b{len(self.bound)}"
        self.bound[name] = value
        if value is not None:
            self.present.add(name)
        return name

    def all_present(self, names: list[str]) -> str:
        """The test that none of `names` is null ("True" when none can be)."""
        return " and ".join(f"{name} is not None" for name in names if name not in self.present) or "True"

    def local(self) -> str:
        self.count += 1
        return f"_t{self.count}"

    def line(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.line(header)
        self.indent += 1
        self.line("pass")
        try:
            yield
        finally:
            self.indent -= 1

    def assign(self, expression: str, *, present: bool = False) -> str:
        """A fresh local holding `expression`; `present` when it is never null (a bool test)."""
        name = self.local()
        self.line(f"{name} = {expression}")
        if present:
            self.present.add(name)
        return name

    def emit(self, node: Expr, record: str) -> str:
        """Write `node`'s statements; return the local (or bound) name holding its value."""
        if self.indent > _MAX_INDENT and record == "_v":  # Python allows 100 levels: a deep part is a function
            return self.assign(f"{self.bind(compile_formula_function(node, None, refs_once=False))}(ctx)")
        builder = _BUILDERS.get(type(node))
        assert builder is not None, f"no evaluator for {type(node).__name__}"
        return builder(self, node, record)

    def read(self, ftype: FType, expression: str, into: str | None = None) -> str:
        """Read a value from outside the formula: trusted types pass, others are checked (and widened)."""
        coerce = values.coercion(ftype)
        trusted = _TRUSTED.get(ftype.kind)
        name = into or self.local()
        if trusted is None and ftype.kind is Kind.DATETIME:  # an aware datetime is what to_datetime gives back
            self.line(f"{name} = {expression}")
            self.line(f"if {name} is not None and (type({name}) is not {self.bind(datetime)} or "
                      f"{name}.tzinfo is None): {name} = {self.bind(coerce)}({name})")
        elif trusted is None:
            self.line(f"{name} = {expression if coerce is _AS_IS else f'{self.bind(coerce)}({expression})'}")
        else:
            if name != expression:
                self.line(f"{name} = {expression}")
            self.line(f"if {name} is not None and type({name}) is not {self.bind(trusted)}: "
                      f"{name} = {self.bind(coerce)}({name})")
        return name


def _column_reader(name: str, ftype: FType) -> Callable[[Any], list[Any]]:
    """Read one column of a child table's rows as a list."""
    assert ftype.item is not None
    read = values.coercion(ftype.item)
    trusted = _TRUSTED.get(ftype.item.kind)

    def other(row: Any) -> Any:  # not a dict: a row that must be checked, or null
        checked = values.to_row(row)
        return None if checked is None else read(checked.get(name))

    def column(table: Any) -> list[Any]:
        rows = table if type(table) is list else values.to_list(table) or []
        return [(v if (v := row.get(name)) is None or type(v) is trusted else read(v)) if type(row) is dict
                else other(row) for row in rows]

    return column


def _failure(function: Function, error: Exception) -> values.ValueFailure:
    return values.ValueFailure(f"{function.name}() failed: {error}")


def _const(source: _Source, node: Const, record: str) -> str:
    return repr(node.value) if node.value is None or isinstance(node.value, bool) else source.bind(node.value)


def _list(source: _Source, node: ListExpr, record: str) -> str:
    if all(isinstance(item, Const) for item in node.items):
        fixed = [item.value for item in node.items if isinstance(item, Const)]
        return source.assign(f"list({source.bind(fixed)})")  # a fresh list: callers may not share one
    items = [source.emit(item, record) for item in node.items]
    return source.assign(f"[{', '.join(items)}]")


def _field(source: _Source, node: Field, record: str) -> str:
    return source.read(node.type, f"{record}.get({source.bind(node.name)})")


def _ref_field(source: _Source, node: RefField, record: str) -> str:
    record_id = source.assign(f"{record}.get({source.bind(node.ref)})")
    source.line(f"if {record_id} is not None and type({record_id}) is not str: "
                f"{record_id} = {source.bind(values.to_ref)}({record_id})")
    result = source.assign("None")
    with source.block(f"if {record_id} is not None:"):
        target = source.assign(f"ctx.load_ref({source.bind(node.entity)}, {record_id})")
        with source.block(f"if {target} is not None:"):
            raw = f"{target}.get({source.bind(node.field)})"
            if node.column is None:
                source.read(node.type, raw, into=result)
            else:
                source.line(f"{result} = {source.bind(_column_reader(node.column, node.type))}({raw})")
    return result


def _table_column(source: _Source, node: TableColumn, record: str) -> str:
    column = source.bind(_column_reader(node.field, node.type))
    return source.assign(f"{column}({record}.get({source.bind(node.table)}))")


def _parent_field(source: _Source, node: ParentField, record: str) -> str:
    return source.read(node.type, f"ctx.parent.get({source.bind(node.field)})")


def _param(source: _Source, node: Param, record: str) -> str:
    return source.read(node.type, f"ctx.params.get({source.bind(node.name)})")


def _this(source: _Source, node: ThisValue, record: str) -> str:
    return source.emit(node.inner, "ctx.this")


def _user(source: _Source, node: UserAttr, record: str) -> str:
    return source.assign("ctx.user_name" if node.attr == "name" else "list(ctx.user_roles)")


def _call(source: _Source, node: CallExpr, record: str) -> str:
    function = node.function
    arguments = [source.emit(arg, record) for arg in node.args]
    passed = ", ".join(["ctx", *arguments] if function.takes_context else arguments)
    result = source.assign("None")
    with source.block(f"if {source.all_present(arguments)}:" if function.propagates_null else "if True:"):
        with source.block("try:"):
            inline = function.inline and function.inline(arguments, [arg.type for arg in node.args], source.bind)
            source.line(f"{result} = {inline or f'{source.bind(function.impl)}({passed})'}")
        with source.block("except _VF:"):
            source.line("raise")
        with source.block("except (ArithmeticError, LookupError, TypeError, ValueError) as _error:"):
            source.line(f"raise _failure({source.bind(function)}, _error) from _error")
        source.read(node.type, result, into=result)
    return result


def _if(source: _Source, node: If, record: str) -> str:
    cond = source.emit(node.cond, record)
    result = source.assign("None")
    with source.block(f"if {cond} is True:"):
        source.line(f"{result} = {source.emit(node.then, record)}")
    with source.block("else:"):
        source.line(f"{result} = {source.emit(node.otherwise, record)}")
    return result


def _logic(source: _Source, node: Logic, record: str) -> str:
    left = source.emit(node.left, record)
    is_and = node.op == "and"
    result = source.assign(f"{left} is True", present=True)
    with source.block(f"if {result}:" if is_and else f"if not {result}:"):
        source.line(f"{result} = {source.emit(node.right, record)} is True")
    return result


def _not(source: _Source, node: Not, record: str) -> str:
    return source.assign(f"{source.emit(node.operand, record)} is not True", present=True)


def _negate(source: _Source, node: Negate, record: str) -> str:
    value = source.assign(source.emit(node.operand, record))
    source.line(f"if {value} is not None and type({value}) is not {source.bind(Decimal)}: "
                f"{value} = {source.bind(values.to_number)}({value})")
    source.line(f"if {value} is not None: {value} = {value}.copy_negate()")
    return value


def _arith(source: _Source, node: Arith, record: str) -> str:
    left = source.emit(node.left, record)
    result = source.assign("None")
    with source.block(f"if {source.all_present([left])}:"):
        right = source.emit(node.right, record)
        with source.block(f"if {source.all_present([right])}:"):
            if node.mode == "concat":
                source.line(f"{result} = {left} + {right}")
                return result
            if node.mode in _DIVIDES:
                source.line(f"if not {right}: raise _VF('division by zero')")
            source.line(f"{result} = {source.bind(_ARITH[node.mode])}({left}, {right})")
    return result


def _compare(source: _Source, node: Compare, record: str) -> str:
    left = source.emit(node.left, record)
    result = source.assign("False", present=True)
    with source.block(f"if {source.all_present([left])}:"):
        right = source.emit(node.right, record)
        with source.block(f"if {source.all_present([right])}:"):
            if Kind.ANY in (node.left.type.kind, node.right.type.kind):
                comparable = source.bind(values.comparable)
                left, right = source.assign(f"{comparable}({left})"), source.assign(f"{comparable}({right})")
                if node.op not in ("==", "!="):
                    source.line(f"{source.bind(values.order_check)}({left}, {right})")
            source.line(f"{result} = {left} {_COMPARE[node.op]} {right}")
    return result


def _is_null(source: _Source, node: IsNull, record: str) -> str:
    return source.assign(f"{source.emit(node.operand, record)} {'is not' if node.negated else 'is'} None", present=True)


def _in(source: _Source, node: In, record: str) -> str:
    item = source.emit(node.item, record)
    result = source.assign("False", present=True)
    with source.block(f"if {item} is not None:"):
        # None never equals a present value, so null items never match.
        found = source.assign(f"{source.bind(values.comparable)}({item})")
        container = source.emit(node.container, record)
        source.line(f"{result} = {'not ' if node.negated else ''}({found} in ({container} or ()))")
    return result


def _aggregate(source: _Source, node: Aggregate, record: str) -> str:
    message = f"{node.name}() over records is computed by the database, not per record"
    source.line(f"raise _VF({source.bind(message)})")
    return "None"


_BUILDERS: Mapping[type, Callable[[_Source, Any, str], str]] = {
    Const: _const,
    ListExpr: _list,
    Field: _field,
    RefField: _ref_field,
    TableColumn: _table_column,
    ParentField: _parent_field,
    Param: _param,
    ThisValue: _this,
    UserAttr: _user,
    CallExpr: _call,
    If: _if,
    Logic: _logic,
    Not: _not,
    Negate: _negate,
    Arith: _arith,
    Compare: _compare,
    IsNull: _is_null,
    In: _in,
    Aggregate: _aggregate,
}
