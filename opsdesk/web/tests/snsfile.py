"""The demo server's SNS certificate fetcher in the browser flows (settings.SNS_FETCHER): the test
writes the local stand-in's certificate (inbox/tests/snsfixture.py) to OPSDESK_E2E_SNS_CERT, and
the server reads it from there instead of the internet. Only that one URL is served."""

from __future__ import annotations

import os
import urllib.error
from pathlib import Path

from opsdesk.inbox.tests.snsfixture import CERT_URL


def fetch(url: str) -> bytes:
    path = Path(os.environ.get("OPSDESK_E2E_SNS_CERT", ""))
    if url != CERT_URL or not path.is_file():
        raise urllib.error.URLError("not served by the browser flows' SNS stand-in")
    return path.read_bytes()
