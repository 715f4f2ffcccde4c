"""Every ``/v1`` operation of the admin API, and a valid body for each that takes one."""

from __future__ import annotations

from typing import Any

from api.app import create_app
from circles.settings import Settings

BODIES: dict[str, dict[str, Any]] = {
    "/v1/circles": {
        "name": "Recife 3",
        "country": "BR",
        "language": "pt_BR",
        "timezone": "America/Recife",
    },
    "/v1/circles/{circle_id}/invites": {"role": "teacher"},
    "/v1/practices/{practice_id}/request-changes": {"comment": "Please add the timing."},
    "/v1/practices/{practice_id}": {"summary": "Hinge questions mid-lesson."},
    "/v1/tokens": {"name": "probe", "role": "admin"},
    "/v1/circles/{circle_id}/meetings": {"date": "2030-10-15", "time": "16:30"},
    "/v1/circles/{circle_id}/meetings/{meeting_id}": {"date": "2030-10-15", "time": "16:30"},
    "/v1/broadcasts": {"variants": {"en": "Hub on Friday"}, "default_language": "en"},
    "/v1/broadcasts/preview": {},
    "/v1/circles/{circle_id}/holidays": {"starts_on": "2030-10-14", "ends_on": "2030-10-25"},
    "/v1/countries/{country}/holidays": {"starts_on": "2030-10-14", "ends_on": "2030-10-25"},
    "/v1/circles/{circle_id}/requests/{answer_id}/reply": {"text": "On Thursday", "name": "Grace"},
    "/v1/hubs": {"name": "Brazil hub", "kind": "national", "country": "BR"},
    "/v1/hubs/{hub_id}/circles": {"circle_id": 1},
    "/v1/sessions": {
        "title": "Exchange",
        "starts_at": "2026-10-20T11:00:00Z",
        "ends_at": "2026-10-20T12:00:00Z",
        "audience": {"countries": ["BR"]},
    },
    "/v1/sessions/{session_id}": {"title": "Exchange, renamed"},
    "/v1/circles/{circle_id}/years": {
        "label": "2031–32",
        "starts_on": "2031-09-01",
        "ends_on": "2032-07-14",
    },
    "/v1/channel-accounts": {
        "app": "telegram",
        "name": "probe",
        "token": "1:probe",
        "username": "probe_bot",
    },
    "/v1/channel-accounts/assignments": {"account": "probe", "country": "GH"},
}


def _operations() -> list[tuple[str, str]]:
    schema = create_app(Settings(_env_file=None), engine=None).openapi()  # type: ignore[arg-type]
    return sorted(
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if path.startswith("/v1")
        for method in operations
    )


OPERATIONS = _operations()
