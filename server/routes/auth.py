"""Accounts and tokens: POST /register, POST /token, GET /me."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from pydantic import BaseModel
from starlette.responses import Response

from reserver_core.schemas import Token, UserInfo
from server.deps import AnonymousBackend, ClientAddress, MemberBackend, Text, on_workers
from server.responses import json_response

router = APIRouter(tags=["auth"])


class Registration(BaseModel):
    """A new account."""

    username: Text
    password: Text


@router.post("/register", response_model=UserInfo, status_code=201)
@on_workers
def register(body: Registration, backend: AnonymousBackend, address: ClientAddress) -> Response:
    """Create an account; the first one on an empty server is an admin (429 beyond the
    registrations an address may make in an hour)."""
    return json_response(backend.register(body.username, body.password, address), 201)


@router.post("/token", response_model=Token)
@on_workers
def token(
    username: Annotated[Text, Form()],
    password: Annotated[Text, Form()],
    backend: AnonymousBackend,
    address: ClientAddress,
) -> Response:
    """OAuth2 password flow: a bearer token for a username and password (429 when throttled)."""
    return json_response(backend.login(username, password, address))


@router.get("/me", response_model=UserInfo)
@on_workers
def me(backend: MemberBackend) -> Response:
    """The account the bearer token belongs to."""
    return json_response(backend.whoami())
