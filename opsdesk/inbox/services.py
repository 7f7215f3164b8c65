"""Writes of the inbox (issue 12): storing what arrives, re-processing, and the SNS endpoints.

`sns_receive` is the intake: it decides, stores and answers, and nothing it accepts is lost — the
row is committed in its own transaction before the view answers 2xx, and its processing is
scheduled on commit (the sweep catches any hand-off that never reached the queue).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F, Field
from django.utils import timezone

from opsdesk.core.audit import AuditAction, audit_record
from opsdesk.core.edge import BodyProblem
from opsdesk.core.errors import Conflict, ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.core.services import lock_for_update, record_create, record_delete, record_update
from opsdesk.directory.models import Organisation
from opsdesk.inbox import sns
from opsdesk.inbox.choices import (
    EVENTBRIDGE_EVENT,
    REPROCESSABLE,
    WEBHOOK_ALARM,
    DeliverySource,
    DeliveryState,
    IntakePurpose,
)
from opsdesk.inbox.models import Delivery, IntakeKey, SnsSubscription

MANAGE_SNS = "inbox.manage_sns"
TOKEN_PREFIX = "sns_"
#: How much of a refused body is kept: enough to see what was sent, not a store for junk.
REFUSED_BODY_CHARS = 16 * 1024
#: What SNS sends (text/plain; charset=UTF-8); JSON is accepted too.
SNS_CONTENT_TYPES = ("text/plain", "application/json")


def _schedule(delivery_id: int) -> None:
    from opsdesk.inbox.tasks import process_delivery

    process_delivery(delivery_id)


# --- intake ----------------------------------------------------------------------------------


@dataclass
class Receipt:
    """What the intake answers: the status, and the stored delivery (None: nothing was stored)."""

    status: int
    delivery: Delivery | None = None
    duplicate: bool = False
    field: str = ""
    message: str = ""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _printable(body: bytes, limit: int) -> str:
    """A refused body as text the database can hold (no NULs, no invalid UTF-8)."""
    return body[:limit].decode("utf-8", "replace").replace("\x00", "\ufffd")


def _refuse(
    subscription: SnsSubscription,
    refused: sns.Refused,
    *,
    body: bytes,
    headers: Mapping[str, str],
    document: Any = None,
    now: dt.datetime,
) -> Receipt:
    message_id = document.get("MessageId") if isinstance(document, dict) else None
    with transaction.atomic():
        delivery = Delivery.objects.create(
            source=DeliverySource.SNS,
            external_id=message_id[:255].replace("\x00", "") if isinstance(message_id, str) else "",
            organisation_id=subscription.organisation_id,
            sns_subscription=subscription,
            received_at=now,
            verified=False,
            kind=sns.kind_of(document),
            body=_printable(body, REFUSED_BODY_CHARS),
            headers=sns.kept_headers(headers),
            answered=refused.status,
            state=DeliveryState.REFUSED,
            error=str(refused)[:2000],
        )
    return Receipt(refused.status, delivery, field=refused.field, message=refused.message)


def _endpoint(token: str) -> SnsSubscription | None:
    """The live endpoint of `token`: its id, organisation id and topic allow-list, by one indexed
    lookup. Every intake request pays this, so the statement is written once (the ORM built and
    compiled it per request: a third of the intake's CPU)."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` is a thread-local lookup
    quote = db.ops.quote_name
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('id')}, {quote('organisation_id')}, {quote('topic_arns')} "
            f"FROM {quote(SnsSubscription._meta.db_table)} "
            f"WHERE {quote('token_hash')} = %s AND {quote('active')} LIMIT 1",
            [token_digest(token)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    topics = _TOPIC_ARNS.from_db_value(row[2], None, db)  # a list on every database
    return SnsSubscription(pk=row[0], organisation_id=row[1], topic_arns=topics, active=True)


_TOPIC_ARNS = SnsSubscription._meta.get_field("topic_arns")


def sns_endpoint_exists(*, token: str) -> bool:
    return _endpoint(token) is not None


def sns_receive(
    *,
    token: str,
    body: bytes,
    size: int,
    headers: Mapping[str, str],
    content_type: str = "text/plain",
    problem: BodyProblem | None = None,
    now: dt.datetime | None = None,
) -> Receipt:
    """F1: one SNS message to the endpoint of `token`. `body` is at most the limit's bytes, `size`
    what the sender declared or sent; `headers` lower-cased. Refusals are stored (refused, never
    processed) and answered 4xx; an accepted message is stored once per MessageId and answered 200."""
    now = now or timezone.now()
    subscription = _endpoint(token)
    if subscription is None:
        return Receipt(404, message="No such endpoint.")
    if size > settings.INBOX_MAX_BODY_BYTES:
        refused = sns.Refused(
            413, "body", f"Too large: at most {settings.INBOX_MAX_BODY_BYTES} bytes are accepted."
        )
        return _refuse(subscription, refused, body=b"", headers=headers, now=now)
    document = None
    try:
        if content_type not in SNS_CONTENT_TYPES:
            raise sns.Refused(
                415, "Content-Type", "Must be text/plain (as Amazon SNS sends) or application/json."
            )
        if problem is not None:
            raise sns.Refused(problem.status, problem.field, problem.message)
        document = sns.parse(body)
        sns.check_message(document, topic_arns=list(subscription.topic_arns), headers=headers, now=now)
    except sns.Refused as refused:
        return _refuse(subscription, refused, body=body, headers=headers, document=document, now=now)
    except OSError:
        # The certificate could not be fetched: not the sender's fault. 503 so SNS retries.
        refused = sns.Refused(503, "SigningCertURL", "The signing certificate could not be fetched; retry.")
        return _refuse(subscription, refused, body=body, headers=headers, document=document, now=now)
    return _store(sns_delivery(subscription, document, body=body, headers=headers, now=now))


def sns_delivery(
    subscription: SnsSubscription,
    document: Mapping[str, Any],
    *,
    body: bytes,
    headers: Mapping[str, str],
    now: dt.datetime,
) -> Delivery:
    """The (unsaved) row of one verified SNS message: what `sns_receive` stores once checked."""
    return Delivery(
        source=DeliverySource.SNS,
        external_id=document["MessageId"],
        organisation_id=subscription.organisation_id,
        sns_subscription=subscription,
        received_at=now,
        next_attempt_at=now,
        verified=True,
        kind=sns.kind_of(document),
        body=body.decode("utf-8"),
        headers=sns.kept_headers(headers),
        answered=200,
        state=DeliveryState.RECEIVED,
    )


@functools.cache
def _insert_once_sql(vendor: str) -> tuple[str, tuple[Field, ...]]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id for a delivery, written once from the model's
    own fields (so it follows the schema). PostgreSQL and SQLite both take the partial index of
    `inbox_delivery_once_per_external_id` as the conflict target."""
    fields = tuple(f for f in Delivery._meta.concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = (
        f"INSERT INTO {quote(Delivery._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote('source')}, {quote('external_id')}) WHERE {quote('verified')} DO NOTHING "
        f"RETURNING {quote(Delivery._meta.pk.column)}"
    )
    return sql, fields


def _insert_once(delivery: Delivery) -> bool:
    """The row, unless a verified delivery with its (source, external id) is stored already: one
    statement, no exception for a redelivery. The intake's hot path (issue 12, "Speed"): the ORM's
    save() compiles this statement anew on every request, and a redelivery raised and caught an
    IntegrityError; here it is written once and a redelivery simply returns no id."""
    db = connections[DEFAULT_DB_ALIAS]
    sql, fields = _insert_once_sql(db.vendor)
    values = [field.get_db_prep_save(field.pre_save(delivery, True), db) for field in fields]
    with db.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    delivery.pk = row[0]
    delivery._state.adding, delivery._state.db = False, db.alias
    return True


def _insert(delivery: Delivery) -> bool:
    """Store the row once and hand it to the worker; False when it was stored before. Outside a
    caller's transaction (the intake) the one INSERT is its own transaction, committed when this
    returns — no BEGIN/COMMIT round trips; inside one the hand-off waits for the commit."""
    if not connection.in_atomic_block:
        stored = _insert_once(delivery)
        if stored:
            _schedule(delivery.pk)  # committed already (the sweep is the safety net)
        return stored
    with transaction.atomic():  # a savepoint: a failed insert leaves the caller's block usable
        stored = _insert_once(delivery)
    if stored:
        transaction.on_commit(lambda: _schedule(delivery.pk))
    return stored


def _store(delivery: Delivery) -> Receipt:
    """Insert once per (source, external id); a redelivery answers the stored row."""
    if _insert(delivery):
        return Receipt(200, delivery)
    existing = Delivery.objects.filter(
        source=delivery.source, external_id=delivery.external_id, verified=True
    ).first()
    if existing is None:  # purged in between: it was stored and processed, long ago
        delivery.pk, delivery.state = None, DeliveryState.PROCESSED
        return Receipt(200, delivery, duplicate=True)
    return Receipt(200, existing, duplicate=True)


def delivery_store(
    *,
    source: str,
    external_id: str,
    body: bytes,
    kind: str,
    headers: Mapping[str, str] | None = None,
    organisation: Organisation | None = None,
    verified: bool = True,
    answered: int = 200,
    now: dt.datetime | None = None,
) -> Receipt:
    """Store one accepted delivery from any intake (the mail listener, say) once per (source,
    external id), committed when this returns; processing is scheduled on commit. A body that is
    not NUL-free UTF-8 (raw 8-bit email) is kept as base64, marked in headers["body_encoding"]."""
    now = now or timezone.now()
    kept = dict(headers or {})
    try:
        text = body.decode("utf-8")
        if "\x00" in text:
            raise UnicodeDecodeError("utf-8", body, 0, 1, "NUL")
    except UnicodeDecodeError:
        text = base64.b64encode(body).decode("ascii")
        kept["body_encoding"] = "base64"
    return _store(
        Delivery(
            source=source,
            external_id=external_id[:255].replace("\x00", ""),
            organisation=organisation,
            received_at=now,
            next_attempt_at=now,
            verified=verified,
            kind=kind,
            body=text,
            headers=kept,
            answered=answered,
            state=DeliveryState.RECEIVED,
        )
    )


def delivery_raw(delivery: Delivery) -> bytes:
    """The bytes delivery_store was given."""
    if (delivery.headers or {}).get("body_encoding") == "base64":
        return base64.b64decode(delivery.body)
    return delivery.body.encode("utf-8")


# --- re-processing ---------------------------------------------------------------------------


def delivery_reprocess(*, actor: Any, delivery: Delivery, expected_version: int | None = None) -> Delivery:
    """Staff send a processed, unrouted or failed delivery through its handler again (e.g. once a
    handler for its kind exists). Refused deliveries are never processed."""
    require_permission(actor, "inbox.reprocess")
    now = timezone.now()
    with transaction.atomic():
        locked = lock_for_update(delivery, expected_version)
        if locked.state not in REPROCESSABLE:
            if locked.state == DeliveryState.REFUSED:
                raise Conflict("A refused delivery is never processed.")
            raise Conflict(f"The delivery is {locked.get_state_display().lower()} already.")
        before = {"state": locked.state, "attempts": locked.attempts}
        Delivery.objects.filter(pk=locked.pk).update(
            state=DeliveryState.RECEIVED,
            attempts=0,
            next_attempt_at=now,
            processed_at=None,
            error="",
            version=F("version") + 1,
            updated_at=now,
        )
        locked.refresh_from_db()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=locked,
            before=before,
            after={"state": locked.state, "attempts": 0},
            public=False,
            note="re-processed",
        )
        transaction.on_commit(lambda: _schedule(locked.pk))
    return locked


# --- SNS endpoints ---------------------------------------------------------------------------


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _organisation(actor: Any, value: Any) -> Organisation:
    if isinstance(value, Organisation):
        return value
    org = Organisation.objects.restrict(actor).filter(pk=value).first() if str(value).isdigit() else None
    if org is None:
        raise ValidationFailed.field("organisation", "No such organisation.")
    return org


def _topics(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [line.strip() for line in value.splitlines()]
    if not isinstance(value, list | tuple):
        return value  # the model's validator names the problem
    stripped = [v.strip() if isinstance(v, str) else v for v in value]
    return [v for v in stripped if v != ""]


def sns_subscription_create(
    *, actor: Any, organisation: Any, topic_arns: Any = None, description: str = "", active: bool = True
) -> SnsSubscription:
    """F1: a new endpoint. The token is on the returned object only (`.token`): shown once."""
    require_permission(actor, MANAGE_SNS)
    token = _new_token()
    subscription = SnsSubscription(
        organisation=_organisation(actor, organisation),
        token_hash=token_digest(token),
        token_hint=token[-4:],
        topic_arns=_topics(topic_arns),
        description=description,
        active=active,
    )
    with transaction.atomic():
        record_create(actor=actor, obj=subscription, public=False)
    subscription.token = token
    return subscription


def sns_subscription_update(
    *, actor: Any, subscription: SnsSubscription, expected_version: int | None = None, **changes: Any
) -> SnsSubscription:
    require_permission(actor, MANAGE_SNS)
    unknown = set(changes) - {"topic_arns", "description", "active"}
    if unknown:
        raise ValidationFailed.field(sorted(unknown)[0], "This field cannot be changed.")
    if "topic_arns" in changes:
        changes["topic_arns"] = _topics(changes["topic_arns"])
    changes = {k: v for k, v in changes.items() if v is not None}
    with transaction.atomic():
        return record_update(
            actor=actor, obj=subscription, changes=changes, expected_version=expected_version, public=False
        )


def sns_subscription_rotate(
    *, actor: Any, subscription: SnsSubscription, expected_version: int | None = None
) -> SnsSubscription:
    """A new token: the old address stops working at once (the new one must be subscribed in SNS)."""
    require_permission(actor, MANAGE_SNS)
    token = _new_token()
    with transaction.atomic():
        rotated = record_update(
            actor=actor,
            obj=subscription,
            changes={
                "token_hash": token_digest(token),
                "token_hint": token[-4:],
                "rotated_at": timezone.now(),
            },
            expected_version=expected_version,
            public=False,
        )
    rotated.token = token
    return rotated


def sns_subscription_delete(
    *, actor: Any, subscription: SnsSubscription, expected_version: int | None = None
) -> None:
    """Its deliveries stay (they lose the link to the endpoint)."""
    require_permission(actor, MANAGE_SNS)
    with transaction.atomic():
        record_delete(actor=actor, obj=subscription, expected_version=expected_version)


# --- intake keys: EventBridge and the generic webhook (issue 12 items 4, 7) -----------------------

MANAGE_KEYS = "inbox.manage_sns"
KEY_PREFIXES = {IntakePurpose.EVENTBRIDGE: "ebk_", IntakePurpose.WEBHOOK: "whk_"}


def _key_by_token(token: str, purpose: str) -> IntakeKey | None:
    if not token:
        return None
    return IntakeKey.objects.filter(token_hash=token_digest(token), purpose=purpose, active=True).first()


def webhook_endpoint_exists(*, token: str) -> bool:
    return _key_by_token(token, IntakePurpose.WEBHOOK) is not None


def intake_key_create(
    *, actor: Any, purpose: str, organisation: Any = None, description: str = ""
) -> IntakeKey:
    """A new key (`.token` on the returned object only: shown once)."""
    require_permission(actor, MANAGE_KEYS)
    if purpose not in IntakePurpose.values:
        raise ValidationFailed.field("purpose", f"Must be one of {', '.join(IntakePurpose.values)}.")
    org = _organisation(actor, organisation) if organisation not in (None, "") else None
    if org is None and purpose == IntakePurpose.WEBHOOK:
        raise ValidationFailed.field("organisation", "A webhook belongs to one organisation.")
    token = KEY_PREFIXES[purpose] + secrets.token_urlsafe(32)
    key = IntakeKey(
        purpose=purpose,
        organisation=org,
        token_hash=token_digest(token),
        token_hint=token[-4:],
        description=description,
    )
    with transaction.atomic():
        record_create(actor=actor, obj=key, public=False)
    key.token = token
    return key


def intake_key_rotate(*, actor: Any, key: IntakeKey, expected_version: int | None = None) -> IntakeKey:
    """A new secret; the old one stops at once."""
    require_permission(actor, MANAGE_KEYS)
    token = KEY_PREFIXES[key.purpose] + secrets.token_urlsafe(32)
    with transaction.atomic():
        rotated = record_update(
            actor=actor,
            obj=key,
            changes={
                "token_hash": token_digest(token),
                "token_hint": token[-4:],
                "rotated_at": timezone.now(),
            },
            expected_version=expected_version,
            public=False,
        )
    rotated.token = token
    return rotated


def intake_key_delete(*, actor: Any, key: IntakeKey, expected_version: int | None = None) -> None:
    require_permission(actor, MANAGE_KEYS)
    with transaction.atomic():
        record_delete(actor=actor, obj=key, expected_version=expected_version)


def _too_large() -> str:
    return f"Too large: at most {settings.INBOX_MAX_BODY_BYTES} bytes are accepted."


def _check(kind: str, body: bytes, organisation_id: int | None) -> Receipt | None:
    from opsdesk.inbox import registry

    check = registry.check_for(kind)
    if check is None:
        return None
    try:
        check(body, organisation_id)
    except ValidationFailed as exc:
        first = exc.errors[0] if exc.errors else {"field": "body", "message": str(exc)}
        return Receipt(400, field=first["field"], message=first["message"])
    return None


def eventbridge_receive(
    *,
    key: str,
    body: bytes,
    size: int,
    headers: Mapping[str, str],
    problem: BodyProblem | None = None,
    now: dt.datetime | None = None,
) -> Receipt:
    """Item 4: one event from an EventBridge API destination, authenticated by its key header:
    missing 401, unknown 403. Stored once per event `id`, committed before the 2xx."""
    now = now or timezone.now()
    if not key:
        return Receipt(401, field="X-Opsdesk-Intake-Key", message="The intake key header is required.")
    intake_key = _key_by_token(key, IntakePurpose.EVENTBRIDGE)
    if intake_key is None:
        return Receipt(403, field="X-Opsdesk-Intake-Key", message="Not a valid intake key.")
    if size > settings.INBOX_MAX_BODY_BYTES:
        return Receipt(413, field="body", message=_too_large())
    if problem is not None:  # the edge's JSON check (NUL, lone surrogate, depth, huge number…)
        return Receipt(problem.status, field=problem.field, message=problem.message)
    try:
        event = json.loads(body)
    except ValueError:
        return Receipt(400, field="body", message="Must be an EventBridge event (JSON).")
    if not isinstance(event, dict):
        return Receipt(400, field="body", message="Must be an EventBridge event (JSON object).")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 255 or "\x00" in event_id:
        return Receipt(400, field="id", message="An EventBridge event has an id.")
    return _store(
        Delivery(
            source=DeliverySource.EVENTBRIDGE,
            external_id=event_id,
            organisation_id=intake_key.organisation_id,
            received_at=now,
            next_attempt_at=now,
            verified=True,
            kind=EVENTBRIDGE_EVENT,
            body=body.decode("utf-8", "replace").replace("\x00", "\ufffd"),
            headers={k: str(v)[:500] for k, v in headers.items() if k in ("content-type", "user-agent")},
            answered=200,
        )
    )


def webhook_receive(
    *,
    token: str,
    body: bytes,
    size: int,
    headers: Mapping[str, str],
    problem: BodyProblem | None = None,
    now: dt.datetime | None = None,
) -> Receipt:
    """Item 7: one call of an organisation's generic webhook. The external id is the
    `Idempotency-Key` header, else the body's SHA-256 (scoped to the organisation)."""
    now = now or timezone.now()
    intake_key = _key_by_token(token, IntakePurpose.WEBHOOK)
    if intake_key is None:
        return Receipt(404, message="No such endpoint.")
    if size > settings.INBOX_MAX_BODY_BYTES:
        return Receipt(413, field="body", message=_too_large())
    if problem is not None:  # the edge's JSON check (NUL, lone surrogate, depth, huge number…)
        return Receipt(problem.status, field=problem.field, message=problem.message)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return Receipt(400, field="body", message="Must be UTF-8 JSON.")
    refused = _check(WEBHOOK_ALARM, body, intake_key.organisation_id)
    if refused is not None:
        return refused
    idempotency = (headers.get("idempotency-key") or "").replace("\x00", "")[:200]
    external = idempotency or hashlib.sha256(body).hexdigest()
    return _store(
        Delivery(
            source=DeliverySource.WEBHOOK,
            external_id=f"{intake_key.organisation_id}:{external}",
            organisation_id=intake_key.organisation_id,
            received_at=now,
            next_attempt_at=now,
            verified=True,
            kind=WEBHOOK_ALARM,
            body=body.decode("utf-8").replace("\x00", "\ufffd"),
            headers={k: str(v)[:500] for k, v in headers.items() if k in ("content-type", "idempotency-key")},
            answered=200,
        )
    )
