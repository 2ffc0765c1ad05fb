"""Networks of records (schedules) and their critical path."""
