"""Gunicorn settings for Formwork: `gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'` (docs/deploy.md).

Every setting can be changed without editing this file: FORMWORK_BIND, FORMWORK_WEB_WORKERS,
FORMWORK_WEB_THREADS, FORMWORK_WEB_TIMEOUT; gunicorn's own GUNICORN_CMD_ARGS wins over all of them.
"""
from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

bind = os.environ.get("FORMWORK_BIND", "127.0.0.1:8000")
# Processes do the Python work (one core each); threads overlap the waits on PostgreSQL within a process.
workers = int(os.environ.get("FORMWORK_WEB_WORKERS", str(os.cpu_count() or 1)))
worker_class = "gthread"
threads = int(os.environ.get("FORMWORK_WEB_THREADS", "4"))
# A request that takes longer is killed and logged: an Excel import's check of 20,000 rows fits well within.
timeout = int(os.environ.get("FORMWORK_WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# No preload: each worker builds its own app, so no database connection is ever shared across a fork.
preload_app = False
# The proxy in front on the same host; the app itself reads X-Forwarded-For/-Proto through FORMWORK_PROXY_HOPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
control_socket_disable = True   # gunicorn 27's control socket: one per user by default, several servers would clash
accesslog = None      # the app logs one line per request, with its id (FORMWORK_LOG_FORMAT=json for JSON)
errorlog = "-"

# Prometheus: every process of this host counts into one folder and any worker's /metrics adds them up.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/formwork-metrics")
_METRICS = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
_PID = re.compile(r"_(\d+)\.db$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(_server: Any) -> None:
    """Drop the counts of processes that are gone (an earlier run's); a running `formwork worker` keeps its own."""
    _METRICS.mkdir(parents=True, exist_ok=True)
    for path in _METRICS.glob("*.db"):
        found = _PID.search(path.name)
        if found is None or not _alive(int(found.group(1))):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def child_exit(_server: Any, worker: Any) -> None:
    """A worker that ended no longer counts in the live gauges (its counters stay in the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
