"""Formwork's wiring: the Flask app factory, `formwork serve` and `main` (the command groups are in cli/)."""
from __future__ import annotations

import os
import threading
from typing import Any

import click
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from admin import console
from cli.common import fail
from cli.environment import database_url, instance_path, secret_key, security_settings, uploads_path
from cli.operations import work_forever
from cli.root import cli
from designer import form_designer  # noqa: F401 - adds the visual form designer's routes to designer_pages
from designer.api import designer_api
from designer.entity_parts import formula_api, rules, views  # noqa: F401 - their routes join the designer blueprint
from designer.pages import designer_pages
from designer.people_api import people_api
from designer.people_pages import people_pages
from engine.errors import FormworkError
from engine.runtime import Formwork
from engine.tenancy import plugin_registry
from web import (
    api,
    errors,
    input_guard,
    metrics,
    pages,
    probes,
    pwa,
    request_limits,
    request_log,
    security_headers,
)
from web.rest import assignment, record_imports  # noqa: F401 - their routes join the api blueprint

__all__ = ["cli", "create_app", "main"]


def create_app(engine: Formwork | None = None, **config: Any) -> Flask:
    """Build the web app; tests pass their own engine, servers get one from the environment."""
    app = Flask(__name__, instance_path=str(instance_path()))
    app.config.update({"JSON_SORT_KEYS": False, **security_settings(), **config})
    app.config.setdefault("FORMWORK_UPLOADS", str(uploads_path()))
    app.config.setdefault(probes.TOKEN_SETTING, os.environ.get(probes.TOKEN_SETTING, ""))
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or secret_key()
    app.config.update(SESSION_COOKIE_SECURE=bool(app.config["FORMWORK_SECURE_COOKIES"]),
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    hops = int(app.config["FORMWORK_PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    request_log.configure()
    request_log.register(app)  # first: the request has its id before any check can refuse it
    metrics.register(app)
    input_guard.register(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["formwork"] = engine or Formwork(database_url())
    errors.register(app)
    security_headers.register(app)
    request_limits.register(app)
    plugins = plugin_registry.load()  # first: a plugin may add routes to the pages blueprint (the Excel pages)
    app.register_blueprint(probes.probes)
    app.register_blueprint(api.api)  # with the routes of web.rest
    app.config.setdefault("FORMWORK_IMPORT_SYNC_ROWS", record_imports.SYNC_ROWS)
    app.register_blueprint(pages.pages)
    pwa.register(app)   # the manifest, /sw.js, /offline; marks the pages the worker may keep offline
    console.register(app)
    app.register_blueprint(designer_api)
    app.register_blueprint(designer_pages)
    app.register_blueprint(people_api)
    app.register_blueprint(people_pages)
    for plugin in plugins.values():
        for blueprint in plugin.blueprints:
            app.register_blueprint(blueprint)
    return app


@cli.command(help="Run the web app (development server; use gunicorn 'app:create_app()' in production).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int, show_default="5000 or $PORT")
@click.option("--worker/--no-worker", "with_worker", default=True, show_default=True,
              help="also run timers and jobs in this process (fine for one server; run 'formwork worker' otherwise)")
def serve(host: str, port: int, with_worker: bool) -> None:
    app = create_app()
    if with_worker:
        engine: Formwork = app.extensions["formwork"]
        threading.Thread(target=work_forever, args=(engine, 1.0), name="formwork-worker", daemon=True).start()
    app.run(host=host, port=port, debug=False, use_reloader=False)


def main() -> None:
    try:
        cli(prog_name="formwork")
    except FormworkError as error:
        fail(error)


if __name__ == "__main__":
    main()
