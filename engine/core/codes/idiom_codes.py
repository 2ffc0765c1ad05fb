"""Message codes of the approval idioms (加签, 退回到任一步, 抄送, 催办), merged into engine.core.error_codes."""
from __future__ import annotations

IDIOM_MESSAGES: dict[str, str] = {
    "task_not_completed": "task {bpmn_id!r} is not a completed human task",
    "task_waiting_signers": "task {task_id} waits for the signers added to it ({users}); it opens again after them",
    "add_signer_no_users": "'users' must list 1 to {most} login names of the people to add",
    "add_signer_bad_position": "'position' must be 'before' or 'after', not {position!r}",
    "add_signer_unknown_user": "{username!r} is not an active user of this tenant",
    "add_signer_self": "you cannot add yourself as a signer of your own step",
    "add_signer_already": "{username!r} is already asked to sign this step",
    "add_signer_cannot_read": (
        "{username!r} may not read this record, so they cannot be added as a signer; choose someone who can"
    ),
    "add_signer_on_added": "an added signer cannot add further signers; approve, reject or return the step",
    "return_target_unknown": "'to' must be 'previous' or the id of a step of this process, not {to!r}",
    "return_target_not_done": (
        "step {to!r} has not been completed in this approval, so it cannot be returned to; steps done: {done}"
    ),
    "return_target_multi_instance": (
        "step {to!r} is signed by several people (会签) and cannot be reopened; return to a step before it"
    ),
    "return_no_previous": "no step before this one is done yet, so there is nothing to return to",
    "return_to_from_added": "an added signer returns the step as a whole: send 'return' without 'to'",
    "remind_not_submitter": "only the submitter of {entity} {record_id} or a tenant administrator can send a reminder",
    "remind_too_soon": "a reminder was sent {minutes_ago} minutes ago; you can remind again in {minutes} minutes",
}
