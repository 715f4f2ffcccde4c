"""A bare python-telegram-bot echo bot in long polling: the baseline of ``bench.inbound``
and ``bench.memory``. It imports nothing but PTB, so its memory is PTB's own.

Usage: ``python -m bench.echo <Bot API base URL> [messages a second]``; prints ``ready``,
stops on SIGTERM. With a rate, it sends through the full bot's limiter
(``bot.ratelimit.TelegramLimits``): the echo bot as it would have to run against Telegram.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

TOKEN = "123456:TEST-TOKEN"


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Copy the text back."""
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


async def main(api: str, per_second: float) -> None:
    builder = ApplicationBuilder().token(TOKEN).base_url(f"{api}/bot")
    if per_second:
        from bot.ratelimit import TelegramLimits

        builder = builder.rate_limiter(TelegramLimits(per_second=per_second))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
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


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.0))
