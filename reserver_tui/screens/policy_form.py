"""Admin: edit the booking policy of one scope (the default, a tag, a resource), each field
checked as it is typed by the core's own validators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from reserver_core import policy
from reserver_core.backend import Backend
from reserver_core.display import (
    POLICY_FIELD_LABELS,
    closure_text,
    format_duration,
    opening_hours_text,
)
from reserver_core.errors import (
    ForbiddenError,
    NotFoundError,
    ReserverError,
    ValidationError,
)
from reserver_core.resources import clean_tags
from reserver_core.schemas import PolicyChanges, PolicyInfo, PolicyScope, ResourceInfo, ScopeKind
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverForm
from reserver_tui.widgets.form_checkbox import FormCheckbox
from reserver_tui.widgets.time_input import TimeInput

ADD_CLOSED = "add_closed"
"""The id of the field that takes one closure to add."""


@dataclass(frozen=True)
class _Field:
    """One field of the form: the policy field it edits, how it reads and writes."""

    name: str
    placeholder: str
    read: Callable[[str], object]
    """Typed text to the field's value (as in `PolicyInfo`); ValidationError when bad."""
    write: Callable[[object], str] = str
    """The field's value to text that reads back the same."""


def _minutes(field: str) -> Callable[[str], object]:
    def read(text: str) -> object:
        return policy.read_minutes(text, field)

    return read


def _write_minutes(value: object) -> str:
    assert isinstance(value, int)
    return format_duration(timedelta(minutes=value))


def _read_count(text: str) -> object:
    if not text.isdigit():
        raise ValidationError(
            f"{text!r} is not a number of bookings; give a whole number, 1 or more", "max_active"
        )
    return int(text)


def _write_week_hours(value: object) -> str:
    assert isinstance(value, int | float)
    return f"{value:g}"


def _read_names(text: str) -> object:
    """Usernames typed apart by commas or spaces; whether they are users is the store's
    to say on saving."""
    return [name for name in text.replace(",", " ").split() if name]


def _write_names(value: object) -> str:
    assert isinstance(value, list)
    return ", ".join(value)


FIELDS = (
    _Field("timezone", "e.g. Europe/Berlin; empty: as the next scope", policy.check_timezone),
    _Field("hours", "e.g. mon-fri 08:00-18:00; sat 10:00-14:00", policy.parse_hours),
    _Field("min_length_minutes", "e.g. 30m", _minutes("min_length_minutes"), _write_minutes),
    _Field("max_length_minutes", "e.g. 4h", _minutes("max_length_minutes"), _write_minutes),
    _Field(
        "min_notice_minutes",
        "e.g. 1h: booked at least that long before it starts",
        _minutes("min_notice_minutes"),
        _write_minutes,
    ),
    _Field(
        "max_advance_minutes",
        "e.g. 14d: booked at most that far ahead",
        _minutes("max_advance_minutes"),
        _write_minutes,
    ),
    _Field("max_active", "e.g. 3: bookings one person holds at once", _read_count),
    _Field(
        "max_hours_per_week",
        "e.g. 8: hours one person books in any 7 days",
        policy.read_week_hours,
        _write_week_hours,
    ),
    _Field(
        "approvers",
        "approvers, e.g. carol, dave (and admins)",
        _read_names,
        _write_names,
    ),
    _Field(
        "approval_timeout_minutes",
        "e.g. 48h: a request not decided by then lapses",
        _minutes("approval_timeout_minutes"),
        _write_minutes,
    ),
    _Field(
        "offer_hold_minutes",
        "e.g. 30m: a waitlist offer is held that long for its taker",
        _minutes("offer_hold_minutes"),
        _write_minutes,
    ),
)
_BY_NAME = {item.name: item for item in FIELDS}
_GROUP_STARTS = ("timezone", "min_length_minutes", "max_active", "approvers")
"""The fields that begin a group: where and when, lengths and lead times, allowances,
approval (whose row begins with the choice whether it is needed)."""
APPROVAL = "approval"
"""The id of the choice whether bookings need approval."""
_APPROVAL_CHOICES: list[tuple[str, bool]] = [("Required", True), ("Not needed", False)]
_SCOPE_KINDS: list[tuple[str, ScopeKind]] = [
    ("Default policy", "default"),
    ("A tag", "tag"),
    ("A resource", "resource"),
]


def _row(
    label: str,
    widget: Input | Select[ScopeKind] | Select[bool] | FormCheckbox | Static,
    *more: Input,
    id: str | None = None,
) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"), widget, *more, id=id, classes="field")


def _check_line(name: str) -> Static:
    return Static(id=f"{name}-check", classes="field-check")


def read_tag(text: str) -> str:
    """One tag as resources hold it (trimmed, lower-case); ValidationError when bad."""
    tags = clean_tags([text])
    if not tags:
        raise ValidationError("give the tag, e.g. gpu", "tag")
    return tags[0]


class PolicyModal(ReserverForm):
    """Edit one scope's own policy: its fields as set now, each checked as it is typed; an
    emptied field is unset (falls through to the next scope); Ctrl+S saves."""

    INLINE_ERRORS = (ValidationError, NotFoundError, ForbiddenError)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "submit", "Save"),
    ]

    def __init__(self, resource: ResourceInfo | None = None) -> None:
        super().__init__()
        self.resource = resource
        self._loaded: PolicyInfo | None = None
        """The scope's policy as the store last said; None while it is read."""
        self._saving = False
        self._invalid: set[str] = set()
        self._names: dict[ScopeKind, str] = {
            "tag": resource.tags[0] if resource is not None and resource.tags else "",
            "resource": resource.name if resource is not None else "",
        }
        """The name typed for each kind of scope, back when the kind is chosen again."""
        self._kind_shown: ScopeKind = "resource" if resource is not None else "default"

    def compose_dialog(self) -> ComposeResult:
        kind: ScopeKind = "resource" if self.resource is not None else "default"
        with Vertical(id="dialog", classes="dialog -wide"):
            yield Label("Booking policy", classes="dialog-title")
            yield Static(id="scopes", classes="hint")
            yield _row(
                "Scope",
                Select(_SCOPE_KINDS, value=kind, allow_blank=False, compact=True, id="scope-kind"),
                Input(
                    self.resource.name if self.resource is not None else "",
                    placeholder="the tag or the resource's name",
                    compact=True,
                    id="scope-name",
                ),
            )
            yield _check_line("scope-name")
            for item in FIELDS:
                field = TimeInput(placeholder=item.placeholder, compact=True, id=item.name)
                if item.name == "approvers":
                    # Beside whether approval is needed: one line, so that the form fits.
                    row = _row(POLICY_FIELD_LABELS[APPROVAL], self._approval_choice(), field)
                else:
                    row = _row(POLICY_FIELD_LABELS[item.name], field)
                row.set_class(item.name in _GROUP_STARTS, "-group")
                yield row
                yield _check_line(item.name)
                if item.name == "hours":
                    yield from self._compose_closures()
            yield Static(id="feedback")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Close", id="cancel")

    def _approval_choice(self) -> Select[bool]:
        return Select(
            _APPROVAL_CHOICES, prompt="Not set: as the next scope", compact=True, id=APPROVAL
        )

    def _approval(self) -> bool | None:
        """The approval as chosen: required, not needed, or None to fall through."""
        value = self.query_one(f"#{APPROVAL}", Select).value
        return value if isinstance(value, bool) else None

    def _compose_closures(self) -> ComposeResult:
        yield _row("Closed", Static(id="closures"))
        yield _row(
            "Add closure",
            Input(
                placeholder="e.g. 2026-12-24..2026-12-26 holidays, 2026-12-31 14:00..18:00",
                compact=True,
                id=ADD_CLOSED,
            ),
        )
        yield _check_line(ADD_CLOSED)
        yield _row(
            "",
            FormCheckbox("Remove its closures", compact=True, id="remove-closed"),
            id="remove-row",
        )

    def on_mount(self) -> None:
        for line in self.query(".field-check").results(Static):
            line.display = False
        self.query_one("#remove-row").display = False
        self._load()
        if self.resource is None:
            self.query_one("#scope-kind", Select).focus()
        else:
            self.query_one("#timezone", Input).focus()

    # -- the scope -------------------------------------------------------------------------
    def _kind(self) -> ScopeKind:
        value = self.query_one("#scope-kind", Select).value
        return value if value in ("tag", "resource") else "default"

    @on(Select.Changed, "#scope-kind")
    def _kind_changed(self) -> None:
        kind = self._kind()
        if kind == self._kind_shown:
            return
        name = self.query_one("#scope-name", Input)
        if self._kind_shown != "default":
            self._names[self._kind_shown] = name.value
        self._kind_shown = kind
        if kind != "default" and name.value != self._names[kind]:
            # Its Changed message reads that scope.
            name.value = self._names[kind]
            return
        self._load()

    @on(Input.Changed, "#scope-name")
    def _scope_changed(self) -> None:
        self._load()

    def _load(self) -> None:
        """Read the chosen scope's policy (and which scopes set one) into the form."""
        kind = self._kind()
        name_input = self.query_one("#scope-name", Input)
        name_input.display = kind != "default"
        self._loaded = None
        self._show_check("scope-name", "")
        self._update_save()
        text = name_input.value.strip()
        if kind == "tag":
            try:
                tag = read_tag(text)
            except ValidationError as error:
                self._show_check("scope-name", f"✗ {literal(error.message)}", invalid=True)
                return
            scope = PolicyScope("tag", tag=tag)
        elif kind == "resource" and not text:
            self._show_check("scope-name", "✗ give the resource's name", invalid=True)
            return
        else:
            scope = PolicyScope("default")

        def load(backend: Backend) -> messages.PolicyLoaded:
            asked = scope
            if kind == "resource":
                asked = PolicyScope("resource", resource_id=backend.find_resource(text).id)
            return messages.PolicyLoaded(backend.get_policy(asked), backend.list_policies())

        self.show_feedback("Reading the policy…")
        self.call_backend("policy-scope", load)

    def on_policy_loaded(self, event: messages.PolicyLoaded) -> None:
        loaded = event.policy
        self._loaded = loaded
        set_now = ", ".join(literal(info.label) for info in event.scopes)
        self.query_one("#scopes", Static).update(
            f"Policies set now: {set_now}." if set_now else "No policy is set yet."
        )
        self._show_check(
            "scope-name", f"✓ {literal(loaded.label)}" if self._kind() != "default" else ""
        )
        for item in FIELDS:
            value = getattr(loaded, item.name)
            self.query_one(f"#{item.name}", Input).value = (
                "" if value is None else item.write(value)
            )
        approval = self.query_one(f"#{APPROVAL}", Select)
        if loaded.approval is None:
            approval.clear()
        else:
            approval.value = loaded.approval
        closures = "; ".join(policy.closure_spec(closure) for closure in loaded.closed)
        self.query_one("#closures", Static).update(
            literal(closures) if closures else "[dim]none[/dim]"
        )
        remove = self.query_one("#remove-closed", FormCheckbox)
        remove.value = False
        self.query_one("#remove-row").display = bool(loaded.closed)
        self.show_feedback("")
        self._update_save()

    # -- checking as you type ----------------------------------------------------------------
    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        name = event.input.id
        if name in _BY_NAME or name == ADD_CLOSED:
            self._check(name)
            self._update_save()

    def _check(self, name: str) -> object:
        """Check one field, saying under it what is wrong, or how a spec was read."""
        text = self.query_one(f"#{name}", Input).value.strip()
        self._invalid.discard(name)
        if not text:
            was = getattr(self._loaded, name, None) if name in _BY_NAME else None
            self._show_check(name, "[dim]unset on saving: falls through[/dim]" if was else "")
            return None
        try:
            if name == ADD_CLOSED:
                reading = f"✓ closed {closure_text(policy.parse_closure(text))}"
                value: object = text
            else:
                value = _BY_NAME[name].read(text)
                # The limits' ranges are the core's, as when the policy is saved.
                field: dict[str, Any] = {name: value}
                policy.check_changes(replace(PolicyChanges(), **field))
                hours = name == "hours" and isinstance(value, str)
                reading = f"✓ {opening_hours_text(str(value))}" if hours else ""
        except ValidationError as error:
            self._invalid.add(name)
            self._show_check(name, f"✗ {literal(_short(error.message))}", invalid=True)
            return None
        self._show_check(name, literal(reading))
        return value

    def _show_check(self, name: str, text: str, *, invalid: bool = False) -> None:
        line = self.query_one(f"#{name}-check", Static)
        line.update(text)
        line.set_class(invalid, "-invalid")
        line.display = bool(text)

    def _update_save(self) -> None:
        self.query_one("#save", Button).disabled = (
            self._loaded is None or self._saving or bool(self._invalid)
        )

    # -- saving ------------------------------------------------------------------------------
    @on(Button.Pressed, "#save")
    def action_submit(self) -> None:
        """Save what changed: set the fields typed, unset those emptied, add the closure."""
        loaded = self._loaded
        if loaded is None or self._saving:
            return
        values = {item.name: self._check(item.name) for item in FIELDS}
        closure = self.query_one(f"#{ADD_CLOSED}", Input).value.strip()
        if closure:
            self._check(ADD_CLOSED)
        if self._invalid:
            self.show_feedback("✗ fix the fields marked above first")
            return
        changed: dict[str, Any] = {
            name: value
            for name, value in values.items()
            if value is not None and value != getattr(loaded, name)
        }
        cleared = [
            name for name, value in values.items() if value is None and getattr(loaded, name)
        ]
        approval = self._approval()
        if approval is not None and approval != loaded.approval:
            changed[APPROVAL] = approval
        elif approval is None and loaded.approval is not None:
            cleared.append(APPROVAL)
        remove_closed = self.query_one("#remove-closed", FormCheckbox).value
        if not (changed or cleared or closure or remove_closed):
            self.show_feedback("Nothing to save: no field changed.")
            return
        changes = replace(PolicyChanges(add_closed=[closure] if closure else []), **changed)
        scope = loaded.scope

        def save(backend: Backend) -> messages.PolicySaved:
            if remove_closed:
                backend.clear_policy(scope, ["closed"])
            if changed or closure:
                backend.set_policy(scope, changes)
            if cleared:
                backend.clear_policy(scope, cleared)
            return messages.PolicySaved(backend.get_policy(scope))

        self._saving = True
        self._update_save()
        self.show_feedback("Saving…")
        self.call_backend("policy-save", save, changes_data=True)

    def on_policy_saved(self, event: messages.PolicySaved) -> None:
        self._saving = False
        self.notify(f"Saved {event.policy.label}.", title="Booking policy")
        self.finish(event.policy)

    def show_failure(self, error: ReserverError) -> None:
        """Say why the scope could not be read or the policy saved: under the field at
        fault when the error names one of the form's."""
        saving, self._saving = self._saving, False
        self._update_save()
        if not saving:
            self.show_feedback("")
            self._show_check("scope-name", f"✗ {literal(error.message)}", invalid=True)
            return
        # Each step of a save is safe to repeat, so one that failed halfway is saved again
        # whole once the field at fault is fixed.
        field = error.field if isinstance(error, ValidationError) else None
        name = ADD_CLOSED if field in ("closed", ADD_CLOSED) else field
        if name in _BY_NAME or name == ADD_CLOSED:
            self._show_check(name, f"✗ {literal(error.message)}", invalid=True)
            self.show_feedback("✗ not saved")
        else:
            self.show_feedback(f"✗ {literal(error.message)}")


def _short(message: str) -> str:
    """A validator's message without a list of accepted forms, which would not fit a line."""
    head, _, _ = message.partition("; accepted forms")
    return head
