"""Delay risk of WBS tasks: features of a task on a day, the model (or the rule) and the signals in text."""
