"""Loading BPMN: every problem names the file, the line and the element; nothing raises."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engine.errors import Problem
from engine.formula import MONEY, NUMBER, TEXT, TEXT_LIST, Environment, FieldInfo
from engine.workflow import ProcessCache, ProcessSpec, load_processes

ENV = Environment(
    fields={"total": FieldInfo(MONEY), "created_by": FieldInfo(TEXT), "approvers": FieldInfo(TEXT_LIST),
            "qty": FieldInfo(NUMBER)},
    params={"review_threshold": MONEY},
)
ROLES = ("manager", "finance", "project_manager")
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    id="defs" targetNamespace="http://formwork.example/bpmn">
"""
OUR_FILES = sorted((Path(__file__).parents[1] / "fixtures" / "bpmn").glob("*.bpmn"))


def process_xml(body: str, *, process_id: str = "p", lanes: str = "", executable: str = "true") -> str:
    lane_set = f'<bpmn:laneSet id="ls">{lanes}</bpmn:laneSet>' if lanes else ""
    return (f'{HEAD}<bpmn:process id="{process_id}" isExecutable="{executable}">{lane_set}\n'
            f"{body}\n</bpmn:process>\n</bpmn:definitions>\n")


def simple(task: str = '<bpmn:userTask id="approve" camunda:candidateGroups="manager" />', extra: str = "") -> str:
    """start -> task -> gateway -> end, with `extra` elements added to the process."""
    return process_xml(f"""<bpmn:startEvent id="start" />
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
{task}
<bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="done" />
<bpmn:endEvent id="done" />
{extra}""")


def load(text: str | dict[str, str], name: str = "approvals/claim.bpmn") -> tuple[ProcessSpec | None, list[Problem]]:
    files = text if isinstance(text, dict) else {name: text}
    return load_processes(files, name, origin="modules/labor", roles=ROLES, environment=ENV, params={})


def only_problem(text: str) -> Problem:
    process, problems = load(text)
    assert process is None
    assert len(problems) == 1, problems
    assert problems[0].file == "modules/labor/approvals/claim.bpmn"
    return problems[0]


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_a_valid_process_loads_with_its_tasks_and_end_events() -> None:
    process, problems = load(simple())
    assert problems == []
    assert process is not None and process.process_id == "p"
    assert process.tasks["approve"].roles == ("manager",)
    assert dict(process.end_events) == {"done": "done"}
    assert len(process.digest) == 64


def test_malformed_xml_reports_line_and_column() -> None:
    problem = only_problem(HEAD + "<bpmn:process id='p'>\n  <bpmn:startEvent id='s'>\n</bpmn:definitions>")
    assert problem.line == 7 and problem.column > 1
    assert "malformed XML" in problem.message


def test_no_executable_process_is_a_problem() -> None:
    text = simple().replace('isExecutable="true"', 'isExecutable="false"')
    assert "no executable process" in only_problem(text).message


def test_the_process_not_called_by_others_is_the_main_one() -> None:
    caller = process_xml("""<bpmn:startEvent id="s" /><bpmn:sequenceFlow id="a" sourceRef="s" targetRef="call" />
<bpmn:callActivity id="call" calledElement="sub" /><bpmn:sequenceFlow id="b" sourceRef="call" targetRef="e" />
<bpmn:endEvent id="e" />""", process_id="main")
    callee = ('<bpmn:process id="sub" isExecutable="true"><bpmn:startEvent id="s2" />'
              '<bpmn:sequenceFlow id="c" sourceRef="s2" targetRef="e2" /><bpmn:endEvent id="e2" /></bpmn:process>')
    process, problems = load(caller.replace("</bpmn:definitions>", callee + "</bpmn:definitions>"))
    assert problems == [] and process is not None and process.process_id == "main"


def test_two_independent_executable_processes_are_ambiguous() -> None:
    second = ('<bpmn:process id="other" isExecutable="true"><bpmn:startEvent id="s2" />'
              '<bpmn:sequenceFlow id="c" sourceRef="s2" targetRef="e2" /><bpmn:endEvent id="e2" /></bpmn:process>')
    problem = only_problem(simple().replace("</bpmn:definitions>", second + "</bpmn:definitions>"))
    assert "several executable processes ('p', 'other')" in problem.message


def test_missing_process_file_is_a_problem() -> None:
    _, problems = load_processes({"approvals/claim.bpmn": simple()}, "approvals/clam.bpmn", origin="m",
                                 roles=ROLES, environment=ENV, params={})
    assert "did you mean 'approvals/claim.bpmn'" in problems[0].message


@pytest.mark.parametrize(("lane", "message"), [
    ("manger", "lane 'manger' is not a declared role (did you mean 'manager'?)"),
    ("Accounting", "lane 'Accounting' is not a declared role"),
])
def test_lane_must_name_a_declared_role(lane: str, message: str) -> None:
    text = simple('<bpmn:userTask id="approve" />').replace(
        'isExecutable="true">', f'isExecutable="true"><bpmn:laneSet id="ls"><bpmn:lane id="l" name="{lane}">'
        "<bpmn:flowNodeRef>approve</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>")
    problem = only_problem(text)
    assert problem.line == line_of(text, '<bpmn:userTask id="approve"')
    assert problem.message.startswith("user task 'approve': " + message)


@pytest.mark.parametrize(("groups", "roles", "assignee"), [
    ("admin", ("admin",), None),
    ("Project Manager", ("project_manager",), None),
    ("submitter", (), "submitter"),
    ("initiator, finance", ("finance",), "submitter"),
])
def test_built_in_and_submitter_roles_are_allowed(groups: str, roles: tuple[str, ...], assignee: str | None) -> None:
    process, problems = load(simple(f'<bpmn:userTask id="approve" camunda:candidateGroups="{groups}" />'))
    assert problems == [] and process is not None
    assert (process.tasks["approve"].roles, process.tasks["approve"].assignee) == (roles, assignee)


def test_candidate_groups_must_be_declared_roles() -> None:
    problem = only_problem(simple('<bpmn:userTask id="approve" camunda:candidateGroups="manager, finanse" />'))
    assert "candidate group 'finanse' is not a declared role (did you mean 'finance'?)" in problem.message


def test_a_user_task_nobody_can_complete_is_a_problem() -> None:
    assert "nobody could complete it" in only_problem(simple('<bpmn:userTask id="approve" />')).message


def test_assignee_must_name_a_user_field() -> None:
    problem = only_problem(simple('<bpmn:userTask id="approve" camunda:assignee="${created_bye}" />'))
    assert "assignee '${created_bye}' names no field of the record (did you mean 'created_by'?)" in problem.message
    problem = only_problem(simple('<bpmn:userTask id="approve" camunda:assignee="${total}" />'))
    assert "must hold a login name" in problem.message


def condition_flow(condition: str) -> str:
    return simple(extra=f"""<bpmn:exclusiveGateway id="gw" default="f4" />
<bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="done">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="done" />""")


@pytest.mark.parametrize(("condition", "message"), [
    ("totl &gt; 5", "sequence flow 'f3': condition 'totl > 5': unknown field 'totl' (did you mean 'total'?)"),
    ("total &gt;", "sequence flow 'f3': condition 'total >': syntax error: unexpected end of formula"),
    ("total + 1", "expected a bool formula, found money"),
    ("params.threshold &gt; 1", "unknown parameter 'threshold' (did you mean 'review_threshold'?)"),
    ("__import__('os').system('touch /tmp/pwned')", "conditions are written in the formula language, not Python"),
    ("total &gt; 1 and True", "conditions are written in the formula language, not Python"),
    ("${a ? b : c}", "condition '${a ? b : c}': cannot be translated to the formula language: '?'"),
    ("${execution.getVariable('x')}", "method call execution.getVariable(...) cannot be translated"),
    ("= some r in approvers satisfies r = 'x'", "FEEL 'some' expressions have no equivalent"),
    ("", "the condition is empty"),
])
def test_bad_conditions_are_reported_at_their_line(condition: str, message: str) -> None:
    text = condition_flow(condition)
    problem = only_problem(text)
    assert message in problem.message
    assert problem.line == line_of(text, "<bpmn:conditionExpression")


def test_conditions_see_process_variables_and_params() -> None:
    process, problems = load(condition_flow(
        "decision == 'approve' and approvals &gt;= 1 and rejections == 0 and comment != null "
        "and submitter == actor and total &gt;= params.review_threshold"))
    assert problems == [] and process is not None


@pytest.mark.parametrize(("element", "message"), [
    ('<bpmn:businessRuleTask id="x" />', "business rule task 'x': business rule tasks (DMN) are not supported; use"),
    ('<bpmn:sendTask id="x" />', "send task 'x': send tasks are not supported; use a user task"),
    ('<bpmn:receiveTask id="x" />', "receive task 'x': receive tasks are not supported"),
    ('<bpmn:serviceTask id="x" camunda:class="a.B" />', "service task 'x': service tasks run plugin handlers"),
    ('<bpmn:complexGateway id="x" />', "complex gateway 'x': complex gateways are not supported; use an exclusive"),
    ('<bpmn:eventBasedGateway id="x" />', "event based gateway 'x': event-based gateways are not supported"),
    ('<bpmn:transaction id="x" />', "transaction 'x': transactions are not supported; use an embedded subprocess"),
    ('<bpmn:dataStoreReference id="x" />', "data store reference 'x': data stores are not supported"),
    ('<bpmn:intermediateCatchEvent id="x"><bpmn:messageEventDefinition /></bpmn:intermediateCatchEvent>',
     "intermediate catch event 'x': message events are not supported"),
    ('<bpmn:boundaryEvent id="x" attachedToRef="approve"><bpmn:compensateEventDefinition /></bpmn:boundaryEvent>',
     "boundary event 'x': compensation is not supported"),
    ('<bpmn:task id="x" isForCompensation="true" camunda:candidateGroups="manager" />',
     "task 'x': compensation is not supported"),
    ('<bpmn:scriptTask id="x"><bpmn:script>import os\nos.system("id")</bpmn:script></bpmn:scriptTask>',
     "script task 'x': scripts are `name = expression` lines in the formula language, not Python"),
    ('<bpmn:scriptTask id="x"><bpmn:script>x = 1\ny += 2</bpmn:script></bpmn:scriptTask>',
     "script task 'x': scripts are `name = expression` lines in the formula language, not Python"),
    ('<bpmn:scriptTask id="x" camunda:resource="deployment://a.groovy" />', "the script task has no script"),
    ('<bpmn:scriptTask id="x"><bpmn:script>total = total * 2</bpmn:script></bpmn:scriptTask>',
     "assigns 'total', a field of the record"),
    ('<bpmn:callActivity id="x" calledElement="nowhere" />', "call activity 'x': the called process 'nowhere' is not"),
    ('<bpmn:userTask id="x" camunda:candidateGroups="manager"><bpmn:extensionElements><camunda:taskListener '
     'event="create" class="a.B" /></bpmn:extensionElements></bpmn:userTask>', "Camunda listeners are not supported"),
])
def test_unsupported_elements_are_reported(element: str, message: str) -> None:
    text = simple(extra=element)
    process, problems = load(text)
    assert process is None
    assert any(message in p.message for p in problems), problems
    first = next(p for p in problems if message in p.message)
    start = line_of(text, element.split(">")[0])
    assert start <= first.line <= start + element.count("\n")  # a script's problem is on its offending line


@pytest.mark.parametrize("timer", ["PT4H", "P2D", "R3/PT1H", "2026-01-01T09:00:00Z", "'PT30M'",
                                   "if(total &gt; 100, 'PT1H', 'P1D')"])
def test_timers_accept_iso_literals_and_formulas(timer: str) -> None:
    process, problems = load(simple(extra=f"""<bpmn:boundaryEvent id="late" attachedToRef="approve">
<bpmn:timerEventDefinition><bpmn:timeDuration>{timer}</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:boundaryEvent><bpmn:sequenceFlow id="f9" sourceRef="late" targetRef="done" />"""))
    assert problems == [] and process is not None


@pytest.mark.parametrize(("timer", "message"), [
    ("0/5 0/1 * 1/1 * ?", "cron schedules are not supported; use an ISO 8601 cycle"),
    ("'tomorrow'", "'tomorrow' is not an ISO 8601 duration"),
    ("total + 1", "a timer must give an ISO 8601 text, a date or a datetime, not money"),
])
def test_bad_timers_are_reported(timer: str, message: str) -> None:
    text = simple(extra=f"""<bpmn:boundaryEvent id="late" attachedToRef="approve">
<bpmn:timerEventDefinition><bpmn:timeCycle>{timer}</bpmn:timeCycle></bpmn:timerEventDefinition>
</bpmn:boundaryEvent><bpmn:sequenceFlow id="f9" sourceRef="late" targetRef="done" />""")
    problem = only_problem(text)
    assert problem.message.startswith("boundary event 'late': ") and message in problem.message
    assert problem.line == line_of(text, "<bpmn:timeCycle>")


def test_script_names_become_typed_process_variables() -> None:
    text = simple('<bpmn:scriptTask id="approve"><bpmn:script>big = total &gt;= params.review_threshold\n'
                  "label = if(big, 'big', 'small')</bpmn:script></bpmn:scriptTask>",
                  extra=condition_flow("big and label == 'big'").split("<bpmn:endEvent id=\"done\" />")[1]
                  .split("</bpmn:process>")[0])
    process, problems = load(text)
    assert problems == [] and process is not None
    bad = text.replace("big and label == 'big'", "label &gt; 3")
    assert "cannot compare" in only_problem(bad).message or "compare" in only_problem(bad).message


def test_multi_instance_input_must_be_a_list_field() -> None:
    mi = ('<bpmn:userTask id="approve" camunda:assignee="${who}"><bpmn:multiInstanceLoopCharacteristics>'
          "<bpmn:loopDataInputRef>approverz</bpmn:loopDataInputRef><bpmn:inputDataItem id=\"who\" />"
          "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>")
    assert "multi-instance input 'approverz' is neither a field nor a process variable (did you mean 'approvers'?)" \
        in only_problem(simple(mi)).message
    assert "'total' is money, not a list" in only_problem(simple(mi.replace("approverz", "total"))).message
    process, problems = load(simple(mi.replace("approverz", "approvers")))
    assert problems == [] and process is not None and process.tasks["approve"].mi_item == "who"


def test_camunda_collection_is_refused_with_the_alternative() -> None:
    mi = ('<bpmn:userTask id="approve" camunda:candidateGroups="manager"><bpmn:multiInstanceLoopCharacteristics '
          'camunda:collection="${approvers}" camunda:elementVariable="a" /></bpmn:userTask>')
    _, problems = load(simple(mi))
    assert any("camunda:collection is not supported; use loopDataInputRef" in p.message for p in problems)


def test_duplicate_human_task_ids_across_called_processes_are_refused() -> None:
    caller = simple(extra='<bpmn:callActivity id="call" calledElement="sub" />')
    sub = process_xml('<bpmn:startEvent id="s" /><bpmn:sequenceFlow id="a" sourceRef="s" targetRef="approve" />'
                      '<bpmn:userTask id="approve" camunda:candidateGroups="finance" />', process_id="sub")
    _, problems = load({"approvals/claim.bpmn": caller, "approvals/sub.bpmn": sub})
    assert any("human task ids must be unique" in p.message and p.file.endswith("sub.bpmn") for p in problems)


def test_spiffworkflow_validation_errors_become_problems() -> None:
    text = simple('<bpmn:userTask id="approve" camunda:candidateGroups="manager">'
                  "<bpmn:standardLoopCharacteristics /></bpmn:userTask>")
    problem = only_problem(text)
    assert "loopMaximum or loopCondition" in problem.message
    assert problem.line == line_of(text, '<bpmn:userTask id="approve"')


def test_script_problems_point_at_the_offending_line() -> None:
    text = simple('<bpmn:scriptTask id="approve"><bpmn:script>a = 1\nb = a +\nc = 2</bpmn:script></bpmn:scriptTask>')
    problem = only_problem(text)
    assert problem.line == line_of(text, "b = a +")
    assert problem.message.startswith("script task 'approve': script ")


def test_external_entities_are_never_resolved() -> None:
    text = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            + simple('<bpmn:userTask id="approve" name="&e;" camunda:candidateGroups="manager" />').split("?>", 1)[1])
    process, _ = load(text)
    assert process is None or "root:" not in process.tasks["approve"].name


@pytest.mark.parametrize("path", OUR_FILES, ids=lambda p: p.name)
def test_load_never_raises_on_truncated_or_mangled_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    variants = [text[:cut] for cut in range(0, len(text), max(1, len(text) // 40))]
    variants += [text.replace('id="', 'id="x', 3), text.replace("sourceRef", "sourceref"), text.replace(">", ">\0", 1)]
    for variant in variants:
        process, problems = load(variant)
        assert (process is None) == bool(problems)


def test_cache_parses_once_and_finds_processes_by_digest() -> None:
    cache = ProcessCache(max_size=2)
    files = {"approvals/claim.bpmn": simple()}

    def cached(module: dict[str, str]) -> tuple[ProcessSpec | None, list[Problem]]:
        return cache.load(module, "approvals/claim.bpmn", origin="m", roles=ROLES, environment=ENV, params={})

    results: list[ProcessSpec | None] = []
    threads = [threading.Thread(target=lambda: results.append(cached(files)[0])) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first = results[0]
    assert first is not None and all(r is first for r in results)
    assert cache.get(first.digest) is first
    bad, problems = cached({"approvals/claim.bpmn": "<oops"})
    assert bad is None and problems
    other = {"approvals/claim.bpmn": simple().replace('id="done"', 'id="finished"').replace('"done"', '"finished"')}
    assert cached(other)[0] is not None
    assert len(cache) == 2  # bounded: the oldest entry went
