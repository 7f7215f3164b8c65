"""Tenancy-walk declarations of the on-call API (see opsdesk/testing/routes.py). The world comes
from routes.py's world_extras (one world per declaring module: the same objects)."""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route

API = "/api/v1/oncall"
VIEW = "oncall.view"
MANAGE = "oncall.manage"


def _staff(target: str, method: str = "GET", *, manage: bool = False, **kwargs: Any) -> Route:
    return Route(
        "api", f"{API}{target}", method, staff_only=True, permission=MANAGE if manage else VIEW, **kwargs
    )


def _crud(path: str, id: str, key: str, spare: str, create, patch) -> list[Route]:
    one = f"{path}/{{{id}}}"
    return [
        _staff(path),
        _staff(path, "POST", manage=True, body=create),
        _staff(one, params={id: key}),
        _staff(one, "PATCH", manage=True, params={id: key}, if_match=key, body=patch),
        _staff(one, "DELETE", manage=True, params={id: spare}, if_match=spare),
    ]


ROUTES = [
    *_crud(
        "/teams",
        "team_id",
        "oncall_team",
        "oncall_team_spare",
        lambda w: {"name": "Walk API team", "members": [w["engineer"].pk]},
        lambda w: {"description": "patched"},
    ),
    *_crud(
        "/rotas",
        "rota_id",
        "oncall_rota",
        "oncall_rota_spare",
        lambda w: {
            "team": w["oncall_team"].pk,
            "name": "Walk API rota",
            "handover_time": "09:00",
            "starts_on": "2026-11-30",
            "participants": [w["engineer"].pk],
        },
        lambda w: {"handover": "daily"},
    ),
    _staff("/rotas/{rota_id}/schedule", params={"rota_id": "oncall_rota"}),
    *_crud(
        "/overrides",
        "override_id",
        "oncall_override",
        "oncall_override",
        lambda w: {
            "rota": w["oncall_rota"].pk,
            "user": w["engineer"].pk,
            "starts_at": "2026-12-24T18:00:00Z",
            "ends_at": "2026-12-27T09:00:00Z",
        },
        lambda w: {"reason": "patched"},
    ),
    *_crud(
        "/policies",
        "policy_id",
        "oncall_policy",
        "oncall_policy_spare",
        lambda w: {
            "name": "Walk API policy",
            "team": w["oncall_team"].pk,
            "steps": [{"action": "notify_team", "team": w["oncall_team"].pk}],
        },
        lambda w: {"repeat_count": 0},
    ),
    _staff("/pages"),
    _staff("/pages/{page_id}", params={"page_id": "oncall_page"}),
    _staff("/pages/{page_id}/acknowledge", "POST", params={"page_id": "oncall_page"}),
    _staff("/now"),
]
