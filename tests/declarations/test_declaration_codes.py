"""Declaration problems speak by code: every problem of a broken module, overlay or process names a code of
engine/core/declaration_codes with params, its English is that code's template, and its Chinese (what the designer
shows an administrator) is Chinese but for the names the administrator typed and the words of the format."""
from __future__ import annotations

import ast
import json
import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import pytest

from engine.core.catalogs import placeholders
from engine.core.codes.formula_codes import english_hint
from engine.core.declaration_codes import DECLARATION_MESSAGES, problem_at, render
from engine.core.error_codes import MESSAGES
from engine.customization.overlays import MAIN, Overlay, compile_overlay
from engine.declarations.loader import builtin_folders, compile_all, validate_paths
from engine.declarations.model import ModuleSpec
from engine.errors import Problem
from web.ui.error_text import ZH, problem_text, zh_template

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
TICKET_BPMN = (ROOT / "modules" / "labor" / "approvals" / "ticket_sign_off.bpmn").read_text(encoding="utf-8")

# Each overlay of the labor module breaks one thing an administrator may get wrong in the designer.
OVERLAYS = {
    "unknown field with a suggestion": "entities:\n  day_labor_ticket:\n    fields:\n      headcont: {label: 人}\n",
    "bad formula": "entities:\n  day_labor_ticket:\n    fields:\n"
                   "      total: {type: decimal, formula: \"headcont * 2\"}\n",
    "bad enum default": "entities:\n  day_labor_ticket:\n    fields:\n"
                        "      weather: {type: enum, default: snow, options: {sunny: 晴, rain: 雨}}\n",
    "enum without options": "entities:\n  day_labor_ticket:\n    fields:\n      kind: {type: enum}\n",
    "unknown type": "entities:\n  day_labor_ticket:\n    fields:\n      kind: {type: txt}\n",
    "bad list filter": "entities:\n  day_labor_ticket:\n    views:\n      list: {filters: [amout], columns: [kode]}\n",
    "bad rule": "entities:\n  day_labor_ticket:\n    rules:\n"
                "      - {assert: \"headcount > 0\", message: {zh: 人数, en: People}, field: headcont}\n",
    "bad permission role": "entities:\n  day_labor_ticket:\n    permissions:\n      crew_leadr: {actions: [read]}\n",
    "unknown entity": "entities:\n  day_labour_ticket:\n    fields:\n      x: {type: text}\n",
    "unknown parameter": "parameters:\n  production_review_amout: 3000\n",
    "bad parameter value": "parameters:\n  production_review_amount: lots\n",
    "missing process file": "workflows:\n  day_labor_ticket: approvals/nowhere.bpmn\n",
    "bad process role": "workflows:\n  day_labor_ticket: approvals/broken.bpmn\n",
    "yaml syntax": "entities:\n  day_labor_ticket:\n    fields:\n      a: b: c\n",
    "duplicate key": "parameters:\n  production_review_amount: 1\n  production_review_amount: 2\n",
    "schema": "entities:\n  day_labor_ticket:\n    fields:\n      note: {type: text, requird: true}\n",
}


@pytest.fixture(scope="module")
def available() -> dict[str, ModuleSpec]:
    modules, problems = compile_all(builtin_folders())
    assert problems == []
    return modules


def overlay_problems(available: Mapping[str, ModuleSpec], body: str) -> list[Problem]:
    labor = available["labor"]
    text = f"overlay: labor\nbase_version: {labor.version}\n{body}"
    broken_bpmn = TICKET_BPMN.replace('name="site_engineer"', 'name="site_enginer"')
    files = {MAIN: text, "approvals/broken.bpmn": broken_bpmn}
    spec, problems = compile_overlay(Overlay(MAIN, files), labor, available, version="9.9.9")
    assert spec is None and problems, body
    return problems


def module_problems(tmp_path: Path) -> list[Problem]:
    folder = tmp_path / "labor_x"
    folder.mkdir()
    shutil.copy(FIXTURES / "broken_semantics.yaml", folder / "module.yaml")
    return validate_paths([folder])


@pytest.fixture(scope="module")
def problems(available: dict[str, ModuleSpec], tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Problem]]:
    found = {name: overlay_problems(available, body) for name, body in OVERLAYS.items()}
    found["broken module"] = module_problems(tmp_path_factory.mktemp("broken"))
    return found


def test_the_broken_declarations_raise_many_kinds_of_problem(problems: dict[str, list[Problem]]) -> None:
    codes = {p.code for found in problems.values() for p in found}
    assert {"decl_overlay_unknown_field", "decl_formula", "decl_default_not_an_option", "decl_field_needs_options",
            "decl_field_type_unknown", "decl_list_filter_unknown", "decl_list_column_unknown",
            "decl_rule_unknown_field", "decl_role_not_declared", "decl_overlay_unknown_entity",
            "decl_overlay_unknown_parameter", "decl_overlay_bpmn_missing", "decl_bpmn_role_unknown",
            "decl_yaml_colon", "decl_yaml_duplicate_key_in", "decl_title_field_unknown",
            "decl_overlay_parameter_invalid", "decl_schema_unknown_key"} <= codes
    assert all(found for found in problems.values())


def test_each_problem_is_its_codes_english_template_filled_with_its_params(
        problems: dict[str, list[Problem]]) -> None:
    for found in problems.values():
        for problem in found:
            assert problem.code in DECLARATION_MESSAGES and problem.code in MESSAGES
            assert render(problem.code, problem.params) == problem.message
            json.dumps(problem.params, default=str)  # params are values a JSON client can read


def _values(params: Mapping[str, Any]) -> Iterator[str]:
    """The texts the params put into a message (the names the administrator typed, a suggestion, a reason)."""
    for value in params.values():
        if isinstance(value, Mapping):
            yield from _values(value.get("params") or {})
        elif isinstance(value, list):
            for item in value:
                yield from _values(item.get("params") or {}) if isinstance(item, Mapping) else [str(item)]
        else:
            yield str(value)


def _format_words() -> set[str]:
    """The words of the declaration format itself: keys of the schemas, the names of YAML, BPMN and XML."""
    words = {"YAML", "BPMN", "XML", "UTF", "RE2", "submitter"}  # and the lane of whoever submitted the record

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("properties", "patternProperties"):
                words.update(str(k) for k in (node.get(key) or {}))
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    for path in (ROOT / "schemas").glob("*.schema.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return words


def test_each_problem_reads_in_chinese(problems: dict[str, list[Problem]]) -> None:
    allowed = _format_words()
    english = {}
    for found in problems.values():
        for problem in found:
            assert zh_template(problem.code), f"{problem.code} has no Chinese text"
            text = problem_text(problem, "zh")
            assert text != problem.message and re.search(r"[\u4e00-\u9fff]", text), text
            left = text
            for value in sorted(_values(problem.params), key=len, reverse=True):
                left = left.replace(value, " ")
            words = [w for w in re.findall(r"[A-Za-z_][A-Za-z_0-9.]*", left)
                     if len(re.sub(r"[^A-Za-z]", "", w)) >= 3 and w not in allowed]
            if words:
                english[problem.code] = (text, words)
    assert english == {}


def test_every_code_has_a_chinese_text_with_the_english_placeholders_only() -> None:
    missing = sorted(code for code in DECLARATION_MESSAGES if zh_template(code) is None)
    assert missing == []
    extra = {code: ZH[code] for code in DECLARATION_MESSAGES if code in ZH
             if not placeholders(ZH[code]) <= placeholders(DECLARATION_MESSAGES[code]) | {"hint"}}
    assert extra == {}


def test_a_problem_cannot_be_made_without_a_code() -> None:
    required = [f.name for f in fields(Problem) if f.default is MISSING and f.default_factory is MISSING]
    assert "code" in required
    with pytest.raises(TypeError):
        Problem("module.yaml", 1, 1, "a message and no code")  # type: ignore[call-arg]
    assert problem_at("m.yaml", 2, 3, "decl_table_in_table").message == "a table cannot contain another table"


def test_every_problem_site_names_a_code_of_the_table() -> None:
    """Each call that reports a problem (`problem_at`, `.problem`, `._add`, a BPMN `report`) passes a known code."""
    unknown = []
    for path in (ROOT / "engine").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            named = isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("decl_")
            if named and node.value not in DECLARATION_MESSAGES and not node.value.endswith("_"):  # f"decl_x_{tag}"
                unknown.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
            built = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Problem"
            if built and "declaration_codes" not in path.parts:
                unknown.append(f"{path.relative_to(ROOT)}:{node.lineno}: Problem() without problem_at")
    assert unknown == []


def test_a_bad_formula_is_said_in_chinese_to_its_last_word(problems: dict[str, list[Problem]]) -> None:
    """The formula's own reason is a part by its code (engine/core/codes/formula_codes.py), not the checker's
    English."""
    problem = next(p for p in problems["bad formula"] if p.code == "decl_formula")
    reason = problem.params["reason"]
    assert reason["code"] == "formula_unknown_field" and reason["params"]["field"] == "headcont"
    hint = english_hint(reason["params"]["suggestion"])
    assert problem.message == f"formula of 'total': unknown field 'headcont'{hint}"
    text = problem_text(problem, "zh")
    assert text.startswith("字段 'total' 的公式：未知字段 'headcont'"), text
    left = text
    for value in _values(problem.params):
        left = left.replace(value, " ")
    assert re.findall(r"[A-Za-z]{3,}", left) == [], text
