from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Billing reviews (issue 12 item 6, F4): imported AWS costs, week-on-week reviews, thresholds
    and billing alerts. Not the block billing of Operations on Demand (ood)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "opsdesk.billing"
    verbose_name = "Billing reviews"
