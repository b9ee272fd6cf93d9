"""Report periods (pure): months, quarters, years and custom runs of days, and the period before each."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from threats.reports.periods import Period, month_period, period_for, period_parse, quarter_period, year_period


def test_previous_periods():
    assert month_period(date(2026, 1, 20)).previous() == Period("month", date(2025, 12, 1), date(2025, 12, 31))
    assert month_period(date(2026, 3, 5)).previous() == Period("month", date(2026, 2, 1), date(2026, 2, 28))
    assert quarter_period(date(2026, 2, 1)).previous() == Period("quarter", date(2025, 10, 1), date(2025, 12, 31))
    assert year_period(2026).previous() == Period("year", date(2025, 1, 1), date(2025, 12, 31))
    custom = Period("custom", date(2026, 3, 10), date(2026, 3, 19))
    assert custom.previous() == Period("custom", date(2026, 2, 28), date(2026, 3, 9))


def test_bounds_are_the_reserves_midnights():
    start, end = month_period(date(2026, 3, 1)).bounds("Asia/Barnaul")
    assert (start, end) == (datetime(2026, 3, 1, tzinfo=ZoneInfo("Asia/Barnaul")),
                            datetime(2026, 4, 1, tzinfo=ZoneInfo("Asia/Barnaul")))  # fmt: skip
    assert start.astimezone(ZoneInfo("UTC")).hour == 17  # 1 March 00:00 at UTC+7 is 28 February 17:00 UTC


def test_named_when_exact_and_parsed_from_the_form():
    assert period_for(date(2026, 4, 1), date(2026, 6, 30)).kind == "quarter"
    assert period_for(date(2026, 1, 1), date(2026, 12, 31)).kind == "year"
    assert period_for(date(2026, 1, 2), date(2026, 1, 31)).kind == "custom"
    assert period_parse("quarter", "2026-Q3") == quarter_period(date(2026, 7, 1))
    assert period_parse("month", "2026-02").label() == "2026-02"
    assert [m.month for m in Period("custom", date(2025, 11, 15), date(2026, 2, 2)).months()] == [11, 12, 1, 2]
    for kind, value in [("month", "2026-13"), ("quarter", "2026-Q5"), ("year", "twenty"), ("week", "1")]:
        with pytest.raises(ValueError):
            period_parse(kind, value)
    with pytest.raises(ValueError):
        Period("custom", date(2026, 2, 1), date(2026, 1, 1))
