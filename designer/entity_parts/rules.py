"""The rule builder `/designer/<module>/<entity>/rules`: the module's own rules (read-only: an overlay cannot
remove them) and the tenant's rules, added, changed and removed in the draft's `entities.<e>.rules`."""
from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from designer.entity_parts.common import field_choices, field_label, flash_saved, page, problems_json, working
from designer.entity_parts.formula_text import namer, problem_text
from designer.pages import adjustments, designer_pages
from designer.words import w
from engine.customization.formula_probe import environment, probe
from engine.declarations.model import EntitySpec, Rule
from web.ui.i18n import language

RULE_KEYS = ("assert", "when", "field", "message_zh", "message_en", "severity")


@designer_pages.get("/<module>/<entity>/rules")
def rules_page(module: str, entity: str) -> Response:
    with adjustments() as service:
        work = working(service, module)
        spec = work.entity(entity)
        base = service.catalog_base(module).entities.get(entity)
        own = [_shown(spec, r) for r in (base.rules if base is not None else ())]
        tenant = [_as_form(r) for r in work.part(entity).get("rules") or [] if isinstance(r, dict)]
        problems = problems_json(work.problems)
    return _render(module, spec, own, tenant, {}, problems=problems)


@designer_pages.post("/<module>/<entity>/rules")
def rules_save(module: str, entity: str) -> Response:
    """Save the tenant's rules as the form shows them: the edited ones, less a removed one, plus a new one."""
    form = request.form
    count = int(form.get("count") or 0)
    removed = form.get("_remove")
    edited = [_from_form(form, f"rule-{i}-") for i in range(count) if str(i) != removed]
    new = _from_form(form, "new-")
    incomplete = [r for r in [*edited, new] if bool(r["assert"]) != bool(r["message_zh"])]
    notice = w("rules.need_message") if incomplete else ""
    with adjustments() as service:
        work = working(service, module)
        spec = work.entity(entity)
        if not notice:
            notice = formula_problems(spec, [(w("rules.rule", n=i + 1) if i < len(edited) else w("rules.new"), r)
                                             for i, r in enumerate([*edited, new]) if r["assert"]])
        if notice:
            base = service.catalog_base(module).entities.get(entity)
            own = [_shown(spec, r) for r in (base.rules if base is not None else ())]
        else:
            rules = [_as_rule(r) for r in [*edited, new] if r["assert"]]
            result = work.put(module, entity, "rules", rules, note="rules")
    if notice:
        return _render(module, spec, own, edited, new, code=422, notice=notice)
    flash_saved(result, "rules.removed" if removed is not None else "parts.saved")
    return redirect(url_for("designer_pages.rules_page", module=module, entity=entity))


def formula_problems(spec: EntitySpec, rules: list[tuple[str, dict[str, Any]]]) -> str:
    """What is wrong with the rules' conditions, in the page's language ("" when nothing is)."""
    env = environment(spec)
    found = []
    for name, rule in rules:
        for key, what in (("assert", "rules.condition"), ("when", "rules.when")):
            if rule[key]:
                found += [f"{name} · {w(what)}：{problem_text(p, namer(spec, None))}"
                          for p in probe(rule[key], env, "boolean").problems]
    return "；".join(found)


def _render(module: str, spec: EntitySpec, own: list[dict[str, Any]], tenant: list[dict[str, Any]],
            new: dict[str, Any], *, code: int = 200, notice: str = "",
            problems: list[dict[str, Any]] | None = None) -> Response:
    title = w("rules.title", entity=spec.title.get(language()))
    return page("designer/rules.html", module, spec, code=code, title=title,
                own=own, tenant=tenant, new=new, fields=field_choices(spec, system=False, tables=True), notice=notice,
                problems=problems or [], active="rules")


def _shown(entity: EntitySpec, rule: Rule) -> dict[str, Any]:
    return {"assert": rule.check.text, "when": rule.when.text if rule.when is not None else "",
            "field": field_label(entity, rule.field) if rule.field else "", "message": rule.message.get(language()),
            "severity": rule.severity}


def _as_form(raw: dict[str, Any]) -> dict[str, Any]:
    message = raw.get("message")
    zh, en = (message.get("zh", ""), message.get("en", "")) if isinstance(message, dict) else (str(message or ""), "")
    return {"assert": str(raw.get("assert") or ""), "when": str(raw.get("when") or ""),
            "field": str(raw.get("field") or ""), "message_zh": zh, "message_en": en,
            "severity": str(raw.get("severity") or "error"), "extra": {k: v for k, v in raw.items() if k == "on"}}


def _from_form(form: Any, prefix: str) -> dict[str, Any]:
    result: dict[str, Any] = {key: str(form.get(prefix + key) or "").strip() for key in RULE_KEYS}
    result["extra"] = {"on": form.get(prefix + "on")} if form.get(prefix + "on") else {}
    return result


def _as_rule(values: dict[str, Any]) -> dict[str, Any]:
    """A rule of the overlay, with only the keys that say something."""
    rule: dict[str, Any] = {"assert": values["assert"]}
    if values["when"]:
        rule["when"] = values["when"]
    rule["message"] = {"zh": values["message_zh"], "en": values["message_en"] or values["message_zh"]}
    if values["field"]:
        rule["field"] = values["field"]
    if values["severity"] == "warning":
        rule["severity"] = "warning"
    rule.update(values.get("extra") or {})
    return rule
