"""`formwork jobs`: background jobs and their incidents."""
from __future__ import annotations

import click

from cli.common import command_engine
from engine.storage import jobs


@click.group("jobs", help="Inspect background jobs and retry incidents (jobs that failed for good).")
def jobs_group() -> None:
    pass


@jobs_group.command("list", help="List queued, running and failed jobs (newest first).")
@click.option("--failed", is_flag=True, help="only incidents")
def jobs_list(failed: bool) -> None:
    for job in jobs.listing(command_engine().db, failed_only=failed):
        click.echo(f"{job.tenant_id}\t{job.id}\t{job.kind}\t{job.state}\tattempts {job.attempts}\t{job.last_error}")


@jobs_group.command("retry", help="Queue a failed job again with fresh attempts.")
@click.argument("tenant_id")
@click.argument("job_id")
def jobs_retry(tenant_id: str, job_id: str) -> None:
    jobs.retry(command_engine().db, tenant_id, job_id)
    click.echo(f"queued {job_id} again")
