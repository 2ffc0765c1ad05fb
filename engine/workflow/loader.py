"""Load an entity's approval process from a module's BPMN files: validate it, then build its specs."""

from __future__ import annotations

import difflib
import hashlib
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.core.declaration_codes import problem_at
from engine.errors import Problem
from engine.formula import Environment, FType
from engine.workflow.bpmn_parser import (
    BPMN_NS,
    FormworkBpmnParser,
    TopicServiceTask,
    bpmn_tag,
    parse_xml,
    prepare_for_sharing,
    read_assignment,
)
from engine.workflow.checks import ElementChecker, Report, element_params, owner_of
from engine.workflow.human_tasks import HUMAN_TASKS, HumanTaskReader, lane_index
from engine.workflow.scripts.expressions import ExpressionTable
from engine.workflow.spec import ProcessSpec, TaskMeta
from engine.workflow.variables import process_environment

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Process:
    id: str
    file: str
    element: Any
    is_executable: bool


def load_processes(
    files: Mapping[str, str],
    process_file: str,
    *,
    origin: str,
    roles: Collection[str],
    environment: Environment,
    params: Mapping[str, FType],
) -> tuple[ProcessSpec | None, list[Problem]]:
    """Validate and parse the process of `process_file`; return it, or None and every problem found.

    `files` are all the module's files by relative path (the `.bpmn` ones are read, so call
    activities may name processes of other files); `origin` prefixes the paths in problems. Never
    raises: anything unexpected on these tenant-written files becomes a problem too.
    """
    loader = _Loader(files, origin=origin, roles=roles, environment=environment, params=params)
    try:
        return loader.load(process_file)
    except Exception as error:  # the boundary for untrusted files: report, never crash
        logger.exception("unexpected failure loading %s/%s", origin, process_file)
        problem = problem_at(f"{origin}/{process_file}", 1, 1, "decl_bpmn_unloadable", {"reason": repr(error)})
        return None, [*loader.problems, problem]


class _Loader:
    def __init__(
        self, files: Mapping[str, str], *, origin: str, roles: Collection[str], environment: Environment,
        params: Mapping[str, FType],
    ) -> None:
        self.files = files
        self.origin = origin
        self.roles = roles
        self.environment = environment
        self.params = params
        self.problems: list[Problem] = []
        self.documents: dict[str, Any] = {}
        self.processes: dict[str, _Process] = {}

    def problem(self, path: str, line: int | None, code: str, params: Mapping[str, Any] | None = None,
                column: int = 1, element: str | None = None) -> None:
        self.problems.append(problem_at(f"{self.origin}/{path}", line or 1, column or 1, code, params, element))

    def reporter(self, path: str) -> Report:
        def report(element: Any, code: str, params: Mapping[str, Any] | None = None, line: int = 1) -> None:
            owner = owner_of(element)
            self.problem(path, (element.sourceline or 1) + line - 1, code, {**(params or {}), **element_params(owner)},
                         element=owner.get("id") or None)

        return report

    def load(self, process_file: str) -> tuple[ProcessSpec | None, list[Problem]]:
        if process_file not in self.files:
            close = difflib.get_close_matches(process_file, [p for p in self.files if p.endswith(".bpmn")], n=1)
            self.problem(process_file, 1, "decl_bpmn_file_missing",
                         {"file": process_file, "suggestion": close[0] if close else ""})
            return None, self.problems
        self._read_documents(process_file)
        if process_file not in self.documents:
            return None, self.problems
        main = self._main_process(process_file)
        if main is None:
            return None, self.problems
        used = self._used_processes(main)
        expressions, tasks = self._check(used)
        if self.problems:
            return None, self.problems
        return self._build(main, used, expressions, tasks), self.problems

    def _read_documents(self, process_file: str) -> None:
        for path in sorted(self.files):
            if not path.endswith(".bpmn") and path != process_file:
                continue
            try:
                root = parse_xml(self.files[path])
            except etree.XMLSyntaxError as error:
                line, column = error.position if error.position else (error.lineno, 1)
                self.problem(path, line, "decl_bpmn_malformed_xml", {"reason": error.msg}, column)
                continue
            if bpmn_tag(root) != "definitions":
                self.problem(path, root.sourceline, "decl_bpmn_not_bpmn")
                continue
            self.documents[path] = root
            for element in root.iterfind(f"{{{BPMN_NS}}}process"):
                process_id = element.get("id") or ""
                if process_id in self.processes:
                    other = self.processes[process_id].file
                    self.problem(path, element.sourceline, "decl_bpmn_process_duplicate",
                                 {"process": process_id, "file": other})
                    continue
                executable = element.get("isExecutable", "true") == "true"
                self.processes[process_id] = _Process(process_id, path, element, executable)

    def _main_process(self, process_file: str) -> _Process | None:
        root = self.documents[process_file]
        candidates = [p for p in self.processes.values() if p.file == process_file and p.is_executable]
        if not candidates:
            self.problem(process_file, root.sourceline, "decl_bpmn_no_executable")
            return None
        if len(candidates) > 1:
            called = {e.get("calledElement") for p in self.processes.values()
                      for e in p.element.iter(f"{{{BPMN_NS}}}callActivity")}
            candidates = [p for p in candidates if p.id not in called]
            if len(candidates) != 1:
                main_ids = [p.id for p in self.processes.values() if p.file == process_file and p.is_executable]
                ids = ", ".join(map(repr, main_ids))
                self.problem(process_file, root.sourceline, "decl_bpmn_several_executable", {"ids": ids})
                return None
        return candidates[0]

    def _used_processes(self, main: _Process) -> list[_Process]:
        used, queue = [main], [main]
        while queue:
            process = queue.pop()
            for call in process.element.iter(f"{{{BPMN_NS}}}callActivity"):
                callee = self.processes.get((call.get("calledElement") or "").strip())
                if callee is None or callee in used:
                    continue
                if not callee.is_executable:
                    self.reporter(process.file)(call, f"the called process {callee.id!r} is not executable; "
                                                      'mark it isExecutable="true"')
                used.append(callee)
                queue.append(callee)
        return used

    def _check(self, used: list[_Process]) -> tuple[ExpressionTable, dict[str, TaskMeta]]:
        elements = [e for process in used for e in process.element.iter()]
        env = process_environment(self.environment, self.params, elements)
        expressions = ExpressionTable(env)
        tasks: dict[str, TaskMeta] = {}
        for process in used:
            report = self.reporter(process.file)
            checker = ElementChecker(env=env, record_fields=self.environment.fields, expressions=expressions,
                                     process_ids=self.processes, report=report)
            reader = HumanTaskReader(roles=self.roles, env=env, checker=checker, report=report)
            lanes = lane_index(self.documents[process.file])
            nodes = {e.get("id"): e for e in process.element.iter() if e.get("id")}
            flows: dict[str, list[Any]] = {}
            for flow in process.element.iter(f"{{{BPMN_NS}}}sequenceFlow"):
                flows.setdefault(flow.get("sourceRef") or "", []).append(flow)
            reader.check_cc(process.element, read_assignment(process.element).cc)
            for element in process.element.iter():
                checker.check(element)
                if bpmn_tag(element) in HUMAN_TASKS:
                    meta = reader.read(element, lane=lanes.get(element.get("id") or ""), process_id=process.id,
                                       flows=flows, nodes=nodes)
                    if meta.bpmn_id in tasks:
                        report(element, "decl_bpmn_task_id_reused", {"process": tasks[meta.bpmn_id].process_id})
                    tasks[meta.bpmn_id] = meta
        return expressions, tasks

    def _build(
        self, main: _Process, used: list[_Process], expressions: ExpressionTable, tasks: dict[str, TaskMeta]
    ) -> ProcessSpec | None:
        files = sorted({process.file for process in used})
        parser = FormworkBpmnParser()
        try:
            for path in files:
                parser.add_bpmn_xml(self.documents[path], filename=path)
            spec = parser.get_spec(main.id)
            subprocess_specs = parser.get_subprocess_specs(main.id)
        except ValidationException as error:
            self._spiff_problem(error, main.file)
            return None
        prepare_for_sharing(spec, *subprocess_specs.values())
        digest = hashlib.sha256(main.id.encode())
        for path in files:
            digest.update(b"\0" + path.encode() + b"\0" + self.files[path].encode("utf-8", "surrogateescape"))
        end_events = {e.get("id"): (e.get("name") or e.get("id")).strip()
                      for e in main.element.iterfind(f"{{{BPMN_NS}}}endEvent") if e.get("id")}
        return ProcessSpec(
            process_id=main.id, digest=digest.hexdigest(), spec=spec, subprocess_specs=subprocess_specs,
            tasks=tasks, end_events=end_events, expressions=expressions, files=tuple(files),
            name=(main.element.get("name") or main.id).strip(), cc=read_assignment(main.element).cc,
            has_service_tasks=any(isinstance(task, TopicServiceTask) for each in (spec, *subprocess_specs.values())
                                  for task in each.task_specs.values()),
        )

    def _spiff_problem(self, error: ValidationException, default_file: str) -> None:
        path = error.file_name if error.file_name in self.documents else default_file
        element = next((e for e in self.documents[path].iter() if error.id and e.get("id") == error.id), None)
        line = element.sourceline if element is not None else error.line_number or 1
        params = element_params(element) if element is not None else {}
        self.problem(path, line if isinstance(line, int) else 1, "decl_bpmn_invalid",
                     {**params, "reason": str(error.args[0] if error.args else error)},
                     element=element.get("id") if element is not None else None)
