"""Bad input to the directory services (A1–A5): each is refused naming the field; nothing is stored."""

import pytest

from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.core.models import AuditEvent
from opsdesk.directory import services
from opsdesk.directory.models import CloudAccount, NamedContact, Organisation, Service, User


def fields_of(exc: ValidationFailed) -> set[str]:
    return {e["field"] for e in exc.errors}


STORED = (AuditEvent, Organisation, CloudAccount, NamedContact, Service, User)


def _rows() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in STORED)


def refused(field, fn, **kwargs):
    before = _rows()
    with pytest.raises(ValidationFailed) as info:
        fn(**kwargs)
    assert field in fields_of(info.value), info.value.errors
    assert _rows() == before
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


def _resolved(w, fields: dict) -> dict:
    """Arguments, some read from the world (functions of it)."""
    return {name: value(w) if callable(value) else value for name, value in fields.items()}


def _account(org: str = "org_a", **fields):
    return "account_create", lambda w: {"organisation": w[org], **_resolved(w, fields)}


def _contact(name: str, email: str):
    return "contact_create", lambda w: {"organisation": w["org_a"], "name": name, "email": email}


def _organisation(**fields):
    return "organisation_create", lambda w: {"service_plan": "advanced", **_resolved(w, fields)}


def _service(reference: str, environment: str = "production", **fields):
    def arguments(w):
        known = {"organisation": w["org_a"], "reference": reference, "name": "S", "environment": environment}
        return {**known, **_resolved(w, fields)}

    return "service_create", arguments


def _onboarding_account(w):
    return services.account_create(actor=w["admin"], organisation=w["org_a"], account_id="555555555501")


def _user(email: str, role: str):
    return "user_create", lambda w: {"email": email, "full_name": "X", "role": role}


#: Bad input and the field it is refused on (with phrases of the message, where they matter): nothing
#: is stored and nothing audited (A1–A5).
REFUSALS = {
    "account id of another organisation's account": (
        "account_id", _account("org_b", account_id=lambda w: w["account_a"].account_id), ("already exists",)
    ),
    "management account of another organisation": (
        "management_account",
        _account("org_b", account_id="444444444401", management_account=lambda w: w["account_a"].pk),
        ("another organisation",),
    ),
    "management account that is a member": (
        "management_account",
        _account(account_id="444444444402", management_account=lambda w: w["member_a"].pk),
        ("not a management account",),
    ),
    "all features on a member account": (
        "all_features", _account(account_id="444444444403", all_features=True), ()
    ),
    "not an AWS region": ("regions", _account(account_id="444444444404", regions=["mars-north-1"]), ()),
    "contact without email": ("email", _contact("No Mail", ""), ()),
    "contact with a bad email": ("email", _contact("Bad", "not-an-email"), ()),
    "oversized name": ("name", _contact("x" * 201, "big@a.test"), ()),
    "name with NUL": ("name", _contact("nul\x00", "nul@a.test"), ()),
    "unknown calendar": ("calendar", _organisation(name="X", calendar="mars"), ("uk", "24x7")),
    "calendar with NUL": ("calendar", _organisation(name="Nul", calendar="uk\x00"), ()),
    "unknown plan": ("service_plan", _organisation(name="X", service_plan="gold"), ()),
    "oversized notes": ("notes", _organisation(name="Big", notes="n" * 10_001), ()),
    "CSDM without the CSDM role": ("csdm", _organisation(name="X", csdm=lambda w: w["engineer"].pk), ()),
    "unknown role": ("role", _user("x@provider.test", "overlord"), ()),
    "customer without a contact": ("contact", _user("y@provider.test", "customer"), ()),
    "P1-grade service on an account still onboarding": (
        "accounts", _service("S-1", accounts=lambda w: [_onboarding_account(w).pk]), ()
    ),
    "P1-grade service on another organisation's account": (
        "accounts", _service("S-2", accounts=lambda w: [w["account_b"].pk]), ()
    ),
    "unknown environment": ("environment", _service("S-3", environment="staging"), ()),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_bad_input_is_refused_naming_the_field(world, case):
    field, (service, arguments), says = REFUSALS[case]
    exc = refused(field, getattr(services, service), actor=world["admin"], **arguments(world))
    assert all(phrase in exc.detail for phrase in says), exc.detail


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
