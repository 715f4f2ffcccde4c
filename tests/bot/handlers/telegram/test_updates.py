"""Updates from different people run side by side; one person's run in arrival order."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.handlers.telegram.updates import PerPersonOrder


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "T", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, None, chat, from_user=user, text="x"))


async def test_one_persons_updates_wait_for_each_other_and_others_do_not() -> None:
    processor = PerPersonOrder(8)
    order: list[str] = []
    gate = asyncio.Event()

    async def handle(name: str, wait: bool) -> None:
        order.append(f"{name} starts")
        if wait:
            await gate.wait()
        order.append(f"{name} ends")

    first = asyncio.create_task(processor.process_update(_update(1, 42), handle("ama 1", True)))
    second = asyncio.create_task(processor.process_update(_update(2, 42), handle("ama 2", False)))
    other = asyncio.create_task(processor.process_update(_update(3, 7), handle("kofi", False)))
    await other
    assert order == ["ama 1 starts", "kofi starts", "kofi ends"]
    gate.set()
    await asyncio.gather(first, second)
    assert order[3:] == ["ama 1 ends", "ama 2 starts", "ama 2 ends"]
    assert processor._locks == {}  # nothing kept once everyone is done
