"""Steps of a teacher's story that many bot tests share, in the English texts of the flows."""

from __future__ import annotations

from datetime import UTC, datetime

from circles.models import Role

from .phone import Phone

#: Monday evenings after Accra 1's check-in opens (Mondays 16:00 Africa/Accra).
MONDAY_EVENING = [datetime(2026, 9, day, 17, 0, tzinfo=UTC) for day in (7, 14, 21, 28)]


async def onboard(ama: Phone, code: str) -> None:
    """Join with ``code`` and answer every onboarding question."""
    await ama.send(f"/start {code}")
    await ama.tap("I agree")
    await ama.tap("✓ English")
    assert ama.labels()[0] == "Africa/Accra"
    await ama.tap("Africa/Accra")
    full_name = " ".join(filter(None, (ama.user.first_name, ama.user.last_name)))
    assert ama.labels() == [full_name]  # the name Telegram gave, one tap away
    await ama.send("Ama M.")
    await ama.send("Mathematics, Science")
    texts = await ama.tap("Lower secondary")
    assert texts[0].startswith("You are all set, Ama M.!\n\n")


#: Ama's baseline and success evidence, as identify (v2) asks them.
BASELINE = "Most copy the answer from a neighbour."
SUCCESS = "Every student writes their own answer and explains it."


async def identify(ama: Phone) -> None:
    """Answer the identify questions that follow onboarding."""
    await ama.send("Many students copy answers without checking if they understood.")
    await ama.send("About a third of my Year 8 class")
    await ama.photo(caption="Exit tickets from Tuesday")
    await ama.send(BASELINE)
    await ama.send(SUCCESS)
    await ama.tap("Eliciting evidence of learning")
    await ama.send("Mini whiteboards for every student on one hinge question per lesson.")
    texts = await ama.tap("4")
    assert texts[0].startswith("Thank you! From next week")


async def pilot_week(ama: Phone, rating: str) -> list[str]:
    """Answer one weekly pilot check-in."""
    texts = await ama.send("/checkin")
    assert texts[0].startswith("Time for this week's check-in about your practice.\n\n")
    await ama.tap("Yes")
    await ama.send("Used the whiteboards in three lessons.")
    await ama.voice(duration=25)
    await ama.tap(rating)
    await ama.send("Ask the hinge question earlier.")
    return await ama.tap("Skip")


async def onboard_facilitator(phone, accra):
    """Grace joins Accra 1 as a facilitator and is onboarded."""
    grace = phone("Grace")
    await grace.send(f"/start {accra.codes[Role.facilitator]}")
    await grace.tap("I agree")
    await grace.tap("✓ English")
    await grace.tap("Africa/Accra")
    await grace.send("Grace O.")
    await grace.tap("Skip")
    await grace.tap("Skip")
    return grace


#: Four pilot weeks as a teacher types them: what she did, what she saw, her rating and
#: what she will adjust (the third week's evidence is a photo of student work).
PILOT_WEEKS = (
    ("Whiteboards in three lessons.", "Half wrote their own answer.", "2", "Ask earlier."),
    ("One hinge question per lesson.", "Most answered alone.", "3", "Give think time."),
    ("Hinge question after ten minutes.", None, "4", "Regroup at once."),
    ("Regrouped by the answers.", "Two thirds right, up from a third.", "4", "Keep it short."),
)


async def typed_pilot_week(ama: Phone, week: int) -> list[str]:
    """Answer pilot week ``week`` (0–3) of :data:`PILOT_WEEKS`, help skipped."""
    did, saw, rating, adjust = PILOT_WEEKS[week]
    await ama.send("/checkin")
    await ama.tap("Yes")
    await ama.send(did)
    await (ama.send(saw) if saw else ama.photo(caption=None))
    await ama.tap(rating)
    await ama.send(adjust)
    return await ama.tap("Skip")
