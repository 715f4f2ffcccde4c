"""A bare python-telegram-bot echo bot in long polling: the baseline of ``bench.inbound``
and ``bench.memory``. Unless told to store, it imports nothing but PTB, so its memory is
PTB's own.

Usage: ``python -m bench.echo <Bot API base URL> [--per-second N] [--store DATABASE]``;
prints ``ready``, stops on SIGTERM.

* ``--per-second``: it sends through the full bot's limiter
  (``bot.handlers.telegram.ratelimit``): the echo bot as it would have to run against Telegram.
* ``--store``: before echoing, each update is claimed and its sender loaded in one
  transaction, with the project's own code (``claim_update``, ``mark_reachable``), and
  updates run as the full bot runs them (several people at once, each person's in order;
  on SQLite the transactions take turns). That is what every update of the full bot
  does before it looks at the message (``bot.handlers.telegram.common.handle_once``): the
  cheapest bot on this stack that handles each update at most once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

TOKEN = "123456:TEST-TOKEN"

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Copy the text back."""
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def storing(database: str) -> tuple[Handler, Callable[[], Awaitable[None]]]:
    """``echo`` after claiming the update and loading its sender; and how to close."""
    from circles.clock import SystemClock
    from circles.db import create_engine, create_sessionmaker, transaction
    from circles.models import Channel
    from circles.services.people import mark_reachable
    from circles.services.updates import claim_update

    engine = create_engine(database)
    sessions = create_sessionmaker(engine)
    clock = SystemClock()
    turns = asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        async with turns, transaction(sessions) as session:
            if not await claim_update(
                session, channel=Channel.telegram, update_id=str(update.update_id), now=clock.now()
            ):
                return
            if user is not None:
                await mark_reachable(
                    session, channel=Channel.telegram, address=str(user.id), now=clock.now()
                )
        await echo(update, context)

    return handle, engine.dispose


async def main(api: str, per_second: float, database: str | None) -> None:
    builder = ApplicationBuilder().token(TOKEN).base_url(f"{api}/bot")
    if per_second:
        from bot.handlers.telegram.ratelimit import TelegramLimits

        builder = builder.rate_limiter(TelegramLimits(per_second=per_second))
    handler, close = echo, None
    if database:
        from bot.handlers.telegram.updates import PerPersonOrder

        builder = builder.concurrent_updates(PerPersonOrder())
        handler, close = storing(database)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, handler))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling()
        print("ready", flush=True)
        await stop.wait()
        await app.updater.stop()
        await app.stop()
    if close is not None:
        await close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("api", help="the Bot API's base URL")
    parser.add_argument("--per-second", type=float, default=0.0)
    parser.add_argument("--store", metavar="DATABASE", default=None)
    args = parser.parse_args()
    asyncio.run(main(args.api, args.per_second, args.store))
