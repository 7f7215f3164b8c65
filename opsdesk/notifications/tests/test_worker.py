"""L5: `opsdesk worker` runs the Huey consumer, passing its options through."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.notifications.management.commands import worker


def test_worker_delegates_to_run_huey(monkeypatch, settings):
    settings.HUEY = {**settings.HUEY, "immediate": False}
    calls = []
    monkeypatch.setattr(worker, "call_command", lambda name, **kw: calls.append((name, kw)))
    call_command("worker", "--workers", "3", "--worker-type", "process", "--no-periodic")
    call_command("worker")
    assert calls == [
        ("run_huey", {"workers": 3, "worker_type": "process", "periodic": False}),
        ("run_huey", {}),
    ]


def test_worker_refuses_immediate_mode(settings):
    settings.HUEY = {**settings.HUEY, "immediate": True}
    with pytest.raises(CommandError, match="immediate mode"):
        call_command("worker")


def test_tasks_are_registered_with_huey():
    from huey.contrib.djhuey import HUEY

    from opsdesk.notifications import tasks  # noqa: F401

    names = {name.rsplit(".", 1)[-1] for name in HUEY._registry._registry}
    assert {
        "deliver_notification",
        "send_claimed_notification",
        "outbox_sweep",
        "idempotency_keys_purge",
    } <= names
    assert {t.name.rsplit(".", 1)[-1] for t in HUEY._registry.periodic_tasks} >= {
        "outbox_sweep",
        "idempotency_keys_purge",
    }
