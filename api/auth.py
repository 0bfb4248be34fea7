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
