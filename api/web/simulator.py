"""``/simulator``: chat with the bot as a teacher of the demo circle, without Telegram.

A second door onto :mod:`bot.flows`, not a copy: each form post becomes an
:class:`~bot.flows.door.Inbound` (a command, a message, a pressed button) that goes
through :func:`bot.flows.door.handle` as Telegram's updates do, in one transaction,
with a :class:`Sender` on the ``simulator`` channel whose address is a synthetic id
(:mod:`circles.services.simulation`: at or below −10¹⁵). So a simulated teacher is an
ordinary person with ordinary rows, shown on the dashboard like anyone else, and no
sender ever sends to a simulated chat.

What is simulated, and how:

* **Joining**: starting creates a one-use teacher invite to the demo circle (seeding
  the circle as ``circles demo`` would when there is none) and sends ``/start <code>``.
  Only demo circles can be joined here: a ``/start <code>`` typed in the chat takes
  only a demo circle's invite (``joining.start(demo_only=True)``). Starting again from
  the same browser keeps its simulated person (and adds no invite when it is a member
  already).
* **Limits**: starts and sends are rate-limited per client address
  (:mod:`api.web.throttle`), and the chat history is bounded in bytes
  (:mod:`api.web.transcript`). The signed cookie is the visitor's identity: with
  ``CIRCLES_WEB_SECRET`` set it survives a restart; without it, a cookie of an earlier
  process is answered with a page that says so.
* **Photos**: an uploaded image becomes a photo :class:`Input` whose ``file_id`` is
  ``simulator:<sha256 prefix>`` — stored in ``Answer.file_id`` exactly where Telegram's
  file id would be; the bytes themselves are not kept.
* **Time**: "next check-in" moves this teacher's clock to just after their next
  check-in opens (an offset kept in the session), so a pilot week can follow
  identify at once. Rows written after a jump carry the simulated time.
* **Meetings**: "the circle met" asks for the reflection as the scheduler does after a
  meeting (``teacher.start_reflection``).
* **Later messages**: what the scheduler, reviews or broadcasts queue in the outbox for
  the simulated chat is shown in the chat too (read from the outbox on each page
  view; the rows stay as they are).
* **WhatsApp's look**: a switch shows the same conversation as WhatsApp would, without
  a WhatsApp number: WhatsApp's limits fit the messages (three reply buttons, lists of
  ten rows, numbered choices), a tap is the teacher's reply rather than an edit of the
  question, and a message the bot starts itself while the teacher's 24-hour window is
  closed (by the simulated clock: after a jump to the next check-in, say) shows as the
  approved template WhatsApp would deliver, named in a note above it.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from api.web.pages import COOKIE, WebError, language_of, page, redirect, web_session
from api.web.throttle import RateLimit
from api.web.transcript import Look, Transcripts, buttons, looks, queued
from bot.flows import door, joining, reflections
from bot.flows.door import Inbound
from bot.flows.fit import Fitted, fit
from bot.flows.ids import parse_id
from bot.flows.inputs import Input, InputKind
from bot.flows.messages import Sender
from bot.flows.visit import Replies, Visit
from circles.clock import Clock
from circles.db import SessionMaker, transaction
from circles.i18n import N_, SUPPORTED_LANGUAGES, _, format_datetime, use_language
from circles.models import Channel
from circles.services import simulation
from circles.services.journeys import teacher_place
from circles.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/simulator", include_in_schema=False)

#: The largest photo accepted (Telegram's own limit for photos is 10 MB).
PHOTO_LIMIT = 10 * 1024 * 1024
#: Starts per client address and minute: each start may add a person and a membership.
STARTS_PER_MINUTE = 20
#: Messages, photos and pressed buttons per client address and minute.
SENDS_PER_MINUTE = 120

TOO_MANY = N_("Too many requests from your address. Please wait a minute and try again.")
RESTARTED = N_(
    "The simulator no longer knows your chat: the server was restarted or your session "
    "expired. Please start again."
)

SHORTCUTS = ("/checkin", "/journey", "/edit", "/skip", "/help")
#: The note a chat gets when its look changes.
LOOK_NOTE = N_("From here on, the chat looks as it would in that app.")
LOOK_NOTES = {
    "telegram": N_("From here on, the chat looks as it would in Telegram."),
    "whatsapp": N_(
        "From here on, the chat looks as it would in WhatsApp: at most three buttons, "
        "lists, no edited messages, and templates when the 24-hour window is closed."
    ),
}


class Simulated:
    """One request of the simulated teacher: their identity, clock and chat."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.web = web_session(request)
        # A cookie came but did not verify: signed by an earlier process (no
        # CIRCLES_WEB_SECRET), or too old. Say so rather than silently start over.
        self.lost = COOKIE in request.cookies and self.web.changed
        state = request.app.state
        self.settings: Settings = state.settings
        if not self.settings.simulator:
            raise WebError(404, N_("The chat simulator is switched off here."))
        self.sessions: SessionMaker = state.sessions
        self.clock: Clock = state.clock
        if getattr(state, "transcripts", None) is None:
            state.transcripts = Transcripts()
            minute = timedelta(minutes=1)
            state.simulator_limits = {
                "start": RateLimit(STARTS_PER_MINUTE, minute),
                "send": RateLimit(SENDS_PER_MINUTE, minute),
            }
        self.transcripts: Transcripts = state.transcripts
        #: The last update erased the simulated teacher (``/forgetme`` confirmed).
        self.erased = False
        self.limits: dict[str, RateLimit] = state.simulator_limits
        chat_id = self.web.get("sim")
        self.chat_id: int | None = chat_id if simulation.is_simulated(chat_id) else None

    def check(self, csrf: str | None, limit: str) -> None:
        """Refuse a form of a lost session, a wrong CSRF value, or one request too many."""
        if self.lost:
            raise WebError(409, RESTARTED)
        self.web.check_csrf(csrf)
        client = self.request.client.host if self.request.client else "unknown"
        if not self.limits[limit].allow(client, self.clock.now()):
            log.info("a simulator client was rate-limited (%s)", limit)
            raise WebError(429, TOO_MANY)

    @property
    def language(self) -> str:
        """The language the teacher picked (the phone's language, for the flows)."""
        chosen = self.web.get("sim_lang")
        return chosen if chosen in SUPPORTED_LANGUAGES else self.settings.default_language

    @property
    def look_key(self) -> str:
        """The app the chat looks like: ``telegram`` unless another was chosen."""
        chosen = self.web.get("sim_look") or ""
        return chosen if chosen in looks(self.request.app.state) else "telegram"

    @property
    def look(self) -> Look:
        return looks(self.request.app.state)[self.look_key]

    @property
    def sender(self) -> Sender:
        """Who the flows think wrote: the simulated teacher's identity."""
        assert self.chat_id is not None
        return Sender(
            Channel.simulator,
            str(self.chat_id),
            name=self.web.get("sim_name"),
            language_code=self.language,
        )

    def now(self) -> datetime:
        """The teacher's simulated time: the real clock plus their jumps."""
        return self.clock.now() + timedelta(seconds=int(self.web.get("sim_offset") or 0))

    async def run(
        self, inbound: Inbound, answer: Callable[[Visit], Awaitable[Replies]] | None = None
    ) -> Fitted:
        """Take ``inbound`` through the door in one transaction, as Telegram's updates go,
        and render its events in the reader's language as it is after the work.

        ``answer`` stands in for the door's dispatch for what only the simulator does
        (joining a demo circle from the start form, the circle having met)."""
        with use_language(self.language, self.settings.default_language):
            async with transaction(self.sessions) as session:
                handled = await door.handle(
                    session,
                    sender=self.sender,
                    inbound=inbound,
                    settings=self.settings,
                    now=self.now(),
                    answer=answer,
                )
                self.erased = handled.erased
                return fit(handled.outcome.events, handled.language, self.look.capabilities)

    def show(self, shown: Fitted) -> None:
        """Add the bot's replies (and a button's notice) to the chat."""
        assert self.chat_id is not None
        self.transcripts.show(self.chat_id, shown, _data_url)

    def back(self) -> Response:
        """Back to the chat, at its end."""
        return redirect(self.request, self.web, "/simulator#end")


def _clean(text: str) -> str:
    """Typed text without NUL characters (a form can carry them; Telegram never does)."""
    return text.replace("\x00", "").strip()


def _data_url(content: bytes) -> str:
    return "data:application/json;base64," + base64.b64encode(content).decode()


def _number(value: str) -> int | None:
    """A positive id typed in a form, or None (never Unicode digits or a huge number)."""
    number = parse_id(value.strip())
    return number if number else None


def _require(sim: Simulated, csrf: str | None) -> int:
    sim.check(csrf, "send")
    if sim.chat_id is None:
        raise WebError(409, N_("Start a simulated chat first."))
    return sim.chat_id


@router.get("")
async def chat_page(request: Request) -> Response:
    """The chat, or the form that starts one."""
    sim = Simulated(request)
    if sim.chat_id is None:
        async with transaction(sim.sessions) as session:
            circles = await simulation.demo_circles(session)
        language = language_of(request, sim.web.get("sim_lang"))
        return page(
            request,
            sim.web,
            "simulator_start.html",
            language=language,
            circles=circles,
            lost=RESTARTED if sim.lost else None,
        )
    async with transaction(sim.sessions) as session:
        person = await simulation.simulated_person(session, chat_id=sim.chat_id)
        chat = sim.transcripts.chat(sim.chat_id)
        language = person.language if person else sim.language
        look, last = sim.look, await simulation.last_message_at(session, chat_id=sim.chat_id)
        closed = look.window is not None and (last is None or sim.now() - last > look.window)
        for row in await simulation.queued_messages(
            session, chat_id=sim.chat_id, after_id=chat.outbox_seen
        ):
            chat.outbox_seen = row.id
            template = (
                look.template(row.idempotency_key, row.payload or {}, language)
                if closed and look.template
                else None
            )
            if template is not None:
                name, text, keys = template
                with use_language(language):
                    note = _(
                        "The teacher's last message is too long ago for a free message, so "
                        "{app} delivers this as the approved template {name}."
                    ).format(app=look.name, name=name)
                sim.transcripts.add(sim.chat_id, "note", note)
                rows = tuple((key,) for key in keys)
                sim.transcripts.add(sim.chat_id, "bot", text, buttons=buttons(rows))
                continue
            for text, shown in queued(row.payload or {}, language, look.capabilities):
                sim.transcripts.add(sim.chat_id, "bot", text, buttons=shown)
        place = await teacher_place(session, person_id=person.id) if person else None
    with use_language(language):
        clock = format_datetime(sim.now(), person.timezone if person else "UTC")
    return page(
        request,
        sim.web,
        "simulator.html",
        language=language,
        chat=chat,
        circle=place.circle if place else None,
        person=person,
        simulated_time=clock if sim.web.get("sim_offset") else None,
        shortcuts=SHORTCUTS,
        look=sim.look_key,
        looks=looks(request.app.state),
    )


@router.post("/start")
async def start(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "en",
    name: Annotated[str, Form(max_length=60)] = "",
    circle_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Join a demo circle as a simulated teacher with ``/start <invite code>``.

    The browser's simulated person, if it has one, starts again rather than a new one.
    """
    sim = Simulated(request)
    sim.check(csrf, "start")
    chosen = _number(circle_id)
    if circle_id.strip() and chosen is None:
        raise WebError(404, N_("There is no demo circle with this id."))
    earlier = sim.chat_id or sim.web.get("sim_was")
    sim.web.set(
        "sim", earlier if simulation.is_simulated(earlier) else simulation.new_simulated_id()
    )
    sim.web.set("sim_lang", language if language in SUPPORTED_LANGUAGES else None)
    sim.web.set("sim_name", name.strip()[:60] or None)
    sim.web.set("sim_offset", None)
    sim.chat_id = sim.web.get("sim")
    assert sim.chat_id is not None
    code: str | None = None

    async def join(visit: Visit) -> Replies:
        nonlocal code
        assert sim.chat_id is not None
        code = await simulation.join_code(
            visit.session, chat_id=sim.chat_id, circle_id=chosen, now=sim.clock.now()
        )
        return await joining.start(visit, code, demo_only=True)

    outcome = await sim.run(Inbound(command="start"), join)
    sim.transcripts.add(sim.chat_id, "me", f"/start {code}" if code else "/start")
    sim.show(outcome)
    log.info("a simulated teacher started in a demo circle")
    return sim.back()


@router.post("/send")
async def send(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    text: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    """A typed message: a command, or the answer to the open question."""
    sim = Simulated(request)
    chat_id = _require(sim, csrf)
    text = _clean(text)
    if not text:
        return sim.back()
    bubble = sim.transcripts.add(chat_id, "me", text)
    message = Input(InputKind.text, text=text, ref=f"sim-{bubble.id}")
    sim.show(await sim.run(Inbound.of(message)))
    return sim.back()


@router.post("/photo")
async def photo(
    request: Request,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
    caption: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """An uploaded photo, sent as Telegram would send a photo with a caption."""
    sim = Simulated(request)
    chat_id = _require(sim, csrf)
    content = await file.read(PHOTO_LIMIT + 1)
    if not content or len(content) > PHOTO_LIMIT:
        raise WebError(413, N_("Please choose a photo of at most 10 MB."))
    if not (file.content_type or "").startswith("image/"):
        raise WebError(415, N_("Please choose a photo (an image file)."))
    file_id = "simulator:" + hashlib.sha256(content).hexdigest()[:40]
    caption = _clean(caption)
    bubble = sim.transcripts.add(chat_id, "me", caption, photo=(file.filename or "photo")[:80])
    message = Input(InputKind.photo, text=caption or None, file_id=file_id, ref=f"sim-{bubble.id}")
    sim.show(await sim.run(Inbound(message=message)))
    return sim.back()


@router.post("/press")
async def press(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    data: Annotated[str, Form(max_length=64)] = "",
    bubble: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A pressed button: its data goes through the door as a Telegram button's does."""
    sim = Simulated(request)
    chat_id = _require(sim, csrf)
    chat = sim.transcripts.chat(chat_id)
    pressed = chat.find(_number(bubble) or 0)
    shown = await sim.run(Inbound(data=data))
    if sim.erased:  # /forgetme confirmed: the chat's bubbles quote what was erased
        sim.transcripts.forget(chat_id)
    elif sim.look.capabilities.can_edit:
        # As Telegram's door does: redraw a multiple choice, or mark the choice.
        sim.transcripts.mark(chat, pressed.id if pressed else 0, shown)
    elif pressed is not None:
        # WhatsApp edits nothing: the tapped title is the teacher's reply in the chat.
        label = next((b.label for row in pressed.buttons for b in row if b.data == data), None)
        if label:
            sim.transcripts.add(chat_id, "me", label)
    sim.show(shown)
    return sim.back()


@router.post("/look")
async def look(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    app: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Show the chat as Telegram or as WhatsApp would (the conversation stays the same)."""
    sim = Simulated(request)
    chat_id = _require(sim, csrf)
    if app not in looks(request.app.state):
        raise WebError(422, N_("Choose one of the apps the simulator offers."))
    sim.web.set("sim_look", app)
    sim.transcripts.add(chat_id, "note", _page_text(sim, LOOK_NOTES.get(app, LOOK_NOTE)))
    return sim.back()


@router.post("/next-checkin")
async def next_checkin(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """Move the simulated teacher's clock to just after their next check-in opens."""
    sim = Simulated(request)
    chat_id = _require(sim, csrf)
    async with transaction(sim.sessions) as session:
        person = await simulation.simulated_person(session, chat_id=chat_id)
        when = (
            await simulation.next_checkin_time(session, person=person, now=sim.now())
            if person
            else None
        )
    if person is None or when is None:
        raise WebError(409, N_("Join the demo circle as a teacher first."))
    sim.web.set("sim_offset", int((when - sim.clock.now()).total_seconds()))
    with use_language(person.language):
        note = _("Simulated time: {date}. Your next check-in is open: send /checkin.").format(
            date=format_datetime(when, person.timezone)
        )
    sim.transcripts.add(chat_id, "note", note)
    return sim.back()


@router.post("/meeting")
async def meeting(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """Pretend the circle just met: the bot asks for the reflection, as after a meeting."""
    sim = Simulated(request)
    chat_id = _require(sim, csrf)

    async def met(visit: Visit) -> Replies:
        person = visit.member
        place = await teacher_place(visit.session, person_id=person.id) if person else None
        if person is None or place is None:
            raise WebError(409, N_("Join the demo circle as a teacher first."))
        return await reflections.start_reflection(
            visit.session, person=person, circle_id=place.circle.id, meeting_id=None, now=visit.now
        )

    outcome = await sim.run(Inbound(), met)
    sim.transcripts.add(chat_id, "note", _page_text(sim, N_("The circle has just met.")))
    sim.show(outcome)
    return sim.back()


def _page_text(sim: Simulated, message: str) -> str:
    with use_language(sim.language):
        return _(message)


@router.post("/leave")
async def leave(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """Leave the simulated chat (the teacher's rows stay, like a phone put away).

    The browser keeps its simulated person: starting again continues as them.
    """
    sim = Simulated(request)
    if sim.lost:
        raise WebError(409, RESTARTED)
    sim.web.check_csrf(csrf)
    if sim.chat_id is not None:
        sim.transcripts.forget(sim.chat_id)
        sim.web.set("sim_was", sim.chat_id)
    for key in ("sim", "sim_name", "sim_offset"):
        sim.web.set(key, None)
    return redirect(request, sim.web, "/simulator")
