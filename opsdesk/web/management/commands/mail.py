"""`opsdesk mail serve [--host H] [--port P] [--lmtp]`: the inbound mail listener (issue 12 item 5)."""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Inbound email: `mail serve` listens for SMTP (or LMTP) and stores each message in the inbox."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        serve = sub.add_parser("serve", help="Listen for SMTP/LMTP (OPSDESK_MAIL_HOST/PORT).")
        serve.add_argument("--host", default=None)
        serve.add_argument("--port", type=int, default=None)
        serve.add_argument("--lmtp", action="store_true", help="Speak LMTP instead of SMTP.")

    def handle(self, *args, **options) -> None:
        from opsdesk.web.mailserver import MailController

        host = options["host"] or settings.MAIL_HOST
        port = options["port"] or settings.MAIL_PORT
        controller = MailController(host=host, port=port, lmtp=options["lmtp"])
        controller.start()
        protocol = "LMTP" if options["lmtp"] else "SMTP"
        self.stdout.write(
            f"opsdesk mail: {protocol} on {host}:{port} (at most {settings.MAIL_MAX_BYTES} bytes)"
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
        controller.stop()
