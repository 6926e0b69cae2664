"""The SQLAlchemy models. Times are stored in UTC; see `UTCDateTime`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from reserver_core.errors import NotFoundError
from reserver_core.schemas import HOLDING_STATUSES

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC and always read back as an aware UTC datetime.

    PostgreSQL keeps it as `timestamptz` (the exclusion constraint needs that);
    SQLite and MySQL keep the naive UTC wall time, microseconds included.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            # Imported here: loading MySQL's dialect costs every SQLite user start-up time.
            from sqlalchemy.dialects import mysql

            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware times")
        value = value.astimezone(UTC)
        if dialect.name == "postgresql":
            return value
        return value.replace(tzinfo=None)

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], datetime | None] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        # SQLite hands back the stored text: parse it in one C call rather than
        # SQLAlchemy's parser followed by `process_result_value` (a third of the
        # time of listing 10,000 resources went there).
        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            return datetime.fromisoformat(value).replace(tzinfo=UTC)

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactString(TypeDecorator[str]):
    """Text compared code point by code point on every database.

    MySQL's default collations fold accents ("cafe" = "café") while SQLite and
    PostgreSQL do not; a key the core has already folded must be compared as is.
    """

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            from sqlalchemy.dialects import mysql

            return dialect.type_descriptor(
                mysql.VARCHAR(self.length, charset="utf8mb4", collation="utf8mb4_bin")
            )
        return dialect.type_descriptor(String(self.length))


MAX_ID = 2**31 - 1
"""The largest id every store can hold (a 32-bit integer column on PostgreSQL)."""


def check_id(value: int, what: str) -> int:
    """`value`, when a store can hold it as an id; else NotFoundError, as no row has it."""
    if not 1 <= value <= MAX_ID:
        raise NotFoundError(f"{what} {value} not found")
    return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


RowT = TypeVar("RowT", bound=Base)


def row_by_id(
    session: Session, model: type[RowT], row_id: int, what: str, lock: bool = False
) -> RowT:
    """The row of `model` with `row_id`, locked for update when asked; NotFoundError naming
    `what` when absent."""
    found = session.get(model, row_id, with_for_update=True if lock else None)
    if found is None:
        raise NotFoundError(f"{what} {row_id} not found")
    return found


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(10), default="member")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("role IN ('admin', 'member')", name="role"),)


class Resource(Base):
    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(ExactString(200), unique=True)
    """The name normalized and case-folded by the core: what uniqueness is checked on."""
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    unavailable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    maintenance_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    maintenance_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    auto_reset_hours: Mapped[int] = mapped_column(Integer, default=8)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    tags: Mapped[list[ResourceTag]] = relationship(
        cascade="all, delete-orphan", order_by="ResourceTag.position"
    )

    __table_args__ = (
        CheckConstraint("auto_reset_hours BETWEEN 1 AND 168", name="auto_reset_hours"),
    )


class ResourceTag(Base):
    __tablename__ = "resource_tags"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(ExactString(50), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_resource_tags_tag", "tag"),
        # Covering, in display order: every listing reads the tags this way.
        Index("ix_resource_tags_resource_position", "resource_id", "position", "tag"),
    )


class Series(Base):
    """A recurring booking: its rule in local wall time, and the reservations it made (each
    occurrence is an ordinary reservation carrying `series_id`).

    `start_local` is the first occurrence's naive wall time in `timezone` (ISO text, so no
    database moves it to another zone). The rule (`schemas.SeriesRule`) is `frequency`,
    `every_n`, `on_days` (its canonical `on`), and `date_count` or `last_day` (`count`,
    `until`), named so that no database reads a keyword."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    start_local: Mapped[str] = mapped_column(String(16))
    length_minutes: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[str] = mapped_column(String(10))
    every_n: Mapped[int] = mapped_column(Integer, default=1)
    on_days: Mapped[str] = mapped_column(String(40), default="", server_default="")
    date_count: Mapped[int | None] = mapped_column(Integer)
    last_day: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancellation_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        CheckConstraint("frequency IN ('daily', 'weekly', 'monthly')", name="frequency"),
        CheckConstraint("every_n > 0 AND length_minutes > 0", name="positive"),
    )


class Reservation(Base):
    __tablename__ = "reservations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    start_time: Mapped[datetime] = mapped_column(UTCDateTime)
    end_time: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decide_by: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    """When a `pending` request or an `offered` slot lapses unless answered."""
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancellation_reason: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    """The owner's short word on what the booking is for."""
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)
    """The series this reservation is an occurrence of, if any."""

    __table_args__ = (
        CheckConstraint("end_time > start_time", name="window"),
        CheckConstraint(
            "status IN ('active', 'pending', 'offered', 'cancelled', 'expired', 'rejected',"
            " 'declined')",
            name="status",
        ),
        # Covering: overlap, "in use now" and expiry queries never touch the table.
        # The migrations make the first two partial where the database can (SQLite,
        # PostgreSQL: only the rows that hold their slot), so they stay small and hot
        # however long the history grows. The condition is not repeated here: a
        # `postgresql_where` would load the PostgreSQL dialect in every process,
        # slowing each CLI start, and Alembic does not compare index conditions
        # (tests/core/test_migrations.py checks them in the database instead).
        # The status comes last: three statuses hold a slot, and a status before the times
        # would split each resource's rows into three ranges no longer ordered by time.
        Index(
            "ix_reservations_holding_window",
            "resource_id",
            "end_time",
            "start_time",
            "status",
        ),
        Index(
            "ix_reservations_holding_start",
            "start_time",
            "end_time",
            "resource_id",
            "status",
        ),
        Index("ix_reservations_user_start", "user_id", "start_time"),
        # Covering, for a user's allowances: what they hold from an instant on.
        Index(
            "ix_reservations_user_end",
            "user_id",
            "end_time",
            "start_time",
            "status",
            "resource_id",
        ),
    )


HOLDING_SQL = "status IN ('active', 'pending', 'offered')"
"""`HOLDS_SLOT` as SQL text: the condition of the partial indexes and of PostgreSQL's
exclusion constraint (the migrations write it; tests/core/test_migrations.py checks it)."""

HOLDS_SLOT = Reservation.status.in_([literal_column(f"'{status}'") for status in HOLDING_STATUSES])
"""The reservation holds its slot: the one definition every clash check, free-slot search
and allowance count uses. The values are written into the SQL, not bound: PostgreSQL can
then prove that a query fits the partial indexes even in a generic plan."""


class ReservationEvent(Base):
    __tablename__ = "reservation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reservation_id: Mapped[int] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """None when the system acted (expiry)."""
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[str] = mapped_column(Text, default="")


class RateCounter(Base):
    """How often one subject did one thing (failed a login, registered) within a window.

    One row per key (e.g. a username at an address), locked while it is counted,
    so that parallel attempts are counted one after another. Kept in the
    database so that every server replica sees the same count.
    """

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class IdempotencyKey(Base):
    """A booking request's key, so that a retried request returns the first booking."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Policy(Base):
    """One scope's booking policy: the fields an admin set there (None = unset).

    `scope` is `resource`, `tag` or `default`; `scope_key` the resource's id in
    decimal, the tag, or "" for the default. `hours` holds the canonical spec
    (`policy.parse_hours`), `closed` a JSON list of closures in local wall time.
    """

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    scope_key: Mapped[str] = mapped_column(ExactString(60))
    timezone: Mapped[str | None] = mapped_column(String(64))
    hours: Mapped[str | None] = mapped_column(Text)
    closed: Mapped[str] = mapped_column(Text, default="", server_default="")
    min_length_minutes: Mapped[int | None] = mapped_column(Integer)
    max_length_minutes: Mapped[int | None] = mapped_column(Integer)
    min_notice_minutes: Mapped[int | None] = mapped_column(Integer)
    max_advance_minutes: Mapped[int | None] = mapped_column(Integer)
    max_active: Mapped[int | None] = mapped_column(Integer)
    max_minutes_per_week: Mapped[int | None] = mapped_column(Integer)
    approval: Mapped[bool | None] = mapped_column(Boolean)
    """True: a member's booking waits, `pending`, for an approver's yes."""
    approvers: Mapped[str | None] = mapped_column(Text)
    """The usernames who may approve, comma-separated (admins always may)."""
    approval_timeout_minutes: Mapped[int | None] = mapped_column(Integer)
    offer_hold_minutes: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("scope", "scope_key", name="uq_policies_scope_key"),
        CheckConstraint("scope IN ('resource', 'tag', 'default')", name="scope"),
        CheckConstraint(
            "(min_length_minutes IS NULL OR min_length_minutes > 0)"
            " AND (max_length_minutes IS NULL OR max_length_minutes > 0)"
            " AND (min_notice_minutes IS NULL OR min_notice_minutes > 0)"
            " AND (max_advance_minutes IS NULL OR max_advance_minutes > 0)"
            " AND (max_active IS NULL OR max_active > 0)"
            " AND (max_minutes_per_week IS NULL OR max_minutes_per_week > 0)",
            name="positive_limits",
        ),
    )


class WaitlistEntry(Base):
    """Someone waiting for a window of a resource that is taken, in line by `id`.

    `flexible_minutes`: the booking may start that much earlier or later, at the same
    length. `status`: `waiting`, `offered` (the reservation `offer_id` holds the slot for
    them), `booked` (they took it), `declined`, `lapsed` (an offer went unanswered),
    `left`, or `expired` (the window passed)."""

    __tablename__ = "waitlist"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime)
    end_time: Mapped[datetime] = mapped_column(UTCDateTime)
    flexible_minutes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"))
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("end_time > start_time", name="window"),
        CheckConstraint(
            "status IN ('waiting', 'offered', 'booked', 'declined', 'lapsed', 'left', 'expired')",
            name="status",
        ),
        Index("ix_waitlist_resource_status", "resource_id", "status", "id"),
    )


class Notice(Base):
    """One line of a user's inbox, written in the transaction of the change it tells of.

    `kind` names the change (`cancelled`, `moved`, `at_risk`, `approved`, `rejected`,
    `request`, `offer`, `request_expired`, `offer_expired`, `series`); `reservation_id`
    and `series_id` what it is about; `deadline` when an offer or request must be
    answered."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_notices_user_read", "user_id", "read_at", "id"),)
