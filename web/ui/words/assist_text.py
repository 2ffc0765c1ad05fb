"""Chinese texts of the Assist plugin's message codes (engine/core/codes/assist_codes.py), until `make messages`."""
from __future__ import annotations

ZH: dict[str, str] = {
    "assist_not_enabled": "本租户未启用智能助手：请管理员运行 formwork plugin enable {tenant} assist",
    "assist_text_too_long": "这句话超过 {limit} 个字，请分几次说",
    "assist_filter_not_understood": "没能从「{text}」得出筛选条件，请换个说法，或直接编写公式",
    "assist_filter_invalid": "由「{text}」得出的筛选公式无法使用：{error}",
}
