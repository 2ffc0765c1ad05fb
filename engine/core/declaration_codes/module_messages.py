"""English templates of what is wrong in a module, an overlay or a seed file (YAML declarations)."""
from __future__ import annotations

MODULE_MESSAGES: dict[str, str] = {
    # declarations/loader.py
    "decl_module_path_missing": "no such module folder or file",
    "decl_module_file_missing": "no {names} in the module folder",
    "decl_file_not_utf8_at": "file is not UTF-8 text ({reason} at byte {byte})",
    # declarations/source.py
    "decl_file_not_utf8": "the file is not UTF-8 (byte {byte}); save it as UTF-8",
    "decl_yaml_tab": (
        "YAML syntax error: found character '\\t' that cannot start any token; indent with spaces, not tabs"
    ),
    "decl_yaml_colon": (
        "YAML syntax error: mapping values are not allowed here; put a space after ':' or quote a value that "
        "contains ': '"
    ),
    "decl_yaml_undefined_alias": (
        "YAML syntax error: found undefined alias; define the anchor with '&name' before using '*name'"
    ),
    "decl_yaml_syntax": "YAML syntax error: {problem}",
    "decl_yaml_syntax_but": "YAML syntax error: {context}, {problem}",
    "decl_yaml_syntax_started": "YAML syntax error: {problem} ({context} that started at line {line}, column {column})",
    "decl_top_level_list": "the top level must be a mapping of keys such as 'module: expense', not a list",
    "decl_top_level_value": (
        "the top level must be a mapping of keys such as 'module: expense', not the value {value!r}"
    ),
    "decl_top_level_not_mapping": "the top level must be a mapping of keys",
    "decl_duplicate_key": "duplicate key {key!r}; keep only one",
    "decl_yaml_unsupported_tag": "unsupported tag {tag!r}; declarations use plain YAML values",
    "decl_module_folder_empty": "no module file in this folder; expected one of {names}",
    "decl_file_unreadable": "cannot read the file: {reason}",
    "decl_yaml_too_large": "the document expands to more than {max_nodes} values",
    "decl_yaml_alias_cycle": "an alias refers to a node that contains it",
    "decl_yaml_bad_scalar": "{value!r} is not a valid {type}",
    "decl_yaml_too_deep": "the document is nested more than {max_depth} levels deep",
    "decl_yaml_control_character": "YAML syntax error: control character U+{codepoint} is not allowed",
    "decl_file_empty": "the file is empty; a declaration is a mapping of keys such as 'module: expense'",
    "decl_yaml_key_not_text": "a key must be plain text, not a mapping or a list",
    "decl_yaml_duplicate_key": (
        "duplicate key {key!r} at line {line}, column {column}; it was first defined at line {first_line}, column "
        "{first_column}; keep only one"
    ),
    "decl_yaml_duplicate_key_in": (
        "duplicate key {key!r} in '{parent}' at line {line}, column {column}; it was first defined at line "
        "{first_line}, column {first_column}; keep only one"
    ),
    "decl_yaml_merge_not_mapping": "'<<' must merge mappings",
    # declarations/compiler.py
    "decl_role_not_declared": "role {role!r} is not declared in this module's 'roles'{hint}",
    "decl_title_field_unknown": "title_field {field!r} is not a field of {entity!r}{hint}",
    "decl_list_sort_unknown": "sort field {field!r} is not a field{hint}",
    "decl_formula_cycle": "computed fields form a cycle: {cycle}",
    "decl_field_type_unknown": "field {name!r} has unknown type {type!r}{hint}",
    "decl_field_needs_options": "{type} field {name!r} needs 'options'",
    "decl_default_not_an_option": "default {default!r} of {name!r} is not one of its options{hint}",
    "decl_pattern_unusable": (
        "pattern of {name!r} cannot be used: {reason} (patterns run on RE2, which matches in linear time)"
    ),
    "decl_workflow_process_missing": "process file {file!r} is not in the module folder{hint}",
    "decl_project_field_not_ref": "project_field {field!r} is not a ref to {project_entity} of {name!r}{hint}",
    "decl_project_roles_without_project": (
        "the process gives tasks to project roles ({roles}) but {name!r} has no field 'project' referring to "
        "{project_entity}; name the field whose project's members take them with 'project_field'"
    ),
    "decl_required_module_missing": "required module {module!r} is not installed{hint}",
    "decl_role_scope_conflict": (
        "role {name!r} is 'scope: project' in a module this one requires; a role has one scope: remove 'scope: "
        "company' here"
    ),
    "decl_parameter_type_unknown": "parameter type {type!r} is not supported{hint}",
    "decl_list_column_unknown": "list column {column!r} is not a field{hint}",
    "decl_list_filter_unknown": "list filter {name!r} is not a field{hint}",
    "decl_ref_needs_entity": "ref field {name!r} needs 'entity' (the module.entity it points to)",
    "decl_table_needs_fields": "table field {name!r} needs 'fields' for its rows",
    "decl_table_formula_cycle": "computed fields of table {name!r} form a cycle: {cycle}",
    "decl_pattern_example_mismatch": "pattern_example {example!r} of {name!r} does not match its pattern {pattern!r}",
    "decl_rule_unknown_field": "rule {number} names unknown field {field!r}{hint}",
    "decl_cc_unknown_role": (
        "cc names {role!r}, which is not a role of the module{hint}; name a role or a user as user:<login name>"
    ),
    "decl_default_item_not_an_option": "default {default!r} of {name!r} is not one of its options{hint}",
    "decl_table_in_table": "a table cannot contain another table",
    "decl_fill_in_table": "'fill' is for fields of the record, not of a table's rows",
    "decl_permission_unknown_field": "{part} names unknown field {field!r}{hint}",
    # declarations/module_scope.py
    "decl_ref_target_unknown": "ref target {text!r} is not an entity{hint}",
    "decl_ref_target_not_required": "ref target {text!r} needs {module!r} in this module's 'requires' (or 'optional')",
    "decl_ref_target_no_entity": "ref target {text!r}: module {module!r} has no entity {entity!r}{hint}",
    "decl_ref_target_module_missing": "ref target {text!r} names module {module!r}, which is not installed",
    "decl_formula": "{what}: {reason}",
    "decl_formula_row_aggregate": (
        "{what}: {reason}; row.<column> is one row's value: aggregates over rows need 'group_by' (a grouped create "
        "effect)"
    ),
    "decl_formula_target_in_create": (
        "{what}: {reason}; target.<field> reads the record an 'update' effect changes, not one a 'create' effect makes"
    ),
    "decl_formula_group_without_groups": (
        "{what}: {reason}; group.<name> reads a key of a grouped effect ('for_each' with 'group_by')"
    ),
    # declarations/constraints.py
    "decl_shares_not_table": (
        "shares names {table!r}, which is not a table field; write table.column, e.g. workers.worker{hint}"
    ),
    "decl_shares_unknown_column": "shares names unknown column {column!r} of table {table!r}{hint}",
    "decl_shares_column_type": (
        "shares column {table}.{column} is {type}; it must hold single texts, users, options or refs"
    ),
    "decl_overlaps_needs_two_fields": "overlaps needs two different fields, the start and the end",
    "decl_overlaps_types_differ": (
        "the start {start!r} is {start_type} but the end {end!r} is {end_type}; use the same type for both"
    ),
    "decl_numbering_not_text": "numbering of {name!r} must be text such as \"DG-{{project.project_code}}-{{seq:3}}\"",
    "decl_numbering_field_not_text": "numbering needs a text field; {name!r} is {type}",
    "decl_numbering_seq_count": "numbering of {name!r} needs exactly one {{seq}} (or {{seq:3}} for 001), found {count}",
    "decl_mask_field_not_text": "a mask needs a text field; {name!r} is {type}",
    "decl_unique_key_empty": "a unique key needs the fields it combines, e.g. [project, crew_name]",
    "decl_unique_key_repeats": "a unique key names a field twice",
    "decl_unique_key_when_not_own": (
        "the 'when' of a unique key may only read the record's own fields, not refs, params, user or today() (it "
        "becomes the condition of a database index)"
    ),
    "decl_conflict_unknown_field": "conflict matches unknown field {name!r}{hint}",
    "decl_overlaps_unknown_field": "overlaps names unknown field {name!r}{hint}",
    "decl_numbering_bad_part": (
        "numbering of {name!r}: {{{inside}}} must name a field or formula (or be {{seq}} / {{seq:3}}) and not the "
        "numbered field itself"
    ),
    "decl_unmasked_for_without_mask": "unmasked_for of {name!r} needs a 'mask' to lift",
    "decl_defer_required_unknown_field": "defer_required names {name!r}, which is not a field of this entity{hint}",
    "decl_unique_key_unknown_field": "unique key names unknown field {name!r}{hint}",
    "decl_conflict_when_not_sql": (
        "'when' of conflict {number} is read in the database, but {reason}; compare the record's own fields, refs "
        "or params"
    ),
    "decl_conflict_field_list": "conflict field {name!r} holds a list ({type}); match single-valued fields",
    "decl_overlaps_field_not_date": (
        "overlaps field {name!r} is {type}; the start and end of a range are date or datetime fields"
    ),
    "decl_defer_required_not_attachment": (
        "defer_required names {name!r}, which is not a required attachment: only a required attachment field can "
        "be left for later on imported rows"
    ),
    "decl_unique_key_field_list": "unique key field {name!r} holds a list ({type}); use single-valued fields",
    "decl_overlaps_bound_matched": "{name!r} is both matched and a bound of the range; leave it out of match",
    "decl_numbering_formula": "numbering of {name!r}: {reason}",
    # declarations/cascade.py
    "decl_effect_match_not_ref": "effect match {name!r} must be a ref to {entity} (or a record's id), not {type}",
    "decl_effect_match_not_record": "effect match {name!r} must be a ref to a record (or a record's id), not {type}",
    "decl_effect_value_not_ref": "effect value {name!r} must be a ref to {entity} (or a record's id), not {type}",
    "decl_effect_value_not_record": "effect value {name!r} must be a ref to a record (or a record's id), not {type}",
    "decl_lookup_value_unknown": "lookup value {value!r} is not a field of {entity}{hint}",
    "decl_lookup_effective_unknown": "lookup effective field {field!r} is not a field of {entity}{hint}",
    "decl_lookup_match_unknown": "lookup match {name!r} is not a field of {entity}{hint}",
    "decl_rollup_via_not_ref": "rollup via {via!r} must be a ref field of {source} pointing at {module}.{entity}{hint}",
    "decl_effect_value_unknown": "effect value {name!r} is not a field of {entity}{hint}",
    "decl_effect_records_type": "effect records must name {entity} records (a ref or a list of refs), not {type}",
    "decl_effect_where_not_sql": "'where' of an effect is read in the database, but {reason}",
    "decl_effect_match_unknown": "effect match {name!r} is not a field of {entity}{hint}",
    # declarations/network.py
    "decl_network_finish_or_duration": (
        "a network needs either 'finish' (a date field) or 'duration' (an integer field of calendar days), not "
        "both"
    ),
    "decl_network_needs_outputs": "a network needs 'outputs': the fields the engine fills ({outputs})",
    "decl_network_input_reads_outputs": (
        "network input {name!r} reads the network's own outputs; inputs must not depend on what the engine "
        "computes from them"
    ),
    "decl_network_not_a_field": "network {what} {field!r} is not a field of {entity!r}{hint}",
    "decl_network_field_type": "network {what} {field!r} has type {type}; it needs a {types} field",
    "decl_network_predecessor_not_ref": (
        "network predecessor column {column!r} must be a ref to {entity}, not to {target}"
    ),
    "decl_network_output_unknown": (
        "network output {output!r} is not one the engine computes{hint}; it computes {outputs}"
    ),
    "decl_network_output_computed": (
        "network output field {output!r} is written by the engine: give it no formula, rollup, lookup or "
        "'required'"
    ),
    "decl_network_link_type_unknown": (
        "option {option!r} of {table}.{column} is not a link type; name the options finish_to_start, "
        "start_to_start, finish_to_finish, start_to_finish (or FS, SS, FF, SF)"
    ),
    # declarations/reporting.py
    "decl_kpi_unknown_report": "kpi {name!r} links to unknown report {report!r}{hint}",
    "decl_report_entity_module_missing": (
        "{what} names entity {text!r} of module {module!r}, which is not installed{hint}"
    ),
    "decl_report_entity_not_required": (
        "{what} names entity {text!r}: add {module!r} to this module's 'requires' (or declare it in a module that "
        "requires both)"
    ),
    "decl_report_entity_no_entity": (
        "{what} names unknown entity {text!r}: module {module!r} has no entity {name!r}{hint}"
    ),
    "decl_report_label_unknown_column": "label for unknown column {column!r} of report {name!r}{hint}",
    "decl_report_order_unknown_column": "report {name!r} cannot order by unknown column {column!r}{hint}",
    "decl_report_source_unknown": "{what} reads unknown report {report!r}{hint}",
    "decl_report_source_and_entity": "{what} reads the rows of report {report!r}: drop 'entity'",
    "decl_report_needs_source": "{what} needs 'entity' (the records it aggregates) or 'from_report' (a report's rows)",
    "decl_threshold_unknown_parameter": "threshold names unknown parameter {name!r}{hint}",
    "decl_threshold_invalid": "threshold must be a number or params.<name>, not {value!r}",
    "decl_report_entity_unknown": "{what} names unknown entity {text!r}{hint}",
    "decl_join_match_unknown": (
        "join {number} of {what} matches {column!r}, which is not a grouping of the report{hint}"
    ),
    "decl_chart_unknown_column": "chart {axis} names unknown column {column!r}{hint}",
    # declarations/flow/report_running.py
    "decl_running_needs_one_function": "{label} needs exactly one of {choices} (the column it reads), not {count}",
    "decl_running_unknown_column": (
        "{label} reads unknown column {column!r} (a grouping, measure or joined measure before it){hint}"
    ),
    "decl_running_needs_order": "{label}: {function} needs 'order' (which row comes before which)",
    "decl_running_offset_misplaced": "{label}: 'offset' is for previous and next only",
    "decl_join_rows_invalid": "{what}: rows must be one of {choices}, not {value!r}",
    "decl_column_name_taken": "{what} already has a column {name!r}; give this one another name",
    "decl_running_needs_number": "{label}: {function} needs a number or money column, and {column!r} is {type}",
    "decl_running_list_unknown_column": "{label} names unknown column {column!r}{hint}",
    "decl_join_rows_any_unmatched": (
        "join {number} of {what} must match every grouping with 'rows: any' (its groups become rows): add "
        "{missing} to 'match'"
    ),
    "decl_running_list_column": "{label} cannot use the list column {column!r}",
    # declarations/flow/contributions.py
    "decl_contribution_target_shape": "contribution target {text!r} must be module.entity.field",
    "decl_contribution_target_not_required": (
        "contribution target {text!r} needs {module!r} in this module's 'requires' (or 'optional')"
    ),
    "decl_contribution_target_no_entity": (
        "contribution target {text!r}: module {module!r} has no entity {entity!r}{hint}"
    ),
    "decl_contribution_target_no_field": "contribution target {text!r}: {entity} has no field {field!r}{hint}",
    "decl_contribution_target_not_plain": (
        "contribution target {text!r} must be a plain field (not computed, looked up, required, a table or a ref)"
    ),
    "decl_contribution_via_not_ref": (
        "contribution via {via!r} must be a ref field of {module}.{entity} pointing at {target}{hint}"
    ),
    "decl_rollup_via_not_table": "rollup via {via!r}: {table!r} is not a table field of {entity}{hint}",
    "decl_rollup_via_not_ref_column": (
        "rollup via {via!r}: {column!r} must be a ref column of {table!r} pointing at {target}{hint}"
    ),
    "decl_module_required_and_optional": "module {name!r} is both required and optional; keep it in one list",
    "decl_contribution_target_module_missing": (
        "contribution target {text!r} names module {module!r}, which is not installed"
    ),
    "decl_module_optional_to_itself": "a module cannot be optional to itself",
    # declarations/flow/effects.py
    "decl_effect_needs_trigger": "an effect needs 'on' (a status), 'when' (a condition), or both",
    "decl_effect_group_by_needs_for_each": "'group_by' groups the rows of 'for_each': name the table to group",
    "decl_effect_for_each_not_table": "for_each {name!r} is not a table field of this entity{hint}",
    "decl_effect_create_and_update": "an effect either creates records ('create') or updates them ('update'), not both",
    "decl_effect_needs_action": "an effect needs 'create' with 'values', or 'update' with 'records' or 'match'",
    "decl_effect_update_incomplete": (
        "an 'update' effect needs 'records' or 'match' (which records, one of them) and 'values' or 'status'"
    ),
    "decl_effect_update_keys_on_create": "'records', 'match', 'where' and 'status' belong to 'update' effects",
    "decl_effect_where_without_match": "'where' narrows the records of 'match'",
    "decl_effect_group_by_on_update": "'group_by' belongs to 'create' effects (one record per group)",
    # declarations/flow/gather.py
    "decl_gather_value_is_row": "gather value {column!r} is the row column, which names the source record",
    "decl_gather_value_unknown": "gather value {column!r} is not a column of table {name!r}{hint}",
    "decl_gather_not_table": "'gather' belongs to table fields; {name!r} is a {type} field",
    "decl_gather_row_not_ref": "gather row {row!r} must be a ref column of table {name!r} pointing at {target}{hint}",
    "decl_gather_match_unknown": "gather match {field!r} is not a field of {entity}{hint}",
    "decl_gather_where_not_sql": "gather where is read in the database, but {reason}",
    "decl_gather_value_computed": "gather value {column!r} is a computed column",
    "decl_gather_order_by_invalid": "gather order_by {field!r} is not a single-valued field of {entity}{hint}",
    # declarations/flow/guards.py
    "decl_task_fact_unknown_task": (
        "task_fact of {name!r} names task {tasks!r}, which is not a user task of {process}{hint}"
    ),
    "decl_task_fact_unknown_tasks": (
        "task_fact of {name!r} names tasks {tasks!r}, none of which is a user task of {process}{hint}"
    ),
    "decl_freeze_not_computed": (
        "freeze of {name!r}: only a computed field (a formula, a lookup or a rollup) can be frozen; a typed value "
        "is kept anyway"
    ),
    "decl_task_fact_field_type": "task_fact {fact} of {name!r} goes into a {types} field, not a {type} field",
    "decl_task_fact_computed": "{name!r} is computed: a task fact goes into a field of its own",
    "decl_readonly_except_without_when": (
        "readonly_except names the fields left editable when 'readonly_when' holds: declare readonly_when too"
    ),
    "decl_readonly_except_unknown_field": "readonly_except names {name!r}, which is not a field of this entity{hint}",
    "decl_task_fact_no_workflow": "task_fact of {name!r}: the entity has no workflow whose task could write it",
    # declarations/flow/fills.py
    "decl_fill_on_computed": (
        "{name!r} is computed ('formula' or 'rollup'): it cannot also be filled ('fill' gives an editable field "
        "its first value)"
    ),
    "decl_fill_on_table": "a table field cannot be filled ({name!r})",
    "decl_fill_reads_itself": "fill of {name!r} reads {name!r} itself",
    "decl_fill_cycle": "lookups and fills form a cycle: {cycle}",
    # declarations/flow/printing.py
    "decl_print_field_unknown": "print section field {name!r} is not a field{hint}",
    "decl_print_amount_unknown": "print amount {name!r} is not a field{hint}",
    "decl_print_amount_not_money": (
        "print amount {name!r} is a {type} field: only a money field is written in Chinese capitals (大写)"
    ),
    # declarations/seed_check.py
    "decl_seed_unknown_entity": "seed file names no entity of {module!r}: {entity!r}",
    "decl_seed_not_a_list": "a seed file holds a list of records (field: value mappings)",
    "decl_seed_bad_yaml": "seed file is not valid YAML: {reason}",
    # records/seeds.py
    "decl_seed_record_invalid": "seed record {number}: {message}",
    # customization/overlays.py
    "decl_overlay_wrong_module": (
        "this overlay adjusts {overlay!r}, but it is applied to module {module!r}; write 'overlay: {module}' or "
        "apply it to its module"
    ),
    "decl_overlay_base_version": (
        "the overlay was written against {module} {base_version}, but the installed {module} is {version}; check "
        "the overlay against {version} and set 'base_version: {version}'"
    ),
    "decl_overlay_unknown_entity": (
        "module {module!r} has no entity {entity!r}{hint}; an overlay adjusts the module's entities"
    ),
    "decl_overlay_unknown_parameter": (
        "module {module!r} declares no parameter {parameter!r}{hint}; an overlay gives new values to declared "
        "parameters"
    ),
    "decl_overlay_workflow_unknown_entity": "module {module!r} has no entity {entity!r}{hint}",
    "decl_overlay_bpmn_missing": (
        "BPMN file {file!r} was not found next to the overlay; the path is relative to the overlay file"
    ),
    "decl_overlay_bpmn_clash": (
        "module {module!r} already has a file {process!r}; give the replacement process another file name"
    ),
    "decl_overlay_unreadable": "cannot read the overlay: {reason}",
    "decl_overlay_not_utf8": "the overlay is not UTF-8 text; save it as UTF-8",
    "decl_overlay_unknown_field": "{owner!r} has no field {name!r}{hint}; to add a new field give its 'type'",
    "decl_overlay_parameter_invalid": "parameter {name!r} ({type}): {error}",
    # customization/draft_edit.py
    "decl_draft_not_mapping": "the draft overlay is not a mapping",
    "decl_draft_yaml_invalid": "the draft overlay's YAML does not parse ({error})",
    # the parts a message names: what a formula is, which report a column belongs to
    "decl_part_contribution_measure": "contribution measure",
    "decl_part_contribution_where": "contribution where",
    "decl_part_readonly_when": "readonly_when of {name!r}",
    "decl_part_fill": "fill of {name!r}",
    "decl_part_running_column": "running column {name!r} of {what}",
    "decl_part_gather_where": "gather where",
    "decl_part_gather_match": "gather match {field!r}",
    "decl_part_gather_value": "gather value {column!r}",
    "decl_part_when_unique_key": "'when' of the unique key",
    "decl_part_when_conflict": "'when' of conflict {number}",
    "decl_part_report": "report {name!r}",
    "decl_part_kpi": "kpi {name!r}",
    "decl_part_where_report": "where of report {name!r}",
    "decl_part_value_kpi": "value of kpi {name!r}",
    "decl_part_where_kpi": "where of kpi {name!r}",
    "decl_part_group_by_report": "group_by of report {name!r}",
    "decl_part_measure_report": "measure {measure!r} of report {name!r}",
    "decl_part_where_join": "where of join {number} of {what}",
    "decl_part_derived_column_formula_columns": "derived column {name!r} of {what} (a formula over its columns)",
    "decl_part_match_join": "match {column!r} of join {number} of {what}",
    "decl_part_measure_join": "measure {measure!r} of join {number} of {what}",
    "decl_part_lookup_effective_date": "lookup effective date",
    "decl_part_lookup_where": "lookup where",
    "decl_part_rollup_measure": "rollup measure",
    "decl_part_rollup_where": "rollup where",
    "decl_part_lookup_match": "lookup match {name!r}",
    "decl_part_effect_condition": "effect condition",
    "decl_part_effect_records": "effect records",
    "decl_part_effect_value": "effect value {name!r}",
    "decl_part_effect_group": "effect group {name!r}",
    "decl_part_effect_where": "effect where",
    "decl_part_effect_match": "effect match {name!r}",
    "decl_part_list_filter": "list filter",
    "decl_part_condition_of": "{key} of {name!r}",
    "decl_part_rule": "rule {number}",
    "decl_part_when_rule": "'when' of rule {number}",
    "decl_part_row_filter": "row filter of {role!r}",
    "decl_part_formula": "formula of {name!r}",
    "decl_part_network_status_date": "network status date",
    "decl_part_network_where": "network where",
    "decl_part_join": "join {number} of {what}",
    "decl_capture_not_attachment": "capture of {name!r} needs an attachment field; {name!r} is {type}",
    "decl_capture_signature_multiple": "capture: signature of {name!r} holds one signature: leave out 'multiple'",
    "decl_stamp_needs_camera": "stamp of {name!r} needs 'capture: camera' (it is burned into photos)",
    "decl_stamp_unknown_field": "stamp of {name!r} names {field!r}, which is not another field of this entity{hint}",
    "decl_card_badge_not_enum": "card badge {name!r} is a {type} field, not an enum (or 'status')",
    "decl_card_unknown_field": "card field {name!r} is not a field{hint}",
    "decl_card_table_field": "card field {name!r} is a table; a card shows one value per line",
}
