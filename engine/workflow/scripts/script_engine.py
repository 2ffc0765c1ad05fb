"""Plug the formula language into SpiffWorkflow as its only script engine: no `eval`, no `exec`.

SpiffWorkflow sends every condition, timer, multi-instance expression and script through
`BasePythonScriptEngineEnvironment.evaluate/execute` (and a few internal paths straight to the
environment), so replacing the environment is enough. The engine is not serialized with a workflow:
`ProcessRun` attaches a fresh one whenever it creates or restores a workflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from engine.errors import FormulaError
from engine.formula.parser import parse
from engine.workflow.errors import ProcessFailed
from engine.workflow.scripts.expressions import ExpressionTable, ScriptContext, timer_value


class FormulaEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Evaluate expressions and run scripts of one process with its precompiled formulas."""

    def __init__(self, expressions: ExpressionTable, context: ScriptContext) -> None:
        super().__init__({})
        self.expressions = expressions
        self.context = context

    def evaluate(self, expression: str, context: Mapping[str, Any], external_context: Any = None) -> Any:
        values = {**external_context, **context} if external_context else context
        return _to_spiff(self.expressions.expression(expression).evaluate(values, self.context))

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        compiled = self.expressions.script(script)
        values = {**external_context, **context} if external_context else context
        compiled.run(values, self.context)
        if values is not context:
            context.update({name: values[name] for name, _ in compiled.assignments})
        return True

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        raise NotImplementedError("service tasks are not supported; use a script task")


class FormulaScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """SpiffWorkflow's script engine, restricted to the formula language."""

    def __init__(self, expressions: ExpressionTable, context: ScriptContext) -> None:
        super().__init__(environment=FormulaEnvironment(expressions, context))

    def validate(self, expression: str) -> None:
        """Raise SyntaxError when `expression` is not a formula (the contract the DMN engine relies on)."""
        try:
            parse(expression)
        except FormulaError as error:
            raise SyntaxError(error.reason) from None

    def call_service(self, task: Any, topic: str = "", **kwargs: Any) -> bool | None:
        """Run a service task's handler: True completes the task, None leaves it waiting."""
        caller = self.environment.context.call_service
        if caller is None:
            raise ProcessFailed(f"service task {task.task_spec.bpmn_id!r} ({topic}) cannot run here: no plugin host",
                                message_code="service_task_no_host",
                                params={"bpmn_id": task.task_spec.bpmn_id, "topic": topic})
        updates = caller(topic, task.task_spec.bpmn_id, task.data)
        if updates is None:
            return None
        task.data.update(updates)
        return True


def _to_spiff(value: Any) -> Any:
    """Give SpiffWorkflow what it expects: whole numbers as int (cardinality), timers as ISO text."""
    if type(value) is Decimal and value == value.to_integral_value():
        return int(value)
    return timer_value(value)
