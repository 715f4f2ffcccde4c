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
from bot.handlers.whatsapp.worker import InboxWorker, Number
from circles.clock import Clock
from circles.db import SessionMaker
from circles.loops import refresh_accounts, watch_accounts
from circles.models import Channel
from circles.pacing import Pacer
from circles.services.channels import Credentials, extra_accounts
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
    reload: asyncio.Event | None = None,
) -> None:
    """Handle the WhatsApp inbox and send the ``whatsapp`` outbox rows until ``stop``.

    The extra numbers of ``circles channel`` added, changed or removed while this runs
    are taken up or let go within ``ACCOUNTS_REFRESH`` seconds, or at once when
    ``reload`` is set (SIGHUP)."""
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
        numbers = Numbers(settings, sessions, clock, http, worker, sender)
        await refresh_accounts(numbers.refresh)
        where = f"at {PATH}" if api_app is not None else "stored by the API's webhook"
        log.info("the WhatsApp door takes messages %s", where)
        try:
            await asyncio.gather(
                worker.run(stop),
                sender.run(stop),
                watch_accounts(numbers.refresh, stop, reload),
            )
        finally:
            if api_app is not None:
                api_app.state.whatsapp = None


class Numbers:
    """The extra WhatsApp numbers this process answers from and sends through."""

    def __init__(
        self,
        settings: Settings,
        sessions: SessionMaker,
        clock: Clock,
        http: httpx.AsyncClient,
        worker: InboxWorker,
        sender: WhatsAppSender,
    ) -> None:
        self.settings, self.sessions, self.clock, self.http = settings, sessions, clock, http
        self.worker, self.sender = worker, sender
        #: What each running number was started with, by phone number id.
        self.running: dict[str, Credentials] = {}
        self.complained: set[str] = set()

    async def refresh(self) -> None:
        """Take up the numbers added or changed, let go of those removed."""
        found = await extra_accounts(
            self.settings, self.sessions, Channel.whatsapp, self.complained
        )
        wanted = {a.phone_number_id: a for a in found if a.phone_number_id}
        for number_id in list(self.running):
            if wanted.get(number_id) != self.running[number_id]:
                gone = self.running.pop(number_id)
                self.worker.numbers.pop(number_id, None)
                self.sender.others.pop(gone.id, None)
                log.info("the WhatsApp number of channel account %s stopped", gone.name)
        settings = self.settings
        for number_id, account in wanted.items():
            if number_id in self.running:
                continue
            other = WhatsAppClient(
                api_url=settings.whatsapp_api_url,
                phone_number_id=number_id,
                token=account.token,
                http=self.http,
                limits=pacer(settings.whatsapp_rate, settings.whatsapp_person_gap),
            )
            self.worker.numbers[number_id] = Number(account.id, other)
            self.sender.others[account.id] = WhatsAppSender(
                other,
                self.sessions,
                self.clock,
                default_language=settings.default_language,
                tier=account.tier,
                account=account.id,
            )
            self.running[number_id] = account
            log.info("the WhatsApp number of channel account %s is running", account.name)
