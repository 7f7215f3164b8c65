"""L1: every create/update/delete is audited with actor, before and after; the log is append-only
in the database itself (triggers on SQLite and PostgreSQL); bulk updates are audited too."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from opsdesk.core.audit import audit_bulk_update
from opsdesk.core.models import AuditEvent
from opsdesk.core.selectors import object_history
from opsdesk.directory import services
from opsdesk.directory.models import NamedContact


def test_create_update_delete_are_recorded_with_before_and_after(world):
    admin = world["admin"]
    contact = services.contact_create(
        actor=admin, organisation=world["org_a"], name="Ann", email="ann@a.test"
    )
    services.contact_update(actor=admin, contact=contact, phone="+44 20 7946 0000")
    services.contact_delete(actor=admin, contact=NamedContact.objects.get(pk=contact.pk))
    events = list(
        AuditEvent.objects.filter(object_type="directory.namedcontact", object_id=str(contact.pk)).order_by(
            "id"
        )
    )
    assert [e.action for e in events] == ["create", "update", "delete"]
    assert all(e.actor_id == admin.pk and e.actor_label == admin.email for e in events)
    assert events[0].after["email"] == "ann@a.test" and events[0].before is None
    assert events[1].changes == [("phone", "", "+44 20 7946 0000"), ("version", 1, 2)]
    assert events[2].before["name"] == "Ann" and events[2].after is None
    assert all(e.organisation_id == world["org_a"].pk for e in events)


def test_passwords_are_never_in_the_audit_log(world):
    events = AuditEvent.objects.filter(object_type="directory.user")
    assert events.exists()
    assert all("password" not in (e.after or {}) for e in events)


@pytest.mark.parametrize(
    "statement", ["UPDATE core_auditevent SET note = 'tampered'", "DELETE FROM core_auditevent"]
)
def test_audit_rows_cannot_be_updated_or_deleted(world, statement):
    assert AuditEvent.objects.exists()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.all().delete() if statement.startswith(
                "DELETE"
            ) else AuditEvent.objects.update(note="tampered")
    assert not AuditEvent.objects.filter(note="tampered").exists()


def test_bulk_update_leaves_one_event_per_row(world):
    qs = NamedContact.objects.filter(organisation__in=[world["org_a"], world["org_b"]])
    count = qs.count()
    before = AuditEvent.objects.count()
    changed = audit_bulk_update(
        actor=world["admin"], queryset=qs, note="bulk", availability_in_hours="Mon-Fri"
    )
    assert changed == count
    events = AuditEvent.objects.filter(note="bulk")
    assert AuditEvent.objects.count() == before + count == before + events.count()
    assert all(
        e.before["availability_in_hours"] == "" and e.after["availability_in_hours"] == "Mon-Fri"
        for e in events
    )
    assert all(e.after["version"] == e.before["version"] + 1 for e in events)


def test_history_is_tenant_scoped(world):
    contact = world["contact_a"]
    assert object_history(user=world["customer_a"], obj=contact).count() >= 1
    assert object_history(user=world["customer_b"], obj=contact).count() == 0
    # Users are audited as non-public: a customer does not see who created their login.
    assert object_history(user=world["customer_a"], obj=world["customer_a"]).count() == 0
    assert object_history(user=world["admin"], obj=world["customer_a"]).count() == 1
    client = Client()
    client.force_login(world["customer_b"])
    r = client.get("/api/v1/audit-events", {"object_type": "directory.namedcontact", "object_id": contact.pk})
    assert r.json()["count"] == 0
