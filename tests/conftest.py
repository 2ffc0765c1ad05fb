"""Shared fixtures: a real SQLite file and, when `make test` provides one, a real PostgreSQL database."""
from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select

from app import create_app
from engine import tenancy
from engine.declarations.loader import builtin_folders, module_name_of
from engine.runtime import Formwork
from engine.storage.models import CatalogModule

FIXTURES = Path(__file__).parent / "fixtures"
TESTS = Path(__file__).parent
# Every module a test uses, installed once per database by the `engine` fixture. No test installs one later, so
# the catalog, and what a tenant may enable, never depends on which test files ran before in the same worker.
FIXTURE_MODULES = ("site", "visa", "crewpay")   # enabled in every `tenant`, with the built-in modules
TEST_MODULES = (*(FIXTURES / "modules" / name for name in (
    *FIXTURE_MODULES, "rulebook", "guardbook", "clashbook", "depot", "yard", "crew", "vault", "notes_json", "permits",
    "meters", "tally", "flowbook", "signoff")),
    TESTS / "web" / "fixtures" / "formshop", TESTS / "web" / "fixtures" / "titlehops",
    TESTS / "excel" / "fixtures" / "sheetshop")
BUILTIN_MODULES = frozenset(module_name_of(folder) for folder in builtin_folders())
TENANT_MODULES = BUILTIN_MODULES | frozenset(FIXTURE_MODULES)   # what the `tenant` fixture enables, always
# Password hashing at production cost (2^14) is most of a fixture's time; tests hash at 2^10.
os.environ.setdefault("FORMWORK_SCRYPT_LOG2_N", "10")
PG_URL = os.environ.get("FORMWORK_TEST_DATABASE_URL")
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # set by pytest-xdist in each of its worker processes
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="no PostgreSQL: run through `make test` with a server on 127.0.0.1:5432"))]
PASSWORD = "secret-pw"


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker gets its own PostgreSQL database next to the run's one, so workers
    never migrate or clean up each other's data (CLI subprocesses inherit the worker's URL). One instance key for
    the whole run, chosen in the controller before the workers start (they inherit it): a demo database copied
    from another worker (tests/demo_copy.py) then verifies its audit anchors here too."""
    global PG_URL
    os.environ.setdefault("FORMWORK_TEST_INSTANCE_KEY", secrets.token_hex(32))
    if not (PG_URL and WORKER):
        return
    base, _, name = PG_URL.rpartition("/")
    PG_URL = f"{base}/{name}_{WORKER}"
    with _admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}_{WORKER}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}_{WORKER}"')
    os.environ["FORMWORK_TEST_DATABASE_URL"] = PG_URL


def pytest_unconfigure(config: pytest.Config) -> None:
    if PG_URL and WORKER:
        with _admin_connection() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{PG_URL.rpartition("/")[2]}" WITH (FORCE)')


def _admin_connection() -> psycopg.Connection[Any]:
    assert PG_URL
    server = PG_URL.rpartition("/")[0].replace("postgresql+psycopg://", "postgresql://", 1)
    return psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Formwork]:
    """One migrated database per backend for the whole run, with the built-in modules and TEST_MODULES; at the end,
    the catalog must be what it was after setup (tests enable modules per tenant, they never install one)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'formwork.db'}"
    else:
        assert PG_URL
        url = PG_URL
    formwork = migrated(url)
    installed = catalog_rows(formwork)
    yield formwork
    assert catalog_rows(formwork) == installed, "a test changed the catalog shared by every test of this worker"
    formwork.db.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def demo_formwork(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Formwork]:
    """This module's own copy of the demo tenant, on each backend: copied from one build per run
    (tests/demo_copy.py), never built on the shared `engine`, so what one module changes no other sees."""
    from tests.demo_copy import copied

    with copied(request.param, tmp_path_factory, PG_URL) as formwork:
        yield formwork


def migrated(url: str) -> Formwork:
    """A Formwork on `url`, migrated, with the built-in modules, those of the loaded plugins and TEST_MODULES."""
    formwork = Formwork(url)
    commit_without_flush(formwork)
    formwork.initialise()
    for path in TEST_MODULES:
        formwork.catalog.install(path)
    return formwork


def commit_without_flush(formwork: Formwork) -> None:
    """Commits of the test databases wait for no flush to disk: test data need not outlive a power cut, and the
    flush costs 3-5 ms a commit on this machine (0.4 ms without), more on a busy disk. Transactions, locks and
    isolation are untouched (PostgreSQL's synchronous_commit=off, SQLite's synchronous=NORMAL in WAL mode)."""
    if formwork.db.dialect == "postgresql":
        with formwork.db.engine.connect() as connection:   # for every later session, also of CLI subprocesses
            name = connection.exec_driver_sql("SELECT current_database()").scalar_one()
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
            connection.commit()
    else:
        event.listen(formwork.db.engine, "connect", _sqlite_synchronous_normal)
    formwork.db.dispose()


def _sqlite_synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def catalog_rows(formwork: Formwork) -> set[tuple[str, str, str]]:
    """The installed modules, versions and digests."""
    with formwork.db.platform() as session:
        rows = session.execute(select(CatalogModule.name, CatalogModule.version, CatalogModule.digest))
        return {(name, version, digest) for name, version, digest in rows}


@contextmanager
def own_database(backend: str, tmp_path_factory: pytest.TempPathFactory, label: str) -> Iterator[str]:
    """The URL of a fresh, empty database of `backend` next to the shared one, dropped afterwards: for tests that
    must change what the shared one holds for every test (its catalog, say)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp(label) / 'formwork.db'}"
        return
    assert PG_URL
    server, _, name = PG_URL.rpartition("/")
    database = f"{name}_{label}"
    with _admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    try:
        yield f"{server}/{database}"
    finally:
        with _admin_connection() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def license_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This run's operator signing key, outside the repository (CLI subprocesses inherit the variable)."""
    path = tmp_path_factory.mktemp("keys") / "license_key.pem"
    previous = os.environ.get("FORMWORK_LICENSE_KEY")
    os.environ["FORMWORK_LICENSE_KEY"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("FORMWORK_LICENSE_KEY", None)
    else:
        os.environ["FORMWORK_LICENSE_KEY"] = previous


@pytest.fixture(scope="session", autouse=True)
def instance_key() -> Iterator[str]:
    """This run's instance key (audit anchors, backup signatures), never the repository's instance folder."""
    previous = os.environ.get("FORMWORK_INSTANCE_KEY")
    os.environ["FORMWORK_INSTANCE_KEY"] = key = os.environ["FORMWORK_TEST_INSTANCE_KEY"]
    yield key
    if previous is None:
        os.environ.pop("FORMWORK_INSTANCE_KEY", None)
    else:
        os.environ["FORMWORK_INSTANCE_KEY"] = previous


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a browser test whose pages reported a Content-Security-Policy violation (tests/browser.py)."""
    from tests.browser import take_csp_violations

    try:  # the violations reported since the last test's end: its fixtures' pages count too
        result = yield
    finally:
        violations = take_csp_violations()
    if violations:
        raise AssertionError("the Content-Security-Policy blocked something on the page:\n" + "\n".join(violations))
    return result


@pytest.fixture(scope="session")
def shared_chromium() -> Iterator[Any]:
    """One headless Chromium per worker process for every browser test file (tests/browser.py)."""
    from tests.browser import CHROMIUM, chromium

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make test` (it installs chromium and fonts-wqy-microhei)")
    with chromium() as launched:
        yield launched


@pytest.fixture
def browser(shared_chromium: Any) -> Iterator[Any]:
    """The worker's Chromium; the contexts (and pages) a test opens are closed after it."""
    yield shared_chromium
    for context in shared_chromium.contexts:
        context.close()


def all_at_once(*works: Callable[[], None], timeout: float = 120) -> list[BaseException]:
    """Run each work in a thread of its own, all released together; what they raised."""
    start = threading.Barrier(len(works))
    failures: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        try:
            start.wait(timeout=30)
            work()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return failures


def new_tenant_id() -> str:
    return f"t-{secrets.token_hex(4)}"


@pytest.fixture
def tenant(engine: Formwork) -> str:
    """A fresh tenant with TENANT_MODULES enabled: tests never see each other's data, and whichever files ran
    before, a tenant starts with the same modules."""
    tenant_id = new_tenant_id()
    installed = engine.catalog.modules()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
        for name in sorted(TENANT_MODULES):
            tenancy.set_module_enabled(session, tenant_id, name, True, installed)
    return tenant_id


def add_user(engine: Formwork, tenant_id: str, username: str, *roles: str) -> tenancy.Actor:
    with engine.db.tenant(tenant_id) as session:
        user = tenancy.add_user(session, tenant_id, username, PASSWORD, roles)
        return tenancy.actor_of(user)


@pytest.fixture
def client(engine: Formwork) -> FlaskClient:
    return create_app(engine, TESTING=True).test_client()


class Api:
    """A logged-in API user: `api.get('/records/...')` returns the Flask response."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.get("/api/v1" + path, headers=self.headers, **kwargs)

    def post(self, path: str, json: object = None):  # type: ignore[no-untyped-def]
        return self.client.post("/api/v1" + path, headers=self.headers, json=json)

    def patch(self, path: str, json: object = None):  # type: ignore[no-untyped-def]
        return self.client.patch("/api/v1" + path, headers=self.headers, json=json)

    def delete(self, path: str):  # type: ignore[no-untyped-def]
        return self.client.delete("/api/v1" + path, headers=self.headers)


def login(client: FlaskClient, tenant_id: str, username: str) -> Api:
    response = client.post("/api/v1/auth/token", json={"tenant": tenant_id, "username": username,
                                                       "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return Api(client, response.get_json()["token"])


# --- master data: a valid base.project needs an organisation unit and an owner ---------------------------

Create = Callable[[str, dict[str, Any]], dict[str, Any]]   # (base entity, body) -> the created record


def project_body(code: str, *, owner_party: str, org_unit: str, manager: str = "pm", **extra: Any) -> dict[str, Any]:
    """A valid base.project body (domain.md §0.1); `extra` overrides or adds fields."""
    return {"project_code": code, "project_name": f"Project {code}", "project_type": "building",
            "contract_mode": "general_contracting", "owner_party": owner_party, "org_unit": org_unit,
            "project_manager": manager, "contract_amount": "10000000.00", "planned_start_date": "2024-01-01",
            "planned_finish_date": "2025-12-31", "members": [{"user": manager, "position": "project_manager"}],
            **extra}


PROJECT_POSITIONS = ("project_manager", "production_manager", "chief_engineer", "project_cost_engineer",
                     "project_accountant", "site_engineer", "material_clerk", "labor_clerk", "safety_officer",
                     "document_clerk")


def members_of(users: dict[str, str]) -> list[dict[str, str]]:
    """A project's members table listing every user (name -> role) whose role is a project role (domain.md §4)."""
    return [{"user": name, "position": role} for name, role in users.items() if role in PROJECT_POSITIONS]


def new_project(create: Create, code: str = "P-001", **extra: Any) -> dict[str, Any]:
    """Create a project together with the organisation unit and owner it refers to."""
    org = create("org_unit", {"unit_code": f"ORG-{code}", "unit_name": f"Branch {code}"})
    owner = create("party", {"party_name": f"Owner of {code}", "party_type": ["owner"],
                             "credit_code": "91350100M000100Y43"})
    return create("project", project_body(code, owner_party=owner["id"], org_unit=org["id"], **extra))


def api_creator(api: Api, module: str = "base") -> Create:
    """`create(entity, body)` over the REST API, asserting 201."""
    def create(entity: str, body: dict[str, Any]) -> dict[str, Any]:
        response = api.post(f"/records/{module}/{entity}", body)
        assert response.status_code == 201, response.get_json()
        result: dict[str, Any] = response.get_json()
        return result
    return create


def outsider(engine: Formwork, client: FlaskClient, tenant_id: str, role: str) -> Api:
    """A user with `role` who is a member of no project."""
    add_user(engine, tenant_id, f"out-{role}", role)
    return login(client, tenant_id, f"out-{role}")


def assert_only_members_see(member: Api, stranger: Api, module: str, entity: str, record_id: str,
                            report: str | None = None) -> None:
    """A project member reads the record, by id, in lists and in `report`; a non-member with the same role
    gets it in none of them (404 by id)."""
    path = f"/records/{module}/{entity}"
    assert member.get(f"{path}/{record_id}").status_code == 200
    assert record_id in [item["id"] for item in member.get(path, query_string={"limit": 500}).get_json()["items"]]
    missing = stranger.get(f"{path}/{record_id}")
    assert missing.status_code == 404, missing.get_json()
    listed = stranger.get(path, query_string={"limit": 500})
    assert listed.status_code == 200 and record_id not in [item["id"] for item in listed.get_json()["items"]]
    if report is not None:
        seen = member.get(f"/reports/{module}/{report}")
        assert seen.status_code == 200 and seen.get_json()["rows"], seen.get_json()
        hidden = stranger.get(f"/reports/{module}/{report}")
        assert hidden.status_code == 200 and hidden.get_json()["rows"] == [], hidden.get_json()


def errors_of(response: Any) -> dict[str, str]:
    """The field errors of a 422 response, field -> message."""
    assert response.status_code == 422, response.get_json()
    return {e["field"]: e["message"] for e in response.get_json()["errors"]}


def tasks(api: Api, record_id: str | None = None) -> list[dict[str, Any]]:
    """The user's open tasks, optionally only those of one record."""
    found: list[dict[str, Any]] = api.get("/tasks").get_json()["items"]
    return [t for t in found if record_id is None or t["record_id"] == record_id]


def decide(api: Api, record_id: str, decision: str = "approve", comment: str = "",
           data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Complete the user's one open task on a record; returns the record."""
    [task] = tasks(api, record_id)
    body: dict[str, Any] = {"decision": decision, "comment": comment}
    if data is not None:
        body["data"] = data
    response = api.post(f"/tasks/{task['id']}/complete", body)
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result
