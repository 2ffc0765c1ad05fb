"""The words of exports, import templates and the import's problem list (key -> (zh, en)), merged into
web.ui.i18n.MESSAGES."""
from __future__ import annotations

EXPORT_WORDS: dict[str, tuple[str, str]] = {
    "import.template": ("下载导入模板", "Download the import template"),
    "import.template_file": ("导入模板", "import template"),
    "import.problems_title": ("需要修改的问题", "Problems to fix"),
    "import.column_label": ("列", "Column"),
    "template.notes": ("说明", "Notes"),
    "template.column": ("列", "Column"),
    "template.type": ("类型", "Type"),
    "template.required": ("必填", "Required"),
    "template.options": ("可选值", "Options"),
    "template.example": ("示例", "Example"),
    "template.yes": ("是", "yes"),
    "template.no": ("否", "no"),
    "template.ref_note": ("填写{entity}的名称或编号", "Enter the {entity}'s title or number"),
    "template.pick": ("请从下拉列表中选择", "Pick a value from the list"),
    "template.how": ("第一行为表头（带 * 的列必填），第二行为示例，可改写或删除；从第二行起每行导入一条记录。",
                     "Row 1 holds the headings (columns marked * are required), row 2 an example to change or "
                     "delete; each row from row 2 on becomes one record."),
    "export.exported_at": ("导出时间：{at}", "Exported {at}"),
    "export.filters": ("筛选条件：{filters}", "Filters: {filters}"),
    "export.no_filters": ("筛选条件：无（全部记录）", "Filters: none (all records)"),
    "export.total": ("合计", "Total"),
    "export.subtotal": ("{group} 小计", "{group} subtotal"),
}
EXPORT_WORDS.update({f"template.type_{kind}": words for kind, words in {
    "text": ("文本", "text"), "integer": ("整数", "whole number"), "decimal": ("数字", "number"),
    "money": ("金额", "amount of money"), "percent": ("百分比（填 0–100）", "percentage (0–100)"),
    "boolean": ("是/否", "yes/no"), "date": ("日期（如 2026-03-01）", "date (e.g. 2026-03-01)"),
    "datetime": ("日期时间（如 2026-03-01 08:30）", "date and time (e.g. 2026-03-01 08:30)"),
    "enum": ("单选", "one of the options"), "multi_enum": ("多选（用、分隔）", "several options (separated by ,)"),
    "ref": ("关联记录", "a record"), "user": ("人员（姓名或账号）", "a person (name or login)"),
}.items()})
