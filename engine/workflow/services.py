"""BPMN service tasks: topics handled by plugins, their parser and task spec.

`<serviceTask camunda:type="external" camunda:topic="acme.check_credit">` (or a Zeebe
`<zeebe:taskDefinition type="...">`, or a SpiffWorkflow `<spiffworkflow:serviceTaskOperator
id="...">`) names a topic. Topics are registered here by the plugin registry, so a process naming
an unknown topic is a load problem. At runtime the task asks the run's `ScriptContext.call_service`
to handle it: a mapping of variables completes it, None leaves it waiting (STARTED) until the
caller finishes it with `ProcessRun.finish_service`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.formula import ANY, FieldInfo, FType
from engine.workflow.bpmn_parser import bpmn_tag, topic_of


@dataclass(frozen=True)
class Topic:
    name: str
    plugin: str
    blocking: bool = False
    outputs: Mapping[str, FType] = field(default_factory=dict)  # empty: the outputs are not declared


_TOPICS: dict[str, Topic] = {}
_KEYWORDS = frozenset({"and", "or", "not", "in", "if", "true", "false", "null", "params", "user"})
_IDENTIFIER = re.compile(r"(?<![.\w'\"$])([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")


def register(topic: Topic) -> None:
    _TOPICS[topic.name] = topic


def unregister(name: str) -> None:
    _TOPICS.pop(name, None)


def owner_of(name: str) -> str | None:
    topic = _TOPICS.get(name)
    return topic.plugin if topic is not None else None


def get(name: str) -> Topic | None:
    return _TOPICS.get(name)


def names() -> list[str]:
    return sorted(_TOPICS)


def output_fields(elements: Iterable[Any], known: Mapping[str, FieldInfo]) -> dict[str, FieldInfo]:
    """Variables the process's service tasks may set, for type-checking the conditions after them.

    Declared outputs keep their type. When a task's topic declares none, every name the process's
    conditions read that is not otherwise known may come from it, so it is `any`.
    """
    elements = list(elements)
    found: dict[str, FieldInfo] = {}
    undeclared = False
    for element in elements:
        if bpmn_tag(element) != "serviceTask":
            continue
        topic = _TOPICS.get(topic_of(element) or "")
        if topic is None:  # reported as such; its variables should not add a second error per condition
            undeclared = True
            continue
        found.update({name: FieldInfo(ftype) for name, ftype in topic.outputs.items()})
        undeclared = undeclared or not topic.outputs
    if undeclared:
        for element in elements:
            if bpmn_tag(element) in ("conditionExpression", "completionCondition", "loopCondition"):
                for name in _IDENTIFIER.findall(element.text or ""):
                    if name not in known and name not in found and name not in _KEYWORDS:
                        found[name] = FieldInfo(ANY)
    return found
