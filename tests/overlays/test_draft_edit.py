"""The visual designer's draft as data: a change to one part keeps the rest, problems come back, publish takes it."""
from __future__ import annotations

from typing import Any

from engine import tenancy
from engine.customization.draft_edit import DraftOverlay
from engine.runtime import Formwork
from tests.modules.test_labor import world  # noqa: F401 - fixture


def admin(tenant: str) -> tenancy.Actor:
    return tenancy.Actor(tenant_id=tenant, username="boss", roles=frozenset({"admin"}))


def test_a_field_added_as_data_is_kept_in_the_draft_and_published(engine: Formwork, tenant: str,
                                                                   world: dict[str, Any]) -> None:  # noqa: F811
    with engine.adjustments(admin(tenant)) as service:
        draft = DraftOverlay(service)
        data = draft.load("labor")
        assert data == {"overlay": "labor", "base_version": "1.6.0"}
        data["entities"] = {"day_labor_ticket": {"fields": {"weather": {
            "type": "enum", "label": {"zh": "天气", "en": "Weather"},
            "options": {"sunny": {"zh": "晴", "en": "Sunny"}, "rain": {"zh": "雨", "en": "Rain"}}}}}}
        problems, spec = draft.preview("labor", data)
        assert problems == [] and spec is not None
        assert spec.entities["day_labor_ticket"].fields["weather"].label.zh == "天气"
        saved = draft.save("labor", data, note="weather added")
        assert saved["valid"] is True and "weather" in saved["overlay"]
    with engine.adjustments(admin(tenant)) as service:
        again = DraftOverlay(service).load("labor")
        assert again["entities"]["day_labor_ticket"]["fields"]["weather"]["type"] == "enum"
        again["entities"]["day_labor_ticket"]["fields"]["oops"] = {"label": {"zh": "无类型"}}
        saved = DraftOverlay(service).save("labor", again, note="a field without a type")
        assert saved["saved"] is True and saved["valid"] is False
        assert any("oops" in problem["message"] for problem in saved["problems"])
