"""Plain-text rendering of dry-run, publish and rollback reports, for the command line."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def report_lines(report: Mapping[str, Any]) -> list[str]:
    """A publish or dry-run report as readable lines."""
    verb = "published" if report["published"] else "dry run, nothing changed (add --publish to publish)"
    lines = [f"{report['module']} {report['from_version']} -> {report['to_version']}: {verb}"]
    lines += diff_lines(report["diff"])
    records = report["records"]
    lines.append(f"records: {records['checked']} checked, {records['migrated']} "
                 f"{'migrated' if report['published'] else 'would be migrated'} to {report['to_version']}, "
                 f"{records['kept']} kept on their version (in review or decided), "
                 f"{records['invalid']} invalid under {report['to_version']} (left unchanged)")
    for reason in records["invalid_reasons"]:
        where = f"{reason['entity']}.{reason['field']}" if reason["field"] else reason["entity"]
        lines.append(f"  {reason['count']} x {where}: {reason['reason']} (e.g. {', '.join(reason['sample_ids'])})")
    approvals = report["approvals"]
    lines.append(f"approvals: {approvals['running']} running, {approvals['on_replaced_process']} of them on a "
                 "replaced process (they finish on the BPMN they started with)")
    for item in approvals["instances"]:
        if item["process_changes"]:
            lines.append(f"  {item['entity']} {item['record_id']}: {item['process_file']} "
                         f"({item['module_version']})")
    indexes = report["indexes"]
    create, drop = ", ".join(indexes["create"]) or "none", ", ".join(indexes["drop"]) or "none"
    lines.append(f"indexes: create {create}; drop {drop}")
    lines += [f"warning: {warning}" for warning in report["warnings"]]
    return lines


def diff_lines(diff: Mapping[str, Any]) -> list[str]:
    """A module diff as `+` added, `-` removed, `~` changed lines."""
    lines = []
    for name, change in diff["entities"].items():
        if change.get("added") or change.get("removed"):
            lines.append(f"  {'+' if change.get('added') else '-'} entity {name}")
            continue
        lines.append(f"  entity {name}:")
        lines += [f"    + field {field}" for field in change.get("fields_added", [])]
        lines += [f"    - field {field}" for field in change.get("fields_removed", [])]
        for field, keys in change.get("fields_changed", {}).items():
            changes = "; ".join(f"{key} {_text(v['from'])} -> {_text(v['to'])}" for key, v in keys.items())
            lines.append(f"    ~ field {field}: {changes}")
        lines += [f"    + rule {rule['assert']} ({rule['message']['en']})" for rule in change.get("rules_added", [])]
        lines += [f"    - rule {rule['assert']}" for rule in change.get("rules_removed", [])]
        if "workflow" in change:
            lines.append(f"    ~ workflow {change['workflow']['from']} -> {change['workflow']['to']}")
        if "list_columns" in change:
            lines.append(f"    ~ list columns {_text(change['list_columns']['to'])}")
    for name, values in diff["parameters"].items():
        lines.append(f"  ~ parameter {name}: {_text(values['from'])} -> {_text(values['to'])}")
    lines += [f"  + report {name}" for name in diff["reports_added"]]
    lines += [f"  - report {name}" for name in diff["reports_removed"]]
    lines += [f"  + role {name}" for name in diff["roles_added"]]
    return lines if lines else ["  no changes"]


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
