"""Reading and showing times: every accepted form, DST gaps and folds, bad input."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.clock import NOW

from reserver_core.display import format_duration
from reserver_core.errors import ValidationError
from reserver_core.timeparse import (
    add_length,
    check_day,
    localize,
    parse_clock,
    parse_date,
    parse_day,
    parse_duration,
    parse_end,
    parse_instant,
    parse_wall_time,
    parse_when,
    resolve_zone,
    system_zone,
    zone_name,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def utc(
    year: int, month: int, day: int, hour: int, minute: int, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


# --- zones -------------------------------------------------------------------


class TestResolveZone:
    def test_named_zone(self) -> None:
        assert resolve_zone("Europe/Berlin") == BERLIN
        assert resolve_zone("  America/New_York ") == NEW_YORK

    @pytest.mark.parametrize(
        "name", ["Mars/Olympus", "europe/berlin", "", "../etc/passwd", "Europe"]
    )
    def test_unknown_zone(self, name: str) -> None:
        with pytest.raises(ValidationError) as caught:
            resolve_zone(name)
        assert caught.value.field == "tz"
        assert repr(name) in caught.value.message
        assert "Europe/Berlin" in caught.value.message

    def test_zone_name(self) -> None:
        assert zone_name(BERLIN) == "Europe/Berlin"
        assert zone_name(resolve_zone("UTC")) == "UTC"


class TestSystemZone:
    @pytest.fixture(autouse=True)
    def _no_tz_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("TZ", raising=False)

    @pytest.fixture
    def missing(self, tmp_path: Path) -> Path:
        return tmp_path / "missing"

    def test_falls_back_to_utc(self, missing: Path) -> None:
        assert zone_name(system_zone(missing, missing)) == "UTC"

    @pytest.mark.parametrize(
        "value", ["Europe/Berlin", ":Europe/Berlin", ":/usr/share/zoneinfo/Europe/Berlin"]
    )
    def test_tz_variable(self, monkeypatch: pytest.MonkeyPatch, value: str, missing: Path) -> None:
        monkeypatch.setenv("TZ", value)
        assert zone_name(system_zone(missing, missing)) == "Europe/Berlin"

    def test_invalid_tz_variable_is_skipped(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, missing: Path
    ) -> None:
        monkeypatch.setenv("TZ", "CET-1CEST")
        etc_timezone = tmp_path / "timezone"
        etc_timezone.write_text("America/New_York\n", encoding="utf-8")
        assert zone_name(system_zone(etc_timezone, missing)) == "America/New_York"

    def test_localtime_symlink(self, tmp_path: Path) -> None:
        target = tmp_path / "usr" / "share" / "zoneinfo" / "Asia" / "Tokyo"
        target.parent.mkdir(parents=True)
        target.write_bytes(b"TZif")
        link = tmp_path / "localtime"
        os.symlink(target, link)
        etc_timezone = tmp_path / "timezone"
        etc_timezone.write_text("Not/AZone\n", encoding="utf-8")
        assert zone_name(system_zone(etc_timezone, link)) == "Asia/Tokyo"

    def test_localtime_plain_file_is_ignored(self, tmp_path: Path, missing: Path) -> None:
        plain = tmp_path / "localtime"
        plain.write_bytes(b"TZif")
        assert zone_name(system_zone(missing, plain)) == "UTC"

    def test_resolving_no_name_is_the_system_zone(self) -> None:
        assert resolve_zone(None) == system_zone()


# --- localize ----------------------------------------------------------------


class TestLocalize:
    def test_winter_and_summer(self) -> None:
        assert localize(datetime(2026, 12, 1, 14, 0), BERLIN) == utc(2026, 12, 1, 13, 0)
        assert localize(datetime(2026, 7, 1, 14, 0), BERLIN) == utc(2026, 7, 1, 12, 0)
        assert localize(datetime(2026, 7, 1, 14, 0), NEW_YORK) == utc(2026, 7, 1, 18, 0)

    def test_returns_aware_utc(self) -> None:
        result = localize(datetime(2026, 12, 1, 14, 0), BERLIN)
        assert result.tzinfo is UTC

    def test_berlin_gap(self) -> None:
        with pytest.raises(ValidationError) as caught:
            localize(datetime(2026, 3, 29, 2, 30), BERLIN, field="start")
        assert caught.value.field == "start"
        assert caught.value.message.startswith(
            "2026-03-29 02:30 does not exist in Europe/Berlin (clocks skip forward"
        )

    def test_berlin_fold(self) -> None:
        with pytest.raises(ValidationError) as caught:
            localize(datetime(2026, 10, 25, 2, 30), BERLIN)
        message = caught.value.message
        assert "2026-10-25 02:30 is ambiguous in Europe/Berlin" in message
        assert "2026-10-25T02:30+02:00 or 2026-10-25T02:30+01:00" in message

    def test_new_york_gap_and_fold(self) -> None:
        with pytest.raises(ValidationError, match="does not exist in America/New_York"):
            localize(datetime(2026, 3, 8, 2, 30), NEW_YORK)
        with pytest.raises(ValidationError, match="ambiguous in America/New_York") as caught:
            localize(datetime(2026, 11, 1, 1, 30), NEW_YORK)
        assert "-04:00 or " in caught.value.message
        assert caught.value.message.endswith("-05:00")

    def test_edges_of_gap_and_fold_are_fine(self) -> None:
        assert localize(datetime(2026, 3, 29, 1, 59), BERLIN) == utc(2026, 3, 29, 0, 59)
        assert localize(datetime(2026, 3, 29, 3, 0), BERLIN) == utc(2026, 3, 29, 1, 0)
        assert localize(datetime(2026, 10, 25, 1, 59), BERLIN) == utc(2026, 10, 24, 23, 59)
        assert localize(datetime(2026, 10, 25, 3, 0), BERLIN) == utc(2026, 10, 25, 2, 0)

    def test_gap_message_shows_seconds_when_given(self) -> None:
        with pytest.raises(ValidationError, match="2026-03-29 02:30:15 does not exist"):
            localize(datetime(2026, 3, 29, 2, 30, 15), BERLIN)

    def test_aware_input_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            localize(utc(2026, 12, 1, 14, 0), BERLIN)


def _wall_time_kind(naive: datetime, tz: ZoneInfo) -> str:
    """Classify a wall time without fold: count the offsets near it that map onto it."""
    as_utc = naive.replace(tzinfo=UTC)
    offsets = {
        (as_utc + timedelta(hours=hours)).astimezone(tz).utcoffset() for hours in range(-30, 31)
    }
    matches = sum(
        1
        for offset in offsets
        if offset is not None and (as_utc - offset).astimezone(tz).replace(tzinfo=None) == naive
    )
    return {0: "gap", 1: "normal", 2: "fold"}[matches]


def _nth_sunday(year: int, month: int, nth: int) -> date:
    """The nth Sunday of a month; nth=-1 is the last one."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


@st.composite
def _wall_times_near_dst_changes(draw: st.DrawFn) -> tuple[datetime, ZoneInfo]:
    """Wall times on the days the clocks change (EU rules since 1996, US rules since 2007)."""
    year = draw(st.integers(min_value=2007, max_value=2060))
    tz, month, nth = draw(
        st.sampled_from([(BERLIN, 3, -1), (BERLIN, 10, -1), (NEW_YORK, 3, 2), (NEW_YORK, 11, 1)])
    )
    day = _nth_sunday(year, month, nth)
    clock = draw(st.times(max_value=time(4, 59, 59)))
    return datetime.combine(day, clock), tz


_ANY_WALL_TIME = st.tuples(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31)),
    st.sampled_from([BERLIN, NEW_YORK]),
)


def test_the_wall_time_oracle_itself() -> None:
    assert _wall_time_kind(datetime(2026, 3, 29, 2, 30), BERLIN) == "gap"
    assert _wall_time_kind(datetime(2026, 10, 25, 2, 30), BERLIN) == "fold"
    assert _wall_time_kind(datetime(2026, 3, 8, 2, 30), NEW_YORK) == "gap"
    assert _wall_time_kind(datetime(2026, 11, 1, 1, 30), NEW_YORK) == "fold"
    assert _wall_time_kind(datetime(2026, 11, 1, 2, 30), NEW_YORK) == "normal"
    assert _nth_sunday(2026, 3, -1) == date(2026, 3, 29)
    assert _nth_sunday(2026, 11, 1) == date(2026, 11, 1)
    assert _nth_sunday(2026, 3, 2) == date(2026, 3, 8)


@given(case=st.one_of(_ANY_WALL_TIME, _wall_times_near_dst_changes()))
def test_localize_round_trips_or_refuses_exactly_gaps_and_folds(
    case: tuple[datetime, ZoneInfo],
) -> None:
    naive, tz = case
    kind = _wall_time_kind(naive, tz)
    if kind == "normal":
        instant = localize(naive, tz)
        assert instant.tzinfo is UTC
        assert instant.astimezone(tz).replace(tzinfo=None) == naive
    else:
        with pytest.raises(
            ValidationError, match="does not exist" if kind == "gap" else "ambiguous"
        ):
            localize(naive, tz)


@given(
    naive=st.datetimes(min_value=datetime(2026, 3, 28), max_value=datetime(2026, 3, 30)),
)
def test_localize_around_the_berlin_spring_change(naive: datetime) -> None:
    in_gap = naive.date() == datetime(2026, 3, 29).date() and naive.hour == 2
    if in_gap:
        with pytest.raises(ValidationError):
            localize(naive, BERLIN)
    else:
        assert localize(naive, BERLIN).astimezone(BERLIN).replace(tzinfo=None) == naive


# --- parse_when --------------------------------------------------------------


class TestParseWhenForms:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            # ISO 8601 without an offset: a Berlin wall time.
            ("2026-12-01T14:00", utc(2026, 12, 1, 13, 0)),
            ("2026-12-01 14:00", utc(2026, 12, 1, 13, 0)),
            ("2026-12-01 9:05", utc(2026, 12, 1, 8, 5)),
            ("2026-12-01T14:00:30", utc(2026, 12, 1, 13, 0, 30)),
            ("2026-07-01T14:00", utc(2026, 7, 1, 12, 0)),
            # ISO 8601 with an offset: that instant, converted.
            ("2026-12-01T14:00+01:00", utc(2026, 12, 1, 13, 0)),
            ("2026-12-01T14:00+03:00", utc(2026, 12, 1, 11, 0)),
            ("2026-12-01T14:00-05:00", utc(2026, 12, 1, 19, 0)),
            ("2026-12-01T14:00+0530", utc(2026, 12, 1, 8, 30)),
            ("2026-12-01T14:00Z", utc(2026, 12, 1, 14, 0)),
            ("2026-12-01t14:00z", utc(2026, 12, 1, 14, 0)),
            ("2026-12-01T14:00:30.5+00:00", utc(2026, 12, 1, 14, 0, 30, 500_000)),
            # now
            ("now", NOW),
            ("NOW", NOW),
            # a time alone is today
            ("14:00", utc(2026, 12, 1, 13, 0)),
            ("9:30", utc(2026, 12, 1, 8, 30)),
            ("09:30", utc(2026, 12, 1, 8, 30)),
            ("0:00", utc(2026, 11, 30, 23, 0)),
            ("23:59", utc(2026, 12, 1, 22, 59)),
            ("today 14:00", utc(2026, 12, 1, 13, 0)),
            ("tomorrow 9:30", utc(2026, 12, 2, 8, 30)),
            ("Tomorrow   9:30", utc(2026, 12, 2, 8, 30)),
            # relative
            ("+45m", utc(2026, 12, 1, 9, 45)),
            ("+2h", utc(2026, 12, 1, 11, 0)),
            ("+1h30m", utc(2026, 12, 1, 10, 30)),
            ("+1d", utc(2026, 12, 2, 9, 0)),
            ("+90min", utc(2026, 12, 1, 10, 30)),
            ("+1.5h", utc(2026, 12, 1, 10, 30)),
            # surrounding whitespace
            ("  today 14:00\n", utc(2026, 12, 1, 13, 0)),
        ],
    )
    def test_form(self, text: str, expected: datetime) -> None:
        result = parse_when(text, NOW, BERLIN)
        assert result == expected
        assert result.tzinfo is UTC

    def test_offset_is_converted_not_stripped(self) -> None:
        # In New York the wall time 14:00 would be 19:00 UTC; the offset must win.
        result = parse_when("2026-12-01T14:00+01:00", NOW, NEW_YORK)
        assert result == utc(2026, 12, 1, 13, 0)
        assert result.utcoffset() == timedelta(0)

    def test_local_time_follows_the_zone(self) -> None:
        assert parse_when("2026-12-01 14:00", NOW, NEW_YORK) == utc(2026, 12, 1, 19, 0)
        assert parse_when("14:00", NOW, NEW_YORK) == utc(2026, 12, 1, 19, 0)

    def test_now_accepts_any_aware_zone(self) -> None:
        now_elsewhere = NOW.astimezone(timezone(timedelta(hours=5)))
        assert parse_when("now", now_elsewhere, BERLIN) == NOW
        assert parse_when("now", now_elsewhere, BERLIN).tzinfo is UTC

    def test_naive_now_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            parse_when("now", datetime(2026, 12, 1, 9, 0), BERLIN)

    def test_today_is_the_date_in_the_zone(self) -> None:
        # 23:30 UTC on 1 Dec is already 2 Dec 00:30 in Berlin but still 1 Dec in New York.
        late = utc(2026, 12, 1, 23, 30)
        assert parse_when("today 10:00", late, BERLIN) == utc(2026, 12, 2, 9, 0)
        assert parse_when("10:00", late, NEW_YORK) == utc(2026, 12, 1, 15, 0)
        assert parse_when("tomorrow 10:00", late, BERLIN) == utc(2026, 12, 3, 9, 0)

    def test_relative_drops_the_seconds_of_now(self) -> None:
        # What is shown is to the minute: a booking made with +45m must end where
        # the next one, typed as that shown minute, may start.
        moment = datetime(2026, 12, 1, 9, 0, 59, 999_999, tzinfo=UTC)
        assert parse_when("+45m", moment, BERLIN) == utc(2026, 12, 1, 9, 45)
        assert parse_when("+1m", moment, BERLIN) > moment
        assert parse_when("now", moment, BERLIN) == moment

    def test_relative_is_exact_elapsed_time_across_dst(self) -> None:
        before_change = utc(2026, 3, 28, 12, 0)  # 13:00 CET
        result = parse_when("+1d", before_change, BERLIN)
        assert result - before_change == timedelta(hours=24)
        assert result.astimezone(BERLIN).hour == 14  # the clocks moved, elapsed time did not


class TestParseWhenWeekdays:
    @pytest.mark.parametrize(
        ("text", "expected_day"),
        [
            ("wed 10:00", 2),  # tomorrow
            ("thu 10:00", 3),
            ("sun 10:00", 6),
            ("mon 10:00", 7),
            ("tue 10:00", 8),  # today is Tuesday: a week on, never today
            ("Tuesday 23:00", 8),
            ("MONDAY 10:00", 7),
            ("wednesday 10:00", 2),
            ("thursday 10:00", 3),
            ("friday 10:00", 4),
            ("fri 10:00", 4),
            ("saturday 10:00", 5),
            ("sat 10:00", 5),
            ("sunday 10:00", 6),
        ],
    )
    def test_next_weekday_after_today(self, text: str, expected_day: int) -> None:
        result = parse_when(text, NOW, BERLIN).astimezone(BERLIN)
        assert (result.year, result.month, result.day) == (2026, 12, expected_day)
        assert WEEKDAYS[result.weekday()].startswith(text.split()[0].lower())

    def test_today_is_never_meant_even_later_today(self) -> None:
        # It is 10:00 on Tuesday; "tue 23:00" is next Tuesday, "today 23:00" is today.
        assert parse_when("tue 23:00", NOW, BERLIN) == utc(2026, 12, 8, 22, 0)
        assert parse_when("today 23:00", NOW, BERLIN) == utc(2026, 12, 1, 22, 0)

    def test_weekday_uses_the_local_date(self) -> None:
        # 23:30 UTC Tuesday is 00:30 Wednesday in Berlin, so "wed" means the next week.
        late = utc(2026, 12, 1, 23, 30)
        assert parse_when("wed 10:00", late, BERLIN) == utc(2026, 12, 9, 9, 0)
        assert parse_when("wed 10:00", late, NEW_YORK) == utc(2026, 12, 2, 15, 0)


class TestParseWhenDst:
    def test_gap_in_iso(self) -> None:
        with pytest.raises(ValidationError, match="2026-03-29 02:30 does not exist") as caught:
            parse_when("2026-03-29 02:30", NOW, BERLIN, field="end")
        assert caught.value.field == "end"

    def test_gap_via_tomorrow(self) -> None:
        saturday = utc(2026, 3, 28, 12, 0)
        with pytest.raises(ValidationError, match="does not exist in Europe/Berlin"):
            parse_when("tomorrow 2:30", saturday, BERLIN)
        with pytest.raises(ValidationError, match="does not exist in America/New_York"):
            parse_when("sun 2:30", utc(2026, 3, 5, 12, 0), NEW_YORK)

    def test_fold_in_iso(self) -> None:
        with pytest.raises(ValidationError, match="2026-10-25 02:30 is ambiguous"):
            parse_when("2026-10-25 02:30", NOW, BERLIN)

    def test_fold_resolved_by_offset(self) -> None:
        first = parse_when("2026-10-25T02:30+02:00", NOW, BERLIN)
        second = parse_when("2026-10-25T02:30+01:00", NOW, BERLIN)
        assert second - first == timedelta(hours=1)
        assert first == utc(2026, 10, 25, 0, 30)

    def test_fold_in_new_york(self) -> None:
        with pytest.raises(ValidationError, match="ambiguous in America/New_York"):
            parse_when("today 1:30", utc(2026, 11, 1, 12, 0), NEW_YORK)

    def test_offset_inside_a_gap_is_an_instant(self) -> None:
        # With an offset there is nothing to guess, even if the wall time is in a gap.
        assert parse_when("2026-03-29T02:30+01:00", NOW, BERLIN) == utc(2026, 3, 29, 1, 30)


class TestParseWhenBadInput:
    @pytest.mark.parametrize(
        ("text", "fragment"),
        [
            ("", "no time given"),
            ("   ", "no time given"),
            ("25:00", "hour 25 is out of range (0-23)"),
            ("24:00", "24:00 is not accepted"),
            ("today 24:00", "24:00 is not accepted"),
            ("24:30", "hour 24 is out of range"),
            ("13:60", "minute 60 is out of range (00-59)"),
            ("2026-12-01 13:60", "minute 60 is out of range"),
            ("2026-12-01 14:00:60", "second 60 is out of range"),
            ("tomorrow", "has no time of day"),
            ("today", "has no time of day"),
            ("mon", "has no time of day"),
            ("Friday", "has no time of day"),
            ("2026-12-01", "has no time of day"),
            ("2026-12-01T", "has no time of day"),
            ("+0m", "is zero"),
            ("+0h0m", "is zero"),
            ("+5x", "as a time from now"),
            ("+", "as a time from now"),
            ("+1h30", "as a time from now"),
            ("+-5m", "as a time from now"),
            ("+0.01h", "not a whole number of minutes"),
            ("+99999999d", "ends out of the supported range"),
            ("+3000000d", "ends out of the supported range of dates (the years 1 to 9997)"),
            ("-45m", "accepted forms"),
            ("garbage", "accepted forms"),
            ("funday 10:00", "accepted forms"),
            ("14:00 tomorrow", "accepted forms"),
            ("next mon 10:00", "accepted forms"),
            ("9am", "accepted forms"),
            ("14", "accepted forms"),
            ("14:0", "accepted forms"),
            ("1400", "accepted forms"),
            ("2026-12-01 14:00 +01:00", "accepted forms"),
            ("2026-12-1 14:00", "accepted forms"),
            ("\u0661\u0664:\u0660\u0660", "accepted forms"),  # Arabic-Indic digits
            ("2026-02-30 10:00", "2026-02-30 is not a real date"),
            ("0000-01-01 10:00", "is not a real date"),
            ("2026-12-01T14:00+24:00", "offset +24:00 is out of range"),
            ("2026-12-01T14:00+01:60", "is out of range"),
            ("9999-12-31T23:00-05:00", "out of the supported range"),
            ("9998-01-01 01:00", "out of the supported range"),  # 00:00 UTC: the first refused
            ("9999-06-01 10:00", "out of the supported range"),
        ],
    )
    def test_rejected(self, text: str, fragment: str) -> None:
        with pytest.raises(ValidationError) as caught:
            parse_when(text, NOW, BERLIN, field="start")
        assert caught.value.field == "start"
        assert fragment in caught.value.message
        if text.strip():
            assert repr(text.strip()) in caught.value.message

    def test_the_last_supported_minute_still_reads(self) -> None:
        assert parse_when("9998-01-01 00:59", NOW, BERLIN, field="start") == datetime(
            9997, 12, 31, 23, 59, tzinfo=UTC
        )
        assert parse_instant("9997-12-31T23:59Z") == datetime(9997, 12, 31, 23, 59, tzinfo=UTC)
        with pytest.raises(ValidationError, match="out of the supported range") as caught:
            parse_instant("9998-01-01T00:00Z", field="end_time")
        assert caught.value.field == "end_time"

    def test_a_length_that_ends_past_the_supported_dates_is_refused(self) -> None:
        late = datetime(9997, 12, 31, 23, 0, tzinfo=UTC)
        assert add_length(late, timedelta(minutes=59), "59m", "end") == datetime(
            9997, 12, 31, 23, 59, tzinfo=UTC
        )
        for length in (timedelta(hours=1), timedelta(days=999_999_999)):
            with pytest.raises(ValidationError, match="ends out of the supported range") as caught:
                add_length(late, length, "1h", "end")
            assert caught.value.field == "end"

    def test_generic_error_lists_the_forms(self) -> None:
        with pytest.raises(ValidationError) as caught:
            parse_when("garbage", NOW, BERLIN)
        for form in ("2026-12-01 14:00", "now", "today 14:00", "tomorrow 9:30", "mon 10:00"):
            assert form in caught.value.message
        assert "+45m" in caught.value.message


# --- parse_duration ----------------------------------------------------------


class TestParseDuration:
    @pytest.mark.parametrize(
        ("text", "minutes"),
        [
            ("90m", 90),
            ("45min", 45),
            ("45 mins", 45),
            ("10 minutes", 10),
            ("1 minute", 1),
            ("1h", 60),
            ("2hr", 120),
            ("2hrs", 120),
            ("1 hour", 60),
            ("3 hours", 180),
            ("1h30m", 90),
            ("1h 30m", 90),
            ("1hr30min", 90),
            ("1.5h", 90),
            ("0.25h", 15),
            ("1.5d", 36 * 60),
            ("1d", 24 * 60),
            ("2 days", 48 * 60),
            ("1d2h", 26 * 60),
            ("1d2h3m", 26 * 60 + 3),
            ("1:30", 90),
            ("0:45", 45),
            ("25:00", 25 * 60),
            ("  1H30M ", 90),
        ],
    )
    def test_accepted(self, text: str, minutes: int) -> None:
        assert parse_duration(text) == timedelta(minutes=minutes)

    @pytest.mark.parametrize(
        ("text", "fragment"),
        [
            ("", "no duration given"),
            ("1x", "accepted forms"),
            ("h", "accepted forms"),
            ("m", "accepted forms"),
            ("2h15", "every number needs a unit"),
            ("90", "every number needs a unit"),
            ("30m1h", "accepted forms"),
            ("1h1h", "accepted forms"),
            ("1.5.5h", "accepted forms"),
            (".5h", "accepted forms"),
            ("1 month", "accepted forms"),
            ("1:3", "accepted forms"),
            ("1:60", "minute 60 is out of range"),
            ("0m", "is zero"),
            ("0:00", "is zero"),
            ("0h0m", "is zero"),
            ("-1h", "is negative"),
            ("0.01h", "not a whole number of minutes"),
            ("1.5m", "not a whole number of minutes"),
            ("99999999999d", "too long"),
            ("\u0661h", "accepted forms"),  # Arabic-Indic digit
        ],
    )
    def test_rejected(self, text: str, fragment: str) -> None:
        with pytest.raises(ValidationError) as caught:
            parse_duration(text, field="length")
        assert caught.value.field == "length"
        assert fragment in caught.value.message
        if text:
            assert repr(text) in caught.value.message

    def test_default_field(self) -> None:
        with pytest.raises(ValidationError) as caught:
            parse_duration("1x")
        assert caught.value.field == "duration"


# --- parse_instant -----------------------------------------------------------


class TestParseInstant:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2026-12-01T14:00:00Z", utc(2026, 12, 1, 14, 0)),
            ("2026-12-01T14:00:00+01:00", utc(2026, 12, 1, 13, 0)),
            ("2026-12-01T14:00:00-05:00", utc(2026, 12, 1, 19, 0)),
            ("2026-12-01T14:00:00.123456+00:00", utc(2026, 12, 1, 14, 0, 0, 123_456)),
            ("2026-12-01T14:00:00.123Z", utc(2026, 12, 1, 14, 0, 0, 123_000)),
            ("2026-12-01T14:00", utc(2026, 12, 1, 14, 0)),
            ("2026-12-01 14:00:00", utc(2026, 12, 1, 14, 0)),
            # No zone is involved, so DST gaps do not apply.
            ("2026-03-29T02:30:00", utc(2026, 3, 29, 2, 30)),
        ],
    )
    def test_accepted(self, text: str, expected: datetime) -> None:
        result = parse_instant(text)
        assert result == expected
        assert result.tzinfo is UTC

    @pytest.mark.parametrize(
        "text", ["", "now", "tomorrow 9:30", "14:00", "2026-12-01", "+45m", "2026-13-01T00:00Z"]
    )
    def test_rejected(self, text: str) -> None:
        with pytest.raises(ValidationError) as caught:
            parse_instant(text, field="start")
        assert caught.value.field == "start"
        assert repr(text) in caught.value.message

    def test_rejected_message_names_the_form(self) -> None:
        with pytest.raises(ValidationError, match="ISO 8601") as caught:
            parse_instant("soon")
        assert caught.value.field == "time"

    @given(
        instant=st.datetimes(
            min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        ),
        offset_minutes=st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
    )
    def test_isoformat_round_trip(self, instant: datetime, offset_minutes: int) -> None:
        shown = instant.astimezone(timezone(timedelta(minutes=offset_minutes)))
        assert parse_instant(shown.isoformat()) == instant


# --- the wire's wall times, dates and times of day --------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-01T09:00", datetime(2027, 3, 1, 9, 0)),
        (" 2027-03-28 02:30:15 ", datetime(2027, 3, 28, 2, 30, 15)),
        ("2027-03-01T09:00+01:00", utc(2027, 3, 1, 8, 0)),
        ("2027-03-01T09:00Z", utc(2027, 3, 1, 9, 0)),
    ],
)
def test_a_wall_time_stays_naive_without_an_offset(text: str, expected: datetime) -> None:
    parsed = parse_wall_time(text)
    assert parsed == expected
    assert parsed.tzinfo is expected.tzinfo


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-03-01", "cannot read '2027-03-01' as a time"),
        ("tomorrow 9:00", "cannot read"),
        ("2027-02-30T09:00", "2027-02-30 is not a real date"),
        ("2027-03-01T24:00", "24:00 is not accepted"),
        ("9999-12-31T23:00-05:00", "out of the supported range"),
    ],
)
def test_a_wall_time_refused(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        parse_wall_time(text, "start")
    assert caught.value.field == "start"


def test_a_date_for_the_wire() -> None:
    assert parse_date(" 2027-06-01 ", "until") == date(2027, 6, 1)
    for text, message in (
        ("2027-6-1", "cannot read '2027-6-1' as a date"),
        ("20270601", "give YYYY-MM-DD"),
        ("2027-02-29", "is not a real date"),
    ):
        with pytest.raises(ValidationError, match=message) as refused:
            parse_date(text, "until")
        assert refused.value.field == "until"
    # A retime's time of day carries no offset either.
    for text in ("09:30:00", "09:30+01:00"):
        with pytest.raises(ValidationError, match="give HH:MM"):
            parse_clock(text, "start_time")


# --- formatting --------------------------------------------------------------


# --- round trips through display ------------------------------------------


@given(minutes=st.integers(min_value=1, max_value=10_000 * 24 * 60))
def test_duration_round_trip(minutes: int) -> None:
    delta = timedelta(minutes=minutes)
    assert parse_duration(format_duration(delta)) == delta


@given(
    days=st.integers(min_value=0, max_value=400),
    hours=st.integers(min_value=0, max_value=23),
    minutes=st.integers(min_value=0, max_value=59),
)
def test_duration_text_round_trip(days: int, hours: int, minutes: int) -> None:
    text = "".join(
        f"{count}{unit}" for count, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if count
    )
    if not text:
        return
    assert format_duration(parse_duration(text)) == text


@given(minutes=st.integers(min_value=1, max_value=100 * 24 * 60))
def test_relative_time_matches_the_duration(minutes: int) -> None:
    text = format_duration(timedelta(minutes=minutes))
    assert parse_when(f"+{text}", NOW, BERLIN) == NOW + parse_duration(text)


class TestParseDay:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("today", date(2026, 12, 1)),
            (" Tomorrow ", date(2026, 12, 2)),
            ("wed", date(2026, 12, 2)),
            ("monday", date(2026, 12, 7)),
            ("2027-03-28", date(2027, 3, 28)),  # the clocks go forward that night
        ],
    )
    def test_forms(self, text: str, expected: date) -> None:
        assert parse_day(text, NOW, BERLIN) == expected

    @pytest.mark.parametrize("text", ["tomorow", "monkey", "2026-12-1", "2026-12-01t", "10:00", ""])
    def test_what_is_no_day_is_said_so(self, text: str) -> None:
        with pytest.raises(ValidationError, match="cannot read the day") as caught:
            parse_day(text, NOW, BERLIN, field="from")
        assert caught.value.field == "from"

    def test_a_day_that_does_not_exist_is_the_parser_s_to_name(self) -> None:
        check_day("2026-02-30")
        with pytest.raises(ValidationError, match="2026-02-30 is not a real date"):
            parse_day("2026-02-30", NOW, BERLIN)


class TestParseClock:
    @pytest.mark.parametrize(
        ("text", "expected"), [("09:30", time(9, 30)), (" 9:05 ", time(9, 5)), ("0:00", time(0))]
    )
    def test_forms(self, text: str, expected: time) -> None:
        assert parse_clock(text) == expected

    @pytest.mark.parametrize(
        ("text", "says"),
        [
            ("24:00", "24:00 is not accepted"),
            ("25:00", "hour 25 is out of range"),
            ("9:60", "minute 60 is out of range"),
            ("noon", "give HH:MM"),
            ("tomorrow 9:30", "give HH:MM"),
            ("", "give HH:MM"),
        ],
    )
    def test_what_is_no_time_of_day_is_said_so(self, text: str, says: str) -> None:
        with pytest.raises(ValidationError, match=says) as caught:
            parse_clock(text, field="start")
        assert caught.value.field == "start"


class TestParseEnd:
    """A bare time of day ends at the first such time after the start."""

    START = utc(2026, 12, 1, 22, 0)  # 23:00 in Berlin

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("23:30", utc(2026, 12, 1, 22, 30)),  # later the same evening
            ("01:00", utc(2026, 12, 2, 0, 0)),  # after midnight: two hours
            ("0:00", utc(2026, 12, 1, 23, 0)),  # midnight itself
            ("23:00", utc(2026, 12, 2, 22, 0)),  # the start's own time: a day later
            ("2026-12-02 01:00", utc(2026, 12, 2, 0, 0)),
            ("tomorrow 01:00", utc(2026, 12, 2, 0, 0)),
        ],
    )
    def test_forms(self, text: str, expected: datetime) -> None:
        assert parse_end(text, self.START, NOW, BERLIN) == expected

    def test_a_morning_end_on_a_morning_start_is_the_same_day(self) -> None:
        start = utc(2026, 12, 2, 8, 0)  # 09:00 in Berlin
        assert parse_end("10:30", start, NOW, BERLIN) == utc(2026, 12, 2, 9, 30)

    def test_the_next_day_is_counted_in_local_time_across_dst(self) -> None:
        start = utc(2027, 3, 27, 22, 0)  # 23:00 CET; the clocks go forward at 02:00
        end = parse_end("04:00", start, NOW, BERLIN)
        assert end == utc(2027, 3, 28, 2, 0)  # 04:00 CEST: four wall hours, three real

    def test_a_next_day_time_in_a_gap_is_refused(self) -> None:
        start = utc(2027, 3, 27, 22, 0)
        with pytest.raises(ValidationError, match="does not exist") as caught:
            parse_end("02:30", start, NOW, BERLIN)
        assert caught.value.field == "end"

    @pytest.mark.parametrize("text", ["2026-12-01 22:00", "today 23:00", "+30m"])
    def test_an_end_with_a_date_not_after_the_start_is_refused(self, text: str) -> None:
        with pytest.raises(ValidationError, match="is not after the start") as caught:
            parse_end(text, self.START, NOW, BERLIN, field="free_until")
        assert caught.value.field == "free_until"
        assert "2026-12-01 23:00" in caught.value.message

    def test_a_bad_clock_is_the_parser_s_to_name(self) -> None:
        with pytest.raises(ValidationError, match="hour 25 is out of range"):
            parse_end("25:00", self.START, NOW, BERLIN)
