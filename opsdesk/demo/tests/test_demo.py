"""`opsdesk demo` (L5): it creates what it says, through audited services, and is idempotent."""

import datetime as dt
import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from opsdesk.core.models import AuditEvent
from opsdesk.core.roles import STAFF_ROLES, Role
from opsdesk.directory.choices import CONTACT_FLAGS, Environment, OnboardingState
from opsdesk.directory.demo import DEMO_PASSWORD
from opsdesk.directory.models import CloudAccount, NamedContact, Organisation, Runbook, Service, User

pytestmark = pytest.mark.django_db

MODELS = (Organisation, CloudAccount, NamedContact, Service, Runbook, User, AuditEvent)


def _sign_in_request():
    """Sign-in always has a request (the lockout counts by its address)."""
    return RequestFactory().post("/login/", REMOTE_ADDR="192.0.2.10")


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


@pytest.fixture
def demo():
    return run_demo()


def test_three_organisations_with_plans_calendars_and_assigned_staff(demo):
    orgs = {o.name: o for o in Organisation.objects.select_related("service_plan", "calendar")}
    assert set(orgs) == {"Northwind Trading", "Contoso Health", "Fabrikam Labs"}
    assert orgs["Northwind Trading"].service_plan.code == "accelerate"
    assert orgs["Northwind Trading"].calendar.name == "uk"
    assert orgs["Contoso Health"].service_plan.code == "advanced"
    assert orgs["Fabrikam Labs"].service_plan.code == "advanced"
    for org in orgs.values():
        assert org.csdm.role == Role.CSDM
        assert org.account_manager.role == Role.ACCOUNT_MANAGER
        assert org.solutions_architect.role == Role.SOLUTIONS_ARCHITECT


def test_account_structure(demo):
    northwind = CloudAccount.objects.filter(organisation__name="Northwind Trading")
    management = northwind.get(is_management_account=True)
    assert management.all_features and management.onboarding_state == OnboardingState.ONBOARDED
    members = northwind.filter(management_account=management)
    assert members.count() == 3
    assert set(members.values_list("onboarding_state", flat=True)) == {OnboardingState.ONBOARDED}

    contoso = CloudAccount.objects.filter(organisation__name="Contoso Health")
    assert contoso.count() == 2
    assert all(not a.is_management_account and a.management_account_id is None for a in contoso)
    assert set(contoso.values_list("onboarding_state", flat=True)) == {OnboardingState.ONBOARDED}

    fabrikam = CloudAccount.objects.get(organisation__name="Fabrikam Labs")
    assert fabrikam.onboarding_state == OnboardingState.ONBOARDING

    for account in CloudAccount.objects.all():
        assert len(account.account_id) == 12 and account.account_id.isdigit()
        assert account.regions


def test_contacts_cover_every_flag_and_one_is_stale(demo):
    for flag, label in CONTACT_FLAGS:
        assert NamedContact.objects.filter(**{flag: True}).exists(), f"no contact is a {label}"
    now = timezone.now()
    stale = [c for c in NamedContact.objects.all() if now - c.last_verified_at > dt.timedelta(days=90)]
    assert len(stale) == 1 and stale[0].verified_days_ago() == 200
    for contact in NamedContact.objects.all():
        assert contact.phone and contact.availability_in_hours
        assert contact.gdpr_consent and contact.gdpr_consent_at is not None
    for org in Organisation.objects.all():
        assert org.contacts.exists()


def test_services_on_onboarded_accounts_with_runbooks(demo):
    for org in Organisation.objects.exclude(name="Fabrikam Labs"):
        envs = set(org.services.values_list("environment", flat=True))
        assert envs == {Environment.PRODUCTION, Environment.NON_PRODUCTION}, org
    assert not Service.objects.filter(organisation__name="Fabrikam Labs").exists()
    references = set(Service.objects.values_list("reference", flat=True))
    assert {"NW-PROD-WEB", "NW-DEV-WEB", "CH-PROD-EHR"} <= references
    for service in Service.objects.prefetch_related("accounts", "contacts", "runbooks"):
        assert service.accounts.exists() and service.contacts.exists()
        assert {a.onboarding_state for a in service.accounts.all()} == {OnboardingState.ONBOARDED}
        assert {a.organisation_id for a in service.accounts.all()} == {service.organisation_id}
        assert {c.organisation_id for c in service.contacts.all()} == {service.organisation_id}
        runbooks = list(service.runbooks.all())
        assert runbooks
        for runbook in runbooks:
            assert "## Restart procedure" in runbook.body and "## Escalation" in runbook.body
            assert "|---|" in runbook.body


def test_a_user_per_staff_role(demo):
    for role in STAFF_ROLES:
        user = User.objects.get(email=f"{role}@provider.example")
        assert user.role == role and user.full_name and user.contact_id is None
        assert authenticate(_sign_in_request(), username=user.email, password=DEMO_PASSWORD) == user


@pytest.mark.parametrize("email, organisation", [
    ("ops@northwind.example", "Northwind Trading"),
    ("it@contoso.example", "Contoso Health"),
    ("cto@fabrikam.example", "Fabrikam Labs"),
])
def test_customer_users_can_sign_in(demo, email, organisation):
    user = authenticate(_sign_in_request(), username=email, password=DEMO_PASSWORD)
    assert user is not None and user.role == Role.CUSTOMER
    assert user.contact.email == email
    assert user.contact.organisation.name == organisation
    assert authenticate(_sign_in_request(), username=email, password="wrong-password") is None


def test_everything_is_audited(demo):
    audited = set(AuditEvent.objects.filter(action="create").values_list("object_type", "object_id"))
    for model in (Organisation, CloudAccount, NamedContact, Service, Runbook, User):
        for pk in model.objects.values_list("pk", flat=True):
            assert (model._meta.label_lower, str(pk)) in audited
    admin = User.objects.get(email="administrator@provider.example")
    desk = User.objects.get(email="service_desk@provider.example")  # logs and handles the demo incidents
    actors = set(
        AuditEvent.objects.exclude(object_id=str(admin.pk), object_type="directory.user").values_list(
            "actor_id", flat=True
        )
    )
    # Operations on Demand: the account manager keeps the catalogue and submits on behalf of the
    # customers; the operations reviewer decides; an engineer logs time; billing closes a month.
    manager = User.objects.get(email="account_manager@provider.example")
    reviewer = User.objects.get(email="operations_reviewer@provider.example")
    engineer = User.objects.get(email="engineer@provider.example")
    billing = User.objects.get(email="billing@provider.example")
    # Change management (D1–D5): the customers' change approvers submit, approve and reject; the
    # cloud support manager decides an emergency change as its incident owner.
    approvers = set(
        User.objects.filter(
            email__in=("ops@northwind.example", "it@contoso.example", "cto@fabrikam.example")
        ).values_list("pk", flat=True)
    )
    owner = User.objects.get(email="cloud_support_manager@provider.example")
    # Maintenance (E2): the CSDM records the agreed windows and the blackout.
    csdm = User.objects.get(email="csdm@provider.example")
    staff = {admin.pk, desk.pk, manager.pk, reviewer.pk, engineer.pk, billing.pk, owner.pk, csdm.pk}
    # The demo's alarms and security events (issue 12) go through the intake as the system, as
    # real ones do: no person acted.
    assert actors - {None} == staff | approvers


def test_running_twice_changes_nothing(demo):
    before = counts()
    assert before["Organisation"] == 3 and before["CloudAccount"] == 7
    versions = sorted(Organisation.objects.values_list("pk", "version"))
    output = run_demo()
    assert counts() == before
    assert sorted(Organisation.objects.values_list("pk", "version")) == versions
    assert "nothing changed" in output


def test_prints_the_logins(demo):
    for email in ["administrator@provider.example", "service_desk@provider.example", "ops@northwind.example",
                  "it@contoso.example", "cto@fabrikam.example"]:
        assert email in demo
    assert "Customer user — Northwind Trading" in demo
    assert DEMO_PASSWORD in demo
