"""The delay risk on end users' pages: a mark on risky rows of a plan's Gantt (its tooltip gives the reasons) and a
"延误风险" card on the dashboard listing the riskiest open tasks the user may read; on a schedule record whose
shown text or decision comments signal a delay (暴雨, 材料未到 …), a card offering to raise a delay risk of that
category (the new-risk form, filled in for the person to check); and under each task the tenant administrator
assigns (the inbox's incidents) or several people may take, the candidates suggested with their reasons.

Both read the model the tenant has stored (they never train inside the page's transaction) and answer nothing
for a tenant that has not enabled the plugin or the schedule module.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import nullcontext
from typing import Any

from flask import current_app, url_for

from engine.approvals.service import Approvals
from engine.core.actor import SYSTEM_ACTOR
from engine.declarations.model import Action, EntitySpec
from engine.plugins.host import PluginItems
from engine.storage.workflow_models import HumanTask
from engine.tenancy import Actor, plugin_registry
from formwork_assist.assignee import rank_task
from formwork_assist.delay import records as schedule
from formwork_assist.delay import service
from formwork_assist.delay.features import History
from formwork_assist.delay.model import MIN_HISTORY
from formwork_assist.delay.signals import LABELS, find_signals, main_category
from web.ui.page_extensions import Card, CardRow, Mark, dashboard_cards, gantt_marks, record_cards, task_hints

TOP = 5
WORDS = {
    "zh": {"title": "延误风险", "mark": "风险 {p}%", "tooltip": "延误风险{level}（{p}%）：{why}",
           "model": "按本租户 {n} 项已完工任务训练的模型估计", "rule": "已完工任务不足，按透明规则估计",
           "none": "暂无未完成任务", "signals": "延误信号", "offer": "提报延期风险（{category}）",
           "found": "文字中提到：{words}", "said": "{entity}「{title}」提到：{words}"},
    "en": {"title": "Delay risk", "mark": "risk {p}%", "tooltip": "delay risk {level} ({p}%): {why}",
           "model": "estimated by a model trained on this tenant's {n} finished tasks",
           "rule": "too few finished tasks: estimated by the fixed rule", "none": "no open task",
           "signals": "Delay signals", "offer": "Raise a delay risk ({category})",
           "found": "the text mentions: {words}", "said": "{entity} \"{title}\" mentions: {words}"},
}
TONES = {"high": "danger", "medium": "warning", "low": "neutral"}


def _settings(page: Approvals) -> Mapping[str, Any] | None:
    """The plugin's settings for the page's tenant, read in the page's own transaction; None when it is off."""
    records = page.records
    return plugin_registry.enabled_plugins(records.session, records.actor.tenant_id).get(service.PLUGIN)


def _scored(page: Approvals, ids: Collection[str] | None, project: str | None) -> tuple[list[dict[str, Any]], Any]:
    """The open tasks among `ids` (or all the user may read, of `project` if given) scored, riskiest first.

    Everything is read in the page's own transaction (a second one could wait on it, on SQLite): the settings,
    the stored model, and the schedule seen by the tenant's system user."""
    records = page.records
    tenant = records.actor.tenant_id
    settings = _settings(page)
    if settings is None or schedule.MODULE not in records.modules:
        return [], None
    system = records.as_actor(Actor(tenant_id=tenant, username=SYSTEM_ACTOR, roles=frozenset({"admin"})))
    history: History = schedule.load(system)
    store = PluginItems(lambda: nullcontext(records.session), service.PLUGIN)
    trained, _stale = service.stored(store, history, int(settings.get("min_history", MIN_HISTORY)))
    open_tasks = [task for task in history.tasks.values() if task.actual_finish is None
                  and (ids is None or task.id in ids) and (project is None or task.project == project)]
    if ids is None and open_tasks:
        readable = records.readable_rows(records.entity("schedule", "wbs_task"), [task.id for task in open_tasks])
        open_tasks = [task for task in open_tasks if task.id in readable]
    items = [service.score(history, task, trained) for task in open_tasks]
    items.sort(key=lambda item: (-item["probability"], item["wbs_code"]))
    return items, trained


def _language(page: Approvals) -> str:
    return "zh" if page.records.language == "zh" else "en"


@gantt_marks
def delay_marks(page: Approvals, _plan_id: str, tasks: Sequence[Mapping[str, Any]]) -> dict[str, Mark]:
    items, _trained = _scored(page, {str(row["id"]) for row in tasks}, None)
    lang = _language(page)
    words = WORDS[lang]
    marks = {}
    for item in items:
        if item["level"] == "low":
            continue
        percent = round(item["probability"] * 100)
        why = "；".join(reason[lang] for reason in item["reasons"])
        marks[item["id"]] = Mark(words["mark"].format(p=percent), TONES[item["level"]],
                                 words["tooltip"].format(level=item["level_label"][lang], p=percent, why=why))
    return marks


@dashboard_cards
def delay_card(page: Approvals, project: str | None) -> list[Card]:
    items, trained = _scored(page, None, project)
    if trained is None:
        return []
    lang = _language(page)
    words = WORDS[lang]
    rows = [CardRow(text=f"{item['wbs_code']} {item['task_name']}",
                    note="；".join(reason[lang] for reason in item["reasons"] if reason["feature"] != "rule"),
                    badge=f"{item['level_label'][lang]} {round(item['probability'] * 100)}%",
                    tone=TONES[item["level"]],
                    url=url_for("pages.record_view", module="schedule", entity="wbs_task", record_id=item["id"]))
            for item in items[:TOP]]
    note = words["model"].format(n=trained.finished) if trained.model is not None else words["rule"]
    return [Card(words["title"], rows, note if rows else words["none"])]


@record_cards
def delay_offer(page: Approvals, entity: EntitySpec, record: Mapping[str, Any], texts: Sequence[str]) -> list[Card]:
    """On a schedule record (not a risk) whose shown texts signal a delay: the new delay risk's form, filled in with
    the category, the task the record names and what was written, for a person who may raise one."""
    records = page.records
    if (entity.module != schedule.MODULE or entity.name == "delay_risk" or schedule.MODULE not in records.modules
            or _settings(page) is None):
        return []
    said = [signal for text in texts for signal in find_signals(text)]
    risk = records.entity(schedule.MODULE, "delay_risk")
    if not said or not records.access(risk).allows(Action.CREATE):
        return []
    lang, category = _language(page), main_category(said)
    words = WORDS[lang]
    named = "、".join(dict.fromkeys(signal.word for signal in said[:6]))
    named_by = entity.fields.get(entity.title_field or "")
    title = str(record["data"].get(named_by.name) or "") if named_by and named_by.type == "text" else ""  # no id
    said_in = words["said"].format(entity=entity.title.get(lang), title=title, words=named)
    prefill: dict[str, Any] = {"risk_source": category, "level": "yellow", "description": said_in[:500]}
    hidden = records.access(entity).hidden_fields
    task = record["id"] if entity.name == "wbs_task" else next(
        (record["data"][name] for name, spec in entity.fields.items() if spec.target == f"{schedule.MODULE}.wbs_task"
         and name not in hidden and isinstance(record["data"].get(name), str)), None)
    if task:
        prefill["task"] = task
    late = record["data"].get("delay_days") if entity.name == "wbs_task" and "delay_days" not in hidden else None
    if isinstance(late, int | float):
        prefill["predicted_delay_days"] = max(0, int(late))
    url = url_for("pages.record_new", module=schedule.MODULE, entity="delay_risk", **prefill)
    row = CardRow(words["offer"].format(category=LABELS[category][lang]), words["found"].format(words=named),
                  badge=LABELS[category][lang], tone="warning", url=url)
    return [Card(words["signals"], [row])]


@task_hints
def assignee_hints(page: Approvals, task_ids: Sequence[str]) -> dict[str, str]:
    """"建议：prod（办理此步骤 14 次，中位用时 3.5 小时（最快）；当前待办 2 件）" for the best three candidates."""
    if _settings(page) is None:
        return {}
    records = page.records
    tenant = records.actor.tenant_id
    lang = _language(page)
    hints = {}
    for task_id in task_ids:
        task = records.session.get(HumanTask, (tenant, task_id))
        ranked = rank_task(current_app.extensions["formwork"], records, task)[:3] if task is not None else []
        if ranked:
            said = "；".join(f"{item['username']}（{item['reason'][lang]}）" for item in ranked)
            hints[task_id] = ("建议：" if lang == "zh" else "Suggested: ") + said
    return hints
