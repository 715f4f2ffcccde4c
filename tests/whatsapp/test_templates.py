"""Outside WhatsApp's 24-hour window every message the bot starts goes as an approved template.

The repository's catalog covers every such message in every language and keeps Meta's
rules (the suite fails when a new kind of message has no template); ``check`` names each
defect; ``sync`` creates what Meta lacks and reports Meta's review; ``for_purpose`` turns
a queued message into its template, its one-line parameters and its quick replies.
"""

from __future__ import annotations

import ast
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from support.fakegraph_templates import FakeGraphTemplates, Verdict
from support.people import add_person
from support.places import add_circle
from typer.testing import CliRunner

from bot.flows import announcements, invitations, nudge, queued
from bot.flows.buttons import (
    AdoptPractice,
    FacilitatorCommand,
    OpenCheckIn,
    ReadPractice,
    Rsvp,
    StopDigest,
    decode,
)
from bot.flows.definition import library
from bot.flows.events import Button, Say
from bot.handlers.whatsapp import template_purposes, templates
from bot.handlers.whatsapp.template_sync import SyncError, sync_templates
from bot.handlers.whatsapp.templates import (
    BODY_LIMIT,
    NoTemplate,
    check,
    flatten,
    for_purpose,
    load_catalog,
)
from circles.db import SessionMaker, transaction
from circles.models import Consent, Membership, Outbox, Person, Role, RsvpResponse
from circles.services import meetings, outbox
from circles.services.summaries import RosterLine
from circles.settings import SUPPORTED_LANGUAGES
from circles.text import lines, render, t
from circles_cli.main import app

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)


def _payloads(filled: templates.Filled) -> list[object]:
    return [decode(payload) for payload in filled.payloads]


def _one_line(values: tuple[str, ...]) -> bool:
    return all(v and "\n" not in v and "\t" not in v and "     " not in v for v in values)


# --- the repository's catalog ----------------------------------------------------------


def test_every_message_the_bot_starts_has_a_template_in_every_language() -> None:
    assert check() == []
    found = load_catalog()
    assert set(found.params) == {p.name for p in template_purposes.PURPOSES}
    assert len(found.templates) == len(found.params) * len(SUPPORTED_LANGUAGES)


def _built_keys() -> list[tuple[str, re.Pattern[str]]]:
    """Every outbox key the product builds (an f-string like ``f"checkin-{id}-open"`` in a
    module that queues messages), as a pattern its keys match."""
    found = []
    for folder in ("circles", "bot/flows", "scheduler"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            if not re.search(r"\b(outbox|queued)\b", source) or path.name in (
                "outbox.py",
                "queued.py",
            ):
                continue
            for node in ast.walk(ast.parse(source)):
                if not isinstance(node, ast.JoinedStr) or not node.values:
                    continue
                head = node.values[0]
                if not (
                    isinstance(head, ast.Constant)
                    and re.fullmatch(r"[a-z]+(-[a-z]+)*-", str(head.value))
                ):
                    continue
                pattern = "".join(
                    re.escape(part.value) if isinstance(part, ast.Constant) else ".+"
                    for part in node.values
                )
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", re.compile(pattern)))
    return found


#: Keys of messages to a group (Telegram's only) and what they look like.
GROUP_EXAMPLES = ("meeting-3-new-1790000000-group", "meeting-3-24h-1790000000-group")
#: Keys of messages that never go as a template: the one-time code that links a second
#: app is queued only while the person's WhatsApp window is open (bot/flows/linking.py);
#: its keys, and the prefix that ends an attempt's (circles/services/links.py).
WITHOUT_TEMPLATE = ("link-3-1790000000", "link-3-")


def test_every_key_the_code_builds_is_a_purpose_with_a_template() -> None:
    built = _built_keys()
    assert len(built) >= 8  # invitations, nudges, meetings, reviews, shares, broadcasts, …
    examples = [p.example for p in template_purposes.PURPOSES]
    examples += [*GROUP_EXAMPLES, *WITHOUT_TEMPLATE]
    for where, pattern in built:
        assert any(pattern.fullmatch(example) for example in examples), (
            f"{where}: messages keyed {pattern.pattern!r} have no template: add its purpose "
            "to bot/handlers/whatsapp/template_purposes.py and its templates/<name>.toml"
        )
    for purpose in template_purposes.PURPOSES:
        assert purpose.key.fullmatch(purpose.example), purpose.name
        assert any(p.fullmatch(purpose.example) for _w, p in built), (
            f"{purpose.name}: no code builds keys like {purpose.example!r}"
        )
    for example in GROUP_EXAMPLES:
        assert template_purposes.GROUP_KEY.fullmatch(example)


# --- check, on catalogs with one defect each -------------------------------------------


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    """A copy of the repository's templates to break."""
    target = tmp_path / "templates"
    shutil.copytree(templates.TEMPLATES_DIR, target)
    return target


def _edit(directory: Path, name: str, old: str, new: str, count: int = 1) -> None:
    path = directory / f"{name}.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, (name, old)
    path.write_text(text.replace(old, new, count), encoding="utf-8")


MEETING_EN = "Your learning circle has planned a new meeting: {{1}}"
CHANGES_EN = "Your facilitator asks for some changes: {{2}}"

DEFECTS = {
    "a language missing": (
        lambda d: _edit(d, "meeting_new", "[languages.ko]", "[languages.xx]"),
        ["meeting_new: no ko version", "meeting_new (xx): not a supported language"],
    ),
    "a template missing": (
        lambda d: (d / "broadcast.toml").unlink(),
        ["broadcast: no template file templates/broadcast.toml"],
    ),
    "a template nobody uses": (
        lambda d: (
            shutil.copy(d / "broadcast.toml", d / "party.toml"),
            _edit(d, "party", 'name = "broadcast"', 'name = "party"'),
        ),
        ["party: no business-initiated message uses it"],
    ),
    "a file named otherwise": (
        lambda d: _edit(d, "broadcast", 'name = "broadcast"', 'name = "news"'),
        ["broadcast.toml: name is 'news', expected 'broadcast'"],
    ),
    "not TOML": (
        lambda d: _edit(d, "broadcast", "[languages.en]", "[languages.en"),
        ["broadcast.toml: not valid TOML"],
    ),
    "other parameters than the message gives": (
        lambda d: _edit(d, "meeting_new", 'params = ["meeting"]', 'params = ["when"]'),
        ["meeting_new: params are ['when'], the message gives ['meeting']"],
    ),
    "a parameter too many": (
        lambda d: _edit(d, "meeting_new", MEETING_EN, MEETING_EN + " at {{2}} o'clock"),
        ["meeting_new (en): the body has parameters {{1}} {{2}}, expected {{1}}"],
    ),
    "a parameter not written {{n}}": (
        lambda d: _edit(d, "meeting_new", MEETING_EN, MEETING_EN + " {{ 2 }}"),
        ["meeting_new (en): a parameter is not written {{n}}"],
    ),
    "a parameter at the start": (
        lambda d: _edit(d, "facilitator_nudge", '"Hello! {{1}}', '"{{1}}'),
        ["facilitator_nudge (en): a parameter starts or ends the body"],
    ),
    "a parameter at the end": (
        lambda d: _edit(
            d,
            "broadcast",
            "{{1}}\\n\\nYou receive this message as a member of a learning circle.",
            "{{1}}",
        ),
        ["broadcast (en): a parameter starts or ends the body"],
    ),
    "two parameters side by side": (
        lambda d: (
            _edit(d, "review_changes", "“{{1}}” was", "“{{1}} {{2}}” was"),
            _edit(d, "review_changes", CHANGES_EN, "Your facilitator asks for some changes."),
        ),
        ["review_changes (en): two parameters are next to each other"],
    ),
    "a body too long": (
        lambda d: _edit(
            d, "broadcast", "You receive this", "You receive " + "very " * 200 + "this"
        ),
        ["broadcast (en): the body has 1", f"over {BODY_LIMIT}"],
    ),
    "three line breaks": (
        lambda d: _edit(d, "meeting_new", "{{1}}\\n\\nWill", "{{1}}\\n\\n\\nWill"),
        ["meeting_new (en): more than two line breaks in a row"],
    ),
    "a button too long": (
        lambda d: _edit(
            d, "reflection_invitation", '"Start my reflection"', '"Start my reflection now"'
        ),
        ["reflection_invitation (en): button 'Start my reflection now' has 23 characters"],
    ),
    "a button missing": (
        lambda d: _edit(d, "meeting_new", '["Yes", "Maybe", "No"]', '["Yes", "No"]'),
        ["meeting_new (en): 2 button(s), the message has 3"],
    ),
    "four buttons": (
        lambda d: _edit(
            d, "meeting_new", '["Yes", "Maybe", "No"]', '["Yes", "Maybe", "No", "Later"]'
        ),
        ["meeting_new (en): more than 3 buttons"],
    ),
    "two buttons alike": (
        lambda d: _edit(d, "meeting_new", '["Yes", "Maybe", "No"]', '["Yes", "Yes", "No"]'),
        ["meeting_new (en): two buttons have the same text"],
    ),
    "a sample missing": (
        lambda d: _edit(
            d, "review_changes", 'examples = ["Exit tickets in grade 5 maths", ', "examples = ["
        ),
        ["review_changes (en): 1 example(s) for 2 parameter(s)"],
    ),
    "a sample on two lines": (
        lambda d: _edit(d, "broadcast", "The regional exchange", "The regional\\nexchange"),
        ["broadcast (en): example"],
    ),
    "not a utility template": (
        lambda d: _edit(d, "broadcast", 'category = "utility"', 'category = "marketing"'),
        ["broadcast (en): category is 'marketing', expected 'utility'"],
    ),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_check_names_each_defect(catalog_dir: Path, defect: str) -> None:
    make, expected = DEFECTS[defect]
    make(catalog_dir)
    problems = check(load_catalog(catalog_dir))
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (fragment, problems)


def test_the_command_line_check_fails_with_each_problem(
    catalog_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["whatsapp", "templates", "check"])
    assert result.exit_code == 0, result.output
    assert "All 34 templates are complete in 272 language versions" in result.output

    _edit(catalog_dir, "meeting_new", "[languages.ko]", "[languages.xx]")
    monkeypatch.setattr(templates, "TEMPLATES_DIR", catalog_dir)
    result = runner.invoke(app, ["whatsapp", "templates", "check"])
    assert result.exit_code == 1
    assert "meeting_new: no ko version" in result.output
    assert "2 problem(s) found." in result.output


# --- for_purpose: the template that stands for a queued message --------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_weekly_invitation_opens_the_checkin_at_its_first_question(language: str) -> None:
    event = invitations.invitation(library().latest("pilot"), 7)
    filled = for_purpose("checkin-7-open", queued.payload(event), language)
    assert filled is not None
    assert (filled.name, filled.language, filled.complete) == (
        "checkin_invitation",
        language,
        True,
    )
    # The first question as the teacher reads it in their language (the intro left out).
    question = render(t(library().latest("pilot").steps[0].prompt), language)
    assert filled.params == (flatten(question),)
    assert render(event.text, language).endswith(question)
    assert _payloads(filled) == [OpenCheckIn(7)]
    message = filled.template()
    assert message["name"] == "checkin_invitation"
    assert message["language"] == {"code": language}
    assert message["components"][1] == {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "0",
        "parameters": [{"type": "payload", "payload": "o:7:"}],
    }


def _roster_line(status: str, checkin_id: int | None) -> RosterLine:
    return RosterLine(
        person_id=1,
        name="Ama Mensah",
        language="pt_BR",
        timezone="America/Sao_Paulo",
        send_to=None,
        reachable=True,
        paused=False,
        phase=None,
        status=status,
        checkin_id=checkin_id,
    )


@pytest.mark.parametrize("language", ["pt_BR", "de"])
def test_a_facilitators_nudge_names_the_facilitator_and_opens_the_checkin(language: str) -> None:
    grace = Person(display_name="Grace Owusu")
    event = nudge.reminder(_roster_line("open", 12), grace)
    filled = for_purpose("nudge-2026-09-14", queued.payload(event), language)
    assert filled is not None
    assert (filled.name, filled.params) == ("facilitator_nudge", ("Grace Owusu",))
    assert _payloads(filled) == [OpenCheckIn(12)]
    assert filled.text().startswith(
        {"pt_BR": "Olá! Grace Owusu, do seu círculo", "de": "Guten Tag! Grace Owusu aus"}[language]
    )

    # A check-in not opened yet has no button: the template says to send /checkin.
    event = nudge.reminder(_roster_line("not_opened", None), grace)
    filled = for_purpose("nudge-2026-09-14", queued.payload(event), language)
    assert filled is not None
    assert (filled.name, filled.params, filled.payloads) == (
        "facilitator_nudge_start",
        ("Grace Owusu",),
        (),
    )
    template = load_catalog().get("facilitator_nudge_start", language)
    assert template is not None and "/checkin" in template.body


async def test_a_meeting_reminder_tells_when_and_where_in_the_readers_language(
    sessions: SessionMaker,
) -> None:
    starts = NOW + timedelta(hours=23)
    async with transaction(sessions) as session:
        circle = await add_circle(
            session, "Recife 1", country="BR", timezone="America/Recife", now=NOW
        )
        ana = await add_person(
            session,
            telegram=7001,
            display_name="Ana",
            language="pt_BR",
            timezone="America/Recife",
            consent=Consent.given,
            created_at=NOW,
        )
        session.add(Membership(person_id=ana.id, circle_id=circle.id, role=Role.teacher))
        meeting = await meetings.schedule_meeting(
            session,
            circle=circle,
            starts_at=starts,
            place="Biblioteca da escola",
            agenda="Feedback\nentre pares",
            created_by=None,
            now=NOW - timedelta(days=3),
        )
        assert await announcements.send_reminders(session, now=NOW) == 1
    async with sessions() as session:
        row = await session.scalar(select(Outbox).where(Outbox.idempotency_key.like("%-24h-%")))
    assert row is not None
    for language, place in (("pt_BR", "Local: Biblioteca da escola"), ("en", "Place:")):
        filled = for_purpose(row.idempotency_key, row.payload, language)
        assert filled is not None
        assert (filled.name, filled.payloads) == ("meeting_reminder_day", ())
        [when_and_where] = filled.params
        assert _one_line(filled.params)
        assert place in when_and_where
        assert "Feedback · entre pares" in when_and_where
        assert (
            render(announcements.describe(meeting, "America/Recife"), language).split("\n")[0]
            in when_and_where
        )


def test_a_new_meeting_carries_the_rsvp_as_quick_replies() -> None:
    payload = outbox.say(t("New circle meeting: {when}.", when="Thu, Sep 17, 4:30 PM"))
    filled = for_purpose("meeting-3-new-1790000000", payload, "es")
    assert filled is not None and filled.name == "meeting_new"
    assert _payloads(filled) == [
        Rsvp(3, RsvpResponse.yes),
        Rsvp(3, RsvpResponse.maybe),
        Rsvp(3, RsvpResponse.no),
    ]
    assert for_purpose("meeting-3-new-1790000000-group", payload, "es") is None


def test_a_facilitators_reply_goes_with_their_name_and_words() -> None:
    words = "Try the exit ticket in pairs.\nI can visit on Thursday."
    payload = outbox.say(
        lines(t("Your facilitator {name} replied:", name="Grace Owusu"), "", words)
    )
    filled = for_purpose("reply-9-1", payload, "fr")
    assert filled is not None and filled.name == "facilitator_reply"
    assert filled.params == (
        "Grace Owusu",
        "Try the exit ticket in pairs. I can visit on Thursday.",
    )
    assert filled.complete


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_broadcast_goes_whole_or_its_beginning_with_the_rest_later(language: str) -> None:
    filled = for_purpose(
        "broadcast-4", outbox.say("Hub meeting on Friday.\nBring a photo."), language
    )
    assert filled is not None
    assert (filled.name, filled.params, filled.complete) == (
        "broadcast",
        ("Hub meeting on Friday. Bring a photo.",),
        True,
    )

    long = "\n\n".join(f"Paragraph {n}: " + "words " * 40 for n in range(12))
    filled = for_purpose("broadcast-4", outbox.say(long), language)
    assert filled is not None
    assert (filled.name, filled.complete) == ("broadcast_long", False)
    template = load_catalog().get("broadcast_long", language)
    assert template is not None
    [beginning] = filled.params
    assert _one_line(filled.params) and beginning.endswith("…")
    assert beginning.startswith("Paragraph 0: words")
    assert template.fixed_length() + len(beginning) <= BODY_LIMIT

    # A file cannot go in a text template: its caption now, the file when they write.
    filled = for_purpose("broadcast-4", outbox.media("F1", "document", "The agenda"), language)
    assert filled is not None
    assert (filled.name, filled.params, filled.complete) == (
        "broadcast_long",
        ("The agenda",),
        False,
    )


def test_a_review_says_the_title_and_the_comment_on_one_line() -> None:
    approved = outbox.say(
        t(
            "Good news: your practice “{title}” was reviewed and is now published in the "
            "evidence repository. Thank you for sharing it!",
            title="Ampelkarten",
        )
    )
    filled = for_purpose("practice-review-5-1", approved, "de")
    assert filled is not None and (filled.name, filled.params) == (
        "review_published",
        ("Ampelkarten",),
    )

    changes = outbox.say(
        lines(
            t(
                "Your practice “{title}” was reviewed. Your facilitator asks for some changes:",
                title="Ampelkarten",
            ),
            "",
            "Bitte kürzer.\n\n- Schritte nummerieren\n- Ein Foto",
        )
    )
    filled = for_purpose("practice-review-5-2", changes, "de")
    assert filled is not None
    assert (filled.name, filled.params) == (
        "review_changes",
        ("Ampelkarten", "Bitte kürzer. - Schritte nummerieren · - Ein Foto"),
    )


def test_the_practice_digest_offers_to_read_try_or_stop() -> None:
    card = lines("“Exit tickets”", "Feedback", "Maths, grade 5", "", "A long summary…")
    event = Say(
        lines(t("A practice from another circle, for you to read and maybe try:"), "", card),
        (
            (Button(t("I'll try this"), AdoptPractice(5)),),
            (Button(t("Stop these messages"), StopDigest()),),
        ),
    )
    filled = for_purpose("practice-share-2-5", queued.payload(event), "ms")
    assert filled is not None
    assert filled.params == ("“Exit tickets” · Feedback · Maths, grade 5",)
    assert _payloads(filled) == [ReadPractice(5), AdoptPractice(5), StopDigest()]


def test_the_facilitators_digest_is_cut_and_offers_the_full_summary() -> None:
    event = Say(
        lines(
            t("Your weekly digest"),
            "Accra 1 · week 37",
            *[
                f"Teacher {n}: a long blocker about the projector and the timetable"
                for n in range(40)
            ],
        ),
        ((Button(t("Who has answered"), FacilitatorCommand("who")),),),
    )
    filled = for_purpose("digest-2026-37-0", queued.payload(event), "it")
    assert filled is not None
    week, digest = filled.params
    assert week == "Accra 1 · week 37"  # the short parameter stays whole
    assert digest.startswith("Teacher 0:") and digest.endswith("…")
    assert _payloads(filled) == [FacilitatorCommand("summary"), FacilitatorCommand("who")]


def test_a_message_without_a_purpose_is_refused_loudly_and_old_rows_wait() -> None:
    with pytest.raises(NoTemplate):
        for_purpose("party-1", outbox.say("Hello"), "en")
    assert for_purpose("checkin-1-open", outbox.message_payload("Old text"), "en") is None


# --- sync: Meta's copy of the catalog ---------------------------------------------------


@pytest.fixture
def graph():
    with FakeGraphTemplates(page_size=25) as fake:
        yield fake


async def _sync(graph: FakeGraphTemplates, token: str | None = None):
    return await sync_templates(
        load_catalog(),
        api_url=graph.base_url,
        account_id=graph.account_id,
        token=token or graph.token,
    )


async def test_sync_creates_every_missing_template_for_review(graph: FakeGraphTemplates) -> None:
    reviewed = await _sync(graph)
    assert len(graph.created) == 272 == len(reviewed)
    assert all(one.created and one.status == "pending" for one in reviewed)
    created = {(c["name"], c["language"]): c for c in graph.created}
    nudge_fr = created[("facilitator_nudge", "fr")]
    assert nudge_fr["category"] == "UTILITY"
    body, buttons = nudge_fr["components"]
    assert "{{1}}" in body["text"] and body["example"] == {"body_text": [["Aya Kouassi"]]}
    assert buttons == {
        "type": "BUTTONS",
        "buttons": [{"type": "QUICK_REPLY", "text": "Ouvrir mon point"}],
    }


async def test_sync_reports_each_templates_review_and_creates_only_the_missing(
    graph: FakeGraphTemplates,
) -> None:
    found = load_catalog()
    for (name, language), template in found.templates.items():
        if (name, language) == ("broadcast", "ko") or name == "meeting_cancelled":
            continue
        graph.add(name, language, body=template.body)
    graph.templates[0]["status"] = "PAUSED"
    graph.templates[1].update(status="REJECTED", rejected_reason="INVALID_FORMAT")
    graph.templates[2]["components"][0]["text"] = "An older text"
    graph.verdicts["meeting_cancelled"] = Verdict("REJECTED", "TAG_CONTENT_MISMATCH")
    reviewed = await _sync(graph)
    lines_ = {one.line() for one in reviewed}
    first, second, third = graph.templates[:3]
    assert f"{first['name']} ({first['language']}): paused" in lines_
    assert f"{second['name']} ({second['language']}): rejected: INVALID_FORMAT" in lines_
    assert (
        f"{third['name']} ({third['language']}): approved (differs from the repository: "
        "give the new text a new name)"
    ) in lines_
    assert "broadcast (ko): pending (created now)" in lines_
    assert "meeting_cancelled (de): rejected: TAG_CONTENT_MISMATCH (created now)" in lines_
    assert sorted((c["name"], c["language"]) for c in graph.created) == sorted(
        [("broadcast", "ko")] + [("meeting_cancelled", lang) for lang in SUPPORTED_LANGUAGES]
    )


async def test_sync_sends_nothing_when_meta_has_every_template(graph: FakeGraphTemplates) -> None:
    for (name, language), template in load_catalog().templates.items():
        graph.add(name, language, body=template.body)
    reviewed = await _sync(graph)
    assert [m for m, _path in graph.requests] == ["GET"] * 11  # 272 templates, 25 a page
    assert graph.created == []
    assert {one.status for one in reviewed} == {"approved"}


async def test_sync_with_a_wrong_token_stops_with_metas_reason(graph: FakeGraphTemplates) -> None:
    with pytest.raises(SyncError, match="code 190") as raised:
        await _sync(graph, token="wrong-token")
    assert "wrong-token" not in str(raised.value)
    assert graph.created == []


def test_the_command_line_sync_prints_each_status(
    graph: FakeGraphTemplates, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["whatsapp", "templates", "sync"])
    assert result.exit_code == 2
    assert "set CIRCLES_WHATSAPP_TOKEN and CIRCLES_WHATSAPP_BUSINESS_ACCOUNT_ID" in result.output

    monkeypatch.setenv("CIRCLES_WHATSAPP_TOKEN", graph.token)
    monkeypatch.setenv("CIRCLES_WHATSAPP_BUSINESS_ACCOUNT_ID", graph.account_id)
    monkeypatch.setenv("CIRCLES_WHATSAPP_API_URL", graph.base_url)
    # A deployment with a token has its number and webhook secrets too (settings insist).
    monkeypatch.setenv("CIRCLES_WHATSAPP_PHONE_NUMBER_ID", "106540352242922")
    monkeypatch.setenv("CIRCLES_WHATSAPP_APP_SECRET", "app-secret")
    monkeypatch.setenv("CIRCLES_WHATSAPP_VERIFY_TOKEN", "verify-token")
    graph.verdicts["broadcast"] = Verdict("APPROVED")
    result = runner.invoke(app, ["whatsapp", "templates", "sync"])
    assert result.exit_code == 0, result.output
    assert "broadcast (pt_BR): approved (created now)" in result.output
    assert "checkin_invitation (ko): pending (created now)" in result.output
    assert "272 template(s) created, 272 in the repository." in result.output
    assert graph.token not in result.output

    result = runner.invoke(app, ["whatsapp", "templates", "sync"])
    assert result.exit_code == 0
    assert "0 template(s) created" in result.output


def test_a_parameter_is_one_line_and_is_cut_only_at_a_word_with_a_mark() -> None:
    assert flatten("Reminder:\n\nThursday\t 16:00\nPlace: Library\n- bring a photo") == (
        "Reminder: Thursday 16:00 · Place: Library · - bring a photo"
    )
    assert flatten("\n \n") == "…"  # Meta refuses an empty parameter
    assert templates.shorten("one two three four", 12) == "one two…"
    params, whole = templates.fit(["Grace Owusu", "word " * 100], 120)
    assert params[0] == "Grace Owusu" and len("".join(params)) <= 120 and not whole
