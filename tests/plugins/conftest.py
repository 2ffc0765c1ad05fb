"""Install the throw-away plugin packages once per run (pip install --target a temp dir on sys.path)."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from engine import plugin_registry
from engine.runtime import Formwork
from engine.storage.workflow_models import Job

PACKAGES = Path(__file__).parent / "packages"


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The test plugins, built and installed by pip like an integrator would, visible to this process."""
    target = tmp_path_factory.mktemp("plugin-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(PACKAGES / "fwtest_tax"), str(PACKAGES / "broken_plugin")],
                   check=True, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    plugin_registry.load()
    yield target
    sys.path.remove(str(target))


@pytest.fixture
def plugged(engine: Formwork, plugin_site: Path) -> Formwork:
    """The session engine with the test plugins loaded and their modules installed."""
    engine.initialise()
    return engine


@pytest.fixture(autouse=True)
def no_jobs_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    """Hook and service jobs of a test's tenant go with it: workers started by later tests (on the shared
    database, without these plugins installed) must not find them."""
    if "tenant" not in request.fixturenames:
        yield
        return
    engine, tenant = request.getfixturevalue("engine"), request.getfixturevalue("tenant")
    yield
    with engine.db.platform() as session:
        session.execute(delete(Job).where(Job.tenant_id == tenant))
