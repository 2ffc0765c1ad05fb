"""Message codes of the Assist plugin (plugins/assist): part of MESSAGES in engine.core.error_codes, so its
refusals have a code and a catalog entry like every other message."""
from __future__ import annotations

ASSIST_MESSAGES: dict[str, str] = {
    "assist_not_enabled": "Assist is not enabled for tenant {tenant}: run 'formwork plugin enable {tenant} assist'",
    "assist_text_too_long": "the text is longer than {limit} characters; say it in shorter parts",
    "assist_filter_not_understood": "no filter could be made of {text!r}; say it another way or write the formula",
    "assist_filter_invalid": "the filter made of {text!r} does not compile: {error}",
}
