"""The shared fixtures do not depend on which test files ran before: the catalog is installed once per database,
and every fresh tenant starts with the same declared modules."""
from __future__ import annotations

from engine import tenancy
from engine.declarations.loader import module_name_of, read_folder
from engine.runtime import Formwork
from engine.tenancy import plugin_registry
from tests.conftest import BUILTIN_MODULES, TENANT_MODULES, TEST_MODULES


def test_a_fresh_tenant_has_exactly_the_declared_modules_enabled(engine: Formwork, tenant: str) -> None:
    with engine.db.tenant(tenant) as session:
        assert sorted(tenancy.enabled_modules(session, tenant)) == sorted(TENANT_MODULES)


def test_the_catalog_holds_the_built_in_plugin_and_test_modules_and_nothing_else(engine: Formwork) -> None:
    shipped = {module_name_of(read_folder(path)) for plugin in plugin_registry.loaded().values()
               for path in plugin.modules}
    declared = {module_name_of(read_folder(path)) for path in TEST_MODULES}
    assert set(engine.catalog.modules()) == BUILTIN_MODULES | shipped | declared
    assert engine.catalog.broken == []
