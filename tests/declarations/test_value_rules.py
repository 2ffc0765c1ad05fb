"""Declaration checks of composite unique keys, warning rules, numbering and masks: file:line:col problems."""
from __future__ import annotations

from pathlib import Path

from engine.declarations.loader import builtin_folders, compile_all, validate_paths

MODULE = """\
module: checks
version: 1.0.0
title: {zh: 检查, en: Checks}
roles:
  clerk: {zh: 文员, en: Clerk}
parameters:
  limit: {type: integer, default: 3}
entities:
  ticket:
    title: {zh: 单据, en: Ticket}
    fields:
      no: {type: text, numbering: "T-{site}-{seq:3}-{seq}"}
      code: {type: text, numbering: "C-{cod}-{seq}"}
      amount: {type: money, numbering: "A-{seq}", mask: {keep_start: 1}, unmasked_for: [clerk]}
      site: {type: text, mask: {keep_start: 2, keep_end: 2}, unmasked_for: [clerks]}
      tags: {type: multi_enum, options: {a: A}}
      note: {type: text, unmasked_for: [clerk]}
    unique:
      - [site, sitee]
      - [site, tags]
      - fields: [site, code]
        when: "len(site) > params.limit"
    rules:
      - assert: "amount > 0"
        message: {zh: 金额, en: Amount}
        severity: warn
"""


def test_value_rule_problems_are_reported_where_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "checks"
    folder.mkdir()
    (folder / "module.yaml").write_text(MODULE, encoding="utf-8")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert lines == [
        "module.yaml:12:35: numbering of 'no' needs exactly one {seq} (or {seq:3} for 001), found 2",
        "module.yaml:13:41: numbering of 'code': unknown field 'cod' (did you mean 'code'?)",
        "module.yaml:14:40: numbering needs a text field; 'amount' is money",
        "module.yaml:14:57: a mask needs a text field; 'amount' is money",
        "module.yaml:15:77: role 'clerks' is not declared in this module's 'roles' (did you mean 'clerk'?)",
        "module.yaml:17:40: unmasked_for of 'note' needs a 'mask' to lift",
        "module.yaml:19:16: unique key names unknown field 'sitee' (did you mean 'site'?)",
        "module.yaml:20:16: unique key field 'tags' holds a list (multi_enum); use single-valued fields",
        "module.yaml:22:15: the 'when' of a unique key may only read the record's own fields, not refs, params, "
        "user or today() (it becomes the condition of a database index)",
        "module.yaml:26:19: 'severity' must be one of error, warning, not 'warn' (did you mean 'warning'?)",
    ]


def test_the_built_in_modules_declare_the_value_rules_they_asked_for() -> None:
    modules, problems = compile_all(builtin_folders())
    assert not problems
    assert [key.fields for key in modules["base"].entities["project"].unique] == [("org_unit", "project_name")]
    summary_key = modules["labor"].entities["day_labor_summary"].unique[0]
    assert summary_key.fields == ("project", "crew", "period") and summary_key.when is not None
    ticket_no = modules["labor"].entities["day_labor_ticket"].fields["ticket_no"]
    assert ticket_no.numbering is not None and "{seq:3}" in ticket_no.numbering.template
    assert modules["base"].entities["party"].fields["bank_account"].mask is not None
    warnings = [r for m in modules.values() for e in m.entities.values() for r in e.rules if r.is_warning]
    assert len(warnings) == 9   # + ID check characters of crews and workers, the logic of predecessor links,
    #                             a project amount that differs from its income contracts
    ticket_rules = modules["labor"].entities["day_labor_ticket"].rules
    assert [r.check.text for r in ticket_rules if r.is_warning and r.field == "headcount"] == [
        "headcount <= crew.headcount_registered"]
    assert {m.version for name, m in modules.items() if name != "expense"} == {"1.6.0"}


CONFLICTS = """\
module: clashes
version: 1.0.0
title: {zh: 冲突, en: Clashes}
entities:
  rate:
    title: {zh: 单价, en: Rate}
    fields:
      crew: {type: text}
      tags: {type: multi_enum, options: {a: A}}
      lines: {type: table, fields: {qty: {type: integer}}}
      valid_from: {type: date}
      valid_to: {type: date}
      until: {type: datetime}
      note: {type: text}
    conflicts:
      - match: [crew, crews]
      - match: [tags]
        overlaps: [valid_from]
      - match: [crew]
        overlaps: [valid_from, note]
      - match: [crew]
        overlaps: [valid_from, until]
      - match: [crew]
        overlaps: [valid_from, valid_from]
      - match: [crew, crew]
        when: "stauts != 'rejected'"
      - match: [crew]
        severity: warn
      - match: [crew]
        overlap: [valid_from, valid_to]
      - match: [crew]
        when: "len(tags) > 0 and sum(lines.qty) > 1"
      - match: [crew]
        overlaps: [valid_from, valid_to]
        when: "status != 'rejected'"
        severity: warning
"""


def test_conflict_problems_are_reported_where_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "clashes"
    folder.mkdir()
    (folder / "module.yaml").write_text(CONFLICTS, encoding="utf-8")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert lines == [
        "module.yaml:16:23: conflict matches unknown field 'crews' (did you mean 'crew'?)",
        "module.yaml:17:17: conflict field 'tags' holds a list (multi_enum); match single-valued fields",
        "module.yaml:18:19: 'overlaps' must have at least 2 entries",
        "module.yaml:20:32: overlaps field 'note' is text; the start and end of a range are date or datetime fields",
        "module.yaml:22:19: the start 'valid_from' is date but the end 'until' is datetime; use the same type for both",
        "module.yaml:24:19: overlaps needs two different fields, the start and the end",
        "module.yaml:25:23: 'match' lists 'crew' more than once",
        "module.yaml:26:16: 'when' of conflict 6: unknown field 'stauts' (did you mean 'status'?)",
        "module.yaml:28:19: 'severity' must be one of error, warning, not 'warn' (did you mean 'warning'?)",
        "module.yaml:30:9: unknown key 'overlap' in item 8 of 'conflicts' of entity 'rate' (did you mean 'overlaps'?)",
        "module.yaml:32:15: 'when' of conflict 9 is read in the database, but the child table values 'lines.qty' "
        "cannot be used in a filter; compare the record's own fields, refs or params",
    ]


def test_the_labor_module_declares_its_conflicts() -> None:
    modules, problems = compile_all(builtin_folders())
    assert not problems
    rate, = modules["labor"].entities["day_labor_rate"].conflicts
    assert rate.match == ("project", "crew", "labor_company", "trade") and rate.overlaps == ("valid_from", "valid_to")
    assert not rate.is_warning and rate.when is not None and rate.when.text == "status != 'rejected'"
    duplicate, worker_day = modules["labor"].entities["day_labor_ticket"].conflicts
    assert duplicate.match == ("crew", "work_date", "location") and duplicate.overlaps is None
    assert duplicate.is_warning and duplicate.shares == ("workers", "worker")
    assert worker_day.match == ("work_date", "lists_workers") and worker_day.shares == ("workers", "worker")
    assert worker_day.is_warning


def test_a_conflict_without_match_is_reported_once(tmp_path: Path) -> None:
    folder = tmp_path / "clashes"
    folder.mkdir()
    text = CONFLICTS.split("    conflicts:\n")[0] + "    conflicts:\n      - severity: warning\n      - match: []\n"
    (folder / "module.yaml").write_text(text, encoding="utf-8")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert lines == ["module.yaml:16:9: item 1 of 'conflicts' of entity 'rate' is missing 'match'",
                     "module.yaml:17:16: 'match' must not be empty"]
