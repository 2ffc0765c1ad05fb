"""Schemathesis over the whole OpenAPI document, against a real server on 127.0.0.1: every operation of
every built-in module's entities, valid and invalid requests, token, reset and deactivate included.

Usage: .venv/bin/python bench/fuzz.py [--examples N] [--seconds S] [--postgres URL] [--only TEXT]

Starts `formwork serve` on a free port over a fresh database (SQLite in a temporary instance folder, or
the PostgreSQL database given), makes a throw-away tenant with every built-in module enabled and an
administrator, sends N generated requests per operation and generation mode, and prints a summary: the
statuses met, and each server error or undocumented status with the request that got it. Exit 1 when
there is any.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import schemathesis  # noqa: E402
from schemathesis import APIOperation  # noqa: E402

from engine import tenancy  # noqa: E402
from engine.runtime import Formwork, default_database_url  # noqa: E402
from tests.fuzzing import ends_its_token, fuzz, operations  # noqa: E402

ADMIN = "fuzz-admin-7d1c"
PASSWORD = "fuzz-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(url: str) -> str:
    """A migrated database with a throw-away tenant: every built-in module, an administrator."""
    engine = Formwork(url)
    engine.initialise()
    tenant = f"fuzz-{secrets.token_hex(4)}"
    installed = engine.catalog.modules()
    with engine.db.tenant(tenant) as session:
        tenancy.create_tenant(session, tenant, plan="enterprise")
        for name in installed:
            tenancy.set_module_enabled(session, tenant, name, True, installed)
        roles = sorted({"admin", *(role for spec in installed.values() for role in spec.roles)})
        tenancy.add_user(session, tenant, ADMIN, PASSWORD, roles)
    engine.db.dispose()
    return tenant


def log_in(base: str, tenant: str) -> str:
    request = urllib.request.Request(base + "/auth/token", method="POST", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"tenant": tenant, "username": ADMIN,
                                                      "password": PASSWORD}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["token"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=25, help="requests per operation and generation mode")
    parser.add_argument("--postgres", help="a PostgreSQL database URL (its tables are created; use a throw-away one)")
    parser.add_argument("--seconds", type=float, help="start no further operation after this many seconds")
    parser.add_argument("--only", default="", help="only operations whose 'METHOD /path' contains this text")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="formwork-fuzz-"))
    url = args.postgres or default_database_url(instance)
    environment = {**os.environ, "FORMWORK_INSTANCE": str(instance), "FORMWORK_DATABASE_URL": url}
    os.environ.update(environment)  # the instance key and secret key live in the throw-away instance
    tenant = prepare(url)
    port = free_port()
    log = (instance / "server.log").open("w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "formwork"), "serve", "--host", "127.0.0.1",
                               "--port", str(port)], env=environment, cwd=ROOT, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/openapi.json", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        kept = log_in(base, tenant)

        def headers(operation: APIOperation) -> dict[str, str]:
            return {"Authorization": f"Bearer {log_in(base, tenant) if ends_its_token(operation) else kept}"}

        schema = schemathesis.openapi.from_url(base + "/openapi.json", headers={"Authorization": f"Bearer {kept}"},
                                              timeout=300)
        chosen = operations(schema, lambda op: args.only in op.label)
        print(f"{len(chosen)} operations, {args.examples} examples each per generation mode, "
              f"{'PostgreSQL' if args.postgres else 'SQLite'}", flush=True)
        report = fuzz(chosen, headers, args.examples, base_url=base, seconds=args.seconds)
        me = urllib.request.Request(base + "/me", headers={"Authorization": f"Bearer {kept}"})
        with urllib.request.urlopen(me, timeout=30) as response:   # raises if the run lost its token
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
    print(f"{len(report.calls)} of {len(chosen)} operations run")
    print(report.summary())
    logged = (instance / "server.log").read_text().count("unexpected error on")
    print(f"unexpected errors in the server's log: {logged} ({instance / 'server.log'})")
    return 1 if report.findings or logged else 0


if __name__ == "__main__":
    sys.exit(main())
