"""The import queue of uploaded cost files (issue 12 item 6): the file is stored and the import
queued; a worker claims it under a lease, imports it in one transaction and marks it done or failed
(the bad line named, nothing imported); a second run does nothing; a dead worker's import is swept
back into the queue, and failed after the last attempt. Time is moved with `now`, never slept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opsdesk.billing import services
from opsdesk.billing.models import CostImport, DailyCost


def _upload(world, cost="1.50", name="costs.csv", lines=2):
    a = world["account_a"].account_id
    body = "LinkedAccount,Date,Service,Cost\n"
    body += "".join(f"{a},2026-11-0{i + 2},EC2,1\n" for i in range(lines))
    body += f"{a},2026-11-09,EC2,{cost}\n"
    return SimpleUploadedFile(name, body.encode(), content_type="text/csv")


def _queued(world, **kwargs) -> CostImport:
    """Queued as an upload leaves it; the on-commit hand-off does not run inside a test's
    transaction, so the worker is called by hand."""
    upload = _upload(world, **kwargs)
    return services.cost_import_enqueue(actor=world["billing"], file=upload, file_name=upload.name)


def test_the_file_waits_in_the_storage_and_a_worker_imports_it_once(world):
    record = _queued(world)
    assert (record.state, record.imported_by) == ("queued", world["billing"])
    assert record.size == _upload(world).size
    assert default_storage.exists(record.file_key) and not DailyCost.objects.exists()
    key = record.file_key
    assert services.cost_import_process(record.pk) is True
    record.refresh_from_db()
    assert (record.state, record.rows, record.cost_lines, record.total) == ("done", 3, 3, Decimal("3.50"))
    assert record.attempts == 1 and record.claim_token is None and record.file_key == ""
    assert not default_storage.exists(key)  # kept only until imported
    assert DailyCost.objects.count() == 3
    # Run again (a duplicate task): nothing to claim, nothing added.
    assert services.cost_import_process(record.pk) is False
    assert DailyCost.objects.count() == 3


def test_a_bad_line_after_good_ones_fails_the_whole_file_naming_it(world):
    earlier = services.cost_import_run(actor=world["billing"], file=_upload(world).file, file_name="a.csv")
    record = _queued(world, cost="12.5.1", lines=5)  # good lines first, then a bad one
    assert services.cost_import_process(record.pk) is False
    record.refresh_from_db()
    assert (record.state, record.error_field) == ("failed", "Cost")
    assert record.error == "Line 7, column Cost: '12.5.1' is not a number."
    assert record.rows == 0 and record.finished_at is not None and record.file_key == ""
    # Nothing half-imported: the earlier import's costs are untouched, none of this file's written.
    assert set(DailyCost.objects.values_list("cost_import", flat=True)) == {earlier.pk}
    assert DailyCost.objects.count() == 3


def test_a_dead_workers_import_is_swept_back_and_imported(world):
    record = _queued(world)
    now = timezone.now()
    # A worker claimed it and was killed: running, with a lease that runs out.
    CostImport.objects.filter(pk=record.pk).update(
        state="running", lease_until=now + dt.timedelta(minutes=1), attempts=1
    )
    dispatched: list[int] = []
    assert services.cost_import_sweep(now=now, dispatch=dispatched.append) == 0  # lease still held
    later = now + dt.timedelta(minutes=2)
    services.cost_import_sweep(now=later, dispatch=dispatched.append)
    assert CostImport.objects.get(pk=record.pk).state == "queued"
    services.cost_import_sweep(now=later + dt.timedelta(minutes=2), dispatch=dispatched.append)
    assert dispatched == [record.pk]
    assert services.cost_import_process(record.pk) is True
    record.refresh_from_db()
    assert (record.state, record.attempts, DailyCost.objects.count()) == ("done", 2, 3)


def test_an_import_whose_worker_dies_every_time_fails_visibly(world, settings):
    settings.BILLING_IMPORT_MAX_ATTEMPTS = 2
    record = _queued(world)
    later = timezone.now() + dt.timedelta(hours=1)
    CostImport.objects.filter(pk=record.pk).update(
        state="running", lease_until=later - dt.timedelta(minutes=1), attempts=2
    )
    services.cost_import_sweep(now=later, dispatch=lambda pk: None)
    record.refresh_from_db()
    assert (record.state, record.error_field) == ("failed", "file")
    assert "The worker stopped before the import finished" in record.error
    assert not DailyCost.objects.exists()


def test_a_missing_stored_file_fails_the_import_instead_of_crashing(world):
    record = _queued(world)
    default_storage.delete(record.file_key)
    assert services.cost_import_process(record.pk) is False
    record.refresh_from_db()
    assert record.state == "failed" and "nothing was imported" in record.error
