"""Shared model base and cross-cutting records: audit events (L1), API tokens, idempotency keys (L3)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone

from opsdesk.core import auditchain
from opsdesk.core.tenancy import RestrictedQuerySet


class BaseModel(models.Model):
    """Every domain record: timestamps and a version that feeds ETags and optimistic concurrency (L3)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = RestrictedQuerySet.as_manager()

    #: Path from this model to its Organisation ("" when the model *is* the organisation,
    #: None when the model is not tenant-owned). Read by core.tenancy.
    tenant_path: str | None = None
    #: Field names left out of audit snapshots (secrets, derived data).
    audit_exclude: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"
    # Security events (no domain object; see core.audit.audit_security_event).
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_OUT = "sign_out", "Signed out"
    TOKEN_USED = "token_used", "API token used"
    PERMISSION_DENIED = "permission_denied", "Permission denied"
    LOCKOUT = "lockout", "Locked out"
    PASSWORD_RESET = "password_reset", "Password reset by email"
    PASSWORD_CHANGED = "password_changed", "Password changed"


SECURITY_ACTIONS = frozenset(
    {
        AuditAction.SIGN_IN,
        AuditAction.SIGN_IN_FAILED,
        AuditAction.SIGN_OUT,
        AuditAction.TOKEN_USED,
        AuditAction.PERMISSION_DENIED,
        AuditAction.LOCKOUT,
        AuditAction.PASSWORD_RESET,
        AuditAction.PASSWORD_CHANGED,
    }
)


def _chain_head(using: str) -> str:
    """The hash the next row links to. The caller is inside a transaction; on PostgreSQL an
    advisory lock held until it ends serialises appenders (SQLite's BEGIN IMMEDIATE already
    does), so two writers never link to the same row and fork the chain."""
    if connections[using].vendor == "postgresql":
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [auditchain.ADVISORY_LOCK_KEY])
    last = AuditEvent.objects.using(using).order_by("-id").values_list("hash", flat=True).first()
    return last if last is not None else auditchain.GENESIS


class AuditEventQuerySet(models.QuerySet):
    def bulk_create(self, objs: Iterable[AuditEvent], *args, **kwargs) -> list[AuditEvent]:
        """One INSERT for the batch; the chain is computed here in Python, in insertion order."""
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            prev = _chain_head(self.db)
            for obj in objs:
                obj.seal(prev)
                prev = obj.hash
            return super().bulk_create(objs, *args, **kwargs)


class AuditEvent(models.Model):
    """Append-only (database triggers forbid UPDATE, DELETE and, on PostgreSQL, TRUNCATE: see
    migrations 0003 and 0004) and hash-chained (core.auditchain) so that tampering by whoever can
    get past the triggers shows in `opsdesk audit verify`.

    No foreign keys with cascades: an audit row must outlive whatever it describes, and a
    cascade would be an UPDATE/DELETE the triggers refuse.
    """

    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=255, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    public = models.BooleanField(default=True, help_text="Visible to the customer who owns the object.")
    note = models.CharField(max_length=255, blank=True)
    #: The request that caused the event (X-Request-ID) and where it came from, when there was one.
    request_id = models.CharField(max_length=64, blank=True, default="")
    source_address = models.CharField(max_length=45, blank=True, default="")
    prev_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"
        )

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("The audit log is append-only.")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            self.seal(_chain_head(using))
            super().save(*args, **kwargs)

    def chain_values(self) -> dict[str, object]:
        """The hashed fields as the database will give them back."""
        values: dict[str, object] = {}
        for name in auditchain.HASHED_FIELDS:
            value = getattr(self, name)
            if name in ("before", "after"):
                value = None if value is None else json.loads(json.dumps(value))
            elif name == "actor_id":
                value = None if value is None else int(value)
            elif value is not None:
                value = self._meta.get_field(name).to_python(value)
            if name == "at" and timezone.is_naive(value):
                value = timezone.make_aware(value)
            values[name] = value
        return values

    def seal(self, prev_hash: str) -> None:
        """Link this (unsaved) row to `prev_hash`: normalise the fields to what will be stored
        and hash them."""
        values = self.chain_values()
        for name, value in values.items():
            setattr(self, name, value)
        self.prev_hash = prev_hash
        self.hash = auditchain.digest(values, prev_hash)

    def chain_intact(self) -> bool:
        """Whether the stored hash is the hash of the stored fields and prev_hash."""
        return self.hash == auditchain.digest(self.chain_values(), self.prev_hash)

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class ApiToken(models.Model):
    """A bearer token for the REST API (L3); only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class IdempotencyState(models.TextChoices):
    IN_FLIGHT = "in_flight", "In flight"
    DONE = "done", "Done"


class IdempotencyKey(models.Model):
    """The first response to a create, replayed for a retry with the same key and body (L3)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(
        max_length=16, choices=IdempotencyState.choices, default=IdempotencyState.IN_FLIGHT
    )
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
