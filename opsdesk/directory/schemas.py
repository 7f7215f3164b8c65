"""API shapes of the directory: <Entity>In for creates, <Entity>Patch for updates, <Entity>Out."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, FilterSchema, Schema

from opsdesk.core.limits import Instant
from opsdesk.directory.choices import Environment, OnboardingState


class UserRef(Schema):
    id: int
    full_name: str
    email: str


# Who did something, as the incident sub-resources (escalations, RCAs) show it: no email. (A comment,
# not a docstring: a docstring would become the schema's description in the OpenAPI document.)
class PersonRef(Schema):
    id: int
    full_name: str


class OrganisationOut(Schema):
    id: int
    name: str
    service_plan: str = Field(..., alias="service_plan.code")
    calendar: str = Field(..., alias="calendar.name")
    sla_policy_id: int | None = Field(None, description="Empty: the default SLA policy.")
    csdm: UserRef | None = None
    account_manager: UserRef | None = None
    solutions_architect: UserRef | None = None
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime


class OrganisationIn(Schema):
    name: str
    service_plan: str
    calendar: str = "uk"
    sla_policy: int | None = None
    csdm: int | None = None
    account_manager: int | None = None
    solutions_architect: int | None = None
    notes: str = ""


class OrganisationPatch(Schema):
    name: str | None = None
    service_plan: str | None = None
    calendar: str | None = None
    sla_policy: int | None = None
    csdm: int | None = None
    account_manager: int | None = None
    solutions_architect: int | None = None
    notes: str | None = None


class OrganisationFilter(FilterSchema):
    q: str | None = None
    service_plan: str | None = None


class AccountOut(Schema):
    id: int
    organisation_id: int
    account_id: str
    name: str
    regions: list[str]
    onboarding_state: OnboardingState
    is_management_account: bool
    all_features: bool
    management_account_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class AccountIn(Schema):
    organisation: int
    account_id: str
    name: str = ""
    regions: list[str] = []
    onboarding_state: OnboardingState = OnboardingState.ONBOARDING
    is_management_account: bool = False
    all_features: bool = False
    management_account: int | None = Field(
        None, description="The management account's id or 12-digit AWS id."
    )


class AccountPatch(Schema):
    account_id: str | None = None
    name: str | None = None
    regions: list[str] | None = None
    onboarding_state: OnboardingState | None = None
    is_management_account: bool | None = None
    all_features: bool | None = None
    management_account: int | None = None


class AccountFilter(FilterSchema):
    organisation: int | None = None
    onboarding_state: OnboardingState | None = None
    is_management_account: bool | None = None
    q: str | None = None


class ContactOut(Schema):
    id: int
    organisation_id: int
    name: str
    email: str
    phone: str
    job_title: str
    is_order_contact: bool
    is_technical_in_hours: bool
    is_technical_out_of_hours: bool
    is_change_approver: bool
    is_escalation_contact: bool
    is_billing_contact: bool
    availability_in_hours: str
    availability_out_of_hours: str
    is_customer_administrator: bool
    gdpr_consent: bool
    gdpr_consent_at: datetime | None
    gdpr_consent_method: str
    gdpr_consent_recorded_by: PersonRef | None = None
    last_verified_at: datetime | None
    retired_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class ContactIn(Schema):
    organisation: int
    name: str
    email: str
    phone: str = ""
    job_title: str = ""
    is_order_contact: bool = False
    is_technical_in_hours: bool = False
    is_technical_out_of_hours: bool = False
    is_change_approver: bool = False
    is_escalation_contact: bool = False
    is_billing_contact: bool = False
    availability_in_hours: str = ""
    availability_out_of_hours: str = ""
    is_customer_administrator: bool = False
    gdpr_consent: bool = False
    gdpr_consent_method: str = ""
    last_verified_at: Instant | None = None


class ContactPatch(Schema):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    is_order_contact: bool | None = None
    is_technical_in_hours: bool | None = None
    is_technical_out_of_hours: bool | None = None
    is_change_approver: bool | None = None
    is_escalation_contact: bool | None = None
    is_billing_contact: bool | None = None
    availability_in_hours: str | None = None
    availability_out_of_hours: str | None = None
    is_customer_administrator: bool | None = None
    gdpr_consent: bool | None = None
    gdpr_consent_method: str | None = None
    last_verified_at: Instant | None = None


CONTACT_FLAG_FILTERS = (
    "is_order_contact",
    "is_technical_in_hours",
    "is_technical_out_of_hours",
    "is_change_approver",
    "is_escalation_contact",
    "is_billing_contact",
    "is_customer_administrator",
)


class ContactFilter(FilterSchema):
    organisation: int | None = None
    flag: str | None = Field(None, description="One of: " + ", ".join(CONTACT_FLAG_FILTERS))
    q: str | None = None
    reverification_due: bool | None = Field(
        None,
        description="I3: true, the contacts never verified or last verified more than "
        "OPSDESK_CONTACT_REVERIFY_DAYS (90 by default) days ago; false, the others.",
    )
    retired: bool | None = Field(None, description="true: retired contacts only; false: current ones.")


class ConsentIn(Schema):
    method: str = Field(..., description="How consent was given, e.g. signed form, email of 3 March.")


class RunbookOut(Schema):
    id: int
    service_id: int
    title: str
    body: str
    body_html: str
    version: int
    updated_at: datetime

    @staticmethod
    def resolve_body_html(obj) -> str:
        from opsdesk.core.richtext import render_markdown

        return render_markdown(obj.body)


class RunbookIn(Schema):
    title: str
    body: str


class RunbookPatch(Schema):
    title: str | None = None
    body: str | None = None


class ServiceOut(Schema):
    id: int
    organisation_id: int
    reference: str
    name: str
    environment: Environment
    description: str
    accounts: list[int]
    contacts: list[int]
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_accounts(obj) -> list[int]:
        return sorted(a.pk for a in obj.accounts.all())

    @staticmethod
    def resolve_contacts(obj) -> list[int]:
        return sorted(c.pk for c in obj.contacts.all())


class ServiceIn(Schema):
    organisation: int
    reference: str
    name: str
    environment: Environment
    description: str = ""
    accounts: list[int] = []
    contacts: list[int] = []


class ServicePatch(Schema):
    reference: str | None = None
    name: str | None = None
    environment: Environment | None = None
    description: str | None = None
    accounts: list[int] | None = None
    contacts: list[int] | None = None


class ServiceFilter(FilterSchema):
    organisation: int | None = None
    environment: Environment | None = None
    q: str | None = None


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    contact_id: int | None
    is_active: bool
    version: int
    created_at: datetime


class UserIn(Schema):
    email: str
    full_name: str
    role: str
    password: str | None = None
    contact: int | None = None
    is_active: bool = True


class UserPatch(Schema):
    email: str | None = None
    full_name: str | None = None
    role: str | None = None
    contact: int | None = None
    is_active: bool | None = None


class UserFilter(FilterSchema):
    role: str | None = None
    organisation: int | None = None
    q: str | None = None
