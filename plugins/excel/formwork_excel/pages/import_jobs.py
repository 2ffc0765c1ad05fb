"""An import in progress: its state in a JSON file under the uploads folder, its work in a background thread.

The state file is what the progress bar polls, so it is read without the database: on SQLite the
import's one transaction holds the only write lock until it ends. Checking runs in short
transactions of CHUNK rows (nothing is written); importing runs in one transaction.

State files are bounded (`Store.max_bytes`), lose the workbook's rows once the import is done or
failed, and are removed `Store.keep` after their last change (on the next request that looks).
While a check or an import works, a heartbeat renews its lease file; a "checking" or "importing"
state whose lease ran out belongs to a process that died, and `recover` ends it: a check goes back
to the mapping, an import is "done" if the database holds its `ImportRun` (it committed) and goes
back to "checked" otherwise (its transaction died with it), so it can simply be run again.
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from engine.errors import BadRequest, FormworkError
from engine.fields.values import to_json
from engine.records import imports
from engine.records.bulk import rows as row_checks
from engine.records.bulk.importer import BulkImport, ImportRejected
from engine.records.bulk.sheets import Sheet
from engine.runtime import Formwork
from engine.tenancy import Actor
from web.errors import jsonable

log = logging.getLogger("formwork.imports")
CHUNK = 100
KEEP = timedelta(hours=2)                # an import's state file is removed this long after its last change
LEASE = timedelta(seconds=60)            # a check or import whose heartbeat is older than this has died
MAX_STATE_BYTES = 64 * 1024 * 1024       # the most an import's state file may hold
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
RUNNING = frozenset({"checking", "importing"})


class ImportTooLarge(BadRequest):
    """The import's state (the workbook's cells, the check's messages) is more than the state file takes."""

    code = "import_too_large"


@dataclass
class SheetData:
    name: str
    header: list[str]
    rows: list[list[Any]]
    numbers: list[int]


@dataclass
class ImportState:
    """Everything about one import; saved after each step so a page (or a poll) can show it."""

    token: str
    tenant: str
    username: str
    module: str
    entity: str
    filename: str
    sheets: list[SheetData]
    sheet: int = 0
    mapping: list[str | None] = field(default_factory=list)
    state: str = "mapping"           # mapping -> checking -> checked -> importing -> done | failed
    done: int = 0
    total: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)   # {number, errors: [[field, message, code, params]]}
    created: int = 0
    failure: dict[str, Any] = field(default_factory=dict)         # {number?, errors: [[field, message]]}
    notice: str = ""                 # what the page says first: check_interrupted | import_interrupted | too_large
    language: str = "zh"             # the importer's: the rules' own messages are checked in it

    @property
    def current(self) -> SheetData:
        return self.sheets[self.sheet]

    @property
    def valid_numbers(self) -> set[int]:
        return {r["number"] for r in self.results if not r["errors"]}

    @property
    def invalid_count(self) -> int:
        return sum(1 for r in self.results if r["errors"])

    def drop_rows(self) -> None:
        """Forget the workbook's rows and the check's results: a finished import keeps only its outcome."""
        self.sheets = [SheetData(sheet.name, sheet.header, [], []) for sheet in self.sheets]
        self.results = []


def cell_json(value: Any, zone: tzinfo) -> Any:
    """A cell as JSON; Excel's zone-less date-times are taken to be in the display zone."""
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return to_json(value)


class Store:
    """Import states of the uploads folder, one file per import, per tenant, with a lease file while one works."""

    def __init__(self, root: Path, *, keep: timedelta = KEEP, lease: timedelta = LEASE,
                 max_bytes: int = MAX_STATE_BYTES) -> None:
        self.root = root / "imports"
        self.keep = keep
        self.lease = lease
        self.max_bytes = max_bytes

    def path(self, tenant: str, token: str) -> Path:
        return self.root / tenant / f"{token}.json"

    def lease_path(self, tenant: str, token: str) -> Path:
        return self.root / tenant / f"{token}.lease"

    def new_token(self) -> str:
        """A fresh import's token; every import (of any tenant) past its expiry is forgotten first."""
        self.sweep()
        return secrets.token_urlsafe(18)

    def sweep(self) -> None:
        """Remove the state and lease files (and half-written files) of imports left alone longer than `keep`."""
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            for path in folder.glob("*.json"):
                if self._age(path, path.with_suffix(".lease")) > self.keep.total_seconds():
                    self.remove(folder.name, path.stem)
            for path in (*folder.glob("*.tmp"), *folder.glob("*.lease")):
                if not path.with_suffix(".json").exists() and self._age(path) > self.lease.total_seconds():
                    path.unlink(missing_ok=True)

    def load(self, tenant: str, token: str) -> ImportState | None:
        if not TOKEN.match(token):
            return None
        path = self.path(tenant, token)
        try:
            if self._age(path, self.lease_path(tenant, token)) > self.keep.total_seconds():
                self.remove(tenant, token)
                return None
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        raw["sheets"] = [SheetData(**sheet) for sheet in raw["sheets"]]
        state = ImportState(**raw)
        return state if state.tenant == tenant else None

    def save(self, state: ImportState) -> None:
        """Write atomically (a poll never reads half a file), and never more than `max_bytes`."""
        content = json.dumps(asdict(state), ensure_ascii=False).encode("utf-8")
        if len(content) > self.max_bytes:
            raise ImportTooLarge(f"the import holds more than {self.max_bytes // (1024 * 1024)} MB of data; "
                                 "split the file")
        path = self.path(state.tenant, state.token)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        temporary.write_bytes(content)
        os.replace(temporary, path)

    def remove(self, tenant: str, token: str) -> None:
        self.path(tenant, token).unlink(missing_ok=True)
        self.lease_path(tenant, token).unlink(missing_ok=True)

    def renew(self, state: ImportState) -> None:
        """The heartbeat of a check or import at work."""
        path = self.lease_path(state.tenant, state.token)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    def release(self, state: ImportState) -> None:
        self.lease_path(state.tenant, state.token).unlink(missing_ok=True)

    def is_stale(self, state: ImportState) -> bool:
        """A check or import whose process died: neither its state nor its lease changed for `lease`."""
        return state.state in RUNNING and self._age(self.path(state.tenant, state.token),
                                                    self.lease_path(state.tenant, state.token)) > \
            self.lease.total_seconds()

    @staticmethod
    def _age(*paths: Path) -> float:
        """Seconds since the newest of these files changed (missing files do not count; none: infinitely old)."""
        newest = max((path.stat().st_mtime for path in paths if path.exists()), default=float("-inf"))
        return time.time() - newest


def _errors(errors: list[Any]) -> list[list[Any]]:
    """Each problem as [field, English message, code, params]: the page words it by its code."""
    return [[e.field, e.message, e.code, jsonable(e.params)] for e in errors]


def _failure(error: FormworkError) -> list[list[Any]]:
    return [["", error.message, error.message_code, jsonable(error.params)]]


def check(engine: Formwork, store: Store, actor: Actor, state: ImportState, zone: tzinfo) -> None:
    """Validate every row with the engine, CHUNK rows per (read-only) transaction, saving progress."""
    sheet = state.current
    seen: dict[tuple[str, str], int] = {}
    results: list[dict[str, Any]] = []
    converter: imports.Converter | None = None
    for start in range(0, len(sheet.rows), CHUNK):
        with engine.records(actor, state.language) as records:
            entity = records.entity(state.module, state.entity)
            converter = (converter or imports.Converter(records, entity, state.mapping, zone)).using(records)
            checked = row_checks.check_rows(records, entity, converter, sheet.rows[start:start + CHUNK],
                                         sheet.numbers[start:start + CHUNK], seen)
            records.session.rollback()  # validation writes nothing; be sure of it
        results += [{"number": r.number, "errors": _errors(r.errors)} for r in checked]
        state.done = len(results)
        store.save(state)
    state.results, state.state, state.done = results, "checked", len(results)
    store.save(state)


def run(engine: Formwork, store: Store, actor: Actor, state: ImportState, zone: tzinfo) -> None:
    """Create the valid rows in one transaction through the engine's bulk import (engine.records.bulk: the
    checks of a single create, multi-row writes); on any failure nothing is written and the state says why."""
    sheet = state.current
    wanted = state.valid_numbers
    rows = [(number, cells) for cells, number in zip(sheet.rows, sheet.numbers, strict=True) if number in wanted]
    columns = Sheet([name or "" for name in state.mapping], iter(rows), header_row=0)   # columns named by field

    def progress(validated: int, _written: int, _total: int) -> None:
        state.done = validated   # written a batch at a time, once its rows are checked
        store.save(state)

    try:
        # networks settle once, at the end
        with engine.approvals(actor, state.language) as service, service.records.batch():
            marker = imports.record_run(service.records.session, state.token, state.module, state.entity,
                                        actor.username)
            outcome = BulkImport(service.records, state.module, state.entity, create=service.create,
                                 progress=progress, zone=zone).run(columns, source=state.filename)
            marker.created = outcome.imported
        state.created, state.state, state.done = outcome.imported, "done", outcome.imported
    except imports.ImportAlreadyRun as error:   # another start of this import committed first: that one counts
        if not _committed(engine, state):
            state.state, state.done, state.failure = "failed", 0, {"errors": _failure(error)}
    except ImportRejected as error:
        first = error.rows[0].row
        state.state, state.done = "failed", 0
        state.failure = {"number": first, "errors": _errors([e for e in error.rows if e.row == first])}
    except FormworkError as error:
        state.state, state.done, state.failure = "failed", 0, {"errors": _failure(error)}
    except Exception:  # the thread's outermost boundary: log it, tell the user
        log.exception("import %s failed", state.token)
        state.state, state.done, state.failure = "failed", 0, {"errors": [["", "unexpected error; it was logged",
                                                                     "unexpected_error", {}]]}
    state.drop_rows()
    store.save(state)


def _committed(engine: Formwork, state: ImportState) -> bool:
    """Make `state` the outcome of its committed run, if the database holds one."""
    with engine.db.tenant(state.tenant) as session:
        marker = imports.run_of(session, state.token)
        if marker is None:
            return False
        state.state, state.created, state.done, state.notice = "done", marker.created, marker.created, ""
    state.drop_rows()
    return True


def recover(engine: Formwork, store: Store, state: ImportState) -> ImportState:
    """End a check or an import whose process died (see the module's docstring); others are returned as they are."""
    if not store.is_stale(state):
        return state
    log.warning("import %s was left %s by a process that died", state.token, state.state)
    if state.state == "checking":
        state.state, state.done, state.results, state.notice = "mapping", 0, [], "check_interrupted"
    elif not _committed(engine, state):
        state.state, state.done, state.notice = "checked", 0, "import_interrupted"
    store.save(state)
    store.release(state)
    return state


Work = Callable[[Formwork, Store, Actor, ImportState, tzinfo], None]


def start(work: Work, engine: Formwork, store: Store, actor: Actor, state: ImportState, zone: tzinfo) -> None:
    """Run `work` (check or run) in a background thread, with a heartbeat; its state file reports how far it got."""
    store.renew(state)
    threading.Thread(target=_guarded, args=(work, engine, store, actor, state, zone), name="formwork-import",
                     daemon=True).start()


def _guarded(work: Work, engine: Formwork, store: Store, actor: Actor, state: ImportState, zone: tzinfo) -> None:
    stop = threading.Event()
    heartbeat = threading.Thread(target=_beat, args=(store, state, stop), name="formwork-import-lease", daemon=True)
    heartbeat.start()
    try:
        work(engine, store, actor, state, zone)
    except ImportTooLarge:
        state.state, state.failure, state.notice = "failed", {}, "too_large"
        state.drop_rows()
        store.save(state)
    except Exception as error:  # outermost boundary of the thread
        log.exception("import %s failed", state.token)
        state.state, state.failure = "failed", {"errors": [["", f"{type(error).__name__}: {error}", "plugin_crashed",
                                                       {"error_type": type(error).__name__, "error": str(error)}]]}
        state.drop_rows()
        store.save(state)
    finally:
        stop.set()
        heartbeat.join()
        store.release(state)


def _beat(store: Store, state: ImportState, stop: threading.Event) -> None:
    while not stop.wait(store.lease.total_seconds() / 4):
        store.renew(state)
