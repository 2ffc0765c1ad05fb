"""`formwork audit`: verify and re-anchor the audit chains."""
from __future__ import annotations

import sys

import click

from cli.common import command_engine
from engine import tenancy
from engine.security import audit


@click.group("audit", help="Inspect the audit log.")
def audit_group() -> None:
    pass


@audit_group.command("verify", help="Check the hash chain of one tenant's audit log, or of all tenants.")
@click.argument("tenant_id", required=False)
def audit_verify(tenant_id: str | None) -> None:
    engine = command_engine()
    with engine.db.platform() as session:
        tenants = [tenant_id] if tenant_id else tenancy.tenant_ids(session)
    broken = False
    for current in tenants:
        with engine.db.tenant(current) as session:
            tenancy.get_tenant(session, current)
            problems = audit.verify(session, current)
        for problem in problems:
            click.echo(f"{current}: {problem}")
        broken = broken or bool(problems)
        if not problems:
            click.echo(f"{current}: audit chain intact")
    sys.exit(1 if broken else 0)


@audit_group.command("reanchor", help="Sign the head of a tenant's audit chain with this instance's key, after "
                                      "checking every link: for a trusted backup restored from another instance.")
@click.argument("tenant_id")
def audit_reanchor(tenant_id: str) -> None:
    with command_engine().db.tenant(tenant_id) as session:
        tenancy.get_tenant(session, tenant_id)
        seq = audit.reanchor(session, tenant_id)
    click.echo(f"{tenant_id}: audit chain re-anchored at entry {seq} with this instance's key")
