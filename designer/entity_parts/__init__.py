"""The designer pages of one entity's rules, list view and permissions, and the formula editor's endpoints."""
