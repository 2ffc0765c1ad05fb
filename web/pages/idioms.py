"""The idioms' buttons on the record page: 加签 and 退回到 on a task, 催办 for the submitter (thin posts)."""
from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from engine.approvals import idioms, reminders
from web.pages.blueprint import pages
from web.pages.records.record import _act
from web.pages.tasks import _decided
from web.ui.i18n import t


@pages.post("/tasks/<task_id>/add_signer")
def task_add_signer(task_id: str) -> Response:
    users = [u.strip() for value in request.form.getlist("users") for u in value.split(",") if u.strip()]
    body = {"decision": "add_signer", "users": users, "position": request.form.get("position", ""),
            "comment": request.form.get("comment", "").strip()}
    return _decided(lambda s: idioms.decide(s, task_id, body), t("idioms.added", users=", ".join(users)))


@pages.post("/tasks/<task_id>/return_to")
def task_return_to(task_id: str) -> Response:
    body = {"decision": "return", "to": request.form.get("to") or idioms.PREVIOUS,
            "comment": request.form.get("comment", "").strip()}
    return _decided(lambda s: idioms.decide(s, task_id, body), t("idioms.returned"))


@pages.post("/m/<module>/<entity>/<record_id>/remind")
def record_remind(module: str, entity: str, record_id: str) -> Response:
    return _act(module, entity, record_id, lambda s: reminders.remind(s, module, entity, record_id), "idioms.reminded")
