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


JOINED = """\
module: ledger
version: 1.0.0
title: {zh: 台账, en: Ledger}
requires: [base]
parameters:
  good: {type: decimal, default: 1, label: {zh: 良好, en: Good}}
entities:
  entry:
    title: {zh: 分录, en: Entry}
    fields:
      project: {type: ref, entity: base.project, label: {zh: 项目, en: Project}}
      amount: {type: money, label: {zh: 金额, en: Amount}}
reports:
  by_project:
    title: {zh: 按项目, en: By project}
    entity: entry
    group_by: [project]
    measures: {spent: "sum(amount)"}
    join:
      - entity: %(entity)s
        match: {%(column)s: %(key)s}
        measures: {%(measure)s}
    derived:
      %(derived)s
kpis:
  ratio:
    title: {zh: 比率, en: Ratio}
    from_report: %(source)s
    value: %(value)s
"""


def write_joined(tmp_path: Path, **values: str) -> Path:
    folder = tmp_path / "ledger"
    folder.mkdir(exist_ok=True)
    defaults = {"entity": "base.contract", "column": "project", "key": "project",
                "measure": 'income: "sum(amount_excl_tax)"', "derived": 'margin: "income - spent"',
                "source": "by_project", "value": '"sum(margin) / sum(income)"'}
    (folder / "module.yaml").write_text(JOINED % {**defaults, **values}, encoding="utf-8")
    return folder


def joined_messages(tmp_path: Path, **values: str) -> list[str]:
    return [f"{p.line}: {p.message}" for p in validate_paths([write_joined(tmp_path, **values)])]


def test_a_join_and_derived_columns_compile_in_column_order(tmp_path: Path) -> None:
    modules, problems = compile_all([read_folder(write_joined(tmp_path))],
                                    compile_all([read_folder(Path(__file__).parents[2] / "modules" / "base")])[0])
    assert problems == []
    report = modules["ledger"].reports["by_project"]
    assert [c for c, _ in report.columns] == ["project", "spent", "income", "margin"]
    assert [c for c, _ in report.aggregates] == ["spent", "income"]
    (join,) = report.joins
    assert join.entity == "base.contract" and [c for c, _ in join.match] == ["project"]
    kpi = modules["ledger"].kpis["ratio"]
    assert (kpi.from_report, kpi.report, kpi.entity) == ("by_project", "by_project", "entry")


def test_a_join_names_a_required_modules_entity(tmp_path: Path) -> None:
    assert joined_messages(tmp_path, entity="base.contrat")[0] == (
        "20: join 1 of report 'by_project' names unknown entity 'base.contrat': module 'base' has no entity "
        "'contrat' (did you mean 'contract'?)")
    assert joined_messages(tmp_path, entity="cost.actual_cost_entry")[0] == (
        "20: join 1 of report 'by_project' names entity 'cost.actual_cost_entry': add 'cost' to this module's "
        "'requires' (or declare it in a module that requires both)")
    assert joined_messages(tmp_path, entity="nowhere.thing")[0] == (
        "20: join 1 of report 'by_project' names entity 'nowhere.thing' of module 'nowhere', which is not installed")


def test_join_measures_are_aggregates_and_match_groupings_of_the_same_type(tmp_path: Path) -> None:
    assert joined_messages(tmp_path, measure='income: "amount_excl_tax"')[0] == (
        "22: measure 'income' of join 1 of report 'by_project': field 'amount_excl_tax' must be inside an "
        "aggregate in a report measure, e.g. sum(amount_excl_tax)")
    assert joined_messages(tmp_path, column="projet") == [
        "21: join 1 of report 'by_project' matches 'projet', which is not a grouping of the report "
        "(did you mean 'project'?)"]
    assert joined_messages(tmp_path, key="sign_date") == [
        "21: match 'project' of join 1 of report 'by_project': expected a ref formula, found date"]
    assert joined_messages(tmp_path, measure='spent: "count()"')[0] == (
        "22: report 'by_project' already has a column 'spent'; give this one another name")


def test_derived_columns_are_formulas_over_the_columns_and_kpis_over_a_reports_rows(tmp_path: Path) -> None:
    assert joined_messages(tmp_path, derived='margin: "income - amount"')[0] == (
        "24: derived column 'margin' of report 'by_project' (a formula over its columns): unknown field 'amount'")
    assert joined_messages(tmp_path, derived='margin: "sum(income)"')[0].startswith(
        "24: derived column 'margin' of report 'by_project' (a formula over its columns): sum() needs a list")
    assert joined_messages(tmp_path, source="by_projet") == [
        "28: kpi 'ratio' reads unknown report 'by_projet' (did you mean 'by_project'?)"]
    assert joined_messages(tmp_path, value='"margin / income"') == [
        "29: value of kpi 'ratio': field 'margin' must be inside an aggregate in a report measure, e.g. sum(margin)"]
