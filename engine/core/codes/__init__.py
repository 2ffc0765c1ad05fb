"""Message codes of the engine's areas beside the core table (engine/core/error_codes.py merges them into MESSAGES)."""
from __future__ import annotations

from engine.core.codes import (
    approval_codes,
    assist_codes,
    assist_predict_codes,
    formula_codes,
    idiom_codes,
    offline_codes,
    request_codes,
    scale_codes,
)

AREA_MESSAGES: dict[str, str] = (scale_codes.SCALE_MESSAGES | approval_codes.APPROVAL_MESSAGES
                                 | idiom_codes.IDIOM_MESSAGES | request_codes.REQUEST_MESSAGES
                                 | offline_codes.OFFLINE_MESSAGES | assist_codes.ASSIST_MESSAGES
                                 | assist_predict_codes.ASSIST_PREDICT_MESSAGES
                                 | formula_codes.FORMULA_MESSAGES)
