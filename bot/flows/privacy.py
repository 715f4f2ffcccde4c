"""A person's data: ``/mydata`` (a file with all of it) and ``/forgetme`` (erase it).

Both work for everyone the bot holds data about, consent or not: the confirmation of
``/forgetme`` is a button taken before consent (see :mod:`bot.flows.actions`).
"""

from __future__ import annotations

import json
from datetime import timedelta

from bot.flows.actions import Pressed, closed, on
from bot.flows.buttons import ForgetConfirm, KeepData
from bot.flows.engine import Outcome
from bot.flows.events import Button, Done, File, Say
from bot.flows.visit import Replies, Visit
from circles.services.privacy import export_person_data, forget_person
from circles.text import t

#: How long a "yes, erase everything" button stays valid.
FORGET_CONFIRM_WINDOW = timedelta(minutes=30)
ERASE = t("Yes, erase everything")
KEEP = t("No, keep my data")
_NO_DATA = t("I have no data about you.")


async def mydata(visit: Visit) -> Replies:
    """A JSON file with everything stored about the person."""
    person = visit.member
    if person is None:
        return [Say(_NO_DATA)]
    data = await export_person_data(
        visit.session, person=person, media_dir=visit.settings.media_dir
    )
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return [
        File(
            "my-learning-circles-data.json",
            content,
            caption=t("Here is everything I store about you."),
        )
    ]


async def forgetme(visit: Visit) -> Replies:
    """Ask to confirm erasure."""
    now = visit.now
    if visit.member is None:
        return [Say(_NO_DATA)]
    text = t(
        "This erases your name, your answers, photos, voice notes and reflections, and "
        "removes you from your circle. It cannot be undone. Anonymous counts (how many "
        "check-ins were answered) stay. Erase everything?"
    )
    rows = (
        (Button(ERASE, ForgetConfirm(int(now.timestamp()))),),
        (Button(KEEP, KeepData()),),
    )
    return [Say(text, rows)]


@on(ForgetConfirm, before_consent=True)
async def erase(pressed: Pressed, action: ForgetConfirm) -> Outcome:
    """Erase the person, if they confirm within the window."""
    now = pressed.now
    # Compared as seconds: a forged stamp far from now is no date at all.
    if not 0 <= int(now.timestamp()) - action.stamp <= FORGET_CONFIRM_WINDOW.total_seconds():
        return closed()
    await forget_person(
        pressed.session, person=pressed.person, now=now, media_dir=pressed.visit.settings.media_dir
    )
    return Outcome(
        [Done(ERASE), Say(t("Everything about you is erased. Thank you for taking part."))]
    )


@on(KeepData, before_consent=True)
async def keep(pressed: Pressed, action: KeepData) -> Outcome:
    """Erase nothing."""
    return Outcome([Done(KEEP), Say(t("Nothing was erased."))])
