"""Running columns, `rows:` and named groupings of reports in declarations: compiled, mistakes named at their place."""
from __future__ import annotations

from pathlib import Path

from engine.declarations.loader import compile_all, read_folder, validate_paths

MODULE = """\
module: till
version: 1.0.0
title: {zh: 收银, en: Till}
entities:
  sale:
    title: {zh: 销售, en: Sale}
    fields:
      shop: {type: text, label: {zh: 门店, en: Shop}}
      period: {type: text, label: {zh: 月份, en: Period}}
      sold_on: {type: date, label: {zh: 日期, en: Sold on}}
      amount: {type: money, label: {zh: 金额, en: Amount}}
  refund:
    title: {zh: 退款, en: Refund}
    fields:
      shop: {type: text, label: {zh: 门店, en: Shop}}
      refunded_on: {type: date, label: {zh: 日期, en: Refunded on}}
      amount: {type: money, label: {zh: 金额, en: Amount}}
reports:
  by_month:
    title: {zh: 按月, en: By month}
    entity: sale
    group_by: [shop, {month: "year_month(sold_on)"}]
    rows: %(rows)s
    measures: {amount: "sum(amount)"}
    join:
      - entity: refund
        match: {%(match)s}
        measures: {refunds: "sum(amount)"}
    running:
      %(running)s
    derived:
      %(derived)s
"""
RUNNING = """closing: {sum: amount, partition: [shop], order: [month]}
      last_month: {previous: amount, partition: shop, order: [-month], offset: 2}"""


def write(tmp_path: Path, **values: str) -> Path:
    folder = tmp_path / "till"
    folder.mkdir(exist_ok=True)
    defaults = {"rows": "any", "match": 'shop: shop, month: "year_month(refunded_on)"', "running": RUNNING,
                "derived": 'growth: "if(last_month > 0, amount / last_month - 1, null)"'}
    (folder / "module.yaml").write_text(MODULE % {**defaults, **values}, encoding="utf-8")
    return folder


def messages(tmp_path: Path, **values: str) -> list[str]:
    values = {"derived": 'growth: "amount"', **values} if "running" in values else values
    return [f"{p.line}:{p.column}: {p.message}" for p in validate_paths([write(tmp_path, **values)])]


def test_running_columns_come_after_the_joins_and_before_the_derived_ones(tmp_path: Path) -> None:
    modules, problems = compile_all([read_folder(write(tmp_path))])
    assert problems == []
    report = modules["till"].reports["by_month"]
    assert [c for c, _ in report.columns] == ["shop", "month", "amount", "refunds", "closing", "last_month", "growth"]
    closing, last = report.running
    assert (closing.function, closing.column, closing.partition, closing.order) == ("sum", "amount", ("shop",),
                                                                                   (("month", False),))
    assert (last.function, last.partition, last.order, last.offset) == ("previous", ("shop",), (("month", True),), 2)
    assert report.rows == "any" and report.running[0].source.type.kind.value == "money"
    assert [c for c, _ in report.aggregates] == ["amount", "refunds"]      # running columns are not added up


def test_a_running_column_names_columns_before_it(tmp_path: Path) -> None:
    assert messages(tmp_path, running="closing: {sum: amout, order: [month]}") == [
        "30:22: running column 'closing' of report 'by_month' reads unknown column 'amout' (a grouping, measure or "
        "joined measure before it) (did you mean 'amount'?)"]
    assert messages(tmp_path, running="closing: {sum: amount, partition: [shops], order: [month]}") == [
        "30:42: running column 'closing' of report 'by_month' names unknown column 'shops' (did you mean 'shop'?)"]
    assert messages(tmp_path, running="closing: {sum: amount, order: [growth]}")[0].startswith(
        "30:38: running column 'closing' of report 'by_month' names unknown column 'growth'")


def test_a_running_column_has_one_function_an_order_when_it_looks_back_and_a_numeric_sum(tmp_path: Path) -> None:
    assert messages(tmp_path, running="closing: {sum: amount, max: amount}") == [
        "30:7: running column 'closing' of report 'by_month' needs exactly one of sum, avg, min, max, previous, "
        "next (the column it reads), not 2"]
    assert messages(tmp_path, running="last_month: {previous: amount}") == [
        "30:7: running column 'last_month' of report 'by_month': previous needs 'order' (which row comes before "
        "which)"]
    assert messages(tmp_path, running="closing: {sum: shop, order: [month]}") == [
        "30:22: running column 'closing' of report 'by_month': sum needs a number or money column, and 'shop' is "
        "text"]
    assert messages(tmp_path, running="amount: {sum: amount}") == [
        "30:7: report 'by_month' already has a column 'amount'; give this one another name"]


def test_rows_any_needs_every_grouping_matched(tmp_path: Path) -> None:
    assert messages(tmp_path, match="shop: shop") == [
        "26:9: join 1 of report 'by_month' must match every grouping with 'rows: any' (its groups become rows): "
        "add month to 'match'"]
    assert messages(tmp_path, match="shop: shop", rows="own") == []


def test_age_bucket_and_year_month_are_type_checked_at_their_place(tmp_path: Path) -> None:
    assert messages(tmp_path, match='shop: shop, month: "age_bucket(refunded_on, [30])"') == [
        "27:48: match 'month' of join 1 of report 'by_month': argument 1 of age_bucket() must be a number of days, "
        "not date"]
    assert messages(tmp_path, match='shop: shop, month: "year_month(amount)"') == [
        "27:48: match 'month' of join 1 of report 'by_month': argument 1 of year_month() must be date, not money"]
