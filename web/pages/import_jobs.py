"""An import in progress: its state in a JSON file under the uploads folder, its work in a background thread.

The state file is what the progress bar polls, so it is read without the database: on SQLite the
import's one transaction holds the only write lock until it ends. Checking runs in short
transactions of CHUNK rows (nothing is written); importing runs in one transaction.
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

from engine import imports
from engine.errors import FormworkError
from engine.runtime import Formwork
from engine.tenancy import Actor
from engine.values import to_json

log = logging.getLogger("formwork.imports")
CHUNK = 100
KEEP = timedelta(days=2)                 # an import's state file is removed after this
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
FINISHED = frozenset({"checked", "done", "failed"})


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
    results: list[dict[str, Any]] = field(default_factory=list)   # {number, errors: [[field, message]]}
    created: int = 0
    failure: dict[str, Any] = field(default_factory=dict)         # {number?, errors: [[field, message]]}

    @property
    def current(self) -> SheetData:
        return self.sheets[self.sheet]

    @property
    def valid_numbers(self) -> set[int]:
        return {r["number"] for r in self.results if not r["errors"]}

    @property
    def invalid_count(self) -> int:
        return sum(1 for r in self.results if r["errors"])


def cell_json(value: Any, zone: tzinfo) -> Any:
    """A cell as JSON; Excel's zone-less date-times are taken to be in the display zone."""
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return to_json(value)


class Store:
    """Import states of the uploads folder, one file per import, per tenant."""

    def __init__(self, root: Path) -> None:
        self.root = root / "imports"

    def path(self, tenant: str, token: str) -> Path:
        return self.root / tenant / f"{token}.json"

    def new_token(self, tenant: str) -> str:
        """A fresh import's token; imports of the tenant older than KEEP are forgotten first."""
        folder = self.root / tenant
        if folder.is_dir():
            cutoff = time.time() - KEEP.total_seconds()
            for old in folder.glob("*.json"):
                if old.stat().st_mtime < cutoff:
                    old.unlink(missing_ok=True)
        return secrets.token_urlsafe(18)

    def load(self, tenant: str, token: str) -> ImportState | None:
        if not TOKEN.match(token):
            return None
        try:
            raw = json.loads(self.path(tenant, token).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        raw["sheets"] = [SheetData(**sheet) for sheet in raw["sheets"]]
        state = ImportState(**raw)
        return state if state.tenant == tenant else None

    def save(self, state: ImportState) -> None:
        """Write atomically: a poll never reads half a file."""
        path = self.path(state.tenant, state.token)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        temporary.write_text(json.dumps(asdict(state), ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)


def _errors(errors: list[Any]) -> list[list[str]]:
    return [[e.field, e.message] for e in errors]


def check(engine: Formwork, store: Store, actor: Actor, state: ImportState, zone: tzinfo) -> None:
    """Validate every row with the engine, CHUNK rows per (read-only) transaction, saving progress."""
    sheet = state.current
    seen: dict[tuple[str, str], int] = {}
    results: list[dict[str, Any]] = []
    converter: imports.Converter | None = None
    for start in range(0, len(sheet.rows), CHUNK):
        with engine.records(actor) as records:
            entity = records.entity(state.module, state.entity)
            converter = (converter or imports.Converter(records, entity, state.mapping, zone)).using(records)
            checked = imports.check_rows(records, entity, converter, sheet.rows[start:start + CHUNK],
                                         sheet.numbers[start:start + CHUNK], seen)
            records.session.rollback()  # validation writes nothing; be sure of it
        results += [{"number": r.number, "errors": _errors(r.errors)} for r in checked]
        state.done = len(results)
        store.save(state)
    state.results, state.state, state.done = results, "checked", len(results)
    store.save(state)


def run(engine: Formwork, store: Store, actor: Actor, state: ImportState, zone: tzinfo) -> None:
    """Create the valid rows in one transaction; on any failure nothing is written and the state says why."""
    sheet = state.current
    wanted = state.valid_numbers
    rows = [(cells, number) for cells, number in zip(sheet.rows, sheet.numbers, strict=True) if number in wanted]

    def progress(done: int) -> None:
        state.done = done
        store.save(state)

    try:
        with engine.approvals(actor) as service, service.records.batch():  # networks settle once, at the end
            entity = service.records.entity(state.module, state.entity)
            converter = imports.Converter(service.records, entity, state.mapping, zone)
            created = imports.import_rows(service.create, entity, converter, [r for r, _ in rows],
                                          [n for _, n in rows], progress)
        state.created, state.state = len(created), "done"
    except imports.RowRejected as error:
        state.state, state.done = "failed", 0
        state.failure = {"number": error.number, "errors": _errors(error.errors)}
    except FormworkError as error:
        state.state, state.done, state.failure = "failed", 0, {"errors": [["", error.message]]}
    except Exception:  # the thread's outermost boundary: log it, tell the user
        log.exception("import %s failed", state.token)
        state.state, state.done, state.failure = "failed", 0, {"errors": [["", "unexpected error; it was logged"]]}
    store.save(state)


Work = Callable[[Formwork, Store, Actor, ImportState, tzinfo], None]


def start(work: Work, engine: Formwork, store: Store, actor: Actor, state: ImportState, zone: tzinfo) -> None:
    """Run `work` (check or run) in a background thread; its state file reports how far it got."""
    threading.Thread(target=_guarded, args=(work, engine, store, actor, state, zone), name="formwork-import",
                     daemon=True).start()


def _guarded(work: Work, engine: Formwork, store: Store, actor: Actor, state: ImportState, zone: tzinfo) -> None:
    try:
        work(engine, store, actor, state, zone)
    except Exception as error:  # outermost boundary of the thread
        log.exception("import %s failed", state.token)
        state.state, state.failure = "failed", {"errors": [["", f"{type(error).__name__}: {error}"]]}
        store.save(state)
