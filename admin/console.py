"""The operators' console at /admin (flask-admin views over engine services; operators log in apart from tenants).

flask-admin's ModelView is not used on purpose: it would query tenant tables without a tenant scope,
which the engine refuses. Each view calls an engine service instead (engine/tenancy/oversight.py,
engine/storage/jobs.py).
"""
from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, time
from typing import Any

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_admin import Admin, AdminIndexView, BaseView, expose
from werkzeug.wrappers import Response

from engine.errors import FormworkError
from engine.runtime import Formwork
from engine.storage import jobs
from engine.tenancy import licenses, login_throttle, operators, oversight
from web.login_guard import TooManyAttempts, guarded
from web.redirects import local_path
from web.ui.error_text import engine_error_text

SESSION_KEY = "operator"
GENERATION_KEY = "operator_generation"   # the operator's session generation at login: logout moves it on
CSRF_KEY = "admin_csrf"
auth = Blueprint("admin_auth", __name__, url_prefix="/admin", template_folder="templates", static_folder="static",
                 static_url_path="/assets")  # flask-admin owns /admin/static


def formwork() -> Formwork:
    engine: Formwork = current_app.extensions["formwork"]
    return engine


def operator() -> str | None:
    """The signed-in operator, if still active and not logged out since; a tenant user's session never counts."""
    name = session.get(SESSION_KEY)
    if not isinstance(name, str):
        return None
    with formwork().db.platform() as db_session:
        return name if operators.is_signed_in(db_session, name, session.get(GENERATION_KEY)) else None


def csrf_token() -> str:
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(24)
    token: str = session[CSRF_KEY]
    return token


def check_csrf() -> None:
    sent = request.form.get("_csrf", "")
    if not sent or not hmac.compare_digest(sent, session.get(CSRF_KEY, "")):
        abort(400, "the form expired; reload the page and try again")


@auth.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "POST":
        check_csrf()
        name, target = request.form.get("name", ""), request.form.get("next", "")
        try:
            with guarded(login_throttle.account_key("operator", name)), formwork().db.platform() as db_session:
                generation = operators.authenticate(db_session, name, request.form.get("password", "")
                                                    ).session_generation
        except TooManyAttempts as refused:
            flash(refused.message, "error")
            page = render_template("formwork_admin/login.html", csrf_token=csrf_token(), next=target)
            return Response(page, 429, {"Retry-After": str(refused.retry_after)}, mimetype="text/html")
        except FormworkError as error:
            flash(f"{error.message} / 操作员名称或密码错误", "error")
            return render_template("formwork_admin/login.html", csrf_token=csrf_token(), next=target), 401
        session.clear()
        session[SESSION_KEY], session[GENERATION_KEY] = name, generation
        return redirect(local_path(target) or url_for("admin.index"))
    return render_template("formwork_admin/login.html", csrf_token=csrf_token(), next=request.args.get("next", ""))


@auth.post("/logout")
def logout() -> Response:
    """End the console session on the server too: a copy of the cookie opens nothing afterwards."""
    check_csrf()
    name = operator()
    if name is not None:
        with formwork().db.platform() as db_session:
            operators.log_out(db_session, name)
    session.pop(SESSION_KEY, None)
    session.pop(GENERATION_KEY, None)
    return redirect(url_for("admin_auth.login"))


class OperatorOnly(BaseView):
    """Every console view: operators only; anyone else is sent to the operators' login."""

    def is_accessible(self) -> bool:
        return operator() is not None

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        return redirect(url_for("admin_auth.login", next=request.path))

    def page(self, template: str, **context: Any) -> str:
        text: str = self.render(template, csrf_token=csrf_token(), operator=operator(), **context)
        return text

    def act(self, work: Any, done: str) -> Response:
        """Run a POSTed action: flash its result or its engine error, then go back to the list."""
        check_csrf()
        try:
            work()
            flash(done, "success")
        except FormworkError as error:
            chinese = engine_error_text(error, "zh")
            flash(f"{error.message} / {chinese}" if chinese != error.message else error.message, "error")
        return redirect(local_path(request.form.get("next")) or url_for(".index"))


class Home(OperatorOnly, AdminIndexView):
    @expose("/")
    def index(self) -> str:
        tenants = oversight.tenants(formwork().db)
        incidents = jobs.listing(formwork().db, failed_only=True)
        return self.page("formwork_admin/home.html", tenants=tenants, incidents=incidents)


class Tenants(OperatorOnly):
    @expose("/")
    def index(self) -> str:
        return self.page("formwork_admin/tenants.html", tenants=oversight.tenants(formwork().db))


class Licenses(OperatorOnly):
    @expose("/")
    def index(self) -> str:
        return self.page("formwork_admin/licenses.html", tenants=oversight.tenants(formwork().db),
                         plans=licenses.PLANS)

    @expose("/issue", methods=["POST"])
    def issue(self) -> Response:
        form = request.form
        tenant_id = form.get("tenant", "")

        def work() -> None:
            oversight.issue_and_apply(formwork().db, tenant_id, form.get("plan", ""), seats=_int(form, "seats"),
                                      modules=_list(form.get("modules", "")), days=_int(form, "days"),
                                      operator=operator() or "")
        return self.act(work, f"license issued and applied to {tenant_id} / 已签发并应用授权")

    @expose("/extend", methods=["POST"])
    def extend(self) -> Response:
        tenant_id, days = request.form.get("tenant", ""), _int(request.form, "days")

        def work() -> None:
            if days is None:
                raise licenses.InvalidLicense("give the number of days the license should run from today")
            oversight.extend(formwork().db, tenant_id, days, operator() or "")
        return self.act(work, f"license of {tenant_id} extended by {days} days / 授权已延期")


class Catalog(OperatorOnly):
    @expose("/")
    def index(self) -> str:
        return self.page("formwork_admin/catalog.html", modules=oversight.catalog(formwork().db))


class Users(OperatorOnly):
    @expose("/")
    def index(self) -> str:
        tenant_id = request.args.get("tenant", "")
        try:
            found = oversight.users(formwork().db, tenant_id or None)
        except FormworkError as error:
            flash(error.message, "error")
            found = []
        return self.page("formwork_admin/users.html", users=found, tenant=tenant_id)

    @expose("/deactivate", methods=["POST"])
    def deactivate(self) -> Response:
        tenant_id, username = request.form.get("tenant", ""), request.form.get("username", "")

        def work() -> None:
            oversight.set_user_active(formwork().db, tenant_id, username, False, operator() or "")
        return self.act(work, f"{username} deactivated / 已停用")


class Jobs(OperatorOnly):
    @expose("/")
    def index(self) -> str:
        failed_only = request.args.get("failed") == "1"
        return self.page("formwork_admin/jobs.html", jobs=jobs.listing(formwork().db, failed_only=failed_only),
                         failed_only=failed_only)

    @expose("/retry", methods=["POST"])
    def retry(self) -> Response:
        tenant_id, job_id = request.form.get("tenant", ""), request.form.get("job", "")
        return self.act(lambda: jobs.retry(formwork().db, tenant_id, job_id), f"job {job_id} queued again / 已重新排队")


class Audit(OperatorOnly):
    @expose("/")
    def index(self) -> str:
        args = request.args
        wanted = oversight.AuditFilter(tenant=args.get("tenant", "").strip(), actor=args.get("actor", "").strip(),
                                       target=args.get("entity", "").strip(), since=_date(args.get("since"), time.min),
                                       until=_date(args.get("until"), time.max))
        try:
            entries = oversight.audit_entries(formwork().db, wanted)
        except FormworkError as error:
            flash(error.message, "error")
            entries = []
        return self.page("formwork_admin/audit.html", entries=entries, wanted=wanted, args=args)


def _int(form: Any, name: str) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        abort(400, f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def _list(raw: str) -> list[str] | None:
    items = [m.strip() for m in raw.split(",") if m.strip()]
    return items or None


def _date(raw: str | None, at: time) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.combine(datetime.strptime(raw, "%Y-%m-%d").date(), at, tzinfo=UTC)
    except ValueError:
        abort(400, f"dates are written YYYY-MM-DD, not {raw!r}")


def register(app: Flask) -> None:
    """Mount the console at /admin with new view objects (flask-admin binds a view to one app)."""
    app.register_blueprint(auth)
    console = Admin(app, name="Formwork 运营 / Operators", url="/admin",
                    index_view=Home(name="首页 Home", url="/admin", endpoint="admin"))
    console.add_view(Tenants(name="租户 Tenants", endpoint="tenants"))
    console.add_view(Licenses(name="授权 Licenses", endpoint="licenses"))
    console.add_view(Catalog(name="模块目录 Modules", endpoint="catalog"))
    console.add_view(Users(name="用户 Users", endpoint="users"))
    console.add_view(Jobs(name="后台任务 Jobs", endpoint="jobs"))
    console.add_view(Audit(name="审计日志 Audit log", endpoint="audit"))
