"""Roles of the people who use opsdesk (A4). Provider staff roles first, then the tenant kinds."""

from django.db import models


class Role(models.TextChoices):
    SERVICE_DESK = "service_desk", "Service desk"
    ENGINEER = "engineer", "Cloud engineer"
    CLOUD_SUPPORT_MANAGER = "cloud_support_manager", "Cloud support manager"
    HEAD_OF_CUSTOMER_ENGINEERING = "head_of_customer_engineering", "Head of customer engineering"
    CUSTOMER_EXPERIENCE_DIRECTOR = "customer_experience_director", "Customer experience director"
    CSDM = "csdm", "Cloud service delivery manager"
    ACCOUNT_MANAGER = "account_manager", "Account manager"
    SOLUTIONS_ARCHITECT = "solutions_architect", "Solutions architect"
    OPERATIONS_REVIEWER = "operations_reviewer", "Operations reviewer"
    CHANGE_MANAGER = "change_manager", "Change manager"
    BILLING = "billing", "Billing"
    ADMINISTRATOR = "administrator", "Administrator"
    CUSTOMER = "customer", "Customer user"
    PARTNER = "partner", "Partner user"


STAFF_ROLES: frozenset[str] = frozenset(r.value for r in Role if r not in (Role.CUSTOMER, Role.PARTNER))
#: Staff who only bill (G6): statements and month closes, no operational access (no incidents).
OPERATIONAL_STAFF_ROLES: frozenset[str] = STAFF_ROLES - {Role.BILLING.value}
