"""The tenant context each process caches: one statement per request, and every change seen at the next request,
whichever process made it (two engines on one database, and the command line)."""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from engine import tenancy
from engine.customization.overlays import read_overlay
from engine.customization.tenant_context import TenantContext
from engine.plugins import Plugin
from engine.runtime import Formwork
from engine.tenancy import plugin_registry
from tests.cli.test_cli import run
from tests.conftest import add_user, migrated, new_tenant_id, own_database

OVERLAY = Path(__file__).parents[1] / "overlays" / "fixtures" / "overlay.yaml"
CONTEXT_TABLES = ("module_catalog", "tenant_modules", "tenant_module_versions", "tenant_plugins", "FROM tenants")


@pytest.fixture
def other(engine: Formwork) -> Iterator[Formwork]:
    """A second engine on the same database: another process, as far as caches go."""
    second = Formwork(engine.db.url)
    yield second
    second.db.dispose()


def context(engine: Formwork, tenant: str) -> TenantContext:
    with engine.db.tenant(tenant) as session:
        return engine.contexts.get(session, tenant)


def admin(tenant: str) -> tenancy.Actor:
    return tenancy.Actor(tenant_id=tenant, username="boss", roles=frozenset({"admin"}))


def statements_of_setup(engine: Formwork, actor: tenancy.Actor) -> list[str]:
    seen: list[str] = []

    def listen(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine.db.engine, "before_cursor_execute", listen)
    try:
        with engine.records(actor, reading=True):
            pass
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", listen)
    return [s for s in seen if not s.startswith("BEGIN")]


def test_an_unchanged_tenant_costs_one_small_statement_per_request(engine: Formwork, tenant: str) -> None:
    actor = add_user(engine, tenant, "ann", "admin")
    statements_of_setup(engine, actor)
    [stamp] = statements_of_setup(engine, actor)
    assert stamp.startswith("SELECT tenants.context_stamp")
    assert context(engine, tenant) is context(engine, tenant)


def leaf_module(engine: Formwork, tenant: str) -> str:
    """An enabled module no other module requires: it can be disabled alone."""
    modules = context(engine, tenant).modules
    required = {name for spec in modules.values() for name in spec.requires}
    return sorted(name for name in modules if name not in required)[0]


def test_changes_made_on_the_command_line_are_seen_at_the_next_request(engine: Formwork, tenant: str) -> None:
    leaf = leaf_module(engine, tenant)
    assert context(engine, tenant).parameters["labor"].get("production_review_amount") != "3000.00"
    run(engine, "tenant", "param", tenant, "labor", "production_review_amount", "3000")
    assert context(engine, tenant).parameters["labor"]["production_review_amount"] == "3000.00"
    run(engine, "tenant", "disable", tenant, leaf)
    assert leaf not in context(engine, tenant).modules
    run(engine, "tenant", "enable", tenant, leaf)
    assert leaf in context(engine, tenant).modules
    token = run(engine, "license", "issue", tenant, "--plan", "professional", "--modules", "base,labor").stdout
    run(engine, "license", "apply", tenant, token.strip())
    now = context(engine, tenant)
    assert now.grant.plan == "professional" and set(now.modules) == {"base", "labor"} and leaf in now.unlicensed


def test_another_engine_sees_publishing_and_rolling_back(engine: Formwork, other: Formwork, tenant: str) -> None:
    assert context(other, tenant).modules["labor"].version == "1.6.0"
    with engine.adjustments(admin(tenant)) as service:
        service.publish("labor", read_overlay(OVERLAY))
    assert context(other, tenant).modules["labor"].version == "1.6.0+t1"
    with engine.adjustments(admin(tenant)) as service:
        service.rollback("labor")
    assert context(other, tenant).modules["labor"].version == "1.6.0"


def test_another_engine_sees_plugins_enabled_and_their_settings(engine: Formwork, other: Formwork,
                                                                tenant: str) -> None:
    plugin_registry.add(Plugin("ctx_probe", settings_schema={"type": "object"}))
    try:
        assert "ctx_probe" not in context(other, tenant).plugins
        with engine.db.tenant(tenant) as session:
            plugin_registry.set_enabled(session, tenant, "ctx_probe", True, settings={"level": 1})
        assert context(other, tenant).plugins["ctx_probe"] == {"level": 1}
        with engine.db.tenant(tenant) as session:
            plugin_registry.set_enabled(session, tenant, "ctx_probe", True, settings={"level": 2})
        assert context(other, tenant).plugins["ctx_probe"] == {"level": 2}
        with engine.db.tenant(tenant) as session:
            plugin_registry.set_enabled(session, tenant, "ctx_probe", False)
        assert "ctx_probe" not in context(other, tenant).plugins
    finally:
        plugin_registry.remove("ctx_probe")


def notes_module(folder: Path, name: str, version: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "module.json").write_text(
        f'{{"module": "{name}", "version": "{version}", "title": {{"zh": "便签", "en": "Notes"}},\n'
        ' "entities": {"note": {"fields": {"title": {"type": "text", "required": true}}}}}\n', encoding="utf-8")
    return folder


def test_another_engine_sees_a_new_version_installed_in_the_catalog(
        engine: Formwork, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """On a database of its own: installing a module changes the catalog every other test shares."""
    with own_database(engine.db.dialect, tmp_path_factory, "catalog_stamp") as url:
        first, second = migrated(url), Formwork(url)
        try:
            tenant = new_tenant_id()
            with first.db.tenant(tenant) as session:
                tenancy.create_tenant(session, tenant, plan="enterprise")
            name = f"ctx_notes_{secrets.token_hex(3)}"
            first.catalog.install(notes_module(tmp_path / name, name, "1.0.0"))
            first.enable_module(tenant, name)
            assert context(second, tenant).modules[name].version == "1.0.0"
            first.catalog.install(notes_module(tmp_path / name, name, "1.1.0"))  # the tenant's rows do not change
            assert context(second, tenant).modules[name].version == "1.1.0"
        finally:
            first.db.dispose()
            second.db.dispose()


def test_a_context_built_from_changes_that_roll_back_is_not_kept(engine: Formwork, tenant: str) -> None:
    leaf = leaf_module(engine, tenant)
    installed = engine.catalog.modules()
    with pytest.raises(RuntimeError), engine.db.tenant(tenant) as session:
        tenancy.set_module_enabled(session, tenant, leaf, False, installed)
        session.flush()
        assert leaf not in engine.contexts.get(session, tenant).modules
        raise RuntimeError("the change is rolled back")
    assert leaf in context(engine, tenant).modules
