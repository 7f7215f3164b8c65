"""The REST API root (L3): /api/v1/, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from opsdesk.core.api import API_AUTH, OpsdeskAPI, install_error_handlers

api = OpsdeskAPI(
    title="opsdesk API",
    version="1.0.0",
    description=(
        "Service management for managed AWS service providers. Authenticate with "
        "`Authorization: Bearer <token>` (see `opsdesk token create`) or the browser session. "
        "Every create accepts an `Idempotency-Key` header; every update needs `If-Match` with the ETag."
    ),
    auth=API_AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)

from opsdesk.alerts.api import router as alerts_router  # noqa: E402
from opsdesk.billing.api import router as billing_router  # noqa: E402
from opsdesk.calendars.api import router as calendars_router  # noqa: E402
from opsdesk.changes.api import router as changes_router  # noqa: E402
from opsdesk.core.api_routes import router as core_router  # noqa: E402
from opsdesk.directory.api import router as directory_router  # noqa: E402
from opsdesk.inbox.api import router as inbox_router  # noqa: E402
from opsdesk.incidents.api import router as incidents_router  # noqa: E402
from opsdesk.incidents.attachments.api import router as attachments_router  # noqa: E402
from opsdesk.incidents.escalations.api import router as escalations_router  # noqa: E402
from opsdesk.incidents.mail_api import router as email_triage_router  # noqa: E402
from opsdesk.incidents.rca.api import router as rca_router  # noqa: E402
from opsdesk.incidents.reports.api import router as reports_router  # noqa: E402
from opsdesk.maintenance.api import router as maintenance_router  # noqa: E402
from opsdesk.notifications.api import router as notifications_router  # noqa: E402
from opsdesk.oncall.api import router as oncall_router  # noqa: E402
from opsdesk.ood.api import router as ood_router  # noqa: E402
from opsdesk.orders.api import router as orders_router  # noqa: E402
from opsdesk.sla.api import router as sla_router  # noqa: E402
from opsdesk.statuspage.api import router as statuspage_router  # noqa: E402
from opsdesk.web.notice_changes import router as notice_changes_router  # noqa: E402

api.add_router("/", directory_router)
api.add_router("/", core_router)
api.add_router("/", notifications_router)
api.add_router("/", statuspage_router)
api.add_router("/", calendars_router)
api.add_router("/", sla_router)
api.add_router("/", incidents_router)
api.add_router("/", escalations_router)
api.add_router("/", rca_router)
api.add_router("/", attachments_router)
api.add_router("/", oncall_router)
api.add_router("/", reports_router)
api.add_router("/", ood_router)
api.add_router("/", orders_router)
api.add_router("/", changes_router)
api.add_router("/", maintenance_router)
# E1: the shell composes maintenance and changes (a change raised from an AWS Health notice).
api.add_router("/", notice_changes_router)
api.add_router("/", inbox_router)
api.add_router("/", billing_router)
api.add_router("/", alerts_router)
api.add_router("/", email_triage_router)
