"""Booking policies: a resource's effective policy for anyone, each scope's own for
reading, and admin-only changes to the default, a tag's and a resource's policy.

The changes ask only for a login: that only admins may make them is the core's rule,
refused there with the same words as in local mode.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from starlette.responses import Response

from reserver_core.local import LocalBackend
from reserver_core.schemas import (
    POLICY_FIELDS,
    EffectivePolicy,
    PolicyChanges,
    PolicyInfo,
    PolicyScope,
)
from server.deps import BackendDep, Id, MemberBackend, Text, on_workers
from server.errors import ErrorBody
from server.responses import json_response

router = APIRouter(tags=["policies"])

POLICY_REFUSAL: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorBody,
        "description": "A bad value: `field` names it, and nothing is saved",
    }
}

DEFAULT = PolicyScope("default")


class PolicyPatch(BaseModel):
    """The fields of a scope's policy to set; an absent or null field stays as it is.
    Lengths in minutes (> 0), `max_active` >= 1, `max_hours_per_week` > 0; `add_closed`
    are closures to add, e.g. "2026-12-24..2026-12-26 holidays". `approval` true makes a
    member's booking a request, `pending` until an approver (or an admin) decides it."""

    # A misspelt field would otherwise be dropped silently and the policy left unchanged.
    model_config = ConfigDict(extra="forbid")

    timezone: Text | None = Field(None, description="An IANA zone, e.g. Europe/Berlin")
    hours: Text | None = Field(
        None, description='Opening hours, e.g. "mon-fri 08:00-12:00,13:00-18:00; sat 10:00-14:00"'
    )
    add_closed: list[Text] = Field(
        [], description='Closures: "DATE[..DATE] [reason]" or "DATE HH:MM..[DATE ]HH:MM [reason]"'
    )
    min_length_minutes: int | None = None
    max_length_minutes: int | None = None
    min_notice_minutes: int | None = None
    max_advance_minutes: int | None = None
    max_active: int | None = None
    max_hours_per_week: float | None = None
    approval: StrictBool | None = Field(
        None, description="true: approval required; false: not (over a wider scope's true)"
    )
    approvers: list[Text] | None = Field(
        None, description="The users who may approve, by username (admins always may)"
    )
    approval_timeout_minutes: StrictInt | None = Field(
        None, description="How long a request waits for a decision (default 48 h), > 0"
    )
    offer_hold_minutes: StrictInt | None = Field(
        None, description="How long a waitlist offer is held for its taker (default 30), > 0"
    )


Fields = Annotated[
    list[Text] | None,
    Query(description=f"The fields to unset, any of {', '.join(POLICY_FIELDS)}; none: all"),
]


def _set(backend: LocalBackend, scope: PolicyScope, body: PolicyPatch) -> Response:
    return json_response(backend.set_policy(scope, PolicyChanges(**body.model_dump())))


def _clear(backend: LocalBackend, scope: PolicyScope, fields: list[str] | None) -> Response:
    return json_response(backend.clear_policy(scope, fields or ()))


@router.get("/resources/{resource_id}/policy", response_model=EffectivePolicy)
@on_workers
def resource_policy(resource_id: Id, backend: BackendDep) -> Response:
    """A resource's effective policy, each field with the scope it comes from, and, when
    logged in, how much of each per-user allowance on it you hold."""
    return json_response(backend.resource_policy(resource_id))


@router.get("/policies", response_model=list[PolicyInfo])
@on_workers
def list_policies(backend: BackendDep) -> Response:
    """Every scope whose own policy sets anything: the default, then tags, then resources."""
    return json_response(backend.list_policies())


@router.get("/policies/default", response_model=PolicyInfo)
@on_workers
def get_default_policy(backend: BackendDep) -> Response:
    """The store's default policy, which every resource falls back to."""
    return json_response(backend.get_policy(DEFAULT))


@router.patch("/policies/default", response_model=PolicyInfo, responses=POLICY_REFUSAL)
@on_workers
def set_default_policy(body: Annotated[PolicyPatch, Body()], backend: MemberBackend) -> Response:
    """Admin: set fields of the default policy, all checked before any is saved."""
    return _set(backend, DEFAULT, body)


@router.delete("/policies/default", response_model=PolicyInfo, responses=POLICY_REFUSAL)
@on_workers
def clear_default_policy(backend: MemberBackend, fields: Fields = None) -> Response:
    """Admin: unset fields of the default policy (all of them without `fields`)."""
    return _clear(backend, DEFAULT, fields)


# `:path`: a tag may hold '/', which a client sends as %2F.
@router.get("/policies/tags/{tag:path}", response_model=PolicyInfo)
@on_workers
def get_tag_policy(tag: Text, backend: BackendDep) -> Response:
    """The policy of every resource with `tag`, as set on the tag."""
    return json_response(backend.get_policy(PolicyScope("tag", tag=tag)))


@router.patch("/policies/tags/{tag:path}", response_model=PolicyInfo, responses=POLICY_REFUSAL)
@on_workers
def set_tag_policy(
    tag: Text, body: Annotated[PolicyPatch, Body()], backend: MemberBackend
) -> Response:
    """Admin: set fields of a tag's policy, all checked before any is saved."""
    return _set(backend, PolicyScope("tag", tag=tag), body)


@router.delete("/policies/tags/{tag:path}", response_model=PolicyInfo, responses=POLICY_REFUSAL)
@on_workers
def clear_tag_policy(tag: Text, backend: MemberBackend, fields: Fields = None) -> Response:
    """Admin: unset fields of a tag's policy (all of them without `fields`)."""
    return _clear(backend, PolicyScope("tag", tag=tag), fields)


@router.get("/policies/resources/{resource_id}", response_model=PolicyInfo)
@on_workers
def get_resource_policy(resource_id: Id, backend: BackendDep) -> Response:
    """A resource's own policy, without what its tags and the default add."""
    return json_response(backend.get_policy(PolicyScope("resource", resource_id=resource_id)))


@router.patch(
    "/policies/resources/{resource_id}", response_model=PolicyInfo, responses=POLICY_REFUSAL
)
@on_workers
def set_resource_policy(
    resource_id: Id, body: Annotated[PolicyPatch, Body()], backend: MemberBackend
) -> Response:
    """Admin: set fields of a resource's own policy, all checked before any is saved."""
    return _set(backend, PolicyScope("resource", resource_id=resource_id), body)


@router.delete(
    "/policies/resources/{resource_id}", response_model=PolicyInfo, responses=POLICY_REFUSAL
)
@on_workers
def clear_resource_policy(
    resource_id: Id, backend: MemberBackend, fields: Fields = None
) -> Response:
    """Admin: unset fields of a resource's own policy (all of them without `fields`)."""
    return _clear(backend, PolicyScope("resource", resource_id=resource_id), fields)
