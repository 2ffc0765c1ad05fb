"""Semantic checks of module declarations: every problem at its file:line:col, all at once."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.declarations.loader import compile_all, read_folder, validate_paths
from web.pages.records.filters import filter_fields

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    folder = tmp_path / "labor_x"
    folder.mkdir()
    shutil.copy(FIXTURES / "broken_semantics.yaml", folder / "module.yaml")
    return folder


def test_all_semantic_problems_are_reported_at_their_position(broken: Path) -> None:
    lines = [str(p).replace(str(broken) + "/", "") for p in validate_paths([broken])]
    assert lines == [
        "module.yaml:10:18: title_field 'cod' is not a field of 'ticket' (did you mean 'code'?)",
        "module.yaml:13:36: ref target 'base.projet': module 'base' has no entity 'projet' (did you mean 'project'?)",
        "module.yaml:14:33: ref target 'crews' is not an entity",
        "module.yaml:16:25: field 'headcount' has unknown type 'integr' (did you mean 'integer'?)",
        "module.yaml:17:51: formula of 'amount': unknown field 'unit_prise' (did you mean 'unit_price'?)",
        "module.yaml:18:35: computed fields form a cycle: a -> b -> a",
        "module.yaml:20:35: default 'rain' of 'kind' is not one of its options",
        "module.yaml:21:26: unknown key 'requird' in field 'note' (did you mean 'required'?)",
        "module.yaml:23:26: rule 1: syntax error: unexpected end of formula (expected a value)",
        "module.yaml:25:18: rule 2: expected a bool formula, found money",
        "module.yaml:28:7: role 'foremen' is not declared in this module's 'roles' (did you mean 'foreman'?)",
        "module.yaml:28:33: item 2 of 'actions' must be one of create, read, update, delete, submit, approve, "
        "export, import, not 'approvee' (did you mean 'approve'?)",
        "module.yaml:29:50: hidden_fields names unknown field 'unit_prices' (did you mean 'unit_price'?)",
        "module.yaml:31:30: list column 'amout' is not a field (did you mean 'amount'?)",
    ]


def test_shipped_and_fixture_modules_are_clean() -> None:
    folders = [p for p in sorted((FIXTURES.parent.parent / "modules").iterdir()) if p.is_dir()]
    folders.append(FIXTURES / "modules" / "site")
    assert validate_paths(folders) == []


def test_a_ref_needs_its_module_in_requires(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text(
        "module: m\nversion: 1.0.0\ntitle: M\nentities:\n  e:\n    fields:\n"
        "      p: {type: ref, entity: base.project}\n", encoding="utf-8")
    problems = [p.message for p in validate_paths([folder])]
    assert problems == ["ref target 'base.project' needs 'base' in this module's 'requires' (or 'optional')"]


def test_missing_required_module_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text("module: m\nversion: 1.0.0\ntitle: M\nrequires: [basis]\nentities: {}\n",
                                        encoding="utf-8")
    problems = validate_paths([folder])
    assert [str(p).split(": ", 1)[1] for p in problems] == [
        "required module 'basis' is not installed (did you mean 'base'?)"]
    assert (problems[0].line, problems[0].column) == (4, 12)


def test_computed_fields_are_ordered_by_dependency() -> None:
    modules, problems = compile_all([read_folder(FIXTURES / "modules" / "site")],
                                    compile_all([read_folder(FIXTURES.parent.parent / "modules" / "base")])[0])
    assert problems == []
    order = modules["site"].entities["delivery"].computed_order
    assert order.index("total") < order.index("payable") < order.index("is_large")
    assert modules["site"].entities["delivery"].fields["items"].computed_order == ("amount",)


def test_table_rows_and_missing_workflow_file_are_checked(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text(
        "module: m\nversion: 1.0.0\ntitle: M\nentities:\n  e:\n    workflow: {process: approvals/x.bpmn}\n"
        "    fields:\n      lines:\n        type: table\n        fields:\n"
        "          q: {type: decimal, formula: 'r * 2'}\n          r: {type: decimal, formula: 'q + 1'}\n",
        encoding="utf-8")
    messages = sorted(p.message for p in validate_paths([folder]))
    assert messages == [
        "computed fields of table 'lines' form a cycle: q -> r -> q",
        "process file 'approvals/x.bpmn' is not in the module folder",
    ]


def test_lookups_rollups_and_effects_are_checked(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text("""module: m
version: 1.0.0
title: M
entities:
  parent:
    fields:
      name: {type: text}
      total: {type: money, rollup: {entity: child, via: name, measure: "sum(amont)"}}
    effects:
      - {on: approved, create: chld, values: {x: name}}
      - {on: approved, create: child, values: {amount: name, colour: name}}
      - {on: approved, update: child, records: name, status: done}
      - {on: approved, create: child, values: {amount: {lookup: {entity: child, value: amount, match: {amont: name}}}}}
  child:
    fields:
      parent: {type: ref, entity: parent}
      amount: {type: money}
      price: {type: money, lookup: {entity: parent, value: totl, match: {nam: name}}}
""", encoding="utf-8")
    messages = [p.message for p in validate_paths([folder])]
    assert messages == [
        "rollup via 'name' must be a ref field of m.child pointing at m.parent",
        "rollup measure: unknown field 'amont' (did you mean 'amount'?)",
        "ref target 'chld' is not an entity (did you mean 'child'?)",
        "effect value 'amount': expected a money formula, found text",
        "effect value 'colour' is not a field of m.child",
        "effect records must name m.child records (a ref or a list of refs), not text",
        "lookup match 'amont' is not a field of m.child (did you mean 'amount'?)",
        "lookup value 'totl' is not a field of m.parent (did you mean 'total'?)",
        "lookup match 'nam' is not a field of m.parent (did you mean 'name'?)",
    ]


def test_contributions_table_rollups_and_optional_refs_are_checked(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text("""module: m
version: 1.0.0
title: M
requires: [base]
optional: [schedule, base, nowhere]
entities:
  pay:
    fields:
      contract: {type: ref, entity: base.contract}
      project: {type: ref, entity: base.project}
      amount: {type: money}
      note: {type: text}
      task: {type: ref, entity: schedule.wbs_task}
      later: {type: ref, entity: nowhere.thing}
      lines:
        type: table
        fields:
          item: {type: ref, entity: item}
          qty: {type: decimal}
    contributes:
      - {to: base.contract.paid_amount, via: contract, measure: "sum(amount)", where: "status == 'approved'"}
      - {to: base.contract.paid_amout, via: contract, measure: "sum(amount)"}
      - {to: base.contract.current_amount, via: contract, measure: "sum(amount)"}
      - {to: base.contract.paid_amount, via: project, measure: "sum(amount)"}
      - {to: base.contract.paid_amount, via: contract, measure: "max(note)"}
      - {to: expense.claim.total, via: contract, measure: "sum(amount)"}
  item:
    fields:
      qty: {type: decimal, rollup: {entity: pay, via: lines.item, measure: "sum(qty)", where: "parent.amount > 0"}}
      bad: {type: decimal, rollup: {entity: pay, via: lines.qty, measure: "sum(qty)"}}
      worse: {type: decimal, rollup: {entity: pay, via: line.item, measure: "sum(qty)"}}
      odd: {type: decimal, rollup: {entity: pay, via: lines.item, measure: "sum(parent.nope)"}}
""", encoding="utf-8")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert lines == [
        "module.yaml:5:22: module 'base' is both required and optional; keep it in one list",
        "module.yaml:22:14: contribution target 'base.contract.paid_amout': base.contract has no field 'paid_amout'"
        " (did you mean 'paid_amount'?)",
        "module.yaml:23:14: contribution target 'base.contract.current_amount' must be a plain field (not computed, "
        "looked up, required, a table or a ref)",
        "module.yaml:24:46: contribution via 'project' must be a ref field of m.pay pointing at base.contract",
        "module.yaml:25:66: contribution measure: expected a money formula, found text",
        "module.yaml:26:14: contribution target 'expense.claim.total' needs 'expense' in this module's 'requires' "
        "(or 'optional')",
        "module.yaml:30:55: rollup via 'lines.qty': 'qty' must be a ref column of 'lines' pointing at m.item",
        "module.yaml:31:57: rollup via 'line.item': 'line' is not a table field of m.pay (did you mean 'lines'?)",
        "module.yaml:32:88: rollup measure: unknown field 'nope' of 'parent' (m.pay) (did you mean 'note'?)",
    ]


def test_lookups_that_read_this_record_and_fills_are_checked_at_their_position(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text("""module: m
version: 1.0.0
title: M
entities:
  rate:
    fields:
      crew: {type: text}
      price: {type: money}
      valid_to: {type: date}
  ticket:
    fields:
      crew: {type: text}
      day: {type: date}
      agreed:
        type: money
        readonly: true
        lookup:
          - {entity: rate, value: price, match: {crew: crew}, where: "valid_to >= this.dya"}
          - {entity: rate, value: price, match: {crew: "null"}, where: "valid_to >= this.crew"}
      price: {type: money, fill: "agred"}
      note: {type: text, fill: "crew + 1"}
      total: {type: money, formula: "price", fill: "agreed"}
      a: {type: text, fill: "b"}
      b: {type: text, fill: "a"}
      this: {type: text, formula: "this.crew"}
""", encoding="utf-8")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert lines == [
        "module.yaml:18:88: lookup where: unknown field 'dya' (did you mean 'day'?)",
        "module.yaml:19:82: lookup where: cannot compare a date with text",
        "module.yaml:20:35: fill of 'price': unknown field 'agred' (did you mean 'agreed'?)",
        "module.yaml:21:38: fill of 'note': cannot add text and a number",
        "module.yaml:22:52: 'total' is computed ('formula' or 'rollup'): it cannot also be filled ('fill' gives an "
        "editable field its first value)",
        "module.yaml:23:29: lookups and fills form a cycle: a -> b -> a",
        "module.yaml:25:41: formula of 'this': 'this' is text, not a reference or a table, so it has no field 'crew'",
    ]


def test_a_list_filter_must_name_a_field_and_the_list_offers_the_declared_ones_first(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text(
        "module: m\nversion: 1.0.0\ntitle: M\nentities:\n  e:\n    fields:\n"
        "      a: {type: text}\n      b: {type: integer}\n      c: {type: date}\n"
        "    views:\n      list: {columns: [a, b], filters: [c, creatd_at]}\n", encoding="utf-8")
    [problem] = validate_paths([folder])
    assert (problem.line, problem.message) == (11, "list filter 'creatd_at' is not a field (did you mean "
                                                   "'created_at'?)")
    (folder / "module.yaml").write_text((folder / "module.yaml").read_text().replace(", creatd_at", ""))
    specs, problems = compile_all([read_folder(folder)], {})
    assert problems == []
    entity = specs["m"].entities["e"]
    assert entity.list_filters == ("c",)
    assert [f.name for f in filter_fields(entity, frozenset(), "zh", [], [])][:3] == ["c", "a", "b"]
