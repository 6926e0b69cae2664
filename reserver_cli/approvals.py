"""`reserver approvals ...`: the requests awaiting a yes, for their approvers and admins.

A member's booking of a resource whose policy requires approval is a request: it holds
its slot until an approver (or an admin) approves or rejects it, or until its time to
decide passes and it lapses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from reserver_cli.command_group import command_group
from reserver_cli.context import CliContext

if TYPE_CHECKING:
    from reserver_core.schemas import ReservationInfo

app = command_group("approvals", "Requests awaiting approval: list, approve or reject them.")

RequestArg = Annotated[
    int, typer.Argument(metavar="ID", help="The request's number (a pending reservation's).")
]


@app.command("list")
def list_requests(ctx: typer.Context) -> None:
    """List the requests you may decide, soonest first.

    An approver sees the requests on the resources they approve; an admin sees
    every request. Each with who asks, the resource and time, and by when it
    must be decided before it lapses.

    \b
    Examples:
      reserver approvals list
      reserver approvals list --json
    """
    cli = CliContext.of(ctx)
    found = cli.backend.pending_requests()

    def human() -> Any:
        from reserver_cli.tables import requests_table

        return requests_table(found, cli)

    cli.output.result(found, human)


@app.command("approve")
def approve(ctx: typer.Context, request: RequestArg) -> None:
    """Approve a request: it becomes an active booking.

    Only one of its resource's approvers or an admin may. Its slot was held,
    so nothing clashes; if the resource's policy changed since the request,
    it is checked again and may refuse (the request then stays pending).

    \b
    Examples:
      reserver approvals approve 12
      reserver approvals approve 12 --json
    """
    cli = CliContext.of(ctx)
    approved = cli.backend.approve(request)
    cli.output.result(approved, lambda: f"Approved #{approved.id}: {_request_text(cli, approved)}.")


@app.command("reject")
def reject(
    ctx: typer.Context,
    request: RequestArg,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", "-r", metavar="TEXT", help="Why; the requester reads it in their inbox."
        ),
    ] = None,
) -> None:
    """Reject a request: its slot is released, to the first in its waitlist.

    Only one of its resource's approvers or an admin may. The requester hears
    of it, with the reason, in their inbox.

    \b
    Examples:
      reserver approvals reject 12 --reason "the lab is reserved for the course that week"
      reserver approvals reject 12
    """
    cli = CliContext.of(ctx)
    rejected = cli.backend.reject(request, reason)

    def human() -> str:
        why = f" ({rejected.cancellation_reason})" if rejected.cancellation_reason else ""
        return f"Rejected #{rejected.id}: {_request_text(cli, rejected)}{why}; its slot is free."

    cli.output.result(rejected, human)


def _request_text(cli: CliContext, request: ReservationInfo) -> str:
    from reserver_core.display import holder_name

    window = cli.show_window(request.start_time, request.end_time)
    return f"{holder_name(request)}'s request for {request.resource.name}, {window}"
