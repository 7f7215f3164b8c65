"""Issue 12, "Faults": nothing accepted is lost or done twice when processes die.

- the worker is killed with SIGKILL in the middle of processing 10,000 accepted alarms and run again:
  every alarm is processed exactly once (0 lost, 0 duplicate alerts, incidents, pages or emails).
  10,000 on PostgreSQL; on SQLite 2,000, killed as mid-way (at least 500 processed before the kill
  and 500 left after it): the run on each database takes its own claiming path, and 8,000 more
  alarms cost the SQLite run ~30 s of both cores without showing anything the 2,000 do not;
- the web process dies between the delivery's commit and its answer, SNS redelivers the same
  MessageId: one delivery, one alert;
- 8 clients deliver the same alarm identity at once to a real server: one open alert, no delivery
  failed or retried (the race re-reads instead of failing).

Every process is real (`opsdesk inbox process`, `opsdesk serve`) on a database of its own: a copy of
the migrated test database (SQLite: VACUUM INTO a file; PostgreSQL: CREATE DATABASE … TEMPLATE),
because committed data must be seen by other processes and the append-only audit log cannot be
flushed. What the processes run is in faults.py."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from opsdesk.inbox.tests import snsfixture
from opsdesk.web.tests import faults
from opsdesk.web.tests.browser import ROOT, free_port

# django_db: so that pytest-django sets the test database up (the tests use copies of it, never it).
pytestmark = [pytest.mark.server, pytest.mark.django_db]

ALARMS = 10_000  # on PostgreSQL
SQLITE_ALARMS = 2_000
IDENTITIES = 100
PAGED = 10  # identities matched by a P1 rule: their incidents page on-call
KILL_AFTER = 500  # processed deliveries before the worker is killed, and at least as many left after
LEASE_SECONDS = 3
OPSDESK = [sys.executable, "-m", "opsdesk"]


class Database:
    """A database of the fault tests' own: its URL for the processes, and SQL for the asserts."""

    def __init__(self, url: str, connect):
        self.url = url
        self._connect = connect

    def scalar(self, sql: str):
        return self.rows(sql)[0][0]

    def rows(self, sql: str) -> list[tuple]:
        with self._connect() as conn:
            cursor = conn.cursor()
            cursor.execute(sql)
            return list(cursor.fetchall())


def _postgres_url(settings_dict: dict, name: str) -> str:
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{name}"


@pytest.fixture(scope="module")
def new_database(django_db_setup, django_db_blocker, tmp_path_factory):
    """Makes databases that are copies of the migrated (empty) test database; drops them after. The
    copy to copy from is taken once, before any test of the module opens its transaction."""
    made: list[str] = []
    folder = tmp_path_factory.mktemp("faults")
    settings_dict = dict(connection.settings_dict)
    vendor = connection.vendor
    template = folder / "template.sqlite3"
    template_name = f"{settings_dict['NAME']}_faults_{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        if vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM INTO %s", [str(template)])
        else:
            connection.close()  # a template database must have no other session
            with _pg_admin(settings_dict) as admin:
                admin.execute(f'CREATE DATABASE "{template_name}" TEMPLATE "{settings_dict["NAME"]}"')
            made.append(template_name)

    def make() -> Database:
        if vendor == "sqlite":
            path = folder / f"faults-{uuid.uuid4().hex[:8]}.sqlite3"
            shutil.copyfile(template, path)
            return Database(f"sqlite:///{path}", lambda: _sqlite(path))
        name = f"{settings_dict['NAME']}_faults_{uuid.uuid4().hex[:8]}"
        with _pg_admin(settings_dict) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
            # A scratch database: commits need not wait for the disk (the processes are killed,
            # never the database server), as SQLite's WAL with synchronous=NORMAL does not either.
            admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        made.insert(0, name)
        url = _postgres_url(settings_dict, name)
        return Database(url, lambda: psycopg.connect(url, autocommit=True))

    yield make
    for name in made:
        with _pg_admin(settings_dict) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _sqlite:
    """A short-lived read connection to a SQLite file (as a context manager that closes it)."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path, timeout=30)

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()


def _pg_admin(settings_dict: dict) -> psycopg.Connection:
    return psycopg.connect(_postgres_url(settings_dict, "postgres"), autocommit=True)


def _env(database: Database, data_dir: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST", "OPSDESK_"))}
    env.update(
        DATABASE_URL=database.url,
        OPSDESK_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="opsdesk.config.settings",
        OPSDESK_SECRET_KEY="faults-" + "k" * 50,
        OPSDESK_LOG_LEVEL="ERROR",
        OPSDESK_INBOX_LEASE_SECONDS=str(LEASE_SECONDS),
        **more,
    )
    return env


def _seed(env: dict[str, str], alarms: int) -> str:
    """The world and `alarms` accepted alarms; the SNS endpoint's token."""
    code = (
        "import django; django.setup()\n"
        "from opsdesk.web.tests import faults\n"
        f"faults.seed(alarms={alarms}, identities={IDENTITIES}, paged={PAGED})\n"
    )
    # OPSDESK_TESTING: the world's people get the tests' quick password hasher.
    done = subprocess.run([sys.executable, "-c", code], env={**env, "OPSDESK_TESTING": "1"}, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _assert_each_alarm_processed_once(db: Database, alarms: int, identities: int, paged: int) -> None:
    states = dict(db.rows("SELECT state, count(*) FROM inbox_delivery GROUP BY state"))
    assert states == {"processed": alarms}, states  # 0 lost, none failed
    # One occurrence per delivery: no delivery's effects applied twice, none missing.
    occurrences, deliveries = db.rows(
        "SELECT count(*), count(DISTINCT delivery_id) FROM alerts_alertoccurrence"
    )[0]
    assert occurrences == deliveries == alarms
    alerts, counted, open_alerts = db.rows(
        "SELECT count(*), sum(occurrences), sum(CASE WHEN state = 'open' THEN 1 ELSE 0 END) FROM alerts_alert"
    )[0]
    assert (alerts, counted, open_alerts) == (identities, alarms, identities)
    assert db.scalar("SELECT count(DISTINCT identity_key) FROM alerts_alert") == identities
    incidents = db.scalar("SELECT count(*) FROM incidents_incident WHERE source = 'alarm'")
    linked = db.scalar("SELECT count(DISTINCT incident_id) FROM alerts_alert WHERE incident_id IS NOT NULL")
    assert incidents == linked == identities
    pages = db.rows(
        "SELECT count(*), count(DISTINCT incident_id) FROM oncall_page WHERE cause = 'new_incident'"
    )
    assert pages[0] == (paged, paged)
    emails = db.rows(
        "SELECT count(*), count(DISTINCT subject || '|' || recipient || '|' || event)"
        " FROM notifications_notification"
    )[0]
    assert emails[0] == emails[1] == identities  # one email to the contact per incident, none twice


def test_a_worker_killed_mid_way_through_the_accepted_alarms_loses_and_repeats_none(new_database, tmp_path):
    alarms = ALARMS if connection.vendor == "postgresql" else SQLITE_ALARMS
    db = new_database()
    env = _env(db, tmp_path)
    _seed(env, alarms)
    assert db.scalar("SELECT count(*) FROM inbox_delivery WHERE state = 'received'") == alarms

    log = (tmp_path / "worker.log").open("w+")
    worker = subprocess.Popen([*OPSDESK, "inbox", "process", "--batch", "10"], env=env, cwd=ROOT,
                              stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 240
    processed = 0
    try:
        while processed < KILL_AFTER:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the worker processed too little"
            time.sleep(0.05)
            processed = db.scalar("SELECT count(*) FROM inbox_delivery WHERE state = 'processed'")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    states = dict(db.rows("SELECT state, count(*) FROM inbox_delivery GROUP BY state"))
    # Killed mid-way: some processed before the kill, and enough left for the runs after it.
    assert KILL_AFTER <= states["processed"] <= alarms - KILL_AFTER and states.get("failed", 0) == 0, states

    # Run again, as two workers side by side: the killed worker's claims are taken back once their
    # lease runs out, and the two never process one delivery both.
    reruns = [
        subprocess.Popen([*OPSDESK, "inbox", "process", "--wait", "--batch", "10"], env=env, cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    for rerun in reruns:
        output = rerun.communicate(timeout=600)[0]
        assert rerun.returncode == 0, output[-3000:]
    _assert_each_alarm_processed_once(db, alarms, IDENTITIES, PAGED)


# --- a real web server ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(new_database, tmp_path_factory):
    """`opsdesk serve` (gunicorn, 2 workers × 4 threads) on a database of its own with the world and an
    SNS endpoint; the crash hook armed by creating the marker file. Processing runs on commit inside
    the request (Huey immediate), as with OPSDESK_HUEY_IMMEDIATE in a small deployment."""
    db = new_database()
    folder = tmp_path_factory.mktemp("faults-server")
    certificate = folder / "sns.pem"
    certificate.write_bytes(snsfixture.keys()[1])
    marker = folder / "crash-after-commit"
    env = _env(
        db,
        folder,
        OPSDESK_TESTING="1",  # honours the crash hook
        OPSDESK_HUEY_IMMEDIATE="1",
        OPSDESK_WEB_WORKERS="2",
        OPSDESK_WEB_THREADS="4",
        OPSDESK_SNS_FETCHER="opsdesk.web.tests.faults.fetch",
        OPSDESK_FAULTS_SNS_CERT=str(certificate),
        OPSDESK_TEST_CRASH_AFTER_COMMIT=str(marker),
        OPSDESK_INTAKE_RATE_PER_MINUTE="0",
    )
    token = _seed(env, 0)
    port = free_port()
    log_path = folder / "serve.log"
    log = log_path.open("w+")
    process = subprocess.Popen([*OPSDESK, "serve", "--no-worker", "--port", str(port)], env=env, cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "running at" not in log_path.read_text():
            assert process.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.1)
        yield {"port": port, "path": f"/intake/sns/{token}/", "db": db, "marker": marker, "log": log_path}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _post(server: dict, document: dict) -> tuple[int, dict]:
    """POST as SNS does; (status, answer)."""
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=60)
    try:
        conn.request("POST", server["path"], body=json.dumps(document).encode(), headers={
            "Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def _signed_alarm(name: str, message_id: str | None = None) -> dict:
    from django.utils import timezone

    return snsfixture.sign(
        snsfixture.notification(message=faults.alarm_message(name, timezone.now()), message_id=message_id)
    )


def test_the_web_process_killed_between_commit_and_answer_then_a_redelivery_is_one_alert(server):
    db = server["db"]
    document = _signed_alarm("fault-crash-after-commit")
    server["marker"].touch()
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        _post(server, document)  # the worker process exits: SNS sees no answer
    assert not server["marker"].exists()
    # The delivery was committed before the process died.
    message_id = document["MessageId"]
    assert db.scalar(f"SELECT count(*) FROM inbox_delivery WHERE external_id = {_q(message_id)}") == 1
    # SNS redelivers the same MessageId until it gets a 2xx (gunicorn has started another worker).
    deadline = time.monotonic() + 60
    while True:
        try:
            status, answer = _post(server, document)
            break
        except OSError:
            assert time.monotonic() < deadline, server["log"].read_text()[-3000:]
            time.sleep(0.2)
    assert status == 200 and answer["duplicate"] is True, answer
    rows = db.rows(f"SELECT state, attempts FROM inbox_delivery WHERE external_id = {_q(message_id)}")
    assert rows == [("processed", 1)]
    alerts = db.rows(
        "SELECT occurrences, incident_id IS NOT NULL FROM alerts_alert"
        " WHERE name = 'fault-crash-after-commit'"
    )
    assert [(count, bool(linked)) for count, linked in alerts] == [(1, True)]


def _q(text: str) -> str:
    """A literal for the assert queries (the test's own ids: letters, digits and dashes)."""
    assert all(c.isalnum() or c == "-" for c in text)
    return f"'{text}'"


def test_eight_clients_delivering_one_alarm_identity_at_once_make_one_open_alert(server):
    db = server["db"]
    name = "fault-p1-race"  # a P1 rule matches: its incident pages on-call
    documents = [_signed_alarm(name) for _ in range(8)]
    barrier = threading.Barrier(8)
    answers: list[object] = []

    def deliver(document: dict) -> None:
        barrier.wait(timeout=30)
        try:
            answers.append(_post(server, document)[0])
        except OSError as exc:  # reported by the assert below
            answers.append(repr(exc))

    threads = [threading.Thread(target=deliver, args=(d,)) for d in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert answers == [200] * 8, server["log"].read_text()[-3000:]
    ids = ", ".join(_q(d["MessageId"]) for d in documents)
    # Each processed at its first attempt: the losers of the race re-read the open alert and count.
    rows = db.rows(f"SELECT state, attempts, error FROM inbox_delivery WHERE external_id IN ({ids})")
    assert sorted(rows) == [("processed", 1, "")] * 8
    alerts = db.rows(f"SELECT state, occurrences, incident_id FROM alerts_alert WHERE name = '{name}'")
    assert len(alerts) == 1 and alerts[0][:2] == ("open", 8), alerts
    incident = alerts[0][2]
    assert db.scalar(f"SELECT count(*) FROM incidents_incident WHERE id = {int(incident)}") == 1
    assert db.scalar(f"SELECT count(*) FROM oncall_page WHERE incident_id = {int(incident)}") == 1
