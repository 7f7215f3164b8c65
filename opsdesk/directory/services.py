"""Writes to the directory (A1–A5). Each validates, writes in one transaction and audits (L1)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from opsdesk.calendars.selectors import calendar_by_name
from opsdesk.core.errors import NotFound, ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.core.roles import STAFF_ROLES, Role
from opsdesk.core.services import record_create, record_delete, record_update
from opsdesk.core.validation import reject_nul
from opsdesk.directory.choices import CONTACT_FLAGS, NOTIFICATION_FLAGS, OnboardingState
from opsdesk.directory.models import (
    CloudAccount,
    NamedContact,
    Organisation,
    Runbook,
    Service,
    ServicePlan,
    User,
)

_ASSIGNEE_ROLES = {
    "csdm": Role.CSDM,
    "account_manager": Role.ACCOUNT_MANAGER,
    "solutions_architect": Role.SOLUTIONS_ARCHITECT,
}


# --- organisations (A1) ----------------------------------------------------------------------


def _resolve_organisation_refs(changes: dict[str, Any]) -> dict[str, Any]:
    """Turn the API/form vocabulary (plan code, calendar name, user ids) into model values."""
    resolved = dict(changes)
    if "service_plan" in resolved and not isinstance(resolved["service_plan"], ServicePlan):
        code = resolved["service_plan"]
        reject_nul(service_plan=code)
        plan = ServicePlan.objects.filter(code=code).first()
        if plan is None:
            known = ", ".join(ServicePlan.objects.values_list("code", flat=True))
            raise ValidationFailed.field(
                "service_plan", f"Unknown service plan '{code}'. Known plans: {known}."
            )
        resolved["service_plan"] = plan
    if "calendar" in resolved and not hasattr(resolved["calendar"], "pk"):
        reject_nul(calendar=resolved["calendar"])
        resolved["calendar"] = calendar_by_name(str(resolved["calendar"]))
    if resolved.get("sla_policy") is not None and not hasattr(resolved["sla_policy"], "pk"):
        from opsdesk.sla.models import SlaPolicy

        policy = SlaPolicy.objects.filter(pk=resolved["sla_policy"]).first()
        if policy is None:
            raise ValidationFailed.field("sla_policy", f"No SLA policy with id {resolved['sla_policy']}.")
        resolved["sla_policy"] = policy
    for field, role in _ASSIGNEE_ROLES.items():
        if field not in resolved or resolved[field] is None or isinstance(resolved[field], User):
            continue
        person = User.objects.filter(pk=resolved[field], is_active=True).first()
        if person is None or person.role != role:
            raise ValidationFailed.field(field, f"Must be an active user with the role {role.label}.")
        resolved[field] = person
    return resolved


def organisation_create(
    *,
    actor: Any,
    name: str,
    service_plan: str | ServicePlan,
    calendar: str | Any = "uk",
    sla_policy: int | Any | None = None,
    csdm: int | User | None = None,
    account_manager: int | User | None = None,
    solutions_architect: int | User | None = None,
    notes: str = "",
) -> Organisation:
    require_permission(actor, "directory.change_organisation")
    fields = _resolve_organisation_refs(
        dict(
            service_plan=service_plan,
            calendar=calendar,
            sla_policy=sla_policy,
            csdm=csdm,
            account_manager=account_manager,
            solutions_architect=solutions_architect,
        )
    )
    with transaction.atomic():
        return record_create(actor=actor, obj=Organisation(name=name, notes=notes, **fields))


def organisation_update(
    *, actor: Any, organisation: Organisation, expected_version: int | None = None, **changes: Any
) -> Organisation:
    require_permission(actor, "directory.change_organisation")
    with transaction.atomic():
        return record_update(
            actor=actor,
            obj=organisation,
            changes=_resolve_organisation_refs(changes),
            expected_version=expected_version,
        )


# --- cloud accounts (A2) ---------------------------------------------------------------------


def _check_account_structure(account: CloudAccount) -> None:
    """A2: a member's management account is a management account of the same organisation."""
    errors = []
    mgmt = account.management_account
    if mgmt is not None:
        if mgmt.pk == account.pk:
            errors.append({"field": "management_account", "message": "An account cannot manage itself."})
        elif not mgmt.is_management_account:
            errors.append(
                {
                    "field": "management_account",
                    "message": f"Account {mgmt.account_id} is not a management account.",
                }
            )
        elif mgmt.organisation_id != account.organisation_id:
            errors.append(
                {
                    "field": "management_account",
                    "message": f"Account {mgmt.account_id} belongs to another organisation.",
                }
            )
        if account.is_management_account:
            errors.append(
                {
                    "field": "is_management_account",
                    "message": "A member account cannot also be a management account.",
                }
            )
    if account.all_features and not account.is_management_account:
        errors.append(
            {"field": "all_features", "message": "Only a management account has an all-features mode."}
        )
    if account.pk and not account.is_management_account and account.member_accounts.exists():
        errors.append(
            {
                "field": "is_management_account",
                "message": "This account still has member accounts; move them first.",
            }
        )
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


def _resolve_account_refs(actor: Any, changes: dict[str, Any]) -> dict[str, Any]:
    from opsdesk.directory.selectors import account_list, organisation_list

    resolved = dict(changes)
    if "organisation" in resolved and not isinstance(resolved["organisation"], Organisation):
        org = organisation_list(user=actor).filter(pk=resolved["organisation"]).first()
        if org is None:
            raise ValidationFailed.field("organisation", "No such organisation.")
        resolved["organisation"] = org
    if resolved.get("management_account") is not None and not isinstance(
        resolved["management_account"], CloudAccount
    ):
        ref = resolved["management_account"]
        mgmt = (
            account_list(user=actor).filter(pk=ref).first()
            if str(ref).isdigit() and len(str(ref)) < 12
            else None
        )
        if mgmt is None:
            mgmt = account_list(user=actor).filter(account_id=str(ref)).first()
        if mgmt is None:
            raise ValidationFailed.field("management_account", f"No such account: {ref}.")
        resolved["management_account"] = mgmt
    return resolved


def account_create(
    *,
    actor: Any,
    organisation: int | Organisation,
    account_id: str,
    name: str = "",
    regions: Iterable[str] = (),
    onboarding_state: str = OnboardingState.ONBOARDING,
    is_management_account: bool = False,
    all_features: bool = False,
    management_account: int | str | CloudAccount | None = None,
) -> CloudAccount:
    require_permission(actor, "directory.change_cloudaccount")
    fields = _resolve_account_refs(
        actor, {"organisation": organisation, "management_account": management_account}
    )
    account = CloudAccount(
        account_id=str(account_id).strip(),
        name=name,
        regions=list(regions),
        onboarding_state=onboarding_state,
        is_management_account=is_management_account,
        all_features=all_features,
        **fields,
    )
    with transaction.atomic():
        _check_account_structure(account)
        return record_create(actor=actor, obj=account)


def account_update(
    *, actor: Any, account: CloudAccount, expected_version: int | None = None, **changes: Any
) -> CloudAccount:
    require_permission(actor, "directory.change_cloudaccount")
    if "organisation" in changes and changes["organisation"] not in (
        account.organisation_id,
        account.organisation,
    ):
        raise ValidationFailed.field("organisation", "An account cannot move to another organisation.")
    changes.pop("organisation", None)
    if "regions" in changes and changes["regions"] is not None:
        changes["regions"] = list(changes["regions"])
    resolved = _resolve_account_refs(actor, changes)
    with transaction.atomic():
        candidate = CloudAccount.objects.get(pk=account.pk)
        for k, v in resolved.items():
            setattr(candidate, k, v)
        _check_account_structure(candidate)
        return record_update(actor=actor, obj=account, changes=resolved, expected_version=expected_version)


def account_delete(*, actor: Any, account: CloudAccount, expected_version: int | None = None) -> None:
    require_permission(actor, "directory.change_cloudaccount")
    with transaction.atomic():
        record_delete(actor=actor, obj=account, expected_version=expected_version)


# --- named contacts (A3) ---------------------------------------------------------------------


def _flag_label(name: str) -> str:
    return dict(CONTACT_FLAGS)[name]


def _require_contact_editor(actor: Any, organisation_id: int) -> None:
    """Staff directory editors edit any organisation's contacts; a customer administrator only
    their own organisation's (another organisation's contact is, to them, a missing one)."""
    require_permission(actor, "directory.change_namedcontact")
    if not actor.is_provider_staff and actor.customer_organisation_id != organisation_id:
        raise NotFound()


def _contact_consent(actor: Any, changes: dict[str, Any], previous: NamedContact | None) -> dict[str, Any]:
    """GDPR consent records who recorded it, when and how; withdrawing it clears the record and
    the notification flags (a contact who withdrew consent is no longer emailed or paged)."""
    if "gdpr_consent" in changes:
        was = previous.gdpr_consent if previous else False
        if changes["gdpr_consent"] and not was:
            changes["gdpr_consent_at"] = timezone.now()
            changes["gdpr_consent_recorded_by"] = actor if getattr(actor, "pk", None) else None
        elif not changes["gdpr_consent"]:
            changes["gdpr_consent_at"] = None
            changes["gdpr_consent_recorded_by"] = None
            changes["gdpr_consent_method"] = ""
            if was:
                for flag in NOTIFICATION_FLAGS:
                    if not changes.get(flag):
                        changes[flag] = False
    return changes


def _check_contact_rules(actor: Any, changes: dict[str, Any], previous: NamedContact | None) -> None:
    """A contact without recorded GDPR consent, or retired, cannot be made a contact for
    notifications (NOTIFICATION_FLAGS); a customer administrator cannot demote themselves (their
    organisation would be left without one; the provider can)."""
    consent = changes.get("gdpr_consent", previous.gdpr_consent if previous else False)
    retired = previous is not None and previous.retired_at is not None
    errors = []
    for flag in NOTIFICATION_FLAGS:
        turned_on = changes.get(flag) and not (previous is not None and getattr(previous, flag))
        if turned_on and retired:
            message = "A retired contact cannot be made a contact for notifications."
            errors.append({"field": flag, "message": message})
        elif turned_on and not consent:
            errors.append(
                {
                    "field": flag,
                    "message": f"{_flag_label(flag)}: only a contact with recorded GDPR consent can be "
                    "made a contact for notifications. Record their consent first.",
                }
            )
    own = previous is not None and getattr(actor, "contact_id", None) == previous.pk
    if own and not actor.is_provider_staff and changes.get("is_customer_administrator") is False:
        errors.append(
            {
                "field": "is_customer_administrator",
                "message": "You cannot remove your own customer administrator flag; ask another "
                "administrator of your organisation or your service desk.",
            }
        )
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


def contact_create(*, actor: Any, organisation: int | Organisation, **fields: Any) -> NamedContact:
    require_permission(actor, "directory.change_namedcontact")
    org = _resolve_account_refs(actor, {"organisation": organisation})["organisation"]
    _require_contact_editor(actor, org.pk)
    fields.pop("retired_at", None)
    fields = _contact_consent(actor, dict(fields), None)
    _check_contact_rules(actor, fields, None)
    if "email" in fields and isinstance(fields["email"], str):
        fields["email"] = fields["email"].strip().lower()
    with transaction.atomic():
        return record_create(actor=actor, obj=NamedContact(organisation=org, **fields))


def contact_update(
    *, actor: Any, contact: NamedContact, expected_version: int | None = None, **changes: Any
) -> NamedContact:
    _require_contact_editor(actor, contact.organisation_id)
    if "organisation" in changes:
        if changes.pop("organisation") not in (contact.organisation_id, contact.organisation):
            raise ValidationFailed.field("organisation", "A contact cannot move to another organisation.")
    changes.pop("retired_at", None)
    if isinstance(changes.get("email"), str):
        changes["email"] = changes["email"].strip().lower()
    changes = _contact_consent(actor, changes, contact)
    _check_contact_rules(actor, changes, contact)
    with transaction.atomic():
        return record_update(actor=actor, obj=contact, changes=changes, expected_version=expected_version)


def contact_mark_verified(
    *, actor: Any, contact: NamedContact, expected_version: int | None = None
) -> NamedContact:
    """I3: a contact's details were confirmed with them today (by the provider, or by their own
    organisation's customer administrator)."""
    return contact_update(
        actor=actor, contact=contact, expected_version=expected_version, last_verified_at=timezone.now()
    )


def contact_record_consent(
    *, actor: Any, contact: NamedContact, method: str, expected_version: int | None = None
) -> NamedContact:
    """GDPR: the contact consented to being held and contacted; who recorded it, when and how."""
    _require_contact_editor(actor, contact.organisation_id)
    method = (method or "").strip()
    reject_nul(method=method)
    if not method:
        raise ValidationFailed.field(
            "method", "Say how consent was given (e.g. signed form, email of 3 March)."
        )
    if len(method) > 200:
        raise ValidationFailed.field("method", "At most 200 characters.")
    if contact.retired_at is not None:
        raise ValidationFailed.field("__all__", "This contact is retired.")
    changes = {
        "gdpr_consent": True,
        "gdpr_consent_at": timezone.now(),
        "gdpr_consent_method": method,
        "gdpr_consent_recorded_by": actor,
    }
    with transaction.atomic():
        return record_update(actor=actor, obj=contact, changes=changes, expected_version=expected_version)


def contact_withdraw_consent(
    *, actor: Any, contact: NamedContact, expected_version: int | None = None
) -> NamedContact:
    """GDPR: consent withdrawn; the contact is no longer a contact for notifications."""
    if not contact.gdpr_consent:
        _require_contact_editor(actor, contact.organisation_id)
        raise ValidationFailed.field("gdpr_consent", "No consent is recorded for this contact.")
    return contact_update(
        actor=actor, contact=contact, expected_version=expected_version, gdpr_consent=False
    )


def contact_retire(*, actor: Any, contact: NamedContact, expected_version: int | None = None) -> NamedContact:
    """The person left or no longer acts for the organisation: kept for the record (incidents
    refer to them), no longer a contact for notifications or an administrator, and their portal
    user signs in no more."""
    _require_contact_editor(actor, contact.organisation_id)
    if contact.retired_at is not None:
        raise ValidationFailed.field("__all__", "This contact is already retired.")
    if getattr(actor, "contact_id", None) == contact.pk:
        raise ValidationFailed.field("__all__", "You cannot retire yourself; ask another administrator.")
    changes: dict[str, Any] = {"retired_at": timezone.now(), "is_customer_administrator": False}
    changes.update({flag: False for flag in NOTIFICATION_FLAGS})
    with transaction.atomic():
        retired = record_update(actor=actor, obj=contact, changes=changes, expected_version=expected_version)
        person = User.objects.filter(contact=retired, is_active=True).first()
        if person is not None:
            record_update(actor=actor, obj=person, changes={"is_active": False}, public=False)
        return retired


def contact_delete(*, actor: Any, contact: NamedContact, expected_version: int | None = None) -> None:
    _require_contact_editor(actor, contact.organisation_id)
    with transaction.atomic():
        record_delete(actor=actor, obj=contact, expected_version=expected_version)


# --- services and runbooks (A5) --------------------------------------------------------------


def _service_links(
    actor: Any, org: Organisation, account_ids: Iterable[Any] | None, contact_ids: Iterable[Any] | None
) -> dict[str, list]:
    """A5 + A2: a service's accounts are the organisation's onboarded accounts; its contacts are its own."""
    links: dict[str, list] = {}
    if account_ids is not None:
        wanted = list(dict.fromkeys(account_ids))
        accounts = list(
            CloudAccount.objects.filter(organisation=org, pk__in=[a for a in wanted if str(a).isdigit()])
        )
        found = {a.pk for a in accounts}
        missing = [str(a) for a in wanted if not str(a).isdigit() or int(a) not in found]
        if missing:
            raise ValidationFailed.field("accounts", f"Not accounts of {org}: {', '.join(missing)}.")
        not_onboarded = [a.account_id for a in accounts if a.onboarding_state != OnboardingState.ONBOARDED]
        if not_onboarded:
            raise ValidationFailed.field(
                "accounts",
                f"Only onboarded accounts receive services; not onboarded: {', '.join(not_onboarded)}.",
            )
        links["accounts"] = accounts
    if contact_ids is not None:
        wanted = list(dict.fromkeys(contact_ids))
        contacts = list(
            NamedContact.objects.filter(organisation=org, pk__in=[c for c in wanted if str(c).isdigit()])
        )
        if len(contacts) != len(wanted):
            raise ValidationFailed.field("contacts", f"Every contact must be a named contact of {org}.")
        links["contacts"] = contacts
    return links


def service_create(
    *,
    actor: Any,
    organisation: int | Organisation,
    reference: str,
    name: str,
    environment: str,
    description: str = "",
    accounts: Iterable[Any] = (),
    contacts: Iterable[Any] = (),
) -> Service:
    require_permission(actor, "directory.change_service")
    org = _resolve_account_refs(actor, {"organisation": organisation})["organisation"]
    with transaction.atomic():
        links = _service_links(actor, org, accounts, contacts)
        service = Service(
            organisation=org, reference=reference, name=name, environment=environment, description=description
        )
        return record_create(actor=actor, obj=service, m2m=links)


def service_update(
    *,
    actor: Any,
    service: Service,
    expected_version: int | None = None,
    accounts: Iterable[Any] | None = None,
    contacts: Iterable[Any] | None = None,
    **changes: Any,
) -> Service:
    require_permission(actor, "directory.change_service")
    if "organisation" in changes:
        if changes.pop("organisation") not in (service.organisation_id, service.organisation):
            raise ValidationFailed.field("organisation", "A service cannot move to another organisation.")
    with transaction.atomic():
        links = _service_links(actor, service.organisation, accounts, contacts)
        return record_update(
            actor=actor, obj=service, changes=changes, expected_version=expected_version, m2m=links
        )


def service_delete(*, actor: Any, service: Service, expected_version: int | None = None) -> None:
    require_permission(actor, "directory.change_service")
    with transaction.atomic():
        for runbook in service.runbooks.all():
            record_delete(actor=actor, obj=runbook)
        record_delete(actor=actor, obj=service, expected_version=expected_version)


def runbook_create(*, actor: Any, service: Service, title: str, body: str) -> Runbook:
    require_permission(actor, "directory.change_service")
    with transaction.atomic():
        return record_create(actor=actor, obj=Runbook(service=service, title=title, body=body))


def runbook_update(
    *, actor: Any, runbook: Runbook, expected_version: int | None = None, **changes: Any
) -> Runbook:
    require_permission(actor, "directory.change_service")
    changes.pop("service", None)
    with transaction.atomic():
        return record_update(actor=actor, obj=runbook, changes=changes, expected_version=expected_version)


def runbook_delete(*, actor: Any, runbook: Runbook, expected_version: int | None = None) -> None:
    require_permission(actor, "directory.change_service")
    with transaction.atomic():
        record_delete(actor=actor, obj=runbook, expected_version=expected_version)


# --- users (A4) ------------------------------------------------------------------------------


def _check_user_role(role: str, contact: NamedContact | None, actor: Any = None) -> None:
    if actor is not None and not actor.is_provider_staff and role != Role.CUSTOMER:
        raise ValidationFailed.field("role", "You may add and edit your organisation's portal users only.")
    if role not in Role.values:
        raise ValidationFailed.field("role", f"Unknown role '{role}'. Known roles: {', '.join(Role.values)}.")
    if role == Role.CUSTOMER and contact is None:
        raise ValidationFailed.field("contact", "A customer user must be linked to a named contact.")
    if role in STAFF_ROLES and contact is not None:
        raise ValidationFailed.field("contact", "Provider staff are not named contacts of a customer.")
    if role == Role.PARTNER:
        raise ValidationFailed.field("role", "Partner users are created through a partner grant (J2).")


def _resolve_contact(actor: Any, contact: Any) -> NamedContact | None:
    if contact is None or isinstance(contact, NamedContact):
        return contact
    found = (
        NamedContact.objects.restrict(actor).filter(pk=contact).first() if str(contact).isdigit() else None
    )
    if found is None:
        raise ValidationFailed.field("contact", "No such named contact.")
    return found


def user_create(
    *,
    actor: Any,
    email: str,
    full_name: str,
    role: str,
    password: str | None = None,
    contact: int | NamedContact | None = None,
    is_active: bool = True,
) -> User:
    require_permission(actor, "directory.change_user")
    contact_obj = _resolve_contact(actor, contact)
    _check_user_role(role, contact_obj, actor)
    if contact_obj is not None and User.objects.filter(contact=contact_obj).exists():
        raise ValidationFailed.field("contact", "This named contact already has a user.")
    if contact_obj is not None and contact_obj.retired_at is not None:
        raise ValidationFailed.field("contact", "This named contact is retired.")
    user = User(
        email=User.objects.normalize_email(email or "").lower(),
        full_name=full_name,
        role=role,
        contact=contact_obj,
        is_active=is_active,
    )
    if password:
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError as DjangoValidationError

        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                "password: " + " ".join(exc.messages),
                [{"field": "password", "message": m} for m in exc.messages],
            )
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        return record_create(actor=actor, obj=user, public=False)


def user_update(*, actor: Any, user: User, expected_version: int | None = None, **changes: Any) -> User:
    require_permission(actor, "directory.change_user")
    if "contact" in changes:
        changes["contact"] = _resolve_contact(actor, changes["contact"])
    role = changes.get("role", user.role)
    contact = changes.get("contact", user.contact)
    _check_user_role(role, contact, actor)
    if not actor.is_provider_staff and user.role != Role.CUSTOMER:
        raise NotFound()
    if user.pk == actor.pk and changes.get("is_active") is False:
        raise ValidationFailed.field("is_active", "You cannot deactivate yourself.")
    if "email" in changes and isinstance(changes["email"], str):
        changes["email"] = changes["email"].strip().lower()
    with transaction.atomic():
        return record_update(
            actor=actor, obj=user, changes=changes, expected_version=expected_version, public=False
        )
