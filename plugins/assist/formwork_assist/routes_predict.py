"""`/api/v1/assist/…` of the predictions: delay risk, delay signals in a text, assignee; and `formwork assist train`.

GET  /api/v1/assist/delay-risk?project=<id>   open tasks of the project the caller may read, riskiest first
POST /api/v1/assist/delay-signals {text, task?}   the delay signals of a text and the delay risk to raise
GET  /api/v1/assist/assignee?task=<task id>   the candidates of an open workflow task, best first
"""
from __future__ import annotations

from typing import Any

import click
from flask import Blueprint, current_app, g, jsonify, request

from engine.errors import BadRequest, NotFound
from engine.plugins import Plugin
from formwork_assist import assignee as ranking
from formwork_assist.delay import service
from formwork_assist.delay.signals import LABELS, find_signals, main_category
from web.api import current_actor
from web.ui.i18n import language

predict = Blueprint("assist_predict", __name__, url_prefix="/api/v1/assist")
_ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_WORDS = {"type": "object", "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}}
_REASON = {"type": "object", "properties": {"feature": {"type": "string"}, "contribution": {"type": "number"},
                                            "zh": {"type": "string"}, "en": {"type": "string"}}}
_SIGNAL = {"type": "object", "properties": {"word": {"type": "string"}, "category": {"type": "string"},
                                            "category_label": _WORDS, "source": {"type": "string"},
                                            "date": {"type": ["string", "null"]}}}
_SUGGESTION = {"type": ["object", "null"], "description": "the delay risk to raise: POST data to "
               "/api/v1/records/{module}/{entity} once a person confirms it"}
_RISK = {"type": "object", "properties": {
    "id": {"type": "string"}, "wbs_code": {"type": "string"}, "task_name": {"type": "string"},
    "probability": {"type": "number"}, "level": {"enum": ["high", "medium", "low"]}, "level_label": _WORDS,
    "reasons": {"type": "array", "items": _REASON}, "signals": {"type": "array", "items": _SIGNAL},
    "suggestion": _SUGGESTION}}
_CANDIDATE = {"type": "object", "properties": {
    "username": {"type": "string"}, "rank": {"type": "integer"}, "score": {"type": "number"},
    "done": {"type": "integer"}, "median_hours": {"type": ["number", "null"]}, "open_tasks": {"type": "integer"},
    "is_fastest": {"type": "boolean"}, "reason": _WORDS}}


def _ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "ok", "content": {"application/json": {"schema": schema}}}


def _query(name: str, what: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "query", "required": True, "schema": {"type": "string"}, "description": what}]


OPENAPI = {
    "/assist/delay-risk": {"get": {
        "summary": "Delay risk of a project's open WBS tasks (those the caller may read), with reasons and signals",
        "parameters": _query("project", "the base.project id"),
        "responses": {"200": _ok({"type": "object", "properties": {
            "project": {"type": "string"}, "mode": {"enum": ["model", "rule"]}, "model": {"type": "object"},
            "items": {"type": "array", "items": _RISK}}}),
            "400": _ERROR, "401": _ERROR, "403": _ERROR, "404": _ERROR, "422": _ERROR}}},
    "/assist/delay-signals": {"post": {
        "summary": "The delay signals of a text (暴雨, 材料未到 …) and the delay risk a person may raise",
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["text"],
                                                                    "properties": {"text": {"type": "string"},
                                                                                   "task": {"type": "string"}}}}}},
        "responses": {"200": _ok({"type": "object", "properties": {
            "signals": {"type": "array", "items": _SIGNAL}, "category": {"type": ["string", "null"]},
            "suggestion": _SUGGESTION}}), "400": _ERROR, "401": _ERROR, "404": _ERROR, "422": _ERROR}}},
    "/assist/assignee": {"get": {
        "summary": "The candidates of an open workflow task ranked by speed and count on the same step and open load",
        "parameters": _query("task", "the human task id"),
        "responses": {"200": _ok({"type": "object", "properties": {
            "task": {"type": "string"}, "title": {"type": "string"}, "step": {"type": "string"},
            "weights": {"type": "object"}, "candidates": {"type": "array", "items": _CANDIDATE}}}),
            "400": _ERROR, "401": _ERROR, "404": _ERROR, "422": _ERROR}}},
}


@predict.before_request
def authenticate() -> None:
    g.actor = current_actor()


def _formwork() -> Any:
    return current_app.extensions["formwork"]


def _required(name: str) -> str:
    value = request.args.get(name, "").strip()
    if not value:
        raise BadRequest(f"send ?{name}=<id>", message_code="assist_query_missing", params={"name": name})
    return value


@predict.get("/delay-risk")
def delay_risk() -> Any:
    return jsonify(service.delay_risk(_formwork(), g.actor, _required("project"), language()))


@predict.get("/assignee")
def assignee() -> Any:
    service.settings_of(_formwork(), g.actor.tenant_id)
    return jsonify(ranking.assignee(_formwork(), g.actor, _required("task"), language()))


@predict.post("/delay-signals")
def delay_signals() -> Any:
    formwork = _formwork()
    service.settings_of(formwork, g.actor.tenant_id)
    data = request.get_json(silent=True)
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("send the text to scan as 'text' in the JSON body", message_code="assist_text_missing")
    said = find_signals(text, source="text")
    task_id = data.get("task") if isinstance(data, dict) else None
    found = None
    if task_id:
        with formwork.records(g.actor, language(), reading=True) as records:
            entity = records.entity("schedule", "wbs_task")
            row = records.readable_row(entity, str(task_id))
            if row is None:
                raise NotFound(f"task {task_id!r} does not exist or you may not read it",
                               message_code="assist_wbs_task_not_found", params={"task_id": str(task_id)})
            found = records.values_of(entity, row)
    category = main_category(said) if said else None
    suggestion = None
    if said and category is not None:
        data_out: dict[str, Any] = {"risk_source": category, "level": "yellow", "description": text.strip()[:500]}
        if found is not None:
            data_out.update({"task": str(task_id), "predicted_delay_days": max(0, int(found.get("delay_days") or 0))})
        suggestion = {"module": "schedule", "entity": "delay_risk", "category_label": LABELS[category],
                      "data": data_out}
    return jsonify({"signals": [signal.as_dict() for signal in said], "category": category,
                    "suggestion": suggestion})


@click.group("assist", help="Assist: train the delay model of tenants (run nightly from cron).")
def assist() -> None:
    pass


@assist.command("train", help="Retrain the delay model of TENANT (all tenants with the plugin on when omitted).")
@click.argument("tenant", required=False)
@click.pass_obj
def train(state: Any, tenant: str | None) -> None:
    engine = state.engine()
    tenants = [tenant] if tenant else [t for t in engine.tenant_ids()
                                       if engine.plugins.settings("assist", t) is not None]
    for tenant_id in tenants:
        trained = service.train_tenant(engine, tenant_id)
        if trained.model is None:
            click.echo(f"{tenant_id}: {trained.finished} finished tasks (< {trained.minimum}): the rule applies")
        else:
            auc = "-" if trained.model.auc is None else f"{trained.model.auc:.3f}"
            naive = "-" if trained.model.naive_auc is None else f"{trained.model.naive_auc:.3f}"
            click.echo(f"{tenant_id}: trained on {trained.finished} finished tasks "
                       f"({trained.model.samples} rows); held-out AUC {auc}, naive {naive}")


def register(plugin: Plugin) -> None:
    """The API, the command, and the Gantt marks and dashboard card (registered by importing their module)."""
    from formwork_assist import pages_predict  # noqa: F401

    plugin.blueprint(predict, openapi=OPENAPI)
    plugin.cli(assist)
