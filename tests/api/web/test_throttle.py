"""The simulator's rate limit: per client address, in a bounded amount of memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.web.throttle import RateLimit

NOW = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)


def test_a_client_over_its_limit_waits_for_the_next_window_and_others_are_not_held() -> None:
    limit = RateLimit(3, timedelta(minutes=1))
    assert [limit.allow("198.51.100.1", NOW) for _ in range(4)] == [True, True, True, False]
    assert limit.allow("198.51.100.2", NOW)
    assert not limit.allow("198.51.100.1", NOW + timedelta(seconds=59))
    assert limit.allow("198.51.100.1", NOW + timedelta(minutes=1))


def test_many_addresses_do_not_grow_the_limiter_past_its_bound() -> None:
    limit = RateLimit(1, timedelta(minutes=1), clients=100)
    for n in range(1000):
        limit.allow(f"2001:db8::{n:x}", NOW)
    assert len(limit) == 100
    assert limit.allow("2001:db8::0", NOW)  # forgotten first: the oldest address
