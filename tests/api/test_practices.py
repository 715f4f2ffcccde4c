"""Reviewing codified practices: approve, or send back with a comment the author receives."""

from __future__ import annotations

from sqlalchemy import select
from support.world import World

from bot.flows.queued import shown
from circles.db import SessionMaker
from circles.models import AuditLog, Outbox, OutboxPriority


async def test_the_review_queue_lists_practices_awaiting_review(world: World, as_role) -> None:
    queue = (await as_role("facilitator_a").get("/v1/practices?status=in_review")).json()
    assert [p["title"] for p in queue["items"]] == ["Mini whiteboards for hinge questions"]
    assert queue["items"][0]["author_name"] == "Ana Souza"


async def test_approving_publishes_and_tells_the_author(
    world: World, as_role, sessions: SessionMaker, clock
) -> None:
    client = as_role("facilitator_a")
    response = await client.post(f"/v1/practices/{world.a.practice}/approve")
    assert response.status_code == 200
    body = response.json()
    assert body["author_notified"] is True
    assert body["practice"]["status"] == "published"
    assert body["practice"]["published_at"].startswith("2026-08-26T12:00")
    async with sessions() as session:
        message = await session.scalar(select(Outbox))
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "practice.approve"))
    assert message is not None and (message.channel, message.address) == ("telegram", "5001")
    assert message.idempotency_key == f"practice-review-{world.a.practice}-1"
    assert message.priority is OutboxPriority.reply
    assert "Mini whiteboards for hinge questions" in shown(message.payload, "pt_BR").text
    assert audit is not None and audit.actor == f"token:{world.token_ids['facilitator_a']}"
    twice = await client.post(f"/v1/practices/{world.a.practice}/approve")
    assert twice.status_code == 409
    assert twice.json()["detail"] == (
        "This practice is not awaiting review; its status is published."
    )


async def test_requesting_changes_sends_the_comment_but_audits_no_text(
    world: World, as_role, sessions: SessionMaker
) -> None:
    comment = "Please say how long each step takes in a 45-minute lesson."
    response = await as_role("facilitator_a").post(
        f"/v1/practices/{world.a.practice}/request-changes", json={"comment": comment}
    )
    assert response.status_code == 200
    practice = response.json()["practice"]
    assert practice["status"] == "changes_requested" and practice["review_comment"] == comment
    async with sessions() as session:
        message = await session.scalar(select(Outbox))
        audit = await session.scalar(
            select(AuditLog).where(AuditLog.action == "practice.request_changes")
        )
    assert message is not None and shown(message.payload, "pt_BR").text.endswith(comment)
    assert audit is not None and comment not in str(audit.detail)
    assert audit.detail["comment_length"] == len(comment)


async def test_an_empty_comment_is_refused(world: World, as_role) -> None:
    url = f"/v1/practices/{world.a.practice}/request-changes"
    client = as_role("facilitator_a")
    assert (await client.post(url, json={"comment": ""})).status_code == 422
    blank = await client.post(url, json={"comment": "   "})
    assert blank.status_code == 422
    assert blank.json()["detail"] == "Please write what the author should change."
    assert (await client.post(url, json={})).status_code == 422
