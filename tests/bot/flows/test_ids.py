"""Ids read from button data: plain ASCII numbers that fit the database, or nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.flows.ids import MAX_ID, parse_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("007", 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("99999999999999999999", None),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1\n", None),
        ("1_000", None),
        ("", None),
        (None, None),
    ],
)
def test_only_plain_ids_that_fit_the_database_are_read(text: str | None, expected) -> None:
    assert parse_id(text) == expected


@given(st.text(max_size=30))
def test_any_text_is_an_id_in_range_or_none_and_never_raises(text: str) -> None:
    value = parse_id(text)
    assert value is None or (0 <= value <= MAX_ID and text.isascii() and int(text) == value)


def test_a_larger_limit_reads_numbers_that_are_not_ids() -> None:
    assert parse_id("4102444800", limit=2**63 - 1) == 4102444800  # a stamp in 2100
    assert parse_id("4102444800") is None
