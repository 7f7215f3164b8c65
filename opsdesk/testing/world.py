"""A small two-tenant world for tests: organisations A and B with accounts, contacts, services,
runbooks and a customer user each, plus one user per provider staff role.

Everything of tenant A carries CANARY_A in its text, so a test can assert that a response given
to anyone of tenant B never contains it.
"""

from __future__ import annotations

from typing import Any

from opsdesk.core.roles import STAFF_ROLES, Role
from opsdesk.directory import services as directory
from opsdesk.directory.models import User

CANARY_A = "CanaryAlpha7Q"
CANARY_B = "CanaryBravo9Z"
ACCOUNT_IDS = {"a": ("111111111101", "111111111102"), "b": ("222222222201", "222222222202")}
PASSWORD = "test-password-123"


def make_staff(role: str) -> User:
    return User.objects.create_user(f"{role}@provider.test", PASSWORD, full_name=f"Staff {role}", role=role)


def _tenant(tag: str, canary: str, admin: User, staff: dict[str, User]) -> dict[str, Any]:
    org = directory.organisation_create(
        actor=admin,
        name=f"Org {tag.upper()} {canary}",
        service_plan="advanced",
        calendar="uk",
        csdm=staff[Role.CSDM].pk,
        notes=f"notes {canary}",
    )
    mgmt_id, member_id = ACCOUNT_IDS[tag]
    account = directory.account_create(
        actor=admin,
        organisation=org,
        account_id=mgmt_id,
        name=f"mgmt {canary}",
        regions=["eu-west-2"],
        onboarding_state="onboarded",
        is_management_account=True,
        all_features=True,
    )
    member = directory.account_create(
        actor=admin,
        organisation=org,
        account_id=member_id,
        name=f"member {canary}",
        regions=["eu-west-1"],
        onboarding_state="onboarded",
        management_account=account.pk,
    )
    contact = directory.contact_create(
        actor=admin,
        organisation=org,
        name=f"Contact {canary}",
        email=f"ops-{tag}@{canary.lower()}.test",
        gdpr_consent=True,
        is_technical_in_hours=True,
        is_escalation_contact=True,
        is_change_approver=True,
    )
    service = directory.service_create(
        actor=admin,
        organisation=org,
        reference=f"{tag.upper()}-PROD-{canary}",
        name=f"Service {canary}",
        environment="production",
        accounts=[account.pk, member.pk],
        contacts=[contact.pk],
    )
    runbook = directory.runbook_create(
        actor=admin, service=service, title=f"Runbook {canary}", body=f"# Restart\n\n{canary}"
    )
    customer = directory.user_create(
        actor=admin,
        email=f"customer-{tag}@{canary.lower()}.test",
        full_name=f"Customer {canary}",
        role=Role.CUSTOMER,
        password=PASSWORD,
        contact=contact.pk,
    )
    return {
        f"org_{tag}": org,
        f"account_{tag}": account,
        f"member_{tag}": member,
        f"contact_{tag}": contact,
        f"service_{tag}": service,
        f"runbook_{tag}": runbook,
        f"customer_{tag}": customer,
    }


def build_world() -> dict[str, Any]:
    staff = {role: make_staff(role) for role in sorted(STAFF_ROLES)}
    admin = staff[Role.ADMINISTRATOR]
    world: dict[str, Any] = {"admin": admin, **staff}
    world.update(_tenant("a", CANARY_A, admin, staff))
    world.update(_tenant("b", CANARY_B, admin, staff))
    return world
