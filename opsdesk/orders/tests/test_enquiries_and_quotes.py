"""Issue 10 item 7 (H1, H2): customers raise enquiries themselves; quote versions and their
validity; the acceptance deadline's warning and breach told to the order desk once; accepting twice.
Services, API and pages, on the real database."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from opsdesk.directory.models import NamedContact, Organisation
from opsdesk.notifications.models import Notification
from opsdesk.orders import services
from opsdesk.orders.choices import OrderState
from opsdesk.orders.models import Order, OrderEvent, Quote
from opsdesk.orders.tests.conftest import client_for
from opsdesk.orders.tests.factory import LINES, LINES_TOTAL, good_form, order_at
from opsdesk.sla.deadlines import deadlines_sweep

LONDON = ZoneInfo("Europe/London")
API = "/api/v1/orders"
pytestmark = pytest.mark.django_db


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def _reload(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def _requote(world, order: Order, **kwargs) -> Order:
    return services.order_quote(
        actor=world["admin"], order=order, lines=[{**LINES[3], "unit_price": "2200.10"}], **kwargs
    )


def _today() -> dt.date:
    return timezone.now().astimezone(LONDON).date()


# --- customers raise enquiries -------------------------------------------------------------------


def test_a_named_contact_raises_an_enquiry_for_their_own_organisation(world):
    org = world["org_a"]
    Organisation.objects.filter(pk=org.pk).update(account_manager=world["account_manager"])
    order = services.order_create(
        actor=world["customer_a"], title="Managed EKS", description="Two clusters, eu-west-2."
    )
    order = _reload(order)
    assert order.organisation == org and order.enquirer == world["contact_a"]
    assert order.state == OrderState.ENQUIRY
    assert order.events.get().note == f"Enquiry received from {world['contact_a'].name}."
    # the order desk hears of it through the outbox
    sent = Notification.objects.get(event="order.enquiry")
    assert sent.recipient == world["account_manager"].email and "Managed EKS" in sent.subject


def test_an_enquiry_for_another_organisation_or_as_someone_else_is_refused(world):
    before = Order.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.order_create(actor=world["customer_a"], organisation=world["org_b"].pk, title="x")
    assert caught.value.errors[0]["field"] == "organisation"
    with pytest.raises(ValidationFailed) as caught:
        services.order_create(actor=world["customer_a"], contact=world["contact_b"].pk, title="x")
    assert caught.value.errors[0]["field"] == "contact"
    with pytest.raises(ValidationFailed) as caught:
        services.order_create(actor=world["customer_a"], title="   ")
    assert caught.value.errors[0]["field"] == "title"
    # staff record an enquiry on behalf of a contact of that organisation only
    with pytest.raises(ValidationFailed) as caught:
        services.order_create(
            actor=world["admin"], organisation=world["org_a"], contact=world["contact_b"].pk, title="x"
        )
    assert caught.value.errors[0]["field"] == "contact"
    NamedContact.objects.filter(pk=world["contact_a"].pk).update(retired_at=timezone.now())
    with pytest.raises(ValidationFailed, match="no longer a named contact"):
        services.order_create(actor=world["customer_a"], title="x")
    assert Order.objects.count() == before
    # a staff role without the order desk's rights records none
    with pytest.raises(PermissionDenied):
        services.order_create(actor=world["engineer"], organisation=world["org_a"], title="x")


def test_staff_record_an_enquiry_on_behalf_of_a_named_contact(world):
    order = services.order_create(
        actor=world["account_manager"], organisation=world["org_a"], contact=world["contact_a"].pk, title="DR"
    )
    assert _reload(order).enquirer == world["contact_a"]
    assert not Notification.objects.filter(event="order.enquiry").exists()  # staff took it themselves
    with pytest.raises(ValidationFailed, match="Name the organisation the enquiry is for"):
        services.order_create(actor=world["account_manager"], title="No organisation")


def test_the_api_enquiry_and_the_customers_read_only_view(world):
    customer = client_for(world["customer_a"])
    r = post(customer, API, {"title": "Managed Aurora", "description": "Reporting database"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["organisation"] == world["org_a"].pk and body["enquirer"] == world["contact_a"].pk
    assert body["state"] == "enquiry" and body["quotes"] == []
    r = post(customer, API, {"title": "x", "organisation": world["org_b"].pk})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "organisation"
    # the customer reads their orders, but runs none of the order desk's steps on them
    order_id = body["id"]
    assert post(customer, f"{API}/{order_id}/capture", {"solution_architect": 1}).status_code == 403
    etag = customer.get(f"{API}/{order_id}")["ETag"]
    r = customer.patch(
        f"{API}/{order_id}",
        data=json.dumps({"title": "y"}),
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert r.status_code == 403
    # customer B neither sees it nor enquires into A
    other = client_for(world["customer_b"])
    assert other.get(f"{API}/{order_id}").status_code == 404
    assert all(o["id"] != order_id for o in other.get(API).json()["results"])


def test_the_portal_enquiry_page(world):
    customer = client_for(world["customer_a"])
    page = customer.get(reverse("orders:order_create")).content.decode()
    assert "Raise an enquiry" in page and 'name="organisation"' not in page
    r = customer.post(
        reverse("orders:order_create"), {"title": "Control Tower", "description": "Landing zone"}
    )
    assert r.status_code == 302
    order = Order.objects.get(title="Control Tower")
    assert order.organisation == world["org_a"] and order.enquirer == world["contact_a"]
    detail = customer.get(r["Location"]).content.decode()
    assert world["contact_a"].name in detail and "Enquiry" in detail
    # an empty title is a form error; nothing is created
    r = customer.post(reverse("orders:order_create"), {"title": ""})
    assert r.status_code == 200 and Order.objects.filter(organisation=world["org_a"]).count() == 1
    # the list and the home page lead to it
    assert reverse("orders:order_create") in customer.get(reverse("orders:order_list")).content.decode()


# --- quote versions and validity -----------------------------------------------------------------


def test_re_quoting_keeps_every_version_with_its_lines_total_who_and_when(world):
    order = order_at(world, "a", OrderState.QUOTED)
    first = Quote.objects.get(order=order)
    assert first.number == 1 and first.total == LINES_TOTAL and first.currency == "GBP"
    assert first.quoted_by == world["admin"] and first.valid_until == _today() + dt.timedelta(days=30)
    assert [line["amount"] for line in first.lines] == ["3250.00", "239.88", "1250.50", "2400.00"]
    valid_until = _today() + dt.timedelta(days=10)
    order = _requote(world, order, currency="EUR", valid_until=valid_until)
    versions = list(Quote.objects.filter(order=order).order_by("number"))
    assert [(q.number, q.total, q.currency) for q in versions] == [
        (1, LINES_TOTAL, "GBP"),
        (2, Decimal("2200.10"), "EUR"),
    ]
    assert versions[0].superseded_at is not None and versions[1].superseded_at is None
    assert versions[1].valid_until == valid_until
    assert len(versions[0].lines) == 4  # the earlier lines are kept on their version
    assert _reload(order).quote_total == Decimal("2200.10")  # the order's lines are the current ones


@pytest.mark.parametrize(
    "valid_until,message",
    [
        ("2001-01-01", "in the past"),
        ("not-a-date", "Not a date"),
        ("2999-01-01", "at most 365 days"),
    ],
)
def test_a_bad_valid_until_is_refused_and_nothing_changes(world, valid_until, message):
    order = order_at(world, "a", OrderState.QUOTED)
    with pytest.raises(ValidationFailed) as caught:
        _requote(world, order, valid_until=valid_until)
    assert caught.value.errors[0]["field"] == "valid_until" and message in caught.value.errors[0]["message"]
    assert Quote.objects.filter(order=order).count() == 1


def test_accepting_a_superseded_quote_is_refused_naming_the_current_one(world):
    order = _requote(world, order_at(world, "a", OrderState.QUOTED))
    before = _reload(order).version
    with pytest.raises(Conflict, match="Quote v1 was superseded by v2") as caught:
        services.order_accept_quote(actor=world["customer_a"], order=order, quote=1, **good_form(world, "a"))
    assert caught.value.errors[0]["field"] == "quote"
    with pytest.raises(ValidationFailed, match="no quote version 7"):
        services.order_accept_quote(actor=world["customer_a"], order=order, quote=7, **good_form(world, "a"))
    assert _reload(order).state == OrderState.QUOTED and _reload(order).version == before
    assert not Quote.objects.filter(order=order, accepted_at__isnull=False).exists()
    # the current one is accepted, with who and when
    order = services.order_accept_quote(
        actor=world["customer_a"], order=order, quote=2, **good_form(world, "a")
    )
    current = Quote.objects.get(order=order, number=2)
    assert current.accepted_by == world["customer_a"] and current.accepted_at is not None
    assert order.events.last().note.startswith("Quote v2 (GBP 2,200.10) accepted")


def test_accepting_an_expired_quote_is_refused(world):
    order = order_at(world, "a", OrderState.QUOTED)
    yesterday = _today() - dt.timedelta(days=1)
    Quote.objects.filter(order=order).update(valid_until=yesterday)
    with pytest.raises(Conflict, match=f"Quote v1 expired on {yesterday:%d %b %Y}; ask for a new quote"):
        services.order_accept_quote(actor=world["customer_a"], order=order, **good_form(world, "a"))
    assert _reload(order).state == OrderState.QUOTED and _reload(order).purchase_order == ""
    # a quote valid through today is still accepted today; a new quote re-opens it
    order = _requote(world, order, valid_until=_today())
    order = services.order_accept_quote(actor=world["customer_a"], order=order, **good_form(world, "a"))
    assert order.state == OrderState.RECEIVED


def test_accepting_twice_is_refused_naming_the_state(world):
    order = order_at(world, "a", OrderState.RECEIVED)
    with pytest.raises(Conflict, match="order form received"):
        services.order_accept_quote(actor=world["customer_a"], order=order, **good_form(world, "a"))
    accepted = services.order_accept(actor=world["admin"], order=order)
    reference = accepted.reference
    with pytest.raises(Conflict, match=r"Cannot accept: order ORD-\d{4}-\d{6} is accepted"):
        services.order_accept(actor=world["admin"], order=accepted)
    assert _reload(order).reference == reference
    assert Notification.objects.filter(event="order.accepted").count() == 1


def test_the_acceptance_email_names_the_reference_to_the_order_contact(world):
    order = services.order_accept(actor=world["admin"], order=order_at(world, "a", OrderState.VALIDATED))
    email = Notification.objects.get(event="order.accepted")
    assert email.recipient == "orders-a@" + world["org_a"].name.split()[-1].lower() + ".test"
    assert order.reference in email.subject and order.reference in email.body


def test_the_api_shows_versions_and_refuses_an_old_or_expired_quote(world, manager):
    order = _requote(world, order_at(world, "a", OrderState.QUOTED))
    customer = client_for(world["customer_a"])
    body = customer.get(f"{API}/{order.pk}").json()
    assert [(q["number"], q["status"], q["total"]) for q in body["quotes"]] == [
        (2, "current", "2200.10"),
        (1, "superseded", "7140.38"),
    ]
    form = {**good_form(world, "a"), "requested_start": good_form(world, "a")["requested_start"].isoformat()}
    r = post(customer, f"{API}/{order.pk}/accept-quote", {**form, "quote": 1})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "quote"
    Quote.objects.filter(order=order, number=2).update(valid_until=_today() - dt.timedelta(days=1))
    r = post(customer, f"{API}/{order.pk}/accept-quote", form)
    assert r.status_code == 409 and "expired" in r.json()["detail"]
    assert customer.get(f"{API}/{order.pk}").json()["quotes"][0]["status"] == "expired"
    # staff give a new quote a validity of their choosing; a bad one is a 422 naming the field
    staff = client_for(manager)
    r = post(staff, f"{API}/{order.pk}/quote", {"lines": LINES, "valid_until": "2001-01-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "valid_until"
    until = (_today() + dt.timedelta(days=45)).isoformat()
    r = post(staff, f"{API}/{order.pk}/quote", {"lines": LINES, "valid_until": until})
    newest = r.json()["quotes"][0]
    assert r.status_code == 200
    assert (newest["number"], newest["valid_until"], newest["status"]) == (3, until, "current")


def test_the_order_page_shows_the_versions_and_hides_accepting_an_expired_quote(world, manager):
    order = _requote(world, order_at(world, "a", OrderState.QUOTED))
    customer = client_for(world["customer_a"])
    page = customer.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="quote-versions"' in page and 'data-testid="quote-v1"' in page
    assert "superseded" in page and "7140.38" in page and "2200.10" in page
    assert reverse("orders:order_accept_quote", args=[order.pk]) in page
    assert reverse("orders:order_validate", args=[order.pk]) not in page  # read-only for customers
    Quote.objects.filter(order=order, number=2).update(valid_until=_today() - dt.timedelta(days=1))
    page = customer.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="quote-expired"' in page and "ask your account manager" in page
    assert reverse("orders:order_accept_quote", args=[order.pk]) not in page
    # posting the page anyway is refused on the form, naming the problem
    r = customer.post(
        reverse("orders:order_accept_quote", args=[order.pk]),
        {"version": _reload(order).version, "quote": "2", "purchase_order": "PO-1"},
    )
    assert r.status_code == 200 and "expired on" in r.content.decode()
    assert _reload(order).state == OrderState.QUOTED


def test_the_customer_sees_what_is_missing_from_their_order_form(world):
    order = order_at(world, "a", OrderState.QUOTED)
    services.order_accept_quote(actor=world["customer_a"], order=order, purchase_order="PO-77")
    services.order_validate(actor=world["admin"], order=_reload(order))
    page = (
        client_for(world["customer_a"]).get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    )
    assert "Your order form is missing or has wrong data" in page
    assert "A billing address is required." in page
    assert reverse("orders:order_update_form", args=[order.pk]) in page
    assert reverse("orders:order_accept", args=[order.pk]) not in page


# --- the acceptance deadline's warning and breach --------------------------------------------------


def _validated_at(world, when: dt.datetime) -> Order:
    order = order_at(world, "a", OrderState.RECEIVED)
    Order.objects.filter(pk=order.pk).update(form_received_at=when)
    return _reload(services.order_validate(actor=world["admin"], order=_reload(order)))


def test_the_warning_and_the_breach_are_told_to_the_order_desk_once(world):
    Organisation.objects.filter(pk=world["org_a"].pk).update(account_manager=world["account_manager"])
    order = _validated_at(world, dt.datetime(2026, 12, 1, 10, 0, tzinfo=LONDON))  # due Fri 4 Dec 10:00
    deadlines_sweep(now=dt.datetime(2026, 12, 3, 16, 0, tzinfo=LONDON))  # past 80 %: the warning only
    warned = Notification.objects.filter(event="order.acceptance_warning")
    assert {n.recipient for n in warned} == {
        world["solutions_architect"].email,
        world["account_manager"].email,
    }
    assert not Notification.objects.filter(event="order.acceptance_breach").exists()
    deadlines_sweep(now=dt.datetime(2026, 12, 4, 10, 1, tzinfo=LONDON))
    deadlines_sweep(now=dt.datetime(2026, 12, 4, 11, 0, tzinfo=LONDON))  # a second run adds nothing
    breached = Notification.objects.filter(event="order.acceptance_breach")
    assert breached.count() == 2 and warned.count() == 2
    assert all("overdue" in n.subject.lower() and order.title in n.subject for n in breached)
    notes = list(OrderEvent.objects.filter(order=order).values_list("note", flat=True))
    assert sum("Acceptance deadline warning" in n for n in notes) == 1
    assert sum("Acceptance deadline breached" in n for n in notes) == 1


def test_an_order_accepted_in_time_hears_nothing_from_the_sweep(world):
    order = _validated_at(world, dt.datetime(2026, 12, 1, 10, 0, tzinfo=LONDON))
    services.order_accept(actor=world["admin"], order=order)
    deadlines_sweep(now=dt.datetime(2026, 12, 8, 10, 0, tzinfo=LONDON))
    assert not Notification.objects.filter(event__startswith="order.acceptance_").exists()


def test_the_staff_desk_shows_orders_due_for_acceptance_overdue_in_red(world, manager):
    overdue = _validated_at(world, timezone.now() - dt.timedelta(days=10))
    in_time = order_at(world, "a", OrderState.VALIDATED, title="In time", service_reference="EKS-IN-TIME")
    page = client_for(manager).get("/").content.decode()
    assert 'data-testid="orders-awaiting-acceptance"' in page
    assert page.count('data-testid="order-overdue-row"') == 1
    row = page.split('data-testid="order-overdue-row"')[1].split("</tr>")[0]
    assert overdue.title in row and in_time.title not in row and "Overdue" in row
    assert "orders/orders.css" in page  # where order-overdue-row is red


def test_the_customer_home_says_a_quote_expired_instead_of_offering_it(world):
    order = order_at(world, "a", OrderState.QUOTED, title="Old quote")
    customer = client_for(world["customer_a"])
    page = customer.get(reverse("web:home")).content.decode()
    assert "Quote to accept" in page and 'data-testid="quote-expired-badge"' not in page
    Quote.objects.filter(order=order).update(valid_until=_today() - dt.timedelta(days=1))
    page = customer.get(reverse("web:home")).content.decode()
    assert 'data-testid="quote-expired-badge"' in page and "Quote to accept" not in page
