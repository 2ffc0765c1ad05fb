"""Report pages: the index of reports I may run, and one report as parameters, chart and table."""
from __future__ import annotations

from typing import Any

from flask import request, url_for
from werkzeug.wrappers import Response

from engine.errors import BadRequest, FormulaError
from engine.reports.service import may_run, report_of, run_report
from web.pages.blueprint import pages
from web.pages.reporting.calendar import REPORT as CALENDAR
from web.pages.reporting.report_data import ReportTable, build_table, chart_of, parameters_of, query_of
from web.ui.error_text import engine_error_text
from web.ui.i18n import t
from web.ui.layout import render
from web.ui.services import approvals


@pages.get("/reports")
def report_index() -> Response:
    with approvals() as service:
        records = service.records
        groups = []
        for module_name, module in records.modules.items():
            entries = [(report.title.get(records.language), url_for("pages.report_page", module=module_name,
                                                                     report=name))
                       for name, report in module.reports.items() if may_run(records, module_name, name)]
            if entries:
                groups.append((module.title.get(records.language), entries))
        views = [(t("calendar.title"), url_for("pages.labor_calendar"))] if may_run(records, *CALENDAR) else []
        return render(service, "pages/report_index.html", groups=groups, views=views)


@pages.get("/reports/<module>/<report>")
def report_page(module: str, report: str) -> Response:
    with approvals() as service:
        records = service.records
        spec, entity = report_of(records, module, report)
        parameters = parameters_of(records, spec, entity, request.args)
        problems: list[str] = []
        table: ReportTable | None = None
        if not any(p.problem for p in parameters):
            try:
                result = run_report(records, module, report, q=query_of(parameters))
            except (BadRequest, FormulaError) as error:
                problems.append(engine_error_text(error))
            else:
                table = build_table(records, spec, entity, result)
        chart: dict[str, Any] | None = chart_of(spec, table, records.language) if table is not None else None
        query = request.query_string.decode()
        return render(service, "pages/report.html", code=400 if problems or any(p.problem for p in parameters) else 200,
                      title=spec.title.get(records.language), module_title=records.modules[module].title.get(
                          records.language), parameters=parameters, problems=problems, table=table, chart=chart,
                      export_url=f"/reports/{module}/{report}/export.xlsx" + (f"?{query}" if query else ""),
                      reset_url=url_for("pages.report_page", module=module, report=report),
                      note=t("report.rows", count=len(table.rows)) if table is not None else "")
