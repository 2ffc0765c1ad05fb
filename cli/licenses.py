"""`formwork license`: issue signed licenses and apply them to tenants."""
from __future__ import annotations

import click

from cli.common import command_engine
from engine import tenancy
from engine.tenancy import licenses


@click.group("license", help="Issue signed licenses (operator key) and apply them to tenants.")
def license_group() -> None:
    pass


def _module_list(text: str | None) -> list[str] | None:
    return [m.strip() for m in text.split(",") if m.strip()] if text else None


@license_group.command("issue", help="Print a signed license valid D days from now (0: already expired; "
                                     "omitted: trial 15 days, other plans perpetual).")
@click.argument("tenant_id")
@click.option("--plan", required=True, type=click.Choice(tenancy.PLANS))
@click.option("--seats", type=int, default=None, help="most active users (omitted: unlimited)")
@click.option("--modules", default=None, help="comma-separated modules (omitted: all)")
@click.option("--days", type=int, default=None)
def license_issue(tenant_id: str, plan: str, seats: int | None, modules: str | None, days: int | None) -> None:
    click.echo(licenses.issue(tenant_id, plan, seats=seats, modules=_module_list(modules), days=days))


@license_group.command("apply", help="Verify a license token and make it the tenant's license.")
@click.argument("tenant_id")
@click.argument("token")
def license_apply(tenant_id: str, token: str) -> None:
    with command_engine().db.tenant(tenant_id) as session:
        grant = licenses.apply(session, tenancy.get_tenant(session, tenant_id), token, tenancy.SYSTEM_ACTOR)
    expires = grant.expires_at.date().isoformat() if grant.expires_at else "never"
    click.echo(f"applied license to {tenant_id}: plan {grant.plan}, seats {grant.seats or 'unlimited'}, "
               f"modules {', '.join(grant.modules) if grant.modules is not None else 'all'}, expires {expires}")
