"""Approval idioms end to end: every step goes through dump() -> JSON -> restore()."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.errors import FormworkError
from engine.formula import MONEY, TEXT, TEXT_LIST, Environment, FieldInfo
from engine.workflow import (
    InvalidDecision,
    InvalidProcessData,
    OpenTask,
    ProcessFinished,
    ProcessRun,
    ProcessSpec,
    ScriptContext,
    StateMismatch,
    TaskNotFound,
    TaskNotReady,
    load_processes,
)

BPMN = Path(__file__).parents[1] / "fixtures" / "bpmn"
FILES = {f"approvals/{path.name}": path.read_text(encoding="utf-8") for path in BPMN.glob("*.bpmn")}
ENV = Environment(
    fields={
        "title": FieldInfo(TEXT),
        "total": FieldInfo(MONEY),
        "created_by": FieldInfo(TEXT),
        "reviewer": FieldInfo(TEXT),
        "approvers": FieldInfo(TEXT_LIST),
    },
    params={"review_threshold": MONEY, "escalate_after": TEXT},
)
ROLES = ("applicant", "manager", "director", "finance")
CTX = ScriptContext(params={"review_threshold": Decimal("5000"), "escalate_after": "P1D"})


def load(name: str) -> ProcessSpec:
    process, problems = load_processes(
        FILES, f"approvals/{name}", origin="labor", roles=ROLES, environment=ENV, params={}
    )
    assert problems == []
    assert process is not None
    return process


def stored(run: ProcessRun) -> ProcessRun:
    """Save and load the run the way the web layer does between requests."""
    state = json.loads(json.dumps(run.dump()))
    return ProcessRun.restore(run.process, state, engine=CTX)


def start(name: str, **data: Any) -> ProcessRun:
    record = {"title": "Cement", "total": Decimal("100"), "created_by": "ann", "submitter": "ann", **data}
    return stored(ProcessRun.start(load(name), record, engine=CTX))


def waiting(run: ProcessRun) -> list[str]:
    return sorted(task.bpmn_id for task in run.open_tasks())


def task_of(run: ProcessRun, bpmn_id: str, assignee: str | None = None) -> OpenTask:
    matches = [t for t in run.open_tasks() if t.bpmn_id == bpmn_id and (assignee is None or t.assignee == assignee)]
    assert len(matches) == 1, run.open_tasks()
    return matches[0]


def decide(
    run: ProcessRun, bpmn_id: str, decision: str, *, actor: str = "bob", assignee: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> ProcessRun:
    task = task_of(run, bpmn_id, assignee)
    run.complete(task.id, decision=decision, comment=f"{decision} by {actor}", actor=actor, data=data)
    return stored(run)


@pytest.mark.parametrize(("total", "steps", "end"), [
    (Decimal("4999.99"), ["manager_approve"], "approved"),
    (Decimal("5000"), ["manager_approve", "finance_review"], "approved"),
])
def test_threshold_from_params_adds_a_review_step(total: Decimal, steps: list[str], end: str) -> None:
    run = start("threshold.bpmn", total=total)
    for step in steps:
        assert waiting(run) == [step]
        run = decide(run, step, "approve")
    assert run.is_completed and run.end_event == end


def test_threshold_follows_the_parameter_value_at_runtime() -> None:
    process = load("threshold.bpmn")
    strict = ScriptContext(params={"review_threshold": Decimal("50")})
    run = ProcessRun.start(process, {"total": Decimal("100"), "submitter": "ann"}, engine=strict)
    run = ProcessRun.restore(process, json.loads(json.dumps(run.dump())), engine=strict)
    run.complete(task_of(run, "manager_approve").id, decision="approve", comment=None, actor="bob")
    run = ProcessRun.restore(process, json.loads(json.dumps(run.dump())), engine=strict)
    assert waiting(run) == ["finance_review"]


def test_lane_names_map_to_declared_roles() -> None:
    run = start("threshold.bpmn", total=Decimal("9000"))
    assert task_of(run, "manager_approve").roles == ("manager",)
    run = decide(run, "manager_approve", "approve")
    assert task_of(run, "finance_review").roles == ("finance",)  # lane "Finance"


def test_sequential_levels_run_in_order_and_a_reject_ends_them() -> None:
    run = start("sequential.bpmn")
    for level, role in (("level_1", "manager"), ("level_2", "director"), ("level_3", "finance")):
        assert task_of(run, level).roles == (role,)
        run = decide(run, level, "approve")
    assert run.end_event == "approved"

    run = start("sequential.bpmn")
    run = decide(run, "level_1", "approve")
    run = decide(run, "level_2", "reject")
    assert run.is_completed and run.end_event == "rejected"
    assert run.data["decision"] == "reject" and run.data["actor"] == "bob"


def test_countersign_needs_every_approver() -> None:
    run = start("countersign.bpmn", approvers=["amy", "ben", "cat"])
    tasks = run.open_tasks()
    assert sorted(t.assignee or "" for t in tasks) == ["amy", "ben", "cat"]
    assert {t.mi_item for t in tasks} == {"amy", "ben", "cat"}
    assert all(t.roles == ("manager",) for t in tasks)
    for approver in ("cat", "amy"):
        run = decide(run, "countersign", "approve", actor=approver, assignee=approver)
        assert not run.is_completed
    run = decide(run, "countersign", "approve", actor="ben", assignee="ben")
    assert run.end_event == "approved"
    assert run.data["approvals"] == 3
    assert [v["actor"] for v in run.data["votes"]] == ["cat", "amy", "ben"]


def test_countersign_one_reject_ends_it_as_rejected() -> None:
    run = start("countersign.bpmn", approvers=["amy", "ben", "cat"])
    run = decide(run, "countersign", "approve", actor="amy", assignee="amy")
    run = decide(run, "countersign", "reject", actor="ben", assignee="ben")
    assert run.is_completed and run.end_event == "rejected"
    assert run.open_tasks() == []
    assert (run.data["approvals"], run.data["rejections"]) == (1, 1)


def test_orsign_first_approve_wins_and_cancels_the_others() -> None:
    run = start("orsign.bpmn", approvers=["amy", "ben", "cat"])
    assert len(run.open_tasks()) == 3
    assert task_of(run, "orsign", "amy").roles == ("manager", "director")
    ben_task = task_of(run, "orsign", "ben").id
    run = decide(run, "orsign", "reject", actor="amy", assignee="amy")
    assert len(run.open_tasks()) == 2
    run = decide(run, "orsign", "approve", actor="cat", assignee="cat")
    assert run.end_event == "approved"
    with pytest.raises(TaskNotReady, match="cancelled"):
        run.complete(ben_task, decision="approve", comment=None, actor="ben")


def test_orsign_all_reject_is_rejected() -> None:
    run = start("orsign.bpmn", approvers=["amy", "ben"])
    run = decide(run, "orsign", "reject", actor="amy", assignee="amy")
    run = decide(run, "orsign", "reject", actor="ben", assignee="ben")
    assert run.end_event == "rejected"


def test_return_to_submitter_then_resubmit_continues() -> None:
    run = start("return_to_submitter.bpmn")
    assert task_of(run, "manager_approve").allows_return
    run = decide(run, "manager_approve", "return")
    resubmit = task_of(run, "resubmit")
    assert resubmit.assignee == "ann" and resubmit.roles == ()
    run = decide(run, "resubmit", "approve", actor="ann", data={"note": "receipt attached"})
    assert waiting(run) == ["manager_approve"]
    run = decide(run, "manager_approve", "approve")
    assert run.end_event == "approved"
    assert run.data["note"] == "receipt attached"


def test_return_is_refused_where_the_process_has_no_path_for_it() -> None:
    run = start("threshold.bpmn")
    task = task_of(run, "manager_approve")
    assert not task.allows_return
    with pytest.raises(InvalidDecision, match="cannot be returned"):
        run.complete(task.id, decision="return", comment=None, actor="bob")
    with pytest.raises(InvalidDecision, match="not one of approve, reject, return"):
        run.complete(task.id, decision="maybe", comment=None, actor="bob")


def test_withdrawal_cancels_the_run() -> None:
    run = start("threshold.bpmn")
    task = task_of(run, "manager_approve")
    run.withdraw(actor="ann", comment="duplicate")
    run = stored(run)
    assert run.is_completed and run.is_withdrawn
    assert run.end_event is None and run.open_tasks() == []
    with pytest.raises(TaskNotReady):
        run.complete(task.id, decision="approve", comment=None, actor="bob")
    with pytest.raises(ProcessFinished, match="already finished"):
        run.withdraw(actor="ann")


def test_a_finished_run_cannot_be_withdrawn() -> None:
    run = decide(start("threshold.bpmn"), "manager_approve", "approve")
    with pytest.raises(ProcessFinished, match=r"already finished \(approved\)"):
        run.withdraw(actor="ann")


def test_restore_leaves_the_stored_state_untouched() -> None:
    run = decide(stored(ProcessRun.start(load("call_main.bpmn"), {"submitter": "ann"}, engine=CTX)),
                 "manager_approve", "approve")
    state = json.loads(json.dumps(run.dump()))
    before = json.dumps(state, sort_keys=True)
    first = ProcessRun.restore(run.process, state, engine=CTX)
    second = ProcessRun.restore(run.process, state, engine=CTX)
    assert json.dumps(state, sort_keys=True) == before
    assert [t.id for t in first.open_tasks()] == [t.id for t in second.open_tasks()]


def test_assignee_names_the_creator_a_user_field_or_the_submitter() -> None:
    run = start("assignee.bpmn", created_by="carl", reviewer="rita", submitter="sam")
    assert task_of(run, "creator_confirm").assignee == "carl"
    run = decide(run, "creator_confirm", "approve", actor="carl")
    assert task_of(run, "reviewer_check").assignee == "rita"
    run = decide(run, "reviewer_check", "approve", actor="rita")
    assert task_of(run, "initiator_ack").assignee == "sam"
    run = decide(run, "initiator_ack", "approve", actor="sam")
    assert run.end_event == "done"


def test_timer_escalates_to_the_next_role() -> None:
    run = start("escalation.bpmn")
    due = run.next_timer_at()
    assert due is not None and timedelta(hours=3, minutes=59) < due - datetime.now(UTC) <= timedelta(hours=4)
    assert not run.fire_due_timers(datetime.now(UTC))
    run = stored(run)
    assert waiting(run) == ["manager_approve"]
    assert run.fire_due_timers(datetime.now(UTC) + timedelta(hours=5))
    run = stored(run)
    assert waiting(run) == ["director_approve"]
    director_due = run.next_timer_at()  # params.escalate_after = P1D
    assert director_due is not None and director_due - datetime.now(UTC) > timedelta(hours=23)
    assert run.fire_due_timers(datetime.now(UTC) + timedelta(days=2))
    run = stored(run)
    assert task_of(run, "finance_approve").roles == ("finance",)
    run = decide(run, "finance_approve", "approve")
    assert run.end_event == "approved" and run.next_timer_at() is None


def test_deciding_in_time_cancels_the_escalation() -> None:
    run = start("escalation.bpmn")
    run = decide(run, "manager_approve", "reject")
    assert run.end_event == "rejected" and run.next_timer_at() is None
    assert not run.fire_due_timers(datetime.now(UTC) + timedelta(days=30))


def test_call_activity_runs_a_process_from_another_file() -> None:
    process = load("call_main.bpmn")
    assert process.files == ("approvals/call_main.bpmn", "approvals/call_review.bpmn")
    run = stored(ProcessRun.start(process, {"submitter": "ann"}, engine=CTX))
    run = decide(run, "manager_approve", "approve")
    check = task_of(run, "finance_check")
    assert check.roles == ("finance",) and check.process_id == "finance_review_process"
    run = decide(run, "finance_check", "reject", actor="fay")
    assert run.end_event == "rejected"
    assert run.data["review_result"] == "rejected" and run.data["reviewed_by"] == "fay"


@pytest.mark.parametrize(("total", "decision", "end", "steps"), [
    (Decimal("5000"), "approve", "approved", 2),
    (Decimal("800"), "approve", "approved", 1),
    (Decimal("5000"), "reject", "rejected", 1),
])
def test_camunda_modeler_file_with_juel_conditions(total: Decimal, decision: str, end: str, steps: int) -> None:
    run = start("camunda_modeler.bpmn", total=total)
    manager = task_of(run, "Task_manager")
    assert manager.roles == ("manager",)
    assert manager.due_at is not None and timedelta(days=1) < manager.due_at - datetime.now(UTC) <= timedelta(days=2)
    run = decide(run, "Task_manager", decision)
    if steps == 2:
        assert task_of(run, "Task_director").roles == ("director",)
        run = decide(run, "Task_director", "approve")
    assert run.end_event == end


@pytest.mark.parametrize(("total", "decision", "end"), [
    (Decimal("100"), "approve", "approved"),
    (Decimal("100"), "reject", "rejected"),
    (Decimal("200000"), "approve", "rejected"),
])
def test_zeebe_file_with_feel_conditions(total: Decimal, decision: str, end: str) -> None:
    run = start("zeebe_feel.bpmn", total=total)
    assert task_of(run, "manager_approve").roles == ("manager",)
    run = decide(run, "manager_approve", decision)
    assert run.end_event == end


def test_stored_state_leaves_the_spec_out_and_names_its_version() -> None:
    run = start("threshold.bpmn")
    state = run.dump()
    assert "spec" not in state and "subprocess_specs" not in state
    assert state["serializer_version"] and state["process_digest"] == run.process.digest
    assert json.loads(json.dumps(state))["data"] == state["data"]


def test_decimals_and_dates_survive_storage_exactly() -> None:
    run = start("threshold.bpmn", total=Decimal("5000.10"))
    run = decide(run, "manager_approve", "approve", data={"paid_on": datetime(2026, 1, 2, tzinfo=UTC).date()})
    task = task_of(run, "finance_review")
    assert task.data["total"] == Decimal("5000.10") and type(task.data["total"]) is Decimal
    assert task.data["paid_on"].isoformat() == "2026-01-02"


def test_restore_refuses_another_process_version() -> None:
    run = start("threshold.bpmn")
    with pytest.raises(StateMismatch, match="started with process version"):
        ProcessRun.restore(load("sequential.bpmn"), run.dump(), engine=CTX)


def old_timer_spec(marker: Path) -> dict[str, Any]:
    """A spec as SpiffWorkflow 1.1 stored it: its migration to 1.2 eval()s a timer's `dateTime`."""
    expression = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    event = {"typename": "TimerEventDefinition", "label": "wait", "dateTime": expression}
    return {"name": "claim", "task_specs": {"wait": {"name": "wait", "typename": "IntermediateCatchEvent",
                                                      "event_definition": event}}}


@pytest.mark.parametrize("version", ["1.1", "1.0", "9.9", None])
def test_restore_refuses_a_state_of_another_serializer_version_without_running_it(
        tmp_path: Path, version: str | None) -> None:
    run = start("threshold.bpmn")
    marker = tmp_path / "ran"
    state = {**run.dump(), "serializer_version": version, "spec": old_timer_spec(marker)}
    with pytest.raises(FormworkError, match="serializer version"):
        ProcessRun.restore(run.process, state, engine=CTX)
    assert not marker.exists()


def test_restore_refuses_a_state_formwork_did_not_write() -> None:
    run = start("threshold.bpmn")
    state = {key: value for key, value in run.dump().items() if key != "format"}
    with pytest.raises(FormworkError, match="not written by Formwork"):
        ProcessRun.restore(run.process, state, engine=CTX)


def test_complete_reports_unknown_and_finished_tasks() -> None:
    run = start("threshold.bpmn")
    with pytest.raises(TaskNotFound):
        run.complete("not-a-uuid", decision="approve", comment=None, actor="bob")
    with pytest.raises(TaskNotFound):
        run.complete("00000000-0000-0000-0000-000000000000", decision="approve", comment=None, actor="bob")
    task = task_of(run, "manager_approve")
    run.complete(task.id, decision="reject", comment=None, actor="bob")
    with pytest.raises(TaskNotReady, match="completed"):
        run.complete(task.id, decision="approve", comment=None, actor="eve")


def test_process_data_refuses_floats_and_process_variables() -> None:
    process = load("threshold.bpmn")
    with pytest.raises(InvalidProcessData, match="float"):
        ProcessRun.start(process, {"total": 12.5, "submitter": "ann"}, engine=CTX)
    run = ProcessRun.start(process, {"total": Decimal(1), "submitter": "ann"}, engine=CTX)
    with pytest.raises(InvalidProcessData, match="set by the process"):
        run.complete(task_of(run, "manager_approve").id, decision="approve", comment=None, actor="bob",
                     data={"approvals": 5})


REMINDER = """<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
<bpmn:process id="reminders" isExecutable="true"><bpmn:startEvent id="s" />
<bpmn:sequenceFlow id="a" sourceRef="s" targetRef="approve" />
<bpmn:userTask id="approve" camunda:candidateGroups="manager" />
<bpmn:boundaryEvent id="remind" attachedToRef="approve" cancelActivity="false">
  <bpmn:timerEventDefinition><bpmn:timeCycle>R2/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:sequenceFlow id="r1" sourceRef="remind" targetRef="note" />
<bpmn:scriptTask id="note"><bpmn:script>reminded = true</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="r2" sourceRef="note" targetRef="reminder_sent" /><bpmn:endEvent id="reminder_sent" />
<bpmn:sequenceFlow id="b" sourceRef="approve" targetRef="done" /><bpmn:endEvent id="done" />
</bpmn:process></bpmn:definitions>"""


def test_non_interrupting_cycle_reminds_on_schedule_and_keeps_the_task() -> None:
    process, problems = load_processes({"r.bpmn": REMINDER}, "r.bpmn", origin="m", roles=ROLES, environment=ENV,
                                       params={})
    assert problems == [] and process is not None
    run = stored(ProcessRun.start(process, {"submitter": "ann"}, engine=CTX))
    first = run.next_timer_at()
    assert first is not None
    assert run.fire_due_timers(first + timedelta(minutes=1))
    run = stored(run)
    assert run.next_timer_at() == first + timedelta(hours=1)  # the schedule holds, however late the worker is
    assert waiting(run) == ["approve"]
    assert run.fire_due_timers(first + timedelta(hours=1, minutes=1))
    run = stored(run)
    assert run.next_timer_at() is None  # R2: two reminders only
    run = decide(run, "approve", "approve")
    assert run.end_event == "done" and run.data["reminded"] is True


def test_camunda_and_spiff_assignment_reach_the_spec_extensions() -> None:
    specs = load("camunda_modeler.bpmn").spec.task_specs
    assert specs["Task_manager"].extensions["candidateGroups"] == ["manager"]
    assert specs["Task_manager"].extensions["dueDate"] == "P2D"
    assert specs["Task_director"].extensions["candidateGroups"] == ["director"]
    assert specs["Task_director"].extensions["properties"] == {"candidateGroups": "director"}


def test_runs_of_one_shared_process_in_parallel_threads_do_not_interfere() -> None:
    process = load("countersign.bpmn")
    failures: list[BaseException] = []

    def approve_all() -> None:
        try:
            for _ in range(15):
                run = ProcessRun.start(process, {"submitter": "ann", "approvers": ["amy", "ben", "cat"]}, engine=CTX)
                while not run.is_completed:
                    task = run.open_tasks()[0]
                    run.complete(task.id, decision="approve", comment=None, actor=str(task.assignee))
                    run = ProcessRun.restore(process, json.loads(json.dumps(run.dump())), engine=CTX)
                assert run.end_event == "approved" and len(run.data["votes"]) == 3
        except BaseException as error:  # reported to the main thread below
            failures.append(error)

    threads = [threading.Thread(target=approve_all) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
