"""The dashboard's key indicators and charts: each module's declared kpis and its first charted report."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from flask import url_for

from engine.declarations.model import EntitySpec, Kpi
from engine.errors import NotFound, PermissionDenied, PluginNotEnabled
from engine.records.service import Records
from engine.reports.dashboard import Scope, filter_of
from engine.reports.service import may_run, report_of, run_kpi, run_report
from web.pages.reporting.report_data import build_table, chart_of
from web.ui.display import as_decimal
from web.ui.i18n import t


@dataclass
class Figure:
    title: str
    value: str
    unit: str
    url: str
    is_warning: bool
    note: str = ""


def figures_of(records: Records, scope: Scope) -> list[tuple[str, list[Figure]]]:
    """Per module (title, cards) of the kpis the user may compute in the scope; a kpi over hidden data, or over
    records the scope cannot split (no project while one is chosen), is left out."""
    result = []
    now = scope.now(date.today())
    for module_name, module in records.modules.items():
        cards = []
        for name, kpi in module.kpis.items():
            try:
                q = filter_of(records, _kpi_entity(records, module_name, kpi), scope)
                if q is None:
                    continue
                figure = run_kpi(records, module_name, name, q=q, now=now)
            except (NotFound, PermissionDenied, PluginNotEnabled):
                continue
            url = (url_for("pages.report_page", module=module_name, report=kpi.report)
                   if kpi.report and may_run(records, module_name, kpi.report) else "")
            cards.append(Figure(kpi.title.get(records.language), _number(figure.value, kpi.value.type.kind.value),
                                kpi.unit.get(records.language) if kpi.unit else "", url, figure.is_warning,
                                t("dash.warning", threshold=_number(figure.threshold, "number"))
                                if figure.threshold is not None else ""))
        if cards:
            result.append((module.title.get(records.language), cards))
    return result


def _kpi_entity(records: Records, module: str, kpi: Kpi) -> EntitySpec:
    """The entity whose records a kpi counts: its own, or its report's."""
    if kpi.from_report is not None:
        return report_of(records, module, kpi.from_report)[1]
    owner, _, name = kpi.entity.rpartition(".")
    return records.entity(owner or module, name)


def charts_of(records: Records, scope: Scope) -> list[tuple[str, str, dict[str, Any]]]:
    """(title, url, chart data) of the first report with a declared chart per module the user may run, over the
    scope's project and month (the year up to it for a chart over months; every period: up to this month, a chart
    never reads years of records). A report with running
    totals is left to its page: its to-date figures read every earlier month, which the scope cannot cut."""
    result = []
    window = scope if scope.period is not None else replace(scope, period=f"{date.today():%Y-%m}")
    for module_name, module in records.modules.items():
        name = next((n for n, r in module.reports.items()
                     if r.chart is not None and not r.running and may_run(records, module_name, n)), None)
        if name is None:
            continue
        report, entity = report_of(records, module_name, name)
        q = filter_of(records, entity, window, months=12 if report.chart and report.chart.x == "period" else 1)
        if q is None:
            continue
        chart = chart_of(report, build_table(records, report, entity, run_report(records, module_name, name, q=q)),
                         records.language)
        if chart is not None:
            result.append((report.title.get(records.language),
                           url_for("pages.report_page", module=module_name, report=name), chart))
    return result


def _number(value: Any, kind: str) -> str:
    number = as_decimal(value)
    if number is None:
        return "—"
    if kind == "money":
        return f"{number:,.2f}"
    return f"{number.normalize():,f}" if number == number.to_integral_value() else f"{number:,f}"
