"""The functions and operators formulas may call."""
