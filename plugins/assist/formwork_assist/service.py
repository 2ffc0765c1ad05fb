"""The two uses of Assist in one place, for the API and for the pages: read the request, answer in JSON."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine.errors import BadRequest
from engine.formula.context import local_zone
from engine.records.service import Records
from formwork_assist.filtering import filter_of
from formwork_assist.parsing import parse

MAX_TEXT = 500


def today() -> date:
    """Today where the tenant works (FORMWORK_TIMEZONE), the day `today()` in a formula means."""
    return datetime.now(local_zone()).date()


def read(body: dict[str, Any], *, names: tuple[str, ...] = ("module", "entity", "text")) -> list[str]:
    """The request's texts, refused with the codes the API uses for a missing or long one."""
    values = [body.get(name) for name in names]
    if not all(isinstance(value, str) and value.strip() for value in values):
        raise BadRequest(f"send {', '.join(repr(n) for n in names)} as text in the JSON body",
                         message_code="send_texts", params={"names": ", ".join(repr(n) for n in names)})
    texts = [str(value).strip() for value in values]
    if len(texts[-1]) > MAX_TEXT:
        raise BadRequest(f"the text is longer than {MAX_TEXT} characters; say it in shorter parts",
                         message_code="assist_text_too_long", params={"limit": MAX_TEXT})
    return texts


def parsed(records: Records, module: str, entity: str, text: str) -> dict[str, Any]:
    return parse(records, module, entity, text, today())


def filtered(records: Records, module: str, entity: str, text: str) -> dict[str, Any]:
    return filter_of(records, records.entity(module, entity), text, today())
