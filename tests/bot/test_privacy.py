"""A teacher can take their data with them, or have it erased."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select
from support.phone import Phone
from support.story import MONDAY_EVENING, identify, pilot_week

from circles.clock import FakeClock
from circles.models import Answer, AuditLog, CheckIn, FlowRun, Inquiry, Membership, Person


async def test_mydata_sends_a_file_with_everything_stored(ama: Phone, clock: FakeClock) -> None:
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    await pilot_week(ama, "3")
    texts = await ama.send("/mydata")
    assert texts == ["Here is everything I store about you."]
    call = ama.fake.last_call("sendDocument")
    upload = next(iter(call.files.values()))
    assert upload.filename == "my-learning-circles-data.json"
    data = json.loads(upload.content)
    assert data["person"]["display_name"] == "Ama M."
    [membership] = data["memberships"]
    assert (membership["circle"], membership["country"], membership["role"]) == (
        "Accra 1",
        "GH",
        "teacher",
    )
    texts_given = {a["value_text"] for a in data["answers"]}
    assert "Many students copy answers without checking if they understood." in texts_given
    assert "Ask the hinge question earlier." in texts_given
    assert len(data["checkins"]) == 1 and len(data["inquiries"]) == 1


async def test_forgetme_asks_then_erases_personal_data_keeping_counts(
    ama: Phone, clock: FakeClock, sessions
) -> None:
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    await pilot_week(ama, "3")
    texts = await ama.send("/forgetme")
    assert "It cannot be undone." in texts[0]
    assert ama.labels() == ["Yes, erase everything", "No, keep my data"]
    assert await ama.tap("No, keep my data") == ["Nothing was erased."]

    await ama.send("/forgetme")
    texts = await ama.tap("Yes, erase everything")
    assert texts == ["Everything about you is erased. Thank you for taking part."]
    async with sessions() as session:
        person = await session.scalar(select(Person).where(Person.display_name == "Ama M."))
        assert person is None
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert await count(Answer) == 0
        assert await count(FlowRun) == 0
        assert await count(Inquiry) == 0
        assert await count(Membership) == 1  # only the facilitator's
        assert await count(CheckIn) == 1  # anonymous: the week still counts as answered
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "person.forget"))
        assert audit is not None
    # The bot no longer knows them: they would have to join again.
    texts = await ama.send("/journey")
    assert "You are not in a circle yet" in texts[0]


async def test_an_old_erase_button_does_nothing(ama: Phone, clock: FakeClock, sessions) -> None:
    await ama.send("/forgetme")
    question = ama.last_with_buttons()
    clock.advance(timedelta(hours=2))
    await ama.tap("Yes, erase everything", question)
    assert ama.last_notice() == "This question is already closed."
    async with sessions() as session:
        assert await session.scalar(select(Person).where(Person.display_name == "Ama M."))
