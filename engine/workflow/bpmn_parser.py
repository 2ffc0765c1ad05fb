"""Read BPMN XML safely and build SpiffWorkflow specs that know Camunda/Zeebe/Spiff task assignment.

`parse_xml` uses a hardened lxml parser (no DTDs, no entities, no network): BPMN files come from
tenants. `FormworkBpmnParser` is SpiffWorkflow's `SpiffBpmnParser` whose user, manual and none
tasks also carry `candidateGroups`, `candidateUsers`, `assignee` and `dueDate` in
`task_spec.extensions`, read from any of the three dialects (a file may mix them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser, UserTaskParser
from SpiffWorkflow.spiff.specs.defaults import ManualTask, NoneTask, UserTask
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# Task properties that relax the separation of duties for one step ("false" / "true").
DUTY_PROPERTIES = ("separation_of_duties", "allow_same_approver")
NSMAP = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "zeebe": ZEEBE_NS, "spiffworkflow": SPIFF_NS}

_SAFE_PARSER = etree.XMLParser(
    encoding="utf-8", resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
    remove_comments=True, remove_pis=True,
)


def parse_xml(text: str) -> Any:
    """Parse BPMN text into an lxml root element; raise etree.XMLSyntaxError (with line, column).

    The text is already decoded, so its `encoding=` declaration is overridden; undecodable bytes
    kept as surrogates (`errors="surrogateescape"`) reach lxml and are reported with their line.
    """
    root = etree.fromstring(text.encode("utf-8", errors="surrogateescape"), _SAFE_PARSER)
    if root is None:
        raise etree.XMLSyntaxError("the file is empty", None, 1, 1)
    return root


def bpmn_tag(element: Any) -> str | None:
    """Return the local name of a BPMN-namespace element, or None for other elements."""
    tag = element.tag
    if not isinstance(tag, str) or not tag.startswith("{" + BPMN_NS + "}"):
        return None
    return tag[len(BPMN_NS) + 2:]


@dataclass(frozen=True)
class Assignment:
    """Who may work on a human task, as written in the file (not yet checked)."""

    groups: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    assignee: str | None = None
    due: str | None = None
    editable: tuple[str, ...] = ()   # record fields the task's performer may still change
    duties: dict[str, str] | None = None   # separation_of_duties / allow_same_approver, as written
    cc: tuple[str, ...] = ()         # 抄送: roles and `user:<name>`s told of the step and allowed to read the record


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def read_assignment(node: Any) -> Assignment:
    """Read candidate groups/users, assignee and due date from Camunda, Zeebe or Spiff markup."""
    found: dict[str, str] = {}
    for name in ("candidateGroups", "candidateUsers", "assignee", "dueDate"):
        value = node.get(f"{{{CAMUNDA_NS}}}{name}")
        if value is not None and value.strip():
            found[name] = value
    for zeebe in node.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{ZEEBE_NS}}}assignmentDefinition"):
        for name in ("candidateGroups", "candidateUsers", "assignee"):
            if zeebe.get(name):
                found.setdefault(name, zeebe.get(name))
    for schedule in node.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{ZEEBE_NS}}}taskSchedule"):
        if schedule.get("dueDate"):
            found.setdefault("dueDate", schedule.get("dueDate"))
    for namespace in (SPIFF_NS, CAMUNDA_NS, ZEEBE_NS):
        path = f"{{{BPMN_NS}}}extensionElements/{{{namespace}}}properties/{{{namespace}}}property"
        for prop in node.iterfind(path):
            name, value = prop.get("name"), prop.get("value")
            if name in ("candidateGroups", "candidateUsers", "assignee", "dueDate", "editable", "cc",
                        *DUTY_PROPERTIES) and value and value.strip():
                found.setdefault(name, value)
    return Assignment(
        groups=_split(found.get("candidateGroups")),
        users=_split(found.get("candidateUsers")),
        assignee=found.get("assignee"),
        due=found.get("dueDate"),
        editable=_split(found.get("editable")),
        duties={name: found[name].strip() for name in DUTY_PROPERTIES if name in found} or None,
        cc=_split(found.get("cc")),
    )


def _with_assignment(extensions: dict[str, Any], node: Any) -> dict[str, Any]:
    assignment = read_assignment(node)
    if assignment.groups:
        extensions["candidateGroups"] = list(assignment.groups)
    if assignment.users:
        extensions["candidateUsers"] = list(assignment.users)
    if assignment.assignee is not None:
        extensions["assignee"] = assignment.assignee
    if assignment.due is not None:
        extensions["dueDate"] = assignment.due
    return extensions


class AssignmentUserTaskParser(UserTaskParser):  # type: ignore[misc]
    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        return _with_assignment(super().parse_extensions(node), self.node if node is None else node)


class AssignmentTaskParser(SpiffTaskParser):  # type: ignore[misc]
    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        return _with_assignment(super().parse_extensions(node), self.node if node is None else node)


def topic_of(element: Any) -> str | None:
    """The topic a service task element names, in any of the three dialects; None if it names none."""
    topic = element.get(f"{{{CAMUNDA_NS}}}topic")
    if topic:
        return str(topic).strip()
    for definition in element.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{ZEEBE_NS}}}taskDefinition"):
        if definition.get("type"):
            return str(definition.get("type")).strip()
    for operator in element.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}serviceTaskOperator"):
        if operator.get("id"):
            return str(operator.get("id")).strip()
    return None


class TopicServiceTask(SpiffBpmnTask):  # type: ignore[misc]
    """A service task handled by the plugin registered for `topic` (see `engine.workflow.services`)."""

    def __init__(self, wf_spec: Any, bpmn_id: str, topic: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic

    def _run_hook(self, task: Any) -> bool | None:
        result: bool | None = task.workflow.script_engine.call_service(task, topic=self.topic)
        return result


class TopicServiceTaskParser(SpiffTaskParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        extensions = self.parse_extensions()
        return self.spec_class(self.spec, self.bpmn_id, topic=topic_of(self.node) or "",
                               prescript=extensions.get("preScript"), postscript=extensions.get("postScript"),
                               **self.bpmn_attributes)


class FormworkBpmnParser(SpiffBpmnParser):  # type: ignore[misc]
    """SpiffBpmnParser whose human tasks carry Camunda/Zeebe/Spiff assignment in `extensions`."""

    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, tuple[type, type]]] = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (AssignmentUserTaskParser, UserTask),
        full_tag("manualTask"): (AssignmentTaskParser, ManualTask),
        full_tag("task"): (AssignmentTaskParser, NoneTask),
        full_tag("serviceTask"): (TopicServiceTaskParser, TopicServiceTask),
    }


def prepare_for_sharing(*specs: Any) -> None:
    """Do now the one change SpiffWorkflow makes to a spec at runtime, so threads can share it read-only.

    A loop or multi-instance task connects its child's `completed_event` the first time it runs;
    two threads doing that at once could connect it twice (and merge every child twice).
    """
    for spec in specs:
        for task_spec in list(spec.task_specs.values()):
            if isinstance(task_spec, LoopTask) and task_spec.task_spec in spec.task_specs:
                child = spec.task_specs[task_spec.task_spec]
                if not child.completed_event.is_connected(task_spec.merge_child):
                    child.completed_event.connect(task_spec.merge_child)
