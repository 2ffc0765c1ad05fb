"""Errors of running approval processes; each maps to an HTTP status through its base class."""

from __future__ import annotations

from engine.errors import BadRequest, Conflict, FormworkError, NotFound


class TaskNotFound(NotFound):
    """No task of this run has the given id."""

    code = "task_not_found"


class TaskNotReady(Conflict):
    """The task exists but cannot be completed now (already done, cancelled, or not reached yet)."""

    code = "task_not_ready"


class ProcessFinished(Conflict):
    """The run has already ended (approved, rejected or withdrawn), so it cannot be withdrawn again."""

    code = "process_finished"


class InvalidDecision(BadRequest):
    """The decision is not approve/reject/return, or the task has no path for it."""

    code = "invalid_decision"


class InvalidProcessData(BadRequest):
    """Data handed to a process holds a value that cannot be stored (a float, an object ...)."""

    code = "invalid_process_data"


class ProcessFailed(FormworkError):
    """The process could not go on: a condition failed on the data, no gateway branch matched ...

    The run is left half-way; discard it (roll the transaction back) rather than saving it.
    """

    code = "process_failed"


class StateMismatch(FormworkError):
    """A stored run is restored against a process version other than the one it started with."""

    code = "process_version_mismatch"


class UnsupportedState(FormworkError):
    """A stored run was not written by this Formwork's serializer (another version, or not by Formwork)."""

    code = "unsupported_process_state"
