"""`formwork user`: a tenant's users, invitations and password resets."""
from __future__ import annotations

import click

from cli.common import command_engine, tenant_admin
from engine import tenancy
from engine.tenancy.invitations import Link


@click.group(help="Manage users of a tenant.")
def user() -> None:
    pass


@user.command("add", help="Add a user with one or more roles.")
@click.argument("tenant_id")
@click.argument("username")
@click.option("--password", required=True)
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--name", "display_name", default="")
def user_add(tenant_id: str, username: str, password: str, roles: tuple[str, ...], display_name: str) -> None:
    with command_engine().db.tenant(tenant_id) as session:
        tenancy.add_user(session, tenant_id, username, password, roles, display_name=display_name)
    click.echo(f"added user {username} to {tenant_id} with roles {', '.join(roles)}")


@user.command("list", help="A tenant's users with their roles and status, and the seats in use.")
@click.argument("tenant_id")
def user_list(tenant_id: str) -> None:
    with command_engine().people(tenant_admin(tenant_id)) as people:
        seats = people.seats()
        for found in people.users():
            click.echo(f"{found['username']}\t{found['status']}\t{','.join(found['roles'])}\t{found['display_name']}")
    click.echo(f"seats: {seats['used']} of {seats['total'] if seats['total'] is not None else 'unlimited'} in use")


def _link_line(link: Link) -> str:
    return (f"one-time link (valid until {link.expires_at:%Y-%m-%d %H:%M} UTC): <server>/welcome/{link.token}\n"
            "pass it on to the user; it is not shown again")


@user.command("invite", help="Add a user without a password and print the one-time link to set one.")
@click.argument("tenant_id")
@click.argument("username")
@click.option("--role", "roles", multiple=True)
@click.option("--name", "display_name", default="")
@click.option("--email", default=None)
@click.option("--days", type=int, default=7, show_default=True, help="days the link stays valid")
def user_invite(tenant_id: str, username: str, roles: tuple[str, ...], display_name: str, email: str | None,
                days: int) -> None:
    with command_engine().people(tenant_admin(tenant_id)) as people:
        _user, link = people.invite(username, display_name, roles, email, days)
    click.echo(f"invited {username} to {tenant_id}\n{_link_line(link)}")


@user.command("roles", help="Replace a user's roles (declared by the tenant's enabled modules, or admin).")
@click.argument("tenant_id")
@click.argument("username")
@click.option("--role", "roles", multiple=True)
def user_roles(tenant_id: str, username: str, roles: tuple[str, ...]) -> None:
    with command_engine().people(tenant_admin(tenant_id)) as people:
        changed = people.set_roles(username, roles)
    click.echo(f"{username}: {', '.join(changed.roles) or 'no roles'}")


@user.command("deactivate", help="Deactivate a user: they cannot log in, their tokens end, a seat is freed.")
@click.argument("tenant_id")
@click.argument("username")
def user_deactivate(tenant_id: str, username: str) -> None:
    with command_engine().people(tenant_admin(tenant_id)) as people:
        people.set_active(username, False)
    click.echo(f"deactivated {username}")


@user.command("activate", help="Activate a deactivated user again (takes a seat).")
@click.argument("tenant_id")
@click.argument("username")
def user_activate(tenant_id: str, username: str) -> None:
    with command_engine().people(tenant_admin(tenant_id)) as people:
        people.set_active(username, True)
    click.echo(f"activated {username}")


@user.command("reset", help="Clear a user's password and print a one-time link to set a new one.")
@click.argument("tenant_id")
@click.argument("username")
@click.option("--days", type=int, default=7, show_default=True, help="days the link stays valid")
def user_reset(tenant_id: str, username: str, days: int) -> None:
    with command_engine().people(tenant_admin(tenant_id)) as people:
        link = people.reset_password(username, days)
    click.echo(_link_line(link))
