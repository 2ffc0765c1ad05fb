"""Out-of-office delegation: from one date to another (both included), what is offered to me is offered to my
delegate too, who decides it on my behalf (audited so). One delegation per user; one hop (a delegate's own
delegation does not pass mine on). 转交 (handing one task to a colleague) is `Approvals.delegate`, not this.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from engine.core.error_codes import render
from engine.errors import BadRequest
from engine.formula.context import local_zone
from engine.records.service import Records
from engine.security import audit
from engine.storage.models import User
from engine.storage.workflow_models import Delegation


def today(records: Records) -> date:
    """The calendar day delegations are read on: the records' clock when it is set (the demo's days)."""
    return records.now.date() if records.now is not None else datetime.now(local_zone()).date()


def delegators(records: Records) -> list[User]:
    """The active users whose delegation to the actor is in force today."""
    if not records.actor.stands_in:
        return []
    day = today(records).isoformat()
    statement = (select(User).select_from(Delegation).join(User, User.username == Delegation.username)
                 .where(Delegation.to_user == records.actor.username, Delegation.starts_on <= day,
                        Delegation.ends_on >= day, User.is_active.is_(True)).order_by(User.username))
    return list(records.session.scalars(statement))


def view(row: Delegation | None, day: date) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"to": row.to_user, "from": row.starts_on, "until": row.ends_on,
            "active": row.starts_on <= day.isoformat() <= row.ends_on}


def current(records: Records) -> dict[str, Any] | None:
    """The actor's delegation (past, in force or to come), or None."""
    return view(records.session.get(Delegation, (records.actor.tenant_id, records.actor.username)), today(records))


def put(records: Records, body: Mapping[str, Any]) -> dict[str, Any]:
    """Set the actor's delegation from `{"to", "from", "until"}` (`from` defaults to today)."""
    me = records.actor.username
    target = body.get("to")
    if target == me:
        raise BadRequest(render("delegation_self", {}), message_code="delegation_self")
    user = records.session.get(User, (records.actor.tenant_id, target)) if isinstance(target, str) else None
    if user is None or not user.is_active:
        params = {"to_user": target}
        raise BadRequest(render("delegation_bad_user", params), message_code="delegation_bad_user", params=params)
    day = today(records)
    start = _date(body, "from", day)
    until = _date(body, "until", None)
    if until < start:
        params = {"until": until.isoformat(), "start": start.isoformat()}
        raise BadRequest(render("delegation_dates_order", params), message_code="delegation_dates_order",
                         params=params)
    if until < day:
        params = {"until": until.isoformat()}
        raise BadRequest(render("delegation_in_past", params), message_code="delegation_in_past", params=params)
    row = records.session.get(Delegation, (records.actor.tenant_id, me))
    before = view(row, day)
    if row is None:
        row = Delegation(username=me, to_user=user.username, starts_on=start.isoformat(), ends_on=until.isoformat(),
                         updated_at=datetime.now(UTC))
        records.session.add(row)
    else:
        row.to_user, row.starts_on, row.ends_on = user.username, start.isoformat(), until.isoformat()
        row.updated_at = datetime.now(UTC)
    after = view(row, day)
    _audit(records, "delegation.set", before, after, f"tasks go to {user.username} from {start} to {until}")
    records.session.flush()
    return after or {}


def end(records: Records) -> None:
    """End the actor's delegation now (nothing to end is fine)."""
    row = records.session.get(Delegation, (records.actor.tenant_id, records.actor.username))
    if row is None:
        return
    _audit(records, "delegation.end", view(row, today(records)), None, f"delegation to {row.to_user} ended")
    records.session.delete(row)
    records.session.flush()


def _date(body: Mapping[str, Any], key: str, default: date | None) -> date:
    raw = body.get(key)
    if raw in (None, "") and default is not None:
        return default
    try:
        return date.fromisoformat(str(raw)[:10]) if isinstance(raw, str) else date.fromisoformat("")
    except ValueError:
        params = {"key": key, "value": raw}
        raise BadRequest(render("delegation_bad_date", params), message_code="delegation_bad_date",
                         params=params) from None


def _audit(records: Records, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
           note: str) -> None:
    audit.write(records.session, records.actor.tenant_id, actor=records.actor.username, action=action,
                target_type="user", target_id=records.actor.username, before=before, after=after, note=note)
