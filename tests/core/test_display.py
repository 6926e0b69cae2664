"""The wording of times, windows and durations for people, in their own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reserver_core.display import (
    POLICY_FIELD_LABELS,
    allowance_text,
    approvers_text,
    closure_text,
    counted,
    day_label,
    deadline_text,
    describe_error,
    describe_event,
    format_duration,
    format_time,
    format_window,
    month_label,
    notice_text,
    opening_hours_text,
    ordinal,
    pending_text,
    policy_source_text,
    policy_value_text,
    series_refused_text,
    status_label,
    wait_text,
    waitlist_status_text,
)
from reserver_core.errors import ConflictError, StateError, UnavailableError, Window
from reserver_core.schemas import (
    POLICY_FIELDS,
    Allowance,
    Closure,
    EventInfo,
    Notice,
    Occurrence,
    ReservationInfo,
    ResourceInfo,
    WaitlistInfo,
)

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


class TestPolicyValues:
    def test_every_field_has_a_label(self) -> None:
        assert list(POLICY_FIELD_LABELS) == list(POLICY_FIELDS)

    @pytest.mark.parametrize(
        ("name", "value", "expected"),
        [
            ("timezone", "Europe/Berlin", "Europe/Berlin"),
            ("min_length_minutes", 30, "30m"),
            ("max_length_minutes", 120, "2h"),
            ("min_notice_minutes", 90, "1h30m"),
            ("max_advance_minutes", 60 * 24 * 30, "30d"),
            ("max_active", 3, "3 at once"),
            ("max_hours_per_week", 8.0, "8h in any 7 days"),
            ("max_hours_per_week", 7.5, "7.5h in any 7 days"),
            ("approval", True, "required"),
            ("approval", False, "not needed"),
            ("approvers", ["carol", "dave"], "carol, dave (and admins)"),
            ("approval_timeout_minutes", 48 * 60, "2d"),
            ("offer_hold_minutes", 30, "30m"),
        ],
    )
    def test_a_set_value(self, name: str, value: object, expected: str) -> None:
        assert policy_value_text(name, value) == expected

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("hours", "always open"),
            ("closed", "never"),
            ("min_length_minutes", "none"),
            ("min_notice_minutes", "none"),
            ("max_length_minutes", "no limit"),
            ("max_advance_minutes", "no limit"),
            ("max_active", "no limit"),
            ("max_hours_per_week", "no limit"),
            ("approval", "not needed"),
            ("approvers", "admins"),
            ("approval_timeout_minutes", "48h"),
            ("offer_hold_minutes", "30m"),
        ],
    )
    def test_an_unset_value_says_what_it_means(self, name: str, expected: str) -> None:
        assert policy_value_text(name, [] if name == "closed" else None) == expected

    def test_opening_hours_read_as_days_and_spans(self) -> None:
        spec = "mon-fri 08:00-12:00,13:00-18:00; sat 10:00-14:00"
        assert opening_hours_text(spec) == "Mon-Fri 08:00-12:00, 13:00-18:00; Sat 10:00-14:00"
        assert opening_hours_text("mon,wed 09:00-17:00") == "Mon, Wed 09:00-17:00"
        assert opening_hours_text("daily 00:00-24:00") == "daily 00:00-24:00"
        assert opening_hours_text("always") == opening_hours_text(None) == "always open"
        assert policy_value_text("hours", spec) == opening_hours_text(spec)

    def test_whole_day_closures_end_on_their_last_day(self) -> None:
        holidays = Closure(datetime(2026, 12, 24), datetime(2026, 12, 27), "holidays")
        assert closure_text(holidays) == "Thu 24 Dec - Sat 26 Dec 2026 (holidays)"
        one_day = Closure(datetime(2026, 12, 24), datetime(2026, 12, 25))
        assert closure_text(one_day) == "Thu 24 Dec 2026"
        new_year = Closure(datetime(2026, 12, 31), datetime(2027, 1, 2), "new year")
        assert closure_text(new_year) == "Thu 31 Dec 2026 - Fri 1 Jan 2027 (new year)"

    def test_timed_closures_show_their_hours(self) -> None:
        early = Closure(
            datetime(2026, 12, 31, 14, 0), datetime(2026, 12, 31, 18, 0), "early close", False
        )
        assert closure_text(early) == "Thu 31 Dec 2026 14:00-18:00 (early close)"
        to_midnight = Closure(datetime(2026, 12, 31, 14, 0), datetime(2027, 1, 1), "", False)
        assert closure_text(to_midnight) == "Thu 31 Dec 2026 14:00-24:00"
        overnight = Closure(datetime(2026, 12, 31, 22, 0), datetime(2027, 1, 1, 2, 0), "", False)
        assert closure_text(overnight) == "Thu 31 Dec 2026 22:00 - Fri 1 Jan 2027 02:00"

    def test_closures_are_listed_in_one_line(self) -> None:
        closures = [
            Closure(datetime(2026, 12, 24), datetime(2026, 12, 25), "eve"),
            Closure(datetime(2026, 12, 31, 14, 0), datetime(2026, 12, 31, 18, 0), "", False),
        ]
        assert policy_value_text("closed", closures) == (
            "Thu 24 Dec 2026 (eve); Thu 31 Dec 2026 14:00-18:00"
        )

    def test_the_source_of_a_field(self) -> None:
        assert policy_source_text("tag 'gpu'") == "from tag 'gpu'"
        assert policy_source_text("store settings") == "from store settings"
        assert policy_source_text("built-in") == "built-in"


class TestAllowances:
    def test_active_bookings_held_and_left(self) -> None:
        held = Allowance("max_active", "tag 'gpu'", limit=3, used=1)
        assert allowance_text(held, BERLIN, now=NOW) == (
            "max 3 active bookings (tag 'gpu'): you hold 1, 2 left"
        )
        full = Allowance("max_active", "resource 'GPU-3'", limit=1, used=1)
        assert allowance_text(full, BERLIN, now=NOW) == (
            "max 1 active booking (resource 'GPU-3'): you hold 1, none left"
        )

    def test_hours_in_the_week_name_the_reader_s_first_day(self) -> None:
        week = Allowance(
            "max_hours_per_week",
            "tag 'gpu'",
            limit=8,
            used=6,
            window_start=utc(2026, 11, 29, 23, 30),  # Mon 30 Nov 00:30 in Berlin
            window_end=utc(2026, 12, 6, 23, 30),
        )
        assert allowance_text(week, BERLIN, now=NOW) == (
            "max 8h per week (tag 'gpu'): 6h booked in the 7 days from Mon 30 Nov, 2h left"
        )
        assert "from Sun 29 Nov" in allowance_text(week, NEW_YORK, now=NOW)

    def test_hours_none_booked_or_none_left(self) -> None:
        unused = Allowance("max_hours_per_week", "the default policy", limit=7.5, used=0)
        assert allowance_text(unused, BERLIN, now=NOW) == (
            "max 7.5h per week (the default policy): nothing booked, 7.5h left"
        )
        over = Allowance("max_hours_per_week", "tag 'gpu'", limit=8, used=9)
        assert allowance_text(over, BERLIN, now=NOW).endswith(": 9h booked, none left")

    def test_an_admin_is_exempt(self) -> None:
        admin = Allowance("max_active", "tag 'gpu'", limit=3, used=5, exempt=True)
        assert allowance_text(admin, BERLIN, now=NOW) == (
            "max 3 active bookings (tag 'gpu'): exempt (admin)"
        )


class TestHistoryAndSeriesWording:
    ROOM = ResourceInfo(1, "Room A", "", [], True, "available", NOW)
    HELD = ReservationInfo(
        7, 1, 2, "bob", utc(2027, 3, 1, 8, 0), utc(2027, 3, 1, 9, 0), "active", NOW, ROOM
    )

    def event(self, action: str, details: str) -> EventInfo:
        return EventInfo(1, 7, action, "bob", NOW, details)

    @pytest.mark.parametrize(
        ("action", "details", "shown"),
        [
            ("created", "2027-03-01 08:00-09:00 UTC", "Mon 1 Mar 2027 09:00-10:00 CET"),
            (
                "created",
                "2027-03-01 08:00-09:00 UTC (series 3, 1 of 8)",
                "Mon 1 Mar 2027 09:00-10:00 CET (series 3, 1 of 8)",
            ),
            ("created", "imported", "Mon 1 Mar 2027 09:00-10:00 CET"),
            (
                "moved",
                "2027-03-01 08:00-09:00 UTC -> 2027-03-29 07:00-08:00 UTC (series 3 retimed)",
                "Mon 1 Mar 2027 09:00-10:00 CET → Mon 29 Mar 2027 09:00-10:00 CEST "
                "(series 3 retimed)",
            ),
            (
                "cancelled",
                "series 3 cancelled from 2027-03-29 07:00 UTC on: room moves",
                "series 3 cancelled from Mon 29 Mar 2027 09:00 CEST on: room moves",
            ),
            (
                "cancelled",
                "cancelled for maintenance 2026-12-01 23:00 - 2026-12-02 01:00 UTC: paint",
                "cancelled for maintenance Wed 2 Dec 00:00-02:00 CET: paint",
            ),
            ("cancelled", "meeting moved", "meeting moved"),
        ],
    )
    def test_history_shows_every_utc_time_in_the_reader_s_zone(
        self, action: str, details: str, shown: str
    ) -> None:
        assert describe_event(self.event(action, details), self.HELD, BERLIN, now=NOW) == shown

    def test_an_error_s_utc_times_are_shown_in_the_reader_s_zone(self) -> None:
        error = StateError("series 3 has no upcoming occurrence from 2027-03-28 22:00 UTC on")
        assert describe_error(error, BERLIN, now=NOW) == (
            "series 3 has no upcoming occurrence from Mon 29 Mar 2027 00:00 CEST on"
        )

    def test_a_refused_series_counts_its_bad_dates_but_not_the_skipped(self) -> None:
        day = date(2027, 3, 1)
        occurrences = [
            Occurrence(1, day, "free"),
            Occurrence(2, day, "clash"),
            Occurrence(3, day, "skipped"),
            Occurrence(4, day, "refused"),
        ]
        assert series_refused_text(occurrences, "nothing was booked") == (
            "nothing was booked: 2 of 3 occurrences cannot be booked"
        )


class TestHeldSlotsWording:
    """Requests awaiting approval, waitlist offers and notices, in the reader's zone."""

    ROOM = ResourceInfo(1, "Room A", "", [], True, "available", NOW)

    def reservation(self, status: str, **more: object) -> ReservationInfo:
        start, end = utc(2026, 12, 10, 9, 0), utc(2026, 12, 10, 11, 0)
        return ReservationInfo(7, 1, 2, "bob", start, end, status, NOW, self.ROOM, **more)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("names", "expected"),
        [
            ([], "an admin"),
            (["carol"], "carol (or an admin)"),
            (["carol", "dave", "erin"], "carol, dave or erin (or an admin)"),
        ],
    )
    def test_who_decides(self, names: list[str], expected: str) -> None:
        assert approvers_text(names) == expected

    def test_a_deadline_today_is_its_time_else_its_day(self) -> None:
        assert deadline_text(utc(2026, 12, 1, 9, 30), BERLIN, now=NOW) == "10:30 CET"
        assert deadline_text(utc(2026, 12, 1, 23, 30), BERLIN, now=NOW) == "Wed 2 Dec 00:30 CET"

    def test_statuses_of_held_slots(self) -> None:
        decide_by = utc(2026, 12, 1, 9, 30)
        assert status_label(self.reservation("pending"), BERLIN, now=NOW) == "pending approval"
        asked = self.reservation("pending", approvers=["carol"], decide_by=utc(2026, 12, 3, 9, 0))
        assert status_label(asked, BERLIN, now=NOW) == "pending approval by carol (or an admin)"
        assert pending_text(asked, BERLIN, now=NOW) == (
            "pending approval by carol (or an admin), to be decided by Thu 3 Dec 10:00 CET"
        )
        offered = self.reservation("offered", decide_by=decide_by)
        assert status_label(offered, BERLIN, now=NOW) == "offered until 10:30 CET"
        assert status_label(self.reservation("rejected"), BERLIN, now=NOW) == "rejected"

    def test_where_a_waitlist_entry_stands(self) -> None:
        start, end = utc(2026, 12, 10, 9, 0), utc(2026, 12, 10, 11, 0)

        def entry(status: str, **more: object) -> WaitlistInfo:
            return WaitlistInfo(3, self.ROOM, 2, "bob", start, end, 0, status, NOW, **more)  # type: ignore[arg-type]

        assert waitlist_status_text(entry("waiting", position=2), BERLIN, now=NOW) == (
            "waiting, 2nd in line"
        )
        offer = self.reservation("offered", decide_by=utc(2026, 12, 1, 9, 30))
        assert waitlist_status_text(entry("offered", offer=offer), BERLIN, now=NOW) == (
            "offered as #7 until 10:30 CET"
        )
        assert waitlist_status_text(entry("lapsed"), BERLIN, now=NOW) == (
            "offer not answered in time"
        )

    @pytest.mark.parametrize(
        ("number", "expected"),
        [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (21, "21st")],
    )
    def test_ordinals(self, number: int, expected: str) -> None:
        assert ordinal(number) == expected

    def test_a_notice_s_utc_times_are_shown_in_the_reader_s_zone(self) -> None:
        notice = Notice(
            1,
            "offer",
            "Room A is free for you 2026-12-10 09:00-11:00 UTC: accept reservation 7 by "
            "2026-12-01 09:30 UTC, or it goes to the next in line",
            NOW,
        )
        assert notice_text(notice, BERLIN, now=NOW) == (
            "Room A is free for you Thu 10 Dec 10:00-12:00 CET: accept reservation 7 by "
            "Tue 1 Dec 10:30 CET, or it goes to the next in line"
        )
