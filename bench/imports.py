"""Bulk import of 点工单 (labor.day_labor_ticket) rows from a 5,000-row workbook, against reading it.

Usage: .venv/bin/python bench/imports.py [--postgres URL] [--rows N]

Sets up the tenant of bench/statements.py (a project, its crew, trade, workers and the day-labor cost
account) with an overlay that lets imported tickets leave their photos and signature for later
(`import: {defer_required: ...}`), writes a workbook of N valid tickets (the project, crew and trade by
name, reason by its Chinese label), then imports it as the project's cost engineer through the engine's
bulk path (engine.records.bulk: every check of a single create, one transaction) and prints rows/s, and
the same count against a raw openpyxl read of the file (read_only, values only) as the ratio.
`measure(url) -> dict` is what the bench harness calls.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from statements import TENANT, prepare  # noqa: E402

from engine import tenancy  # noqa: E402
from engine.customization.overlays import MAIN, Overlay  # noqa: E402
from engine.records.bulk.importer import BulkImport, ImportRejected  # noqa: E402
from engine.records.bulk.sheets import read_sheet  # noqa: E402
from engine.runtime import Formwork  # noqa: E402

DEFERRED = """overlay: labor
base_version: {version}
entities:
  day_labor_ticket:
    import: {{defer_required: [photos, crew_leader_signature]}}
"""
HEADER = ["项目", "用工日期", "班组", "工种", "施工部位", "事由分类", "事由说明", "工作内容", "人数", "每人工天",
          "加班小时(合计)"]


def workbook(rows: int) -> bytes:
    """N valid tickets as a clerk types them: references by name, the reason by its label, over the last 20 days."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    today = date.today()
    for index in range(rows):
        sheet.append(["Bench", today - timedelta(days=1 + index % 20), "木工一班", "木工",
                      f"{index % 40}#楼 {index % 30}层", "清理/杂活", "模板拆除后楼层垃圾清理外运", "清理楼面建筑垃圾",
                      1 + index % 5, 1, index % 3])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def defer_attachments(engine: Formwork) -> None:
    admin = tenancy.Actor(tenant_id=TENANT, username="ann", roles=frozenset({"admin"}))
    with engine.adjustments(admin) as service:
        text = DEFERRED.format(version=service.modules["labor"].version)
        service.publish("labor", Overlay("overlay.yaml", {MAIN: text}))


def raw_read(data: bytes) -> int:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = sum(1 for _row in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return count - 1


def measure(url: str, rows: int = 5000) -> dict[str, Any]:
    """Import `rows` tickets into a fresh tenant on `url`; rows/s of the import and of a raw read, and the ratio."""
    engine, _world = prepare(url)
    defer_attachments(engine)
    data = workbook(rows)
    started = time.perf_counter()
    assert raw_read(data) == rows
    raw = time.perf_counter() - started
    cost = tenancy.Actor(tenant_id=TENANT, username="cost", roles=frozenset({"project_cost_engineer"}))
    started = time.perf_counter()
    with engine.approvals(cost) as service:
        try:
            outcome = BulkImport(service.records, "labor", "day_labor_ticket", create=service.create).run(
                read_sheet(data, "tickets.xlsx"), source="tickets.xlsx")
        except ImportRejected as rejected:
            raise SystemExit("\n".join(str(e) for e in rejected.rows[:10])) from None
    elapsed = time.perf_counter() - started
    assert outcome.imported == rows, outcome
    engine.db.dispose()
    return {"rows": rows, "seconds": round(elapsed, 3), "rows_per_second": round(rows / elapsed, 1),
            "raw_read_rows_per_second": round(rows / raw, 1), "ratio": round(elapsed / raw, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("FORMWORK_TEST_DATABASE_URL"))
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--sqlite", action="store_true", help="also on a fresh SQLite file")
    args = parser.parse_args()
    targets = [("sqlite", f"sqlite:///{tempfile.mkdtemp()}/bench.db")] if args.sqlite or not args.postgres else []
    if args.postgres:
        targets.append(("postgresql", args.postgres))
    for label, url in targets:
        result = measure(url, args.rows)
        print(f"{label:<11} 点工单 import of {result['rows']} rows: {result['seconds']} s, "
              f"{result['rows_per_second']} rows/s; raw openpyxl read {result['raw_read_rows_per_second']} rows/s; "
              f"import / read: {result['ratio']}x")


if __name__ == "__main__":
    main()
