"""Misused functions, `parent.` in table rows and conflicts' `shares` are declaration errors at file:line:col."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from engine.declarations.loader import compile_all, read_folder, validate_paths
from engine.records.compute import Evaluation, compute

MODULES = Path(__file__).parents[2] / "modules"

BROKEN = """module: m
version: 1.0.0
title: M
requires: [base]
entities:
  doc:
    fields:
      total: {type: money}
      when_done: {type: date}
      calendar: {type: ref, entity: base.project}
      lines:
        type: table
        fields:
          amount: {type: money}
          a: {type: decimal, formula: "parent.lines"}
          b: {type: decimal, formula: "parent.total.x"}
          c: {type: decimal, formula: "parent.totl"}
      days: {type: integer, formula: "workdays_between(when_done, when_done, calendar)"}   # refs: no entity type
      bad_id: {type: boolean, formula: "id_check_ok(total)"}
      shifted: {type: text, formula: "period_add(when_done, 1)"}
      top: {type: money, formula: "parent.total"}
    conflicts:
      - match: [total]
        when: "workdays_between(when_done, today()) > 3"
      - match: [when_done]
        shares: total.amount
      - match: [when_done]
        shares: lines.amout
"""


def test_misuse_is_reported_at_its_position(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text(BROKEN, encoding="utf-8")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([MODULES / "base", folder])]
    assert lines == [
        "module.yaml:15:47: formula of 'a': 'parent.lines' is a table; a row formula reads the parent's single values",
        "module.yaml:16:53: formula of 'b': write parent.<field> to read a field of the record that holds this row",
        "module.yaml:17:47: formula of 'c': unknown field 'totl' of the parent record (did you mean 'total'?)",
        "module.yaml:19:53: formula of 'bad_id': argument 1 of id_check_ok() must be text, not money",
        "module.yaml:20:50: formula of 'shifted': argument 1 of period_add() must be text, not date",
        "module.yaml:21:36: formula of 'top': unknown field 'parent'",    # only rows have a parent
        "module.yaml:24:15: 'when' of conflict 1 is read in the database, but workdays_between() cannot be used in "
        "a filter; compare the record's own fields, refs or params",
        "module.yaml:26:17: shares names 'total', which is not a table field; write table.column, e.g. workers.worker",
        "module.yaml:28:17: shares names unknown column 'amout' of table 'lines' (did you mean 'amount'?)",
    ]


ORDERED = """module: m
version: 1.0.0
title: M
entities:
  doc:
    fields:
      net: {type: money}
      gross: {type: money, formula: "net * 1.1"}
      lines:
        type: table
        fields:
          amount: {type: money}
          share: {type: decimal, scale: 2, formula: "round(amount / parent.gross * 100, 2)"}
      shares_total: {type: decimal, scale: 2, formula: "sum(lines.share)"}
"""


def test_rows_that_read_a_computed_field_of_their_record_see_its_new_value(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text(ORDERED, encoding="utf-8")
    modules, problems = compile_all([read_folder(folder)])
    assert problems == []
    entity = modules["m"].entities["doc"]
    values = {"net": Decimal("100"), "gross": Decimal("1"),
              "lines": [{"amount": Decimal("55")}, {"amount": Decimal("55")}]}
    assert compute(entity, values, Evaluation()) == []
    assert values["gross"] == Decimal("110.0")
    assert [row["share"] for row in values["lines"]] == [Decimal("50.00"), Decimal("50.00")]
    assert values["shares_total"] == Decimal("100.00")
