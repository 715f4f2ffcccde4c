"""Reflections on a circle meeting: the bot asks each member after the circle has met.

The same flow follows an exchange session across circles (:mod:`bot.flows.exchange_sessions`):
its run's state names the session, and the reflection is stored with the session's id.

The answers are stored by the ``record_reflection`` effect of the ``reflection`` flow.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine
from bot.flows.effects import Completion, Context, effect
from bot.flows.hooks import answer_choice, answer_text, circle_of
from bot.flows.visit import Replies
from circles.models import Circle, Person
from circles.questions import Question
from circles.services import journeys


async def start_reflection(
    session: AsyncSession, *, person: Person, circle_id: int, meeting_id: int | None, now: datetime
) -> Replies:
    """Ask a member for their reflection on a circle meeting (sent by the scheduler)."""
    return await engine.begin(
        session,
        person=person,
        flow_id="reflection",
        now=now,
        meeting_id=meeting_id,
        state={"circle_id": circle_id},
    )


@effect("record_reflection")
async def record_reflection(ctx: Context, edited: bool) -> Completion:
    """Store a member's reflection on a meeting."""
    circle_id = ctx.run.state.get("circle_id")
    circle = (
        await ctx.session.get(Circle, int(circle_id))
        if circle_id
        else await circle_of(ctx.session, ctx.person)
    )
    if circle is not None:
        await journeys.record_reflection(
            ctx.session,
            person=ctx.person,
            circle=circle,
            flow_run_id=ctx.run.id,
            meeting_id=ctx.run.meeting_id,
            session_id=ctx.run.state.get("session_id"),
            learnt=answer_text(ctx.answers, Question.learnt),
            will_change=answer_text(ctx.answers, Question.will_change),
            one_word=answer_text(ctx.answers, Question.one_word),
            visibility=answer_choice(ctx.answers, Question.visibility) or "facilitators",
            now=ctx.now,
        )
    return Completion()
