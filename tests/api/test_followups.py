"""``/v1/circles/{id}/requests`` and ``…/teachers/{id}/remind``: the circle page's actions
for API clients, with the same rules and the same scope."""

from __future__ import annotations

from sqlalchemy import select
from support.world import World

from circles.db import SessionMaker, transaction
from circles.models import Answer, AuditLog, CheckIn, CheckInStatus, Outbox


async def test_a_facilitator_lists_replies_to_and_closes_a_help_request(
    world: World, as_role, sessions: SessionMaker
) -> None:
    client = as_role("facilitator_a")
    answer_id = world.a.answer  # Ana's voice note to "anything the circle could help with"
    base = f"/v1/circles/{world.a.circle}/requests"

    listed = await client.get(base)
    assert listed.status_code == 200
    ana = next(r for r in listed.json() if r["answer_id"] == answer_id)
    assert ana["name"] == "Ana Souza" and ana["question"] == "help"
    assert ana["kind"] == "voice" and ana["has_file"] is True and ana["handled_at"] is None

    replied = await client.post(
        f"{base}/{answer_id}/reply", json={"text": "Let's plan it on Thursday.", "name": "Grace"}
    )
    assert replied.status_code == 200 and replied.json() == {"queued": True}
    again = await client.post(f"{base}/{answer_id}/reply", json={"text": "Also", "name": "Grace"})
    assert again.json() == {"queued": True}  # a second reply is a second message
    async with sessions() as session:
        keys = (
            await session.scalars(
                select(Outbox.idempotency_key).where(Outbox.idempotency_key.like("reply-%"))
            )
        ).all()
        audited = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "request.reply"))
        ).all()
    assert sorted(keys) == [f"reply-{answer_id}-1", f"reply-{answer_id}-2"]
    assert len(audited) == 2 and "Thursday" not in str([a.detail for a in audited])

    handled = await client.post(f"{base}/{answer_id}/handled")
    assert handled.status_code == 200 and handled.json()["handled_at"] is not None
    assert (await client.post(f"{base}/{answer_id}/handled")).status_code == 200  # again: same
    assert answer_id not in [r["answer_id"] for r in (await client.get(base)).json()]


async def test_a_reply_without_words_or_name_is_a_clear_422(
    world: World, as_role, sessions: SessionMaker
) -> None:
    answer_id = world.a.answer  # Ana's voice note to "anything the circle could help with"
    url = f"/v1/circles/{world.a.circle}/requests/{answer_id}/reply"
    client = as_role("facilitator_a")
    for body, says in (
        ({"text": "   ", "name": "Grace"}, "Please write your reply."),
        ({"text": "Hello", "name": ""}, "Please give your name"),
        (
            {"text": "x" * 2001, "name": "Grace"},
            "The reply has 2,001 characters; the limit is 2,000.",
        ),
    ):
        response = await client.post(url, json=body)
        assert response.status_code == 422, response.text
        assert says in response.json()["detail"]
    assert (await client.post(url, json={"text": "hi"})).status_code == 422
    assert (await client.post(url, json={"text": "hi", "name": "G", "x": 1})).status_code == 422
    # The counts are written as the reader writes numbers: "2 001" in French.
    response = await client.post(
        url,
        json={"text": "x" * 2001, "name": "Grace"},
        headers={"accept-language": "fr"},
    )
    assert response.status_code == 422
    assert "2\u202f001" in response.json()["detail"], response.json()["detail"]
    assert "2\u202f000" in response.json()["detail"]


async def test_requests_of_another_circle_answer_like_missing_ones(
    world: World, as_role, sessions: SessionMaker
) -> None:
    answer_id = world.a.answer  # Ana's voice note to "anything the circle could help with"
    for role, circle in (("facilitator_b", world.a.circle), ("facilitator_a", world.b.circle)):
        client = as_role(role)
        base = f"/v1/circles/{circle}/requests"
        reply = {"text": "hi", "name": "X"}
        assert (await client.post(f"{base}/{answer_id}/reply", json=reply)).status_code == 404
        assert (await client.post(f"{base}/{answer_id}/handled")).status_code == 404
    assert (
        await as_role("facilitator_b").get(f"/v1/circles/{world.a.circle}/requests")
    ).status_code == 404
    union_rep = as_role("union_rep_a")
    url = f"/v1/circles/{world.a.circle}/requests/{answer_id}/handled"
    assert (await union_rep.post(url)).status_code == 403
    async with sessions() as session:
        assert (await session.get_one(Answer, answer_id)).handled_at is None


async def test_remind_once_a_day_and_only_who_has_not_answered(
    world: World, as_role, sessions: SessionMaker
) -> None:
    async with transaction(sessions) as session:
        checkin = await session.get_one(CheckIn, world.a.checkin)
        checkin.status, checkin.answered_at = CheckInStatus.open, None
    client = as_role("facilitator_a")
    url = f"/v1/circles/{world.a.circle}/teachers/{world.a.person}/remind"
    assert (await client.post(url)).json() == {"result": "sent"}
    assert (await client.post(url)).json() == {"result": "already"}
    other = world.teachers_a[1]
    answered = await client.post(f"/v1/circles/{world.a.circle}/teachers/{other}/remind")
    assert answered.status_code == 200 and answered.json()["result"] in ("not_due", "sent")
    elsewhere = await client.post(f"/v1/circles/{world.a.circle}/teachers/{world.b.person}/remind")
    assert elsewhere.status_code == 404
    async with sessions() as session:
        keys = (
            await session.scalars(
                select(Outbox.idempotency_key).where(Outbox.idempotency_key.like("nudge-%"))
            )
        ).all()
    assert len([k for k in keys if k]) >= 1
