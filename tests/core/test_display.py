"""The wording of times, windows and durations for people, in their own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reserver_core.display import (
    counted,
    day_label,
    describe_error,
    format_duration,
    format_time,
    format_window,
    month_label,
    wait_text,
)
from reserver_core.errors import ConflictError, UnavailableError, Window

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class TestFormatTime:
    @pytest.mark.parametrize(
        ("value", "tz", "expected"),
        [
            (utc(2026, 12, 1, 13, 0), BERLIN, "Tue 1 Dec 14:00 CET"),
            (utc(2026, 7, 9, 6, 5), BERLIN, "Thu 9 Jul 08:05 CEST"),
            (utc(2026, 12, 1, 13, 0), NEW_YORK, "Tue 1 Dec 08:00 EST"),
            (utc(2026, 12, 1, 3, 0), NEW_YORK, "Mon 30 Nov 22:00 EST"),
            (utc(2026, 12, 31, 23, 0), ZoneInfo("UTC"), "Thu 31 Dec 23:00 UTC"),
        ],
    )
    def test_format(self, value: datetime, tz: ZoneInfo, expected: str) -> None:
        assert format_time(value, tz, now=NOW) == expected

    def test_both_sides_of_a_fold_show_their_abbreviation(self) -> None:
        assert format_time(utc(2026, 10, 25, 0, 30), BERLIN, now=NOW) == "Sun 25 Oct 02:30 CEST"
        assert format_time(utc(2026, 10, 25, 1, 30), BERLIN, now=NOW) == "Sun 25 Oct 02:30 CET"

    def test_naive_value_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            format_time(datetime(2026, 12, 1, 13, 0), BERLIN, now=NOW)


class TestFormatWindow:
    def test_same_day(self) -> None:
        start = utc(2026, 12, 1, 13, 0)
        end = utc(2026, 12, 1, 14, 30)
        assert format_window(start, end, BERLIN, now=NOW) == "Tue 1 Dec 14:00-15:30 CET"

    def test_across_days(self) -> None:
        start = utc(2026, 12, 1, 22, 0)
        end = utc(2026, 12, 2, 0, 0)
        assert (
            format_window(start, end, BERLIN, now=NOW)
            == "Tue 1 Dec 23:00 CET - Wed 2 Dec 01:00 CET"
        )

    def test_ending_at_midnight_is_the_next_day(self) -> None:
        start = utc(2026, 12, 1, 22, 0)
        end = utc(2026, 12, 1, 23, 0)
        assert (
            format_window(start, end, BERLIN, now=NOW)
            == "Tue 1 Dec 23:00 CET - Wed 2 Dec 00:00 CET"
        )

    def test_across_a_dst_change_shows_both_abbreviations(self) -> None:
        start = utc(2026, 3, 29, 0, 0)  # 01:00 CET
        end = utc(2026, 3, 29, 2, 0)  # 04:00 CEST
        assert format_window(start, end, BERLIN, now=NOW) == "Sun 29 Mar 01:00 CET-04:00 CEST"

    def test_same_day_depends_on_the_zone(self) -> None:
        start = utc(2026, 12, 1, 22, 0)
        end = utc(2026, 12, 1, 23, 30)
        assert format_window(start, end, NEW_YORK, now=NOW) == "Tue 1 Dec 17:00-18:30 EST"


class TestTheYear:
    """The year is shown whenever a date is not in the current year of the reader's zone."""

    def test_a_time_in_another_year_names_it(self) -> None:
        assert format_time(utc(2030, 1, 1, 13, 0), BERLIN, now=NOW) == "Tue 1 Jan 2030 14:00 CET"
        assert format_time(utc(2025, 12, 1, 13, 0), BERLIN, now=NOW) == "Mon 1 Dec 2025 14:00 CET"

    def test_a_window_in_another_year_names_it_once(self) -> None:
        window = format_window(utc(2030, 1, 1, 13, 0), utc(2030, 1, 1, 14, 0), BERLIN, now=NOW)
        assert window == "Tue 1 Jan 2030 14:00-15:00 CET"

    def test_a_window_across_new_year_names_only_the_next_year(self) -> None:
        start = utc(2026, 12, 31, 22, 0)  # 23:00 CET
        end = utc(2027, 1, 1, 0, 0)
        assert format_window(start, end, BERLIN, now=NOW) == (
            "Thu 31 Dec 23:00 CET - Fri 1 Jan 2027 01:00 CET"
        )
        seen_in_2027 = utc(2027, 1, 1, 9, 0)
        assert format_window(start, end, BERLIN, now=seen_in_2027) == (
            "Thu 31 Dec 2026 23:00 CET - Fri 1 Jan 01:00 CET"
        )

    def test_the_current_year_is_the_reader_s_local_year(self) -> None:
        new_year_in_berlin = utc(2026, 12, 31, 23, 30)  # 00:30 on 1 Jan 2027 in Berlin
        later = utc(2027, 1, 2, 9, 0)
        assert format_time(later, BERLIN, now=new_year_in_berlin) == "Sat 2 Jan 10:00 CET"
        assert format_time(later, NEW_YORK, now=new_year_in_berlin) == "Sat 2 Jan 2027 04:00 EST"

    def test_day_and_month_labels(self) -> None:
        assert day_label(date(2026, 12, 7), BERLIN, now=NOW) == "Mon 7 Dec"
        assert day_label(date(2027, 1, 4), BERLIN, now=NOW) == "Mon 4 Jan 2027"
        assert month_label(date(2026, 12, 7), BERLIN, now=NOW) == "Dec"
        assert month_label(date(2027, 1, 4), BERLIN, now=NOW) == "Jan 2027"

    def test_errors_name_the_year_of_their_times(self) -> None:
        clash = ConflictError(
            "clash",
            resource="Room A",
            windows=[Window(utc(2030, 1, 1, 13, 0), utc(2030, 1, 1, 14, 0))],
        )
        assert describe_error(clash, BERLIN, now=NOW) == (
            "Room A is already booked Tue 1 Jan 2030 14:00-15:00 CET, "
            "which conflicts with that time"
        )
        closed = UnavailableError("closed", resource="Room A", until=utc(2027, 1, 2, 8, 0))
        assert describe_error(closed, BERLIN, now=NOW) == (
            "Room A is under maintenance until Sat 2 Jan 2027 09:00 CET"
        )

    def test_now_must_be_aware(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            format_time(utc(2030, 1, 1, 13, 0), BERLIN, now=datetime(2026, 12, 1))


class TestFormatDuration:
    @pytest.mark.parametrize(
        ("delta", "expected"),
        [
            (timedelta(minutes=90), "1h30m"),
            (timedelta(minutes=45), "45m"),
            (timedelta(hours=2), "2h"),
            (timedelta(hours=26), "1d2h"),
            (timedelta(days=1), "1d"),
            (timedelta(days=2, minutes=5), "2d5m"),
            (timedelta(0), "0m"),
            (timedelta(seconds=29), "0m"),
            (timedelta(seconds=30), "1m"),
            (timedelta(minutes=59, seconds=45), "1h"),
            (timedelta(minutes=-90), "-1h30m"),
        ],
    )
    def test_format(self, delta: timedelta, expected: str) -> None:
        assert format_duration(delta) == expected


class TestCounted:
    @pytest.mark.parametrize(
        ("count", "expected"),
        [(0, "0 resources"), (1, "1 resource"), (2, "2 resources"), (1204, "1,204 resources")],
    )
    def test_the_noun_agrees_with_the_count(self, count: int, expected: str) -> None:
        assert counted(count, "resource") == expected

    def test_an_irregular_plural_is_given_by_the_caller(self) -> None:
        assert counted(1, "entry", "entries") == "1 entry"
        assert counted(3, "entry", "entries") == "3 entries"

    @pytest.mark.parametrize(
        ("seconds", "expected"),
        [(1, "1 second"), (45, "45 seconds"), (60, "1 minute"), (61, "2 minutes")],
    )
    def test_a_wait_is_counted_in_seconds_or_whole_minutes(
        self, seconds: int, expected: str
    ) -> None:
        assert wait_text(seconds) == expected
