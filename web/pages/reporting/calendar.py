"""The day-labor calendar (点工日历/记工表): crew × day 1–31 of man-days for a project and month.

It is the labor module's `day_labor_calendar` report pivoted, so the report's rules apply: the
tickets that count as cost, the user's row filters, and a 403 for roles that may not run it.
"""
from __future__ import annotations

import calendar as months
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import request, url_for
from werkzeug.wrappers import Response

from engine.records.service import Records
from engine.reports.service import report_of, run_report
from web.pages.blueprint import pages
from web.pages.reporting.report_data import MAX_OPTIONS
from web.ui.i18n import t
from web.ui.layout import render
from web.ui.services import approvals, quoted, readable, record_title, target_of

REPORT = ("labor", "day_labor_calendar")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass
class CrewRow:
    crew: str
    name: str
    days: dict[int, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.days.values(), Decimal(0))


def man_days(value: Decimal) -> str:
    """2.50 -> 2.5, 3.00 -> 3: a man-day count as people write it on the paper sheet."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def project_options(records: Records) -> list[tuple[str, str]]:
    target = target_of(records, "base.project")
    if target is None or not readable(records, target):
        return []
    items = records.find("base", "project", limit=MAX_OPTIONS).items
    return sorted(((item["id"], record_title(target, item)) for item in items), key=lambda o: o[1])


def grid(records: Records, project: str, month: str) -> list[CrewRow]:
    q = f"period == {quoted(month)}" + (f" and project == {quoted(project)}" if project else "")
    result = run_report(records, *REPORT, q=q)
    names = result["columns"]
    rows: dict[str, CrewRow] = {}
    for values in result["rows"]:
        cell = dict(zip(names, values, strict=True))
        row = rows.setdefault(cell["crew"], CrewRow(cell["crew"], cell.get("crew_crew_name") or cell["crew"]))
        number = date.fromisoformat(str(cell["work_date"])[:10]).day
        row.days[number] = row.days.get(number, Decimal(0)) + Decimal(str(cell["man_days"] or 0))
    return sorted(rows.values(), key=lambda r: r.name)


@pages.get("/labor/calendar")
def labor_calendar() -> Response:
    with approvals() as service:
        records = service.records
        report, _entity = report_of(records, *REPORT)
        month = request.args.get("month", "").strip() or date.today().strftime("%Y-%m")
        project = request.args.get("project", "").strip()
        projects = project_options(records)
        problems = []
        match = MONTH.match(month)
        if match is None:
            problems.append(t("report.bad_month", label=t("calendar.month"), value=month))
        if project and project not in dict(projects):
            problems.append(t("report.bad_choice", label=t("calendar.project"), value=project))
        crews = grid(records, project, month) if not problems else []
        days = list(range(1, months.monthrange(int(match.group(1)), int(match.group(2)))[1] + 1)) if match else []
        day_totals = {d: sum((c.days.get(d, Decimal(0)) for c in crews), Decimal(0)) for d in days}
        weekends = {d for d in days if match and date(int(match.group(1)), int(match.group(2)), d).weekday() >= 5}
        return render(service, "pages/labor_calendar.html", code=400 if problems else 200,
                      title=report.title.get(records.language), month=month, project=project, projects=projects,
                      problems=problems, crews=crews, days=days, day_totals=day_totals, weekends=weekends,
                      total=sum(day_totals.values(), Decimal(0)), man_days=man_days,
                      report_url=url_for("pages.report_page", module=REPORT[0], report=REPORT[1]))
