from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """Orders (H1, H2): enquiry to service enablement, with the 3-working-day acceptance deadline."""

    name = "opsdesk.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from opsdesk.orders import receivers  # noqa: F401
