"""Message codes of who may act on a task (project roles, separation of duties, out-of-office delegation):
part of MESSAGES in engine.core.error_codes (kept here, that file is at its length limit)."""
from __future__ import annotations

APPROVAL_MESSAGES: dict[str, str] = {
    # project-scoped roles and the incidents of tasks nobody was offered
    "task_project_members_only": (
        "task {task_id} is offered only to the members of its record's project who hold {roles}; you are not a "
        "member of that project"
    ),
    "incidents_admin_only": "only tenant administrators (role 'admin') see and reassign tasks nobody was offered",
    "reassign_no_users": "'users' must be a list of one or more login names of this tenant",
    "reassign_unknown_user": "{username!r} is not an active user of this tenant",
    "reassign_cannot_read": "{username!r} may not read this record, so the task cannot be offered to them",
    # separation of duties
    "sod_own_submission": "separation of duties: you submitted this {entity}, so you may not approve it",
    "sod_other_step": (
        "separation of duties: you already approved '{step}' of this approval, so another person approves this "
        "step"
    ),
    "sod_principal": "separation of duties: {principal} may not approve this {entity}, so nobody may on their behalf",
    "admin_not_approver": (
        "tenant administrators do not approve: task {task_id} is for {assignee}; reassign it if nobody can take it"
    ),
    # out-of-office delegation
    "delegation_bad_user": "'to' must name another active user of this tenant, not {to_user!r}",
    "delegation_self": "you cannot delegate to yourself; name a colleague in 'to'",
    "delegation_bad_date": "'{key}' must be a date like 2024-05-31, not {value!r}",
    "delegation_dates_order": "'until' ({until}) is before 'from' ({start}); the delegation would never apply",
    "delegation_in_past": "'until' ({until}) is already past; choose a date from today on",
    # the process designer: publishing an overlay that no longer names a process the draft holds
    "draft_process_dropped": (
        "publishing this overlay drops the process the draft holds ({files}): its 'workflows:' no longer names "
        "it; publish again with confirm_drop_process to drop it, or add it back to 'workflows:'"
    ),
}
