"""The directory's part of `opsdesk demo` (L5): a believable provider with three customers.

Idempotent: every object is looked up by its natural key first (email, organisation name, AWS
account id, contact email within its organisation, service reference, runbook title) and created
only when missing, so a second run changes nothing and records no audit event. Every write goes
through the directory services with the demo administrator as actor, so the demo data has the same
audit trail (L1) as real work.

The data is built by one small function per area (STEPS below); the demo app (opsdesk/demo/) runs
them first, then the steps of the apps above the directory (incidents, status page…), which read
what these left in `Demo`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from opsdesk.core.audit import audit_record
from opsdesk.core.models import AuditAction
from opsdesk.core.roles import STAFF_ROLES, Role
from opsdesk.directory import services as directory
from opsdesk.directory.choices import Environment, OnboardingState
from opsdesk.directory.models import CloudAccount, NamedContact, Organisation, Runbook, Service, User

DEMO_PASSWORD = "opsdesk-demo-2026"
STAFF_DOMAIN = "provider.example"
ADMIN_EMAIL = f"{Role.ADMINISTRATOR.value}@{STAFF_DOMAIN}"

#: One person per provider staff role (A4); the email is `<role value>@provider.example`.
STAFF_NAMES: dict[str, str] = {
    Role.ADMINISTRATOR: "Alex Morgan",
    Role.SERVICE_DESK: "Sam Patel",
    Role.ENGINEER: "Jamie Chen",
    Role.CLOUD_SUPPORT_MANAGER: "Rachel Evans",
    Role.HEAD_OF_CUSTOMER_ENGINEERING: "David Thompson",
    Role.CUSTOMER_EXPERIENCE_DIRECTOR: "Helen Clarke",
    Role.CSDM: "Priya Shah",
    Role.ACCOUNT_MANAGER: "Tom Bennett",
    Role.SOLUTIONS_ARCHITECT: "Aisha Khan",
    Role.OPERATIONS_REVIEWER: "Owen Price",
    Role.CHANGE_MANAGER: "Laura Hughes",
}


def staff_email(role: str) -> str:
    return f"{role}@{STAFF_DOMAIN}"


def staff_roles() -> list[str]:
    """Staff roles in the order roles.py declares them (administrator first: it is the actor)."""
    ordered = [r.value for r in Role if r.value in STAFF_ROLES]
    ordered.remove(Role.ADMINISTRATOR.value)
    return [Role.ADMINISTRATOR.value, *ordered]


# --- the data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationSpec:
    name: str
    plan: str
    calendar: str
    notes: str


@dataclass(frozen=True)
class AccountSpec:
    organisation: str
    account_id: str
    name: str
    regions: tuple[str, ...]
    state: str = OnboardingState.ONBOARDED
    management: bool = False
    all_features: bool = False
    managed_by: str | None = None


@dataclass(frozen=True)
class ContactSpec:
    organisation: str
    name: str
    email: str
    job_title: str
    phone: str
    flags: tuple[str, ...]
    in_hours: str = "Mon–Fri 09:00–17:30"
    out_of_hours: str = ""
    verified_days_ago: int = 7
    #: The customer's main contact gets a customer user (A4).
    user: bool = False


@dataclass(frozen=True)
class RunbookSpec:
    title: str
    summary: str
    components: tuple[tuple[str, str, str], ...]
    checks: tuple[str, ...]
    restart: tuple[str, ...]


@dataclass(frozen=True)
class ServiceSpec:
    organisation: str
    reference: str
    name: str
    environment: str
    description: str
    accounts: tuple[str, ...]
    contacts: tuple[str, ...]
    runbooks: tuple[RunbookSpec, ...]


NORTHWIND, CONTOSO, FABRIKAM = "Northwind Trading", "Contoso Health", "Fabrikam Labs"

ORGANISATIONS = (
    OrganisationSpec(NORTHWIND, "accelerate", "uk",
                     "Online retailer of speciality foods; AWS Organizations with a shared-services "
                     "account."),
    OrganisationSpec(CONTOSO, "advanced", "uk",
                     "Private clinics group; electronic health records hosted on AWS, patient data in "
                     "scope."),
    OrganisationSpec(FABRIKAM, "advanced", "uk",
                     "Materials research start-up, onboarding its first AWS account."),
)

ACCOUNTS = (
    AccountSpec(NORTHWIND, "204815637290", "northwind-management", ("eu-west-2",),
                management=True, all_features=True),
    AccountSpec(NORTHWIND, "318472659014", "northwind-production", ("eu-west-2", "eu-west-1"),
                managed_by="204815637290"),
    AccountSpec(NORTHWIND, "427593810265", "northwind-development", ("eu-west-2",),
                managed_by="204815637290"),
    AccountSpec(NORTHWIND, "539604172836", "northwind-shared-services", ("eu-west-2",),
                managed_by="204815637290"),
    AccountSpec(CONTOSO, "641728390517", "contoso-ehr-production", ("eu-west-2",)),
    AccountSpec(CONTOSO, "752839401628", "contoso-ehr-test", ("eu-west-2", "eu-west-1")),
    AccountSpec(FABRIKAM, "863940512739", "fabrikam-research", ("eu-central-1",),
                state=OnboardingState.ONBOARDING),
)

_IN_HOURS, _OUT_OF_HOURS = "is_technical_in_hours", "is_technical_out_of_hours"
_ORDER, _APPROVER, _ESCALATION, _BILLING, _ADMIN = (
    "is_order_contact", "is_change_approver", "is_escalation_contact", "is_billing_contact",
    "is_customer_administrator",
)

CONTACTS = (
    ContactSpec(NORTHWIND, "Olivia Hart", "ops@northwind.example", "Head of Cloud Operations",
                "+44 20 7946 0123",
                (_IN_HOURS, _APPROVER, _ESCALATION, _ADMIN), in_hours="Mon–Fri 08:30–17:30", user=True),
    ContactSpec(NORTHWIND, "Ryan O'Connell", "ryan.oconnell@northwind.example", "Platform on-call lead",
                "+44 7700 900412", (_IN_HOURS, _OUT_OF_HOURS),
                out_of_hours="24x7 on the platform on-call mobile, +44 7700 900412"),
    ContactSpec(NORTHWIND, "Marcus Webb", "marcus.webb@northwind.example", "Finance Director",
                "+44 20 7946 0187",
                (_ORDER, _BILLING), in_hours="Mon–Thu 09:00–17:00"),
    ContactSpec(CONTOSO, "Daniel Okafor", "it@contoso.example", "IT Services Manager", "+44 161 496 0450",
                (_ORDER, _IN_HOURS, _APPROVER, _ESCALATION), user=True),
    ContactSpec(CONTOSO, "Sofia Lindqvist", "sofia.lindqvist@contoso.example",
                "Clinical Systems On-call Lead", "+44 7700 900731", (_OUT_OF_HOURS, _ESCALATION),
                in_hours="Mon–Fri 10:00–18:00",
                out_of_hours="Evenings and weekends via the clinical on-call rota"),
    # I3: details not confirmed for 200 days, so the verification check has something to find.
    ContactSpec(CONTOSO, "Grace Mbeki", "accounts@contoso.example", "Accounts Payable Lead",
                "+44 161 496 0912",
                (_BILLING,), in_hours="Tue–Thu 09:00–15:00", verified_days_ago=200),
    ContactSpec(FABRIKAM, "Ethan Cole", "cto@fabrikam.example", "Chief Technology Officer",
                "+44 1632 960 214",
                (_ORDER, _IN_HOURS, _OUT_OF_HOURS, _APPROVER, _ESCALATION, _BILLING),
                out_of_hours="Mobile for P1 only, +44 7700 900968", user=True),
)

_WEB_COMPONENTS = (
    ("Load balancer", "ALB `nw-web-alb`", "Health check `/healthz`, 2 of 3 targets healthy is degraded"),
    ("Web tier", "ECS service `storefront` on Fargate", "Desired count 4 (production), autoscaling 4–12"),
    ("Database", "Aurora PostgreSQL `nw-orders`", "Writer plus one reader; failover under 60 s"),
    ("Cache", "ElastiCache Redis `nw-sessions`", "Sessions only; safe to flush out of hours"),
)

SERVICES = (
    ServiceSpec(
        NORTHWIND, "NW-PROD-WEB", "Web shop (production)", Environment.PRODUCTION,
        "Customer-facing web shop and checkout at shop.northwind.example.",
        ("318472659014",), ("ops@northwind.example", "ryan.oconnell@northwind.example"),
        (RunbookSpec(
            "Web shop operations",
            "The storefront runs on ECS Fargate behind an Application Load Balancer in eu-west-2, with "
            "Aurora PostgreSQL for orders. Checkout outages are P1: card payments stop.",
            _WEB_COMPONENTS,
            ("ALB target group: all targets `healthy`", "CloudWatch alarm `nw-web-5xx-rate` in OK",
             "Synthetic canary `checkout-journey` green in the last 15 minutes"),
            ("Confirm the incident in the ticket and tell the named contact a restart is starting.",
             "Scale the ECS service to double its desired count; wait for new tasks to pass health checks.",
             "Force a new deployment: `aws ecs update-service --cluster nw-prod --service storefront "
             "--force-new-deployment`.",
             "Watch the `nw-web-5xx-rate` alarm for 10 minutes; scale back to the previous desired count.",
             "Record timings and the outcome on the incident timeline."),
        ),),
    ),
    ServiceSpec(
        NORTHWIND, "NW-PROD-DATA", "Order database (production)", Environment.PRODUCTION,
        "Aurora PostgreSQL cluster holding orders, stock and customer accounts.",
        ("318472659014", "539604172836"), ("ops@northwind.example", "ryan.oconnell@northwind.example"),
        (RunbookSpec(
            "Order database operations",
            "Aurora PostgreSQL 15 cluster `nw-orders` (writer + reader) with AWS Backup copies to the "
            "shared-services account. Never restart the writer in trading hours without the customer's "
            "consent.",
            (("Writer", "Aurora instance `nw-orders-1`", "db.r6g.xlarge"),
             ("Reader", "Aurora instance `nw-orders-2`", "Reporting queries only"),
             ("Backups", "AWS Backup plan `nw-daily`", "35-day retention, copy to 539604172836")),
            ("`nw-orders` CPU below 80 % and freeable memory above 2 GiB",
             "Replica lag under 100 ms", "Last AWS Backup job `COMPLETED`"),
            ("Get approval from the change approver on the ticket (an emergency change during an incident).",
             "Fail over to the reader: `aws rds failover-db-cluster --db-cluster-identifier nw-orders`.",
             "Reboot the former writer once it is a reader, then check replica lag.",
             "Ask the customer to confirm checkout works."),
        ),),
    ),
    ServiceSpec(
        NORTHWIND, "NW-DEV-WEB", "Web shop (development)", Environment.NON_PRODUCTION,
        "Development and staging copy of the web shop; rebuilt nightly from the main branch.",
        ("427593810265",), ("ops@northwind.example",),
        (RunbookSpec(
            "Development environment operations",
            "Same stack as NW-PROD-WEB at a smaller size. Business hours support only; no P1/P2 here.",
            (("Web tier", "ECS service `storefront-dev`", "Desired count 1"),
             ("Database", "Aurora Serverless v2 `nw-orders-dev`", "Scales to 0.5 ACU overnight")),
            ("Pipeline `storefront-dev` last run succeeded",),
            ("Redeploy from the pipeline; no approval needed in non-production.",),
        ),),
    ),
    ServiceSpec(
        CONTOSO, "CH-PROD-EHR", "Electronic health records (production)", Environment.PRODUCTION,
        "Clinician-facing EHR application; patient data, so access is logged and least-privilege.",
        ("641728390517",), ("it@contoso.example", "sofia.lindqvist@contoso.example"),
        (RunbookSpec(
            "EHR platform operations",
            "The EHR runs on an EC2 Auto Scaling group behind an ALB, with RDS for SQL Server (Multi-AZ). "
            "Clinics open at 07:30; an outage during clinic hours is P1.",
            (("Load balancer", "ALB `ch-ehr-alb`", "TLS via ACM, WAF attached"),
             ("Application", "Auto Scaling group `ch-ehr-app`", "3 × m6i.large across eu-west-2a/b/c"),
             ("Database", "RDS SQL Server `ch-ehr-db`", "Multi-AZ, encrypted with a customer KMS key"),
             ("Documents", "S3 bucket `ch-ehr-documents`", "Object Lock in compliance mode")),
            ("ALB healthy host count ≥ 2", "RDS `ch-ehr-db` status `available`",
             "Login page answers within 2 s from the clinic VPN"),
            ("Tell the out-of-hours contact (or in-hours contact) before touching production.",
             "Put one instance in standby: `aws autoscaling enter-standby "
             "--auto-scaling-group-name ch-ehr-app`.",
             "Restart the `EHRAppPool` IIS pool via SSM Run Command on that instance; check its health.",
             "Return it to service and repeat instance by instance. Never all at once.",
             "If the database is the cause, reboot with failover only with the change approver's consent."),
        ),),
    ),
    ServiceSpec(
        CONTOSO, "CH-TEST-EHR", "Electronic health records (test)", Environment.NON_PRODUCTION,
        "User-acceptance test environment, loaded with synthetic patient data only.",
        ("752839401628",), ("it@contoso.example",),
        (RunbookSpec(
            "EHR test environment operations",
            "A single-instance copy of CH-PROD-EHR for release testing. Stopped outside 07:00–19:00.",
            (("Application", "EC2 instance `ch-ehr-test-app`", "Instance Scheduler tag `office-hours`"),
             ("Database", "RDS SQL Server `ch-ehr-test-db`",
              "Single-AZ, restored weekly from a masked copy")),
            ("Instance Scheduler started the instance at 07:00",),
            ("Reboot the instance from the EC2 console; tell the IT Services Manager on the ticket.",),
        ),),
    ),
)


def _runbook_body(service: ServiceSpec, spec: RunbookSpec, accounts: list[CloudAccount]) -> str:
    """A runbook in Markdown as agreed at build (A5): what it is, how to check, restart, escalate."""
    regions = sorted({r for a in accounts for r in a.regions})
    lines = [
        f"# {spec.title}", "",
        f"**Service:** {service.reference} — {service.name}  ",
        f"**Environment:** {Environment(service.environment).label}  ",
        f"**Accounts:** {', '.join(f'`{a.account_id}` ({a.name})' for a in accounts)}  ",
        f"**Regions:** {', '.join(regions)}", "",
        spec.summary, "",
        "## Components", "",
        "| Component | AWS resource | Notes |", "|---|---|---|",
        *(f"| {c} | {r} | {n} |" for c, r, n in spec.components), "",
        "## Health checks", "",
        *(f"- [ ] {c}" for c in spec.checks), "",
        "## Restart procedure", "",
        *(f"{i}. {step}" for i, step in enumerate(spec.restart, 1)), "",
        "## Escalation", "",
        "1. **Service desk** logs and qualifies the incident and calls the named contact "
        "(telephone preferred for P1/P2).",
        "2. **Cloud support manager**: acknowledgement within 1 working hour, considered response within 2.",
        "3. **Head of customer engineering**: considered response within 3 working hours.",
        "4. **Customer experience director**: considered response within 4 working hours.", "",
        "Customer contacts for this service:", "",
        "| Name | Role | Phone | Availability |", "|---|---|---|---|",
    ]
    for email in service.contacts:
        c = next(c for c in CONTACTS if c.email == email)
        availability = c.in_hours + (f"; out of hours: {c.out_of_hours}" if c.out_of_hours else "")
        lines.append(f"| {c.name} | {c.job_title} | {c.phone} | {availability} |")
    return "\n".join(lines) + "\n"


# --- building it ---------------------------------------------------------------------------------


@dataclass
class Demo:
    """What the steps built so far, by natural key, and how many records this run created."""

    admin: User
    staff: dict[str, User] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    accounts: dict[str, CloudAccount] = field(default_factory=dict)
    contacts: dict[str, NamedContact] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    customers: dict[str, User] = field(default_factory=dict)
    created: int = 0

    def ensure(self, existing: Any, create: Callable[[], Any]) -> Any:
        """The existing record, or a new one made by `create` (a service call)."""
        if existing is not None:
            return existing
        self.created += 1
        return create()


def administrator() -> tuple[User, bool]:
    """The demo's actor, and whether it was just created. Bootstrapped without a service (there is
    no actor yet to call one with) but audited all the same."""
    admin = User.objects.filter(email=ADMIN_EMAIL).first()
    if admin is None:
        admin = User.objects.create_user(
            ADMIN_EMAIL, DEMO_PASSWORD, full_name=STAFF_NAMES[Role.ADMINISTRATOR], role=Role.ADMINISTRATOR
        )
        audit_record(actor=None, action=AuditAction.CREATE, obj=admin, public=False, note="opsdesk demo")
        return admin, True
    if admin.role != Role.ADMINISTRATOR or not admin.is_active:
        raise CommandError(
            f"{ADMIN_EMAIL} exists but is not an active administrator; the demo needs it as its actor."
        )
    return admin, False


def build_staff(demo: Demo) -> None:
    demo.staff[Role.ADMINISTRATOR] = demo.admin
    for role in staff_roles():
        if role == Role.ADMINISTRATOR:
            continue
        email = staff_email(role)
        demo.staff[role] = demo.ensure(
            User.objects.filter(email=email).first(),
            lambda email=email, role=role: directory.user_create(
                actor=demo.admin, email=email, full_name=STAFF_NAMES.get(role, f"Demo {Role(role).label}"),
                role=role, password=DEMO_PASSWORD,
            ),
        )


def build_organisations(demo: Demo) -> None:
    for spec in ORGANISATIONS:
        demo.organisations[spec.name] = demo.ensure(
            Organisation.objects.filter(name=spec.name).first(),
            lambda spec=spec: directory.organisation_create(
                actor=demo.admin, name=spec.name, service_plan=spec.plan, calendar=spec.calendar,
                csdm=demo.staff[Role.CSDM], account_manager=demo.staff[Role.ACCOUNT_MANAGER],
                solutions_architect=demo.staff[Role.SOLUTIONS_ARCHITECT], notes=spec.notes,
            ),
        )


def build_accounts(demo: Demo) -> None:
    for spec in ACCOUNTS:  # management accounts come before their members
        demo.accounts[spec.account_id] = demo.ensure(
            CloudAccount.objects.filter(account_id=spec.account_id).first(),
            lambda spec=spec: directory.account_create(
                actor=demo.admin, organisation=demo.organisations[spec.organisation],
                account_id=spec.account_id, name=spec.name, regions=spec.regions, onboarding_state=spec.state,
                is_management_account=spec.management, all_features=spec.all_features,
                management_account=demo.accounts[spec.managed_by] if spec.managed_by else None,
            ),
        )


def build_contacts(demo: Demo) -> None:
    now = timezone.now()
    for spec in CONTACTS:
        org = demo.organisations[spec.organisation]
        demo.contacts[spec.email] = demo.ensure(
            NamedContact.objects.filter(organisation=org, email=spec.email).first(),
            lambda spec=spec, org=org: directory.contact_create(
                actor=demo.admin, organisation=org, name=spec.name, email=spec.email, phone=spec.phone,
                job_title=spec.job_title, availability_in_hours=spec.in_hours,
                availability_out_of_hours=spec.out_of_hours, gdpr_consent=True,
                gdpr_consent_method="signed onboarding form",
                last_verified_at=now - dt.timedelta(days=spec.verified_days_ago),
                **{flag: True for flag in spec.flags},
            ),
        )


def build_services(demo: Demo) -> None:
    for spec in SERVICES:
        org = demo.organisations[spec.organisation]
        accounts = [demo.accounts[a] for a in spec.accounts]
        service = demo.ensure(
            Service.objects.filter(organisation=org, reference=spec.reference).first(),
            lambda spec=spec, org=org, accounts=accounts: directory.service_create(
                actor=demo.admin, organisation=org, reference=spec.reference, name=spec.name,
                environment=spec.environment, description=spec.description,
                accounts=[a.pk for a in accounts], contacts=[demo.contacts[c].pk for c in spec.contacts],
            ),
        )
        demo.services[spec.reference] = service
        for runbook in spec.runbooks:
            demo.ensure(
                Runbook.objects.filter(service=service, title=runbook.title).first(),
                lambda runbook=runbook, spec=spec, service=service, accounts=accounts: (
                    directory.runbook_create(actor=demo.admin, service=service, title=runbook.title,
                                             body=_runbook_body(spec, runbook, accounts))
                ),
            )


def build_customer_users(demo: Demo) -> None:
    for spec in CONTACTS:
        if not spec.user:
            continue
        contact = demo.contacts[spec.email]
        demo.customers[spec.email] = demo.ensure(
            User.objects.filter(email=spec.email).first(),
            lambda spec=spec, contact=contact: directory.user_create(
                actor=demo.admin, email=spec.email, full_name=spec.name, role=Role.CUSTOMER,
                password=DEMO_PASSWORD, contact=contact,
            ),
        )


#: The directory's steps, in dependency order; the demo app runs them before the other apps' steps.
STEPS: list[Callable[[Demo], None]] = [
    build_staff,
    build_organisations,
    build_accounts,
    build_contacts,
    build_services,
    build_customer_users,
]


# --- the logins table (printed by `opsdesk demo` and `opsdesk serve`) -------------------------------


def demo_emails() -> list[str]:
    return [staff_email(r) for r in staff_roles()] + [c.email for c in CONTACTS if c.user]


def demo_logins() -> list[tuple[str, str, str]]:
    """(email, role / organisation, password) for each demo user that exists, staff first."""
    emails = demo_emails()
    found = User.objects.filter(email__in=emails).select_related("contact__organisation")
    users = {u.email: u for u in found}
    rows = []
    for email in emails:
        user = users.get(email)
        if user is None:
            continue
        label = Role(user.role).label if user.role in Role.values else user.role
        if user.contact is not None:
            label = f"{label} — {user.contact.organisation.name}"
        rows.append((email, label, DEMO_PASSWORD))
    return rows


def format_logins(rows: list[tuple[str, str, str]]) -> str:
    if not rows:
        return "No demo users yet: run `opsdesk demo` to create them.\n"
    header = ("Email", "Role / organisation", "Password")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*r) for r in rows]
    return "\n".join(s.rstrip() for s in out) + "\n"
