"""Schemathesis over the tenant's OpenAPI document: no server error, no undocumented status (bounded run;
bench/fuzz.py is the long one against a real server)."""
from __future__ import annotations

import schemathesis
from schemathesis import APIOperation

from app import create_app
from engine import tenancy
from engine.runtime import Formwork
from engine.storage.models import User
from tests.conftest import PASSWORD, new_tenant_id
from tests.fuzzing import ends_its_token, fuzz, operations

EXAMPLES = 2  # per operation and generation mode (valid and invalid): ~60 s for both databases
ADMIN = "fuzz-admin-7d1c"  # a name the generated user names will not hit: its token must stay valid


def test_no_operation_answers_a_server_error_or_an_undocumented_status(engine: Formwork) -> None:
    tenant = new_tenant_id()
    installed = engine.catalog.modules()
    with engine.db.tenant(tenant) as session:
        tenancy.create_tenant(session, tenant, plan="enterprise")
        for name in ("base", "site", "visa"):
            tenancy.set_module_enabled(session, tenant, name, True, installed)
        tenancy.add_user(session, tenant, ADMIN, PASSWORD, ["admin", "storekeeper", "manager", "finance"])
        tenancy.add_user(session, tenant, "clerk", PASSWORD, ["storekeeper"])

    def token() -> str:
        with engine.db.tenant(tenant) as session:
            user = session.get(User, (tenant, ADMIN))
            assert user is not None
            return tenancy.issue_token(session, user).token

    kept = token()

    def headers(operation: APIOperation) -> dict[str, str]:
        """Logging out and refreshing end the token sent: those operations get a token of their own each time."""
        return {"Authorization": f"Bearer {token() if ends_its_token(operation) else kept}"}

    app = create_app(engine, TESTING=True)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers={"Authorization": f"Bearer {kept}"})
    # every operation but the records of other entities than one (each entity's are alike; bench/fuzz.py runs all)
    chosen = operations(schema, lambda op: not op.path.startswith("/records/")
                        or op.path.startswith("/records/site/delivery"))
    labels = {operation.label for operation in chosen}
    assert {"DELETE /auth/token", "POST /auth/token", "POST /designer/users/{username}/reset",
            "POST /designer/users/{username}/deactivate", "GET /records/site/delivery"} <= labels

    report = fuzz(chosen, headers, EXAMPLES)

    assert set(report.calls) == labels
    assert report.findings == [], report.summary()
    # the kept token lived through the run: every operation was tried signed in, not answered 401 after a refresh
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {kept}"}).status_code == 200

