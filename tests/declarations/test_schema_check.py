"""JSON Schema validation of declarations, reported as positioned problems in the format's own words."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from engine.declarations.schema_check import SCHEMA_DIR, check_against_schema
from engine.declarations.source import load_source, load_source_text
from engine.errors import Problem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MODULE_FOLDERS = sorted(p.parent for p in (FIXTURES / "modules").glob("*/module.yaml"))

HEAD = "module: expense\nversion: 1.0.0\ntitle: {zh: 费用报销, en: Expenses}\n"


def _check(body: str, schema: str = "module") -> list[str]:
    """Validate HEAD + body and return `line:col: message` lines (HEAD takes lines 1-3)."""
    source = load_source_text(HEAD + body if schema == "module" else body, "m.yaml")
    assert source.problems == []
    return [f"{p.line}:{p.column}: {p.message}" for p in check_against_schema(source, schema)]


def _field(options: str) -> str:
    return f"entities:\n  claim:\n    fields:\n      code: {{{options}}}\n"


@pytest.mark.parametrize("schema_file", sorted(SCHEMA_DIR.glob("*.schema.json")), ids=lambda p: p.name)
def test_schemas_are_valid_draft_2020_12(schema_file: Path) -> None:
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("folder", MODULE_FOLDERS, ids=lambda p: p.name)
def test_fixture_modules_validate_without_problems(folder: Path) -> None:
    source = load_source(folder)
    assert source.problems == []
    assert check_against_schema(source) == []


def test_fixture_folders_are_the_expected_ones() -> None:
    assert {p.name for p in MODULE_FOLDERS} >= {"base", "expense"}
    assert (FIXTURES / "modules" / "expense" / "approvals" / "claim.bpmn").is_file()


def test_design_overlay_example_validates() -> None:
    text = """\
overlay: labor
base_version: 1.0.0
entities:
  day_labor_ticket:
    fields:
      weather: {type: enum, required: true, default: sunny, label: {zh: 天气, en: Weather},
                options: {sunny: {zh: 晴, en: Sunny}, rain: {zh: 雨, en: Rain}}}
      location: {label: {zh: 作业部位, en: Work area}}
      reason: {hidden: true}
    rules:
      - assert: "headcount <= 50"
        message: {zh: 人数过多, en: Too many people}
parameters:
  review_amount: 3000
workflows:
  day_labor_ticket: approvals/ticket_v2.bpmn
"""
    assert _check(text, "overlay") == []


def test_unknown_key_at_its_key_with_suggestion() -> None:
    source = load_source(FIXTURES / "broken" / "typo_key")
    assert check_against_schema(source) == [Problem(
        source.file, 8, 26, "unknown key 'requird' in field 'code' (did you mean 'required'?)",
        "decl_schema_unknown_key")]


def test_unknown_key_without_close_match_lists_the_allowed_keys() -> None:
    assert _check("entities:\n  claim:\n    fields: {a: {type: text}}\n    zzz: 1\n") == [
        "7:5: unknown key 'zzz' in entity 'claim'; expected one of append_only, conflicts, contributes, description, "
        "effects, fields, import, network, permissions, print, readonly_except, readonly_when, rules, title, "
        "title_field, unique, views, workflow"]


def test_unknown_key_in_nested_table_field_and_top_level() -> None:
    body = "entites: {}\n" + _field("type: table, fields: {qty: {type: decimal, scael: 2}}")
    assert _check(body) == [
        "4:1: unknown key 'entites' in the module (did you mean 'entities'?)",
        "8:57: unknown key 'scael' in field 'code.qty' (did you mean 'scale'?)",
    ]


def test_plugin_keys_starting_with_x_are_allowed_on_fields() -> None:
    assert _check(_field("type: geo_point, x-precision: 6")) == []


def test_missing_required_key_names_the_owner() -> None:
    assert _check("entities:\n  claim:\n    title: Claim\n") == ["5:3: entity 'claim' is missing 'fields'"]


def test_missing_keys_of_the_module() -> None:
    source = load_source_text("module: expense\n", "m.yaml")
    assert [p.message for p in check_against_schema(source)] == [
        "the module is missing 'title'", "the module is missing 'version'"]


def test_type_specific_required_key_says_why() -> None:
    assert _check(_field("type: ref")) == [
        "7:7: field 'code' is missing 'entity' (a field of type 'ref' needs it)"]


def test_wrong_type_message() -> None:
    source = load_source(FIXTURES / "broken" / "wrong_type")
    assert check_against_schema(source) == [
        Problem(source.file, 8, 36, "'required' must be true or false, not 'yes'", "decl_schema_type")]


def test_field_written_as_a_bare_type_gets_a_hint() -> None:
    assert _check("entities:\n  claim:\n    fields:\n      code: text\n") == [
        "7:13: field 'code' must be a mapping, not 'text' (did you mean {type: text}?)"]


def test_module_name_pattern_message() -> None:
    source = load_source_text("module: Expense\nversion: 1.0.0\ntitle: Expenses\n", "m.yaml")
    assert [str(p) for p in check_against_schema(source)] == [
        "m.yaml:1:9: module name 'Expense' must be lower snake_case like 'expense'"]


def test_entity_and_field_names_are_checked_at_the_key() -> None:
    body = "entities:\n  ExpenseClaim:\n    fields:\n      Unit Price: {type: money}\n"
    assert _check(body) == [
        "5:3: entity name 'ExpenseClaim' must be lower snake_case like 'expense_claim'",
        "7:7: field name 'Unit Price' must be lower snake_case like 'unit_price'",
    ]


def test_version_must_be_semver() -> None:
    source = load_source_text("module: expense\nversion: '1.0'\ntitle: x\n", "m.yaml")
    assert [f"{p.line}:{p.column}: {p.message}" for p in check_against_schema(source)] == [
        "2:10: 'version' must be a semantic version like '1.0.0', not '1.0'"]


def test_enum_message_with_suggestion() -> None:
    body = ("entities:\n  claim:\n    fields: {a: {type: text}}\n"
            "    workflow: {process: approvals/claim.bpmn, start: on_submitt}\n")
    assert _check(body) == [
        "7:54: 'start' must be one of on_create, on_submit, not 'on_submitt' (did you mean 'on_submit'?)"]


def test_enum_in_list_names_the_item() -> None:
    body = ("entities:\n  claim:\n    fields: {a: {type: text}}\n"
            "    permissions:\n      applicant: {actions: [create, aprove]}\n")
    assert _check(body) == [
        "8:37: item 2 of 'actions' must be one of create, read, update, delete, submit, approve, export, "
        "import, not 'aprove' (did you mean 'approve'?)"]


def test_label_alternatives_explain_the_intended_shape() -> None:
    body = "roles:\n  applicant: {zh: 申请人, fr: Demandeur}\n  finance: 5\n"
    assert _check(body) == [
        "5:24: unknown key 'fr' in role 'applicant'; expected one of en, scope, zh",
        "6:12: role 'finance' must be text or a mapping of zh/en/scope, not 5",
    ]


def test_limits_and_numeric_strings() -> None:
    assert _check(_field("type: decimal, scale: 12, min: '0.5', max: lots")) == [
        "7:36: 'scale' must be at most 10, not 12",
        "7:57: 'max' must be a number like 0 or '0.5', or a date like '2024-05-01', not 'lots'",
    ]


def test_decimal_values_validate_as_numbers() -> None:
    assert _check(_field("type: money, min: 0.01, max: 5000.50, default: 12.5")) == []


def test_duplicate_list_entry_points_at_the_repeat() -> None:
    assert _check("requires: [base, cost, base]\n") == ["4:24: 'requires' lists 'base' more than once"]


def test_workflow_path_cannot_leave_the_module_folder() -> None:
    body = "entities:\n  claim:\n    fields: {a: {type: text}}\n    workflow: {process: ../../x.bpmn}\n"
    assert _check(body) == [
        "7:25: 'process' must be a .bpmn file in the module folder, like 'approvals/claim.bpmn', "
        "not '../../x.bpmn'"]


def test_all_errors_are_reported_at_once_sorted_and_unique() -> None:
    body = """\
roles:
  Applicant: {zh: 申请人}
entities:
  claim:
    fields:
      code: {type: text, requird: true, unique: yes}
      project: {type: ref}
    rules:
      - assert: "x > 1"
    workflow: {process: approvals/claim.bpmn, start: on_submitt}
reports:
  r: {title: R, entity: claim, measures: {}, group_by: project}
"""
    problems = _check(body)
    assert problems == [
        "5:3: role name 'Applicant' must be lower snake_case like 'applicant'",
        "9:26: unknown key 'requird' in field 'code' (did you mean 'required'?)",
        "9:49: 'unique' must be true or false, not 'yes'",
        "10:7: field 'project' is missing 'entity' (a field of type 'ref' needs it)",
        "12:9: rule 1 of entity 'claim' is missing 'message'",
        "13:54: 'start' must be one of on_create, on_submit, not 'on_submitt' (did you mean 'on_submit'?)",
        "15:42: 'measures' of report 'r' must not be empty",
        "15:56: 'group_by' must be a list, not 'project'",
    ]


def test_overlay_field_patches_are_partial_but_still_catch_typos() -> None:
    text = """\
overlay: labor
base_version: 1.0.0
entities:
  ticket:
    fields:
      reason: {hiden: true}
      lines: {fields: {item: {label: Item}}}
parameters:
  review_amount: {default: 3000}
"""
    assert _check(text, "overlay") == [
        "6:16: unknown key 'hiden' in field 'reason' (did you mean 'hidden'?)",
        "9:18: parameter 'review_amount' must be text, a number, true/false, a list or empty, not a mapping",
    ]


def test_overlay_requires_its_module_and_base_version() -> None:
    source = load_source_text("entities: {}\n", "o.yaml")
    assert [p.message for p in check_against_schema(source, "overlay")] == [
        "the overlay is missing 'base_version'", "the overlay is missing 'overlay'"]


def test_unknown_schema_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="did you mean 'module'"):
        check_against_schema(load_source_text("a: 1\n", "m.yaml"), "modul")


def test_json_module_is_checked_with_positions() -> None:
    text = '{\n\t"module": "expense",\n\t"version": "1.0.0",\n\t"title": "x",\n\t"requird": true\n}'
    source = load_source_text(text, "module.json")
    assert [str(p) for p in check_against_schema(source)] == [
        "module.json:5:2: unknown key 'requird' in the module (did you mean 'requires'?)"]


def test_every_schema_pattern_has_words_for_its_message() -> None:
    from engine.declarations import schema_check

    kinds = schema_check._schemas().pattern_kinds
    worded = {"name", "semver", *schema_check._PATTERN_KINDS}
    assert kinds and {pattern: kind for pattern, kind in kinds.items() if kind not in worded} == {}
