"""Platform operators' UI (flask-admin): tenants, licenses, catalog, jobs, audit."""
