"""A token sees its own circles only: another circle's ids answer exactly like missing ones.

The walk takes every ``/v1`` operation from the OpenAPI schema, so a new route is
walked without anyone remembering to add it here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from support.world import Ids, World

from tests.api.routes import BODIES, OPERATIONS

MISSING = 987_654
#: Ids in each path parameter, by parameter name.
_ID_FIELDS = {
    "circle_id": "circle",
    "invite_id": "invite",
    "checkin_id": "checkin",
    "meeting_id": "meeting",
    "practice_id": "practice",
    "token_id": "token",
    "broadcast_id": "broadcast",
    "holiday_id": "holiday",
    "person_id": "person",
    "answer_id": "answer",
    "hub_id": "hub",
    "session_id": "session",
    "year_id": "year",
}
#: Query parameters that name something of a circle.
_ID_QUERIES = {"circle": "circle", "member": "person", "meeting": "meeting"}
#: Words only the other circle's data contains.
_OTHERS_WORDS = {
    "b": ("Kumasi 2", "Kofi", "Abena", "Grace Owusu", "Traffic-light", "B learnt"),
    "a": ("Demo circle", "Ana Souza", "Mini whiteboards", "inspiring"),
}


def _url(path: str, ids: dict[str, Ids | int], country: str) -> tuple[str, dict[str, Any]]:
    """``path`` with each id taken from ``ids`` (an :class:`Ids` or a plain number)."""

    def value(name: str) -> str:
        source = ids.get(name, ids["default"])
        return str(getattr(source, _ID_FIELDS[name]) if isinstance(source, Ids) else source)

    url = re.sub(r"\{(\w+)\}", lambda m: country if m[1] == "country" else value(m[1]), path)
    default = ids["default"]
    query = {
        name: getattr(default, field) if isinstance(default, Ids) else default
        for name, field in _ID_QUERIES.items()
    }
    return url, query


async def _call(client, method: str, path: str, url: str, query: dict[str, Any]):
    if method == "GET":
        return await client.get(url, params=query)
    if method == "PATCH":
        return await client.patch(url, json=BODIES.get(path, {}))
    if method == "DELETE":
        return await client.delete(url)
    return await client.post(url, json=BODIES.get(path, {}))


def _same(first, second, replace: tuple[str, str] | None = None) -> None:
    assert first.status_code == second.status_code
    one, two = first.text, second.text
    if replace:
        one = one.replace(replace[0], "<country>")
        two = two.replace(replace[1], "<country>")
    assert one == two


@pytest.mark.parametrize(
    ("role", "own", "other", "other_country"),
    [
        ("facilitator_a", "a", "b", "GH"),
        ("union_rep_a", "a", "b", "GH"),
        ("coordinator_gh", "b", "a", "BR"),
    ],
)
async def test_every_route_answers_another_circles_ids_like_missing_ones(
    role: str, own: str, other: str, other_country: str, world: World, as_role
) -> None:
    client = as_role(role)
    mine: Ids = getattr(world, own)
    theirs: Ids = getattr(world, other)
    walked = set()
    for method, path in OPERATIONS:
        walked.add((method, path))
        url_b, query_b = _url(path, {"default": theirs}, other_country)
        url_x, query_x = _url(
            path, {"default": MISSING}, "ZZ" if role != "coordinator_gh" else "FR"
        )
        theirs_response = await _call(client, method, path, url_b, query_b)
        missing_response = await _call(client, method, path, url_x, query_x)
        where = f"{method} {path}"
        assert theirs_response.status_code < 500, where
        for word in _OTHERS_WORDS[other]:
            assert word not in theirs_response.text, (where, word)
        if "{country}" in path:
            # Countries are no secret; a refusal names the country asked for.
            assert theirs_response.status_code == 403, where
            _same(theirs_response, missing_response, (other_country, "FR"))
            continue
        if "{" not in path and method == "POST":
            # Creating twice makes two things: compare all but their new ids.
            assert theirs_response.status_code == missing_response.status_code, where
            assert re.sub(r'"id":\d+', "", theirs_response.text) == re.sub(
                r'"id":\d+', "", missing_response.text
            ), where
            continue
        _same(theirs_response, missing_response)
        if "{" in path:
            assert theirs_response.status_code in (403, 404), where
            assert theirs_response.headers["content-type"] == "application/problem+json"
        sub_ids = [n for n in re.findall(r"\{(\w+)\}", path) if n != "circle_id"]
        if "{circle_id}" in path and sub_ids:
            # My circle, their meeting (invite, check-in): as if it did not exist.
            url_mb, _ = _url(path, {"default": theirs, "circle_id": mine}, other_country)
            url_mx, _ = _url(path, {"default": MISSING, "circle_id": mine}, other_country)
            _same(
                await _call(client, method, path, url_mb, {}),
                await _call(client, method, path, url_mx, {}),
            )
    assert walked == set(OPERATIONS)


async def test_the_walk_is_not_trivial_my_own_circle_answers(world: World, as_role) -> None:
    client = as_role("facilitator_a")
    a = world.a
    for url in (
        f"/v1/circles/{a.circle}",
        f"/v1/circles/{a.circle}/members",
        f"/v1/circles/{a.circle}/invites",
        f"/v1/circles/{a.circle}/checkins/{a.checkin}",
        f"/v1/circles/{a.circle}/reflections",
        f"/v1/circles/{a.circle}/meetings/{a.meeting}",
        f"/v1/circles/{a.circle}/summary",
        f"/v1/practices/{a.practice}",
        f"/v1/exports/answers?circle={a.circle}",
    ):
        assert (await client.get(url)).status_code == 200, url
    listed = (await client.get("/v1/circles")).json()["items"]
    assert [c["id"] for c in listed] == [a.circle]
    practices = (await client.get("/v1/practices")).json()["items"]
    assert {p["circle_id"] for p in practices} == {a.circle}
