"""The approval editor's words (zoom, role picker, approval levels) and the publish guard's, Chinese first."""
from __future__ import annotations

PROCESS_WORDS: dict[str, tuple[str, str]] = {
    "advanced": ("高级", "Advanced"),
    "zoom_in": ("放大", "Zoom in"),
    "zoom_out": ("缩小", "Zoom out"),
    "zoom_fit": ("适应窗口", "Fit to screen"),
    "add_level": ("添加审批层级", "Add approval level"),
    "add_level_help": ("新层级插在所选连线上；未选连线时插在结束事件之前（或最后一个审批任务之后）。",
                       "The new level goes on the selected flow; with none selected, before the end event (or "
                       "after the last approval task)."),
    "add_level_name": ("新审批层级的名称", "Name of the new approval level"),
    "level_added": ("已添加审批层级：输入名称，勾选候选角色，然后保存到草稿。",
                    "Approval level added: type its name, tick its candidate roles, then save to the draft."),
    "no_place": ("找不到插入位置：请先选择一条连线。", "No place found: select a sequence flow first."),
    "candidate_roles": ("候选角色", "Candidate roles"),
    "candidate_roles_help": ("不勾选时由所在泳道的角色处理。", "None ticked: the lane's role does it."),
    "find_role": ("查找角色…", "Find a role…"),
    "submitter": ("提交人", "Submitter"),
    "unknown_role": ("未声明的角色：{name}", "Undeclared role: {name}"),
    "lane_role_pick": ("泳道角色", "Lane role"),
    "lane_role_help": ("泳道中的任务由该角色处理。", "The lane's tasks go to this role."),
    "no_role": ("（未选择）", "(none)"),
    "leave_unsaved": ("有未保存的修改，离开将丢失。", "There are unsaved changes; leaving loses them."),
    "draft_processes": ("草稿中有未发布的审批流程：", "The draft holds unpublished approval processes:"),
    "drop_title": ("发布将丢弃草稿中的审批流程", "Publishing drops the draft's approval process"),
    "drop_text": ("上面的 YAML 的 workflows: 已不再引用草稿中保存的流程（{files}）。"
                  "发布后草稿会被删除，这些流程修改将丢失。若要保留，请在 workflows: 中重新引用它，或回到流程编辑器。",
                  "The YAML's workflows: no longer names the process saved in the draft ({files}). Publishing "
                  "deletes the draft, and these process changes are lost. To keep them, name the file under "
                  "workflows: again, or go back to the process editor."),
    "drop_confirm": ("确认丢弃草稿中的流程并发布", "Yes, drop the draft's process and publish"),
}
