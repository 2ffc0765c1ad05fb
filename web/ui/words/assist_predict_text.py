"""Chinese texts of the assist plugin's prediction codes (engine/core/codes/assist_predict_codes.py), merged into
web.ui.error_text.ZH until `make messages` moves them into the catalog."""
from __future__ import annotations

ZH_ASSIST_PREDICT: dict[str, str] = {
    "assist_query_missing": "请在地址中提供 ?{name}=<id>",
    "assist_text_missing": "请在 JSON 请求体的 text 中提供要识别的文字",
    "assist_project_not_found": "该项目不存在或您无权查看",
    "assist_wbs_task_not_found": "该WBS任务不存在或您无权查看",
    "assist_task_not_found": "该待办不存在、已办结或您无权查看其单据",
}
