"""Approvals: records' BPMN processes, tasks and decisions."""
