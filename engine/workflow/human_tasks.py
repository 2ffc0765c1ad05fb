"""Read who may complete each human task (lane, candidate groups, assignee) and check it against the roles."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from typing import Any

from engine.formula import Environment, Kind
from engine.workflow.bpmn_parser import BPMN_NS, bpmn_tag, read_assignment
from engine.workflow.checks import ElementChecker, Report
from engine.workflow.scripts.dialects import ASSIGNEE_SUBMITTER, assignee_name, is_submitter_role
from engine.workflow.spec import TaskMeta
from engine.workflow.variables import PROCESS_VARIABLES

HUMAN_TASKS = frozenset({"userTask", "manualTask", "task"})
BUILT_IN_ROLES = ("admin",)
_RETURN_LITERAL = re.compile(r"""(['"])return\1""")
_GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway"})


def lane_index(root: Any) -> dict[str, str]:
    """Map each flow node id of a document to the name of the innermost named lane holding it."""
    found: dict[str, tuple[int, str]] = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        name = (lane.get("name") or "").strip()
        if not name:
            continue
        depth = sum(1 for _ in lane.iterancestors())
        for ref in lane.iterfind(f"{{{BPMN_NS}}}flowNodeRef"):
            node_id = (ref.text or "").strip()
            if node_id and (node_id not in found or found[node_id][0] < depth):
                found[node_id] = (depth, name)
    return {node_id: name for node_id, (_, name) in found.items()}


def _normal(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip()).lower()


class HumanTaskReader:
    """Turn user/manual/none tasks into `TaskMeta`, reporting undeclared roles and bad assignees."""

    def __init__(self, *, roles: Collection[str], env: Environment, checker: ElementChecker, report: Report) -> None:
        self.roles = {role: role for role in (*roles, *BUILT_IN_ROLES)}
        self.normal_roles = {_normal(role): role for role in self.roles}
        self.env = env
        self.checker = checker
        self.report = report

    def read(
        self, element: Any, *, lane: str | None, process_id: str, flows: Mapping[str, list[Any]],
        nodes: Mapping[str, Any],
    ) -> TaskMeta:
        bpmn_id = element.get("id") or ""
        assignment = read_assignment(element)
        sources = assignment.groups or ((lane,) if lane else ())
        what = "candidate group" if assignment.groups else "lane"
        roles: list[str] = []
        assignee: str | None = None
        for source in sources:
            if is_submitter_role(source):
                assignee = ASSIGNEE_SUBMITTER
                continue
            role = self._role(source)
            if role is None:
                self.report(element, "decl_bpmn_role_unknown",
                            {"what": what, "role": source, "suggestion": self._closest(source)})
            elif role not in roles:
                roles.append(role)
        mi = element.find(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics")
        mi_item = None
        if mi is not None:
            item = mi.find(f"{{{BPMN_NS}}}inputDataItem")
            mi_item = item.get("id") if item is not None else None
        if assignment.assignee is not None:
            assignee = self._assignee(element, assignment.assignee, mi_item)
        if not sources and assignment.assignee is None and not assignment.users:
            self.report(element, "decl_bpmn_task_unassigned")
        if assignment.due is not None:
            self.checker.timer(element, "due date", assignment.due)
        for field in assignment.editable:
            if field not in self.env.fields or field in PROCESS_VARIABLES:
                close = difflib.get_close_matches(field, list(self.env.fields), n=1)
                self.report(element, "decl_bpmn_editable_unknown",
                            {"field": field, "suggestion": close[0] if close else ""})
        duties = dict(assignment.duties or {})
        for name, value in duties.items():
            if value.lower() not in ("true", "false"):
                self.report(element, "decl_bpmn_property_boolean", {"name": name, "value": value})
        self.check_cc(element, assignment.cc)
        documentation = element.find(f"{{{BPMN_NS}}}documentation")
        return TaskMeta(
            bpmn_id=bpmn_id,
            name=(element.get("name") or bpmn_id).strip(),
            roles=tuple(roles),
            assignee=assignee,
            due=assignment.due,
            is_multi_instance=mi is not None,
            allows_return=_routes_on_return(bpmn_id, flows, nodes),
            candidate_users=assignment.users,
            lane=lane,
            process_id=process_id,
            mi_item=mi_item,
            documentation=documentation.text.strip() if documentation is not None and documentation.text else None,
            editable=assignment.editable,
            separation_of_duties=duties.get("separation_of_duties", "true").lower() != "false",
            allow_same_approver=duties.get("allow_same_approver", "false").lower() == "true",
            cc=tuple(entry if entry.startswith("user:") else self._role(entry) or entry for entry in assignment.cc),
        )

    def check_cc(self, element: Any, entries: Collection[str]) -> None:
        """A `cc` property names declared roles or `user:<login>`s (the users are the tenant's, checked at runtime)."""
        for entry in entries:
            if entry.startswith("user:"):
                if not entry[len("user:"):].strip():
                    self.report(element, "decl_bpmn_cc_user_empty")
            elif self._role(entry) is None or is_submitter_role(entry):
                self.report(element, "decl_bpmn_cc_unknown_role", {"role": entry, "suggestion": self._closest(entry)})

    def _role(self, name: str) -> str | None:
        return self.roles.get(name.strip()) or self.normal_roles.get(_normal(name))

    def _closest(self, name: str) -> str:
        close = difflib.get_close_matches(name, [*self.roles, "submitter"], n=1)
        if not close:
            close = difflib.get_close_matches(_normal(name), [*self.normal_roles, "submitter"], n=1)
        return close[0] if close else ""

    def _assignee(self, element: Any, raw: str, mi_item: str | None) -> str | None:
        name = assignee_name(raw)
        if name in (ASSIGNEE_SUBMITTER, mi_item):
            return name
        info = self.env.fields.get(name)
        if info is None:
            close = difflib.get_close_matches(name, [*self.env.fields, "submitter"], n=1)
            self.report(element, "decl_bpmn_assignee_unknown",
                        {"assignee": raw, "suggestion": close[0] if close else ""})
            return None
        if info.type.kind not in (Kind.TEXT, Kind.ANY):
            self.report(element, "decl_bpmn_assignee_type", {"assignee": raw, "type": info.type})
            return None
        return name


def _routes_on_return(bpmn_id: str, flows: Mapping[str, list[Any]], nodes: Mapping[str, Any]) -> bool:
    """Whether a flow leaving the task, or one leaving the gateway right after it, tests for 'return'."""
    candidates = list(flows.get(bpmn_id, []))
    for flow in flows.get(bpmn_id, []):
        target = nodes.get(flow.get("targetRef") or "")
        if target is not None and bpmn_tag(target) in _GATEWAYS:
            candidates.extend(flows.get(target.get("id") or "", []))
    for flow in candidates:
        condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
        if condition is not None and _RETURN_LITERAL.search(condition.text or ""):
            return True
    return False
