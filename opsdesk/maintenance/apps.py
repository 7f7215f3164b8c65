from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    """Maintenance (E2, E3, E4, D6 in part): agreed windows, blackouts, provider-led and customer-led
    maintenance, alarm suppression and the per-organisation iCalendar feed."""

    name = "opsdesk.maintenance"
    label = "maintenance"
    verbose_name = "Maintenance"
