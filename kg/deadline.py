"""A cooperative time limit for work that runs many store queries in-process (GraphQL resolvers).

User SPARQL runs in killable worker processes (executor.py). GraphQL resolvers send many small,
bounded queries from the API process instead; each of them checks the request's deadline first,
so a request over its limit stops at its next query with a clear error.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

from .errors import QueryTimeout

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("agora_deadline", default=None)


def start(seconds: float) -> None:
    """Give the current request (and the threads it starts) `seconds` from now."""
    _deadline.set((time.monotonic() + seconds, seconds))


def check() -> None:
    limit = _deadline.get()
    if limit is not None and time.monotonic() > limit[0]:
        raise QueryTimeout(f"the request ran over its {limit[1]:g} s time limit and was stopped")


def remaining() -> float | None:
    """Seconds left for the current request (None without a limit): the timeout of a remote call."""
    limit = _deadline.get()
    return None if limit is None else limit[0] - time.monotonic()
