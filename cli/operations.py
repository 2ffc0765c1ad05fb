"""Setting up and running: init, demo, the worker (timers and jobs), the daily scan."""
from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime

import click

from cli.common import command_engine, fail, redacted
from cli.environment import database_url
from demo.data import create_demo
from engine.errors import NotFound
from engine.runtime import Formwork
from web import metrics, request_log


@click.command(help="Create or upgrade the database and install the built-in modules.")
def init() -> None:
    installed = command_engine().initialise()
    click.echo(f"database ready at {redacted(database_url())}")
    for line in installed:
        click.echo(f"installed module {line}")


SCAN_CHECK_SECONDS = 3600  # a tenant created while a worker runs gets its daily scan within the hour


def schedule_scans(engine: Formwork, last: float) -> float:
    """Give tenants without one a daily scan, at most once per SCAN_CHECK_SECONDS; returns when it last ran."""
    if time.monotonic() - last < SCAN_CHECK_SECONDS:
        return last
    try:
        engine.schedule_daily_scans()
    except Exception:
        logging.getLogger("formwork.worker").exception("could not schedule the daily scans; the worker goes on")
    return time.monotonic()


def work_forever(engine: Formwork, interval: float) -> None:
    scheduled = -float(SCAN_CHECK_SECONDS)
    while True:
        scheduled = schedule_scans(engine, scheduled)
        try:
            engine.run_jobs(observe=metrics.count_job)
        except Exception:
            logging.getLogger("formwork.worker").exception("the in-process worker failed; retrying")
        time.sleep(interval)


@click.command(help="Create the demo tenant 'demo' with users and sample records (idempotent).")
def demo() -> None:
    click.echo(create_demo(command_engine()))


@click.command(help="Run timers and background jobs: continuously, or once with --once.")
@click.option("--once", is_flag=True, help="run what is due now, then exit")
@click.option("--interval", default=1.0, show_default=True, help="seconds between polls")
@click.option("--at", "moment", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="run as if the clock showed this time (catching up, rehearsals); with --once")
def worker(once: bool, interval: float, moment: datetime | None) -> None:
    request_log.configure()
    engine = command_engine()  # timers a run starts count from the real clock, even with --at
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    scheduled = -float(SCAN_CHECK_SECONDS)
    while True:
        if not once:
            scheduled = schedule_scans(engine, scheduled)
        done, failed = engine.run_jobs(moment, observe=metrics.count_job)
        if done or failed or once:
            click.echo(f"jobs run: {done}, failed: {failed}")
        if once:
            sys.exit(1 if failed else 0)
        time.sleep(interval)


@click.command("scan", help="Recompute the fields that read today() (delays, alert lights) on every tenant's records, "
                          "or one tenant's, and raise the alerts they now call for. 'serve' runs it daily.")
@click.argument("tenant_id", required=False)
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="compute as of this day (YYYY-MM-DD) instead of today")
def scan_command(tenant_id: str | None, day: datetime | None) -> None:
    engine = command_engine()
    if tenant_id is not None and tenant_id not in engine.tenant_ids():
        fail(NotFound(f"tenant {tenant_id!r} does not exist; 'formwork tenant create {tenant_id}' creates it"))
    summary = engine.scan([tenant_id] if tenant_id else None, day.date() if day else None,
                          progress=lambda line: click.echo(line, err=True))
    for done in summary.tenants:
        for refused in done.refused:
            click.echo(f"{done.tenant_id}: left as it was, it would now be invalid: {refused}", err=True)
    click.echo(summary.line())
    if summary.failed:
        for done in summary.failed:
            click.echo(f"{done.tenant_id}: {done.error}", err=True)
        sys.exit(1)
