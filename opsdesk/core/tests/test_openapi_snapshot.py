"""The OpenAPI document is a contract (L3): a change to it must be deliberate. After an intended
change, regenerate with `OPSDESK_UPDATE_SNAPSHOTS=1 pytest opsdesk/core/tests/test_openapi_snapshot.py`
and commit the new snapshot with the change."""

import json
import os
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")


def test_openapi_document_matches_the_snapshot(client):
    current = client.get("/api/v1/openapi.json").json()
    if os.environ.get("OPSDESK_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    now, then = current["paths"], expected["paths"]
    changed = sorted(set(now) ^ set(then) | {p for p in now if p in then and now[p] != then[p]})
    assert current == expected, f"API changed (paths: {changed or 'schemas only'}); regenerate the snapshot"


def test_every_operation_has_its_own_id(client):
    """Operation ids are handler names (OpsdeskAPI.get_operation_id), so two handlers with one
    name would give a client two operations it cannot tell apart."""
    document = client.get("/api/v1/openapi.json").json()
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
