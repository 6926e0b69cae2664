"""Recurring series: booking one (or previewing it), listing, reading, cancelling and
retiming.

The rules (how many dates, how far ahead, what each field may hold) are the core's,
refused there with the same words as in local mode; these models only read the JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from starlette.responses import Response

from reserver_core.schemas import SeriesInfo, SeriesOutcome, SeriesRequest, SeriesRule
from reserver_core.timeparse import parse_clock, parse_date, parse_instant, parse_wall_time
from server.deps import Id, Instant, MemberBackend, Text, on_workers
from server.errors import ErrorBody
from server.responses import json_response

router = APIRouter(tags=["series"])

REFUSED: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorBody,
        "description": "Refused as a whole (code `series`), nothing written: `occurrences` "
        "lists every date with its state, and why each bad one cannot be booked",
    },
    422: {
        "model": ErrorBody,
        "description": "A bad rule or input: `field` names it, and nothing is written",
    },
}


class NewSeries(BaseModel):
    """A recurring booking: the first occurrence at `start`, each lasting `length_minutes`,
    repeating by `repeat`, `every`, `on`, and ending after `count` dates or on `until`
    (one of them). At most 366 dates, reaching at most 2 years ahead."""

    # A misspelt `skip_conflicts` or `count` must not be dropped and the series booked
    # on other terms than asked.
    model_config = ConfigDict(extra="forbid")

    resource_id: StrictInt
    start: Text = Field(
        description="The first occurrence, ISO 8601: without an offset (2027-03-01T09:00) "
        "the wall time in `timezone`, kept across daylight-saving changes; with one, that "
        "instant, whose wall time in `timezone` the series keeps",
        examples=["2027-03-01T09:00"],
    )
    timezone: Text = Field(description="An IANA zone", examples=["Europe/Berlin"])
    length_minutes: StrictInt = Field(description="How long each occurrence lasts, > 0")
    repeat: Text = Field(description="daily, weekly or monthly")
    every: StrictInt = Field(1, description="Every N days, weeks or months: 1-99")
    on: Text | None = Field(
        None,
        description='weekly: weekdays, e.g. "mon,wed"; monthly: a day of the month ("31"; '
        'a month without it is skipped) or a weekday of the month ("2nd tue", "last fri"); '
        '"" or null: the start\'s weekday or day (and always so for daily)',
    )
    count: StrictInt | None = Field(
        None, description="How many dates (1-366; a monthly count counts months)"
    )
    until: Text | None = Field(
        None,
        description="The last day a date may fall on, YYYY-MM-DD",
        json_schema_extra={"format": "date"},
    )
    note: Text = Field("", description="What the series is for: one line, at most 500 characters")
    skip_conflicts: StrictBool = Field(
        False, description="Book the dates that can be booked and list the others as left out"
    )
    dry_run: StrictBool = Field(False, description="Preview every date; book nothing")


class SeriesCancellation(BaseModel):
    """Which occurrences to cancel: every upcoming one, or those from `from` on."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_time: Instant | None = Field(
        None,
        alias="from",
        description="Cancel this and every later occurrence: those starting at or after "
        "this time (an offset is honoured, none means UTC); null: the whole series",
    )
    reason: Text | None = Field(None, description="Why; kept in each occurrence's history")


class SeriesRetime(BaseModel):
    """A new local time of day (and length) for every future occurrence."""

    model_config = ConfigDict(extra="forbid")

    start_time: Text = Field(
        description="HH:MM, the wall time in the series' zone on each occurrence's own date"
    )
    length_minutes: StrictInt | None = Field(None, description="A new length, > 0; null: keep")
    dry_run: StrictBool = Field(False, description="Preview the moves; change nothing")


def _request(body: NewSeries) -> SeriesRequest:
    until = None if body.until is None else parse_date(body.until, "until")
    rule = SeriesRule(body.repeat, body.every, body.on or "", body.count, until)  # type: ignore[arg-type]
    return SeriesRequest(
        resource_id=body.resource_id,
        start=parse_wall_time(body.start, "start"),
        timezone=body.timezone,
        length_minutes=body.length_minutes,
        rule=rule,
        note=body.note,
    )


@router.post(
    "/reservations/series",
    response_model=SeriesOutcome,
    status_code=201,
    responses={
        200: {"model": SeriesOutcome, "description": "A dry run: the preview, nothing booked"},
        **REFUSED,
    },
)
@on_workers
def book_series(body: NewSeries, backend: MemberBackend) -> Response:
    """Book every date of a recurring series in one transaction, each occurrence an
    ordinary reservation; all or nothing unless `skip_conflicts`. A `dry_run` answers
    200 with every date and its state (free, clash, refused, skipped) and books nothing."""
    request = _request(body)
    done = backend.book_series(request, skip_conflicts=body.skip_conflicts, dry_run=body.dry_run)
    return json_response(done, 200 if body.dry_run else 201)


@router.get("/series", response_model=list[SeriesInfo])
@on_workers
def list_series(
    backend: MemberBackend,
    everyone: Annotated[
        bool, Query(alias="all", description="Admin: everyone's series, not only yours")
    ] = False,
) -> Response:
    """Your series (an admin's `all=true`: everyone's), newest first, with their occurrences."""
    return json_response(backend.list_series(everyone))


@router.get("/series/{series_id}", response_model=SeriesInfo)
@on_workers
def get_series(series_id: Id, backend: MemberBackend) -> Response:
    """One series with its occurrences (every status); its owner or an admin only."""
    return json_response(backend.get_series(series_id))


@router.post("/series/{series_id}/cancel", response_model=SeriesInfo)
@on_workers
def cancel_series(
    series_id: Id,
    backend: MemberBackend,
    body: Annotated[SeriesCancellation | None, Body()] = None,
) -> Response:
    """Cancel the series' upcoming occurrences, or this and every later one (`from`); the
    reason goes in each one's history. 400 when none is left to cancel."""
    start = None
    if body is not None and body.from_time is not None:
        start = parse_instant(body.from_time, "from")
    reason = body.reason if body is not None else None
    return json_response(backend.cancel_series(series_id, start, reason))


@router.patch("/series/{series_id}", response_model=SeriesOutcome, responses=REFUSED)
@on_workers
def retime_series(series_id: Id, body: SeriesRetime, backend: MemberBackend) -> Response:
    """Move every future occurrence to `start_time` on its own local date (and to
    `length_minutes`), all or nothing; a `dry_run` previews the moves. Its owner or an
    admin only."""
    clock = parse_clock(body.start_time, "start_time")
    done = backend.retime_series(series_id, clock, body.length_minutes, dry_run=body.dry_run)
    return json_response(done)
