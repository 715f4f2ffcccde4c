"""``circles run`` as a real subprocess for end-to-end tests, and phones that talk to it.

The process talks to the fake Bot API over loopback. A test moves its time through a
:class:`~circles.testmode.FileClock` (``CIRCLES_FAKE_CLOCK_FILE``) and asks for the
scheduler's sweeps with SIGUSR1, so no test waits for real time to pass.
"""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from circles.testmode import FileClock

from .fakebotapi import FakeBotApi, FakeUser

JSONDict = dict[str, Any]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Running:
    """A ``circles run`` subprocess and the log lines it has written so far."""

    process: asyncio.subprocess.Process
    port: int
    lines: list[str] = field(default_factory=list)
    clock_file: Path | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_for_log(self, fragment: str, within: float = 30) -> str:
        """Read stderr until a line contains ``fragment``."""

        async def read() -> str:
            assert self.process.stderr is not None
            while True:
                raw = await self.process.stderr.readline()
                if not raw:
                    raise AssertionError(f"exited before logging {fragment!r}: {self.lines}")
                line = raw.decode()
                self.lines.append(line)
                if fragment in line:
                    return line

        return await asyncio.wait_for(read(), within)

    async def stop(self, within: float = 10) -> int:
        """SIGTERM, then wait for the exit code, reading the remaining log."""
        self.process.send_signal(signal.SIGTERM)
        return await self._finish(within)

    async def kill(self) -> int:
        """SIGKILL: the process gets no chance to finish anything."""
        self.process.kill()
        return await self._finish(10)

    async def _finish(self, within: float) -> int:
        assert self.process.stderr is not None
        rest = await asyncio.wait_for(self.process.stderr.read(), within)
        self.lines += rest.decode().splitlines(keepends=True)
        return await asyncio.wait_for(self.process.wait(), within)

    async def ensure_stopped(self) -> None:
        """Kill the process if a failed test left it running, and show its log."""
        if self.process.returncode is None:
            self.process.kill()
            await self._finish(10)
            sys.stderr.write(self.log[-20_000:])

    def set_time(self, when: datetime) -> None:
        """Move the process's clock (it reads the file on every ``now()``)."""
        assert self.clock_file is not None, "started without a fake clock"
        FileClock.write(self.clock_file, when)

    async def sweep_at(self, when: datetime) -> None:
        """Move the clock to ``when`` and make the scheduler run every sweep now."""
        self.set_time(when)
        self.process.send_signal(signal.SIGUSR1)
        await self.wait_for_log("sweeping now")

    @property
    def log(self) -> str:
        return "".join(self.lines)


async def start_circles(
    database_url: str,
    *args: str,
    clock_file: Path | None = None,
    start: datetime | None = None,
    **env: str,
) -> Running:
    """Start ``circles run`` as a real subprocess on a free port."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CIRCLES_")}
    environment.update(CIRCLES_DATABASE_URL=database_url, CIRCLES_API_PORT=str(port), **env)
    if clock_file is not None:
        assert start is not None, "a fake clock needs a start time"
        FileClock.write(clock_file, start)
        environment["CIRCLES_FAKE_CLOCK_FILE"] = str(clock_file)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "circles_cli.main",
        "run",
        *args,
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    return Running(process, port, clock_file=clock_file)


def bot_env(fake: FakeBotApi, mode: str) -> dict[str, str]:
    """Environment for the bot in ``mode`` (``polling`` or ``webhook``) on ``fake``."""
    env = {
        "CIRCLES_TELEGRAM_TOKEN": fake.token,
        "CIRCLES_TELEGRAM_API_URL": fake.base_url,
        # Pacing per chat is tested in-process with a fake pace
        # (tests/bot/handlers/telegram/test_ratelimit.py); here it would only make the
        # scripted teachers wait a second a message.
        "CIRCLES_TELEGRAM_CHAT_GAP": "0",
    }
    if mode == "webhook":
        env |= {
            "CIRCLES_WEBHOOK_URL": "https://bot.example.org/telegram/hook",
            "CIRCLES_WEBHOOK_SECRET": "s3cret-token",
        }
    return env


def ready_line(mode: str) -> str:
    """The log line that says the bot takes updates in ``mode``."""
    return "takes updates by webhook" if mode == "webhook" else "is polling for updates"


@dataclass
class RemotePhone:
    """A Telegram user whose updates reach a ``circles run`` subprocess.

    In polling mode the update is queued on the fake for ``getUpdates``; in webhook mode
    it is POSTed to the process's webhook like Telegram does. Each action waits (on the
    fake, with a timeout) for the number of replies it expects and returns their texts.
    """

    fake: FakeBotApi
    user: FakeUser
    mode: str
    service: Running

    @property
    def chat_id(self) -> int:
        return self.user.id

    async def deliver(self, update: JSONDict) -> None:
        """Hand ``update`` to the bot the way Telegram would in this mode."""
        if self.mode == "webhook":
            url = f"{self.service.api_url}/telegram/hook"
            status = await self.fake.deliver_webhook(copy.deepcopy(update), url=url)
            assert status == 200, status
        else:
            self.fake.push_update(copy.deepcopy(update))

    async def act(self, make: Callable[[], JSONDict], replies: int) -> list[str]:
        before = len(self.fake.sent_to(self.chat_id))
        self.last_update = make()
        await self.deliver(self.last_update)
        return await self.replies_after(before, replies)

    async def replies_after(
        self,
        before: int,
        count: int,
        timeout: float = 30,  # noqa: ASYNC109
    ) -> list[str]:
        """Wait for ``count`` messages after the first ``before``; return their texts."""
        messages = await self.fake.wait_for_messages(self.chat_id, before + count, timeout)
        return [m.get("text") or m.get("caption") or "" for m in messages[before:]]

    async def wait_for_text(
        self,
        prefix: str,
        timeout: float = 30,  # noqa: ASYNC109
    ) -> JSONDict:
        """Wait for a message whose text starts with ``prefix``; return it."""

        def found() -> JSONDict | None:
            return next(
                (m for m in self.messages() if (m.get("text") or "").startswith(prefix)), None
            )

        await self.fake.wait_for(lambda: found() is not None, timeout, f"{prefix!r}")
        message = found()
        assert message is not None
        return message

    async def send(self, text: str, replies: int = 1) -> list[str]:
        return await self.act(
            lambda: self.fake.user_message(self.user, text, enqueue=False), replies
        )

    async def tap(self, label: str, replies: int = 1, message: JSONDict | None = None) -> list[str]:
        """Press the button labelled ``label`` (on the newest message with buttons)."""
        message = message or self.last_with_buttons()
        datas = [b["callback_data"] for row in self.fake.buttons(message) for b in row]
        labels = self.labels(message)
        assert label in labels, f"no button {label!r} in {labels}; texts: {self.texts()[-3:]}"
        data = datas[labels.index(label)]
        return await self.act(
            lambda: self.fake.user_click(self.user, message, data, enqueue=False), replies
        )

    def messages(self) -> list[JSONDict]:
        return self.fake.sent_to(self.chat_id)

    def texts(self) -> list[str]:
        return self.fake.texts_to(self.chat_id)

    def last_with_buttons(self) -> JSONDict:
        for message in reversed(self.messages()):
            if self.fake.buttons(message):
                return message
        raise AssertionError(f"no message with buttons; texts: {self.texts()}")

    def labels(self, message: JSONDict | None = None) -> list[str]:
        message = message or self.last_with_buttons()
        return [b["text"] for row in self.fake.buttons(message) for b in row]
