"""The record service and the unit of work it runs in: validation, computation, cascades."""
