"""Computed fields and declared checks of one record, in Python (the SQL side lives in storage)."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from engine.core import patterns
from engine.declarations.model import NUMERIC_TYPES, EntitySpec, FieldSpec, Rule
from engine.errors import FieldError, FormulaRuntimeError
from engine.fields.values import InvalidValue, round_to
from engine.formula import Context, Formula
from engine.formula.context import reading_once

RefLoader = Callable[[str, str], Mapping[str, Any] | None]
_NO_PARENT: Mapping[str, Any] = MappingProxyType({})


@dataclass
class Evaluation:
    """What formulas of one record may see besides its own values."""

    params: Mapping[str, Any] = field(default_factory=dict)
    user_name: str | None = None
    user_roles: tuple[str, ...] = ()
    load_ref: RefLoader = lambda _entity, _id: None
    now: datetime | None = None  # the clock of `today()` / `now()`; None is the real one
    _record: Context | None = field(default=None, init=False, repr=False, compare=False)

    def context(self, values: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> Context:
        return Context(values=values, params=self.params, user_name=self.user_name, user_roles=self.user_roles,
                       load_ref=self.load_ref, now=self.now, parent=parent if parent is not None else _NO_PARENT)

    def run(self, formula: Formula, values: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> Any:
        """One formula on values that may change between runs, referenced records included (an effect's
        condition after the effect before it wrote)."""
        return formula.evaluate(self.context(values, parent))

    def record(self, values: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> Context:
        """The one context of a record that its computed fields, rules and conditions share (with `parent`,
        that of one of its table rows).

        Built at its first formula and kept while formulas run on the same `values` (filled in place as its
        fields are computed); it reads each referenced record once, for the record and its rows. Only for a
        record being checked or computed, while the records it refers to do not change.
        """
        if parent is not None:
            return Context(values=values, params=self.params, user_name=self.user_name, user_roles=self.user_roles,
                           load_ref=self.record(parent).load_ref, now=self.now, parent=parent, refs_read_once=True)
        last = self._record
        if last is None or last.values is not values:
            last = self._record = Context(values=values, params=self.params, user_name=self.user_name,
                                          user_roles=self.user_roles, load_ref=reading_once(self.load_ref),
                                          now=self.now, refs_read_once=True)
        return last


def compute(entity: EntitySpec, values: dict[str, Any], evaluation: Evaluation,
            kept: frozenset[str] = frozenset()) -> list[FieldError]:
    """Fill computed fields in place: child-table rows first, then top-level fields in order (but `kept`).

    Row formulas read the record as `parent.<field>`; when they read a computed top-level field, the
    top-level fields are computed first too (their values from the rows are then computed again).
    """
    names = tuple(name for name in entity.computed_order if name not in kept) if kept else entity.computed_order
    if _rows_read_computed_parent(entity):
        compute_fields(entity, values, evaluation, names)
    errors: list[FieldError] = []
    for name, spec in _computed_tables(entity):
        for index, row in enumerate(values.get(name) or []):
            context = evaluation.record(row, values)
            for child in spec.computed_order:
                if kept and f"{name}.{child}" in kept and row.get(child) is not None:
                    continue  # frozen with the row
                _assign(spec.fields[child], row, context, f"{name}[{index}].{child}", errors)
    return errors + compute_fields(entity, values, evaluation, names)


@lru_cache(maxsize=256)
def _computed_tables(entity: EntitySpec) -> tuple[tuple[str, FieldSpec], ...]:
    return tuple((name, spec) for name, spec in entity.fields.items() if spec.type == "table" and spec.computed_order)


@lru_cache(maxsize=256)
def _rows_read_computed_parent(entity: EntitySpec) -> bool:
    computed = set(entity.computed_order)
    return any(path[0] == "parent" and path[1] in computed
               for _name, spec in _computed_tables(entity)
               for child in spec.computed_order if (formula := spec.fields[child].formula) is not None
               for path in formula.reads if len(path) == 2)


def compute_fields(entity: EntitySpec, values: dict[str, Any], evaluation: Evaluation,
                   names: tuple[str, ...]) -> list[FieldError]:
    """Fill the named top-level computed fields in place, in the order given."""
    errors: list[FieldError] = []
    context = evaluation.record(values)
    for name in names:
        _assign(entity.fields[name], values, context, name, errors)
    return errors


def _assign(spec: FieldSpec, values: dict[str, Any], context: Context, where: str, errors: list[FieldError]) -> None:
    assert spec.formula is not None
    try:
        result = spec.formula.evaluate(context)
    except FormulaRuntimeError as error:
        values[spec.name] = None
        errors.append(FieldError(where, error.message, code=error.message_code, params=error.params))
        return
    if spec.type in NUMERIC_TYPES and isinstance(result, Decimal):
        try:
            result = round_to(spec, result)
        except InvalidValue as error:
            values[spec.name] = None
            errors.append(FieldError(where, str(error), code=error.code, params=error.params))
            return
    values[spec.name] = result


def check_field(spec: FieldSpec, value: Any, where: str, language: str = "en") -> list[FieldError]:
    """The declared constraints of one field value (presence, range, length, pattern)."""
    if value is None or value == "" or value == []:
        # A numbered field is filled by the engine; when it cannot be, numbering says why.
        is_filled_by_user = not spec.is_computed and spec.numbering is None
        return [FieldError(where, "is required", code="required")] if spec.required and is_filled_by_user else []
    errors = []
    if isinstance(value, Decimal):
        if spec.min is not None and value < spec.min:
            errors.append(FieldError(where, f"must be at least {spec.min}", code="min", params={"min": spec.min}))
        if spec.max is not None and value > spec.max:
            errors.append(FieldError(where, f"must be at most {spec.max}", code="max", params={"max": spec.max}))
        if spec.type == "percent" and not Decimal(0) <= value <= Decimal(100):
            errors.append(FieldError(where, "must be a percentage between 0 and 100", code="percent_range"))
    if isinstance(value, str):
        if spec.min_length is not None and len(value) < spec.min_length:
            errors.append(FieldError(where, f"must be at least {spec.min_length} characters",
                                     code="min_length", params={"min_length": spec.min_length}))
        if spec.max_length is not None and len(value) > spec.max_length:
            errors.append(FieldError(where, f"must be at most {spec.max_length} characters (has {len(value)})",
                                     code="max_length", params={"max_length": spec.max_length, "length": len(value)}))
        if spec.pattern and not patterns.fullmatches(spec.pattern, value):  # never the pattern: users cannot read it
            errors.append(_format_error(spec, where, language))
    return errors


def _format_error(spec: FieldSpec, where: str, language: str) -> FieldError:
    """A value that misses its field's pattern: the declared message, else the wrong format with an example."""
    if spec.pattern_message:
        told = spec.pattern_message.get(language)
        return FieldError(where, told, code="pattern_message", params={"message": told})
    if spec.pattern_example:
        return FieldError(where, f"has the wrong format, e.g. {spec.pattern_example}", code="pattern_example",
                          params={"example": spec.pattern_example})
    return FieldError(where, "has the wrong format", code="pattern", params={"message": "has the wrong format"})


def check_record(entity: EntitySpec, values: Mapping[str, Any], evaluation: Evaluation,
                 language: str = "en", *, by_user: bool = False, deferred: frozenset[str] = frozenset(),
                 every: bool = False) -> list[FieldError]:
    """Field constraints (rows included), then the entity's rules once fields are sound (those reading the acting
    user only on a user's own write: `by_user`); `deferred` fields may be empty (an import's). With `every` (an
    imported row, whose problems are all said at once) the rules run beside field problems too, but not those
    reading a field with a problem or what it feeds: they would judge a wrong value."""
    errors: list[FieldError] = []
    waiting = frozenset(name for name in deferred if values.get(name) in (None, "", []))
    for name, spec in entity.fields.items():
        if name in waiting:
            continue
        errors += check_field(spec, values.get(name), name, language)
        if spec.type == "table":
            for index, row in enumerate(values.get(name) or []):
                for child_name, child in spec.fields.items():
                    errors += check_field(child, row.get(child_name), f"{name}[{index}].{child_name}", language)
    if errors and not every:
        return errors
    unsound = fed_by(entity, {e.field.split("[")[0] for e in errors}) if errors else frozenset()  # not on a sound save
    return errors + rule_errors(entity, values, evaluation, language, "save", by_user=by_user,
                                waiting=waiting | unsound)


def fed_by(entity: EntitySpec, failed: set[str]) -> frozenset[str]:
    """The fields that failed, and the computed, looked-up and gathered fields whose values come from them: a rule
    reading any of them would judge a wrong value."""
    result = set(failed)
    changed = True
    while changed:
        changed = False
        for name, spec in entity.fields.items():
            if name in result:
                continue
            reads: set[str] = set()
            if spec.formula is not None:
                reads |= spec.formula.dependencies
            if spec.gather is not None:
                reads |= {n for _source, formula in spec.gather.match for n in formula.dependencies}
            if spec.lookup is not None:
                for step in spec.lookup.chain:
                    reads |= {n for _target, formula in step.match for n in formula.dependencies}
                    if step.effective_on is not None:
                        reads |= step.effective_on.dependencies
            if reads & result:
                result.add(name)
                changed = True
    return frozenset(result)


def rule_errors(entity: EntitySpec, values: Mapping[str, Any], evaluation: Evaluation, language: str,
                moment: str, *, by_user: bool = True, waiting: frozenset[str] = frozenset(),
                reading: frozenset[str] | None = None) -> list[FieldError]:
    """The error rules checked at `moment` (save: every write; submit: the submission) that the record breaks;
    without `by_user` (the engine writing), not those reading the acting user; nor those reading a field
    `waiting` for later (an imported row's deferred attachments: checked once they are attached; a number taken
    once the record is sound); with `reading`, only those reading one of these fields."""
    errors: list[FieldError] = []
    context = evaluation.record(values)
    for rule in entity.rules:
        if rule.is_warning or rule.on != moment or (rule.by_user and not by_user):
            continue
        if not _chosen(rule, waiting, reading):
            continue
        try:
            if rule.when is not None and rule.when.evaluate(context) is not True:
                continue
            passed = rule.check.evaluate(context)
        except FormulaRuntimeError as error:
            errors.append(FieldError("", f"{rule.message.get(language)} ({error.message})",
                                     code="rule_failed",
                                     params={"message": rule.message.get(language), "error": error.message}))
            continue
        if passed is False:
            errors.append(FieldError(rule.field or _blamed_field(rule.check), rule.message.get(language),
                                     code="rule", params={"message": rule.message.get(language)}))
    return errors


@dataclass(frozen=True)
class RuleWarning:
    """A `severity: warning` rule the record breaks: it is saved, and the message goes back with it."""

    rule: int | None   # 1-based position among the entity's rules (None for a conflict)
    field: str
    message: str
    conflict: int | None = None   # 1-based position among the entity's conflicts
    # the message as the audit trail keeps it, when it differs: naming no other record (its readers vary)
    audited: str | None = dataclasses.field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"rule": self.rule, "field": self.field, "message": self.message}
        if self.conflict is not None:
            shown["conflict"] = self.conflict
        return shown


def rule_warnings(entity: EntitySpec, values: Mapping[str, Any], evaluation: Evaluation,
                  language: str = "en", *, waiting: frozenset[str] = frozenset(),
                  reading: frozenset[str] | None = None) -> list[RuleWarning]:
    """The warning rules the record breaks; one that cannot be evaluated on these values is skipped (`waiting` and
    `reading` as for `rule_errors`)."""
    warnings = []
    context = evaluation.record(values)
    for rule in entity.rules:
        if not rule.is_warning or rule.on != "save" or not _chosen(rule, waiting, reading):
            continue
        try:
            if rule.when is not None and rule.when.evaluate(context) is not True:
                continue
            passed = rule.check.evaluate(context)
        except FormulaRuntimeError:
            continue
        if passed is False:
            warnings.append(RuleWarning(rule.number, rule.field or _blamed_field(rule.check),
                                        rule.message.get(language)))
    return warnings


def _chosen(rule: Rule, waiting: frozenset[str], reading: frozenset[str] | None) -> bool:
    """Whether a rule is checked now: it reads no field `waiting`, and one of `reading` when that is given."""
    if not waiting and reading is None:
        return True
    reads = rule.check.dependencies | (rule.when.dependencies if rule.when else frozenset())
    return not (waiting & reads) and (reading is None or bool(reading & reads))


def _blamed_field(check: Formula) -> str:
    """A rule that reads one field is reported on that field; others on the record as a whole."""
    fields = sorted(check.dependencies)
    return fields[0] if len(fields) == 1 else ""
