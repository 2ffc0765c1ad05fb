"""The daily scan: clock-dependent fields recomputed on records nobody saved, alerts raised once."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select

from engine import tenancy
from engine.formula.context import local_zone
from engine.reports import scan
from engine.runtime import Formwork
from engine.security import audit
from engine.storage import jobs
from engine.storage.models import AuditEntry, Record
from engine.storage.workflow_models import Job
from tests.cli.test_cli import run
from tests.conftest import add_user, new_project, new_tenant_id

SAVED_ON = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)   # the task is on time that day
SCANNED_ON = "2024-06-30"                           # 18 days past its finish: red (≥ 15 days)


def a_tenant(engine: Formwork) -> str:
    tenant_id = new_tenant_id()
    installed = engine.catalog.modules()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
        for name in ("base", "schedule"):
            tenancy.set_module_enabled(session, tenant_id, name, True, installed)
    return tenant_id


def late_task(engine: Formwork, tenant_id: str) -> str:
    """A task planned for 3–12 June with no progress, in a plan without a status date, saved on 1 June
    (the status date is the last day reported, so a task could start on the 2nd at the earliest)."""
    actor = add_user(engine, tenant_id, "ann", "admin")
    add_user(engine, tenant_id, "pm", "project_manager")
    add_user(engine, tenant_id, "prod", "production_manager")
    with engine.records(actor) as records:
        records.now = SAVED_ON

        def create(entity: str, body: dict[str, Any], module: str = "base") -> dict[str, Any]:
            return records.create(module, entity, body)

        project = new_project(create, "XM-SCAN")
        plan = create("schedule_plan", {"plan_code": "JH-1", "plan_name": "计划", "project": project["id"],
                                        "plan_level": "monthly"}, "schedule")
        task = create("wbs_task", {"plan": plan["id"], "wbs_code": "1", "task_name": "基础", "responsible_user": "prod",
                                   "planned_start": "2024-06-03", "planned_finish": "2024-06-12",
                                   "baseline_start": "2024-06-03", "baseline_finish": "2024-06-12"}, "schedule")
    data = task["data"]
    assert (data["light"], data["delay_days"], data["status_date"]) == ("green", 0, "2024-06-01")
    return str(task["id"])


def task_row(engine: Formwork, tenant_id: str, task_id: str) -> Record:
    with engine.db.tenant(tenant_id) as session:
        row = session.get(Record, (tenant_id, task_id))
        assert row is not None
        session.expunge(row)
        return row


def alerts(engine: Formwork, tenant_id: str) -> list[dict[str, Any]]:
    with engine.db.tenant(tenant_id) as session:
        return [row.data for row in session.scalars(select(Record).where(Record.module == "base",
                                                                         Record.entity == "alert"))]


def test_clock_fields_are_derived_from_the_formulas(engine: Formwork) -> None:
    found = scan.clock_fields(engine.catalog.modules())
    assert {"status_date", "delay_days", "light", "task_status"} <= found["schedule.wbs_task"]
    assert "task_delay_days" in found["schedule.delay_risk"]   # one ref hop: task.delay_days
    assert "progress" not in found["schedule.wbs_task"]        # reads no clock
    assert "labor.day_labor_ticket" not in found               # late_entry is `scan: false`: lateness at entry


def test_a_task_that_ages_past_its_dates_turns_red_and_raises_one_alert(engine: Formwork) -> None:
    tenant, other = a_tenant(engine), a_tenant(engine)
    task_id, other_task = late_task(engine, tenant), late_task(engine, other)
    before, other_before = task_row(engine, tenant, task_id), task_row(engine, other, other_task)

    first = run(engine, "scan", tenant, "--date", SCANNED_ON)
    assert first.stdout.startswith("scanned 1 tenant(s): ")
    assert "1 alert(s) raised" in first.stdout and "0 tenant(s) failed" in first.stdout
    assert f"{tenant}: schedule.wbs_task 1/1 scanned" in first.stderr
    after = task_row(engine, tenant, task_id)
    assert (after.data["light"], after.data["delay_days"], after.data["task_status"]) == ("red", 18, "delayed")
    assert after.data["status_date"] == SCANNED_ON
    # two writes: the scan's recompute, then the plan's network rescheduled from the new status date
    assert after.version == before.version + 2 and after.updated_by == tenancy.SYSTEM_ACTOR
    [alert] = alerts(engine, tenant)
    assert (alert["level"], alert["source_id"], alert["value"], alert["owner"]) == ("red", task_id, "18.00", "pm")
    with engine.db.tenant(tenant) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.target_id == task_id)
                                .order_by(AuditEntry.seq.desc())).first()
        assert entry is not None and (entry.action, entry.actor) == ("record.scan", tenancy.SYSTEM_ACTOR)
        assert entry.before is not None and entry.before["light"] == "green"
        assert audit.verify(session, tenant) == []

    second = run(engine, "scan", tenant, "--date", SCANNED_ON)
    assert "0 changed, 0 alert(s) raised, 0 effect(s) fired" in second.stdout
    assert task_row(engine, tenant, task_id).version == after.version
    assert len(alerts(engine, tenant)) == 1

    untouched = task_row(engine, other, other_task)     # another tenant was not scanned
    assert (untouched.version, untouched.data) == (other_before.version, other_before.data)
    assert alerts(engine, other) == []


def test_the_daily_job_scans_its_tenant_and_comes_back_the_next_day(engine: Formwork) -> None:
    tenant = a_tenant(engine)
    task_id = late_task(engine, tenant)
    moment = datetime(2024, 6, 30, 0, 5, tzinfo=UTC)
    with engine.db.tenant(tenant) as session:
        jobs.schedule(session, tenant, scan.SCAN_JOB, "daily", moment)
    claimed = [job for job in jobs.claim_due(engine.db, moment, [scan.SCAN_JOB]) if job.tenant_id == tenant]
    assert len(claimed) == 1
    engine.job_handlers()[scan.SCAN_JOB](claimed[0], moment)
    assert task_row(engine, tenant, task_id).data["light"] == "red"
    assert len(alerts(engine, tenant)) == 1
    with engine.db.tenant(tenant) as session:
        assert jobs.is_pending(session, tenant, scan.SCAN_JOB, "daily")
        queued = [j for j in jobs.listing(engine.db) if j.tenant_id == tenant and j.kind == scan.SCAN_JOB]
        assert [j.run_at.date() for j in queued] == [date(2024, 7, 1)]
    with engine.db.platform() as session:   # due since 2024: any worker of a later test would run it
        session.execute(delete(Job).where(Job.tenant_id == tenant))


def test_a_failing_tenant_is_reported_and_the_others_go_on(engine: Formwork) -> None:
    good = a_tenant(engine)
    task_id = late_task(engine, good)
    missing = new_tenant_id()                            # no such tenant: its scan fails
    lines: list[str] = []
    summary = engine.scan([missing, good], date(2024, 6, 30), progress=lines.append)
    assert [t.tenant_id for t in summary.failed] == [missing]
    assert any(line.startswith(f"{missing}: FAILED") for line in lines)
    assert summary.tenants[1].changed == 1 and summary.tenants[1].alerts == 1
    assert task_row(engine, good, task_id).data["light"] == "red"


def test_a_read_only_tenant_is_skipped_not_failed(engine: Formwork) -> None:
    tenant = a_tenant(engine)
    task_id = late_task(engine, tenant)
    token = run(engine, "license", "issue", tenant, "--plan", "enterprise", "--days", "0").stdout.strip()
    run(engine, "license", "apply", tenant, token)
    summary = engine.scan([tenant], date(2024, 6, 30))
    assert summary.failed == [] and "expired" in (summary.tenants[0].skipped or "")
    assert "1 tenant(s) read-only" in summary.line()
    assert task_row(engine, tenant, task_id).data["light"] == "green"


@pytest.mark.parametrize("day", [None, date(2024, 6, 30)])
def test_the_scan_clock_is_today_or_the_start_of_the_given_day(day: date | None) -> None:
    moment = scan.clock_of(day)
    assert moment.tzinfo is not None
    assert moment.date() == (day or datetime.now(UTC).date())


def test_the_daily_scan_follows_local_midnight(monkeypatch: pytest.MonkeyPatch) -> None:
    """In Beijing the day turns at 16:00 UTC: the next scan is 00:05 there, not 08:05."""
    monkeypatch.setenv("FORMWORK_TIMEZONE", "Asia/Shanghai")
    local_zone.cache_clear()
    try:
        assert scan.next_run(datetime(2024, 6, 30, 17, 0, tzinfo=UTC)) == datetime(2024, 7, 1, 16, 5, tzinfo=UTC)
        assert scan.next_run(datetime(2024, 6, 30, 15, 0, tzinfo=UTC)) == datetime(2024, 6, 30, 16, 5, tzinfo=UTC)
    finally:
        local_zone.cache_clear()


def test_the_scan_moves_forecasts_of_plans_without_a_status_date(engine: Formwork) -> None:
    """Nothing saved since 1 June: on the 10th the unstarted task can begin on the 11th at the earliest,
    and its successor is pushed with it."""
    tenant = a_tenant(engine)
    first_id = late_task(engine, tenant)                           # 3–12 June, not started
    with engine.records(tenancy.Actor(tenant, "ann", frozenset({"admin"}))) as records:
        records.now = SAVED_ON
        first = records.get("schedule", "wbs_task", first_id)
        then = records.create("schedule", "wbs_task", {
            "plan": first["data"]["plan"], "wbs_code": "2", "task_name": "主体", "responsible_user": "prod",
            "planned_start": "2024-06-13", "planned_finish": "2024-06-20",
            "predecessors": [{"predecessor": first_id, "dep_type": "finish_to_start", "lag_days": 0}]})
    assert then["data"]["forecast_finish"] == "2024-06-20"
    summary = engine.scan([tenant], date(2024, 6, 10))
    assert summary.failed == []
    assert task_row(engine, tenant, first_id).data["forecast_finish"] == "2024-06-20"   # 11–20 June
    assert task_row(engine, tenant, then["id"]).data["forecast_finish"] == "2024-06-28"  # 21–28 June
    version = task_row(engine, tenant, then["id"]).version
    engine.scan([tenant], date(2024, 6, 10))
    assert task_row(engine, tenant, then["id"]).version == version                       # nothing moves twice
