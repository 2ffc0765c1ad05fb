"""English templates of what is wrong in a BPMN approval process (a module's .bpmn files, the process designer)."""
from __future__ import annotations

PROCESS_MESSAGES: dict[str, str] = {
    # customization/process_editor.py
    "decl_bpmn_not_bpmn": "not a BPMN 2.0 file (the root element is not bpmn:definitions)",
    "decl_bpmn_malformed_xml": "malformed XML: {reason}",
    "decl_bpmn_not_xml": "not XML text: {reason}",
    "decl_draft_not_mapping_designer": "the draft overlay is not a mapping; fix it in the designer first",
    "decl_draft_yaml_invalid_designer": (
        "the draft overlay's YAML does not parse ({error}); fix it in the designer first"
    ),
    # workflow/loader.py
    "decl_bpmn_invalid": "{reason}",
    "decl_bpmn_unloadable": "the process could not be loaded: {reason}",
    "decl_bpmn_file_missing": "the process file {file!r} is not in the module{hint}",
    "decl_bpmn_no_executable": "no executable process: mark the approval process isExecutable=\"true\"",
    "decl_bpmn_several_executable": (
        "several executable processes ({ids}) and none is clearly the main one; keep one, or mark the others "
        "isExecutable=\"false\""
    ),
    "decl_bpmn_process_duplicate": "process {process!r} is also defined in {file}",
    "decl_bpmn_task_id_reused": (
        "the id is also used by a task of process {process!r}; human task ids must be unique across the processes "
        "an approval uses"
    ),
    # workflow/checks.py
    "decl_bpmn_script_missing": "the script task has no script (external scripts are not supported)",
    "decl_bpmn_service_task_shape": (
        "service tasks run plugin handlers: write camunda:type=\"external\" camunda:topic=\"<a topic an installed "
        "plugin handles>\" (Java classes, expressions and connectors are not supported)"
    ),
    "decl_bpmn_empty": "the {what} is empty",
    "decl_bpmn_timer_empty": "the timer has no timeDuration, timeDate or timeCycle",
    "decl_bpmn_camunda_collection": (
        "camunda:collection is not supported; use loopDataInputRef and inputDataItem (in Camunda Modeler: "
        "Multi-instance > Input collection)"
    ),
    "decl_bpmn_call_unnamed": "the call activity names no calledElement",
    "decl_bpmn_topic_unknown": "no installed plugin handles the service task topic {topic!r}{hint}",
    "decl_bpmn_topic_unknown_offered": (
        "no installed plugin handles the service task topic {topic!r}; installed plugins handle {topics}"
    ),
    "decl_bpmn_script_assigns_field": (
        "the script assigns {name!r}, a field of the record; a process cannot change the record, so use another "
        "name"
    ),
    "decl_bpmn_mi_input_unknown": "the multi-instance input {name!r} is neither a field nor a process variable{hint}",
    "decl_bpmn_call_expression": "calledElement {called!r} is an expression; name the called process id instead",
    "decl_bpmn_mi_input_not_list": "the multi-instance input {name!r} is {type}, not a list",
    "decl_bpmn_call_unknown": "the called process {called!r} is not in any .bpmn file of the module{hint}",
    # workflow/checks.py: elements the engine does not run
    "decl_bpmn_unsupported_business_rule_task": (
        "business rule tasks (DMN) are not supported; use an exclusive gateway with conditions"
    ),
    "decl_bpmn_unsupported_send_task": "send tasks are not supported; use a user task or a script task",
    "decl_bpmn_unsupported_receive_task": "receive tasks are not supported; use a user task or a timer event",
    "decl_bpmn_unsupported_complex_gateway": (
        "complex gateways are not supported; use an exclusive or inclusive gateway"
    ),
    "decl_bpmn_unsupported_event_based_gateway": (
        "event-based gateways are not supported; use a timer boundary event on a user task"
    ),
    "decl_bpmn_unsupported_transaction": "transactions are not supported; use an embedded subprocess",
    "decl_bpmn_unsupported_ad_hoc_sub_process": "ad-hoc subprocesses are not supported; use an embedded subprocess",
    "decl_bpmn_unsupported_data_store_reference": "data stores are not supported; keep data in the record's fields",
    "decl_bpmn_unsupported_message_event_definition": (
        "message events are not supported; use a user task or a timer event"
    ),
    "decl_bpmn_unsupported_signal_event_definition": (
        "signal events are not supported; use a user task or a timer event"
    ),
    "decl_bpmn_unsupported_conditional_event_definition": (
        "conditional events are not supported; use an exclusive gateway"
    ),
    "decl_bpmn_unsupported_compensate_event_definition": "compensation is not supported; model the undo steps as tasks",
    "decl_bpmn_unsupported_cancel_event_definition": (
        "cancel events are not supported (they need transactions); use an error end event"
    ),
    "decl_bpmn_unsupported_link_event_definition": "link events are not supported; draw the sequence flow instead",
    "decl_bpmn_unsupported_call_choreography": "choreographies are not supported",
    "decl_bpmn_unsupported_choreography_task": "choreographies are not supported",
    "decl_bpmn_unsupported_sub_choreography": "choreographies are not supported",
    "decl_bpmn_unsupported_listener": "Camunda listeners are not supported; use a script task",
    "decl_bpmn_unsupported_camunda_io": "Camunda input/output mappings are not supported; use a script task",
    "decl_bpmn_unsupported_zeebe_io": "Zeebe input/output mappings are not supported; use a script task",
    "decl_bpmn_unsupported_zeebe_loop": (
        "Zeebe multi-instance collections are not supported; use loopDataInputRef and inputDataItem"
    ),
    "decl_bpmn_python_condition": (
        "conditions are written in the formula language, not Python: {what} {text!r} ({reason})"
    ),
    "decl_bpmn_python_script": (
        "scripts are `name = expression` lines in the formula language, not Python: {what} {text!r} ({reason})"
    ),
    "decl_bpmn_expression_invalid": "{what} {text!r}: {reason}",
    # workflow/human_tasks.py
    "decl_bpmn_task_unassigned": (
        "the task has no lane, candidateGroups or assignee, so nobody could complete it; put it in a lane named "
        "after a role"
    ),
    "decl_bpmn_assignee_unknown": (
        "assignee {assignee!r} names no field of the record{hint}; write a user field such as created_by, "
        "${{initiator}} for the submitter, or list fixed people in camunda:candidateUsers"
    ),
    "decl_bpmn_assignee_type": "assignee {assignee!r} is a {type} field; it must hold a login name",
    "decl_bpmn_role_unknown": (
        "{what} {role!r} is not a declared role{hint}; declare it in the module's roles, or use 'submitter' for "
        "the record's creator"
    ),
    "decl_bpmn_editable_unknown": "editable field {field!r} is not a field of the record{hint}",
    "decl_bpmn_property_boolean": "property {name!r} must be 'true' or 'false', not {value!r}",
    "decl_bpmn_cc_user_empty": "cc entry 'user:' names no user; write user:<login name>",
    "decl_bpmn_cc_unknown_role": (
        "cc entry {role!r} is not a declared role{hint}; name a role of the module or a user as user:<login name>"
    ),
}
