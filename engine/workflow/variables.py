"""The environment a process's expressions are checked against: entity fields plus process variables."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from engine.formula import ANY, NUMBER, TEXT, Environment, FieldInfo, FType
from engine.formula.types import unify
from engine.workflow import services
from engine.workflow.bpmn_parser import BPMN_NS, SPIFF_NS, bpmn_tag
from engine.workflow.scripts.expressions import ExpressionError, compile_script

# Set by ProcessRun on every task it completes; readable by every condition and script.
PROCESS_VARIABLES: Mapping[str, FType] = {
    "decision": TEXT,  # approve / reject / return
    "comment": TEXT,
    "submitter": TEXT,  # login name of the record's creator
    "actor": TEXT,  # login name of whoever completed the latest task
    "approvals": NUMBER,  # approve decisions in the current multi-instance
    "rejections": NUMBER,
}
_ASSIGNED = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*=(?!=)", re.MULTILINE)


def scripts_of(element: Any) -> list[tuple[Any, str]]:
    """Return the (element, text) of the script-task script and Spiff pre/post scripts of `element`."""
    found: list[tuple[Any, str]] = []
    if bpmn_tag(element) == "scriptTask":
        for script in element.iterfind(f"{{{BPMN_NS}}}script"):
            found.append((script, script.text or ""))
    for name in ("preScript", "postScript"):
        for script in element.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}{name}"):
            found.append((script, script.text or ""))
    return found


def process_environment(base: Environment, params: Mapping[str, FType], elements: Iterable[Any]) -> Environment:
    """Extend `base` with the process variables, multi-instance items and names scripts assign."""
    elements = list(elements)
    fields: dict[str, FieldInfo] = dict(base.fields)
    fields.update({name: FieldInfo(ftype) for name, ftype in PROCESS_VARIABLES.items()})
    for element in elements:
        if bpmn_tag(element) != "multiInstanceLoopCharacteristics":
            continue
        for tag in ("inputDataItem", "outputDataItem"):
            for item in element.iterfind(f"{{{BPMN_NS}}}{tag}"):
                if item.get("id"):
                    fields[item.get("id")] = FieldInfo(ANY)
        for output in element.iterfind(f"{{{BPMN_NS}}}loopDataOutputRef"):
            if output.text and output.text.strip():
                fields[output.text.strip()] = FieldInfo(FType.list_of(ANY))
    for name, info in services.output_fields(elements, fields).items():
        fields.setdefault(name, info)
    scripts = [text for element in elements for _, text in scripts_of(element)]
    for text in scripts:  # first pass: every assigned name exists, so scripts may read each other's
        for name in _ASSIGNED.findall(text):
            fields.setdefault(name, FieldInfo(ANY))
    env = Environment(fields, {**base.params, **params})
    inferred: dict[str, FType] = {}
    for text in scripts:
        try:
            assigned = compile_script(text, env)[1]
        except ExpressionError:
            continue  # reported where the script is checked
        for name, ftype in assigned.items():
            if name in base.fields or name in PROCESS_VARIABLES:
                continue
            previous = inferred.get(name)
            inferred[name] = ftype if previous is None else (unify(previous, ftype) or ANY)
    fields.update({name: FieldInfo(ftype) for name, ftype in inferred.items()})
    return Environment(fields, env.params)
