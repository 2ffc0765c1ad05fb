"""Install the throw-away plugin packages once per file (pip install --target a temp dir on sys.path); the plugin
tests run on a database of their own."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import tenancy
from engine.runtime import Formwork
from engine.tenancy import plugin_registry
from tests.conftest import BACKENDS, migrated, own_database

PACKAGES = Path(__file__).parent / "packages"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The test plugins, built and installed by pip like an integrator would, visible to this process while the
    file's tests run (a shared database created later in this worker must not install their module)."""
    target = tmp_path_factory.mktemp("plugin-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(PACKAGES / "fwtest_tax"), str(PACKAGES / "broken_plugin")],
                   check=True, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    plugin_registry.load()
    yield target
    sys.path.remove(str(target))
    for name in ("fwtest_tax", "broken_plugin"):
        plugin_registry.remove(name)


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           plugin_site: Path) -> Iterator[Formwork]:
    """The plugin tests' own database per backend: `formwork init` with the test plugins loaded installs the module
    of one, which the catalog every other test file shares must not get."""
    with own_database(request.param, tmp_path_factory, "plugins") as url:
        formwork = migrated(url)
        yield formwork
        formwork.db.dispose()


@pytest.fixture
def plugged(engine: Formwork) -> Formwork:
    """The engine with the test plugins loaded and their modules installed."""
    return engine


@pytest.fixture
def tenant(engine: Formwork, tenant: str) -> str:
    """The shared fixture's tenant, with the test plugin's module enabled too."""
    with engine.db.tenant(tenant) as session:
        tenancy.set_module_enabled(session, tenant, "fwtest_claims", True, engine.catalog.modules())
    return tenant
