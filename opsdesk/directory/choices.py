from django.db import models


class OnboardingState(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ONBOARDED = "onboarded", "Onboarded"
    OFFBOARDED = "offboarded", "Offboarded"


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    NON_PRODUCTION = "non-production", "Non-production"


# The contact flags of A3, in the order the service plan lists them.
CONTACT_FLAGS = (
    ("is_order_contact", "Order contact"),
    ("is_technical_in_hours", "Technical contact (in hours)"),
    ("is_technical_out_of_hours", "Technical contact (out of hours)"),
    ("is_change_approver", "Authorised change approver"),
    ("is_escalation_contact", "Escalation contact"),
    ("is_billing_contact", "Billing contact"),
    ("is_customer_administrator", "Customer administrator"),
)

# I-GDPR: the flags that make a named contact someone opsdesk emails or pages (the contact to reach
# in and out of hours, C3; the escalation contact, C7). Only a contact with recorded consent
# carries them.
NOTIFICATION_FLAGS = ("is_technical_in_hours", "is_technical_out_of_hours", "is_escalation_contact")
