"""The tenant sees its license on the dashboard, and a banner when read-only or expiring soon."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from engine import tenancy
from engine.runtime import Formwork
from engine.tenancy import licenses
from tests.conftest import add_user
from tests.web.conftest import sign_in


def apply(engine: Formwork, tenant_id: str, token: str) -> None:
    with engine.db.tenant(tenant_id) as session:
        licenses.apply(session, tenancy.get_tenant(session, tenant_id), token, "operator")


def test_the_dashboard_shows_plan_seats_and_expiry(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "ann", "admin")
    apply(engine, tenant, licenses.issue(tenant, "professional", seats=5, days=100))
    expires = (datetime.now(UTC) + timedelta(days=100)).date().isoformat()
    html = sign_in(client, tenant, "ann").text("/")
    assert f"License: Professional, seats 1 of 5 in use, expires {expires}" in html
    assert "license-banner" not in html
    zh = sign_in(client, tenant, "ann", language="zh").text("/")
    assert f"授权：专业版，已用席位 1 / 5，到期 {expires}" in zh


def test_a_banner_warns_a_week_before_expiry_and_says_read_only_after(
        engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "ann", "admin")
    apply(engine, tenant, licenses.issue(tenant, "enterprise", days=3))
    visitor = sign_in(client, tenant, "ann")
    assert "days left)" in visitor.text("/")
    apply(engine, tenant, licenses.issue(tenant, "enterprise", days=0))
    today = datetime.now(UTC).date().isoformat()
    assert f"The license expired on {today}: this tenant is read-only" in visitor.text("/")
    assert f"授权已于 {today} 到期，本租户为只读" in sign_in(client, tenant, "ann", language="zh").text("/tasks")
