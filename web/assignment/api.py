"""`/api/v1` routes of who decides a task: the administrator's incidents and reassignment, my delegation.

GET    /api/v1/tasks/incidents          open tasks nobody was offered (tenant administrators)
POST   /api/v1/tasks/<id>/reassign      {"users": [...]}: offer the task to these users instead (administrators)
GET    /api/v1/me/delegation            my out-of-office delegation, or null
PUT    /api/v1/me/delegation            {"to", "from", "until"}: my tasks go to `to` too, those days included
DELETE /api/v1/me/delegation            end it
"""
from __future__ import annotations

from flask import Response, jsonify

from engine.approvals import assignment, delegation
from web.api import api, approvals, body, records


@api.get("/tasks/incidents")
def task_incidents() -> Response:
    with records() as service:
        items = assignment.incidents(service)
        return jsonify({"items": items, "total": len(items)})


@api.post("/tasks/<task_id>/reassign")
def reassign_task(task_id: str) -> Response:
    data = body()
    with approvals() as service:
        return jsonify(service.reassign(task_id, data.get("users")))


@api.get("/me/delegation")
def my_delegation() -> Response:
    with records() as service:
        return jsonify({"delegation": delegation.current(service)})


@api.put("/me/delegation")
def set_my_delegation() -> Response:
    data = body()
    with records() as service:
        return jsonify({"delegation": delegation.put(service, data)})


@api.delete("/me/delegation")
def end_my_delegation() -> tuple[str, int]:
    with records() as service:
        delegation.end(service)
    return "", 204
