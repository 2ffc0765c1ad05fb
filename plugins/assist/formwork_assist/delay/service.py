"""Delay risk for a caller: train (or reuse) the tenant's model, score the open tasks they may read, say why.

The model is kept in the tenant's store of this plugin (collection `delay_model`, newest first), so no
tenant's model ever meets another's. It is retrained when `formwork assist train` runs (nightly, from cron)
and, failing that, by the first request that finds it older than a day. Each step is its own transaction:
read the tenant's schedule as the system user, store the model, then answer with the caller's permissions.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from engine.core.actor import SYSTEM_ACTOR
from engine.errors import NotFound, PluginNotEnabled
from engine.plugins import ItemStore
from engine.runtime import Formwork
from engine.tenancy import Actor
from formwork_assist.delay import features, model, records
from formwork_assist.delay.signals import LABELS, main_category

PLUGIN = "assist"
COLLECTION = "delay_model"
STALE_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Trained:
    """What a tenant's risk is computed with: its model, or None for the rule, and how much history there was."""

    model: model.DelayModel | None
    finished: int
    minimum: int


def settings_of(formwork: Formwork, tenant_id: str) -> dict[str, Any]:
    """The plugin's settings in the tenant; a coded 422 when the tenant has not switched the plugin on."""
    settings = formwork.plugins.settings(PLUGIN, tenant_id)
    if settings is None:
        raise PluginNotEnabled(f"Assist is not enabled for tenant {tenant_id}: run 'formwork plugin enable "
                               f"{tenant_id} assist'", message_code="assist_not_enabled", params={"tenant": tenant_id})
    return settings


def load_history(formwork: Formwork, tenant_id: str) -> features.History:
    system = Actor(tenant_id=tenant_id, username=SYSTEM_ACTOR, roles=frozenset({"admin"}))
    with formwork.records(system, reading=True) as service:
        return records.load(service)


def train_tenant(formwork: Formwork, tenant_id: str, history: features.History | None = None) -> Trained:
    """Train the tenant's model from its finished tasks and store it (or store that the rule applies)."""
    minimum = int(settings_of(formwork, tenant_id).get("min_history", model.MIN_HISTORY))
    history = history if history is not None else load_history(formwork, tenant_id)
    finished = len(history.finished())
    rows = features.training_rows(history)
    trained = model.train(rows, finished) if finished >= minimum and model.can_train(rows) else None
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    formwork.plugins.store(PLUGIN, tenant_id).add(COLLECTION, {
        "trained_at": stamp, "finished_tasks": finished, "model": trained.as_json() if trained else None})
    return Trained(trained, finished, minimum)


def current(formwork: Formwork, tenant_id: str, history: features.History) -> Trained:
    """The stored model, retrained first when there is none or it is more than a day old."""
    minimum = int(settings_of(formwork, tenant_id).get("min_history", model.MIN_HISTORY))
    trained, stale = stored(formwork.plugins.store(PLUGIN, tenant_id), history, minimum)
    return train_tenant(formwork, tenant_id, history) if stale else trained


def stored(store: ItemStore, history: features.History, minimum: int) -> tuple[Trained, bool]:
    """What the store holds (None for the rule when nothing usable is there) and whether it should be retrained
    (none, more than a day old, or trained on other features). Pages use it as it is: they never train."""
    latest = _latest(store)
    kept = latest.get("model") if latest is not None else None
    found = model.DelayModel.from_json(kept) if isinstance(kept, Mapping) else None
    stale = latest is None or _age(latest) > STALE_AFTER or (kept is not None and found is None)
    finished = int(latest.get("finished_tasks", 0)) if latest is not None else len(history.finished())
    return Trained(found, finished, minimum), stale


def _latest(store: ItemStore) -> dict[str, Any] | None:
    items = store.list(COLLECTION, limit=1)
    return items[0] if items else None


def _age(item: Mapping[str, Any]) -> timedelta:
    try:
        moment = datetime.fromisoformat(str(item.get("trained_at")))
    except ValueError:
        return STALE_AFTER * 2
    return datetime.now(UTC) - (moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def delay_risk(formwork: Formwork, actor: Actor, project_id: str, language: str = "en") -> dict[str, Any]:
    """The open tasks of a project the actor may read, riskiest first, each with its probability and reasons."""
    settings_of(formwork, actor.tenant_id)
    with formwork.records(actor, language, reading=True) as service:
        project = service.entity("base", "project")
        if service.readable_row(project, project_id) is None:
            raise NotFound(f"project {project_id!r} does not exist or you may not read it",
                           message_code="assist_project_not_found", params={"project_id": project_id})
        task_entity = service.entity(records.MODULE, "wbs_task")
    history = load_history(formwork, actor.tenant_id)
    trained = current(formwork, actor.tenant_id, history)
    mine = [task for task in history.tasks.values() if task.project == project_id and task.actual_finish is None]
    with formwork.records(actor, language, reading=True) as service:
        readable = service.readable_rows(task_entity, [task.id for task in mine]) if mine else {}
    items = [score(history, task, trained) for task in mine if task.id in readable]
    items.sort(key=lambda item: (-item["probability"], item["wbs_code"]))
    return {"project": project_id, "mode": "model" if trained.model else "rule",
            "model": _about(trained), "items": items}


def score(history: features.History, task: features.Task, trained: Trained, day: date | None = None) -> dict[str, Any]:
    """One open task's risk: probability, level, reasons (always at least one), signals and a suggestion."""
    on = day or task.status_day or date.today()
    shot = features.snapshot(history, task, on, now=True)
    if trained.model is not None:
        terms = trained.model.contributions(shot.values)
        probability = trained.model.probability(shot.values)
        why = model.reasons(shot, terms)
    else:
        terms = model.rule_contributions(shot.values)
        probability = model.rule_probability(shot.values)
        why = [model.rule_reason(trained.finished, trained.minimum), *model.reasons(shot, terms)]
    level = model.level_of(probability)
    said = list(shot.facts["signals"])  # type: ignore[call-overload]
    return {"id": task.id, "wbs_code": task.code, "task_name": task.name, "probability": round(probability, 3),
            "level": level, "level_label": model.LEVELS[level], "reasons": why,
            "signals": [signal.as_dict() for signal in said], "suggestion": suggestion(task, said, level)}


def suggestion(task: features.Task, said: list[Any], level: str) -> dict[str, Any] | None:
    """The delay risk a person may raise (POST /api/v1/records/schedule/delay_risk) when signals were written."""
    if not said:
        return None
    category = main_category(said)
    words = "、".join(signal.word for signal in said[:4])
    return {"module": records.MODULE, "entity": "delay_risk", "category_label": LABELS[category],
            "data": {"task": task.id, "risk_source": category, "level": "red" if level == "high" else "orange"
                     if level == "medium" else "yellow",
                     "predicted_delay_days": max(0, task.delay_days or 0),
                     "description": f"{task.code} {task.name}：填报/意见提到 {words}"}}


def _about(trained: Trained) -> dict[str, Any]:
    about: dict[str, Any] = {"finished_tasks": trained.finished, "min_history": trained.minimum}
    if trained.model is not None:
        about.update({"trained_at": trained.model.trained_at, "auc": trained.model.auc,
                      "naive_auc": trained.model.naive_auc})
    return about
