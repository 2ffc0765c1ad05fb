"""The critical path of a schedule plan over the REST API: a network declared on wbs_task, recomputed on
every change of a task or its links, with its forecast through the predecessors (status date 2024-06-20)."""
from __future__ import annotations

from typing import Any

from engine.storage.models import AuditEntry
from tests.conftest import errors_of
from tests.modules.test_schedule import a_plan, a_task, patch, read, world

__all__ = ["world"]  # the fixture, shared with the module's other tests
OUTPUTS = ("early_start", "early_finish", "late_start", "late_finish", "total_float", "is_critical")


def link(task: dict[str, Any], kind: str = "finish_to_start", lag: int = 0) -> dict[str, Any]:
    return {"predecessor": task["id"], "dep_type": kind, "lag_days": lag}


def network(world: dict[str, Any]) -> dict[str, Any]:
    """A finished, B (10 d) in progress FS after A, C (5 d) SS+10 after A, D (5 d) FS after B and FF+2
    after C, milestone E FS+4 after D."""
    plan = a_plan(world)
    a = a_task(world, plan, "1", "2024-06-01", "2024-06-10", actual_start="2024-06-01", actual_finish="2024-06-10",
               percent_complete="100")
    b = a_task(world, plan, "2", "2024-06-11", "2024-06-20", actual_start="2024-06-11", percent_complete="50",
               predecessors=[link(a)])
    c = a_task(world, plan, "3", "2024-06-11", "2024-06-15", predecessors=[link(a, "start_to_start", 10)])
    d = a_task(world, plan, "4", "2024-06-21", "2024-06-25", predecessors=[link(b), link(c, "finish_to_finish", 2)])
    e = a_task(world, plan, "5", "2024-06-30", "2024-06-30", task_type="milestone",
               predecessors=[link(d, "finish_to_start", 4)])
    return {"plan": plan, "A": a, "B": b, "C": c, "D": d, "E": e}


def figures(world: dict[str, Any], net: dict[str, Any], *names: str) -> dict[str, tuple[Any, ...]]:
    prod = world["users"]["prod"]
    return {key: tuple(read(prod, "wbs_task", net[key]["id"])["data"].get(n) for n in names) for key in "ABCDE"}


def test_early_and_late_dates_float_and_the_critical_path(world: dict[str, Any]) -> None:
    net = network(world)
    assert figures(world, net, *OUTPUTS) == {
        "A": ("2024-06-01", "2024-06-10", "2024-06-01", "2024-06-10", 0, True),
        "B": ("2024-06-11", "2024-06-20", "2024-06-11", "2024-06-20", 0, True),
        # SS + 10 after A; it may finish until D's late finish − 2: 8 days of float
        "C": ("2024-06-11", "2024-06-15", "2024-06-19", "2024-06-23", 8, False),
        "D": ("2024-06-21", "2024-06-25", "2024-06-21", "2024-06-25", 0, True),
        "E": ("2024-06-30", "2024-06-30", "2024-06-30", "2024-06-30", 0, True),   # 06-25 + 1 + 4
    }
    plan = read(world["users"]["prod"], "schedule_plan", net["plan"]["id"])["data"]
    assert (plan["critical_count"], plan["baseline_finish"]) == (4, "2024-06-30")


def test_a_late_predecessor_pushes_the_forecast_of_its_successors(world: dict[str, Any]) -> None:
    net = network(world)
    prod = world["users"]["prod"]
    # B: 50 % of 10 days left after 06-20 → 06-25; C not started → 06-21..06-25;
    # D after B → 06-26..06-30 (C's FF + 2 needs only 06-27); E 06-30 + 1 + 4
    assert figures(world, net, "forecast_start", "forecast_finish") == {
        "A": ("2024-06-01", "2024-06-10"), "B": ("2024-06-11", "2024-06-25"), "C": ("2024-06-21", "2024-06-25"),
        "D": ("2024-06-26", "2024-06-30"), "E": ("2024-07-05", "2024-07-05")}
    plan = read(prod, "schedule_plan", net["plan"]["id"])["data"]
    assert (plan["forecast_finish"], plan["finish_variance_days"]) == ("2024-07-05", 5)
    e = read(prod, "wbs_task", net["E"]["id"])["data"]
    assert (e["delay_days"], e["milestone_status"], e["light"]) == (5, "at_risk", "yellow")
    # B catches up to 80 %: 2 days left → D 06-23..06-27 (now C's FF + 2 binds too), E 07-02
    assert patch(prod, "wbs_task", net["B"], percent_complete="80").status_code == 200
    assert figures(world, net, "forecast_finish")["D"] == ("2024-06-27",)
    assert read(prod, "schedule_plan", net["plan"]["id"])["data"]["forecast_finish"] == "2024-07-02"
    assert read(prod, "wbs_task", net["E"]["id"])["data"]["delay_days"] == 2


def test_removing_a_link_or_a_task_reschedules_the_plan(world: dict[str, Any], engine: Any, tenant: str) -> None:
    net = network(world)
    prod = world["users"]["prod"]
    assert patch(prod, "wbs_task", net["D"], predecessors=[link(net["C"], "finish_to_finish", 2)]).status_code == 200
    # D now follows C only: finishes 06-17 (C's finish + 2), E 06-22 ends the plan; C, D and E are the
    # critical path now and B, which nothing follows, may end until 06-22: 2 days of float
    d = read(prod, "wbs_task", net["D"]["id"])["data"]
    assert (d["early_start"], d["early_finish"], d["is_critical"]) == ("2024-06-13", "2024-06-17", True)
    assert figures(world, net, "total_float", "is_critical") == {
        "A": (0, True), "B": (2, False), "C": (0, True), "D": (0, True), "E": (0, True)}
    current = read(prod, "wbs_task", net["D"]["id"])
    assert prod.delete(f"/records/schedule/wbs_task/{current['id']}").status_code in (200, 204)
    e = read(prod, "wbs_task", net["E"]["id"])["data"]
    assert (e["early_start"], e["forecast_finish"]) == ("2024-06-30", "2024-06-30")   # no predecessor left
    with engine.db.tenant(tenant) as session:  # each recompute is one audit entry on the plan
        entries = session.query(AuditEntry).filter_by(action="record.network", target_id=net["plan"]["id"]).all()
    assert entries and all(e.note.startswith("schedule.wbs_task network of") for e in entries)


def test_a_cycle_of_predecessors_is_refused_naming_its_tasks(world: dict[str, Any]) -> None:
    net = network(world)
    prod = world["users"]["prod"]
    message = errors_of(patch(prod, "wbs_task", net["A"], predecessors=[link(net["E"])]))["predecessors"]
    assert message.startswith("the predecessor links form a cycle: ") and message.endswith("remove one of these links")
    assert all(f"{code} 任务 {code}" in message for code in "1245") and "任务 3" not in message
    own = errors_of(patch(prod, "wbs_task", net["C"], predecessors=[link(net["C"])]))["predecessors"]
    assert "3 任务 3 -> 3 任务 3" in own
    assert read(prod, "wbs_task", net["A"]["id"])["data"].get("predecessors") is None   # nothing was written


def test_the_computed_dates_are_read_only(world: dict[str, Any]) -> None:
    net = network(world)
    response = patch(world["users"]["prod"], "wbs_task", net["C"], total_float=0, is_critical=True)
    assert errors_of(response) == {"total_float": "is read-only", "is_critical": "is read-only"}


def test_a_batch_of_writes_reschedules_the_plan_once(world: dict[str, Any], engine: Any, tenant: str) -> None:
    from engine import tenancy

    plan = a_plan(world)
    prod = tenancy.Actor(tenant, "prod", frozenset({"production_manager"}))
    with engine.records(prod) as records, records.batch():   # as an Excel import does
        first = records.create("schedule", "wbs_task", {
            "plan": plan["id"], "wbs_code": "1", "task_name": "甲", "planned_start": "2024-07-01",
            "planned_finish": "2024-07-05", "responsible_user": "prod"})
        assert "early_start" not in first["data"]                                   # not yet scheduled
        records.create("schedule", "wbs_task", {
            "plan": plan["id"], "wbs_code": "2", "task_name": "乙", "planned_start": "2024-07-06",
            "planned_finish": "2024-07-08", "responsible_user": "prod",
            "predecessors": [{"predecessor": first["id"], "dep_type": "finish_to_start", "lag_days": 1}]})
    with engine.db.tenant(tenant) as session:
        entries = session.query(AuditEntry).filter_by(action="record.network", target_id=plan["id"]).count()
    assert entries == 1
    second = world["users"]["prod"].get("/records/schedule/wbs_task", query_string={
        "q": "wbs_code == '2'"}).get_json()["items"][0]["data"]
    assert (second["early_start"], second["early_finish"], second["is_critical"]) == ("2024-07-07", "2024-07-09", True)


def test_moving_the_plans_status_date_reforecasts_its_tasks(world: dict[str, Any]) -> None:
    net = network(world)
    prod = world["users"]["prod"]
    assert patch(prod, "schedule_plan", net["plan"], status_date="2024-06-25").status_code == 200
    # B: 5 days left after 06-25 → 06-30; D 07-01..07-05; E 07-05 + 1 + 4
    b, e = (read(prod, "wbs_task", net[k]["id"])["data"] for k in "BE")
    assert (b["status_date"], b["forecast_finish"], e["forecast_finish"]) == ("2024-06-25", "2024-06-30", "2024-07-10")
    assert e["delay_days"] == 10 and e["light"] == "red"                         # a key task 10 days late
    assert read(prod, "schedule_plan", net["plan"]["id"])["data"]["forecast_finish"] == "2024-07-10"
