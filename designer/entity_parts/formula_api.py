"""The formula editor's two round trips: the names a formula may use, and a typed formula's type, problems and
value on a sample record. Formulas are checked by the engine's parser and checker and run by its evaluator on
the draft's module; a bad formula is an answer with problems (200), never an error page."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from designer.entity_parts.common import Working, working
from designer.entity_parts.formula_text import namer, problem_text, type_label
from designer.pages import adjustments, designer_pages
from designer.words import w
from engine.customization.formula_probe import environment, probe, vocabulary
from engine.customization.publishing import Adjustments
from engine.declarations.model import EntitySpec
from engine.errors import BadRequest, FormworkError
from engine.formula import Formula
from engine.formula.library.descriptions import described
from engine.records.service import Records
from web.ui.i18n import language
from web.ui.preview import evaluate
from web.ui.services import record_title


@designer_pages.get("/<module>/<entity>/formula/vocabulary")
def formula_vocabulary(module: str, entity: str) -> Response:
    """`{fields, functions, parameters}`: what autocomplete offers (fields with their label and formula type)."""
    lang = language()
    with adjustments() as service:
        work = working(service, module)
        spec = work.entity(entity)
        found = vocabulary({**service.modules, work.spec.name: work.spec}, spec, _row_table(spec))
    fields = [_labelled(f, lang) for f in found["fields"]]
    functions = [{"name": d.name, "signature": d.signature, "doc": d.doc(lang)} for d in described()]
    parameters = [{"key": p["key"], "label": p["label"].get(lang) or p["name"], "type": p["type"],
                   "type_label": type_label(p["type"])} for p in found["parameters"]]
    words = {"column": w("formula.column"), "ok": w("formula.ok"), "preview": w("formula.preview")}
    return jsonify({"fields": fields, "functions": functions, "parameters": parameters, "words": words})


@designer_pages.post("/<module>/<entity>/formula")
def formula_check(module: str, entity: str) -> Response:
    """`{formula, expect?, row_table?}` → `{ok, type, type_label, problems: [{message, column}], preview}`."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("formula", ""), str):
        raise BadRequest("send JSON {formula, expect?}")
    text = str(body.get("formula") or "")
    expect = body.get("expect") if isinstance(body.get("expect"), str) else None
    with adjustments() as service:
        work = working(service, module)
        spec = work.entity(entity)
        row_table = _row_table(spec, body.get("row_table"))
        if not text.strip():
            return jsonify({"ok": False, "type": None, "type_label": "", "problems": [], "preview": None})
        env = environment(spec, row_table)
        probed = probe(text, env, expect)
        names = namer(spec, row_table)
        problems = [{"message": problem_text(p, names), "column": p.column, "line": p.line} for p in probed.problems]
        preview = (sample_value(service, work, spec, probed.formula)
                   if probed.formula is not None and row_table is None else None)
    kind = probed.type.kind.value if probed.type is not None else None
    return jsonify({"ok": not problems, "type": kind, "type_label": type_label(kind) if kind else "",
                    "problems": problems, "preview": preview})


def _row_table(spec: EntitySpec, asked: Any = None) -> str | None:
    name = asked if asked is not None else request.args.get("row_table")
    if not name:
        return None
    table = spec.fields.get(str(name))
    if table is None or table.type != "table":
        raise BadRequest(f"{spec.title.get(language())} has no table {name!r}")
    return str(name)


def _labelled(field: dict[str, Any], lang: str) -> dict[str, Any]:
    result = {"key": field["key"], "label": field["label"].get(lang) or field["key"], "type": field["type"],
              "type_label": type_label(field["type"]), "target": field["target"]}
    if "fields" in field:
        result["fields"] = [_labelled(f, lang) for f in field["fields"]]
    return result


def sample_value(service: Adjustments, work: Working, spec: EntitySpec, formula: Formula) -> dict[str, Any]:
    """The formula's value on the newest record of the entity the administrator may read, else on a new record
    with the defaults; and which one it was."""
    records = Records(service.session, service.actor, {**service.modules, work.spec.name: work.spec},
                      service.parameters, language())
    newest, values = next(_newest(records, spec), (None, None))
    if values is None:
        values = evaluate(records, spec, {}, None, None).values
    title = record_title(spec, newest) if newest is not None else ""
    sample = w("formula.sample", title=title) if newest is not None else w("formula.sample_defaults")
    try:
        value = records.evaluation(spec).run(formula, values)
    except FormworkError as error:
        return {"value": None, "display": w("formula.run_failed", reason=str(error)), "record_title": sample,
                "failed": True}
    return {"value": _json(value), "display": _display(value), "record_title": sample, "failed": False}


def _newest(records: Records, spec: EntitySpec) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    with suppress(FormworkError):
        page = records.find(spec.module, spec.name, sort="-created_at", limit=1)
        for item in page.items:
            row = records.visible_row(spec, str(item["id"]))
            previous = records.values_of(spec, row)
            yield item, evaluate(records, spec, {}, previous, str(item["id"])).values


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    return value


def _display(value: Any) -> str:
    if value is None:
        return w("formula.empty_value")
    if isinstance(value, bool):
        return w("formula.true") if value else w("formula.false")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, (list, tuple)):
        return "、".join(_display(v) for v in value)
    return str(value.isoformat() if isinstance(value, (date, datetime)) else value)
