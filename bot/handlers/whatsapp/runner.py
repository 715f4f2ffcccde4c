"""Start the WhatsApp door for ``circles run``: handle the inbox and send the outbox.

The webhook route itself is mounted on the API app by :mod:`circles_cli.run`
(:func:`bot.handlers.whatsapp.webhook.install`); this part handles what it stored. Run
apart from the API (``--only bot``), it finds the messages another process's webhook
stored by looking at the inbox every second.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
from fastapi import FastAPI

from bot.handlers.whatsapp.client import TIMEOUT, WhatsAppClient, pacer
from bot.handlers.whatsapp.sender import WhatsAppSender
from bot.handlers.whatsapp.webhook import PATH
from bot.handlers.whatsapp.worker import InboxWorker
from circles.clock import Clock
from circles.db import SessionMaker
from circles.pacing import Pacer
from circles.settings import Settings

log = logging.getLogger(__name__)


def client_for(
    settings: Settings, http: httpx.AsyncClient | None = None, limits: Pacer | None = None
) -> WhatsAppClient:
    """The Graph API client of the configured number (paced by ``limits``, if given)."""
    if settings.whatsapp_token is None or settings.whatsapp_phone_number_id is None:
        raise ValueError("CIRCLES_WHATSAPP_TOKEN is not set")
    return WhatsAppClient(
        api_url=settings.whatsapp_api_url,
        phone_number_id=settings.whatsapp_phone_number_id,
        token=settings.whatsapp_token.get_secret_value(),
        http=http,
        limits=limits,
    )


async def run_whatsapp(
    settings: Settings,
    sessions: SessionMaker,
    clock: Clock,
    stop: asyncio.Event,
    api_app: FastAPI | None,
) -> None:
    """Handle the WhatsApp inbox and send the ``whatsapp`` outbox rows until ``stop``."""
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        client = client_for(
            settings, http, pacer(settings.whatsapp_rate, settings.whatsapp_person_gap)
        )
        worker = InboxWorker(settings, sessions, clock, client)
        if api_app is not None:
            api_app.state.whatsapp = worker
        sender = WhatsAppSender(
            client,
            sessions,
            clock,
            default_language=settings.default_language,
            tier=settings.whatsapp_tier,
        )
        where = f"at {PATH}" if api_app is not None else "stored by the API's webhook"
        log.info("the WhatsApp door takes messages %s", where)
        try:
            await asyncio.gather(worker.run(stop), sender.run(stop))
        finally:
            if api_app is not None:
                api_app.state.whatsapp = None
