"""The pages' side of Assist: the "说一句话填单" box on the new-record form and the phrase box of a list's filter.

Both call a JSON route of the end users' pages (session and CSRF header, like the form's preview) and show what
came back for the person to check; nothing is saved until they press save or apply.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from engine.errors import FormworkError
from formwork_assist import service
from formwork_assist.access import is_enabled, not_enabled
from web.errors import status_of
from web.pages.blueprint import pages
from web.ui.error_text import engine_error_text
from web.ui.i18n import MESSAGES
from web.ui.page_extensions import add_part
from web.ui.services import formwork

# a template-only blueprint: the parts' templates and their script and style
parts = Blueprint("assist_pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/assets/assist")
WORDS: dict[str, tuple[str, str]] = {
    "assist.say": ("说一句话填单", "Say it to fill the form"),
    "assist.say_help": ("可用手机键盘的语音输入，例如：今天木工一班5个人在3号楼5层支模，每人一天，加班2小时",
                        "Type or dictate, e.g. today crew 1, 5 people, 2 hours overtime"),
    "assist.fill": ("识别并填入", "Fill in"),
    "assist.filled": ("已填入 {count} 项，请核对后保存", "{count} fields filled: check them, then save"),
    "assist.unused": ("未使用的词", "Words not used"),
    "assist.nothing": ("没有识别出可填的内容", "Nothing to fill was recognised"),
    "assist.confidence": ("把握", "confidence"),
    "assist.filter": ("用一句话筛选", "Filter in words"),
    "assist.filter_help": ("例如：上个月超过2000元的点工单、木工一班本周的点工单",
                           "e.g. last month over 2000, crew 1 this week"),
    "assist.make_filter": ("生成筛选公式", "Make the filter"),
    "assist.filter_made": ("已生成下方的筛选公式，可修改后点“应用”", "The formula below was made: edit it, then apply"),
}


def _answer(make: Any) -> Response:
    """The JSON answer, or the engine's refusal in the reader's words (never an HTML error page for a fetch)."""
    try:
        return jsonify(make())
    except FormworkError as error:
        response = jsonify({"error": {"code": error.code, "message_code": error.message_code,
                                      "message": engine_error_text(error)}})
        response.status_code = status_of(error)
        return response


def _sentence(module: str, entity: str, use: Any) -> Response:
    def make() -> dict[str, Any]:
        if not is_enabled(g.signed_in.actor.tenant_id):
            raise not_enabled(g.signed_in.actor.tenant_id)
        (text,) = service.read(request.get_json(silent=True) or {}, names=("text",))
        with formwork().records(g.signed_in.actor, reading=True) as records:
            result: dict[str, Any] = use(records, module, entity, text)
            return result
    return _answer(make)


@pages.post("/m/<module>/<entity>/assist/parse")
def assist_parse(module: str, entity: str) -> Response:
    return _sentence(module, entity, service.parsed)


@pages.post("/m/<module>/<entity>/assist/filter")
def assist_filter(module: str, entity: str) -> Response:
    return _sentence(module, entity, service.filtered)


def register(plugin: Any) -> None:
    """Join the pages: the parts in their slots, their words, their templates and static files."""
    MESSAGES.update(WORDS)
    add_part("record_form.new", "assist/parse_box.html", plugin="assist")
    add_part("record_list.filter", "assist/filter_box.html", plugin="assist")
    plugin.blueprint(parts)
