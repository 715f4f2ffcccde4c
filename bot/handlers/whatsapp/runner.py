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
from sqlalchemy import select

from bot.handlers.whatsapp.client import TIMEOUT, WhatsAppClient, pacer
from bot.handlers.whatsapp.sender import WhatsAppSender
from bot.handlers.whatsapp.webhook import PATH
from bot.handlers.whatsapp.worker import InboxWorker, Number
from circles.clock import Clock
from circles.db import SessionMaker
from circles.models import Channel, ChannelAccount
from circles.pacing import Pacer
from circles.secrets import SecretsError, vault
from circles.services.channels import Credentials, credentials
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
        numbers: dict[str, Number] = {}
        others: dict[int, WhatsAppSender] = {}
        for account in await _accounts(settings, sessions):
            assert account.phone_number_id is not None
            other = WhatsAppClient(
                api_url=settings.whatsapp_api_url,
                phone_number_id=account.phone_number_id,
                token=account.token,
                http=http,
                limits=pacer(settings.whatsapp_rate, settings.whatsapp_person_gap),
            )
            numbers[account.phone_number_id] = Number(account.id, other)
            others[account.id] = WhatsAppSender(
                other,
                sessions,
                clock,
                default_language=settings.default_language,
                tier=account.tier,
                account=account.id,
            )
            log.info("the WhatsApp number of channel account %s is running", account.name)
        worker = InboxWorker(settings, sessions, clock, client, numbers)
        if api_app is not None:
            api_app.state.whatsapp = worker
        sender = WhatsAppSender(
            client,
            sessions,
            clock,
            default_language=settings.default_language,
            tier=settings.whatsapp_tier,
            others=others,
        )
        where = f"at {PATH}" if api_app is not None else "stored by the API's webhook"
        log.info("the WhatsApp door takes messages %s", where)
        try:
            await asyncio.gather(worker.run(stop), sender.run(stop))
        finally:
            if api_app is not None:
                api_app.state.whatsapp = None


async def _accounts(settings: Settings, sessions: SessionMaker) -> list[Credentials]:
    """The extra numbers of ``circles channel``, decrypted; none (logged) without the key."""
    try:
        async with sessions() as session:
            return await credentials(session, vault=vault(settings), app=Channel.whatsapp)
    except SecretsError as exc:
        async with sessions() as session:
            found = await session.scalar(
                select(ChannelAccount.id).where(ChannelAccount.app == Channel.whatsapp).limit(1)
            )
        if found is not None:
            log.error("the extra WhatsApp numbers are not running: %s", exc)
        return []
