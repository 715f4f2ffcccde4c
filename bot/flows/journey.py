"""A teacher's inquiry journey: where they stand, codifying, piloting on, a new inquiry.

``/journey`` shows the phase, the practice, the pilot weeks, the ratings trend and the
last reflection on one screen, with the next step as a button (codify after a pilot week,
a new inquiry once one is done).
"""

from __future__ import annotations

from typing import Any

from bot.flows import engine
from bot.flows.actions import Pressed, closed, on
from bot.flows.buttons import AskCircle, Codify, KeepPiloting, NewInquiry
from bot.flows.effects import Answered, Completion, Context, effect
from bot.flows.engine import Outcome
from bot.flows.events import Button, Done, Rows, Say
from bot.flows.hooks import answer_choice, answer_text, trend_line
from bot.flows.invitations import planned
from bot.flows.visit import Replies, Visit, members_only
from circles.errors import NotFound
from circles.models import Answer, CheckIn, Inquiry, Person, Phase, Strategy
from circles.questions import Question
from circles.services import access, inquiries, journeys
from circles.text import Part, join, lines, number, shorten, t, tn

PHASE_NAMES = {
    Phase.identify: t("identify"),
    Phase.pilot: t("pilot"),
    Phase.codify: t("codify"),
    Phase.done: t("done"),
}
IN_REVIEW = t("in review")
CODIFY = t("Codify my practice")
NEW_INQUIRY = t("Start a new inquiry")


@members_only
async def journey(visit: Visit, person: Person) -> Replies:
    """Phase, practice, iterations, ratings trend and last reflection, on one screen."""
    session = visit.session
    inquiry = await journeys.latest_inquiry(session, person_id=person.id)
    reflection = await journeys.last_reflection(session, person_id=person.id)
    parts: list[Part] = [t("Your journey")]
    buttons: Rows = ()
    if inquiry is None:
        parts.append(t("You have not started an inquiry yet. Send /checkin to begin."))
    else:
        phase = PHASE_NAMES[inquiry.phase]
        if inquiry.phase is Phase.done and await journeys.waits_for_review(
            session, inquiry_id=inquiry.id
        ):
            phase = IN_REVIEW
        parts.append(t("Phase: {phase}", phase=phase))
        if inquiry.practice:
            parts.append(t("Practice: {practice}", practice=_short(inquiry.practice)))
        count = await journeys.pilot_iterations(session, inquiry_id=inquiry.id)
        parts.append(t("Pilot weeks: {count}", count=number(count)))
        ratings = await journeys.ratings(session, inquiry_id=inquiry.id)
        if ratings:
            parts.append(t("Ratings: {trend}", trend=trend_line(ratings)))
        if inquiry.phase is Phase.pilot and count >= 1:
            buttons = ((Button(CODIFY, Codify(inquiry.id)),),)
        if inquiry.phase is Phase.done:
            buttons = ((Button(NEW_INQUIRY, NewInquiry()),),)
    if reflection is not None:
        said = reflection.learnt or reflection.one_word or "…"
        parts.append(t("Last reflection: {text}", text=_short(said)))
    return [Say(join(parts), buttons)]


def _short(text: str, limit: int = 160) -> str:
    return shorten(text.strip(), limit)


#: What each of the five formative-assessment strategies means, in one line (after its
#: name, the label of its choice).
STRATEGY_MEANINGS: dict[Strategy, Part] = {
    Strategy.learning_intentions: t(
        "students know what they are learning and what good work looks like."
    ),
    Strategy.eliciting_evidence: t(
        "questions and tasks that show you what every student understands, so you can "
        "adapt your teaching."
    ),
    Strategy.feedback: t("comments that tell students what to do next, not only a mark."),
    Strategy.peer_assessment: t(
        "students help each other learn, as resources for one another, using the success criteria."
    ),
    Strategy.self_assessment: t(
        "students own their learning: they check their work against the success criteria "
        "and plan their next step."
    ),
}
#: The choice of identify's strategy question that explains the strategies.
EXPLAIN = "explain"


@on(Codify)
async def codify(pressed: Pressed, action: Codify) -> Outcome:
    """Move a piloted inquiry on to codifying, and start writing the practice down."""
    session, person, now = pressed.session, pressed.person, pressed.now
    try:
        inquiry = await access.inquiry_for_member(
            session, person_id=person.id, inquiry_id=action.inquiry_id
        )
    except NotFound:
        return closed()
    if inquiry.phase is not Phase.pilot:
        return closed()
    await inquiries.start_codifying(session, inquiry=inquiry, now=now)
    replies = await engine.begin(
        session, person=person, flow_id="codify", now=now, state={"inquiry_id": inquiry.id}
    )
    return Outcome([Done(CODIFY), *replies])


@on(KeepPiloting)
async def keep_piloting(pressed: Pressed, action: KeepPiloting) -> Outcome:
    """Not codifying yet: the next check-in asks again."""
    return Outcome(
        [Done(t("Keep piloting")), Say(t("Good, keep piloting. I will ask you again next week."))]
    )


@on(NewInquiry)
async def new_inquiry(pressed: Pressed, action: NewInquiry) -> Outcome:
    """Start the next inquiry once the last one is done."""
    session, person, now = pressed.session, pressed.person, pressed.now
    place = await journeys.teacher_place(session, person_id=person.id)
    if (
        place is None
        or await journeys.current_inquiry(session, person_id=person.id, circle_id=place.circle.id)
        is not None
    ):
        return closed()
    inquiry = await journeys.start_inquiry(session, person=person, circle=place.circle, now=now)
    replies = await engine.begin(
        session, person=person, flow_id="identify", now=now, state={"inquiry_id": inquiry.id}
    )
    return Outcome([Done(NEW_INQUIRY), *replies])


# --- effects of the journey's flows (identify, pilot, codify) -----------------------------


async def inquiry_of(ctx: Context) -> Inquiry | None:
    """The inquiry a run of identify, pilot or codify is about."""
    inquiry_id = ctx.run.state.get("inquiry_id")
    return await ctx.session.get(Inquiry, int(inquiry_id)) if inquiry_id else None


@effect("explain_strategies")
async def explain_strategies(ctx: Context, answer: Answer | None) -> Answered:
    """ "What do these mean?": one line for each strategy, then the same question again."""
    if answer is None or answer.value_choice != EXPLAIN or ctx.step is None:
        return Answered()
    meanings = join(
        (
            join((t(choice.label), STRATEGY_MEANINGS[Strategy(choice.value)]), ": ")
            for choice in ctx.step.choices
            if choice.value in set(Strategy)
        ),
        "\n\n",
    )
    return Answered([Say(meanings)], again=True)


@effect("last_adjustment")
async def last_adjustment(ctx: Context) -> Part | None:
    """ "Last time you planned: …" above this week's "Did you try it?"."""
    inquiry = await inquiry_of(ctx)
    if inquiry is None:
        return None
    before = None
    if ctx.run.checkin_id is not None:
        checkin = await ctx.session.get(CheckIn, ctx.run.checkin_id)
        before = checkin.scheduled_for if checkin is not None else None
    plan = await journeys.last_adjustment(ctx.session, inquiry_id=inquiry.id, before=before)
    return planned(plan) if plan else None


@effect("baseline_and_success")
async def baseline_and_success(ctx: Context) -> Part | None:
    """Where the teacher started and what success looks like, above "How well did it work?"."""
    inquiry = await inquiry_of(ctx)
    if inquiry is None:
        return None
    parts: list[Part] = []
    if inquiry.baseline or inquiry.baseline_file_id:
        said = _short(inquiry.baseline, 300) if inquiry.baseline else t("a photo of student work")
        parts.append(t("Your starting point: “{baseline}”", baseline=said))
    if inquiry.success:
        parts.append(
            t("What success looks like: “{success}”", success=_short(inquiry.success, 300))
        )
    return lines(*parts) if parts else None


@effect("record_practice_choice")
async def record_practice_choice(ctx: Context, edited: bool) -> Completion:
    """Record the inquiry's strategy, practice, baseline and success evidence; the check-in
    is answered."""
    inquiry = await inquiry_of(ctx)
    if inquiry is not None:
        if Question.baseline in ctx.answers or Question.success in ctx.answers:
            baseline = ctx.answers.get(Question.baseline)
            journeys.set_baseline(
                inquiry,
                baseline=baseline.value_text if baseline is not None else None,
                baseline_file_id=baseline.file_id if baseline is not None else None,
                success=answer_text(ctx.answers, Question.success),
            )
        await journeys.set_practice(
            ctx.session,
            inquiry=inquiry,
            strategy=answer_choice(ctx.answers, Question.strategy),
            practice=answer_text(ctx.answers, Question.practice),
            now=ctx.now,
        )
    await journeys.mark_answered(ctx.session, checkin_id=ctx.run.checkin_id, now=ctx.now)
    return Completion()


@effect("record_pilot_week")
async def record_pilot_week(ctx: Context, edited: bool) -> Completion:
    """Mark the week answered; show the ratings trend and, when due, offer to codify."""
    await journeys.mark_answered(ctx.session, checkin_id=ctx.run.checkin_id, now=ctx.now)
    inquiry = await inquiry_of(ctx)
    if inquiry is None or edited:
        return Completion()
    ratings = await journeys.ratings(ctx.session, inquiry_id=inquiry.id)
    iterations = await journeys.pilot_iterations(ctx.session, inquiry_id=inquiry.id)
    replies = []
    if ratings:
        replies.append(Say(t("Your ratings so far: {trend}", trend=trend_line(ratings))))
    if iterations >= journeys.CODIFY_AFTER and inquiry.phase is Phase.pilot:
        text = tn(
            "You have piloted your practice {count} time. Would you like to write it "
            "down for other teachers now, or keep piloting?",
            "You have piloted your practice {count} times. Would you like to write it "
            "down for other teachers now, or keep piloting?",
            iterations,
            count=number(iterations),
        )
        rows = (
            (Button(CODIFY, Codify(inquiry.id)),),
            (Button(t("Keep piloting"), KeepPiloting(inquiry.id)),),
        )
        replies.append(Say(text, rows))
    if answer_text(ctx.answers, Question.help) and ctx.run.checkin_id is not None:
        offer = t(
            "Would you like to ask the other teachers of your circle about what you could "
            "use help with? It goes to them only if you say so."
        )
        replies.append(Say(offer, ((Button(t("Ask my circle"), AskCircle(ctx.run.checkin_id)),),)))
    return Completion(replies)


def codified_fields(answers: dict[str, Answer]) -> dict[str, Any]:
    """Codify's answers as the practice's parts (:func:`journeys.fill_practice` reads them)."""
    fields: dict[str, Any] = {key: answer_text(answers, key) for key in answers}
    size = answers.get(Question.class_size)
    fields[Question.class_size] = size.value_number if size is not None else None
    for key in (Question.share_scope, Question.show_name, Question.grade_band, Question.strategy):
        fields[key] = answer_choice(answers, key)
    evidence = answers.get(Question.evidence)
    fields["evidence_photos"] = [evidence.file_id] if evidence and evidence.file_id else []
    return fields


@effect("codify_practice")
async def codify_practice(ctx: Context, edited: bool) -> Completion:
    """Write the practice down for the repository; the check-in is answered."""
    inquiry = await inquiry_of(ctx)
    place = await journeys.teacher_place(ctx.session, person_id=ctx.person.id)
    if inquiry is not None and place is not None:
        fields = codified_fields(ctx.answers)
        if Question.evidence in ctx.run.state.get("kept", []):
            # the pilot weeks' evidence was kept: their photos of student work go along
            pilot = await journeys.pilot_photos(ctx.session, inquiry_id=inquiry.id)
            fields["evidence_photos"] = [*pilot, *fields["evidence_photos"]]
        await journeys.codify(
            ctx.session,
            inquiry=inquiry,
            author=ctx.person,
            circle=place.circle,
            fields=fields,
            now=ctx.now,
        )
    await journeys.mark_answered(ctx.session, checkin_id=ctx.run.checkin_id, now=ctx.now)
    return Completion()
