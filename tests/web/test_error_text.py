"""Field errors on the pages are worded by their code, from the message catalog."""
from __future__ import annotations

from flask import Flask

from engine.core import catalogs, error_codes
from engine.errors import FieldError
from tests.web.conftest import sign_in
from tests.web.test_pages import order_form, supplier_id
from web.ui.error_text import ZH, error_text, field_message


def test_a_chinese_form_words_field_errors_by_their_code(app: Flask, shop: str) -> None:
    clerk = sign_in(app.test_client(), shop, "clerk", language="zh")
    response = clerk.post("/m/formshop/order/new", order_form("N" * 25, supplier_id(clerk, "Acme 建材"),
                                                             **{"items[3].qty": "-4"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "最多 20 个字符（当前 25 个）" in html and "不能小于 0" in html


def test_the_words_come_from_the_code_and_params_not_the_english_text(app: Flask) -> None:
    error = FieldError("qty", "words no table knows", code="min", params={"min": 3})
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert field_message(error) == "不能小于 3"
        assert field_message(FieldError("qty", "is required", code="no_such_code")) == "is required"  # no guessing
        assert field_message(FieldError("qty", "words no table knows")) == "words no table knows"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert field_message(error) == "words no table knows"


def test_pending_chinese_texts_name_engine_codes_with_the_same_params() -> None:
    """A text added beside the catalog (merged into ZH) fits its code until `make messages` moves it: it fills only
    placeholders its English template has (it may leave some out, an id a Chinese reader need not see)."""
    assert {code: template for code, template in ZH.items() if code not in error_codes.MESSAGES
            or not catalogs.placeholders(template) <= catalogs.placeholders(error_codes.MESSAGES[code])} == {}


def test_a_problem_of_another_record_is_worded_with_its_cause(app: Flask) -> None:
    error = FieldError("qty", "Contract C-1: must be at least 0", code="in_parent_record",
                       params={"entity": "Contract", "id": "C-1", "message": "must be at least 0",
                               "cause": {"code": "min", "params": {"min": "0"}}})
    assert error_codes.render(error.code, error.params) == error.message
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert field_message(error) == "关联的合同：不能小于 0"  # the entity by its Chinese title, never the id


def test_the_engines_english_words_in_params_are_put_in_chinese(app: Flask) -> None:
    """Params the engine fills with its own English words (an action, a status, a hint, an entity's English
    title, role keys) read in Chinese; params stay as they are for API clients."""
    with app.app_context():
        said = error_text("action_forbidden", {"roles": "foreman", "action": "create", "entity": "Delivery"}, "zh", "")
        assert said == "您的角色（施工员）不能新建到货验收单；如需权限，请联系租户管理员"
        assert error_text("record_not_editable", {"entity": "Delivery", "id": "D-1", "status": "in_review"}, "zh",
                          "") == "此到货验收单当前为“审批中”，不能再修改"
        assert error_text("report_not_found", {"module": "site", "name": "by_projct",
                                               "hint": " (did you mean 'by_project'?)"}, "zh", "") == (
            "模块 'site' 中没有报表 'by_projct'（您是否要找 'by_project'？）")
        assert error_text("process_stopped", {"what": "process 'claim' stopped", "where": " at 'Gateway_1'",
                                              "message": "division by zero"}, "zh", "") == (
            "审批流程 'claim' 已中止（步骤 'Gateway_1'），请联系管理员（详情：division by zero）")
        assert error_text("plugin_error", {"what": "service task notify of plugin webhooks", "error_type": "OSError",
                                           "error": "refused"}, "zh", "") == (
            "插件 webhooks 的服务任务 notify 出错：OSError：refused")
