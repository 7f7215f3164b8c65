"""Operations of opsdesk itself (L6)."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

from opsdesk.core.security import metrics_refusal


@require_GET
@never_cache
def healthz(request):
    """200 when the database answers, 503 otherwise; for load balancers and orchestrators."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "unavailable", "database": str(exc)[:200]}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def metrics(request):
    """Prometheus metrics, for the scraper's token or signed-in staff only (issue 7): they reveal
    traffic, paths and error rates."""
    return metrics_refusal(request) or ExportToDjangoView(request)
