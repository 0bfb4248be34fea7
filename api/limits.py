"""Request limits applied to every route: body size and a per-client rate limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse

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


def install_limits(app: object, settings: Settings) -> None:
    limiter = RateLimiter(settings.rate_limit_per_minute) if settings.rate_limit_per_minute > 0 else None

    async def limits(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > settings.max_body_bytes:
            return JSONResponse({"error": "BodyTooLarge", "message": f"request body larger than the limit of "
                                 f"{settings.max_body_bytes} bytes"}, status_code=413)
        if limiter is not None and request.url.path not in ("/healthz", "/readyz"):
            wait = limiter.take(request.client.host if request.client else "unknown")
            if wait > 0:
                return JSONResponse({"error": "RateLimited", "message": "too many requests from this client; "
                                     f"retry in {wait:.1f} s"}, status_code=429,
                                    headers={"Retry-After": str(max(1, round(wait)))})
        return await call_next(request)

    app.middleware("http")(limits)  # type: ignore[attr-defined]
