"""Tenancy-walk declarations of attachments (see opsdesk/testing/routes.py): uploads to an incident
and an RCA of tenant A (pages and API, multipart), reading and downloading `attachment_a` (a public
attachment on tenant A's `incident_a`, from the incidents world extras, which run before these), a
note posted with files, and removing `customer_attachment_a` (attached by `customer_a`, who may
remove it: staff may remove any)."""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route, form

#: Billing staff (no operational access) see none of this: 403 or 404 (walk.module_view_permission).
VIEW_PERMISSION = "incidents.view"

API = "/api/v1"
UPDATE = "incidents.update"
RCA = "incidents.rca"


def _file(w: dict[str, Any]) -> dict[str, Any]:
    return {"file": ("walk.txt", b"walk log line\n")}


ROUTES = [
    Route(
        "ui",
        "incidents:attachment_upload",
        "POST",
        params={"pk": "incident_a"},
        permission=UPDATE,
        body=_file,
        multipart=True,
    ),
    Route(
        "ui",
        "incidents:rca_attachment_upload",
        "POST",
        params={"pk": "rca_a"},
        staff_only=True,
        permission=RCA,
        body=_file,
        multipart=True,
    ),
    Route("ui", "incidents:attachment_download", params={"pk": "attachment_a"}),
    Route("api", f"{API}/incidents/{{incident_id}}/attachments", params={"incident_id": "incident_a"}),
    Route(
        "api",
        f"{API}/incidents/{{incident_id}}/attachments",
        "POST",
        params={"incident_id": "incident_a"},
        permission=UPDATE,
        body=_file,
        multipart=True,
    ),
    Route(
        "api",
        f"{API}/rcas/{{rca_id}}/attachments",
        "POST",
        params={"rca_id": "rca_a"},
        staff_only=True,
        permission=RCA,
        body=_file,
        multipart=True,
    ),
    Route("api", f"{API}/attachments/{{attachment_id}}", params={"attachment_id": "attachment_a"}),
    *form(
        "incidents:attachment_remove",
        lambda w: {},
        params={"pk": "customer_attachment_a"},
        permission=UPDATE,
    ),
    Route(
        "api",
        f"{API}/attachments/{{attachment_id}}",
        "DELETE",
        params={"attachment_id": "customer_attachment_a"},
        permission=UPDATE,
    ),
    Route(
        "api",
        f"{API}/incidents/{{incident_id}}/notes-with-attachments",
        "POST",
        params={"incident_id": "incident_a"},
        permission=UPDATE,
        body=lambda w: {"body": "A walk note with a file.", "files": ("walk.txt", b"walk log line\n")},
        multipart=True,
    ),
    Route("api", f"{API}/attachments/{{attachment_id}}/download", params={"attachment_id": "attachment_a"}),
]


def world_extras(world: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opsdesk.incidents.attachments.services import attachment_add
    from opsdesk.testing.world import CANARY_A

    world["attachment_a"] = attachment_add(
        actor=world["service_desk"],
        incident=world["incident_a"],
        file=SimpleUploadedFile(f"{CANARY_A}.txt", f"log {CANARY_A}\n".encode()),
        public=True,
    )
    world["customer_attachment_a"] = attachment_add(
        actor=world["customer_a"],
        incident=world["incident_a"],
        file=SimpleUploadedFile(f"{CANARY_A}-mine.txt", f"mine {CANARY_A}\n".encode()),
    )
