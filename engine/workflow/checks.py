"""Check the elements of the processes an entity uses: what is unsupported, and every expression.

Each finding is a `Problem` naming the file, the line of the element and its id. Expressions that
pass are compiled into the process's `ExpressionTable`, so the run never compiles anything new.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from typing import Any, Protocol

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

_UNSUPPORTED = {
    "businessRuleTask": "business rule tasks (DMN) are not supported; use an exclusive gateway with conditions",
    "sendTask": "send tasks are not supported; use a user task or a script task",
    "receiveTask": "receive tasks are not supported; use a user task or a timer event",
    "complexGateway": "complex gateways are not supported; use an exclusive or inclusive gateway",
    "eventBasedGateway": "event-based gateways are not supported; use a timer boundary event on a user task",
    "transaction": "transactions are not supported; use an embedded subprocess",
    "adHocSubProcess": "ad-hoc subprocesses are not supported; use an embedded subprocess",
    "dataStoreReference": "data stores are not supported; keep data in the record's fields",
    "messageEventDefinition": "message events are not supported; use a user task or a timer event",
    "signalEventDefinition": "signal events are not supported; use a user task or a timer event",
    "conditionalEventDefinition": "conditional events are not supported; use an exclusive gateway",
    "compensateEventDefinition": "compensation is not supported; model the undo steps as tasks",
    "cancelEventDefinition": "cancel events are not supported (they need transactions); use an error end event",
    "linkEventDefinition": "link events are not supported; draw the sequence flow instead",
    "callChoreography": "choreographies are not supported",
    "choreographyTask": "choreographies are not supported",
    "subChoreography": "choreographies are not supported",
}
_UNSUPPORTED_EXTENSIONS = {
    f"{{{CAMUNDA_NS}}}executionListener": "Camunda listeners are not supported; use a script task",
    f"{{{CAMUNDA_NS}}}taskListener": "Camunda listeners are not supported; use a script task",
    f"{{{CAMUNDA_NS}}}inputOutput": "Camunda input/output mappings are not supported; use a script task",
    f"{{{ZEEBE_NS}}}ioMapping": "Zeebe input/output mappings are not supported; use a script task",
    f"{{{ZEEBE_NS}}}loopCharacteristics": (
        "Zeebe multi-instance collections are not supported; use loopDataInputRef and inputDataItem"
    ),
}
_PYTHON = "conditions are written in the formula language, not Python"
_SCRIPT_PYTHON = "scripts are `name = expression` lines in the formula language, not Python"
_TIMERS = ("timeDuration", "timeDate", "timeCycle")



class Report(Protocol):
    def __call__(self, element: Any, message: str, line: int = 1) -> None:
        """Record a problem at `element` (at `line` within its text), labelled with its owner's id."""


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
            message = _UNSUPPORTED_EXTENSIONS.get(element.tag) if isinstance(element.tag, str) else None
            if message:
                self.report(element, message)
            return
        if tag in _UNSUPPORTED:
            self.report(element, _UNSUPPORTED[tag])
        if element.get("isForCompensation") == "true":
            self.report(element, _UNSUPPORTED["compensateEventDefinition"])
        for script_element, text in scripts_of(element):
            self._script(element, script_element, text)
        if tag == "scriptTask" and not scripts_of(element):
            self.report(element, "the script task has no script (external scripts are not supported)")
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
            self.report(element, 'service tasks run plugin handlers: write camunda:type="external" '
                                 'camunda:topic="<a topic an installed plugin handles>" (Java classes, expressions '
                                 'and connectors are not supported)')
        elif topic not in known:
            close = difflib.get_close_matches(topic, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            offered = f"; installed plugins handle {', '.join(known)}" if known and not close else ""
            self.report(element, f"no installed plugin handles the service task topic {topic!r}{hint}{offered}")

    def _expression(self, element: Any, what: str, expect: FType) -> None:
        raw = element.text or ""
        if not raw.strip():
            self.report(element, f"the {what} is empty")
            return
        try:
            compiled = compile_expression(raw, self.env, expect=expect)
        except ExpressionError as error:
            self.report(element, _explain(what, raw, error, _PYTHON), error.line)
            return
        self.expressions.add_expression(raw, compiled)

    def _script(self, owner: Any, element: Any, raw: str) -> None:
        try:
            script, assigned = compile_script(raw, self.env)
        except ExpressionError as error:
            self.report(element, _explain("script", raw, error, _SCRIPT_PYTHON), error.line)
            return
        for name in assigned:
            if name not in PROCESS_VARIABLES and name in self.record_fields:
                self.report(element, f"the script assigns {name!r}, a field of the record; a process cannot "
                                     "change the record, so use another name")
        self.expressions.add_script(raw, script)

    def _timer_definition(self, element: Any) -> None:
        timers = [child for child in element if bpmn_tag(child) in _TIMERS]
        if not timers:
            self.report(element, "the timer has no timeDuration, timeDate or timeCycle")
        for timer in timers:
            self.timer(timer, f"timer {bpmn_tag(timer)}")

    def timer(self, element: Any, what: str, raw: str | None = None) -> None:
        """Check and compile a timer or due-date text (a plain ISO 8601 literal or a formula)."""
        raw = element.text if raw is None else raw
        if not raw or not raw.strip():
            self.report(element, f"the {what} is empty")
            return
        try:
            self.expressions.add_expression(raw, compile_timer(raw, self.env))
        except ExpressionError as error:
            self.report(element, _explain(what, raw, error, _PYTHON), error.line)

    def _multi_instance(self, element: Any) -> None:
        owner = element.getparent()
        if element.get(f"{{{CAMUNDA_NS}}}collection") is not None:
            self.report(owner, "camunda:collection is not supported; use loopDataInputRef and inputDataItem "
                               "(in Camunda Modeler: Multi-instance > Input collection)")
        for ref in element.iterfind(f"{{{BPMN_NS}}}loopDataInputRef"):
            name = (ref.text or "").strip()
            info = self.env.fields.get(name)
            if info is None:
                close = difflib.get_close_matches(name, list(self.env.fields), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.report(ref, f"the multi-instance input {name!r} is neither a field nor a process variable{hint}")
            elif info.type.kind not in (Kind.LIST, Kind.ANY):
                self.report(ref, f"the multi-instance input {name!r} is {info.type}, not a list")

    def _call_activity(self, element: Any) -> None:
        called = (element.get("calledElement") or "").strip()
        if not called:
            self.report(element, "the call activity names no calledElement")
        elif called.startswith(("${", "#{", "=")):
            self.report(element, f"calledElement {called!r} is an expression; name the called process id instead")
        elif called not in self.process_ids:
            close = difflib.get_close_matches(called, list(self.process_ids), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.report(element, f"the called process {called!r} is not in any .bpmn file of the module{hint}")


def _explain(what: str, raw: str, error: ExpressionError, python_hint: str) -> str:
    shown = raw.strip() if len(raw.strip()) <= 120 else raw.strip()[:117] + "..."
    if looks_like_python(raw):
        return f"{python_hint}: {what} {shown!r} ({error.reason})"
    return f"{what} {shown!r}: {error.reason}"


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


def element_label(element: Any) -> str:
    """Describe an element for a message: `user task 'approve'`."""
    tag = bpmn_tag(element) or str(element.tag).rsplit("}", 1)[-1]
    words = "".join(" " + c.lower() if c.isupper() else c for c in tag).strip()
    ident = element.get("id")
    return f"{words} {ident!r}" if ident else words

