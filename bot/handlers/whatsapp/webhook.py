"""The WhatsApp webhook: ``GET`` and ``POST /whatsapp/webhook`` on the API's port.

It belongs to the WhatsApp door, so the admin API knows nothing of WhatsApp; the runner
mounts it on the API app when ``CIRCLES_WHATSAPP_TOKEN`` is set.

- ``GET``: Meta's verification. ``hub.mode=subscribe`` with ``hub.verify_token`` equal to
  ``CIRCLES_WHATSAPP_VERIFY_TOKEN`` (compared in constant time) is answered with
  ``hub.challenge`` as plain text; anything else 403.
- ``POST``: the body must be signed: ``X-Hub-Signature-256`` is ``sha256=`` and the
  HMAC-SHA256 of the raw body with ``CIRCLES_WHATSAPP_APP_SECRET`` or the app secret of
  an extra number of ``circles channel`` (constant time); a
  call without it or with another is refused with 403 and nothing is stored. Bodies over
  ``CIRCLES_MAX_BODY_BYTES`` are refused (413) by the API's body limit first. Every
  message of a signed call is stored in the inbox (once per message id) *before* the 200,
  then the inbox worker handles it; the statuses of sent messages are recorded on their
  outbox rows in the same transaction (:mod:`.statuses`). If the database cannot store
  them, the answer is 503, and WhatsApp delivers the call again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from api.problems import problem
from bot.handlers.whatsapp.inbound import read_delivery
from bot.handlers.whatsapp.statuses import apply_statuses, read_statuses
from circles.db import transaction
from circles.models import Channel
from circles.secrets import SecretsError, vault
from circles.services.channels import credentials
from circles.services.inbox import store_received
from circles.settings import Settings

log = logging.getLogger(__name__)

PATH = "/whatsapp/webhook"
SIGNATURE_HEADER = "x-hub-signature-256"
#: Seconds the extra numbers' app secrets are kept before they are read again.
SECRETS_TTL = 60.0
#: The longest challenge echoed (Meta sends a number).
CHALLENGE_LENGTH = 256


def signature(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value of ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def install(app: FastAPI, settings: Settings) -> None:
    """Add the webhook routes when WhatsApp is configured (they are not the admin API)."""
    if (
        settings.whatsapp_token is None
        or settings.whatsapp_app_secret is None
        or settings.whatsapp_verify_token is None
    ):
        return
    app_secret = settings.whatsapp_app_secret.get_secret_value()
    verify_token = settings.whatsapp_verify_token.get_secret_value().encode()
    router = APIRouter(include_in_schema=False)

    @router.get(PATH)
    async def verify(request: Request) -> Response:
        """Answer Meta's subscription check."""
        query = request.query_params
        given = query.get("hub.verify_token", "").encode()
        challenge = query.get("hub.challenge", "")
        if (
            query.get("hub.mode") != "subscribe"
            or not hmac.compare_digest(given, verify_token)
            or not challenge
            or len(challenge) > CHALLENGE_LENGTH
        ):
            log.warning("WhatsApp webhook verification refused")
            return problem(403, "Wrong or missing verify token.")
        return PlainTextResponse(challenge)

    @router.post(PATH)
    async def receive(request: Request) -> Response:
        """Store the messages of one signed call, then wake the inbox worker."""
        body = await request.body()
        given = request.headers.get(SIGNATURE_HEADER, "").encode()
        if not hmac.compare_digest(given, signature(body, app_secret).encode()) and not any(
            hmac.compare_digest(given, signature(body, other).encode())
            for other in await _account_secrets(request.app.state, settings)
        ):
            log.warning("WhatsApp webhook call with a wrong or missing signature refused")
            return problem(403, "Wrong or missing signature.")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            log.warning("WhatsApp webhook body refused: not JSON")
            return problem(400, "The body is not JSON.")
        delivery = read_delivery(payload)
        state = request.app.state
        try:
            async with transaction(state.sessions) as session:
                now = state.clock.now()
                added = await store_received(
                    session, channel=Channel.whatsapp, received=delivery.messages, now=now
                )
                await apply_statuses(session, read_statuses(delivery.statuses), now=now)
        except SQLAlchemyError as error:
            log.error("could not store a WhatsApp webhook call (%s)", type(error).__name__)
            return problem(503, "Could not store the messages; please deliver them again.")
        if added:
            worker = getattr(state, "whatsapp", None)
            if worker is not None:
                worker.wake()
        return JSONResponse({"ok": True})

    app.include_router(router)


async def _account_secrets(state: Any, settings: Settings) -> list[str]:
    """The app secrets of the extra numbers (``circles channel``), read at most every
    :data:`SECRETS_TTL` seconds; none without ``CIRCLES_SECRETS_KEY``."""
    cached = getattr(state, "whatsapp_account_secrets", None)
    now = time.monotonic()
    if cached is not None and now - cached[0] < SECRETS_TTL:
        return cached[1]
    secrets: list[str] = []
    if settings.secrets_key is not None:
        try:
            async with state.sessions() as session:
                found = await credentials(session, vault=vault(settings), app=Channel.whatsapp)
            secrets = [a.app_secret for a in found if a.app_secret]
        except SecretsError:
            log.error("the extra WhatsApp numbers' app secrets cannot be decrypted")
    state.whatsapp_account_secrets = (now, secrets)
    return secrets
