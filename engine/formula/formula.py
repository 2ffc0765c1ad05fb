"""A compiled formula: parsed and type-checked once, then evaluated or compiled to SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from engine.core.codes.formula_codes import reason as coded
from engine.errors import FormulaRuntimeError
from engine.formula.ast import Pos
from engine.formula.checker import check
from engine.formula.context import Context, RefLoader, no_refs
from engine.formula.environment import Environment
from engine.formula.evaluator import Evaluator, compile_formula_function
from engine.formula.ir import Expr
from engine.formula.library import builtin_functions as _builtins  # noqa: F401 - registers the built-in functions
from engine.formula.library import calendar_functions as _calendars  # noqa: F401 - registers the working-day functions
from engine.formula.library import more_functions as _more  # noqa: F401 - registers more built-in functions
from engine.formula.library import periods as _periods  # noqa: F401 - registers age_bucket(), year_month()
from engine.formula.parser import error_at, parse
from engine.formula.sql.target import SqlTarget
from engine.formula.sql.translate import compile_sql
from engine.formula.types import FType

_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, eq=False)
class Formula:
    """A formula ready to run: `evaluate` per record, `to_sql` per query.

    `dependencies` are the top-level fields it reads (for ordering computed fields and
    finding cycles); `uses_refs` the ref fields it reads through; `reads` every name path it
    reads, hop by hop (`('qty',)`, `('project', 'contract_amount')`, `('lines', 'amount')`,
    `('project', 'members', 'user')`), for permission checks at every hop.
    """

    text: str
    type: FType
    dependencies: frozenset[str]
    uses_refs: frozenset[str]
    is_aggregate: bool
    tree: Expr = field(repr=False)
    reads: frozenset[tuple[str, ...]] = frozenset()
    _memoize_refs: bool = field(repr=False, default=False)
    this_dependencies: frozenset[str] = frozenset()  # fields of `this` it reads (a lookup's record)

    @cached_property
    def evaluate(self) -> Evaluator:
        """Compute the formula on one record: `formula.evaluate(ctx)`; raise FormulaRuntimeError naming it.

        The formula becomes one Python function at its first evaluation (one only translated to SQL never
        needs it), kept here: each later evaluation is one call.
        """
        return compile_formula_function(self.tree, self._failed, refs_once=self._memoize_refs)

    def _failed(self, error: Exception) -> FormulaRuntimeError:
        return FormulaRuntimeError(f"{error} in formula {self.text!r}", message_code="formula_evaluation_failed",
                                   params={"error": error, "text": self.text})

    def to_sql(
        self,
        target: SqlTarget,
        *,
        params: Mapping[str, Any] = _NO_PARAMS,
        user_name: str | None = None,
        user_roles: Sequence[str] = (),
        now: datetime | None = None,
        exact_null: bool = False,
        this: Mapping[str, Any] = _NO_PARAMS,
        load_ref: RefLoader = no_refs,
    ) -> ColumnElement[Any]:
        """Compile to a SQLAlchemy expression over `target`'s table.

        Values not read from the record (params, user, `today()` with `now`) become bound
        parameters. A bool formula may yield NULL where Python yields false, which `WHERE`
        treats alike; pass `exact_null=True` to get NULL exactly where Python gives None
        (e.g. to select or group by a bool formula).
        Raises FormulaError for parts that cannot run in SQL (child-table values, Python-only
        functions). `this` (with `load_ref` for its refs) holds the values `this.<field>` reads: they are
        bound like params.
        """
        ctx = Context(params=params, user_name=user_name, user_roles=user_roles, now=now, this=this,
                      load_ref=load_ref)
        return compile_sql(self.tree, self.text, target, ctx, exact_null=exact_null)


def compile_formula(
    text: str, env: Environment, *, expect: FType | None = None, aggregate: bool = False
) -> Formula:
    """Parse and type-check `text` against `env`; raise FormulaError at the offending token.

    `expect` is the type the caller needs (bool for a rule's assert, money for a money
    field); numbers and money fit each other and null fits anything. `aggregate` allows
    report-measure aggregates over records: `count()`, `sum(total)`, `avg/min/max(field)`.
    """
    checked = check(parse(text), text, env, aggregate=aggregate)
    result = checked.tree.type
    if expect is not None and not expect.accepts(result):
        stripped = len(text) - len(text.lstrip())
        start = Pos(text.count("\n", 0, stripped) + 1, stripped - (text.rfind("\n", 0, stripped) + 1) + 1)
        raise error_at(coded("formula_expected_type", expected=str(expect), found=str(result)), text, start)
    return Formula(
        text=text,
        type=result,
        dependencies=checked.dependencies,
        uses_refs=checked.uses_refs,
        is_aggregate=checked.is_aggregate,
        tree=checked.tree,
        reads=checked.reads,
        _memoize_refs=checked.ref_reads > 1,
        this_dependencies=checked.this_dependencies,
    )

