"""The expression dialects BPMN scripts and conditions run in."""
