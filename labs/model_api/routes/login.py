"""POST /login: a toy log-in that hands out bearer tokens, for the locustfile exercise on `on_start`.

Any username (1 to 64 characters) with the password `locust` gets a fresh token. Tokens are stateless:
`<nonce>.<mac>`, an HMAC of the nonce under a key derived from the seed, so every worker of one server
accepts the tokens any of them issued. A request that sends `Authorization: Bearer <token>` with a token
this server did not issue, or none, is refused with 401 when the server runs with `--require-token`
(without it, POST /predict ignores the header).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from labs.model_api.schemas import ErrorOut

PASSWORD = "locust"

router = APIRouter(tags=["login"])


class LoginIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"username": "ada", "password": PASSWORD}]}
    )

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(max_length=256)


class LoginOut(BaseModel):
    token: str = Field(description="Send it as `Authorization: Bearer <token>`")


class Unauthorized(Exception):
    """A missing or unknown bearer token, or a wrong password; the message says which."""


def _key(seed: int) -> bytes:
    return f"breaking-point-model-api-login:{seed}".encode()


def issue_token(seed: int) -> str:
    nonce = secrets.token_hex(8)
    mac = hmac.new(_key(seed), nonce.encode(), hashlib.sha256).hexdigest()[:24]
    return f"{nonce}.{mac}"


def token_is_valid(token: str, seed: int) -> bool:
    nonce, _, mac = token.partition(".")
    if not nonce or len(nonce) > 64 or not mac:
        return False
    expected = hmac.new(_key(seed), nonce.encode(), hashlib.sha256).hexdigest()[:24]
    return hmac.compare_digest(mac, expected)


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None without one."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must read 'Bearer <token>'")
    return token.strip()


def check_token(request: Request, seed: int) -> None:
    """Raise `Unauthorized` for a missing or unknown token."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("log in first: POST /login, then send 'Authorization: Bearer <token>'")
    if not token_is_valid(token, seed):
        raise Unauthorized("unknown token: send the token that POST /login returned")


@router.post(
    "/login",
    response_model=LoginOut,
    responses={401: {"model": ErrorOut, "description": "Wrong password"}, 422: {"model": ErrorOut}},
)
async def login(request: Request) -> Response:
    """Exchange `{"username": ..., "password": "locust"}` for a bearer token."""
    try:
        credentials = LoginIn.model_validate_json(await request.body() or b"null")
    except ValidationError as exc:
        message = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        return JSONResponse(
            {"detail": message, "message": 'send {"username": "...", "password": "locust"}'}, status_code=422
        )
    if not hmac.compare_digest(credentials.password.encode(), PASSWORD.encode()):
        return JSONResponse({"detail": "wrong username or password"}, status_code=401)
    token = issue_token(request.app.state.config.seed)
    return Response(LoginOut(token=token).model_dump_json(), media_type="application/json")
