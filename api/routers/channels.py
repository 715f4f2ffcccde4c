"""Channel accounts: ``/v1/channel-accounts`` (admins and coordinators).

Extra Telegram bots and WhatsApp numbers beside the environment's default ones, and the
circles or countries each serves. Tokens and app secrets are write-only: they go in when
an account is added and never come out. Removing an account is done on the command line
(``circles channel remove``), where the process that runs the bots is restarted too.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep, SettingsDep
from api.params import BODY, READ
from api.schemas import Out, examples
from circles.models import Channel
from circles.services import channels

router = APIRouter(prefix="/v1", tags=["channel accounts"])

_SECRET = r"^[\x21-\x7e]+$"
_NAME = r"^[a-z0-9][a-z0-9-]{0,31}$"


class ChannelAccountCreate(BaseModel):
    """A bot or number to add; ``token`` (and WhatsApp's ``app_secret``) are stored
    encrypted and never shown again."""

    model_config = examples(
        {"app": "telegram", "name": "gh", "token": "123456:ABC…", "username": "circles_gh_bot"},
        extra="forbid",
    )

    app: Literal["telegram", "whatsapp"]
    name: str = Field(pattern=_NAME, description="A slug: 1-32 lower-case letters, digits, -")
    token: str = Field(min_length=1, max_length=4096, pattern=_SECRET)
    username: str | None = Field(default=None, max_length=64, description="Telegram bot")
    phone_number: str | None = Field(default=None, max_length=20, description="WhatsApp")
    phone_number_id: str | None = Field(default=None, max_length=32, description="WhatsApp")
    app_secret: str | None = Field(default=None, max_length=4096, pattern=_SECRET)
    tier: int = Field(default=250, ge=1, le=100_000, description="WhatsApp: the messaging tier")

    def new(self) -> channels.NewAccount:
        """As the service takes it."""
        return channels.NewAccount(
            Channel(self.app),
            self.name,
            self.token,
            self.username,
            self.phone_number,
            self.phone_number_id,
            self.app_secret,
            self.tier,
        )


class AssignmentCreate(BaseModel):
    """Let an account serve one circle, or every circle of a country."""

    model_config = examples({"account": "gh", "country": "GH"}, extra="forbid")

    account: str = Field(pattern=_NAME)
    circle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")

    @model_validator(mode="after")
    def _one_place(self) -> AssignmentCreate:
        if (self.circle_id is None) == (self.country is None):
            raise ValueError("give either circle_id or country")
        return self


class ChannelAccountOut(Out):
    """An account, without its secrets, and where it serves (within the caller's scope)."""

    id: int
    app: str
    name: str
    username: str | None
    phone_number: str | None
    phone_number_id: str | None
    tier: int
    link: str
    circle_ids: list[int]
    countries: list[str]
    created_at: dt.datetime

    @classmethod
    def of(cls, listed: channels.Listed) -> ChannelAccountOut:
        """From a listed account."""
        account = listed.account
        handle = account.username or account.phone_number or ""
        return cls.read(
            account,
            listed,
            app=account.app.value,
            link=channels.chat_link(account.app, handle),
        )


class AssignmentOut(Out):
    """Where an account now serves."""

    account: str
    circle_id: int | None
    country: str | None


@router.get("/channel-accounts", response_model=list[ChannelAccountOut], responses=READ)
async def list_channel_accounts(scope: ScopeDep, session: SessionDep) -> list[ChannelAccountOut]:
    """Every extra bot and number, with the circles and countries it serves."""
    found = await channels.list_accounts(session, scope=scope)
    return [ChannelAccountOut.of(listed) for listed in found]


@router.post(
    "/channel-accounts",
    response_model=ChannelAccountOut,
    status_code=201,
    responses=BODY,
)
async def add_channel_account(
    body: ChannelAccountCreate,
    scope: ScopeDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> ChannelAccountOut:
    """Add a bot or number (it serves nothing until assigned; restart the bot part).
    Without ``CIRCLES_SECRETS_KEY`` on the server nothing is stored (409)."""
    account = await channels.add_account(
        session, scope=scope, settings=settings, new=body.new(), now=clock.now()
    )
    return ChannelAccountOut.of(channels.Listed(account, [], []))


@router.post(
    "/channel-accounts/assignments",
    response_model=AssignmentOut,
    status_code=201,
    responses=BODY,
)
async def assign_channel_account(
    body: AssignmentCreate, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> AssignmentOut:
    """Let an account serve a circle or a country, in place of the one that did."""
    row = await channels.assign(
        session,
        scope=scope,
        name=body.account,
        circle_id=body.circle_id,
        country=body.country,
        now=clock.now(),
    )
    return AssignmentOut(account=body.account, circle_id=row.circle_id, country=row.country)
