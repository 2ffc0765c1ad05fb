"""The script engine runs the formula language only: no eval, no exec, no Python at all."""

from __future__ import annotations

import builtins
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.formula import MONEY, TEXT, TEXT_LIST, Environment, FieldInfo
from engine.workflow import ProcessFailed, ProcessRun, ProcessSpec, ScriptContext, load_processes
from engine.workflow.bpmn_parser import FormworkBpmnParser, parse_xml
from engine.workflow.scripts.expressions import ExpressionTable
from engine.workflow.scripts.script_engine import FormulaScriptEngine
from engine.workflow.variables import process_environment

BPMN = Path(__file__).parents[1] / "fixtures" / "bpmn"
ENV = Environment(
    fields={"total": FieldInfo(MONEY), "approvers": FieldInfo(TEXT_LIST), "created_by": FieldInfo(TEXT)},
    params={"review_threshold": MONEY, "escalate_after": TEXT},
)
CTX = ScriptContext(params={"review_threshold": Decimal("5000"), "escalate_after": "PT2H"})


def load(name: str) -> ProcessSpec:
    files = {f"approvals/{p.name}": p.read_text(encoding="utf-8") for p in BPMN.glob("*.bpmn")}
    process, problems = load_processes(files, f"approvals/{name}", origin="m", roles=("manager", "director", "finance"),
                                       environment=ENV, params={})
    assert problems == [] and process is not None
    return process


def stored(run: ProcessRun) -> ProcessRun:
    return ProcessRun.restore(run.process, json.loads(json.dumps(run.dump())), engine=CTX)


def finish(run: ProcessRun, decisions: dict[str, str]) -> ProcessRun:
    """Decide every open task (by bpmn id) until the run completes, storing it between steps."""
    while not run.is_completed:
        task = run.open_tasks()[0]
        run.complete(task.id, decision=decisions.get(task.bpmn_id, "approve"), comment=None, actor="u")
        run = stored(run)
    return run


@pytest.fixture
def no_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("eval/exec must never be called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)


@pytest.mark.usefixtures("no_eval")
def test_a_full_run_never_calls_eval_or_exec() -> None:
    process = load("all_features.bpmn")
    high = stored(ProcessRun.start(process, {"total": Decimal("9000"), "approvers": ["amy", "ben", "cat"],
                                             "submitter": "ann"}, engine=CTX))
    assert sorted(t.assignee or "" for t in high.open_tasks()) == ["amy", "ben", "cat"]
    high = finish(high, {})
    assert high.end_event == "approved"
    assert high.data["level"] == "high" and high.data["rounds"] == 2 and len(high.data["votes"]) == 3

    low = stored(ProcessRun.start(process, {"total": Decimal("10"), "approvers": [], "submitter": "ann"},
                                  engine=CTX))
    assert [t.bpmn_id for t in low.open_tasks()] == ["manager_approve"]
    assert low.fire_due_timers(datetime.now(UTC) + timedelta(hours=2))
    low = finish(stored(low), {"director_approve": "reject"})
    assert low.end_event == "rejected"


@pytest.mark.usefixtures("no_eval")
def test_countersign_veto_in_the_full_process_skips_the_remaining_approvers() -> None:
    run = stored(ProcessRun.start(load("all_features.bpmn"), {"total": Decimal("9000"), "approvers": ["amy", "ben"],
                                                              "submitter": "ann"}, engine=CTX))
    first = run.open_tasks()[0]
    run.complete(first.id, decision="reject", comment="no", actor=str(first.assignee))
    run = stored(run)
    assert [t.bpmn_id for t in run.open_tasks()] == ["director_rounds"]


PYTHON_CONDITION = "__import__('os').system('touch {marker}') == 0"


def python_process(marker: Path) -> ProcessSpec:
    """A process whose gateway condition is Python, built without validation (as an attacker would hope)."""
    condition = PYTHON_CONDITION.format(marker=marker)
    xml = f"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
<bpmn:process id="evil" isExecutable="true"><bpmn:startEvent id="s" />
<bpmn:sequenceFlow id="a" sourceRef="s" targetRef="gw" /><bpmn:exclusiveGateway id="gw" default="c" />
<bpmn:sequenceFlow id="b" sourceRef="gw" targetRef="e"><bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
</bpmn:sequenceFlow><bpmn:sequenceFlow id="c" sourceRef="gw" targetRef="e" /><bpmn:endEvent id="e" />
</bpmn:process></bpmn:definitions>"""
    parser = FormworkBpmnParser()
    parser.add_bpmn_xml(parse_xml(xml), filename="evil.bpmn")
    table = ExpressionTable(process_environment(ENV, {}, []))
    return ProcessSpec("evil", "0" * 64, parser.get_spec("evil"), parser.get_subprocess_specs("evil"), {}, {}, table)


def test_python_condition_is_rejected_at_validation(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    condition = PYTHON_CONDITION.format(marker=marker)
    text = (BPMN / "threshold.bpmn").read_text(encoding="utf-8").replace(
        "total &gt;= params.review_threshold", condition)
    process, problems = load_processes({"a.bpmn": text}, "a.bpmn", origin="m", roles=("manager", "finance"),
                                       environment=ENV, params={})
    assert process is None
    assert [p.message.split(":")[0] for p in problems] == ["sequence flow 'f_large'"]
    assert "conditions are written in the formula language, not Python" in problems[0].message
    assert not marker.exists()


def test_python_condition_cannot_run_even_without_validation(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with pytest.raises(ProcessFailed, match="evil"):
        ProcessRun.start(python_process(marker), {"submitter": "ann"}, engine=CTX)
    assert not marker.exists()


def test_engine_validate_raises_syntax_error_for_non_expressions() -> None:
    engine = FormulaScriptEngine(ExpressionTable(ENV), CTX)
    engine.validate("total > 1000")
    for text in ("> 1000", "import os", "x = 1", ""):
        with pytest.raises(SyntaxError):
            engine.validate(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("PT4H", "PT4H"),
    ("R3/PT1H", "R3/PT1H"),
    ("2026-01-01T09:00:00Z", "2026-01-01T09:00:00Z"),
    ("2026-01-01", "2026-01-01"),
    ("'P2D'", "P2D"),
    ("params.escalate_after", "PT2H"),
    ("date('2026-03-01')", "2026-03-01T00:00:00+00:00"),
    ("3 + 4", 7),
    ("total * 3", Decimal("7.5")),
])
def test_engine_evaluates_timer_literals_and_formulas(text: str, expected: Any) -> None:
    engine = FormulaScriptEngine(ExpressionTable(process_environment(ENV, {}, [])), CTX)
    result = engine.environment.evaluate(text, {"total": Decimal("2.5")})
    assert result == expected and type(result) is type(expected)


def test_scripts_assign_names_and_keep_exact_values() -> None:
    engine = FormulaScriptEngine(ExpressionTable(process_environment(ENV, {}, [])), CTX)
    data: dict[str, Any] = {"total": Decimal("10.10"), "approvers": ["a", "b"]}
    engine.environment.execute("double = total * 2\ncount_all = count(approvers)\nwhen = date('2026-01-02')", data)
    assert data["double"] == Decimal("20.20") and data["count_all"] == 2 and data["when"] == date(2026, 1, 2)
    with pytest.raises(Exception, match="not a `name = expression` assignment"):
        engine.environment.execute("import os", data)


def test_compiled_expressions_are_shared_by_every_run() -> None:
    process = load("threshold.bpmn")
    compiled = process.expressions.expression("total >= params.review_threshold")
    assert process.expressions.expression("total >= params.review_threshold") is compiled


def test_runtime_formula_failure_is_a_clear_error() -> None:
    process = load("threshold.bpmn")
    run = ProcessRun.start(process, {"total": "lots", "submitter": "ann"}, engine=CTX)
    with pytest.raises(ProcessFailed, match="expected a number, got 'lots'"):
        run.complete(run.open_tasks()[0].id, decision="approve", comment=None, actor="bob")
