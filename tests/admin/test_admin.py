"""The operators' console at /admin: its own login, each view, and who may not see it."""
from __future__ import annotations

import re
import secrets

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from app import cli, create_app
from engine import tenancy
from engine.runtime import Formwork
from engine.security import audit
from engine.storage import jobs
from engine.storage.models import User
from engine.tenancy import licenses
from tests.conftest import PASSWORD, add_user
from tests.web.conftest import sign_in

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
OPERATOR_PASSWORD = "operator-pw-1"


@pytest.fixture
def console(engine: Formwork) -> FlaskClient:
    return create_app(engine, TESTING=True, SECRET_KEY="admin-tests").test_client()


def csrf(client: FlaskClient, path: str) -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"{path} has no CSRF field"
    return match.group(1)


@pytest.fixture
def operator(engine: Formwork, console: FlaskClient) -> FlaskClient:
    """A signed-in operator, created with `formwork operator add`."""
    name = f"op-{secrets.token_hex(3)}"
    result = CliRunner().invoke(cli, ["operator", "add", name, "--password", OPERATOR_PASSWORD],
                                env={"FORMWORK_DATABASE_URL": engine.db.url})
    assert result.exit_code == 0 and result.stdout == f"added operator {name}\n", result.output
    response = console.post("/admin/login", data={"name": name, "password": OPERATOR_PASSWORD,
                                                  "_csrf": csrf(console, "/admin/login")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    return console


def post(client: FlaskClient, page: str, action: str, data: dict[str, str]) -> str:
    """Submit a console form the way a browser does; returns the page shown after the redirect."""
    response = client.post(action, data={**data, "_csrf": csrf(client, page)}, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/admin/", "/admin/tenants/", "/admin/licenses/", "/admin/catalog/",
                                  "/admin/users/", "/admin/jobs/", "/admin/audit/"])
def test_anonymous_visitors_and_tenant_users_are_sent_to_the_operator_login(
        engine: Formwork, tenant: str, console: FlaskClient, path: str) -> None:
    response = console.get(path)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    add_user(engine, tenant, "boss", "admin")
    sign_in(console, tenant, "boss")
    assert console.get(path).status_code == 302


def test_actions_need_an_operator_and_a_csrf_token(engine: Formwork, tenant: str, console: FlaskClient) -> None:
    response = console.post("/admin/licenses/issue", data={"tenant": tenant, "plan": "enterprise"})
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    with engine.db.tenant(tenant) as session:
        assert tenancy.get_tenant(session, tenant).license_token is None


def test_wrong_operator_passwords_and_tenant_passwords_do_not_open_the_console(
        engine: Formwork, tenant: str, console: FlaskClient) -> None:
    add_user(engine, tenant, "boss", "admin")
    for name, password in (("boss", PASSWORD), ("nobody", "whatever-pw")):
        response = console.post("/admin/login", data={"name": name, "password": password,
                                                      "_csrf": csrf(console, "/admin/login")})
        assert response.status_code == 401 and "wrong operator name or password" in response.get_data(as_text=True)
    assert console.get("/admin/").status_code == 302
    assert console.post("/admin/login", data={"name": "x", "password": "y"}).status_code == 400


def test_tenants_view_shows_plan_seats_expiry_and_state(engine: Formwork, tenant: str, operator: FlaskClient) -> None:
    add_user(engine, tenant, "boss", "admin")
    with engine.db.tenant(tenant) as session:
        licenses.apply(session, tenancy.get_tenant(session, tenant),
                       licenses.issue(tenant, "professional", seats=7, days=0), "test")
    html = operator.get("/admin/tenants/").get_data(as_text=True)
    row = next(r for r in html.split('<tr class="tenant-row">') if r.startswith(f"<td>{tenant}</td>"))
    assert "<td>professional</td>" in row and "<td>1 / 7</td>" in row and "只读 read-only" in row


def test_operators_issue_and_extend_licenses(engine: Formwork, tenant: str, operator: FlaskClient) -> None:
    page = post(operator, "/admin/licenses/", "/admin/licenses/issue",
                {"tenant": tenant, "plan": "enterprise", "seats": "12", "modules": "base,expense", "days": "0"})
    assert f"license issued and applied to {tenant}" in page
    with engine.db.tenant(tenant) as session:
        grant = licenses.current(tenancy.get_tenant(session, tenant))
        assert grant.is_signed and grant.seats == 12 and grant.modules == ("base", "expense") and grant.is_expired()
    page = post(operator, "/admin/licenses/", "/admin/licenses/extend", {"tenant": tenant, "days": "90"})
    assert f"license of {tenant} extended by 90 days" in page
    with engine.db.tenant(tenant) as session:
        grant = licenses.current(tenancy.get_tenant(session, tenant))
        assert grant.days_left() == 89 and grant.seats == 12 and grant.modules == ("base", "expense")
        assert audit.verify(session, tenant) == []
    refused = post(operator, "/admin/licenses/", "/admin/licenses/issue", {"tenant": "ghost", "plan": "trial"})
    assert "tenant &#39;ghost&#39; does not exist" in refused
    bad = operator.post("/admin/licenses/issue", data={"tenant": tenant, "plan": "enterprise", "seats": "many",
                                                       "_csrf": csrf(operator, "/admin/licenses/")})
    assert bad.status_code == 400


def test_the_catalog_lists_module_versions(operator: FlaskClient) -> None:
    html = operator.get("/admin/catalog/").get_data(as_text=True)
    assert '<tr class="module-row"><td>expense</td><td>1.1.0</td>' in html


def test_users_are_listed_and_can_be_deactivated(engine: Formwork, tenant: str, operator: FlaskClient) -> None:
    add_user(engine, tenant, "li", "admin")
    html = operator.get(f"/admin/users/?tenant={tenant}").get_data(as_text=True)
    assert f"<td>{tenant}</td><td>li</td>" in html
    page = post(operator, f"/admin/users/?tenant={tenant}", "/admin/users/deactivate",
                {"tenant": tenant, "username": "li"})
    assert "li deactivated" in page
    with engine.db.tenant(tenant) as session:
        user = session.get(User, (tenant, "li"))
        assert user is not None and not user.is_active


def test_incidents_can_be_retried(engine: Formwork, tenant: str, operator: FlaskClient) -> None:
    kind = f"test.broken-{secrets.token_hex(3)}"
    with engine.db.tenant(tenant) as session:
        job_id = jobs.enqueue(session, tenant, kind, {}, max_attempts=1)

    def broken(job: jobs.ClaimedJob, moment: object) -> None:
        raise RuntimeError("the webhook answered 500")

    assert jobs.run_due(engine.db, {kind: broken}) == (0, 1)
    html = operator.get("/admin/jobs/?failed=1").get_data(as_text=True)
    assert job_id in html and "RuntimeError: the webhook answered 500" in html
    page = post(operator, "/admin/jobs/?failed=1", "/admin/jobs/retry", {"tenant": tenant, "job": job_id})
    assert f"job {job_id} queued again" in page
    assert [j.state for j in jobs.listing(engine.db) if j.id == job_id] == ["queued"]
    again = post(operator, "/admin/jobs/", "/admin/jobs/retry", {"tenant": tenant, "job": job_id})
    assert "only failed jobs are retried" in again


def test_the_audit_log_viewer_filters_by_tenant_actor_entity_and_date(
        engine: Formwork, tenant: str, operator: FlaskClient) -> None:
    add_user(engine, tenant, "li", "admin")
    html = operator.get(f"/admin/audit/?tenant={tenant}&entity=user").get_data(as_text=True)
    assert html.count('<tr class="audit-row">') == 1 and "user.create" in html
    assert "module.enable" in operator.get(f"/admin/audit/?tenant={tenant}&actor=system").get_data(as_text=True)
    future = operator.get(f"/admin/audit/?tenant={tenant}&since=2999-01-01").get_data(as_text=True)
    assert '<tr class="audit-row">' not in future
    past = operator.get(f"/admin/audit/?tenant={tenant}&until=2000-01-01").get_data(as_text=True)
    assert '<tr class="audit-row">' not in past
    assert operator.get("/admin/audit/?since=yesterday").status_code == 400


def test_a_license_with_too_few_seats_is_refused_in_the_console(engine: Formwork, tenant: str,
                                                                 operator: FlaskClient) -> None:
    for name in ("li", "wang", "zhao"):
        add_user(engine, tenant, name, "admin")
    page = post(operator, "/admin/licenses/", "/admin/licenses/issue",
                {"tenant": tenant, "plan": "professional", "seats": "2"})
    assert (f"this license has 2 seats but tenant &#39;{tenant}&#39; has 3 active users: deactivate 1 of them "
            "first (active users: li, wang, zhao)") in page
    assert "请先停用其中 1 个（启用中的用户：li, wang, zhao）" in page
    with engine.db.tenant(tenant) as session:
        assert licenses.current(tenancy.get_tenant(session, tenant)).seats is None
