"""A published practice as a reader sees it, in the current language (bot, digest, booklet).

Every text here goes through gettext in the language set with
:func:`circles.i18n.use_language`. A practice keeps the language it was written in: a
reader of another language gets a note naming that language and the original text
(the repository does not machine-translate teachers' words).
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from circles.i18n import N_, _, current_language, format_number, ngettext
from circles.models import GradeBand, Practice
from circles.services.repository import Found
from circles.services.summaries import STRATEGY_LABELS

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
)
#: Telegram's limit for one message is 4,096 characters; a card stays below it.
CARD_LIMIT = 3900


def language_in_reader(code: str) -> str:
    """``pt_BR`` as the reader calls it (Portuguese (Brazil), portugais (Brésil), …)."""
    try:
        return Locale.parse(code).get_display_name(current_language()) or code
    except (ValueError, UnknownLocaleError):
        return code


def country_name(code: str) -> str:
    """``GH`` in the reader's language."""
    try:
        return Locale.parse(current_language()).territories.get(code.upper(), code)
    except (ValueError, UnknownLocaleError):
        return code


def strategies(practice: Practice) -> list[str]:
    """The practice's strategy labels, its main strategy first."""
    tags = list(practice.tags or [])
    if practice.strategy is not None and practice.strategy.value not in tags:
        tags.insert(0, practice.strategy.value)
    return [_(STRATEGY_LABELS[t]) for t in tags if t in STRATEGY_LABELS]


def facts(practice: Practice) -> str:
    """Subject · stage · country."""
    parts = [
        practice.subject,
        _(GRADE_BAND_LABELS[practice.grade_band]) if practice.grade_band else practice.grade,
        country_name(practice.country),
    ]
    return " · ".join(p for p in parts if p)


def byline(found: Found) -> str:
    """Who wrote it, as the author chose."""
    if found.author_name:
        return _("By {name}, {circle}").format(name=found.author_name, circle=found.circle_name)
    return _("Shared anonymously from {circle}").format(circle=found.circle_name)


def adoption_line(found: Found) -> str | None:
    """ "Tried by 3 teachers · their ratings average 3.7 out of 5", or None if nobody yet."""
    if not found.adoptions:
        return None
    line = ngettext(
        "Tried by {count} teacher", "Tried by {count} teachers", found.adoptions
    ).format(count=format_number(found.adoptions))
    if found.adopter_rating is not None:
        line += " · " + _("their ratings average {rating} out of 5").format(
            rating=format_number(round(found.adopter_rating, 1))
        )
    return line


def language_note(practice: Practice) -> str | None:
    """A note when the practice is written in another language than the reader's."""
    if practice.language.split("_")[0] == current_language().split("_")[0]:
        return None
    return _("This practice was written in {language}; here is the original text.").format(
        language=language_in_reader(practice.language)
    )


def card(found: Found, *, full: bool) -> str:
    """The practice as one message: a short card for lists, or the whole text."""
    practice = found.practice
    lines = [f"“{practice.title}”"]
    labels = strategies(practice)
    if labels:
        lines.append(" · ".join(labels))
    lines.append(facts(practice))
    lines.append(byline(found))
    note = language_note(practice)
    if note:
        lines += ["", note]
    if practice.summary:
        lines += ["", practice.summary if full else _shorten(practice.summary, 300)]
    if full:
        content = practice.content or {}
        for key, label in SECTIONS:
            if content.get(key):
                # Translators: a heading followed by its text on the next line.
                lines += ["", _("{heading}:").format(heading=_(label)), str(content[key])]
        ratings = content.get("ratings") or []
        if ratings:
            trend = " → ".join(format_number(r) for r in ratings)
            lines += ["", _("Ratings over the pilot weeks: {trend}").format(trend=trend)]
    adoption = adoption_line(found)
    if adoption:
        lines += ["", adoption]
    return _shorten("\n".join(lines), CARD_LIMIT)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
