"""The question keys that code names: every ``Answer.question_key`` read or written outside
the flow files is a member of :class:`Question`, declared here once.

A flow file may ask questions nobody reads by name (the answers API and the exports show
every answer); but once a service, an effect or the demo names a key, it is declared here
with what its readers take from the answer (:class:`Holds`). ``circles flows check``
refuses flow definitions where a declared key is asked by no live (latest) flow version,
or is asked, in any version, with an answer type that does not give what it holds.
"""

from __future__ import annotations

from enum import StrEnum


class Holds(StrEnum):
    """The part of an :class:`~circles.models.Answer` that readers of a key take."""

    text = "text"  # value_text, or a voice note, photo or document (with its caption)
    choice = "choice"  # value_choice: one value of a choice or yes/no step
    choices = "choices"  # value_text: the chosen values of a multi-choice step, comma-separated
    number = "number"  # value_number: a scale (1–5) or a typed number


class Question(StrEnum):
    """A question key named in code, with what its answers hold."""

    holds: Holds

    def __new__(cls, key: str, holds: Holds) -> Question:
        member = str.__new__(cls, key)
        member._value_ = key
        member.holds = holds
        return member

    # --- identify: the teacher's challenge and the practice to try ---------------------
    challenge = "challenge", Holds.text
    """identify: the classroom challenge the teacher sees (written by the demo)."""
    affected = "affected", Holds.text
    """identify: which students the challenge affects (written by the demo)."""
    baseline = "baseline", Holds.text
    """identify (v2): what students do now, text or a photo; becomes the inquiry's baseline,
    recalled when the teacher rates a pilot week."""
    success = "success", Holds.text
    """identify (v2): what students' work will show when it works; becomes the inquiry's
    success evidence, recalled when the teacher rates a pilot week."""
    strategy = "strategy", Holds.choice
    """identify: the formative assessment strategy chosen ("explain" shows what each one
    means and asks again); becomes the inquiry's strategy. codify (v3): the practice's
    strategy, prefilled with the inquiry's."""
    practice = "practice", Holds.text
    """identify: the practice the teacher will try; becomes the inquiry's practice."""
    readiness = "readiness", Holds.number
    """identify: how ready the teacher feels to try it, 1–5 (written by the demo)."""

    # --- pilot: one week of trying the practice ------------------------------------------
    tried = "tried", Holds.choice
    """pilot: whether the practice was tried this week (yes / partly / no); summaries."""
    why_not = "why_not", Holds.text
    """pilot: what got in the way; a blocker in the summaries."""
    what_did = "what_did", Holds.text
    """pilot: what the teacher did (written by the demo)."""
    evidence = "evidence", Holds.text
    """identify, pilot, codify, revise (v2): evidence of learning, as text or a photo or
    document; the summaries show the captions of photos, codify keeps the photo with the
    practice, and a revision's photo is added to the practice's evidence."""
    how_well = "how_well", Holds.number
    """pilot: how well the practice worked this week, 1–5; the rating of the summaries,
    dashboard, repository and the teacher's trend."""
    adjust = "adjust", Holds.text
    """pilot: what the teacher will adjust next time; recalled by the next week's first
    question (v2)."""
    help = "help", Holds.text
    """pilot: what the circle could help with; a blocker in the summaries."""

    # --- codify: the practice written down for the repository ---------------------------
    name = "name", Holds.text
    """codify: the practice's short name (its title)."""
    summary = "summary", Holds.text
    """codify (v2): the practice in one or two sentences."""
    subject = "subject", Holds.text
    """codify: the subject the practice was used in."""
    grade = "grade", Holds.text
    """codify: the grade or age group, in the teacher's words."""
    grade_band = "grade_band", Holds.choice
    """codify (v2): the stage of schooling, a :class:`~circles.models.GradeBand` value."""
    class_size = "class_size", Holds.number
    """codify: how many students were in the class."""
    more_strategies = "more_strategies", Holds.choices
    """codify (v2): further :class:`~circles.models.Strategy` values, the practice's tags."""
    steps = "steps", Holds.text
    """codify: the steps another teacher should follow."""
    conditions = "conditions", Holds.text
    """codify: where the practice works, and its pitfalls."""
    lessons = "lessons", Holds.text
    """codify: the lessons learnt along the way."""
    materials = "materials", Holds.text
    """codify (v3): what materials another teacher needs (kept in the practice's content)."""
    share_scope = "share_scope", Holds.choice
    """codify, revise: who may see the practice, a :class:`~circles.models.ShareScope` value."""
    show_name = "show_name", Holds.choice
    """codify, revise: whether the author's name is shown (yes / no)."""

    last_look = "last_look", Holds.choice
    """codify (v3): after the whole practice is shown, send it for review or change a part."""
    part_to_change = "part_to_change", Holds.choice
    """codify (v3): which part to change after the last look (a step key of codify)."""

    # --- revise: one part of a practice sent back for changes --------------------------
    part = "part", Holds.choice
    """revise: which part of the practice the author changes."""
    title = "title", Holds.text
    """revise: the practice's new name."""
    text = "text", Holds.text
    """revise: the new text of the part; broadcast: the announcement."""

    # --- reflection, skip, review comment ------------------------------------------------
    learnt = "learnt", Holds.text
    """reflection: what the member learnt in the meeting."""
    will_change = "will_change", Holds.text
    """reflection: what the member will change in their classroom."""
    one_word = "one_word", Holds.text
    """reflection: one word for how the meeting went."""
    visibility = "visibility", Holds.choice
    """reflection: who may read it, a :class:`~circles.models.Visibility` value."""
    reason = "reason", Holds.text
    """skip: why the teacher skips this week's check-in."""
    comment = "comment", Holds.text
    """review_comment: what a facilitator asks the author of a practice to change."""

    # --- meeting, broadcast --------------------------------------------------------------
    date = "date", Holds.text
    """meeting: the day of the meeting, checked and stored as an ISO date."""
    time = "time", Holds.text
    """meeting: the start time, checked and stored as an ISO time."""
    place = "place", Holds.text
    """meeting: the place, or the link of an online meeting."""
    agenda = "agenda", Holds.text
    """meeting: what is on the agenda."""
    audience = "audience", Holds.choice
    """broadcast: who receives the announcement (everyone / teachers / facilitators)."""
    confirm = "confirm", Holds.choice
    """broadcast, ask: whether to send it now (yes / no)."""

    # --- help from peers -----------------------------------------------------------------
    question = "question", Holds.text
    """ask: the question a teacher sends to the other teachers of their circle."""
    ask_as = "ask_as", Holds.choice
    """ask: whether the question shows the asker's name (named / anonymous)."""
    reply = "reply", Holds.text
    """peer_answer: a peer's answer to a question of their circle; partner_message: a
    message to a partner in another circle."""

    # --- facilitator_checkin: a facilitator's month in their circle ----------------------
    went_well = "went_well", Holds.text
    """facilitator_checkin: what went well in the circle this month (for coordinators)."""
    support_needed = "support_needed", Holds.text
    """facilitator_checkin: what support the facilitator needs (for coordinators)."""
    circle_rating = "circle_rating", Holds.number
    """facilitator_checkin: how the month went in the circle, 1–5 (optional)."""
