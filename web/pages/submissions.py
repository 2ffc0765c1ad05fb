"""My submissions: the records I submitted for approval, their status and with whom each waits now."""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from werkzeug.wrappers import Response

from engine.approvals.trail import submissions
from web.pages.blueprint import pages
from web.ui.display import Formatter, format_moment, status_tone
from web.ui.layout import Chrome, navigation, render
from web.ui.services import approvals, formatter, record_title


@dataclass
class Submission:
    title: str
    url: str
    entity_title: str
    submitted_at: str
    status: str
    status_label: str
    waiting: list[tuple[str, str, str]]    # (step title, names, due)


@pages.get("/my/submissions")
def my_submissions() -> Response:
    with approvals() as service:
        records = service.records
        found = submissions(records)
        formatters: dict[str, Formatter] = {}
        shown = []
        for item in found:
            record = item["record"]
            entity = records.entity(record["module"], record["entity"])
            if entity.key not in formatters:
                formatters[entity.key] = formatter(records, entity, [i["record"]["data"] for i in found
                                                                     if i["record"]["entity"] == entity.name
                                                                     and i["record"]["module"] == entity.module])
            fmt = formatters[entity.key]
            waiting = [(p["title"], "、".join(fmt.user(c) for c in p["candidates"]) or fmt.t("progress.nobody"),
                        format_moment(p["due_at"]) if p["due_at"] else "") for p in item["pending"]]
            shown.append(Submission(
                record_title(entity, record, fmt),
                url_for("pages.record_view", module=entity.module, entity=entity.name, record_id=record["id"]),
                entity.title.get(records.language), format_moment(item["started_at"]), record["status"],
                fmt.status(record["status"]), waiting))
        inbox = service.inbox()
        return render(service, "pages/submissions.html", chrome=Chrome(navigation(records), len(inbox)),
                      submissions=shown, status_tone=status_tone)
