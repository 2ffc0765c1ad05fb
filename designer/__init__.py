"""Tenant administrators' authoring UI: module and overlay editor, form preview, BPMN modeler, publish."""
