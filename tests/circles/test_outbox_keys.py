"""Idempotency keys name a message's purpose, never its recipient; dedupe is per chat."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from circles.db import SessionMaker, transaction
from circles.models import Channel, Outbox
from circles.services.outbox import enqueue, message_payload
from circles.services.people import Address

NOW = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
#: Names whose value would tell who a message is for.
PERSONAL = ("person", "pid", "author", "member", "telegram", "chat", "user", "address")


def _key_expressions() -> list[tuple[str, ast.expr]]:
    """Every expression the code uses as an outbox key (``key=`` or ``"idempotency_key"``)."""
    found = []
    for folder in ("circles", "bot"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    for keyword in node.keywords:
                        if keyword.arg == "key":
                            found.append((f"{path.relative_to(ROOT)}:{node.lineno}", keyword.value))
                elif isinstance(node, ast.Dict):
                    for name, value in zip(node.keys, node.values, strict=True):
                        if isinstance(name, ast.Constant) and name.value == "idempotency_key":
                            found.append((f"{path.relative_to(ROOT)}:{node.lineno}", value))
    return found


def _names_in(expression: ast.expr) -> set[str]:
    names = set()
    for node in ast.walk(expression):
        if isinstance(node, ast.Name):
            names.add(node.id.lower())
        elif isinstance(node, ast.Attribute):
            names.add(node.attr.lower())
    return names


def test_no_message_key_the_code_builds_names_a_person_or_a_chat() -> None:
    keys = _key_expressions()
    built = [(where, e) for where, e in keys if isinstance(e, ast.JoinedStr)]
    assert len(built) >= 8  # meetings, reminders, reflections, nudges, shares, reviews, …
    for where, expression in built:
        values = set()
        for part in expression.values:
            if isinstance(part, ast.FormattedValue):
                values |= _names_in(part.value)
        personal = {n for n in values if any(word in n for word in PERSONAL)}
        assert not personal, f"{where}: the key names {sorted(personal)}"


async def test_the_same_message_to_one_chat_is_queued_once_and_to_two_chats_twice(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        queued = [
            await enqueue(
                session,
                to=Address(Channel.telegram, chat),
                payload=message_payload("The circle meets on Thursday."),
                key="meeting-7-new-1789000000",
                now=NOW,
            )
            for chat in ("7001", "7001", "7002")
        ]
    assert queued == [True, False, True]
    async with sessions() as session:
        rows = (await session.execute(select(Outbox.address, Outbox.idempotency_key))).all()
    assert sorted(rows) == [
        ("7001", "meeting-7-new-1789000000"),
        ("7002", "meeting-7-new-1789000000"),
    ]
