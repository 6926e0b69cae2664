"""A resource's effective booking policy in words: each rule in force, where it comes from,
and what the acting user has left of each allowance."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from textual.widgets import Static

from reserver_core.display import (
    POLICY_FIELD_LABELS,
    allowance_text,
    policy_source_text,
    policy_value_text,
)
from reserver_core.schemas import EffectivePolicy
from reserver_tui.markup import literal

BUILT_IN = "built-in"
"""The source of a field no scope and no setting gives (the zone's UTC fallback)."""


def in_force(policy: EffectivePolicy) -> list[tuple[str, str, str]]:
    """The fields of `policy` that say something, as (label, value, source) in field order.

    Unset hours (always open) and no closures say nothing; nor does the built-in zone,
    unless opening hours or closures are read in it.
    """
    said = [
        item
        for item in policy.fields
        if item.value is not None and item.value != [] and item.value != "always"
    ]
    zoned = any(item.name in ("hours", "closed") for item in said)
    return [
        (
            POLICY_FIELD_LABELS.get(item.name, item.name),
            policy_value_text(item.name, item.value),
            item.source,
        )
        for item in said
        if item.name != "timezone" or item.source != BUILT_IN or zoned
    ]


class PolicyView(Static):
    """The rules of a resource's policy, one a line, then the user's allowances."""

    def show(self, policy: EffectivePolicy, tz: ZoneInfo, *, now: datetime) -> None:
        """Write out `policy`; allowances in `tz` (the reader's zone)."""
        lines = [
            f"[b]{label}[/b] {literal(value)} [dim]{literal(policy_source_text(source))}[/dim]"
            for label, value, source in in_force(policy)
        ]
        if policy.allowances:
            lines.append("")
            lines.append("[b]Your allowances[/b]")
            lines.extend(
                literal(allowance_text(allowance, tz, now=now)) for allowance in policy.allowances
            )
        self.update("\n".join(lines) or "[dim]No rules beyond the store's.[/dim]")
