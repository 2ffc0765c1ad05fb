"""Reports, their charts and figures, the calendar and the Gantt chart."""
