"""A published practice as a reader sees it (bot, digest, booklet), as lazy text.

Everything here is :mod:`circles.text`: rendered in the reader's language when it is
shown (a reply, a queued digest at send time, the booklet's language). A practice keeps
the language it was written in: a reader of another language gets a note naming that
language and the original text (the repository does not machine-translate teachers'
words).
"""

from __future__ import annotations

from circles.i18n import N_
from circles.models import GradeBand, Practice
from circles.services.repository import Found
from circles.services.summaries import STRATEGY_LABELS
from circles.text import (
    Country,
    Cut,
    Foreign,
    LanguageInReader,
    Part,
    Text,
    join,
    lines,
    number,
    quoted,
    t,
    tn,
)

GRADE_BAND_LABELS: dict[str, str] = {
    GradeBand.early_years: N_("Early years"),
    GradeBand.primary: N_("Primary"),
    GradeBand.lower_secondary: N_("Lower secondary"),
    GradeBand.upper_secondary: N_("Upper secondary"),
    GradeBand.adult: N_("Adult or vocational"),
}
SECTIONS: tuple[tuple[str, str], ...] = (
    ("steps", N_("Steps")),
    ("evidence", N_("Evidence of impact")),
    ("conditions", N_("Conditions and pitfalls")),
    ("lessons", N_("Lessons learnt")),
    ("materials", N_("Materials")),
)
#: Telegram's limit for one message is 4,096 characters; a card stays below it.
CARD_LIMIT = 3900


def country_name(code: str) -> Text:
    """``GH`` in the reader's language."""
    return Country(code.upper())


def strategies(practice: Practice) -> list[Text]:
    """The practice's strategy labels, its main strategy first."""
    tags = list(practice.tags or [])
    if practice.strategy is not None and practice.strategy.value not in tags:
        tags.insert(0, practice.strategy.value)
    return [t(STRATEGY_LABELS[tag]) for tag in tags if tag in STRATEGY_LABELS]


def facts(practice: Practice) -> Text:
    """Subject · stage · country."""
    parts: list[Part | None] = [
        practice.subject,
        t(GRADE_BAND_LABELS[practice.grade_band]) if practice.grade_band else practice.grade,
        country_name(practice.country) if practice.country else None,
    ]
    return join((p for p in parts if p), " · ")


def byline(found: Found) -> Text:
    """Who wrote it, as the author chose."""
    if found.author_name:
        return t("By {name}, {circle}", name=found.author_name, circle=found.circle_name)
    return t("Shared anonymously from {circle}", circle=found.circle_name)


def adoption_line(found: Found) -> Text | None:
    """ "Tried by 3 teachers · their ratings average 3.7 out of 5", or None if nobody yet."""
    if not found.adoptions:
        return None
    line: Text = tn(
        "Tried by {count} teacher",
        "Tried by {count} teachers",
        found.adoptions,
        count=number(found.adoptions),
    )
    if found.adopter_rating is not None:
        line += " · " + t(
            "their ratings average {rating} out of 5",
            rating=number(round(found.adopter_rating, 1)),
        )
    return line


def language_note(practice: Practice) -> Text:
    """A note for readers of another language than the practice's (nothing for its own)."""
    return Foreign(
        practice.language,
        t(
            "This practice was written in {language}; here is the original text.",
            language=LanguageInReader(practice.language),
        ),
    )


def card(found: Found, *, full: bool) -> Text:
    """The practice as one message: a short card for lists, or the whole text."""
    practice = found.practice
    head: list[Part] = [quoted(practice.title)]
    labels = strategies(practice)
    if labels:
        head.append(join(labels, " · "))
    head += [facts(practice), byline(found)]
    # Blocks after the head, each after a blank line; the language note only for
    # readers of another language (so its blank line goes with it).
    blocks: list[Part] = [Foreign(practice.language, lines("", "", language_note(practice)))]
    body: list[Part] = []
    if practice.summary:
        body += ["", practice.summary if full else Cut(practice.summary, 300)]
    if full:
        content = practice.content or {}
        for key, label in SECTIONS:
            if content.get(key):
                # Translators: a heading followed by its text on the next line.
                body += ["", t("{heading}:", heading=t(label)), str(content[key])]
        ratings = content.get("ratings") or []
        if ratings:
            trend = join((number(r) for r in ratings), " → ")
            body += ["", t("Ratings over the pilot weeks: {trend}", trend=trend)]
    adoption = adoption_line(found)
    if adoption:
        body += ["", adoption]
    if body:
        blocks.append(lines("", *body))
    return Cut(join([lines(*head), *blocks], ""), CARD_LIMIT)
