"""Every message code of the engine with its English template; `params` fill the `{placeholders}`.

A FieldError's `code` and a FormworkError's `message_code` are keys of MESSAGES: stable identifiers a
client or a catalog in another language may rely on. `render(code, params)` gives the English text, which
is the `message` the engine sends (a test checks they agree). Add a code here before raising with it.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.core import codes, declaration_codes

MESSAGES: dict[str, str] = {
    # Field values (engine.fields.values): what is wrong with one value a user entered
    "invalid_value": "is not a valid value",
    "not_text": "must be text, not {kind}",
    "not_a_choice": "{value!r} is not one of {options}",
    "not_a_number": "must be a number, not {value!r}",
    "not_a_number_boolean": "must be a number, not true/false",
    "not_finite": "must be a finite number, not {value!r}",
    "whole_number": "must be a whole number",
    "decimal_places": "allows at most {places} decimal places",
    "too_large": "is too large: at most {room} digits before the decimal point",
    "too_many_digits": "has too many digits: at most {max_digits} in all",
    "not_boolean": "must be true or false, not {value!r}",
    "not_a_date": "must be a date like 2024-05-31, not {value!r}",
    "not_a_datetime": "must be a date and time like 2024-05-31T08:30:00, not {value!r}",
    "nul_character": "must not contain NUL characters",
    "not_a_list_of_texts": "must be a list of texts",
    "not_a_list_of_rows": "must be a list of rows (objects)",
    "not_a_list_of_options": "must be a list of options",
    "invalid_plugin_value": "{message}",
    # Field and record checks: each is the `code` of a FieldError
    "invalid": "is not valid",
    "required": "is required",
    "min": "must be at least {min}",
    "max": "must be at most {max}",
    "percent_range": "must be a percentage between 0 and 100",
    "min_length": "must be at least {min_length} characters",
    "max_length": "must be at most {max_length} characters (has {length})",
    "pattern": "has the wrong format",
    "pattern_message": "{message}",
    "rule": "{message}",
    "rule_failed": "{message} ({error})",
    "conflict": "{message}",
    "schema": "{message}",
    "unknown_field": "is not a field of {entity}{hint}",
    "not_a_column": "is not a column of this table{hint}",
    "hidden": "is hidden for your roles and cannot be written",
    "read_only": "is read-only",
    "read_only_for_roles": "is read-only for your roles",
    "numbered": "is read-only: it is numbered automatically ({template}); leave it out",
    "missing_ref": "refers to {target} {id!r}, which does not exist",
    "missing_any_ref": "refers to record {id!r}, which does not exist",
    "unique": "{value!r} is already used by another {entity}",
    "unique_key": "{values} is already used by another {entity}{held_by}",
    "unique_key_message": "{message}{held_by}",
    "in_parent_record": "{entity} {id}: {message}",
    "in_network_group": "{entity} group {group}: {message}",
    "effect_create_failed": "creating {entity}: {message}",
    "effect_update_failed": "updating {entity}: {message}",
    "numbering_source_empty": "is numbered from {names}: fill {pronoun} in first",
    "file_missing": "file {file_id!r} does not exist; upload it first",
    "file_type_not_accepted": "{name!r} ({content_type}) is not an accepted type",
    "ref_name_unknown": "no {entity} is called {text!r}",
    "ref_name_ambiguous": "several {entity} records are called {text!r}",
    "ref_name_unreadable": "you may not read {entity} records; enter the record's id",
    "duplicate_in_file": "{value!r} is already used by row {row} of this file",
    # Approval processes (running BPMN)
    "process_data_unstorable": "{path} holds a {type}, which process data cannot store",
    "process_data_float": "{path} is a float ({value!r}); pass numbers as Decimal",
    "process_data_key_not_text": "{path} has a key {key!r} that is not text",
    "process_version_mismatch": (
        "this run was started with process version {started_with}, not {current} ({process!r}); load the "
        "process files it started with"
    ),
    "decision_unknown": "decision {decision!r} is not one of {decisions}",
    "decision_no_return_path": (
        "task {bpmn_id!r} cannot be returned: no gateway after it routes on decision == 'return'"
    ),
    "process_data_reserved": "{reserved} are set by the process, not by task data",
    "task_not_waiting": "task {bpmn_id!r} is {state}, not waiting for a decision",
    "service_task_not_waiting": "service task {bpmn_id!r} is not waiting",
    "process_finished": "process {process!r} has already finished ({outcome})",
    "process_task_not_found": "this process has no task {task_id!r}",
    "service_task_no_host": "service task {bpmn_id!r} ({topic}) cannot run here: no plugin host",
    "process_state_foreign": "this process state was not written by Formwork (its format is not {format!r})",
    "process_state_version": (
        "this process state has serializer version {version!r}; this Formwork reads only version "
        "{supported!r} and does not migrate other versions"
    ),
    "process_stopped": "{what}{where}: {message}",
    # Approvals and tasks
    "task_not_found": "task {task_id!r} does not exist",
    "no_approval_process": "{entity} has no approval process; nothing to submit",
    "not_submittable": (
        "{entity} {record_id} is {status}; only drafts and returned or rejected records can be submitted"
    ),
    "task_already_done": "task {task_id} was already {state}{who}",
    "bad_decision": "'decision' must be one of {decisions}, not {decision!r}",
    "bad_decision_data": "'data' must be an object of the fields this step may change",
    "task_not_yours": "task {task_id} is for {assignee}, not for you",
    "approval_not_running": "the approval of {entity} {id} is no longer running",
    "task_may_not_change": "this task may not change {refused}; {may}",
    "task_not_offered": "task {task_id} is not offered to you",
    "task_not_delegable": "task {task_id} is not yours to delegate",
    "delegate_unknown_user": "'to' must name an active user of this tenant, not {to_user!r}",
    "delegate_cannot_read": (
        "{username!r} may not read this record, so the task cannot be delegated to them; choose someone who "
        "can"
    ),
    "not_under_review": "{entity} {record_id} is not under review",
    "withdraw_not_submitter": "only the submitter can withdraw a record from review",
    "withdraw_after_action": "{entity} {record_id} cannot be withdrawn: an approver has already acted",
    "already_under_review": "{entity} {record_id} is already under review",
    "approval_raced": "someone else acted on this approval at the same moment; reload and try again",
    # Audit
    "audit_chain_broken": "the audit chain of tenant {tenant_id!r} is broken, so it is not re-anchored: {problems}",
    # Background jobs
    "job_bad_lease": "{variable} must be a number of seconds above 0, not {configured!r}",
    "job_lease_lost": (
        "job {id} ({kind}) was taken over by another worker after this run's lease ran out; this run's "
        "changes are rolled back"
    ),
    "job_not_found": "job {job_id!r} of tenant {tenant_id!r} does not exist",
    "job_not_retryable": "job {job_id} is {state}; only failed jobs are retried",
    # Backups
    "backup_tables_not_lists": "the backup's tables must be lists of rows",
    "backup_no_tenant": "the backup names no tenant or has no tenant row",
    "backup_bad_tenant": "the backup's tenant {tenant_id!r} is not a tenant id or not its tenant row's id",
    "backup_unknown_tables": (
        "the backup has tables this database does not know ({unknown}); upgrade Formwork (formwork init) "
        "before importing"
    ),
    "tenant_exists_in_backup_target": (
        "tenant {tenant_id!r} already exists here; import with --replace to overwrite it with the backup"
    ),
    "backup_missing_module_versions": (
        "the backup needs module versions that are not installed: {missing}; install them with 'formwork "
        "module install PATH' first"
    ),
    "tenant_not_found": "tenant {tenant_id!r} does not exist",
    "backup_unknown_column": (
        "the backup has a column {table}.{column} this database does not know; upgrade Formwork (formwork "
        "init) before importing"
    ),
    "backup_run_version_mismatch": (
        "the backup's approval run {run_id!r} names serializer version {serializer_version!r} but its state "
        "has another; nothing was imported"
    ),
    "backup_file_row_damaged": "the backup's file row {file_id!r} has a bad hash or size",
    "backup_foreign_rows": "the backup's {table} rows belong to another tenant than {tenant_id!r}",
    "backup_run_unrestorable": (
        "the backup's approval run {run_id!r} cannot be restored: {message}; nothing was imported"
    ),
    "backup_restore_failed": "the backup could not be restored; nothing was imported: {error}",
    "backup_file_missing": "backup file {path} does not exist",
    "backup_wrong_format": "{path} is not a Formwork backup: its 'format' is not {format_name!r}",
    "backup_unsupported_version_v2": (
        "{path} has backup format version {format_version!r}; this Formwork reads version 2 (and version 1 "
        "with --trust-unsigned)"
    ),
    "backup_unsigned_v1": (
        "{path} is a version 1 backup: it is not signed and holds no attachment contents. Import it only if "
        "you know where it comes from, with --trust-unsigned"
    ),
    "backup_attachments_missing": (
        "{path} lacks the content of {count} attachment(s) (first: {first}); nothing was imported"
    ),
    "backup_bad_archive_start": "{path} is not a Formwork backup: its archive does not begin with {name}",
    "backup_not_signed_here": (
        "{path} is not signed by this instance: it was altered, or written by another instance. Import it "
        "only if you know where it comes from, with --trust-unsigned"
    ),
    "backup_unsupported_version": (
        "{path} has backup format version {found_version!r}; this Formwork reads version {format_version}"
    ),
    "backup_manifest_not_json": "{path} is not a Formwork backup: {manifest} is not JSON ({error})",
    "backup_not_an_archive": "{path} is not a Formwork backup (a tar archive, optionally gzip): {error}",
    "backup_not_an_archive_plain": "{path} is not a Formwork backup (a tar archive, optionally gzip)",
    "backup_stray_member": "{path} holds {name!r}, which is no attachment content of this backup; nothing was imported",
    "backup_duplicate_content": (
        "{path} holds the content {sha} twice or with another size than its file rows say; nothing was "
        "imported"
    ),
    "backup_damaged": "{path} is damaged: {error}",
    "backup_damaged_nothing_imported": "{path} is damaged: {error}; nothing was imported",
    # Declarations
    "invalid_pattern": "pattern {pattern!r} is not supported: {reason}",
    # Files and uploads
    "file_not_found": "file {file_id!r} does not exist or you may not read it",
    "upload_no_name": "the upload has no file name",
    "file_too_large": "{name!r} is {size} bytes; files may be at most {limit} bytes",
    "file_empty": "{name!r} is empty",
    "file_type_refused": "{name!r} ({content_type}) is not an accepted type; accepted: {accepted}",
    "file_content_damaged": "the content given for file {sha256} hashes to {digest}: it is damaged",
    # Formulas
    "formula_too_deep": "formula is nested too deeply",
    "formula_too_long": "formula is longer than {max_length} characters",
    "formula_empty": "formula is empty",
    "formula_too_deep_levels": "formula is nested too deeply (more than {max_depth} levels)",
    "report_formula_ref": "a formula over report columns cannot read {ref_name}.{field}",
    "report_formula_list": "a formula over report columns cannot read the list {name!r}",
    "sort_not_a_field": "cannot sort by {name!r}: not a field{hint}",
    "sort_on_list": "cannot sort by {name!r}: it holds a list",
    "formula_evaluation_failed": "{error} in formula {text!r}",
    "age_bucket_bounds": "age_bucket() needs ascending whole numbers written in the formula as its bounds, "
                         "e.g. [30, 90, 180]",
    # Imports
    "import_already_run": "import {token!r} has already been run",
    # Instance key
    "instance_key_too_short": "FORMWORK_INSTANCE_KEY must hold at least 32 bytes (64 hex digits)",
    "instance_key_not_hex": (
        "FORMWORK_INSTANCE_KEY must be hexadecimal, e.g. the output of `python -c 'import secrets; "
        "print(secrets.token_hex(32))'`"
    ),
    # Invitation and password links
    "link_bad_purpose": "a link's purpose is one of {purposes}, not {purpose!r}",
    "link_bad_days": "a link is valid for 1 to 90 days, not {days}",
    "link_incomplete": "this link is incomplete; copy the whole link you were given",
    "link_unknown": "this link is unknown or was replaced by a newer one; ask your administrator for a new link",
    "link_used": "this link was already used; log in with your password, or ask your administrator to reset it",
    "link_expired": "this link expired on {expired_on}; ask your administrator for a new one",
    "link_user_deactivated": "user {username!r} is deactivated; ask your administrator",
    # Licenses and seats
    "too_few_seats": (
        "this license has {seats} seats but tenant {tenant_id!r} has {count} active users: deactivate "
        "{excess} of them first (active users: {active}), or apply a license with at least {count} seats"
    ),
    "license_key_not_ed25519": "license key file {path} does not hold an Ed25519 key",
    "bad_plan": "plan {plan!r} is not one of {plans}",
    "bad_seats": "seats must be at least 1, not {seats}",
    "bad_days": "days must be 0 or more, not {days}",
    "license_no_public_key": (
        "no license public key is configured: set FORMWORK_LICENSE_PUBLIC_KEY or put the operator's public "
        "key at {public_key_path}"
    ),
    "license_other_tenant": "this license is for tenant {license_tenant!r}, not {tenant_id!r}",
    "license_malformed": "a license token looks like '{prefix}.<claims>.<signature>'; this one does not",
    "license_public_key_not_ed25519": "the configured license public key is not an Ed25519 key",
    "seats_exhausted": (
        "seats {used} of {seats} in use in tenant {tenant_id!r}: deactivate a user or apply a license with "
        "more seats"
    ),
    "module_not_licensed": "module {module!r} is not in tenant {tenant_id!r}'s license (licensed: {licensed})",
    "license_key_not_pem": "license key file {path} is not a PEM private key: {error}",
    "license_signature_mismatch": (
        "the license signature does not match: the token was altered or signed by another key"
    ),
    "tenant_read_only": "{reason}",
    # Logins
    "too_many_attempts": (
        "登录失败次数过多，请 {minutes} 分钟后再试 / "
        "too many failed attempts: try again in {minutes} minute{plural}"
    ),
    # Networks
    "network_cycle": "the predecessor links form a cycle: {cycle}; remove one of these links",
    # Operators
    "operator_bad_name": "operator name {name!r} may use letters, digits and _ . @ - only",
    "operator_password_short": "an operator password needs at least 8 characters",
    "operator_login_failed": "wrong operator name or password",
    # Permissions
    "action_forbidden": (
        "your roles ({roles}) may not {action} {entity} records; ask a tenant administrator for a role that "
        "grants it"
    ),
    "fields_not_visible": "{what} uses {refused}, which your roles may not see",
    # Plugins
    "plugin_timeout": "{what} did not finish within {timeout:g}s and was abandoned",
    "plugin_error": "{what} failed: {error_type}: {error}",
    "service_task_no_plugin": "service task {bpmn_id!r}: no loaded plugin handles topic {topic!r}",
    "service_task_plugin_disabled": (
        "service task {bpmn_id!r}: topic {topic!r} comes from plugin {name}, which is not enabled for tenant "
        "{tenant_id}"
    ),
    "plugin_item_not_found": "{plugin} has no {collection} item {item_id!r}",
    "plugin_not_installed": "plugin {name!r} is not installed{hint}",
    "plugin_load_failed": "plugin {name!r} failed to load: {error}",
    "plugin_settings_invalid": "settings of plugin {name} are invalid: {problems}",
    "plugin_function_failed": "function {function}() of plugin {plugin} failed: {error_type}: {error}",
    # Project membership
    "membership_table_missing": "{module}.{entity} has no '{table}' table with a user column in this tenant's version",
    "already_member": "{username!r} is already a member of this project{as_position}",
    "not_a_member": "{username!r} is not a member of this project{as_position}",
    "position_required": "choose the position {username!r} holds on the project: {options}",
    "position_unknown": "position {position!r} is not one of {options}",
    # Published modules
    "module_version_immutable": (
        "module {name} {version} is already installed with different content; a published version is "
        "immutable: raise 'version' in module.yaml and install again"
    ),
    "module_version_not_installed": "module {name} {version} is not installed",
    "process_not_found": (
        "{module} has no approval process {ref!r}{hint}; name an entity with a process ({known}), its .bpmn "
        "file or its process id"
    ),
    "modules_admin_only": "only tenant administrators (role 'admin') adjust modules",
    "module_not_enabled": "module {module!r} is not enabled for this tenant{hint}",
    "tenant_version_not_found": "{name} has no tenant version {version!r}{hint}{published}",
    "module_not_installed_plain": "module {module!r} is not installed",
    "no_tenant_version": "{name} runs the catalog version {version}; there is no tenant version to roll back",
    "unique_index_blocked": (
        "a unique index of {name} {version} cannot be created: existing records share a value; fix them (the "
        "dry run lists them) and publish again"
    ),
    "tenant_version_never_published": "module {module} {version} was never published by this tenant",
    # Records: reading and writing them
    "module_needs_plugin": "{reason}",
    "module_not_in_license": "module {module!r} is not in this tenant's license; ask the operator to extend it",
    "entity_not_found": "module {module!r} has no entity {entity!r}{hint}",
    "record_not_found": "{entity} {id!r} does not exist",
    "record_data_not_object": "the record data must be a JSON object of field values",
    "record_not_editable": "{entity} {id} is {status} and can no longer be edited",
    "record_not_deletable": "{entity} {id} is {status} and can no longer be deleted",
    "record_append_only": ("{entity} {id} cannot be {verb}: {entity} records are append-only (record a new, "
                           "reversing entry to correct one)"),
    "record_read_only_when": "{entity} {id} is read-only ({condition}): it can no longer be changed or deleted",
    "record_read_only_when_create": "{entity} cannot be created: it would be read-only ({condition})",
    "version_missing": "send the record's 'version' (from your last read) to update it",
    "version_conflict": (
        "{entity} {id} was changed by {updated_by} (version {version}, you sent {expected}); reload it and apply "
        "your change again"
    ),
    "param_not_whole_number": "{name!r} must be a whole number, not {value!r}",
    "param_out_of_range": "{name!r} must be between {low} and {high}, not {value}",
    "no_network": "{entity} declares no network to schedule",
    "rollup_too_deep": "rollups of {entity} cascade more than {levels} levels deep",
    "effect_target_not_enabled": "{entity} writes {target}, which is not enabled",
    "gather_source_taken": (
        "{entity}: a record gathered into {field!r} was taken by another {entity} meanwhile; save again to "
        "gather what is left"),
    "changed_meanwhile": "{entity} was changed by someone else meanwhile; reload it",
    "unique_key_conflict": (
        "{entity} conflicts with another record (the values of {fields} are already used); reload and change them"
    ),
    "unique_conflict": (
        "{entity} conflicts with another record (a unique value is already used); reload and change them"
    ),
    # Records and declarations as a whole
    # (their message lists the problems; each is in `errors` / `details` on its own)
    "invalid_record": "the record has problems",
    "invalid_declaration": "the declarations have problems",
    # Reports and saved views
    "report_not_found": "module {module!r} has no report {name!r}{hint}",
    "kpi_not_found": "module {module!r} has no kpi {name!r}",
    "view_bad_name": "a view needs a name of 1 to {max_name} characters",
    "view_too_many_params": "a view holds at most {max_params} list parameters",
    "view_not_found": "saved view {view_id!r} does not exist",
    # Start-up
    "process_missing_for_entity": "{module} {module_version} has no process for {entity}",
    "bad_timezone": "{message}",
    # Tenants, users and tokens
    "tenant_bad_id": "tenant id {tenant_id!r} must be lower case letters, digits, '-' or '_'",
    "bad_plan_hint": "plan {plan!r} is not one of {plans}{hint}",
    "tenant_exists": "tenant {tenant_id!r} already exists",
    "module_not_installed": "module {module!r} is not installed{hint}",
    "password_too_short": "the password needs at least {min_length} characters",
    "bad_username": "user name {username!r} may use letters, digits and _ . @ - only",
    "user_exists": "user {username!r} already exists in tenant {tenant_id!r}",
    "user_not_found_in_tenant": "user {username!r} does not exist in tenant {tenant_id!r}",
    "login_failed": "wrong tenant, user name or password",
    "tenant_disabled": "tenant {tenant_id!r} is disabled",
    "token_invalid": "the token is unknown, revoked or its user is deactivated; log in again",
    "token_expired": (
        "the token expired at {expired_at}; get a new one from POST /api/v1/auth/token (refresh tokens "
        "before they expire with POST /api/v1/auth/refresh)"
    ),
    "parameter_unknown": "module {module!r} has no parameter {name!r}{hint}",
    "module_not_enabled_for_parameters": (
        "enable module {module!r} for tenant {tenant_id!r} before setting its parameters"
    ),
    "module_required_by": "module {module!r} is required by {dependants}; disable those first",
    "parameter_invalid": "parameter {name!r} {error}",
    # Users and roles
    "bad_email": "{text!r} is not an e-mail address (name@example.com)",
    "users_admin_only": "only tenant administrators (role 'admin') manage users and roles",
    "membership_unavailable": "project membership needs the tenant's records; open People through Formwork.people",
    "user_not_found": "user {username!r} does not exist in this tenant{hint}",
    "user_deactivated_reset": "user {username!r} is deactivated; activate them before resetting their password",
    "user_deactivated_member": "user {username!r} is deactivated; activate them before adding them to a project",
    "roles_not_list": "roles must be a list of role keys, not one text",
    "roles_not_keys": "roles must be a list of role keys",
    "role_unknown": "role {role!r} is not declared by this tenant's enabled modules{hint}; choose from {roles}",
    "last_admin": (
        "cannot {what} {username!r}: they are the tenant's last active administrator; make another user an "
        "administrator first"
    ),
}


def render(code: str, params: Mapping[str, Any]) -> str:
    """The English text of message `code` filled with `params`; KeyError for an unknown code or a missing param."""
    return MESSAGES[code].format(**params)


MESSAGES.update(codes.AREA_MESSAGES | declaration_codes.DECLARATION_MESSAGES)
