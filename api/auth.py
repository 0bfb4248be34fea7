"""Bearer tokens on HTTP: reads are public, writes need a token with the right scope."""

from __future__ import annotations

from fastapi import Request

from agora.kg.errors import Forbidden, Unauthorized
from agora.kg.opsdb import Token


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def require_scope(request: Request, scope: str) -> Token:
    """The caller's token, or 401 (no valid token) / 403 (token lacks the scope)."""
    secret = bearer(request)
    if secret is None:
        raise Unauthorized("this request writes: send `Authorization: Bearer <token>` "
                           "(create one with `agora token create --scope write`)")
    token = request.app.state.ops.authenticate(secret)
    if token is None:
        raise Unauthorized("the bearer token is unknown, revoked or expired")
    if not token.allows(scope):
        raise Forbidden(f"this request needs a token with {scope!r} scope; yours has {token.scope!r}")
    if request.app.state.settings.read_only and scope != "read":
        raise Forbidden("this server runs read-only")
    return token


def check_owner(request: Request, token: Token, source: str) -> None:
    """Curators change only the sources they own (the first writer owns a source); admins change any."""
    owner = request.app.state.ops.owner(source)
    if owner is not None and owner != token.id and token.scope != "admin":
        raise Forbidden(f"source {source!r} belongs to another curator; only its owner or an admin can change it")


def claim(request: Request, token: Token, source: str) -> None:
    """Record `token` as the owner of a source it has just created."""
    ops = request.app.state.ops
    if ops.owner(source) is None:
        ops.set_owner(source, token.id)
