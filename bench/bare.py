"""The bare endpoint: the least a hand-written Flask + SQLAlchemy app must do to write what the engine writes.

bench/table.py serves it with the same gunicorn settings as the engine and divides the engine's throughput by
its own. No engine code: one transaction of plain SQL per request, the same rows in the same tables.

- `POST /api/v1/records/labor/day_labor_ticket`: the token check, the ticket number (the counter upsert), the
  record row, its audit entry chained to the tenant's last one under the tenant's lock, with the anchor moved
  and signed (HMAC), and the record counts of its project, month and status (the dashboard's summary upsert).
- `POST /api/v1/tasks/<id>/complete`: the token check, the open task (locked), the record's sign-off fields and
  status, the task, the process instance ended, its deadline timer's job cancelled, the engine's four audit
  entries, chained and anchored, and the record counts moved from one status to the other.

It validates nothing, computes nothing the request does not carry, and runs no workflow: that is the point.
Usage: gunicorn --pythonpath bench 'bare:create_app()' with FORMWORK_DATABASE_URL set.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy import Connection, create_engine, text

KEY = os.environ.get("FORMWORK_INSTANCE_KEY", "00" * 32).encode()
GENESIS = "0" * 64


def create_app() -> Flask:
    app = Flask(__name__)
    database = create_engine(os.environ["FORMWORK_DATABASE_URL"], pool_size=10)

    def user(connection: Connection) -> tuple[str, str]:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        tenant = token.split(".", 1)[0]
        row = connection.execute(text(
            "SELECT t.username FROM api_tokens t JOIN users u ON u.tenant_id = t.tenant_id AND u.username = t.username "
            "WHERE t.tenant_id = :tenant AND t.token_hash = :hash AND t.revoked_at IS NULL AND t.expires_at > now() "
            "AND u.is_active"), {"tenant": tenant, "hash": hashlib.sha256(token.encode()).hexdigest()}).first()
        if row is None:
            raise PermissionError(token)
        return tenant, str(row[0])

    @app.post("/api/v1/records/labor/day_labor_ticket")
    def create_ticket() -> tuple[Response, int]:
        data: dict[str, Any] = request.get_json()
        with database.begin() as connection:
            tenant, username = user(connection)
            scope = f"DG-{data['project'][:8]}-{data['work_date'].replace('-', '')}-{{seq}}"
            last = connection.execute(text(
                "INSERT INTO number_counters (tenant_id, module, entity, field, scope, last) "
                "VALUES (:tenant, 'labor', 'day_labor_ticket', 'ticket_no', :scope, 1) "
                "ON CONFLICT (tenant_id, module, entity, field, scope) DO UPDATE SET last = number_counters.last + 1 "
                "RETURNING last"), {"tenant": tenant, "scope": scope}).scalar_one()
            data["ticket_no"] = scope.replace("{seq}", f"{last:03d}")
            record_id, moment = str(uuid.uuid4()), datetime.now(UTC)
            connection.execute(text(
                "INSERT INTO records (tenant_id, id, module, entity, schema_version, status, version, data, created_at,"
                " created_by, updated_at, updated_by) VALUES (:tenant, :id, 'labor', 'day_labor_ticket', '1.3.0', "
                "'draft', 1, CAST(:data AS JSONB), :at, :user, :at, :user)"),
                {"tenant": tenant, "id": record_id, "data": json.dumps(data, ensure_ascii=False), "at": moment,
                 "user": username})
            audit(connection, tenant, username, [("record.create", record_id, None, data)])
            count(connection, tenant, data, {"draft": 1})
        return jsonify({"id": record_id, "version": 1, "status": "draft", "data": data}), 201

    @app.post("/api/v1/tasks/<task_id>/complete")
    def complete_task(task_id: str) -> Response:
        body: dict[str, Any] = request.get_json()
        with database.begin() as connection:
            tenant, username = user(connection)
            task = connection.execute(text(
                "SELECT t.instance_id, t.record_id, r.data, r.version FROM human_tasks t JOIN records r "
                "ON r.tenant_id = t.tenant_id AND r.id = t.record_id WHERE t.tenant_id = :tenant AND t.id = :id "
                "AND t.state = 'open' FOR UPDATE"), {"tenant": tenant, "id": task_id}).one()
            instance_id, record_id, before, version = task
            moment = datetime.now(UTC)
            after = {**before, "site_engineer": username, "signed_at": moment.isoformat()}
            connection.execute(text(
                "UPDATE records SET data = CAST(:data AS JSONB), status = 'signed', version = :version + 1, "
                "updated_at = :at, updated_by = :user WHERE tenant_id = :tenant AND id = :id AND version = :version"),
                {"data": json.dumps(after, ensure_ascii=False), "version": version, "at": moment, "user": username,
                 "tenant": tenant, "id": record_id})
            connection.execute(text(
                "UPDATE human_tasks SET state = 'completed', decision = :decision, comment = :comment, "
                "completed_by = :user, completed_at = :at WHERE tenant_id = :tenant AND id = :id"),
                {"decision": body["decision"], "comment": body.get("comment", ""), "user": username, "at": moment,
                 "tenant": tenant, "id": task_id})
            connection.execute(text(
                "UPDATE process_instances SET status = 'completed', end_event = 'signed', version = version + 1, "
                "updated_at = :at WHERE tenant_id = :tenant AND id = :id"),
                {"at": moment, "tenant": tenant, "id": instance_id})
            connection.execute(text(  # the sign-off's deadline timer, queued at the submit
                "UPDATE jobs SET state = 'cancelled', finished_at = :at WHERE tenant_id = :tenant "
                "AND kind IN ('process.service', 'process.timer') AND key = :id AND state = 'queued'"),
                {"at": moment, "tenant": tenant, "id": instance_id})
            audit(connection, tenant, username, [
                ("record.update", record_id, before, after), ("task.complete", task_id, None, body),
                ("record.status", record_id, {"status": "in_review"}, {"status": "signed"}),
                ("process.end", instance_id, None, {"end_event": "signed"})])
            count(connection, tenant, after, {"in_review": -1, "signed": 1})
        return jsonify({"id": record_id, "status": "signed", "data": after})

    return app


def audit(connection: Connection, tenant: str, username: str,
          entries: list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]]) -> None:
    """Append the entries to the tenant's hash chain under its lock and move the signed anchor, as the engine does.
    The lock is FOR NO KEY UPDATE, as the engine's: the record just inserted holds a key-share lock on the tenant's
    row, and two writers each upgrading theirs to FOR UPDATE deadlock."""
    connection.execute(text("SELECT id FROM tenants WHERE id = :tenant FOR NO KEY UPDATE"), {"tenant": tenant})
    head = connection.execute(text("SELECT seq, hash FROM audit_log WHERE tenant_id = :tenant ORDER BY seq DESC "
                                   "LIMIT 1"), {"tenant": tenant}).first()
    seq, previous = (head[0], head[1]) if head else (0, GENESIS)
    rows, moment = [], datetime.now(UTC)
    for action, target, before, after in entries:
        seq += 1
        digest = hashlib.sha256(json.dumps([tenant, seq, moment.isoformat(), username, action, "record", target,
                                            before, after, "", previous], sort_keys=True, ensure_ascii=False,
                                           separators=(",", ":")).encode()).hexdigest()
        rows.append({"tenant": tenant, "seq": seq, "at": moment, "actor": username, "action": action,
                     "target": target, "before": json.dumps(before, ensure_ascii=False),
                     "after": json.dumps(after, ensure_ascii=False), "prev": previous, "hash": digest})
        previous = digest
    connection.execute(text(
        "INSERT INTO audit_log (tenant_id, seq, at, actor, action, target_type, target_id, before, after, prev_hash, "
        "hash, note) VALUES (:tenant, :seq, :at, :actor, :action, 'record', :target, CAST(:before AS JSONB), "
        "CAST(:after AS JSONB), :prev, :hash, '')"), rows)
    signature = hmac.new(KEY, json.dumps([tenant, seq, previous]).encode(), hashlib.sha256).hexdigest()
    connection.execute(text("UPDATE audit_anchors SET seq = :seq, head_hash = :hash, signature = :signature, "
                            "anchored_at = :at WHERE tenant = :tenant"),
                       {"seq": seq, "hash": previous, "signature": signature, "at": moment, "tenant": tenant})


def count(connection: Connection, tenant: str, data: dict[str, Any], moved: dict[str, int]) -> None:
    """Add to the ticket counts of its project and month, by status, in one upsert after the chain (as the engine
    does at its commit)."""
    period = data["work_date"][:7]
    connection.execute(text(
        "INSERT INTO record_counts (tenant_id, module, entity, project, period, status, count) "
        "VALUES (:tenant, 'labor', 'day_labor_ticket', :project, :period, :status, :count) "
        "ON CONFLICT (tenant_id, module, entity, project, period, status) "
        "DO UPDATE SET count = record_counts.count + excluded.count"),
        [{"tenant": tenant, "project": data["project"], "period": period, "status": status, "count": delta}
         for status, delta in sorted(moved.items())])
