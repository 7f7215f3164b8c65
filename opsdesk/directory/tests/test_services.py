"""Bad input to the directory services (A1–A5): each is refused naming the field; nothing is stored."""

import pytest

from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.core.models import AuditEvent
from opsdesk.directory import services
from opsdesk.directory.models import CloudAccount, NamedContact, Organisation, Service, User


def fields_of(exc: ValidationFailed) -> set[str]:
    return {e["field"] for e in exc.errors}


def refused(field, fn, **kwargs):
    before = (AuditEvent.objects.count(), CloudAccount.objects.count(), NamedContact.objects.count())
    with pytest.raises(ValidationFailed) as info:
        fn(**kwargs)
    assert field in fields_of(info.value), info.value.errors
    assert (AuditEvent.objects.count(), CloudAccount.objects.count(), NamedContact.objects.count()) == before
    return info.value


@pytest.mark.parametrize(
    "bad", ["11111111111", "1111111111111", "12345678901a", "abcdefghijkl", " 12345 ", ""]
)
def test_account_id_must_be_exactly_12_digits(world, bad):
    refused(
        "account_id",
        services.account_create,
        actor=world["admin"],
        organisation=world["org_a"],
        account_id=bad,
    )


def test_duplicate_account_id_is_refused_even_across_organisations(world):
    exc = refused(
        "account_id",
        services.account_create,
        actor=world["admin"],
        organisation=world["org_b"],
        account_id=world["account_a"].account_id,
    )
    assert "already exists" in exc.detail


def test_member_account_needs_a_management_account_of_its_own_organisation(world):
    admin = world["admin"]
    exc = refused(
        "management_account",
        services.account_create,
        actor=admin,
        organisation=world["org_b"],
        account_id="444444444401",
        management_account=world["account_a"].pk,
    )
    assert "No such account" in exc.detail or "another organisation" in exc.detail
    exc = refused(
        "management_account",
        services.account_create,
        actor=admin,
        organisation=world["org_a"],
        account_id="444444444402",
        management_account=world["member_a"].pk,
    )
    assert "not a management account" in exc.detail


def test_all_features_only_on_a_management_account(world):
    refused(
        "all_features",
        services.account_create,
        actor=world["admin"],
        organisation=world["org_a"],
        account_id="444444444403",
        all_features=True,
    )


def test_regions_must_be_aws_region_names(world):
    refused(
        "regions",
        services.account_create,
        actor=world["admin"],
        organisation=world["org_a"],
        account_id="444444444404",
        regions=["mars-north-1"],
    )


def test_contact_without_email_or_with_a_bad_one(world):
    refused(
        "email",
        services.contact_create,
        actor=world["admin"],
        organisation=world["org_a"],
        name="No Mail",
        email="",
    )
    refused(
        "email",
        services.contact_create,
        actor=world["admin"],
        organisation=world["org_a"],
        name="Bad",
        email="not-an-email",
    )


def test_unknown_calendar_and_plan(world):
    exc = refused(
        "calendar",
        services.organisation_create,
        actor=world["admin"],
        name="X",
        service_plan="advanced",
        calendar="mars",
    )
    assert "uk" in exc.detail and "24x7" in exc.detail
    refused("service_plan", services.organisation_create, actor=world["admin"], name="X", service_plan="gold")
    assert not Organisation.objects.filter(name="X").exists()


def test_assigned_csdm_must_have_the_csdm_role(world):
    refused(
        "csdm",
        services.organisation_create,
        actor=world["admin"],
        name="X",
        service_plan="advanced",
        csdm=world["engineer"].pk,
    )


def test_unknown_role(world):
    refused(
        "role",
        services.user_create,
        actor=world["admin"],
        email="x@provider.test",
        full_name="X",
        role="overlord",
    )
    refused(
        "contact",
        services.user_create,
        actor=world["admin"],
        email="y@provider.test",
        full_name="Y",
        role="customer",
    )
    assert not User.objects.filter(email__in=["x@provider.test", "y@provider.test"]).exists()


def test_oversized_and_nul_strings(world):
    refused(
        "name",
        services.contact_create,
        actor=world["admin"],
        organisation=world["org_a"],
        name="x" * 201,
        email="big@a.test",
    )
    refused(
        "name",
        services.contact_create,
        actor=world["admin"],
        organisation=world["org_a"],
        name="nul\x00",
        email="nul@a.test",
    )
    refused(
        "notes",
        services.organisation_create,
        actor=world["admin"],
        name="Big",
        service_plan="advanced",
        notes="n" * 10_001,
    )
    refused(
        "calendar",
        services.organisation_create,
        actor=world["admin"],
        name="Nul",
        service_plan="advanced",
        calendar="uk\x00",
    )


def test_p1_grade_service_accounts_must_be_onboarded_and_own(world):
    admin = world["admin"]
    onboarding = services.account_create(actor=admin, organisation=world["org_a"], account_id="555555555501")
    refused(
        "accounts",
        services.service_create,
        actor=admin,
        organisation=world["org_a"],
        reference="S-1",
        name="S",
        environment="production",
        accounts=[onboarding.pk],
    )
    refused(
        "accounts",
        services.service_create,
        actor=admin,
        organisation=world["org_a"],
        reference="S-2",
        name="S",
        environment="production",
        accounts=[world["account_b"].pk],
    )
    refused(
        "environment",
        services.service_create,
        actor=admin,
        organisation=world["org_a"],
        reference="S-3",
        name="S",
        environment="staging",
    )
    assert not Service.objects.filter(reference__in=["S-1", "S-2", "S-3"]).exists()


def test_failed_update_leaves_the_row_and_the_audit_log_untouched(world):
    account = world["member_a"]
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed):
        services.account_update(actor=world["admin"], account=account, name="renamed", account_id="12")
    account.refresh_from_db()
    assert account.name != "renamed" and account.account_id == "111111111102"
    assert AuditEvent.objects.count() == events


def test_customers_and_unauthorised_staff_cannot_write(world):
    with pytest.raises(PermissionDenied):
        services.contact_update(actor=world["customer_a"], contact=world["contact_a"], phone="1")
    with pytest.raises(PermissionDenied):
        services.user_create(actor=world["engineer"], email="z@provider.test", full_name="Z", role="engineer")


def test_gdpr_consent_is_timestamped_when_given_and_cleared_when_withdrawn(world):
    contact = services.contact_update(actor=world["admin"], contact=world["contact_a"], gdpr_consent=True)
    assert contact.gdpr_consent_at is not None
    contact = services.contact_update(actor=world["admin"], contact=contact, gdpr_consent=False)
    assert contact.gdpr_consent_at is None


def test_member_structure_is_kept(world):
    assert list(world["account_a"].member_accounts.all()) == [world["member_a"]]
    with pytest.raises(ValidationFailed) as info:
        services.account_update(
            actor=world["admin"], account=world["account_a"], is_management_account=False, all_features=False
        )
    assert "member accounts" in info.value.detail
