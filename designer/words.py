"""The designer pages' words in Chinese and English."""
from __future__ import annotations

from web.pages.i18n import language

WORDS: dict[str, tuple[str, str]] = {
    "title": ("模块设计器", "Module designer"),
    "intro": ("调整本租户的模块：增加或隐藏字段、改标签、加校验规则、改参数、替换审批流程。"
              "发布前先试运行，查看对现有记录的影响。",
              "Adjust this tenant's modules: add or hide fields, relabel, add rules, change parameters, replace "
              "approval processes. Dry-run first to see what publishing does to existing records."),
    "module": ("模块", "Module"),
    "version": ("版本", "Version"),
    "catalog_version": ("标准版本", "Catalog version"),
    "adjust": ("调整", "Adjust"),
    "adjust_title": ("调整 {module}", "Adjust {module}"),
    "overlay": ("调整文件 (YAML)", "Overlay (YAML)"),
    "overlay_help": ("按 docs/overlays.md 的格式编写；输入时即在服务器上校验。",
                     "Written as in docs/overlays.md; checked on the server as you type."),
    "problems": ("问题", "Problems"),
    "no_problems": ("没有发现问题。", "No problems found."),
    "checking": ("正在校验…", "Checking…"),
    "line": ("第 {line} 行第 {column} 列", "line {line}, column {column}"),
    "validate": ("校验", "Check"),
    "dry_run": ("试运行", "Dry run"),
    "publish": ("发布", "Publish"),
    "publish_confirm": ("发布为本租户的新版本？", "Publish this as the tenant's new version?"),
    "form_editor": ("表单编辑", "Form editor"),
    "form_editor_help": ("修改会写入上面的 YAML（注释会被去掉），发布前不会生效。",
                         "Changes are written into the YAML above (comments are dropped); nothing applies until "
                         "you publish."),
    "entity": ("业务对象", "Entity"),
    "action": ("操作", "Action"),
    "add_field": ("增加字段", "Add a field"),
    "relabel": ("修改标签", "Relabel"),
    "hide": ("隐藏字段", "Hide a field"),
    "field_key": ("字段键", "Field key"),
    "field_type": ("类型", "Type"),
    "label_zh": ("中文标签", "Chinese label"),
    "label_en": ("英文标签", "English label"),
    "required": ("必填", "Required"),
    "default": ("默认值", "Default"),
    "options": ("选项 (键:中文:英文, 逗号分隔)", "Options (key:Chinese:English, comma-separated)"),
    "apply": ("写入 YAML", "Write into the YAML"),
    "preview": ("表单预览", "Form preview"),
    "preview_of": ("预览", "Preview"),
    "preview_invalid": ("修正问题后显示预览。", "The preview shows once the problems are fixed."),
    "report": ("试运行结果", "Dry-run report"),
    "published": ("已发布 {version}。", "Published {version}."),
    "changes": ("变更", "Changes"),
    "records": ("记录", "Records"),
    "checked": ("检查", "Checked"),
    "migrated": ("迁移到新版本", "Moved to the new version"),
    "kept": ("保持原版本（审批中或已审批）", "Kept on their version (in review or decided)"),
    "invalid": ("新版本下无效（保持不变）", "Invalid under the new version (left unchanged)"),
    "reason": ("原因", "Reason"),
    "count": ("数量", "Count"),
    "samples": ("示例记录", "Sample records"),
    "approvals": ("进行中的审批", "Running approvals"),
    "approvals_text": ("{running} 个进行中，其中 {replaced} 个的流程被替换（按开始时的流程完成）。",
                       "{running} running, {replaced} of them on a replaced process (they finish on the BPMN they "
                       "started with)."),
    "indexes": ("索引", "Indexes"),
    "create": ("新建", "Create"),
    "drop": ("删除", "Drop"),
    "none": ("无", "none"),
    "warnings": ("提醒", "Warnings"),
    "versions": ("版本历史", "Versions"),
    "state": ("状态", "State"),
    "state.current": ("当前", "current"),
    "state.catalog": ("标准", "catalog"),
    "state.superseded": ("已被取代", "superseded"),
    "state.rolled_back": ("已回滚", "rolled back"),
    "published_at": ("发布时间", "Published"),
    "published_by": ("发布人", "By"),
    "diff": ("差异", "Changes"),
    "rollback": ("回滚到上一版本", "Roll back to the previous version"),
    "rollback_confirm": ("回滚到上一版本？", "Roll back to the previous version?"),
    "rolled_back": ("已从 {old} 回滚到 {new}。", "Rolled back from {old} to {new}."),
    "edit_failed": ("无法修改：{reason}", "Could not change it: {reason}"),
    "no_changes": ("没有变更", "no changes"),
    "back": ("返回设计器", "Back to the designer"),
}


def w(key: str, **values: object) -> str:
    """The designer's word `key` in the request's language."""
    zh, en = WORDS.get(key, (key, key))
    text = zh if language() == "zh" else en
    return text.format(**values) if values else text
