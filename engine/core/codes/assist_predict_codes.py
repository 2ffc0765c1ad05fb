"""Message codes of the assist plugin's predictions (delay risk, delay signals, assignee): part of MESSAGES in
engine.core.error_codes, so every message a user meets has a code and a catalog entry."""
from __future__ import annotations

ASSIST_PREDICT_MESSAGES: dict[str, str] = {
    "assist_query_missing": "send ?{name}=<id>",
    "assist_text_missing": "send the text to scan as 'text' in the JSON body",
    "assist_project_not_found": "project {project_id!r} does not exist or you may not read it",
    "assist_wbs_task_not_found": "task {task_id!r} does not exist or you may not read it",
    "assist_task_not_found": "open task {task_id!r} does not exist or you may not read its record",
}
