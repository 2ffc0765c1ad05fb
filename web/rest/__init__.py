"""REST routes beside web/api.py: bulk imports, task incidents and reassignment, out-of-office delegation."""
