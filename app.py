"""Formwork's wiring: the Flask app factory and the `formwork` command line. No work at import time."""
from __future__ import annotations

import logging
import os
import secrets
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask

from engine import audit, plugin_registry, tenancy
from engine.adjustment_report import diff_lines, report_lines
from engine.declarations.loader import validate_paths
from engine.errors import BadRequest, FormworkError, NotFound
from engine.invitations import Link
from engine.overlays import read_overlay
from engine.runtime import Formwork, default_database_url


def instance_path() -> Path:
    return Path(os.environ.get("FORMWORK_INSTANCE", "instance")).resolve()


def database_url() -> str:
    url = os.environ.get("FORMWORK_DATABASE_URL")
    if url:
        return url
    folder = instance_path()
    folder.mkdir(parents=True, exist_ok=True)
    return default_database_url(folder)


def uploads_path() -> Path:
    """FORMWORK_UPLOADS, else `uploads/` in the instance folder: where attachments' contents live."""
    configured = os.environ.get("FORMWORK_UPLOADS")
    return Path(configured).resolve() if configured else instance_path() / "uploads"


def secret_key() -> str:
    """FORMWORK_SECRET_KEY, else a key generated once and kept in the instance folder's `secret_key`."""
    configured = os.environ.get("FORMWORK_SECRET_KEY")
    if configured:
        return configured
    path = instance_path() / "secret_key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # created readable by the owner only, and by one process even if several start at once
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
                file.write(secrets.token_hex(32))
        except FileExistsError:
            pass
    return path.read_text().strip()


# Login, token, cookie and request-size settings: environment variable -> default (README lists them).
SECURITY_SETTINGS: dict[str, float] = {
    "FORMWORK_LOGIN_MAX_FAILURES": 5,        # failed logins of one account before it is locked
    "FORMWORK_LOGIN_LOCK_SECONDS": 900,      # the first lock; each further one lasts twice as long (up to a day)
    "FORMWORK_LOGIN_IP_MAX_FAILURES": 100,   # failed logins from one address a minute, over any accounts
    "FORMWORK_TOKEN_HOURS": 12,              # lifetime of an API token
    "FORMWORK_MAX_JSON_MB": 2,               # largest body that is not a multipart upload
    "FORMWORK_MAX_REQUEST_MB": 50,           # largest request at all (attachments: 20 MB each by default)
    "FORMWORK_SECURE_COOKIES": 0,            # 1 behind HTTPS: cookies are sent over HTTPS only
    "FORMWORK_PROXY_HOPS": 0,                # reverse proxies in front whose X-Forwarded-For/-Proto to trust
}


def security_settings() -> dict[str, float]:
    """SECURITY_SETTINGS with the values set in the environment."""
    settings: dict[str, float] = {}
    for name, default in SECURITY_SETTINGS.items():
        raw = os.environ.get(name, "").strip()
        try:
            settings[name] = float(raw) if raw else default
        except ValueError:
            raise SystemExit(f"error: {name} must be a number, not {raw!r}") from None
    return settings


def create_app(engine: Formwork | None = None, **config: Any) -> Flask:
    """Build the web app; tests pass their own engine, servers get one from the environment."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from admin import console
    from designer.api import designer_api
    from designer.pages import designer_pages
    from designer.people_api import people_api
    from designer.people_pages import people_pages
    from web import api, errors, input_guard, pages, request_limits, security_headers

    app = Flask(__name__, instance_path=str(instance_path()))
    app.config.update({"JSON_SORT_KEYS": False, **security_settings(), **config})
    app.config.setdefault("FORMWORK_UPLOADS", str(uploads_path()))
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or secret_key()
    app.config.update(SESSION_COOKIE_SECURE=bool(app.config["FORMWORK_SECURE_COOKIES"]),
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    hops = int(app.config["FORMWORK_PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    input_guard.register(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["formwork"] = engine or Formwork(database_url())
    errors.register(app)
    security_headers.register(app)
    request_limits.register(app)
    app.register_blueprint(api.api)
    app.register_blueprint(pages.pages)
    console.register(app)
    app.register_blueprint(designer_api)
    app.register_blueprint(designer_pages)
    app.register_blueprint(people_api)
    app.register_blueprint(people_pages)
    for plugin in plugin_registry.load().values():
        for blueprint in plugin.blueprints:
            app.register_blueprint(blueprint)
    return app


# -- command line ------------------------------------------------------------------------------------


def _engine() -> Formwork:
    """The engine of one command; its connections close when the command ends (also when run in-process)."""
    engine = Formwork(database_url())
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(engine.db.dispose)
    return engine


def _fail(error: FormworkError) -> None:
    click.echo(f"error: {error.message}", err=True)
    sys.exit(1)


class FormworkCommands(click.Group):
    """The `formwork` group, with the commands installed plugins add; an engine error is one clear line and
    exit 1, also when the group is invoked in-process."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FormworkError as error:
            _fail(error)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_plugin_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or _plugin_commands().get(cmd_name)


def _plugin_commands() -> dict[str, click.Command]:
    return {command.name: command for plugin in plugin_registry.load().values() for command in plugin.commands
            if isinstance(command, click.Command) and command.name}


class CliState:
    """`ctx.obj` of every command: plugin commands get the engine with `state.engine()` (`@click.pass_obj`)."""

    def __init__(self) -> None:
        self._engine: Formwork | None = None

    def engine(self) -> Formwork:
        if self._engine is None:
            self._engine = _engine()
        return self._engine


@click.group(cls=FormworkCommands, help="Formwork: declared construction-management modules on a generic engine.")
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.obj = CliState()


def main() -> None:
    try:
        cli(prog_name="formwork")
    except FormworkError as error:
        _fail(error)


@cli.command(help="Create or upgrade the database and install the built-in modules.")
def init() -> None:
    installed = _engine().initialise()
    click.echo(f"database ready at {_redacted(database_url())}")
    for line in installed:
        click.echo(f"installed module {line}")


@cli.command(help="Run the web app (development server; use gunicorn 'app:create_app()' in production).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int, show_default="5000 or $PORT")
@click.option("--worker/--no-worker", "with_worker", default=True, show_default=True,
              help="also run timers and jobs in this process (fine for one server; run 'formwork worker' otherwise)")
def serve(host: str, port: int, with_worker: bool) -> None:
    app = create_app()
    if with_worker:
        engine: Formwork = app.extensions["formwork"]
        threading.Thread(target=_work_forever, args=(engine, 1.0), name="formwork-worker", daemon=True).start()
    app.run(host=host, port=port, debug=False, use_reloader=False)


SCAN_CHECK_SECONDS = 3600  # a tenant created while a worker runs gets its daily scan within the hour


def _schedule_scans(engine: Formwork, last: float) -> float:
    """Give tenants without one a daily scan, at most once per SCAN_CHECK_SECONDS; returns when it last ran."""
    if time.monotonic() - last < SCAN_CHECK_SECONDS:
        return last
    try:
        engine.schedule_daily_scans()
    except Exception:
        logging.getLogger("formwork.worker").exception("could not schedule the daily scans; the worker goes on")
    return time.monotonic()


def _work_forever(engine: Formwork, interval: float) -> None:
    scheduled = -float(SCAN_CHECK_SECONDS)
    while True:
        scheduled = _schedule_scans(engine, scheduled)
        try:
            engine.run_jobs()
        except Exception:
            logging.getLogger("formwork.worker").exception("the in-process worker failed; retrying")
        time.sleep(interval)


@cli.command(help="Create the demo tenant 'demo' with users and sample records (idempotent).")
def demo() -> None:
    from engine.demo import create_demo

    click.echo(create_demo(_engine()))


@cli.command(help="Run timers and background jobs: continuously, or once with --once.")
@click.option("--once", is_flag=True, help="run what is due now, then exit")
@click.option("--interval", default=1.0, show_default=True, help="seconds between polls")
@click.option("--at", "moment", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="run as if the clock showed this time (catching up, rehearsals); with --once")
def worker(once: bool, interval: float, moment: datetime | None) -> None:
    engine = _engine()  # timers a run starts count from the real clock, even with --at
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    scheduled = -float(SCAN_CHECK_SECONDS)
    while True:
        if not once:
            scheduled = _schedule_scans(engine, scheduled)
        done, failed = engine.run_jobs(moment)
        if done or failed or once:
            click.echo(f"jobs run: {done}, failed: {failed}")
        if once:
            sys.exit(1 if failed else 0)
        time.sleep(interval)


@cli.command("scan", help="Recompute the fields that read today() (delays, alert lights) on every tenant's records, "
                          "or one tenant's, and raise the alerts they now call for. 'serve' runs it daily.")
@click.argument("tenant_id", required=False)
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="compute as of this day (YYYY-MM-DD) instead of today")
def scan_command(tenant_id: str | None, day: datetime | None) -> None:
    engine = _engine()
    if tenant_id is not None and tenant_id not in engine.tenant_ids():
        _fail(NotFound(f"tenant {tenant_id!r} does not exist; 'formwork tenant create {tenant_id}' creates it"))
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


@cli.group("jobs", help="Inspect background jobs and retry incidents (jobs that failed for good).")
def jobs_group() -> None:
    pass


@jobs_group.command("list", help="List queued, running and failed jobs (newest first).")
@click.option("--failed", is_flag=True, help="only incidents")
def jobs_list(failed: bool) -> None:
    from engine import jobs

    for job in jobs.listing(_engine().db, failed_only=failed):
        click.echo(f"{job.tenant_id}\t{job.id}\t{job.kind}\t{job.state}\tattempts {job.attempts}\t{job.last_error}")


@jobs_group.command("retry", help="Queue a failed job again with fresh attempts.")
@click.argument("tenant_id")
@click.argument("job_id")
def jobs_retry(tenant_id: str, job_id: str) -> None:
    from engine import jobs

    jobs.retry(_engine().db, tenant_id, job_id)
    click.echo(f"queued {job_id} again")


@cli.group(help="Validate, install and list modules.")
def module() -> None:
    pass


@module.command("validate", help="Check module folders; print file:line:col problems, exit 1 if any.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def module_validate(paths: tuple[Path, ...]) -> None:
    problems = validate_paths(paths)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found", err=True)
        sys.exit(1)
    click.echo(f"ok: {len(paths)} module folder(s) valid")


@module.command("install", help="Add a module folder to the catalog (a published version is immutable).")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def module_install(path: Path) -> None:
    engine = _engine()
    spec, changed = engine.catalog.install(path)
    click.echo(f"{'installed' if changed else 'already installed'}: {spec.name} {spec.version}")


@module.command("list", help="List installed modules, or a tenant's modules and their state.")
@click.option("--tenant", "tenant_id", default=None)
def module_list(tenant_id: str | None) -> None:
    engine = _engine()
    installed = engine.catalog.modules()
    if tenant_id is None:
        for name, spec in sorted(installed.items()):
            click.echo(f"{name}\t{spec.version}\t{spec.title.zh} / {spec.title.en}")
        for problem in engine.catalog.broken:
            click.echo(f"left out (does not compile): {problem}", err=True)
        return
    with engine.db.tenant(tenant_id) as session:
        tenant = tenancy.get_tenant(session, tenant_id)
        enabled = set(tenancy.enabled_modules(session, tenant_id))
        for name, spec in sorted(installed.items()):
            state = "enabled" if name in enabled else "disabled"
            if not tenancy.is_licensed(tenant, name):
                state = "not licensed"
            click.echo(f"{name}\t{spec.version}\t{state}")


@cli.group(help="Create tenants and choose their modules.")
def tenant() -> None:
    pass


@tenant.command("create", help="Create a tenant.")
@click.argument("tenant_id")
@click.option("--name", default=None)
@click.option("--plan", default="trial", type=click.Choice(tenancy.PLANS), show_default=True)
@click.option("--seats", type=int, default=None)
@click.option("--modules", default=None, help="comma-separated modules the tenant is licensed for")
def tenant_create(tenant_id: str, name: str | None, plan: str, seats: int | None, modules: str | None) -> None:
    chosen = [m.strip() for m in modules.split(",") if m.strip()] if modules else None
    with _engine().db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, name=name, plan=plan, seats=seats, modules=chosen)
    click.echo(f"created tenant {tenant_id} ({plan})")


def _set_enabled(tenant_id: str, module_name: str, enabled: bool) -> None:
    changed = _engine().enable_module(tenant_id, module_name, enabled=enabled)
    verb = "enabled" if enabled else "disabled"
    click.echo(f"{verb}: {', '.join(changed)}" if changed else f"{module_name} was already {verb}")


@tenant.command("enable", help="Enable a module (and the modules it requires) for a tenant.")
@click.argument("tenant_id")
@click.argument("module_name")
def tenant_enable(tenant_id: str, module_name: str) -> None:
    _set_enabled(tenant_id, module_name, True)


@tenant.command("disable", help="Disable a module for a tenant; its records are kept.")
@click.argument("tenant_id")
@click.argument("module_name")
def tenant_disable(tenant_id: str, module_name: str) -> None:
    _set_enabled(tenant_id, module_name, False)


@tenant.command("param", help="Set a module parameter for a tenant.")
@click.argument("tenant_id")
@click.argument("module_name")
@click.argument("name")
@click.argument("value")
def tenant_param(tenant_id: str, module_name: str, name: str, value: str) -> None:
    engine = _engine()
    with engine.db.tenant(tenant_id) as session:
        stored = tenancy.set_parameter(session, tenant_id, module_name, name, value, engine.catalog.modules())
    click.echo(f"{module_name}.{name} = {stored}")


def _tenant_admin(tenant_id: str) -> tenancy.Actor:
    return tenancy.Actor(tenant_id=tenant_id, username=tenancy.SYSTEM_ACTOR, roles=frozenset({"admin"}))


@tenant.command("overlay", help="Dry-run (default) or publish a tenant's adjustment of a module (docs/overlays.md).")
@click.argument("tenant_id")
@click.argument("module_name")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--publish", is_flag=True, help="publish it as the tenant's new version of the module")
def tenant_overlay(tenant_id: str, module_name: str, file: Path, publish: bool) -> None:
    overlay = read_overlay(file)
    with _engine().adjustments(_tenant_admin(tenant_id)) as service:
        problems = service.validate(module_name, overlay)
        if problems:
            for problem in problems:
                click.echo(str(problem))
            click.echo(f"{len(problems)} problem(s) found; nothing was changed", err=True)
            sys.exit(1)
        report = service.publish(module_name, overlay) if publish else service.dry_run(module_name, overlay)
    for line in report_lines(report):
        click.echo(line)


@tenant.command("rollback", help="Make the previous version of a tenant's module current again.")
@click.argument("tenant_id")
@click.argument("module_name")
def tenant_rollback(tenant_id: str, module_name: str) -> None:
    with _engine().adjustments(_tenant_admin(tenant_id)) as service:
        report = service.rollback(module_name)
    click.echo(f"{module_name} rolled back from {report['from_version']} to {report['to_version']}")
    for line in diff_lines(report["diff"]):
        click.echo(line)


@tenant.command("versions", help="A tenant's versions of a module, each with what it changed.")
@click.argument("tenant_id")
@click.argument("module_name")
def tenant_versions(tenant_id: str, module_name: str) -> None:
    with _engine().adjustments(_tenant_admin(tenant_id)) as service:
        for item in service.history(module_name):
            who = f" published {item['published_at']} by {item['published_by']}" if "published_at" in item else ""
            click.echo(f"{item['version']}\t{item['state']}{who}")
            if "published_at" in item:
                for line in diff_lines(service.version_diff(module_name, item["version"])):
                    click.echo(line)


@cli.group(help="Manage users of a tenant.")
def user() -> None:
    pass


@user.command("add", help="Add a user with one or more roles.")
@click.argument("tenant_id")
@click.argument("username")
@click.option("--password", required=True)
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--name", "display_name", default="")
def user_add(tenant_id: str, username: str, password: str, roles: tuple[str, ...], display_name: str) -> None:
    with _engine().db.tenant(tenant_id) as session:
        tenancy.add_user(session, tenant_id, username, password, roles, display_name=display_name)
    click.echo(f"added user {username} to {tenant_id} with roles {', '.join(roles)}")


@user.command("list", help="A tenant's users with their roles and status, and the seats in use.")
@click.argument("tenant_id")
def user_list(tenant_id: str) -> None:
    with _engine().people(_tenant_admin(tenant_id)) as people:
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
    with _engine().people(_tenant_admin(tenant_id)) as people:
        _user, link = people.invite(username, display_name, roles, email, days)
    click.echo(f"invited {username} to {tenant_id}\n{_link_line(link)}")


@user.command("roles", help="Replace a user's roles (declared by the tenant's enabled modules, or admin).")
@click.argument("tenant_id")
@click.argument("username")
@click.option("--role", "roles", multiple=True)
def user_roles(tenant_id: str, username: str, roles: tuple[str, ...]) -> None:
    with _engine().people(_tenant_admin(tenant_id)) as people:
        changed = people.set_roles(username, roles)
    click.echo(f"{username}: {', '.join(changed.roles) or 'no roles'}")


@user.command("deactivate", help="Deactivate a user: they cannot log in, their tokens end, a seat is freed.")
@click.argument("tenant_id")
@click.argument("username")
def user_deactivate(tenant_id: str, username: str) -> None:
    with _engine().people(_tenant_admin(tenant_id)) as people:
        people.set_active(username, False)
    click.echo(f"deactivated {username}")


@user.command("activate", help="Activate a deactivated user again (takes a seat).")
@click.argument("tenant_id")
@click.argument("username")
def user_activate(tenant_id: str, username: str) -> None:
    with _engine().people(_tenant_admin(tenant_id)) as people:
        people.set_active(username, True)
    click.echo(f"activated {username}")


@user.command("reset", help="Clear a user's password and print a one-time link to set a new one.")
@click.argument("tenant_id")
@click.argument("username")
@click.option("--days", type=int, default=7, show_default=True, help="days the link stays valid")
def user_reset(tenant_id: str, username: str, days: int) -> None:
    with _engine().people(_tenant_admin(tenant_id)) as people:
        link = people.reset_password(username, days)
    click.echo(_link_line(link))


@cli.command("export", help="Write a tenant's complete backup to FILE: a tar archive (gzip when FILE ends with "
                             ".gz) of its rows, signed by this instance, and its attachments' contents.")
@click.argument("tenant_id")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-tokens", is_flag=True, help="also back up the tenant's API tokens (hashed)")
def export_command(tenant_id: str, file: Path, with_tokens: bool) -> None:
    from engine import backup

    document, written = backup.export_file(_engine().db, tenant_id, file, uploads_path(), with_tokens=with_tokens)
    for sha in written.missing:
        click.echo(f"warning: the content of attachment {sha} is missing from {uploads_path()}; "
                   "its file rows are in the backup without it", err=True)
    counts = ", ".join(f"{name} {len(rows)}" for name, rows in document["tables"].items() if rows)
    click.echo(f"exported {tenant_id} to {file}: {counts}; attachment contents {written.contents} "
               f"({written.size} bytes)")


@cli.command("import", help="Restore a backup FILE: its attachments' contents, then its rows in one transaction. "
                            "Only a file this instance signed, unless --trust-unsigned.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="overwrite the tenant if it already exists here")
@click.option("--trust-unsigned", is_flag=True,
              help="also restore a file this instance did not sign (unsigned, altered, from another instance, or "
                   "a version 1 backup); only for a file you know the origin of")
def import_command(file: Path, replace: bool, trust_unsigned: bool) -> None:
    from engine import backup

    tenant_id, _ = backup.restore_file(_engine().db, file, uploads_path(), replace=replace,
                                       trust_unsigned=trust_unsigned)
    click.echo(f"imported tenant {tenant_id} from {file}")


@cli.group("license", help="Issue signed licenses (operator key) and apply them to tenants.")
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
    from engine import licenses

    click.echo(licenses.issue(tenant_id, plan, seats=seats, modules=_module_list(modules), days=days))


@license_group.command("apply", help="Verify a license token and make it the tenant's license.")
@click.argument("tenant_id")
@click.argument("token")
def license_apply(tenant_id: str, token: str) -> None:
    from engine import licenses

    with _engine().db.tenant(tenant_id) as session:
        grant = licenses.apply(session, tenancy.get_tenant(session, tenant_id), token, tenancy.SYSTEM_ACTOR)
    expires = grant.expires_at.date().isoformat() if grant.expires_at else "never"
    click.echo(f"applied license to {tenant_id}: plan {grant.plan}, seats {grant.seats or 'unlimited'}, "
               f"modules {', '.join(grant.modules) if grant.modules is not None else 'all'}, expires {expires}")


@cli.group("operator", help="Platform operators: the accounts of the /admin console.")
def operator_group() -> None:
    pass


@operator_group.command("add", help="Add an operator (or set a new password for an existing one).")
@click.argument("name")
@click.option("--password", required=True)
def operator_add(name: str, password: str) -> None:
    from engine import operators

    with _engine().db.platform() as session:
        created = operators.add(session, name, password)
    click.echo(f"{'added' if created else 'updated'} operator {name}")


@cli.group("audit", help="Inspect the audit log.")
def audit_group() -> None:
    pass


@audit_group.command("verify", help="Check the hash chain of one tenant's audit log, or of all tenants.")
@click.argument("tenant_id", required=False)
def audit_verify(tenant_id: str | None) -> None:
    engine = _engine()
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
    with _engine().db.tenant(tenant_id) as session:
        tenancy.get_tenant(session, tenant_id)
        seq = audit.reanchor(session, tenant_id)
    click.echo(f"{tenant_id}: audit chain re-anchored at entry {seq} with this instance's key")


@cli.group("plugin", help="List installed plugins; enable or disable them for a tenant.")
def plugin_group() -> None:
    pass


@plugin_group.command("list", help="Installed plugins: version, loaded or failed (with the error), tenants enabled.")
def plugin_list() -> None:
    engine = _engine()
    tenants: dict[str, list[str]] = {}
    with engine.db.platform() as session:
        tenant_ids = tenancy.tenant_ids(session)
    for tenant_id in tenant_ids:
        with engine.db.tenant(tenant_id) as session:
            for name in plugin_registry.enabled_plugins(session, tenant_id):
                tenants.setdefault(name, []).append(tenant_id)
    loaded = plugin_registry.loaded()
    failures = plugin_registry.failures()
    if not loaded and not failures:
        click.echo("no plugins installed (pip install a package with a 'formwork.plugins' entry point)")
    for name, plugin in sorted(loaded.items()):
        enabled = ", ".join(tenants.get(name, [])) or "-"
        click.echo(f"{name}\t{plugin.version}\tloaded\ttenants: {enabled}")
    for failure in failures:
        click.echo(f"{failure.name}\t-\tfailed\t{failure.error}")


@plugin_group.command("enable", help="Enable a plugin for a tenant, with settings checked by the plugin's schema.")
@click.argument("tenant_id")
@click.argument("name")
@click.option("--settings", "settings_json", default=None, help="the plugin's settings as a JSON object")
def plugin_enable(tenant_id: str, name: str, settings_json: str | None) -> None:
    import json

    settings = None
    if settings_json is not None:
        try:
            settings = json.loads(settings_json)
        except json.JSONDecodeError as error:
            raise BadRequest(f"--settings is not valid JSON: {error}") from None
        if not isinstance(settings, dict):
            raise BadRequest("--settings must be a JSON object, e.g. '{\"url\": \"https://...\"}'")
    with _engine().db.tenant(tenant_id) as session:
        tenancy.get_tenant(session, tenant_id)
        changed = plugin_registry.set_enabled(session, tenant_id, name, True, settings=settings)
    click.echo(f"enabled plugin {name} for {tenant_id}" if changed else f"plugin {name} was already enabled")


@plugin_group.command("disable", help="Disable a plugin for a tenant; its settings are kept.")
@click.argument("tenant_id")
@click.argument("name")
def plugin_disable(tenant_id: str, name: str) -> None:
    with _engine().db.tenant(tenant_id) as session:
        tenancy.get_tenant(session, tenant_id)
        changed = plugin_registry.set_enabled(session, tenant_id, name, False)
    click.echo(f"disabled plugin {name} for {tenant_id}" if changed else f"plugin {name} was not enabled")


def _redacted(url: str) -> str:
    head, at, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://***@{tail}" if at else url


if __name__ == "__main__":
    main()
