"""`reserver policy ...`: the booking rules of a resource, a tag or the whole store.

A rule left unset on a resource falls through to its tags (in the order the
resource lists them), then to the store's default policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reserver_cli.command_group import command_group
from reserver_cli.context import CliContext
from reserver_core.errors import ValidationError

if TYPE_CHECKING:
    from reserver_core.schemas import PolicyInfo, PolicyScope

app = command_group(
    "policy",
    "Booking rules: hours, closures, limits, approval.",
)

ResourceOption = Annotated[
    str | None,
    typer.Option(
        "--resource",
        "-r",
        metavar="RESOURCE",
        help="The policy of this resource (id or name, or its first letters).",
    ),
]
TagOption = Annotated[
    str | None,
    typer.Option("--tag", "-t", metavar="TAG", help="The policy of every resource with this tag."),
]
DefaultOption = Annotated[
    bool,
    typer.Option("--default", help="The store's default policy, under every tag's and resource's."),
]

OPTIONS = {
    "timezone": "--timezone",
    "hours": "--hours",
    "closed": "--closed",
    "min_length_minutes": "--min-length",
    "max_length_minutes": "--max-length",
    "min_notice_minutes": "--min-notice",
    "max_advance_minutes": "--max-advance",
    "max_active": "--max-active",
    "max_hours_per_week": "--max-hours-per-week",
    "approval": "--approval",
    "approvers": "--approvers",
    "approval_timeout_minutes": "--approval-timeout",
    "offer_hold_minutes": "--offer-hold",
}
"""The option of each policy field (`schemas.POLICY_FIELDS`), in `set` and `clear`."""

_OPTION_OF_FIELD = OPTIONS | {
    "add_closed": "--closed",
    "min_length": "--min-length",
    "max_length": "--max-length",
    "min_notice": "--min-notice",
    "max_advance": "--max-advance",
    "approval_timeout": "--approval-timeout",
    "offer_hold": "--offer-hold",
}

APPROVAL_CHOICES = {"required": True, "none": False}
"""What --approval reads: a booking needs an approver's yes, or (overriding a broader
scope) it does not."""


def _scope(
    cli: CliContext, resource: str | None, tag: str | None, default: bool, *, also: str = ""
) -> PolicyScope:
    """The scope named by exactly one of --resource, --tag and --default."""
    from reserver_core.schemas import PolicyScope

    if (resource is not None) + (tag is not None) + default != 1:
        raise ValidationError(
            f"name whose policy: {also}--resource RESOURCE, --tag TAG or --default (one of them)",
            "scope",
        )
    if resource is not None:
        return PolicyScope("resource", resource_id=cli.backend.find_resource(resource).id)
    if tag is not None:
        return PolicyScope("tag", tag=tag)
    return PolicyScope("default")


@contextmanager
def _options_named() -> Iterator[None]:
    """Name the option typed, not the core's field, in a refusal of bad input."""
    try:
        yield
    except ValidationError as exc:
        field = exc.field or ""
        option = _OPTION_OF_FIELD.get(field)
        if option is None or exc.message.startswith(option):
            raise
        if exc.message.startswith(f"{field} "):
            # "max_active is a number ..." reads "--max-active is a number ...".
            message = option + exc.message[len(field) :]
        else:
            message = f"{option}: {exc.message}"
        raise ValidationError(message, exc.field) from exc


def _minutes(text: str | None, field: str) -> int | None:
    from reserver_core.policy import read_minutes

    if text is None:
        return None
    with _options_named():
        return read_minutes(text, field)


def _approval(text: str | None) -> bool | None:
    if text is None:
        return None
    try:
        return APPROVAL_CHOICES[text.strip().lower()]
    except KeyError:
        raise ValidationError(f"--approval is required or none, not {text!r}", "approval") from None


def _approvers(text: str | None) -> list[str] | None:
    """The usernames of --approvers, comma-separated; "" names none (admins only)."""
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def _weekly_hours(text: str | None) -> float | None:
    from reserver_core.policy import read_week_hours

    if text is None:
        return None
    with _options_named():
        return read_week_hours(text)


@app.command("set")
def set_policy(
    ctx: typer.Context,
    resource: ResourceOption = None,
    tag: TagOption = None,
    default: DefaultOption = False,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            metavar="ZONE",
            help="The IANA zone its opening hours and closures are in, e.g. Europe/Berlin.",
        ),
    ] = None,
    hours: Annotated[
        str | None,
        typer.Option(
            "--hours",
            metavar="SPEC",
            help='Opening hours: "mon-fri 08:00-12:00,13:00-18:00; sat 10:00-14:00", '
            '"daily 07:00-22:00" or "always".',
        ),
    ] = None,
    closed: Annotated[
        list[str] | None,
        typer.Option(
            "--closed",
            metavar="SPEC",
            help='Add a closure: "2026-12-24..2026-12-26 holidays" (whole days) or '
            '"2026-12-31 14:00..18:00 early close" (repeat for more).',
        ),
    ] = None,
    min_length: Annotated[
        str | None,
        typer.Option("--min-length", metavar="LENGTH", help="The shortest booking: 30m, 1h."),
    ] = None,
    max_length: Annotated[
        str | None,
        typer.Option("--max-length", metavar="LENGTH", help="The longest booking: 4h, 1d."),
    ] = None,
    min_notice: Annotated[
        str | None,
        typer.Option(
            "--min-notice",
            metavar="LENGTH",
            help="How long before its start a booking must be made: 2h, 1d.",
        ),
    ] = None,
    max_advance: Annotated[
        str | None,
        typer.Option("--max-advance", metavar="LENGTH", help="How far ahead one may book: 30d."),
    ] = None,
    max_active: Annotated[
        int | None,
        typer.Option(
            "--max-active",
            metavar="N",
            help="Active bookings a person may hold at once, on all resources of the scope.",
        ),
    ] = None,
    max_hours_per_week: Annotated[
        str | None,
        typer.Option(
            "--max-hours-per-week",
            metavar="HOURS",
            help="Hours a person may book in any 7 days, on all resources of the scope: "
            "8, 7.5 or 7h30m.",
        ),
    ] = None,
    approval: Annotated[
        str | None,
        typer.Option(
            "--approval",
            metavar="required|none",
            help="required: a member's booking waits, holding its slot, for an approver's "
            "yes; none: it does not (over a tag's or the default's required).",
        ),
    ] = None,
    approvers: Annotated[
        str | None,
        typer.Option(
            "--approvers",
            metavar="USERS",
            help='Who may approve, besides admins: "carol,dave"; "" for admins only.',
        ),
    ] = None,
    approval_timeout: Annotated[
        str | None,
        typer.Option(
            "--approval-timeout",
            metavar="LENGTH",
            help="How long a request waits for a decision before it lapses (never past "
            "its start): 48h (the default), 2d.",
        ),
    ] = None,
    offer_hold: Annotated[
        str | None,
        typer.Option(
            "--offer-hold",
            metavar="LENGTH",
            help="How long a freed slot is held for the next in its waitlist to accept "
            "(never past its start): 30m (the default), 2h.",
        ),
    ] = None,
) -> None:
    """Admin: set rules of a resource's, a tag's or the default policy.

    Only the rules given change; --closed adds a closure to those there are
    (`reserver policy clear --closed` removes them all). Opening hours and
    closures are wall times in the policy's --timezone (from the next scope
    when not set here; UTC when none sets one). A tag's allowances count a
    person's bookings on all resources with that tag together. Everything is
    checked before anything is saved. Admins are exempt from allowances when
    they book for themselves; every other rule binds everyone.

    With --approval required, a member's booking is a request: it holds its
    slot while it waits for a yes from one of --approvers or an admin (who book
    without asking), and lapses after --approval-timeout. --offer-hold is how
    long a freed slot waits for the first in its waitlist to accept it.

    \b
    Examples:
      reserver policy set --tag gpu --timezone Europe/Berlin --hours "mon-fri 08:00-20:00"
      reserver policy set --tag gpu --max-active 3 --max-hours-per-week 8
      reserver policy set --resource "GPU-3" --min-notice 2h --max-advance 30d
      reserver policy set --default --closed "2026-12-24..2026-12-26 holidays"
      reserver policy set --default --min-length 30m --max-length 4h
      reserver policy set --resource Microscope --approval required --approvers carol,dave
      reserver policy set --tag gpu --approval-timeout 1d --offer-hold 1h
    """
    from reserver_core.schemas import PolicyChanges

    cli = CliContext.of(ctx)
    changes = PolicyChanges(
        timezone=timezone,
        hours=hours,
        add_closed=list(closed or []),
        min_length_minutes=_minutes(min_length, "min_length"),
        max_length_minutes=_minutes(max_length, "max_length"),
        min_notice_minutes=_minutes(min_notice, "min_notice"),
        max_advance_minutes=_minutes(max_advance, "max_advance"),
        max_active=max_active,
        max_hours_per_week=_weekly_hours(max_hours_per_week),
        approval=_approval(approval),
        approvers=_approvers(approvers),
        approval_timeout_minutes=_minutes(approval_timeout, "approval_timeout"),
        offer_hold_minutes=_minutes(offer_hold, "offer_hold"),
    )
    if changes == PolicyChanges():
        raise ValidationError(
            f"nothing to set: give one or more of {', '.join(OPTIONS.values())}", "fields"
        )
    scope = _scope(cli, resource, tag, default)
    with _options_named():
        saved = cli.backend.set_policy(scope, changes)
    if saved.scope.tag is not None and not cli.backend.search_resources(tags=[saved.scope.tag]):
        cli.output.warning(
            f"no resource has the tag {saved.scope.tag!r} yet: the policy applies to those "
            "that will"
        )

    def human() -> Any:
        from reserver_cli.tables import policy_facts

        return policy_facts(saved, f"{_title(saved)} now sets:", only_set=True)

    cli.output.result(saved, human)


@app.command("show")
def show(
    ctx: typer.Context,
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="[RESOURCE]",
            help="The resource whose rules to show, from every scope (id or name).",
        ),
    ] = None,
    resource: ResourceOption = None,
    tag: TagOption = None,
    default: DefaultOption = False,
) -> None:
    """Show the rules that apply to a resource, or what one scope sets.

    With RESOURCE: every rule that applies to it, where each comes from, and
    how much of each allowance you hold. With --resource, --tag or --default:
    only what that scope sets itself (a rule not set there falls through).
    Anyone may look.

    \b
    Examples:
      reserver policy show "GPU-3"
      reserver policy show "GPU-3" --json
      reserver policy show --tag gpu
      reserver policy show --default
    """
    cli = CliContext.of(ctx)
    if target is None:
        scope = _scope(cli, resource, tag, default, also="a RESOURCE, ")
        own = cli.backend.get_policy(scope)

        def human_own() -> Any:
            from reserver_cli.tables import policy_facts, sets_nothing

            if sets_nothing(own):
                return f"{_title(own)} sets no rule."
            return policy_facts(own, f"{_title(own)} sets:", only_set=False)

        cli.output.result(own, human_own)
        return
    if resource is not None or tag is not None or default:
        raise ValidationError(
            "give a RESOURCE (every rule that applies to it) or one of --resource, --tag and "
            "--default (what that scope sets), not both",
            "scope",
        )
    effective = cli.backend.resource_policy(cli.backend.find_resource(target).id)

    def human() -> Any:
        from reserver_cli.tables import effective_policy_facts

        return effective_policy_facts(effective, cli)

    cli.output.result(effective, human)


@app.command("list")
def list_policies(ctx: typer.Context) -> None:
    """List every scope that sets a rule: the default, tags and resources.

    \b
    Examples:
      reserver policy list
      reserver policy list --json
    """
    cli = CliContext.of(ctx)
    found = cli.backend.list_policies()

    def human() -> Any:
        from reserver_cli.tables import policies_listing

        return policies_listing(found)

    cli.output.result(found, human)


@app.command("clear")
def clear(
    ctx: typer.Context,
    resource: ResourceOption = None,
    tag: TagOption = None,
    default: DefaultOption = False,
    timezone: Annotated[bool, typer.Option("--timezone", help="Unset its time zone.")] = False,
    hours: Annotated[
        bool, typer.Option("--hours", help="Unset its opening hours (open at all times).")
    ] = False,
    closed: Annotated[bool, typer.Option("--closed", help="Remove all its closures.")] = False,
    min_length: Annotated[
        bool, typer.Option("--min-length", help="Unset its shortest booking.")
    ] = False,
    max_length: Annotated[
        bool, typer.Option("--max-length", help="Unset its longest booking.")
    ] = False,
    min_notice: Annotated[
        bool, typer.Option("--min-notice", help="Unset the notice it needs.")
    ] = False,
    max_advance: Annotated[
        bool, typer.Option("--max-advance", help="Unset how far ahead one may book.")
    ] = False,
    max_active: Annotated[
        bool, typer.Option("--max-active", help="Unset its active-bookings allowance.")
    ] = False,
    max_hours_per_week: Annotated[
        bool, typer.Option("--max-hours-per-week", help="Unset its hours-per-week allowance.")
    ] = False,
    approval: Annotated[
        bool, typer.Option("--approval", help="Unset whether bookings need approval.")
    ] = False,
    approvers: Annotated[
        bool, typer.Option("--approvers", help="Unset who approves (besides admins).")
    ] = False,
    approval_timeout: Annotated[
        bool, typer.Option("--approval-timeout", help="Unset how long a request waits.")
    ] = False,
    offer_hold: Annotated[
        bool, typer.Option("--offer-hold", help="Unset how long an offer is held.")
    ] = False,
) -> None:
    """Admin: unset rules of a resource's, a tag's or the default policy.

    Each rule named is unset there, so the next scope's applies; with no rule
    named, every rule of the scope is unset.

    \b
    Examples:
      reserver policy clear --tag gpu --max-active --max-hours-per-week
      reserver policy clear --default --closed
      reserver policy clear --resource "GPU-3"
      reserver policy clear --resource Microscope --approval --approvers
    """
    cli = CliContext.of(ctx)
    named = {
        "timezone": timezone,
        "hours": hours,
        "closed": closed,
        "min_length_minutes": min_length,
        "max_length_minutes": max_length,
        "min_notice_minutes": min_notice,
        "max_advance_minutes": max_advance,
        "max_active": max_active,
        "max_hours_per_week": max_hours_per_week,
        "approval": approval,
        "approvers": approvers,
        "approval_timeout_minutes": approval_timeout,
        "offer_hold_minutes": offer_hold,
    }
    fields = [name for name, given in named.items() if given]
    scope = _scope(cli, resource, tag, default)
    left = cli.backend.clear_policy(scope, fields)

    def human() -> Any:
        from reserver_cli.tables import policy_facts, sets_nothing
        from reserver_core.display import POLICY_FIELD_LABELS

        labels = [POLICY_FIELD_LABELS[name].lower() for name in fields]
        what = "every rule"
        if labels:
            what = "the " + (", ".join(labels[:-1]) + " and " if labels[1:] else "") + labels[-1]
        if sets_nothing(left):
            return f"Cleared {what} of {left.label}; it sets no rule now."
        return policy_facts(left, f"Cleared {what} of {left.label}; it still sets:", only_set=True)

    cli.output.result(left, human)


def _title(policy: PolicyInfo) -> str:
    return policy.label[:1].upper() + policy.label[1:]
