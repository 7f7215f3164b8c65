"""Alarm intake benchmark (issue 12, "Speed, and side by side with Alerta").

In one run on this machine, against one PostgreSQL server:

  1. opsdesk under gunicorn (opsdesk/config/gunicorn_conf.py, 2 worker processes of 8 threads) on
     PostgreSQL, with Redis for the task queue and the cache as "Running at scale" in the README
     describes. CloudWatch alarms arrive the way a customer's do: as Amazon SNS notifications POSTed
     to the organisation's /intake/sns/<token>/ endpoint, each signed (SignatureVersion 2,
     SHA256withRSA) by a key whose certificate the server fetches through OPSDESK_SNS_FETCHER (a
     module this script writes: it serves the bench's certificate for the one allowed
     sns.eu-west-2.amazonaws.com URL, as the tests' snsfixture does). Every check runs: certificate
     URL, topic allow-list, age, signature. Two runs: 100 alarm identities (5,000 alarms by default,
     repeats of open alerts), then 100,000 (2,000 alarms by default, each a new identity, so each
     opens an alert and raises a P3 incident: that is what bounds the count). 8 concurrent clients
     with keep-alive connections send pre-built, pre-signed requests. Two `opsdesk worker`
     processes (the Huey consumers) are started and warmed up first, then paused (SIGSTOP) while
     the alarms arrive, so the accepting figures are the web path's own; they resume at the last
     answer (--worker-during lets them run throughout, as in production) and the script waits until
     no delivery is left unprocessed, then checks the alerts: one open alert per identity,
     occurrences = accepted alarms, no failed delivery. It also prints the CPU the web processes
     and the database's server processes spent per alarm (a figure the machine's load does not
     inflate as much as the rates).
  2. Alerta 9.1.0 exactly as ../shared/peerbench/alerta.md says (its own venv under /tmp, the same
     PostgreSQL server, the body of alerta-body.json), with the same concurrency and identities.
     Alerta stores the alert inside the request, so its time until processed is its posting time.
  3. pgbench: PostgreSQL's own floor for `INSERT … ON CONFLICT DO UPDATE` on 100 hot keys, 8 clients.

Prints, for each: alarms accepted per second, p50/p99 latency, non-2xx answers, the time until every
accepted alarm is processed; then the ratios to the goals (≥ 10× Alerta's accepted per second, p99
< 50 ms, 0 non-2xx, within 2× of the PostgreSQL floor) and the machine's load (other work on a
shared machine shows in the figures).

    .venv/bin/python bench/intake.py [--quick] [--hot 5000] [--wide 2000] [--alerta-seconds 20]
                                     [--worker-processes 2] [--worker-during] [--no-alerta] [--keep]

Needs PostgreSQL at OPSDESK_BENCH_PG (default postgres://postgres@127.0.0.1:5432) and pgbench on
the PATH; Redis at OPSDESK_BENCH_REDIS (default redis://127.0.0.1:6379/13; without one the queue is
SQLite in a temporary folder). Uses and drops the databases opsdesk_bench_intake (OPSDESK_BENCH_DB)
and alerta_bench (OPSDESK_BENCH_ALERTA_DB). Alerta is installed into /tmp/alerta-venv the first time
(PyPI must be reachable); when it cannot be, the script says so and prints the rest.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

# bench/queue.py would shadow the standard library's queue module, which psycopg imports: move this
# folder to the end of the path (as bench/queue.py does).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE] + [_HERE]

import _django  # noqa: E402

DB = os.environ.get("OPSDESK_BENCH_DB", "opsdesk_bench_intake")
ALERTA_DB = os.environ.get("OPSDESK_BENCH_ALERTA_DB", "alerta_bench")
REDIS = os.environ.get("OPSDESK_BENCH_REDIS", "redis://127.0.0.1:6379/13")
ROOT = _django.ROOT
VENV_BIN = Path(sys.executable).parent
PEERBENCH = ROOT.parent / "shared" / "peerbench"
ALERTA_VENV = Path(os.environ.get("OPSDESK_BENCH_ALERTA_VENV", "/tmp/alerta-venv"))
ALERTA_VERSION = "9.1.0"

CONCURRENCY = 8
#: Runs whose alerts did not come out as the alarms say (the script then exits 1).
INCONSISTENT: list[str] = []
GOAL_VS_ALERTA = 10.0
GOAL_P99_MS = 50.0
GOAL_VS_FLOOR = 2.0

CERT_URL = "https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-bench.pem"
TOPIC = "arn:aws:sns:eu-west-2:123456789012:alarms"

# --- a small HTTP/1.1 client: pre-built requests on keep-alive sockets ---------------------------


class Result:
    def __init__(self) -> None:
        self.latencies: list[float] = []  # seconds, answered requests only
        self.statuses: dict[int, int] = {}
        self.errors = 0  # connection failures (counted as non-2xx)
        self.elapsed = 0.0
        self.started = 0.0
        self.web_cpu_ms = float("nan")  # CPU of the web server's processes per request
        self.db_cpu_ms = float("nan")  # CPU of the database's server processes per request

    @property
    def sent(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)

    @property
    def non_2xx(self) -> int:
        return self.sent - self.ok

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))] * 1000

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0


def _request(host: str, port: int, path: str, body: bytes, content_type: str, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n{extra}Connection: keep-alive\r\n\r\n"
    ).encode("ascii") + body


_HEAD_END = b"\r\n\r\n"


def _read_response(sock: socket.socket, buf: bytearray) -> tuple[int, bool]:
    """(status, keep the connection); consumes one response from `buf` + the socket."""
    while True:
        end = buf.find(_HEAD_END)
        if end >= 0:
            break
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the answer")
        buf += chunk
    head = bytes(buf[:end]).decode("latin-1")
    del buf[: end + 4]
    lines = head.split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        need = int(headers["content-length"])
        while len(buf) < need:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed in the body")
            buf += chunk
        del buf[:need]
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            while (eol := buf.find(b"\r\n")) < 0:
                buf += sock.recv(65536)
            size = int(bytes(buf[:eol]).split(b";")[0], 16)
            while len(buf) < eol + 2 + size + 2:
                buf += sock.recv(65536)
            del buf[: eol + 2 + size + 2]
            if size == 0:
                break
    keep = headers.get("connection", "").lower() != "close"
    return status, keep


def load(port: int, requests: list[bytes], *, seconds: float | None = None) -> Result:
    """POST `requests` from CONCURRENCY threads, each on its own keep-alive connection (thread k
    sends requests k, k+8, …); stop early after `seconds` when given."""
    result = Result()
    lock = threading.Lock()
    start_gate = threading.Barrier(CONCURRENCY + 1)
    deadline = [float("inf")]

    def client(k: int) -> None:
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        sock = None
        buf = bytearray()
        clock = time.perf_counter
        start_gate.wait()
        for i in range(k, len(requests), CONCURRENCY):
            if clock() > deadline[0]:
                break
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=60)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                buf = bytearray()
            began = clock()
            try:
                sock.sendall(requests[i])
                status, keep = _read_response(sock, buf)
            except (OSError, ValueError, IndexError):
                errors += 1
                sock.close()
                sock = None
                continue
            latencies.append(clock() - began)
            statuses[status] = statuses.get(status, 0) + 1
            if not keep:
                sock.close()
                sock = None
        if sock is not None:
            sock.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors
            for s, n in statuses.items():
                result.statuses[s] = result.statuses.get(s, 0) + n

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(CONCURRENCY)]
    for t in threads:
        t.start()
    result.started = time.perf_counter()
    if seconds is not None:
        deadline[0] = result.started + seconds
    start_gate.wait()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - result.started
    return result


def free_port(preferred: int | None = None) -> int:
    for candidate in ([preferred] if preferred else []) + [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen | None) -> None:
    """Stop a process this script started (and its children: it leads its own process group)."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes (all their threads) so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICK


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def backends(database: str) -> list[int]:
    """The PostgreSQL server processes serving `database` (same machine)."""
    import psycopg

    with psycopg.connect(f"{_django.SERVER}/postgres", autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])]


def measured(port: int, requests: list[bytes], server_pid: int, database: str, **kw) -> Result:
    """`load`, and the CPU the web server's processes and the database's backends spent on it."""
    web = [server_pid, *children(server_pid)]
    db_before = {pid: cpu_seconds([pid]) for pid in backends(database)}
    web_before = cpu_seconds(web)
    result = load(port, requests, **kw)
    spent_db = sum(
        cpu_seconds([pid]) - db_before.get(pid, 0.0) for pid in backends(database) if pid != os.getpid()
    )
    result.web_cpu_ms = (cpu_seconds(web) - web_before) * 1000 / max(1, result.sent)
    # Zero: the server opens a connection per request (Alerta), and they are gone before they are seen.
    result.db_cpu_ms = spent_db * 1000 / max(1, result.sent) if spent_db > 0 else float("nan")
    return result


def cpu_ms(value: float) -> str:
    return "not measured" if value != value else f"{value:.2f} ms"


def line(label: str, result: Result, processed_s: float | None, note: str = "") -> str:
    processed = f"{processed_s:>9.1f}" if processed_s is not None else f"{'—':>9}"
    return (
        f"{label:<34} {result.sent:>8,} {result.rate:>10,.0f} {result.pct(0.50):>8.1f} "
        f"{result.pct(0.99):>8.1f} {result.non_2xx:>7,} {processed} {note}"
    )


HEADER = (
    f"{'run':<34} {'sent':>8} {'accepted/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>7} "
    f"{'done (s)':>9}"
)

# --- opsdesk ----------------------------------------------------------------------------------

FETCHER = '''"""Written by bench/intake.py: the SNS certificate fetcher of the benchmark's web processes."""
import os
import urllib.error


def fetch(url):
    if url != os.environ["OPSDESK_BENCH_CERT_URL"]:
        raise urllib.error.URLError("not served by the benchmark")
    with open(os.environ["OPSDESK_BENCH_CERT_FILE"], "rb") as handle:
        return handle.read()
'''


def make_key(folder: Path):
    """A signing key and its (self-signed) certificate, as a PEM file the fetcher serves."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .sign(key, hashes.SHA256())
    )
    pem = folder / "sns-bench.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "opsdesk_bench_sns.py").write_text(FETCHER)
    return key, pem


def alarm_message(account_id: str, name: str, at: dt.datetime) -> str:
    """A CloudWatch alarm's SNS Message, as CloudWatch writes it (as the alerts tests build it)."""
    return json.dumps(
        {
            "AlarmName": name,
            "AlarmDescription": f"{name} on the API",
            "AWSAccountId": account_id,
            "NewStateValue": "ALARM",
            "NewStateReason": "Threshold Crossed: 1 datapoint [95.0] was greater than the threshold (80.0).",
            "StateChangeTime": at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "Region": "EU (Ireland)",
            "AlarmArn": f"arn:aws:cloudwatch:eu-west-1:{account_id}:alarm:{name}",
            "OldStateValue": "OK",
            "Trigger": {
                "MetricName": "CPUUtilization",
                "Namespace": "AWS/EC2",
                "Dimensions": [{"value": name.rsplit("-", 1)[-1], "name": "InstanceId"}],
            },
        }
    )


def sns_requests(key, port: int, path: str, account_id: str, names: list[str]) -> list[bytes]:
    """Signed SNS Notifications (SignatureVersion 2), each a full HTTP request."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    now = dt.datetime.now(dt.UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    out = []
    sha256, pkcs = hashes.SHA256(), padding.PKCS1v15()
    for name in names:
        message = alarm_message(account_id, name, now)
        document = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": TOPIC,
            "Subject": f'ALARM: "{name}" in EU (Ireland)',
            "Message": message,
            "Timestamp": stamp,
            "SignatureVersion": "2",
            "SigningCertURL": CERT_URL,
            "UnsubscribeURL": "https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
        }
        canonical = "".join(
            f"{n}\n{document[n]}\n"
            for n in ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
        ).encode()
        document["Signature"] = base64.b64encode(key.sign(canonical, pkcs, sha256)).decode()
        extra = (
            "x-amz-sns-message-type: Notification\r\n"
            f"x-amz-sns-message-id: {document['MessageId']}\r\n"
            f"x-amz-sns-topic-arn: {TOPIC}\r\n"
            "User-Agent: Amazon Simple Notification Service Agent\r\n"
        )
        out.append(
            _request(
                "127.0.0.1", port, path, json.dumps(document).encode(), "text/plain; charset=UTF-8", extra
            )
        )
    return out


def redis_url() -> str | None:
    """The bench's Redis database when it answers and holds nothing but this bench's queue."""
    try:
        import redis
    except ImportError:
        return None
    try:
        client = redis.Redis.from_url(REDIS, socket_timeout=2)
        client.ping()
        foreign = [
            k for k in client.scan_iter(count=100) if not k.startswith(b"huey.") and b"opsdesk" not in k
        ]
        if foreign:
            print(f"(Redis {REDIS} holds other keys: using the SQLite queue instead)")
            return None
        client.flushdb()
        return REDIS
    except Exception as exc:  # noqa: BLE001 — any failure: fall back to SQLite
        print(f"(Redis {REDIS} unavailable: {type(exc).__name__}; using the SQLite queue)")
        return None


def opsdesk_world() -> tuple[str, str]:
    """The test world's tenant A (an organisation, its AWS accounts, a production service, a
    contact reachable out of hours), its SNS endpoint with the bench topic allowed. (account, token)"""
    from opsdesk.directory import services as directory
    from opsdesk.inbox import services as inbox
    from opsdesk.testing.world import build_world

    world = build_world()
    for tag in ("a", "b"):
        directory.contact_update(
            actor=world["admin"], contact=world[f"contact_{tag}"], is_technical_out_of_hours=True
        )
    subscription = inbox.sns_subscription_create(
        actor=world["admin"], organisation=world["org_a"], topic_arns=[TOPIC], description="Bench alarms"
    )
    return world["member_a"].account_id, subscription.token


def pending() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inbox_delivery WHERE state IN ('received', 'processing')")
        return cursor.fetchone()[0]


def wait_processed(result: Result, timeout: float) -> float | None:
    """Seconds from the first alarm sent until no delivery is left unprocessed (None: timed out)."""
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if pending() == 0:
            return time.perf_counter() - result.started
        time.sleep(0.1)
    return None


def check_alerts(prefix: str, identities: int, accepted: int) -> tuple[str, bool]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'open'), coalesce(sum(occurrences), 0), "
            "count(incident_id) FROM alerts_alert WHERE name LIKE %s",
            [prefix + "%"],
        )
        alerts, open_, occurrences, incidents = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FILTER (WHERE state = 'processed'), count(*) FILTER (WHERE state = 'failed') "
            "FROM inbox_delivery WHERE body LIKE %s",
            ["%" + prefix + "%"],
        )
        processed, failed = cursor.fetchone()
    ok = open_ == alerts == identities and occurrences == accepted == processed and failed == 0
    return ok, (
        f"  alerts {alerts:,} (open {open_:,}; identities {identities:,}), occurrences {occurrences:,} "
        f"(accepted {accepted:,}), deliveries processed {processed:,}, failed {failed}, "
        f"incidents {incidents:,}: "
        + ("consistent" if ok else "NOT CONSISTENT")
    )


def run_opsdesk(args, tmp: Path) -> dict[str, tuple[Result, float | None]]:
    url = _django.fresh_database(DB)
    account, token = opsdesk_world()
    key, pem = make_key(tmp)
    queue = redis_url()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("OPSDESK_HUEY_IMMEDIATE", "REDIS_URL")}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="opsdesk.config.settings",
        OPSDESK_DATA_DIR=str(tmp / "data"),
        OPSDESK_WEB_WORKERS="2",
        OPSDESK_SNS_FETCHER="opsdesk_bench_sns.fetch",
        OPSDESK_BENCH_CERT_URL=CERT_URL,
        OPSDESK_BENCH_CERT_FILE=str(pem),
        # One client address sends everything here; SNS sends from many. The per-address intake
        # limit (6,000 a minute by default) would otherwise answer 429 to the bench itself.
        OPSDESK_INTAKE_RATE_PER_MINUTE="0",
        OPSDESK_LOG_LEVEL=os.environ.get("OPSDESK_BENCH_LOG_LEVEL", "INFO"),
        PYTHONPATH=os.pathsep.join([str(tmp), str(ROOT)]),
    )
    if queue:
        env["REDIS_URL"] = queue
    (tmp / "data").mkdir(exist_ok=True)
    web_log = open(tmp / "web.log", "wb")
    worker_log = open(tmp / "worker.log", "wb")
    web = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--config", "python:opsdesk.config.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}"],
        env=env, cwd=ROOT, stdout=web_log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    workers: list[subprocess.Popen] = []
    figures: dict[str, tuple[Result, float | None]] = {}
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", web)
        path = f"/intake/sns/{token}/"
        print(f"opsdesk: gunicorn 2 workers × 8 threads on :{port}; queue {'Redis' if queue else 'SQLite'}; "
              f"{args.worker_processes} × `opsdesk worker`; POST {path[:18]}…/ "
              "(signed SNS, CloudWatch alarm)")
        # Warm up both web processes (imports, connections, the certificate cache) outside the timing.
        warm_names = [f"warmup-i-{i:05d}" for i in range(2 * CONCURRENCY * 4)]
        warm = sns_requests(key, port, path, account, warm_names)
        warm_result = load(port, warm)
        if warm_result.ok != len(warm):
            print(f"warm-up: {warm_result.statuses} errors {warm_result.errors}; see {tmp / 'web.log'}")
        workers = [
            subprocess.Popen(
                [str(VENV_BIN / "opsdesk"), "worker", *(["--no-periodic"] if n else [])], env=env, cwd=ROOT,
                stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True,
            )
            for n in range(args.worker_processes)
        ]
        if wait_processed(warm_result, 120) is None:
            print("warm-up deliveries not processed within 120 s; see", tmp / "worker.log")
        for label, identities, count in (
            ("100 identities", 100, args.hot),
            ("100,000 identities", 100_000, args.wide),
        ):
            prefix = f"bench{identities}-"
            names = [f"{prefix}i-{i % identities:06d}" for i in range(count)]
            started = time.perf_counter()
            requests = sns_requests(key, port, path, account, names)
            signed_in = time.perf_counter() - started
            if not args.worker_during:  # the workers wait, paused, while the alarms arrive
                for worker in workers:
                    os.killpg(worker.pid, signal.SIGSTOP)
            try:
                result = measured(port, requests, web.pid, DB)
            finally:
                for worker in workers:
                    os.killpg(worker.pid, signal.SIGCONT)
            done = wait_processed(result, args.drain_timeout)
            figures[label] = (result, done)
            print(line(f"opsdesk, {label}", result, done,
                       f"(CPU an alarm: web {result.web_cpu_ms:.2f} ms, "
                       f"PostgreSQL {cpu_ms(result.db_cpu_ms)})"))
            if done is not None:
                rate = result.ok / max(1e-9, done - result.elapsed)
                print(f"  processed {rate:,.0f} alarms/s after the last answer "
                      f"({args.worker_processes} worker processes); signed beforehand in {signed_in:.1f} s")
            if result.non_2xx:
                print(f"  answers: {dict(sorted(result.statuses.items()))}, "
                      f"connection errors {result.errors}")
            consistent, text = check_alerts(prefix, min(identities, count), result.ok)
            print(text)
            if not consistent:
                INCONSISTENT.append(label)
    finally:
        for worker in workers:
            stop(worker)
        stop(web)
        web_log.close()
        worker_log.close()
    return figures


# --- Alerta (../shared/peerbench/alerta.md) -------------------------------------------------------


def alerta_install() -> str | None:
    """The venv of the recipe; None when ready, else why not."""
    if (ALERTA_VENV / "bin" / "gunicorn").exists() and (ALERTA_VENV / "bin" / "alertad").exists():
        return None
    python = shutil.which("python3.11") or sys.executable
    print(f"installing alerta-server=={ALERTA_VERSION} into {ALERTA_VENV} …")
    try:
        subprocess.run([python, "-m", "venv", str(ALERTA_VENV)], check=True, capture_output=True, timeout=120)
        subprocess.run(
            [str(ALERTA_VENV / "bin" / "pip"), "install", "-q", f"alerta-server=={ALERTA_VERSION}",
             "psycopg2-binary", "gunicorn"],
            check=True, capture_output=True, timeout=600,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return f"{type(exc).__name__}: {detail.decode(errors='replace').strip().splitlines()[-1:]}"
    return None


def run_alerta(args, tmp: Path) -> dict[str, tuple[Result, float | None]] | str:
    import psycopg

    why = alerta_install()
    if why:
        return f"Alerta could not be installed ({why})"
    with psycopg.connect(f"{_django.SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{ALERTA_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{ALERTA_DB}"')
    port = free_port(8080)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSDESK_", "DJANGO_"))}
    env.update(DATABASE_URL=f"{_django.SERVER}/{ALERTA_DB}", AUTH_REQUIRED="False", PLUGINS="reject")
    env.pop("PYTHONPATH", None)
    log = open(tmp / "alerta.log", "wb")
    command = [str(ALERTA_VENV / "bin" / "gunicorn"), "-b", f"127.0.0.1:{port}", "alerta:create_app()"]
    figures: dict[str, tuple[Result, float | None]] = {}
    proc = None
    try:
        # "start once with one worker first: with two, the schema creation races"
        proc = subprocess.Popen([*command[:1], "-w", "1", *command[1:]], env=env, cwd=tmp, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(f"http://127.0.0.1:{port}/", proc)
        stop(proc)
        proc = subprocess.Popen([*command[:1], "-w", "2", *command[1:]], env=env, cwd=tmp, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(f"http://127.0.0.1:{port}/", proc)
        template = (PEERBENCH / "alerta-body.json").read_text().strip()
        print(f"Alerta {ALERTA_VERSION}: gunicorn 2 workers on :{port}; POST /alert (alerta-body.json)")
        warm = [_request("127.0.0.1", port, "/alert",
                         template.replace("{key}", f"warm{i}").replace("{seq}", str(i)).encode(),
                         "application/json") for i in range(2 * CONCURRENCY * 2)]
        load(port, warm)
        for label, identities in (("100 identities", 100), ("100,000 identities", 100_000)):
            count = args.alerta_max
            requests = [
                _request("127.0.0.1", port, "/alert",
                         template.replace("{key}", f"{identities}-{i % identities:06d}")
                         .replace("{seq}", str(i)).encode(), "application/json")
                for i in range(count)
            ]
            result = measured(port, requests, proc.pid, ALERTA_DB, seconds=args.alerta_seconds)
            figures[label] = (result, result.elapsed)  # stored inside the request
            print(line(f"Alerta, {label}", result, result.elapsed,
                       f"(CPU an alert: web {result.web_cpu_ms:.2f} ms, "
                       f"PostgreSQL {cpu_ms(result.db_cpu_ms)}; "
                       f"{args.alerta_seconds:.0f} s)"))
            if result.non_2xx:
                print(f"  answers: {dict(sorted(result.statuses.items()))}, "
                      f"connection errors {result.errors}")
    except RuntimeError as exc:
        return f"Alerta did not start: {exc} (log: {tmp / 'alerta.log'})"
    finally:
        stop(proc)
        log.close()
        with psycopg.connect(f"{_django.SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{ALERTA_DB}" WITH (FORCE)')
    return figures


# --- PostgreSQL's floor ---------------------------------------------------------------------------


def run_pgbench(seconds: float, tmp: Path) -> float | None:
    """Transactions a second of pgbench: one INSERT … ON CONFLICT DO UPDATE on 100 hot keys, 8 clients."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(
            "CREATE TABLE bench_floor (k integer PRIMARY KEY, n integer NOT NULL, seen timestamptz NOT NULL)"
        )
    script = tmp / "floor.sql"
    script.write_text(
        "\\set k random(1, 100)\n"
        "INSERT INTO bench_floor (k, n, seen) VALUES (:k, 1, now()) "
        "ON CONFLICT (k) DO UPDATE SET n = bench_floor.n + 1, seen = excluded.seen;\n"
    )
    pgbench = shutil.which("pgbench")
    if not pgbench:
        print("pgbench is not installed: no PostgreSQL floor")
        return None
    out = subprocess.run(
        [pgbench, "-n", "-c", str(CONCURRENCY), "-j", "2", "-T", str(int(seconds)), "-f", str(script),
         f"{_django.SERVER}/{DB}"],
        capture_output=True, text=True,
    )
    match = re.search(r"tps = ([\d.]+) \((?:without initial connection time|excluding)", out.stdout)
    if not match:
        print("pgbench failed:", (out.stderr or out.stdout).strip()[-400:])
        return None
    latency = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    tps = float(match.group(1))
    print(f"{'pgbench floor, 100 hot keys':<34} {'':>8} {tps:>10,.0f} "
          f"{'(avg ' + latency.group(1) + ' ms)' if latency else '':>17}  ({int(seconds)} s, 8 clients)")
    return tps


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run: fewer alarms, shorter Alerta runs")
    parser.add_argument("--hot", type=int, default=None, help="alarms posted in the 100-identity run (5,000)")
    parser.add_argument("--wide", type=int, default=None,
                        help="alarms posted in the 100,000-identity run, each a new identity (2,000)")
    parser.add_argument("--alerta-seconds", type=float, default=None, help="each Alerta run's length (20)")
    parser.add_argument("--pgbench-seconds", type=float, default=None, help="pgbench's run (10)")
    parser.add_argument("--worker-processes", type=int, default=2, help="`opsdesk worker` processes (2)")
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    parser.add_argument("--worker-during", action="store_true",
                        help="let the workers process while the alarms arrive "
                        "(default: paused until the last answer)")
    parser.add_argument("--no-alerta", action="store_true")
    parser.add_argument("--keep", action="store_true",
                        help="keep the opsdesk database and the servers' logs afterwards")
    args = parser.parse_args()
    args.hot = args.hot or (1_000 if args.quick else 5_000)
    args.wide = args.wide or (300 if args.quick else 2_000)
    args.alerta_seconds = args.alerta_seconds or (6.0 if args.quick else 20.0)
    args.alerta_max = int(args.alerta_seconds * 400)  # far more than Alerta sends in that time
    args.pgbench_seconds = args.pgbench_seconds or (4.0 if args.quick else 10.0)

    began = time.monotonic()
    print(f"load before: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores; "
          f"concurrency {CONCURRENCY}")
    print("\n" + HEADER)
    tmp = Path(tempfile.mkdtemp(prefix="opsdesk-bench-intake-"))
    try:
        ours = run_opsdesk(args, tmp)
        alerta = "skipped (--no-alerta)" if args.no_alerta else run_alerta(args, tmp)
        if isinstance(alerta, str):
            print(f"Alerta: {alerta}")
        floor = run_pgbench(args.pgbench_seconds, tmp)
    finally:
        if not args.keep:
            _django.drop_database(DB)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"(kept: the database {DB}, and the servers' logs in {tmp})")

    print(f"\nload after: {os.getloadavg()[0]:.2f} (1 min); "
          "other people's work on the 2 cores shows in the figures")
    print("\nGoals (issue 12):")
    failures = 0
    for label, (result, done) in ours.items():
        checks = []
        if isinstance(alerta, dict) and label in alerta and alerta[label][0].rate:
            ratio = result.rate / alerta[label][0].rate
            checks.append(f"{ratio:.1f}× Alerta's accepted/s (goal ≥ {GOAL_VS_ALERTA:.0f}×: "
                          f"{'met' if ratio >= GOAL_VS_ALERTA else 'NOT met'})")
            failures += ratio < GOAL_VS_ALERTA
        p99 = result.pct(0.99)
        met = "met" if p99 < GOAL_P99_MS else "NOT met"
        checks.append(f"p99 {p99:.1f} ms (goal < {GOAL_P99_MS:.0f}: {met})")
        checks.append(f"{result.non_2xx} non-2xx (goal 0: {'met' if result.non_2xx == 0 else 'NOT met'})")
        failures += (p99 >= GOAL_P99_MS) + (result.non_2xx != 0)
        if floor:
            share = floor / result.rate if result.rate else float("inf")
            checks.append(f"the PostgreSQL floor is {share:.1f}× opsdesk's rate "
                          f"(goal ≤ {GOAL_VS_FLOOR:.0f}×: "
                          f"{'met' if share <= GOAL_VS_FLOOR else 'NOT met'})")
            failures += share > GOAL_VS_FLOOR
        if done is None:
            checks.append("NOT all processed within the drain timeout")
            failures += 1
        print(f"  {label}: " + "; ".join(checks))
    print(f"\ntotal run time {time.monotonic() - began:.0f} s")
    if INCONSISTENT:
        print("alerts NOT consistent with the alarms in:", ", ".join(INCONSISTENT))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
