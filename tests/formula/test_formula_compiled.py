"""How formulas run: one Python function per formula, one context per record (docs/formula.md)."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.declarations.loader import compile_all, read_folder
from engine.errors import FormulaRuntimeError
from engine.formula import NUMBER, TEXT, Context, Environment, FieldInfo, compile_formula
from engine.records.compute import Evaluation, compute, rule_errors

D = Decimal
ENV = Environment(fields={"a": FieldInfo(NUMBER), "b": FieldInfo(NUMBER), "s": FieldInfo(TEXT)})


@pytest.mark.parametrize("depth", [1, 45, 95])
def test_deeply_nested_formulas_run(depth: int) -> None:
    sums = compile_formula("1 + (" * depth + "a" + ")" * depth, ENV)
    assert sums.evaluate(Context(values={"a": D(1)})) == D(depth + 1)
    assert sums.evaluate(Context(values={})) is None
    choices = compile_formula("if(a > 0, " * depth + "b" + ", 0)" * depth, ENV)
    assert choices.evaluate(Context(values={"a": D(1), "b": D(7)})) == D(7)
    assert choices.evaluate(Context(values={"a": D(-1), "b": D(7)})) == D(0)


def test_formulas_of_one_shape_keep_their_own_names_and_literals() -> None:
    first, second = compile_formula("a + 1", ENV), compile_formula("b + 2.5", ENV)
    values = Context(values={"a": D(10), "b": D(20)})
    assert (first.evaluate(values), second.evaluate(values)) == (D(11), D("22.5"))


def test_the_text_of_a_formula_is_never_run_as_python() -> None:
    text = "s + '\\nraise SystemExit\\n' + \"'); import os; ('\""
    assert compile_formula(text, ENV).evaluate(Context(values={"s": "x"})) == "x\nraise SystemExit\n'); import os; ('"


def test_failures_name_the_formula_with_their_code() -> None:
    with pytest.raises(FormulaRuntimeError) as raised:
        compile_formula("a / (b - b)", ENV).evaluate(Context(values={"a": D(1), "b": D(2)}))
    assert raised.value.message_code == "formula_evaluation_failed"
    assert raised.value.params["text"] == "a / (b - b)"
    assert "division by zero" in str(raised.value.params["error"])
    assert compile_formula("a / (b - b)", ENV).evaluate(Context(values={"b": D(2)})) is None  # null first


DOC = """module: m
version: 1.0.0
title: M
entities:
  project:
    fields:
      name: {type: text}
      code: {type: text}
  doc:
    fields:
      project: {type: ref, entity: project}
      project_name: {type: text, formula: "project.name"}
      label: {type: text, formula: "project.code + ' ' + project.name"}
      lines:
        type: table
        fields:
          qty: {type: decimal}
          tagged: {type: text, formula: "text(qty) + ' ' + parent.project_name"}
    rules:
      - assert: "project.code != 'closed'"
        message: {en: The project is closed}
"""


class Loader:
    def __init__(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        self.records = records
        self.calls: list[str] = []

    def __call__(self, entity: str, record_id: str) -> Mapping[str, Any] | None:
        self.calls.append(record_id)
        return self.records.get(record_id)


def test_a_records_formulas_share_one_context_that_reads_each_referenced_record_once(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text(DOC, encoding="utf-8")
    modules, problems = compile_all([read_folder(folder)])
    assert problems == []
    entity = modules["m"].entities["doc"]
    loader = Loader({"p1": {"name": "Tower", "code": "XM-1"}})
    evaluation = Evaluation(load_ref=loader)
    values: dict[str, Any] = {"project": "p1", "lines": [{"qty": D(2)}, {"qty": D(3)}]}
    assert compute(entity, values, evaluation) == []
    assert rule_errors(entity, values, evaluation, "en", "save") == []
    assert (values["project_name"], values["label"]) == ("Tower", "XM-1 Tower")
    assert [row["tagged"] for row in values["lines"]] == ["2 Tower", "3 Tower"]
    assert loader.calls == ["p1"]  # fields, rows and rules: one read
    evaluation.run(entity.rules[0].check, values)  # a run on its own reads afresh (what came before may have written)
    assert loader.calls == ["p1", "p1"]
    other: dict[str, Any] = {"project": "p1", "lines": []}
    compute(entity, other, evaluation)  # another record: its own context
    assert loader.calls == ["p1", "p1", "p1"]
