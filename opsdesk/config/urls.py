from django.urls import include, path

from opsdesk.config.api import api
from opsdesk.core import views as core_views

urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_views.metrics, name="prometheus-django-metrics"),
    path("", include("opsdesk.web.urls")),
    path("", include("opsdesk.directory.urls", namespace="directory")),
    path("status/", include("opsdesk.statuspage.urls")),
    path("incidents/", include("opsdesk.incidents.urls")),
    path("calendars/", include("opsdesk.calendars.urls")),
    path("oncall/", include("opsdesk.oncall.urls")),
    path("ood/", include("opsdesk.ood.urls")),
    path("orders/", include("opsdesk.orders.urls")),
    path("changes/", include("opsdesk.changes.urls")),
    path("maintenance/", include("opsdesk.maintenance.urls")),
    path("reports/", include("opsdesk.incidents.reports.urls")),
    path("inbox/", include("opsdesk.inbox.urls")),
    path("billing/", include("opsdesk.billing.urls")),
    path("alerts/", include("opsdesk.alerts.urls")),
    path("intake/", include("opsdesk.inbox.intake_urls")),
]

handler500 = "opsdesk.core.edge.api_server_error"
