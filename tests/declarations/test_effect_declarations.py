"""Effects per table row, per group of rows, on a status and a condition, and over matched records: checked at load."""
from __future__ import annotations

from pathlib import Path

from engine.declarations.loader import compile_all, read_folder, validate_paths

MODULE = """module: m
version: 1.0.0
title: M
entities:
  report:
    fields:
      plan: {type: ref, entity: plan}
      flagged: {type: boolean}
      lines:
        type: table
        fields:
          task: {type: ref, entity: task}
          pct: {type: decimal}
          amount: {type: money}
    effects:
%s
  plan:
    fields:
      version: {type: integer}
  task:
    fields:
      plan: {type: ref, entity: plan}
      pct: {type: decimal}
      total: {type: money}
      steps: {type: table, fields: {n: {type: integer}}}
"""


def problems(tmp_path: Path, effects: str) -> list[str]:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text(MODULE % effects, encoding="utf-8")
    return [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]


def test_well_formed_flow_effects_load(tmp_path: Path) -> None:
    assert problems(tmp_path, """\
      - {on: approved, update: task, for_each: lines, records: row.task,
         values: {pct: "coalesce(target.pct, 0) + row.pct"}}
      - {on: approved, update: task, match: {plan: plan}, where: "pct < 100", values: {total: "target.total * 2"}}
      - {on: approved, update: plan, for_each: lines, records: row.task.plan, values: {version: "target.version + 1"}}
      - {on: approved, when: flagged, create: task, for_each: lines, group_by: {plan: "row.task.plan"},
         values: {plan: group.plan, total: "sum(row.amount)", pct: "count(row)"}}""") == []


def test_unknown_tables_columns_target_fields_and_misplaced_aggregates_are_reported_at_their_position(
        tmp_path: Path) -> None:
    assert problems(tmp_path, """\
      - {on: approved, update: task, for_each: line, records: row.task, values: {pct: row.pct}}
      - {on: approved, update: task, for_each: lines, records: row.tsk, values: {pct: target.pcts}}
      - {on: approved, update: task, match: {plan: plan, plans: plan}, where: "pc < 1", values: {pct: "1"}}
      - {on: approved, create: task, for_each: lines, values: {total: "sum(row.amount)", pct: target.pct}}
      - {on: approved, create: task, for_each: lines, group_by: {p: "row.task.plan"}, values: {total: row.amount}}
      - {on: approved, create: task, group_by: {p: plan}, values: {total: "1"}}
      - {on: approved, update: task, records: lines.task, match: {plan: plan}, values: {pct: "1"}}
      - {on: approved, update: task, match: {plan: plan}, where: "sum(steps.n) > 1", values: {pct: "1"}}
      - {on: approved, create: task, values: {plan: group.plan}}""") == [
        "module.yaml:16:48: for_each 'line' is not a table field of this entity (did you mean 'lines'?)",
        "module.yaml:17:68: effect records: unknown field 'row.tsk' (did you mean 'row.task'?)",
        "module.yaml:17:94: effect value 'pct': unknown field 'target.pcts' (did you mean 'target.pct'?)",
        "module.yaml:18:58: effect match 'plans' is not a field of m.task (did you mean 'plan'?)",
        "module.yaml:18:80: effect where: unknown field 'pc' (did you mean 'pct'?)",
        "module.yaml:19:76: effect value 'total': sum() needs a list of numbers, e.g. sum(lines.amount); got money "
        "(sum() of a field over records is only allowed in report measures); row.<column> is one row's value: "
        "aggregates over rows need 'group_by' (a grouped create effect)",
        "module.yaml:19:95: effect value 'pct': unknown field 'target'; target.<field> reads the record an 'update' "
        "effect changes, not one a 'create' effect makes",
        "module.yaml:20:103: effect value 'total': expected a money formula, found list of money",
        "module.yaml:21:38: 'group_by' groups the rows of 'for_each': name the table to group",
        "module.yaml:22:9: an 'update' effect needs 'records' or 'match' (which records, one of them) and "
        "'values' or 'status'",
        "module.yaml:23:66: 'where' of an effect is read in the database, but the child table values 'steps.n' "
        "cannot be used in a filter",
        "module.yaml:24:53: effect value 'plan': unknown field 'group'; group.<name> reads a key of a grouped "
        "effect ('for_each' with 'group_by')",
    ]


A_MODULE = """module: a
version: 1.0.0
title: A
optional: [b]
entities:
  doc:
    fields:
      no: {type: text}
      days: {type: integer}
    effects:
      - {on: approved, create: b.claim, values: {%s: "'C-' + no", days: days}}
"""
B_MODULE = """module: b
version: 1.0.0
title: B
optional: [a]
entities:
  claim:
    fields:
      code: {type: text}
      days: {type: integer}
      doc: {type: ref, entity: a.doc}
"""


def two_modules(tmp_path: Path, field: str = "code") -> list[Path]:
    folders = []
    for name, text in (("a", A_MODULE % field), ("b", B_MODULE)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "module.yaml").write_text(text, encoding="utf-8")
        folders.append(folder)
    return folders


def test_modules_optional_to_each_other_compile_the_effect_into_the_other_against_it(tmp_path: Path) -> None:
    folders = two_modules(tmp_path)
    compiled, found = compile_all([read_folder(f) for f in folders])
    assert found == []
    assert [e.target for e in compiled["a"].entities["doc"].effects] == ["b.claim"]   # compiled again, with b
    assert "doc" in compiled["b"].entities["claim"].fields                            # b saw a: its ref is kept
    alone, found = compile_all([read_folder(folders[0])])                             # b not installed
    assert found == [] and alone["a"].entities["doc"].effects == ()


def test_an_effect_into_an_optional_module_is_checked_against_it(tmp_path: Path) -> None:
    folders = two_modules(tmp_path, field="cod")
    assert [str(p).replace(str(tmp_path) + "/", "") for p in validate_paths(folders)] == [
        "a/module.yaml:11:50: effect value 'cod' is not a field of b.claim (did you mean 'code'?)"]
