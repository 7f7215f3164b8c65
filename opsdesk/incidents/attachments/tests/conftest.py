"""Shared by the attachment tests: a storage directory of each test's own, sample files, and a
database that refuses an attachment's audit row."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsdesk.core.models import AuditEvent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path) -> Path:
    """Files go to a directory of this test's own, so what is (not) stored can be counted."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def audit_fails_for_attachments(monkeypatch, after: int = 0) -> None:
    """The database refuses the audit row of the attachment (after `after` good ones): its hash
    is NULL, which the NOT NULL column rejects with an IntegrityError, after the file was written
    and the attachment row inserted."""
    seal = AuditEvent.seal
    seen = []

    def failing_seal(self, prev_hash):
        seal(self, prev_hash)
        if self.object_type == "incidents.attachment":
            seen.append(self)
            if len(seen) > after:
                self.hash = None

    monkeypatch.setattr(AuditEvent, "seal", failing_seal)
