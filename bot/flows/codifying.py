"""Codifying from what was piloted (codify v3): prefills, the last look, "Change a part".

Each ``prefill`` effect offers back what the teacher already said — the practice they
described and the strategy they chose in identify, the subject and level of their
profile, what they did, saw and planned to adjust in each pilot week — so that a
"Keep" replaces typing it again. Stored texts are the teacher's own words only (one
week per line), never words of the bot: they are read later in other languages.
"""

from __future__ import annotations

from bot.flows.answers import Value
from bot.flows.effects import Answered, Context, Prefill, effect
from bot.flows.hooks import answer_text, trend_line
from bot.flows.journey import codified_fields, inquiry_of
from circles.models import Answer, AnswerKind, GradeBand, Practice
from circles.questions import Question
from circles.services import journeys, showcase
from circles.services.repository import Found
from circles.services.summaries import STRATEGY_LABELS
from circles.text import Part, lines, number, t, tn

#: Onboarding v1's levels, as the school levels both flows ask since (v2).
_OLD_LEVELS = {"early": GradeBand.early_years, "vocational": GradeBand.adult}
#: What stands for a pilot week's answer given as a photo or a voice note in the prefill.
_NOT_TYPED = {
    AnswerKind.voice: t("(a voice note)"),
    AnswerKind.photo: t("(a photo)"),
    AnswerKind.document: t("(a document)"),
}


def _typed(text: str | None) -> Prefill | None:
    """Text the teacher typed before, to keep as it is."""
    return Prefill(Value(AnswerKind.text, text=text), text) if text else None


def _weekly(answers: list[Answer | None]) -> Prefill | None:
    """One line per pilot week: the typed text; a photo's caption; a voice note noted."""
    said = [a for a in answers if a is not None]
    typed = [a.value_text for a in said if a.value_text]
    if not typed:
        return None
    shown = [a.value_text or _NOT_TYPED.get(a.kind, "…") for a in said]
    return Prefill(Value(AnswerKind.text, text="\n".join(typed)), lines(*shown))


@effect("practice_described")
async def practice_described(ctx: Context) -> Prefill | None:
    """The practice as the teacher described it in identify."""
    inquiry = await inquiry_of(ctx)
    return _typed(inquiry.practice if inquiry else None)


@effect("strategy_chosen")
async def strategy_chosen(ctx: Context) -> Prefill | None:
    """The strategy the teacher chose in identify."""
    inquiry = await inquiry_of(ctx)
    strategy = inquiry.strategy if inquiry else None
    if strategy is None:
        return None
    return Prefill(
        Value(AnswerKind.choice, choice=strategy.value), t(STRATEGY_LABELS[strategy.value])
    )


@effect("profile_subject")
async def profile_subject(ctx: Context) -> Prefill | None:
    """The subjects the teacher gave when they joined."""
    return _typed(ctx.person.subjects)


@effect("profile_level")
async def profile_level(ctx: Context) -> Prefill | None:
    """The level the teacher gave when they joined, as a stage of schooling."""
    given = ctx.person.grade_level or ""
    level = _OLD_LEVELS.get(given) or (GradeBand(given) if given in set(GradeBand) else None)
    if level is None:
        return None
    label = t(showcase.GRADE_BAND_LABELS[level])
    return Prefill(Value(AnswerKind.choice, choice=level.value), label)


async def _weeks(ctx: Context) -> list[journeys.PilotWeek]:
    inquiry = await inquiry_of(ctx)
    if inquiry is None:
        return []
    return await journeys.pilot_weeks(ctx.session, inquiry_id=inquiry.id)


@effect("weeks_done")
async def weeks_done(ctx: Context) -> Prefill | None:
    """What the teacher did in each pilot week, as the steps to follow."""
    return _weekly([week.answers.get(Question.what_did) for week in await _weeks(ctx)])


@effect("weeks_adjusted")
async def weeks_adjusted(ctx: Context) -> Prefill | None:
    """What the teacher planned to adjust after each pilot week, as the lessons learnt."""
    return _weekly([week.answers.get(Question.adjust) for week in await _weeks(ctx)])


@effect("weeks_evidence")
async def weeks_evidence(ctx: Context) -> Prefill | None:
    """Each pilot week's evidence of learning, with the ratings; photos go along if kept."""
    inquiry = await inquiry_of(ctx)
    weekly = _weekly([week.answers.get(Question.evidence) for week in await _weeks(ctx)])
    if inquiry is None or weekly is None:
        return None
    shown: list[Part | None] = [weekly.shown]
    photos = len(await journeys.pilot_photos(ctx.session, inquiry_id=inquiry.id))
    if photos:
        shown.append(
            tn(
                "and {count} photo of student work",
                "and {count} photos of student work",
                photos,
                count=number(photos),
            )
        )
    ratings = await journeys.ratings(ctx.session, inquiry_id=inquiry.id)
    if ratings:
        shown.append(t("Ratings: {trend}", trend=trend_line(ratings)))
    return Prefill(weekly.value, lines(*shown))


@effect("challenge_and_obstacles")
async def challenge_and_obstacles(ctx: Context) -> Prefill | None:
    """The challenge named in identify, and what got in the way in the weeks not tried."""
    inquiry = await inquiry_of(ctx)
    if inquiry is None:
        return None
    challenge = await journeys.identified(ctx.session, inquiry=inquiry, key=Question.challenge)
    obstacles = [week.text(Question.why_not) for week in await _weeks(ctx)]
    said = [text for text in (challenge, *obstacles) if text]
    return _typed("\n".join(said))


@effect("practice_in_full")
async def practice_in_full(ctx: Context) -> Part | None:
    """The whole practice as readers will see it, before it goes to review."""
    inquiry = await inquiry_of(ctx)
    place = await journeys.teacher_place(ctx.session, person_id=ctx.person.id)
    if inquiry is None or place is None:
        return None
    fields = codified_fields(ctx.answers)
    practice = journeys.fill_practice(
        Practice(
            circle_id=place.circle.id,
            country=place.circle.country,
            language=ctx.person.language,
            title="",
        ),
        inquiry=inquiry,
        fields=fields,
        ratings=await journeys.ratings(ctx.session, inquiry_id=inquiry.id),
    )
    author = ctx.person.display_name if practice.author_visible else None
    found = Found(practice, place.circle.name, author, 0, None, 0)
    return showcase.card(found, full=True)


@effect("change_part")
async def change_part(ctx: Context, answer: Answer | None) -> Answered:
    """ "Change a part": ask that part again, then show the last look again."""
    part = answer_text(ctx.answers, Question.part_to_change)
    if not part or ctx.step is None:
        return Answered()
    return Answered(detour=part, back=Question.last_look)
