"""Who decides a task, over the REST API: the administrator's incidents and reassignment, my delegation."""
