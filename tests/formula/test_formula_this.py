"""`this.<field>`: a lookup's where reads the record doing the lookup besides the target's fields."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from engine.errors import FormulaError
from engine.formula import DATE, MONEY, TEXT, Context, Environment, FieldInfo, compile_formula

CREW = {"labor_company": FieldInfo(TEXT)}
TICKET = {"work_date": FieldInfo(DATE), "crew": FieldInfo.reference("base.crew", CREW)}
RATE = Environment(fields={"valid_to": FieldInfo(DATE), "labor_company": FieldInfo(TEXT), "price": FieldInfo(MONEY)},
                   this=TICKET)


def loader(entity: str, record_id: str) -> dict[str, Any] | None:
    return {"labor_company": "LC1"} if (entity, record_id) == ("base.crew", "c1") else None


def test_this_reads_the_record_doing_the_lookup_and_one_ref_hop_further() -> None:
    formula = compile_formula("(valid_to == null or valid_to >= this.work_date) and labor_company == "
                              "this.crew.labor_company", RATE)
    assert formula.dependencies == {"valid_to", "labor_company"}     # the target's fields
    assert formula.this_dependencies == {"work_date", "crew"}        # this record's
    this = {"work_date": date(2024, 5, 3), "crew": "c1"}
    run = lambda **target: formula.evaluate(Context(values=target, this=this, load_ref=loader))  # noqa: E731
    assert run(valid_to=date(2024, 5, 3), labor_company="LC1") is True
    assert run(valid_to=None, labor_company="LC1") is True
    assert run(valid_to=date(2024, 5, 2), labor_company="LC1") is False
    assert run(valid_to=None, labor_company="LC2") is False
    assert compile_formula("price * 2 > this.crew.labor_company", RATE.__class__(
        fields=RATE.fields, this={"crew": FieldInfo.reference("base.crew", {"labor_company": FieldInfo(MONEY)})})
    ).evaluate(Context(values={"price": Decimal(3)}, this={"crew": "c1"},
                       load_ref=lambda _e, _i: {"labor_company": Decimal(5)})) is True


@pytest.mark.parametrize("text, message", [
    ("valid_to >= this.work_dat", "unknown field 'work_dat' (did you mean 'work_date'?)"),
    ("valid_to >= this", "write this.<field> to read a field of the record doing the lookup"),
    ("valid_to >= this.crew.labor_company", "cannot compare a date with text"),
    ("this.crew.labor_company.x == 1", "only one hop is allowed"),
])
def test_this_is_type_checked(text: str, message: str) -> None:
    with pytest.raises(FormulaError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        compile_formula(text, RATE)


def test_without_a_record_doing_a_lookup_this_is_an_ordinary_name() -> None:
    with pytest.raises(FormulaError, match="unknown field 'this'"):
        compile_formula("this.work_date == null", Environment(fields={"valid_to": FieldInfo(DATE)}))
