"""The Telegram webhook: updates arrive on the API's port when ``CIRCLES_WEBHOOK_URL`` is set.

It belongs to the Telegram door, so the admin API knows nothing of Telegram; the runner
mounts it on the API app.

Telegram posts each update with the secret set by ``setWebhook`` in the
``X-Telegram-Bot-Api-Secret-Token`` header; a call without it, or with another, is
refused with 403 and nothing is processed. Bodies over ``CIRCLES_MAX_BODY_BYTES`` are
refused (413) by the API's body limit (:mod:`api.limits`) before they reach this route.
A good update is stored in the inbox (:mod:`circles.services.inbox`, once per update id)
and answered 200 only after the commit, so a replica killed a moment later loses
nothing; the inbox worker of any replica then handles it
(:mod:`bot.handlers.telegram.inbox`), each update id once, so Telegram's redeliveries
are harmless. A database that cannot store it gets 503, and Telegram delivers again.

Each extra bot of ``circles channel`` has its own path: the webhook URL's path with
``/<account name>`` appended; an unknown name is answered 404.

A body that is not a Telegram update (not JSON, not an object with an integer
``update_id``, fields of the wrong type, JSON nested too deep to parse) is answered 400
and never reaches the bot. Telegram itself never sends one, so only a caller that knows
the secret and sends garbage sees the 400; it is not worth a retry either way.
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, Update

from api.problems import problem
from circles.db import transaction
from circles.models import Channel
from circles.services.inbox import Received, store_received
from circles.settings import Settings

log = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"


def webhook_path(settings: Settings) -> str:
    """The path of the webhook URL (a proxy forwards the public URL to this API)."""
    return urlsplit(settings.webhook_url or "").path or "/telegram/webhook"


def install(app: FastAPI, settings: Settings) -> None:
    """Add the webhook route when webhook mode is on (it is not part of the admin API)."""
    if not settings.webhook_url or settings.webhook_secret is None:
        return
    secret = settings.webhook_secret.get_secret_value().encode()
    router = APIRouter(include_in_schema=False)

    @router.post(webhook_path(settings))
    async def receive(request: Request) -> Response:
        """Queue one update from Telegram for the bot."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            log.warning("webhook call with a wrong or missing secret refused")
            return problem(403, "Wrong or missing secret token.")
        telegram = getattr(request.app.state, "telegram", None)
        if telegram is None:
            return problem(503, "The bot is not running in this process yet.")
        read = _update_of(await request.body(), telegram.bot)
        if read is None:
            return problem(400, "The body is not a Telegram update.")
        data, update = read
        state = request.app.state
        received = Received(str(update.update_id), _sender(update), None, data)
        try:
            async with transaction(state.sessions) as session:
                await store_received(
                    session, channel=Channel.telegram, received=[received], now=state.clock.now()
                )
        except SQLAlchemyError as error:
            log.error("could not store a Telegram update (%s)", type(error).__name__)
            return problem(503, "Could not store the update; please deliver it again.")
        state.telegram_inbox.wake()
        return JSONResponse({"ok": True})

    @router.post(webhook_path(settings).rstrip("/") + "/{account}")
    async def receive_for_account(account: str, request: Request) -> Response:
        """Store one update for the extra bot ``account`` (``circles channel``)."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            log.warning("webhook call with a wrong or missing secret refused")
            return problem(403, "Wrong or missing secret token.")
        state = request.app.state
        telegram = getattr(state, "telegram_accounts", {}).get(account)
        if telegram is None:
            return problem(404, "No bot of this name runs in this process.")
        read = _update_of(await request.body(), telegram.bot)
        if read is None:
            return problem(400, "The body is not a Telegram update.")
        data, update = read
        # Each bot numbers its own updates: the id carries the account, as its claim does.
        key = f"a{telegram.bot_data.account}:{update.update_id}"
        received = Received(key, _sender(update), None, data, receiver=account)
        try:
            async with transaction(state.sessions) as session:
                await store_received(
                    session, channel=Channel.telegram, received=[received], now=state.clock.now()
                )
        except SQLAlchemyError as error:
            log.error("could not store a Telegram update (%s)", type(error).__name__)
            return problem(503, "Could not store the update; please deliver it again.")
        state.telegram_account_inboxes[account].wake()
        return JSONResponse({"ok": True})

    app.include_router(router)


def _sender(update: Update) -> str:
    """Whose update it is (the user, else the chat): their updates are handled in order."""
    if update.effective_user is not None:
        return str(update.effective_user.id)
    return str(update.effective_chat.id) if update.effective_chat is not None else ""


def _update_of(body: bytes, bot: Bot) -> tuple[dict, Update] | None:
    """The update in ``body``, as Telegram sent it and as PTB reads it, or None when it is
    not one (logged without its content)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        log.warning("webhook body refused: not JSON")
        return None
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        log.warning("webhook body refused: not an object with an update_id")
        return None
    try:
        update = Update.de_json(data, bot)
    except Exception as exc:  # any shape PTB cannot read is the sender's mistake, not ours
        log.warning("webhook body refused: not a Telegram update (%s)", type(exc).__name__)
        return None
    return data, update
