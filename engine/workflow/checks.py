"""Check the elements of the processes an entity uses: what is unsupported, and every expression.

Each finding is a `Problem` naming the file, the line of the element and its id. Expressions that
pass are compiled into the process's `ExpressionTable`, so the run never compiles anything new.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from typing import Any, Protocol

from engine.core.declaration_codes import snake_case
from engine.core.suggestions import closest
from engine.formula import BOOL, NUMBER, Environment, FType, Kind
from engine.workflow import services
from engine.workflow.bpmn_parser import BPMN_NS, CAMUNDA_NS, ZEEBE_NS, bpmn_tag, topic_of
from engine.workflow.scripts.dialects import looks_like_python
from engine.workflow.scripts.expressions import (
    ExpressionError,
    ExpressionTable,
    compile_expression,
    compile_script,
    compile_timer,
)
from engine.workflow.variables import PROCESS_VARIABLES, scripts_of

_UNSUPPORTED = {  # element -> the code of its message (engine/core/declaration_codes/process_messages.py)
    tag: f"decl_bpmn_unsupported_{snake_case(tag)}" for tag in (
        "businessRuleTask", "sendTask", "receiveTask", "complexGateway", "eventBasedGateway", "transaction",
        "adHocSubProcess", "dataStoreReference", "messageEventDefinition", "signalEventDefinition",
        "conditionalEventDefinition", "compensateEventDefinition", "cancelEventDefinition",
        "linkEventDefinition", "callChoreography", "choreographyTask", "subChoreography")
}
_UNSUPPORTED_EXTENSIONS = {
    f"{{{CAMUNDA_NS}}}executionListener": "decl_bpmn_unsupported_listener",
    f"{{{CAMUNDA_NS}}}taskListener": "decl_bpmn_unsupported_listener",
    f"{{{CAMUNDA_NS}}}inputOutput": "decl_bpmn_unsupported_camunda_io",
    f"{{{ZEEBE_NS}}}ioMapping": "decl_bpmn_unsupported_zeebe_io",
    f"{{{ZEEBE_NS}}}loopCharacteristics": "decl_bpmn_unsupported_zeebe_loop",
}
_TIMERS = ("timeDuration", "timeDate", "timeCycle")



class Report(Protocol):
    def __call__(self, element: Any, code: str, params: Mapping[str, Any] | None = None, line: int = 1) -> None:
        """Record problem `code` at `element` (at `line` within its text), labelled with its owner's id."""


class ElementChecker:
    """Check one process's elements, compiling their expressions into `expressions`."""

    def __init__(
        self,
        *,
        env: Environment,
        record_fields: Collection[str],
        expressions: ExpressionTable,
        process_ids: Collection[str],
        report: Report,
    ) -> None:
        self.env = env
        self.record_fields = record_fields
        self.expressions = expressions
        self.process_ids = process_ids
        self.report = report

    def check(self, element: Any) -> None:
        tag = bpmn_tag(element)
        if tag is None:
            code = _UNSUPPORTED_EXTENSIONS.get(element.tag) if isinstance(element.tag, str) else None
            if code:
                self.report(element, code)
            return
        if tag in _UNSUPPORTED:
            self.report(element, _UNSUPPORTED[tag])
        if element.get("isForCompensation") == "true":
            self.report(element, _UNSUPPORTED["compensateEventDefinition"])
        for script_element, text in scripts_of(element):
            self._script(element, script_element, text)
        if tag == "scriptTask" and not scripts_of(element):
            self.report(element, "decl_bpmn_script_missing")
        if tag in ("conditionExpression", "loopCondition", "completionCondition"):
            self._expression(element, "condition", BOOL)
        elif tag == "loopCardinality":
            self._expression(element, "loop cardinality", NUMBER)
        elif tag == "timerEventDefinition":
            self._timer_definition(element)
        elif tag == "multiInstanceLoopCharacteristics":
            self._multi_instance(element)
        elif tag == "callActivity":
            self._call_activity(element)
        elif tag == "serviceTask":
            self._service_task(element)

    def _service_task(self, element: Any) -> None:
        topic = topic_of(element)
        known = services.names()
        if not topic:
            self.report(element, "decl_bpmn_service_task_shape")
        elif topic not in known:
            close = difflib.get_close_matches(topic, known, n=1)
            if close or not known:
                suggestion = close[0] if close else ""
                self.report(element, "decl_bpmn_topic_unknown", {"topic": topic, "suggestion": suggestion})
            else:
                self.report(element, "decl_bpmn_topic_unknown_offered", {"topic": topic, "topics": ", ".join(known)})

    def _expression(self, element: Any, what: str, expect: FType) -> None:
        raw = element.text or ""
        if not raw.strip():
            self.report(element, "decl_bpmn_empty", {"what": what})
            return
        try:
            compiled = compile_expression(raw, self.env, expect=expect)
        except ExpressionError as error:
            self.report(element, *_explain(what, raw, error, "decl_bpmn_python_condition"), line=error.line)
            return
        self.expressions.add_expression(raw, compiled)

    def _script(self, owner: Any, element: Any, raw: str) -> None:
        try:
            script, assigned = compile_script(raw, self.env)
        except ExpressionError as error:
            self.report(element, *_explain("script", raw, error, "decl_bpmn_python_script"), line=error.line)
            return
        for name in assigned:
            if name not in PROCESS_VARIABLES and name in self.record_fields:
                self.report(element, "decl_bpmn_script_assigns_field", {"name": name})
        self.expressions.add_script(raw, script)

    def _timer_definition(self, element: Any) -> None:
        timers = [child for child in element if bpmn_tag(child) in _TIMERS]
        if not timers:
            self.report(element, "decl_bpmn_timer_empty")
        for timer in timers:
            self.timer(timer, f"timer {bpmn_tag(timer)}")

    def timer(self, element: Any, what: str, raw: str | None = None) -> None:
        """Check and compile a timer or due-date text (a plain ISO 8601 literal or a formula)."""
        raw = element.text if raw is None else raw
        if not raw or not raw.strip():
            self.report(element, "decl_bpmn_empty", {"what": what})
            return
        try:
            self.expressions.add_expression(raw, compile_timer(raw, self.env))
        except ExpressionError as error:
            self.report(element, *_explain(what, raw, error, "decl_bpmn_python_condition"), line=error.line)

    def _multi_instance(self, element: Any) -> None:
        owner = element.getparent()
        if element.get(f"{{{CAMUNDA_NS}}}collection") is not None:
            self.report(owner, "decl_bpmn_camunda_collection")
        for ref in element.iterfind(f"{{{BPMN_NS}}}loopDataInputRef"):
            name = (ref.text or "").strip()
            info = self.env.fields.get(name)
            if info is None:
                self.report(ref, "decl_bpmn_mi_input_unknown",
                            {"name": name, "suggestion": closest(name, self.env.fields)})
            elif info.type.kind not in (Kind.LIST, Kind.ANY):
                self.report(ref, "decl_bpmn_mi_input_not_list", {"name": name, "type": info.type})

    def _call_activity(self, element: Any) -> None:
        called = (element.get("calledElement") or "").strip()
        if not called:
            self.report(element, "decl_bpmn_call_unnamed")
        elif called.startswith(("${", "#{", "=")):
            self.report(element, "decl_bpmn_call_expression", {"called": called})
        elif called not in self.process_ids:
            self.report(element, "decl_bpmn_call_unknown",
                        {"called": called, "suggestion": closest(called, self.process_ids)})


def _explain(what: str, raw: str, error: ExpressionError, python_code: str) -> tuple[str, dict[str, Any]]:
    shown = raw.strip() if len(raw.strip()) <= 120 else raw.strip()[:117] + "..."
    params = {"what": what, "text": shown, "reason": error.reason}
    return (python_code if looks_like_python(raw) else "decl_bpmn_expression_invalid"), params


_PARTS = frozenset({
    "conditionExpression", "script", "timeDuration", "timeDate", "timeCycle", "completionCondition",
    "loopCardinality", "loopCondition", "multiInstanceLoopCharacteristics", "standardLoopCharacteristics",
    "loopDataInputRef", "loopDataOutputRef", "inputDataItem", "outputDataItem", "extensionElements",
    "documentation",
})


def owner_of(element: Any) -> Any:
    """Return the flow element (task, event, flow, gateway) a piece of markup belongs to."""
    current = element
    while current is not None:
        tag = bpmn_tag(current)
        is_part = tag is None or tag in _PARTS or tag.endswith("EventDefinition")
        if not is_part and current.get("id"):
            return current
        current = current.getparent()
    return element


def element_params(element: Any) -> dict[str, str]:
    """The params naming an element in a problem (`user task 'approve'`: declaration_codes.element_label)."""
    return {"bpmn_tag": bpmn_tag(element) or str(element.tag).rsplit("}", 1)[-1], "bpmn_id": element.get("id") or ""}

