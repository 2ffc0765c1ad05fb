"""ORM table of idempotency keys: which record a user's first create with a key made, so a retry makes none."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.storage.models import Base, TenantOwned


class IdempotencyKey(TenantOwned, Base):
    """(tenant, user, key) -> the record its first create made; the primary key makes a racing retry fail."""

    __tablename__ = "idempotency_keys"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    module: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))   # sha256 of what was sent, to refuse a reused key
    record_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
