"""Reports' labels, chart, order and kpis in declarations: compiled, and every mistake named at its place."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from engine.declarations.loader import compile_all, read_folder, validate_paths

MODULE = """\
module: shop
version: 1.0.0
title: {zh: 商店, en: Shop}
parameters:
  limit: {type: money, default: 100, label: {zh: 上限, en: Limit}}
entities:
  sale:
    title: {zh: 销售, en: Sale}
    fields:
      kind: {type: enum, options: {a: {zh: 甲, en: A}}, label: {zh: 类别, en: Kind}}
      amount: {type: money, label: {zh: 金额, en: Amount}}
reports:
  by_kind:
    title: {zh: 按类别, en: By kind}
    entity: sale
    group_by: [kind]
    measures: {total: "sum(amount)", sales: "count()"}
    labels: {total: {zh: 合计, en: Total}%(label)s}
    order_by: %(order)s
    chart: {type: pie, x: kind, y: %(y)s}
kpis:
  sales_total:
    title: {zh: 销售额, en: Sales}
    entity: sale
    value: "sum(amount)"
    unit: {zh: 元, en: CNY}
    warn_above: %(above)s
    warn_below: 10
    report: %(report)s
"""


def write(tmp_path: Path, **values: str) -> Path:
    folder = tmp_path / "shop"
    folder.mkdir(exist_ok=True)
    defaults = {"label": "", "order": "-total", "y": "total", "above": "params.limit", "report": "by_kind"}
    (folder / "module.yaml").write_text(MODULE % {**defaults, **values}, encoding="utf-8")
    return folder


def test_labels_chart_order_and_kpis_compile(tmp_path: Path) -> None:
    modules, problems = compile_all([read_folder(write(tmp_path))])
    assert problems == []
    report = modules["shop"].reports["by_kind"]
    assert report.labels["total"].zh == "合计" and report.labels["kind"].en == "Kind"   # declared, then the field's
    assert report.labels["sales"].en == "Sales"                                          # else from the name
    assert report.order_by == (("total", True),)
    chart = report.chart
    assert chart is not None and (chart.type, chart.x, chart.y) == ("pie", "kind", ("total",))
    kpi = modules["shop"].kpis["sales_total"]
    assert (kpi.warn_above, kpi.warn_below, kpi.report, kpi.unit and kpi.unit.en) == ("limit", Decimal(10), "by_kind",
                                                                                      "CNY")


def test_unknown_columns_parameters_and_reports_are_named(tmp_path: Path) -> None:
    folder = write(tmp_path, label=", totl: x", order="[-totl]", y="[totals]", above="params.limt", report="by_knd")
    messages = [str(p).split(": ", 1)[1] for p in validate_paths([folder])]
    assert messages == [
        "label for unknown column 'totl' of report 'by_kind' (did you mean 'total'?)",
        "report 'by_kind' cannot order by unknown column 'totl' (did you mean 'total'?)",
        "chart y names unknown column 'totals' (did you mean 'total'?)",
        "threshold names unknown parameter 'limt' (did you mean 'limit'?)",
        "kpi 'sales_total' links to unknown report 'by_knd' (did you mean 'by_kind'?)",
    ]


def test_a_threshold_must_be_a_number_or_a_parameter(tmp_path: Path) -> None:
    messages = [p.message for p in validate_paths([write(tmp_path, above="lots")])]
    assert messages == ["threshold must be a number or params.<name>, not 'lots'"]
