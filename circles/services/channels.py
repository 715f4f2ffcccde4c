"""Channel accounts: several Telegram bots and WhatsApp numbers in one deployment.

The environment's ``CIRCLES_TELEGRAM_TOKEN`` / ``CIRCLES_WHATSAPP_*`` are the *default*
account of each app. Extra accounts are :class:`ChannelAccount` rows, their token and
app secret encrypted (:mod:`circles.secrets`); each serves circles through
:class:`ChannelAssignment` rows: one circle, or every circle of a country. A circle's own
assignment wins over its country's; with neither, the default account serves it
(:func:`serving`).

Everything a circle's members get is sent by its account (:func:`accounts_of`, which
the senders ask per batch, so a circle moved to another account is served by it from
the next message on); someone who writes to an account that serves none of their
circles is told which one does (:func:`account_for_person`). Tokens never leave this
module except decrypted for a sender (:func:`credentials`), never in an error or a log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from circles.db import SessionMaker
from circles.errors import Conflict, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import (
    Channel,
    ChannelAccount,
    ChannelAssignment,
    Circle,
    GroupLink,
    Identity,
    Invite,
    Membership,
)
from circles.secrets import SecretsError, Vault, vault
from circles.services.access import Permission, Scope, visible_circle
from circles.services.audit import record_audit
from circles.services.circles import is_country
from circles.services.invites import invite_link, whatsapp_link
from circles.settings import WHATSAPP_TIERS, Settings

log = logging.getLogger(__name__)

#: The apps an account may belong to (the simulator has none).
APPS = (Channel.telegram, Channel.whatsapp)
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,63}")
_PHONE_ID = re.compile(r"[0-9]{1,32}")
_SECRET = re.compile(r"[\x21-\x7e]{1,4096}")

ACCOUNT_NOT_FOUND = N_("There is no channel account named {name}.")


@dataclass(frozen=True)
class NewAccount:
    """An account to add: its app, name, secrets and how people reach it."""

    app: Channel
    name: str
    token: str
    username: str | None = None
    phone_number: str | None = None
    phone_number_id: str | None = None
    app_secret: str | None = None
    #: WhatsApp: the number's messaging tier.
    tier: int = WHATSAPP_TIERS[0]


@dataclass(frozen=True)
class Credentials:
    """A decrypted account, for the process that sends and receives through it."""

    id: int
    app: Channel
    name: str
    token: str = field(repr=False)
    username: str | None = None
    phone_number: str | None = None
    phone_number_id: str | None = None
    app_secret: str | None = field(default=None, repr=False)
    tier: int = WHATSAPP_TIERS[0]


@dataclass(frozen=True)
class Listed:
    """An account as the CLI and the API show it: no secret, and where it serves."""

    account: ChannelAccount
    circle_ids: list[int]
    countries: list[str]


def _checked(new: NewAccount) -> NewAccount:
    """``new`` with its fields trimmed, or :class:`InvalidAnswer` naming the bad one."""
    if new.app not in APPS:
        raise InvalidAnswer(N_("A channel account is a telegram or a whatsapp account."))
    name = new.name.strip().lower()
    if not _NAME.fullmatch(name):
        raise InvalidAnswer(
            N_("An account's name is 1 to 32 lower-case letters, digits or dashes: {name}"),
            name=new.name[:40],
        )
    token = new.token.strip()
    if not _SECRET.fullmatch(token):
        raise InvalidAnswer(N_("The token is missing or has spaces or unusual characters."))
    if new.app is Channel.telegram:
        username = (new.username or "").strip().removeprefix("@")
        if not _USERNAME.fullmatch(username):
            raise InvalidAnswer(N_("A Telegram account needs the bot's username."))
        return NewAccount(new.app, name, token, username=username)
    digits = re.sub(r"[\s+()-]", "", new.phone_number or "")
    if not re.fullmatch(r"[0-9]{6,15}", digits):
        raise InvalidAnswer(
            N_("A WhatsApp account needs its number's digits with the country code.")
        )
    phone_id = (new.phone_number_id or "").strip()
    if not _PHONE_ID.fullmatch(phone_id):
        raise InvalidAnswer(N_("A WhatsApp account needs its phone number id (digits)."))
    secret = (new.app_secret or "").strip()
    if not _SECRET.fullmatch(secret):
        raise InvalidAnswer(N_("A WhatsApp account needs its app secret."))
    if new.tier not in WHATSAPP_TIERS:
        raise InvalidAnswer(
            N_("A WhatsApp number's tier is one of Meta's: {tiers}."),
            tiers=", ".join(map(str, WHATSAPP_TIERS)),
        )
    return NewAccount(
        new.app,
        name,
        token,
        phone_number=digits,
        phone_number_id=phone_id,
        app_secret=secret,
        tier=new.tier,
    )


class NoSecretsKey(Conflict):
    """The server has no usable ``CIRCLES_SECRETS_KEY``: secrets cannot be stored (409:
    the deployment's state, not the request, is what must change)."""


def open_vault(settings: Settings) -> Vault:
    """The vault of ``CIRCLES_SECRETS_KEY``; :class:`NoSecretsKey` without a usable key."""
    try:
        return vault(settings)
    except SecretsError:
        raise NoSecretsKey(
            N_(
                "CIRCLES_SECRETS_KEY is not set or not a valid key, so channel accounts "
                "cannot be stored. Make one with: circles channel new-key"
            )
        ) from None


async def add_account(
    session: AsyncSession, *, scope: Scope, settings: Settings, new: NewAccount, now: datetime
) -> ChannelAccount:
    """Store a new account, its secrets encrypted; :class:`Conflict` on a taken name or id."""
    scope.require(Permission.manage_circles)
    new = _checked(new)
    vault = open_vault(settings)
    if await session.scalar(select(ChannelAccount.id).where(ChannelAccount.name == new.name)):
        raise Conflict(N_("There is already a channel account named {name}."), name=new.name)
    if new.phone_number_id and await session.scalar(
        select(ChannelAccount.id).where(ChannelAccount.phone_number_id == new.phone_number_id)
    ):
        raise Conflict(N_("This WhatsApp phone number id has an account already."))
    account = ChannelAccount(
        app=new.app,
        name=new.name,
        username=new.username,
        phone_number=new.phone_number,
        phone_number_id=new.phone_number_id,
        tier=new.tier,
        token_encrypted=vault.encrypt(new.token),
        app_secret_encrypted=vault.encrypt(new.app_secret) if new.app_secret else None,
        created_at=now,
    )
    session.add(account)
    await session.flush()
    await _audit(session, scope, "channel.add", account, now)
    return account


async def _audit(
    session: AsyncSession,
    scope: Scope,
    action: str,
    account: ChannelAccount,
    now: datetime,
    detail: dict | None = None,
) -> None:
    """Record ``action`` on ``account`` (by default with its app and name, never a secret)."""
    await record_audit(
        session,
        actor=scope.actor,
        action=action,
        now=now,
        target_type="channel_account",
        target_id=account.id,
        detail=detail if detail is not None else {"app": account.app.value, "name": account.name},
    )


async def get_account(session: AsyncSession, *, name: str) -> ChannelAccount:
    """The account called ``name``; :class:`NotFound` otherwise."""
    account = await session.scalar(
        select(ChannelAccount).where(ChannelAccount.name == name.strip().lower())
    )
    if account is None:
        raise NotFound(ACCOUNT_NOT_FOUND, name=name[:40])
    return account


async def list_accounts(session: AsyncSession, *, scope: Scope) -> list[Listed]:
    """Every account with the circles and countries it serves (those in ``scope``)."""
    scope.require(Permission.manage_circles)
    accounts = list(await session.scalars(select(ChannelAccount).order_by(ChannelAccount.name)))
    places = await session.execute(
        select(ChannelAssignment, Circle)
        .outerjoin(Circle, Circle.id == ChannelAssignment.circle_id)
        .order_by(ChannelAssignment.country, ChannelAssignment.circle_id)
    )
    circles: dict[int, list[int]] = {}
    countries: dict[int, list[str]] = {}
    for assignment, circle in places.all():
        if circle is not None and scope.covers(circle):
            circles.setdefault(assignment.account_id, []).append(circle.id)
        elif assignment.country is not None and scope.covers_country(assignment.country):
            countries.setdefault(assignment.account_id, []).append(assignment.country)
    return [Listed(a, circles.get(a.id or 0, []), countries.get(a.id or 0, [])) for a in accounts]


async def assign(
    session: AsyncSession,
    *,
    scope: Scope,
    name: str,
    circle_id: int | None = None,
    country: str | None = None,
    now: datetime,
) -> ChannelAssignment:
    """Let account ``name`` serve circle ``circle_id`` or every circle of ``country``, in
    place of the account of its app that served it before there."""
    scope.require(Permission.manage_circles)
    if (circle_id is None) == (country is None):
        raise InvalidAnswer(N_("Give either a circle or a country."))
    circle = None
    if circle_id is not None:
        circle = await visible_circle(session, scope=scope, circle_id=circle_id)
    account = await get_account(session, name=name)
    if country is not None:
        country = country.strip().upper()
        if not is_country(country):
            raise InvalidAnswer(N_("{country} is not a country code."), country=country[:8])
        if not scope.covers_country(country):
            raise NotFound(N_("There is no circle with this id that you can see."))
    place = (
        ChannelAssignment.circle_id == circle.id
        if circle is not None
        else ChannelAssignment.country == country
    )
    await session.execute(
        delete(ChannelAssignment).where(ChannelAssignment.app == account.app, place)
    )
    row = ChannelAssignment(
        account_id=account.id or 0,
        app=account.app,
        circle_id=circle.id if circle is not None else None,
        country=country,
    )
    session.add(row)
    await session.flush()
    await _audit(
        session,
        scope,
        "channel.assign",
        account,
        now,
        {"circle_id": row.circle_id, "country": row.country},
    )
    return row


async def remove_account(
    session: AsyncSession, *, scope: Scope, name: str, now: datetime
) -> ChannelAccount:
    """Delete account ``name`` and its assignments: its circles go back to the default
    account (or their country's). A scoped coordinator may remove only an account whose
    every assignment is in their scope."""
    scope.require(Permission.manage_circles)
    account = await get_account(session, name=name)
    places = await session.execute(
        select(ChannelAssignment, Circle)
        .outerjoin(Circle, Circle.id == ChannelAssignment.circle_id)
        .where(ChannelAssignment.account_id == account.id)
    )
    for assignment, circle in places.all():
        inside = (
            scope.covers(circle)
            if circle is not None
            else scope.covers_country(assignment.country or "")
        )
        if not inside:
            raise Conflict(N_("This account serves circles outside your scope."))
    await session.delete(account)
    await session.flush()
    await _audit(session, scope, "channel.remove", account, now)
    return account


async def rotate_key(session: AsyncSession, *, vault: Vault) -> int:
    """Re-encrypt every account's secrets with the vault's first key; how many accounts."""
    accounts = list(await session.scalars(select(ChannelAccount).with_for_update()))
    for account in accounts:
        account.token_encrypted = vault.rotate(account.token_encrypted)
        if account.app_secret_encrypted is not None:
            account.app_secret_encrypted = vault.rotate(account.app_secret_encrypted)
    await session.flush()
    return len(accounts)


async def credentials(session: AsyncSession, *, vault: Vault, app: Channel) -> list[Credentials]:
    """Every account of ``app``, decrypted, for the door that runs them."""
    accounts = await session.scalars(
        select(ChannelAccount).where(ChannelAccount.app == app).order_by(ChannelAccount.id)
    )
    return [
        Credentials(
            id=a.id or 0,
            app=a.app,
            name=a.name,
            token=vault.decrypt(a.token_encrypted),
            username=a.username,
            phone_number=a.phone_number,
            phone_number_id=a.phone_number_id,
            app_secret=vault.decrypt(a.app_secret_encrypted) if a.app_secret_encrypted else None,
            tier=a.tier,
        )
        for a in accounts
    ]


async def extra_accounts(
    settings: Settings, sessions: SessionMaker, app: Channel, complained: set[str]
) -> list[Credentials]:
    """The extra accounts of ``app`` (``circles channel``), decrypted; none without the
    key, which is logged once per reason (``complained`` remembers which)."""
    try:
        async with sessions() as session:
            found = await credentials(session, vault=vault(settings), app=app)
    except SecretsError as exc:
        async with sessions() as session:
            any_account = await _any_account(session, app)
        if any_account and str(exc) not in complained:
            complained.add(str(exc))
            log.error("the extra channel accounts are not running: %s", exc)
        return []
    complained.clear()
    return found


# --- who serves whom ----------------------------------------------------------------


async def serving(session: AsyncSession, *, app: Channel, circle: Circle) -> ChannelAccount | None:
    """The account of ``app`` that serves ``circle``; None: the default account."""
    found = await session.scalars(
        select(ChannelAccount)
        .join(ChannelAssignment, ChannelAssignment.account_id == ChannelAccount.id)
        .where(
            ChannelAssignment.app == app,
            (ChannelAssignment.circle_id == circle.id)
            | (ChannelAssignment.country == circle.country.upper()),
        )
        .order_by(ChannelAssignment.circle_id.is_(None))
    )
    return found.first()


async def _any_account(session: AsyncSession, app: Channel) -> bool:
    return (
        await session.scalar(select(ChannelAccount.id).where(ChannelAccount.app == app).limit(1))
    ) is not None


async def _circle_accounts(
    session: AsyncSession, app: Channel, circle_ids: Sequence[int]
) -> dict[int, int | None]:
    # A circle's own assignment, else its country's, else NULL (the default account).
    own, country = aliased(ChannelAssignment), aliased(ChannelAssignment)
    column = func.coalesce(own.account_id, country.account_id)
    found = await session.execute(
        select(Circle.id, column)
        .outerjoin(own, (own.circle_id == Circle.id) & (own.app == app))
        .outerjoin(country, (country.country == Circle.country) & (country.app == app))
        .where(Circle.id.in_(sorted(set(circle_ids))))
    )
    return {circle_id: account_id for circle_id, account_id in found.all()}


async def accounts_of(
    session: AsyncSession, *, app: Channel, addresses: set[str]
) -> dict[str, int | None]:
    """The account that sends to each address of ``app`` (None: the default): a group
    link's circle's, or the account of the first circle its person joined. Addresses of
    nobody are the default account's."""
    if not addresses or not await _any_account(session, app):
        return {}
    groups = await session.execute(
        select(GroupLink.address, GroupLink.circle_id).where(
            GroupLink.channel == app, GroupLink.address.in_(addresses)
        )
    )
    circle_of = {address: circle_id for address, circle_id in groups.all()}
    members = await session.execute(
        select(Identity.address, Membership.circle_id)
        .join(Membership, Membership.person_id == Identity.person_id)
        .where(Identity.channel == app, Identity.address.in_(addresses))
        .order_by(Membership.id)
    )
    for address, circle_id in members.all():
        circle_of.setdefault(address, circle_id)
    accounts = await _circle_accounts(session, app, list(circle_of.values()))
    return {address: accounts.get(circle_id) for address, circle_id in circle_of.items()}


@dataclass(frozen=True)
class Elsewhere:
    """The account that serves someone who wrote to another one: its app and link."""

    app: Channel
    #: The bot's username or the number's digits (None: the default account's, which the
    #: caller knows from the settings).
    handle: str | None


async def account_for_person(
    session: AsyncSession, *, app: Channel, person_id: int, account_id: int | None
) -> Elsewhere | None:
    """None when the account ``account_id`` (None: the default) serves one of the person's
    circles, or they have none; else the account that serves their first circle."""
    if not await _any_account(session, app):
        return None
    circle_ids = list(
        await session.scalars(
            select(Membership.circle_id)
            .where(Membership.person_id == person_id)
            .order_by(Membership.id)
        )
    )
    if not circle_ids:
        return None
    accounts = await _circle_accounts(session, app, circle_ids)
    if account_id in accounts.values():
        return None
    first = accounts.get(circle_ids[0])
    if first is None:
        return Elsewhere(app, None)
    account = await session.get(ChannelAccount, first)
    assert account is not None
    handle = account.username if app is Channel.telegram else account.phone_number
    return Elsewhere(app, handle)


async def account_id_of(session: AsyncSession, *, name: str | None) -> int | None:
    """The id of the account called ``name`` (None for the default account)."""
    if name is None:
        return None
    return (await get_account(session, name=name)).id


def join_link(app: Channel, handle: str, code: str) -> str:
    """The invite link of ``code`` on the account whose bot username or number is ``handle``."""
    return invite_link(handle, code) if app is Channel.telegram else whatsapp_link(handle, code)


def chat_link(app: Channel, handle: str) -> str:
    """The link that opens a chat with the bot or number ``handle``."""
    return f"https://t.me/{handle}" if app is Channel.telegram else f"https://wa.me/{handle}"


async def invite_elsewhere(
    session: AsyncSession, *, app: Channel, code: str, account_id: int | None
) -> Elsewhere | None:
    """The account of ``app`` serving the circle of invite ``code`` when it is not
    ``account_id`` (None: the default); None when it is, or no such invite exists (the
    joining answers that)."""
    if not await _any_account(session, app):
        return None
    circle_id = await session.scalar(select(Invite.circle_id).where(Invite.code == code.strip()))
    if circle_id is None:
        return None
    served = (await _circle_accounts(session, app, [circle_id])).get(circle_id)
    if served == account_id:
        return None
    if served is None:
        return Elsewhere(app, None)
    account = await session.get(ChannelAccount, served)
    assert account is not None
    return Elsewhere(app, account.username if app is Channel.telegram else account.phone_number)
