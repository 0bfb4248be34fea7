"""Request limits applied to every route: body size and a per-client rate limit."""

from __future__ import annotations

import threading
import time

from fastapi import Response
from fastapi.responses import JSONResponse
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from agora.kg.config import Settings


class RateLimiter:
    """A token bucket per client address: `per_minute` requests, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = time.monotonic()
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / rate


class LimitsMiddleware:
    """Body size and rate limits as a plain ASGI middleware.

    Starlette's ``@app.middleware("http")`` wraps every request and response in extra tasks and
    streams, which costs about a millisecond per request: more than a point lookup takes.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.limiter = RateLimiter(settings.rate_limit_per_minute) if settings.rate_limit_per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_body:
                    return JSONResponse({"error": "BodyTooLarge", "message": f"request body larger than the limit "
                                         f"of {self.max_body} bytes"}, status_code=413)
                break
        if self.limiter is not None and scope["path"] not in ("/healthz", "/readyz"):
            client = scope.get("client")
            wait = self.limiter.take(client[0] if client else "unknown")
            if wait > 0:
                return JSONResponse({"error": "RateLimited", "message": "too many requests from this client; "
                                     f"retry in {wait:.1f} s"}, status_code=429,
                                    headers={"Retry-After": str(max(1, round(wait)))})
        return None


def install_limits(app: Starlette, settings: Settings) -> None:
    app.add_middleware(LimitsMiddleware, settings=settings)
