"""ORM tables. Every tenant-owned table has `tenant_id` leading its primary key (shardable by tenant)."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


def fresh_stamp() -> int:
    """A stamp to start from: a tenant created again or restored never repeats one a process cached."""
    return secrets.randbelow(2 ** 48)


class Base(DeclarativeBase):
    pass


class TenantOwned:
    """Mixin: rows of these tables are only reachable through a tenant-scoped session."""

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True, sort_order=-10)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(String(32), default="trial")
    seats: Mapped[int | None] = mapped_column(Integer, nullable=True)
    licensed_modules: Mapped[list[str] | None] = mapped_column(JsonDocument, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The applied signed license (engine/tenancy/licenses.py); plan, seats, modules and expiry above mirror it.
    license_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Moves on every change to what engine/customization/tenant_context.py caches; instance state, left out of backups.
    context_stamp: Mapped[int] = mapped_column(BigInteger, default=fresh_stamp, server_default="0")


class CatalogModule(Base):
    """An installed module version: its declaration files, kept verbatim."""

    __tablename__ = "module_catalog"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    files: Mapped[dict[str, str]] = mapped_column(JsonDocument)
    digest: Mapped[str] = mapped_column(String(64))
    installed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TenantModule(TenantOwned, Base):
    __tablename__ = "tenant_modules"

    module: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class User(TenantOwned, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # A browser session remembers the generation it was opened in; logout, a new password and
    # deactivation move it on, which ends every session opened before (engine/tenancy/tenants.py).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class UserInvitation(TenantOwned, Base):
    """A one-time link to set a password (an invitation or a reset); only the token's digest is kept."""

    __tablename__ = "user_invitations"
    __table_args__ = (Index("ix_user_invitations_user", "tenant_id", "username"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(16))          # invite | reset
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


DEFAULT_TOKEN_LIFETIME = timedelta(hours=12)


def _default_token_expiry(context: Any) -> datetime:
    created: datetime = context.get_current_parameters()["created_at"]
    return created + DEFAULT_TOKEN_LIFETIME


class ApiToken(TenantOwned, Base):
    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Rows written without one (a backup from before tokens expired) live the default lifetime from creation.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_default_token_expiry)


class Record(TenantOwned, Base):
    """One record of any declared entity; its fields live in the JSON document `data`."""

    __tablename__ = "records"
    __table_args__ = (Index("ix_records_entity", "tenant_id", "module", "entity", "deleted_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    module: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    schema_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(64), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it once


class RecordCount(TenantOwned, Base):
    """Live records of an entity per project, period and status, kept by every flush (engine/storage/summaries.py)."""

    __tablename__ = "record_counts"

    module: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity: Mapped[str] = mapped_column(String(64), primary_key=True)
    project: Mapped[str] = mapped_column(String(64), primary_key=True)   # its first 64 characters; '' when none
    period: Mapped[str] = mapped_column(String(64), primary_key=True)    # YYYY-MM in the modules; '' when none
    status: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(TenantOwned, Base):
    """Append-only, hash-chained per tenant: `hash` covers the entry and the previous hash."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_target", "tenant_id", "target_type", "target_id"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(140))
    target_id: Mapped[str] = mapped_column(String(140))
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class AuditAnchor(Base):
    """The head of a tenant's audit chain, signed with the instance key: how long the chain is and where it ends.

    Instance state like the key that signs it, not tenant data: backups leave it out (it has no `tenant_id`), and a
    restored tenant is re-anchored by `audit.reanchor` once its backup is trusted.
    """

    __tablename__ = "audit_anchors"

    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(64))
    anchored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EffectLog(TenantOwned, Base):
    """Which declared effect already ran for which record: the primary key makes each run once."""

    __tablename__ = "effect_log"

    source_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    effect: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # None: an update effect
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GatherHold(TenantOwned, Base):
    """A source record held by the live record that gathered it into a table field (`gather:`): the primary
    key lets one record of that entity and field hold it, so two saves racing for it cannot both commit."""

    __tablename__ = "gather_holds"
    __table_args__ = (Index("ix_gather_holds_holder", "tenant_id", "holder_id"),)

    module: Mapped[str] = mapped_column(String(64), primary_key=True)   # the gathering entity and field
    entity: Mapped[str] = mapped_column(String(64), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    holder_id: Mapped[str] = mapped_column(String(36))


class NumberCounter(TenantOwned, Base):
    """The last sequence number a numbered field gave out in one scope (the number without its sequence)."""

    __tablename__ = "number_counters"

    module: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity: Mapped[str] = mapped_column(String(64), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(255), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class SavedView(TenantOwned, Base):
    """A user's named list view: the list's query parameters (filter, sort, columns) as JSON."""

    __tablename__ = "saved_views"
    __table_args__ = (Index("ux_saved_views_name", "tenant_id", "username", "module", "entity", "name",
                            unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    module: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StoredFile(TenantOwned, Base):
    """An uploaded attachment's metadata; the bytes live on disk under the tenant's folder, by sha256."""

    __tablename__ = "files"
    __table_args__ = (Index("ix_files_sha256", "tenant_id", "sha256"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(127))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Operator(Base):
    """A platform operator (the /admin console); not a tenant user and owned by no tenant."""

    __tablename__ = "operators"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginThrottle(Base):
    """Recent failed logins of one key (an account or a client address), shared by every worker and host.

    Platform-wide, not tenant-owned: its keys name tenants and addresses that may not exist.
    """

    __tablename__ = "login_throttles"
    __table_args__ = (Index("ix_login_throttles_window", "window_started_at"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)


class TenantModuleVersion(TenantOwned, Base):
    """A tenant's published adjustment of a module: the overlay files, kept verbatim, and its version.

    The effective module is the catalog's `base_version` with `files` merged onto it; the newest row
    not rolled back is the tenant's current version, older rows stay for records and approvals.
    """

    __tablename__ = "tenant_module_versions"

    module: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    base_version: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(255))        # the overlay file's name, for messages
    files: Mapped[dict[str, str]] = mapped_column(JsonDocument)
    digest: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str] = mapped_column(String(64))
    rolled_back_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rolled_back_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class TenantModuleDraft(TenantOwned, Base):
    """A tenant administrator's unpublished overlay of a module (YAML and BPMN files), one per module.

    The approval editor saves processes here; publishing takes the draft's files and then drops it.
    """

    __tablename__ = "tenant_module_drafts"

    module: Mapped[str] = mapped_column(String(64), primary_key=True)
    base_version: Mapped[str] = mapped_column(String(32))
    files: Mapped[dict[str, str]] = mapped_column(JsonDocument)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))


class TenantPlugin(TenantOwned, Base):
    """A plugin a tenant enabled, with its settings (validated by the plugin's JSON Schema)."""

    __tablename__ = "tenant_plugins"

    plugin: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PluginItem(TenantOwned, Base):
    """Storage a plugin owns (webhook deliveries, notifications ...): JSON items in named collections."""

    __tablename__ = "plugin_items"
    __table_args__ = (Index("ix_plugin_items_owner", "tenant_id", "plugin", "collection", "owner", "created_at"),)

    plugin: Mapped[str] = mapped_column(String(64), primary_key=True)
    collection: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)   # e.g. the user a notification is for
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ImportRun(TenantOwned, Base):
    """An Excel import that ran, written in the import's own transaction: it committed if and only if this row is
    here, and its primary key lets the import commit once, however often it is started."""

    __tablename__ = "import_runs"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    module: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(64))
    created: Mapped[int] = mapped_column(Integer, default=0)      # records the import created
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
