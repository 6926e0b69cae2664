"""The options of listing commands: `--limit N` for one page, `--after CURSOR` for the next."""

from __future__ import annotations

from typing import Annotated

import typer

from reserver_core.errors import ValidationError

LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        metavar="N",
        help="Show one page of at most N (1-1000); the cursor of the next page goes to "
        "stderr (with --json: {items, next} on stdout).",
    ),
]
AfterOption = Annotated[
    str | None,
    typer.Option(
        "--after", metavar="CURSOR", help="With --limit: the page after CURSOR (the page before's)."
    ),
]


def page_limit(limit: int | None, after: str | None) -> int | None:
    """The checked size of the page asked for, or None for the whole list."""
    from reserver_core.paging import check_limit

    if limit is None:
        if after is not None:
            raise ValidationError("--after needs --limit: give the size of the page", "after")
        return None
    try:
        return check_limit(limit)
    except ValidationError as exc:
        # The core's rule, said in the words of the option the user typed.
        raise ValidationError(f"--{exc.message}", "limit") from exc
