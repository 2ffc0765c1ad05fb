"""The demo tenant `make run` opens with: users of every role and a few sample records."""
from __future__ import annotations

from datetime import date, timedelta

from engine import tenancy
from engine.runtime import Formwork

DEMO_TENANT = "demo"
DEMO_PASSWORD = "demo1234"
DEMO_USERS = {
    "admin": ("管理员", ["admin"]),
    "pm": ("王经理", ["project_manager"]),
    "alice": ("李工", ["applicant", "member"]),
    "finance": ("赵会计", ["finance"]),
}


def create_demo(engine: Formwork) -> str:
    """Create the demo tenant once; running it again changes nothing."""
    engine.initialise()
    with engine.db.platform() as session:
        if DEMO_TENANT in tenancy.tenant_ids(session):
            return (f"demo tenant {DEMO_TENANT!r} already exists "
                    f"(users: {', '.join(DEMO_USERS)}; password {DEMO_PASSWORD})")
    installed = engine.catalog.modules()
    with engine.db.tenant(DEMO_TENANT) as session:
        tenancy.create_tenant(session, DEMO_TENANT, name="示范建设集团 Demo Construction", plan="enterprise")
        for module in installed:
            tenancy.set_module_enabled(session, DEMO_TENANT, module, True, installed)
        for username, (name, roles) in DEMO_USERS.items():
            tenancy.add_user(session, DEMO_TENANT, username, DEMO_PASSWORD, roles, display_name=name)
        admin = tenancy.actor_of(tenancy.authenticate(session, DEMO_TENANT, "admin", DEMO_PASSWORD))
    _sample_records(engine, admin)
    return f"created demo tenant {DEMO_TENANT!r}: users {', '.join(DEMO_USERS)}, password {DEMO_PASSWORD}"


def _sample_records(engine: Formwork, admin: tenancy.Actor) -> None:
    today = date.today()
    with engine.records(admin) as records:
        projects = [
            records.create("base", "project", {
                "code": code, "name": name, "manager": "pm", "contract_amount": amount,
                "start_date": (today - timedelta(days=120)).isoformat(),
                "finish_date": (today + timedelta(days=240)).isoformat(), "state": "in_progress"})
            for code, name, amount in [("XM-2024-001", "城南安置房一期", "86500000.00"),
                                       ("XM-2024-002", "滨江大道市政改造", "42800000.00")]
        ]
        if "expense" not in records.modules:
            return
        for number, (project, category, lines) in enumerate([
            (projects[0], "travel", [("高铁票 往返", "2", "553.50"), ("住宿", "3", "380")]),
            (projects[0], "material", [("安全帽", "40", "35.8"), ("反光背心", "40", "22")]),
            (projects[1], "material", [("警示锥", "120", "18.5")]),
        ], start=1):
            records.create("expense", "claim", {
                "code": f"BX-{today:%Y%m}-{number:03d}", "project": project["id"], "category": category,
                "date": (today - timedelta(days=number * 3)).isoformat(),
                "lines": [{"item": item, "qty": qty, "price": price} for item, qty, price in lines]})
