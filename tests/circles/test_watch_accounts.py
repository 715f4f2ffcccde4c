"""The look at the channel accounts while `circles run` runs: on SIGHUP's event at once,
again after a failure, and never a token in the log."""

from __future__ import annotations

import asyncio
import logging

import pytest

from circles.loops import watch_accounts

TOKEN = "654321:CI-SECRET-TOKEN"


async def test_each_reload_looks_once_and_a_failure_is_said_without_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop, reload = asyncio.Event(), asyncio.Event()
    looked = asyncio.Queue[int]()
    calls = 0

    async def refresh() -> None:
        nonlocal calls
        calls += 1
        looked.put_nowait(calls)
        if calls == 1:  # the first look fails, with a token in its message
            raise RuntimeError(f"https://api.telegram.org/bot{TOKEN}/getMe unreachable")

    watching = asyncio.create_task(watch_accounts(refresh, stop, reload, every=3600))
    with caplog.at_level(logging.ERROR):
        for expected in (1, 2):
            reload.set()
            assert await asyncio.wait_for(looked.get(), timeout=5) == expected
        stop.set()
        await asyncio.wait_for(watching, timeout=5)
    assert calls == 2 and looked.empty()
    assert "could not look at the channel accounts (RuntimeError)" in caplog.text
    assert TOKEN not in caplog.text
