"""A web process that starts an import and then waits to be killed: `python -m tests.excel.import_process URL
UPLOADS TENANT STEP` (used by test_import to kill an import mid-run, as a crash or an OOM kill would)."""
from __future__ import annotations

import sys
import time

from app import create_app
from engine.runtime import Formwork
from tests.excel.conftest import visitor


def main(url: str, uploads: str, tenant: str, step: str) -> None:
    app = create_app(Formwork(url), TESTING=True, SECRET_KEY="killed-import", FORMWORK_UPLOADS=uploads,
                     FORMWORK_IMPORT_LEASE_SECONDS=1)
    response = visitor(app, tenant, "clerk").post(step + "/run")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    time.sleep(600)


if __name__ == "__main__":
    main(*sys.argv[1:5])
