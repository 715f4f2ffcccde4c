"""The Telegram webhook: updates arrive on the API's port when ``CIRCLES_WEBHOOK_URL`` is set.

It belongs to the Telegram door, so the admin API knows nothing of Telegram; the runner
mounts it on the API app.

Telegram posts each update with the secret set by ``setWebhook`` in the
``X-Telegram-Bot-Api-Secret-Token`` header; a call without it, or with another, is
refused with 403 and nothing is processed. Bodies over :data:`MAX_BODY` are refused
(413). A good update goes onto the bot's queue and is answered 200 at once; the bot
handles each update id once, so Telegram's redeliveries are harmless.
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from telegram import Update

from api.problems import problem
from circles.settings import Settings

log = logging.getLogger(__name__)

#: Telegram's updates are a few kilobytes; anything much larger is not from Telegram.
MAX_BODY = 1_000_000
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
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return problem(413, "The update is too large.")
        body = await request.body()
        if len(body) > MAX_BODY:
            return problem(413, "The update is too large.")
        telegram = getattr(request.app.state, "telegram", None)
        if telegram is None:
            return problem(503, "The bot is not running in this process yet.")
        try:
            update = Update.de_json(json.loads(body), telegram.bot)
        except (ValueError, TypeError, KeyError):
            return problem(400, "The body is not a Telegram update.")
        await telegram.update_queue.put(update)
        return JSONResponse({"ok": True})

    app.include_router(router)
