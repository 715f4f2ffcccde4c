"""Help from peers between meetings: ``/ask``, the Answer and Thank buttons, ``/peers``.

``/ask`` runs the flow ``ask`` (the question, with or without the asker's name, "Send it
now?"); its completion (:func:`send_peer_question`) stores the question
(:mod:`circles.services.peers`) and queues it, as written, under a frame in each reader's
language, to every other teacher of the circle who can receive it (not paused, not turned
off), held until their circle's quiet hours end. *Answer* (:class:`AnswerPeer`) runs
``peer_answer`` for a peer the question was sent to; the answer goes to the asker with the
answerer's first name and a *Thank* button (:class:`ThankPeer`), whose thanks go back to
the answerer. Each id is checked against the presser by the service; a second answer or
thanks, or a question no longer theirs, gets a clear note. Answers and thanks wait for
quiet hours to end too, but not for a pause: the asker asked for them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine, queued
from bot.flows.actions import Pressed, on
from bot.flows.answers import Value
from bot.flows.buttons import (
    AnswerPeer,
    AskCircle,
    RestartPeerQuestions,
    StopPeerQuestions,
    ThankPeer,
)
from bot.flows.effects import Completion, Context, Prefill, effect
from bot.flows.events import Button, Done, Notice, Say
from bot.flows.hooks import answer_text
from bot.flows.visit import Replies, Visit, members_only
from circles.errors import Conflict, NotFound
from circles.i18n import N_
from circles.models import AnswerKind, Circle, OutboxPriority, PeerAnswer, PeerQuestion, Person
from circles.questions import Question
from circles.services import peers
from circles.services.outbox import enqueue
from circles.services.schedule import sendable_from
from circles.text import Part, lines, number, quoted, shorten, t, tn

_ASKS = N_("{name}, a teacher of your circle, asks for help:")
_ASKS_ANONYMOUSLY = N_("A teacher of your circle asks for help (without their name):")
_ANSWERED = N_("{name} answered your question “{question}”:")
_THANKS = N_("{name} thanks you for your answer to “{question}”.")
_THANKS_ANONYMOUSLY = N_("The teacher who asked “{question}” thanks you for your answer.")
_NOT_A_TEACHER = N_("Asking your circle is for the teachers of a circle.")
ANSWER_LABEL = N_("Answer")
THANK_LABEL = N_("Thank")
STOP_LABEL = N_("Stop these questions")
RESTART_LABEL = N_("Receive them again")
#: How much of a question is quoted above an answer or a thanks.
QUESTION_QUOTE = 120


def _who(person: Person | None) -> Part:
    return peers.first_name(person) or t("(no name)")


def question_message(question: PeerQuestion, asker: Person | None) -> Say:
    """A question as a peer reads it: the frame in their language, the words as written."""
    name = None if question.anonymous else peers.first_name(asker)
    head = t(_ASKS, name=name) if name else t(_ASKS_ANONYMOUSLY)
    return Say(
        lines(head, quoted(question.text)),
        (
            (Button(t(ANSWER_LABEL), AnswerPeer(question.id)),),
            (Button(t(STOP_LABEL), StopPeerQuestions()),),
        ),
    )


def _short(question: PeerQuestion) -> str:
    return shorten(" ".join(question.text.split()), QUESTION_QUOTE)


def answer_message(answer: PeerAnswer, question: PeerQuestion, answerer: Person | None) -> Say:
    """An answer as the asker reads it, with the Thank button."""
    return Say(
        lines(t(_ANSWERED, name=_who(answerer), question=_short(question)), quoted(answer.text)),
        ((Button(t(THANK_LABEL), ThankPeer(answer.id)),),),
    )


def thanks_message(question: PeerQuestion, asker: Person | None) -> Say:
    """The asker's thanks as the answerer reads it."""
    name = None if question.anonymous else peers.first_name(asker)
    if name:
        return Say(t(_THANKS, name=name, question=_short(question)))
    return Say(t(_THANKS_ANONYMOUSLY, question=_short(question)))


async def _send(
    session: AsyncSession,
    *,
    to: Person,
    circle: Circle | None,
    message: Say,
    key: str,
    now: datetime,
    priority: OutboxPriority,
) -> bool:
    """Queue ``message`` for ``to``, held until the circle's quiet hours end for them."""
    later = (
        sendable_from(now, to.timezone, circle.quiet_from, circle.quiet_until) if circle else now
    )
    return await enqueue(
        session,
        to=to,
        payload=queued.payload(message),
        key=key,
        now=now,
        priority=priority,
        not_before=later,
    )


async def send_question(
    session: AsyncSession,
    *,
    question: PeerQuestion,
    asker: Person,
    circle: Circle,
    to: list[Person],
    now: datetime,
) -> None:
    """Queue the question for each peer (bulk, after quiet hours), keyed per question."""
    message = question_message(question, asker)
    for peer in to:
        await _send(
            session,
            to=peer,
            circle=circle,
            message=message,
            key=peers.question_key(question.id),
            now=now,
            priority=OutboxPriority.bulk,
        )


async def send_answer(
    session: AsyncSession, *, answer: PeerAnswer, question: PeerQuestion, by: Person, now: datetime
) -> None:
    """Queue the answer for the teacher who asked, with its Thank button."""
    asker = await session.get(Person, question.asker_id)
    if asker is not None:
        await _send(
            session,
            to=asker,
            circle=await session.get(Circle, question.circle_id),
            message=answer_message(answer, question, by),
            key=peers.answer_key(answer.id),
            now=now,
            priority=OutboxPriority.reply,
        )


async def send_thanks(
    session: AsyncSession, *, answer: PeerAnswer, question: PeerQuestion, by: Person, now: datetime
) -> Person | None:
    """Queue the asker's thanks for the peer who answered; that peer."""
    answerer = await session.get(Person, answer.answerer_id)
    if answerer is not None:
        await _send(
            session,
            to=answerer,
            circle=await session.get(Circle, question.circle_id),
            message=thanks_message(question, by),
            key=peers.thanks_key(answer.id),
            now=now,
            priority=OutboxPriority.reply,
        )
    return answerer


# --- asking -----------------------------------------------------------------------------------


def _enough_for_today() -> Part:
    return tn(
        "You have asked your circle {count} question in the last 24 hours. Please give them "
        "time to answer, and ask again tomorrow.",
        "You have asked your circle {count} questions in the last 24 hours. Please give them "
        "time to answer, and ask again tomorrow.",
        peers.QUESTIONS_A_DAY,
        count=number(peers.QUESTIONS_A_DAY),
    )


@members_only
async def ask(visit: Visit, person: Person) -> Replies:
    """``/ask``: write a question for the other teachers of the circle."""
    circle = await peers.teacher_circle(visit.session, person_id=person.id)
    if circle is None:
        return [Say(t(_NOT_A_TEACHER))]
    if not await peers.may_ask(visit.session, asker_id=person.id, now=visit.now):
        return [Say(_enough_for_today())]
    return await engine.begin(visit.session, person=person, flow_id="ask", now=visit.now)


@on(AskCircle)
async def ask_from_checkin(pressed: Pressed, action: AskCircle) -> engine.Outcome:
    """*Ask my circle* after a pilot check-in: ``/ask``, offering what it said as the question."""
    session, person = pressed.session, pressed.person
    try:
        wanted = await peers.help_wanted(session, person_id=person.id, checkin_id=action.checkin_id)
    except NotFound:
        return engine.Outcome([Notice(t(engine.CLOSED))])
    if await peers.teacher_circle(session, person_id=person.id) is None:
        return engine.Outcome([Notice(t(_NOT_A_TEACHER))])
    if not await peers.may_ask(session, asker_id=person.id, now=pressed.now):
        return engine.Outcome([Say(_enough_for_today())])
    state = {"help_checkin": action.checkin_id} if wanted else {}
    events = await engine.begin(session, person=person, flow_id="ask", now=pressed.now, state=state)
    return engine.Outcome([Done(t("Ask my circle")), *events])


@effect("help_wanted")
async def help_wanted(ctx: Context) -> Prefill | None:
    """The pilot check-in's "anything your circle could help with?", offered as the question."""
    checkin_id = ctx.run.state.get("help_checkin")
    if not checkin_id:
        return None
    try:
        text = await peers.help_wanted(
            ctx.session, person_id=ctx.person.id, checkin_id=int(checkin_id)
        )
    except NotFound:
        return None
    return Prefill(Value(AnswerKind.text, text=text), quoted(text)) if text else None


@effect("peer_question_preview")
async def peer_question_preview(ctx: Context) -> Part | None:
    """The question as it will go out, above "Send it now?"."""
    text = answer_text(ctx.answers, Question.question)
    if not text:
        return None
    named = answer_text(ctx.answers, Question.ask_as) != "anonymous"
    how = t("With your name.") if named else t("Without your name.")
    return lines(quoted(text), how)


@effect("send_peer_question")
async def send_peer_question(ctx: Context, edited: bool) -> Completion:
    """Send the confirmed question to the circle's other teachers who can receive it."""
    if answer_text(ctx.answers, Question.confirm) != "yes":
        return Completion([Say(t("Not sent. Send /ask when you want to ask your circle."))])
    text = answer_text(ctx.answers, Question.question)
    circle = await peers.teacher_circle(ctx.session, person_id=ctx.person.id)
    if edited or circle is None or not text:
        return Completion()
    if not await peers.may_ask(ctx.session, asker_id=ctx.person.id, now=ctx.now):
        return Completion([Say(_enough_for_today())])
    anonymous = answer_text(ctx.answers, Question.ask_as) == "anonymous"
    question, reached = await peers.ask_question(
        ctx.session, asker=ctx.person, circle=circle, text=text, anonymous=anonymous, now=ctx.now
    )
    await send_question(
        ctx.session, question=question, asker=ctx.person, circle=circle, to=reached, now=ctx.now
    )
    if not reached:
        reply = t(
            "No other teacher of your circle can receive questions right now. Your question "
            "is saved and your facilitators can see it."
        )
    else:
        reply = tn(
            "Sent to {count} teacher of your circle. Their answers will come here.",
            "Sent to {count} teachers of your circle. Their answers will come here.",
            len(reached),
            count=number(len(reached)),
        )
    return Completion([Say(reply)])


# --- answering --------------------------------------------------------------------------------


@on(AnswerPeer)
async def start_answer(pressed: Pressed, action: AnswerPeer) -> engine.Outcome:
    """*Answer*: ask for the answer, if the question was sent to the presser."""
    session, person = pressed.session, pressed.person
    try:
        question = await peers.question_for_peer(
            session, person_id=person.id, question_id=action.question_id
        )
    except NotFound as gone:
        return engine.Outcome([Notice(t(gone.message))])
    if await peers.has_answered(session, question_id=question.id, person_id=person.id):
        return engine.Outcome([Notice(t(peers.ALREADY_ANSWERED))])
    events = await engine.begin(
        session,
        person=person,
        flow_id="peer_answer",
        now=pressed.now,
        state={"question_id": question.id},
    )
    return engine.Outcome(events)


async def _question_of(ctx: Context) -> PeerQuestion | None:
    try:
        return await peers.question_for_peer(
            ctx.session,
            person_id=ctx.person.id,
            question_id=int(ctx.run.state.get("question_id") or 0),
        )
    except NotFound:
        return None


@effect("peer_question_asked")
async def peer_question_asked(ctx: Context) -> Part | None:
    """The question being answered, above "Type your answer"."""
    question = await _question_of(ctx)
    if question is None:
        return None
    asker = None if question.anonymous else await ctx.session.get(Person, question.asker_id)
    return question_message(question, asker).text


@effect("send_peer_answer")
async def send_peer_answer(ctx: Context, edited: bool) -> Completion:
    """Send the answer to the teacher who asked, with a Thank button."""
    question = await _question_of(ctx)
    text = answer_text(ctx.answers, Question.reply)
    if question is None:
        return Completion([Say(t(peers.QUESTION_GONE))])
    if edited or not text:
        return Completion()
    try:
        answer = await peers.answer_question(
            ctx.session, question=question, answerer=ctx.person, text=text, now=ctx.now
        )
    except Conflict as twice:
        return Completion([Say(t(twice.message))])
    await send_answer(ctx.session, answer=answer, question=question, by=ctx.person, now=ctx.now)
    return Completion([Say(t("Sent to the teacher who asked. Thank you for helping!"))])


@on(ThankPeer)
async def thank(pressed: Pressed, action: ThankPeer) -> engine.Outcome:
    """*Thank*: the thanks go to the peer who answered (once)."""
    session = pressed.session
    try:
        answer, question = await peers.answer_for_asker(
            session, person_id=pressed.person.id, answer_id=action.answer_id
        )
        peers.thank(answer, now=pressed.now)
    except (NotFound, Conflict) as refused:
        return engine.Outcome([Notice(t(refused.message))])
    answerer = await send_thanks(
        session, answer=answer, question=question, by=pressed.person, now=pressed.now
    )
    told = t("{name} will get your thanks.", name=_who(answerer))
    return engine.Outcome([Done(t(THANK_LABEL)), Say(told)])


# --- receiving them or not ---------------------------------------------------------------------


@members_only
async def settings(visit: Visit, person: Person) -> Replies:
    """``/peers``: whether peers' questions come, with the button that changes it."""
    if person.peer_questions:
        text = t("You receive the questions other teachers of your circle ask.")
        button = Button(t(STOP_LABEL), StopPeerQuestions())
    else:
        text = t("You do not receive the questions other teachers of your circle ask.")
        button = Button(t(RESTART_LABEL), RestartPeerQuestions())
    return [Say(text, ((button,),))]


@on(StopPeerQuestions)
async def stop(pressed: Pressed, action: StopPeerQuestions) -> engine.Outcome:
    """No more questions from peers."""
    pressed.person.peer_questions = False
    text = t(
        "You will get no more questions from your peers. You can still ask yours with /ask; "
        "/peers turns them back on."
    )
    return engine.Outcome(
        [Done(t(STOP_LABEL)), Say(text, ((Button(t(RESTART_LABEL), RestartPeerQuestions()),),))]
    )


@on(RestartPeerQuestions)
async def restart(pressed: Pressed, action: RestartPeerQuestions) -> engine.Outcome:
    """Questions from peers again."""
    pressed.person.peer_questions = True
    text = t("Good: you will get the questions other teachers of your circle ask.")
    return engine.Outcome([Done(t(RESTART_LABEL)), Say(text)])
