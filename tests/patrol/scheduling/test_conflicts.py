"""Each kind of conflict on plain values (patrol.scheduling.conflicts is pure)."""

from datetime import date, datetime, timedelta

from patrol.scheduling.conflicts import Booking, find_conflicts

D0 = date(2026, 12, 1)


def _b(key, team, day, *, rangers=(), post=1, hour=8, hours=8, days=0):
    start = datetime(2026, 12, day, hour)
    return Booking(key, team, frozenset(rangers), post, start, start + timedelta(days=days, hours=hours))


def _find(bookings, *, posts=(), consecutive=5, gap=7, first=D0, last=date(2026, 12, 31)):
    return find_conflicts(bookings, posts=list(posts), first_day=first, last_day=last,
                          max_consecutive_days=consecutive, max_post_gap_days=gap)  # fmt: skip


def test_a_team_booked_twice_at_overlapping_times():
    found = _find([_b("a", 1, 3), _b("b", 1, 3, hour=12), _b("c", 1, 4)])
    assert [(c.kind, c.keys, c.first_day, c.team) for c in found] == [("team_double", ("a", "b"), date(2026, 12, 3), 1)]


def test_back_to_back_patrols_of_one_team_do_not_overlap():
    assert _find([_b("a", 1, 3, hour=6, hours=4), _b("b", 1, 3, hour=10, hours=4)]) == []


def test_a_ranger_on_two_teams_booked_at_once():
    found = _find([_b("a", 1, 5, rangers=[7, 8]), _b("b", 2, 5, hour=15, rangers=[8, 9]), _b("c", 3, 5, rangers=[9])])
    assert [(c.kind, c.keys, c.ranger) for c in found] == [
        ("ranger_double", ("a", "b"), 8),
        ("ranger_double", ("c", "b"), 9),  # in order of start
    ]


def test_more_consecutive_field_days_than_allowed():
    bookings = [_b(f"d{d}", 1, d) for d in range(2, 8)]  # 6 days in a row
    found = _find(bookings, consecutive=5)
    assert [(c.kind, c.first_day, c.last_day, c.detail) for c in found] == [
        ("consecutive", date(2026, 12, 2), date(2026, 12, 7), {"days": 6, "limit": 5})
    ]
    assert found[0].keys == tuple(f"d{d}" for d in range(2, 8))
    assert _find(bookings, consecutive=6) == []


def test_a_multi_day_patrol_counts_every_day_it_touches():
    found = _find([_b("x", 1, 10, days=2, hours=0), _b("y", 1, 12, hour=10)], consecutive=2)
    assert [(c.kind, c.first_day, c.last_day) for c in found] == [
        ("consecutive", date(2026, 12, 10), date(2026, 12, 12))
    ]


def test_a_post_without_cover_for_longer_than_allowed():
    bookings = [_b("a", 1, 2, post=1), _b("b", 2, 12, post=1), _b("c", 2, 16, post=1)]
    found = _find(bookings, posts=[1], gap=7, last=date(2026, 12, 20))
    # Dec 3-11 is nine days without a patrol from post 1; 17-20 is four (allowed).
    assert [(c.kind, c.post, c.first_day, c.last_day, c.detail) for c in found] == [
        ("post_gap", 1, date(2026, 12, 3), date(2026, 12, 11), {"days": 9, "limit": 7})
    ]


def test_a_post_nobody_patrols_in_the_period_is_flagged_and_a_patrol_before_it_counts():
    found = _find([], posts=[4], gap=7, first=D0, last=date(2026, 12, 10))
    assert [(c.kind, c.first_day, c.last_day, c.detail["days"]) for c in found] == [
        ("post_gap", date(2026, 12, 1), date(2026, 12, 10), 10)
    ]
    before = Booking("p", 1, frozenset(), 4, datetime(2026, 11, 30, 8), datetime(2026, 11, 30, 16))
    assert _find([before, _b("q", 1, 8, post=4)], posts=[4], gap=7, first=D0, last=date(2026, 12, 10)) == []
