"""Text is translated for its reader when it is shown, and survives the outbox as JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import pytest

from bot.flows.buttons import OpenCheckIn, Pause
from bot.flows.events import Button, Notice, Photo, Say, dump, load_event
from circles.i18n import korean_particles, use_language
from circles.text import (
    Capitalized,
    Country,
    Cut,
    Day,
    Days,
    Foreign,
    LanguageInReader,
    LanguageName,
    Percent,
    TimeOfDay,
    Weekday,
    headline,
    lines,
    load,
    number,
    render,
    shorten,
    t,
    tn,
    when,
)


def test_a_message_is_translated_for_the_reader_not_when_it_is_built() -> None:
    with use_language("en"):  # the language current when it is built does not matter
        text = t("Welcome to {circle}! You joined as {role}.", circle="Recife", role=t("teacher"))
    assert render(text, "en") == "Welcome to Recife! You joined as teacher."
    french = render(text, "fr")
    assert french.startswith("Bienvenue dans Recife")
    with use_language("fr"):
        assert str(text) == french


def test_plural_forms_follow_the_number_in_the_readers_language() -> None:
    msgid = "Reminder sent to {count} teacher: {names}."
    plural = "Reminders sent to {count} teachers: {names}."
    one = tn(msgid, plural, 1, count=1, names="Ana")
    five = tn(msgid, plural, 5, count=5, names="Ana, Bia")
    assert render(one, "en") == "Reminder sent to 1 teacher: Ana."
    assert render(five, "en") == "Reminders sent to 5 teachers: Ana, Bia."
    assert render(one, "fr").startswith("Rappel envoyé à 1 ")
    assert render(five, "fr").startswith("Rappels envoyés à 5 ")


def test_numbers_and_dates_use_the_readers_locale_and_timezone() -> None:
    moment = datetime(2026, 9, 14, 19, 0, tzinfo=UTC)
    text = lines(number(1234.5), when(moment, "America/Recife"), Day(date(2026, 12, 28)))
    english = render(text, "en")
    german = render(text, "de")
    assert "1,234.5" in english and "4:00" in english  # Recife is UTC-3
    assert "1’234.5" in german or "1.234,5" in german or "1 234,5" in german
    assert english != german


def test_a_circles_week_rhythm_and_country_read_in_the_readers_locale() -> None:
    text = lines(
        Days(date(2026, 8, 24), date(2026, 8, 30)),
        Weekday(0),
        TimeOfDay(time(16, 0)),
        Country("BR"),
        Percent(0.8),
        Capitalized(t("pilot")),
    )
    assert render(text, "en").split("\n") == [
        "Aug 24\u2009–\u200930",
        "Monday",
        "4:00\u202fPM",
        "Brazil",
        "80%",
        "Pilot",
    ]
    portuguese = render(text, "pt_BR").split("\n")
    assert portuguese[0] == "24\u2009–\u200930 de ago."
    assert portuguese[1:4] == ["segunda-feira", "16:00", "Brasil"]
    again = load(json.loads(json.dumps(text.dump())))
    for language in ("en", "fr", "ko", "pt_BR"):
        assert render(again, language) == render(text, language)


def test_content_is_shown_as_it_is_and_parts_join_by_lines() -> None:
    text = lines(t("Your practices:"), "Exit tickets {not a placeholder}", None, "Wait time")
    assert render(text, "en") == "Your practices:\nExit tickets {not a placeholder}\nWait time"


def test_text_survives_json_and_renders_the_same() -> None:
    moment = datetime(2026, 9, 14, 19, 0, tzinfo=UTC)
    text = lines(
        t("Welcome to {circle}! You joined as {role}.", circle="Recife", role=t("teacher")),
        tn(
            "Reminder sent to {count} teacher: {names}.",
            "Reminders sent to {count} teachers: {names}.",
            3,
            count=number(3),
            names="A",
        ),
        when(moment, "Asia/Seoul"),
        Day(date(2026, 1, 2), "long"),
        LanguageName("pt_BR"),
        "plain",
    )
    again = load(json.loads(json.dumps(text.dump())))
    for language in ("en", "fr", "ko", "pt_BR"):
        assert render(again, language) == render(text, language)


def test_a_headline_is_cut_in_the_language_it_is_shown_in() -> None:
    welcome = t("Welcome to {circle}! You joined as {role}.", circle="Recife", role=t("teacher"))
    label = headline(lines(welcome, "second line"), 20)
    assert render(label, "en") == "Welcome to Recife!…"  # no space before the cut's mark
    french = render(label, "fr")
    assert len(french) <= 20 and french.endswith("…") and french.startswith("Bienvenue")
    assert render(headline("Short\nand more", 20), "en") == "Short"
    assert render(load(json.loads(json.dumps(label.dump()))), "fr") == french


def test_queued_events_keep_their_buttons_as_typed_actions() -> None:
    say = Say(
        t("Your check-in is open."),
        ((Button(t("Open"), OpenCheckIn(7, "open")), Button("14", Pause(14))),),
        separate=True,
    )
    back = load_event(json.loads(json.dumps(dump(say))))
    assert isinstance(back, Say)
    assert back.buttons[0][0].action == OpenCheckIn(7, "open")
    assert back.buttons[0][1].action == Pause(14)
    assert back.separate
    assert render(back.text, "fr") == render(say.text, "fr")
    photo = load_event(dump(Photo("file-1", t("Your photo"))))
    assert isinstance(photo, Photo) and photo.file_id == "file-1"
    assert isinstance(load_event(dump(Notice("x"))), Notice)


def test_what_is_not_text_is_refused() -> None:
    with pytest.raises(TypeError):
        t("{x}", x=object()).dump()  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        load({"nothing": 1})


def test_a_note_about_another_language_names_it_for_the_reader_and_skips_its_own() -> None:
    note = lines("“Exit tickets”", Foreign("pt_BR", LanguageInReader("pt_BR")), Cut("x" * 30, 10))
    assert render(note, "en") == "“Exit tickets”\nPortuguese (Brazil)\nxxxxxxxxx…"
    assert render(note, "fr").split("\n")[1] == "portugais (Brésil)"
    assert render(note, "pt").split("\n")[1] == ""  # a reader of Portuguese needs no note
    assert render(LanguageInReader("xx-not-a-language"), "en") == "xx-not-a-language"
    again = load(json.loads(json.dumps(note.dump())))
    for language in ("en", "fr", "pt_BR"):
        assert render(again, language) == render(note, language)


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("Exit tickets every Friday", "Exit tickets ev…"),
        ("Exit tickets... every Friday", "Exit tickets…"),
        ("Exit tickets … on Friday", "Exit tickets…"),
        ("Exit tickets", "Exit tickets"),
    ],
)
def test_a_cut_title_ends_with_one_ellipsis(title: str, shown: str) -> None:
    assert shorten(title, 16) == shown
    assert render(Cut(title, 16), "en") == shown


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("수업", "‘수업’을 검토했어요"),  # ends in a consonant
        ("퀴즈", "‘퀴즈’를 검토했어요"),  # ends in a vowel
        ("Exit tickets", "‘Exit tickets’를 검토했어요"),
        ("Hinge questions 2", "‘Hinge questions 2’를 검토했어요"),  # "이": a vowel
    ],
)
def test_korean_particles_are_chosen_for_the_word_put_before_them(word, expected) -> None:
    assert korean_particles(f"‘{word}’을(를) 검토했어요") == expected


def test_a_korean_message_reads_the_particle_of_its_word() -> None:
    note = t(
        "This practice was written in {language}; here is the original text.",
        language=LanguageInReader("en"),
    )
    assert render(note, "ko") == "이 수업 실천은 영어로 작성되었어요. 원문 그대로 보여 드려요."
    assert korean_particles("GH은(는) 두 글자") == "GH는 두 글자"
    assert korean_particles("2026-W37은(는)") == "2026-W37은"
    assert korean_particles("회의(으)로, 교실(으)로, 서울(으)로") == "회의로, 교실로, 서울로"
    assert korean_particles("숲(으)로") == "숲으로"
