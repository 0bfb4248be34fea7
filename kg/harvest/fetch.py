"""Outbound HTTP for harvesting: only to allowed addresses, bounded in time and size, retried politely.

Every request (and every redirect hop) goes through the SSRF guard of `netguard`, and the
connection is made to the address that was checked (the host name travels in the Host header
and TLS SNI), so a DNS answer that changes between check and connect cannot reach a private
address. Real city portals time out, answer 502 under load and serve Turtle as `text/plain`;
transient failures are retried with exponential backoff (honouring `Retry-After`), permanent
ones fail the harvest with a message saying which URL answered what.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from ..errors import AgoraError, BadInput
from ..netguard import check_url

RETRY_STATUS = {429, 502, 503, 504}
USER_AGENT = "Agora-harvester/0.1 (+https://w3id.org/agora)"


class HarvestError(AgoraError):
    """A source could not be harvested (unreachable, HTTP error, too large, endless paging)."""

    exit_code = 3
    http_status = 502


@dataclass
class FetchLimits:
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 3
    backoff: float = 0.5
    """First retry waits this long; each later one twice as long (capped at `max_wait`)."""
    max_wait: float = 30.0
    max_bytes: int = 256 * 1024 * 1024
    """Largest response body accepted; a bigger (or endless) body fails the harvest."""
    max_redirects: int = 5


@dataclass
class Response:
    url: str
    """The URL finally answered (after redirects), the base for relative IRIs and paging links."""
    status: int
    content_type: str
    body: bytes
    location: str = ""
    """The Location header of a redirect."""


class Fetcher:
    """One harvest's HTTP client; `close()` it (or use it as a context manager)."""

    def __init__(self, allow_hosts: list[str], limits: FetchLimits | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.allow_hosts = allow_hosts
        self.limits = limits or FetchLimits()
        self.requests = 0
        self.bytes = 0
        timeout = httpx.Timeout(self.limits.read_timeout, connect=self.limits.connect_timeout)
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                                   headers={"User-Agent": USER_AGENT, **(headers or {})})

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, *, accept: str) -> Response:
        """GET `url`, following allowed redirects and retrying transient failures."""
        attempt = 0
        while True:
            try:
                return self._follow(url, accept)
            except _Transient as exc:
                attempt += 1
                if attempt > self.limits.retries:
                    raise HarvestError(f"{url}: {exc.reason} (gave up after {attempt} attempts)", url=url) from None
                wait = min(self.limits.max_wait, exc.retry_after if exc.retry_after is not None
                           else self.limits.backoff * 2 ** (attempt - 1))
                time.sleep(wait)

    def _follow(self, url: str, accept: str) -> Response:
        for _hop in range(self.limits.max_redirects + 1):
            r = self._once(url, accept)
            if r.status in (301, 302, 303, 307, 308):
                location = r.location
                if not location:
                    raise HarvestError(f"{url}: redirect without a Location header", url=url)
                url = urljoin(url, location)
                continue
            return r
        raise HarvestError(f"{url}: more than {self.limits.max_redirects} redirects", url=url)

    def _once(self, url: str, accept: str) -> Response:
        pinned, headers, extensions = check_url(url, self.allow_hosts).pinned()
        self.requests += 1
        try:
            with self.client.stream("GET", pinned, headers={**headers, "Accept": accept},
                                    extensions=extensions) as resp:
                if resp.status_code in (301, 302, 303, 307, 308):
                    return Response(url, resp.status_code, "", b"", location=resp.headers.get("location", ""))
                if resp.status_code in RETRY_STATUS:
                    raise _Transient(f"HTTP {resp.status_code}", _retry_after(resp.headers.get("retry-after")))
                if resp.status_code >= 400:
                    snippet = resp.read()[:300].decode("utf-8", "replace").strip()
                    raise HarvestError(f"{url}: HTTP {resp.status_code}" + (f": {snippet}" if snippet else ""),
                                       url=url, upstream_status=resp.status_code)
                declared = int(resp.headers.get("content-length") or 0)
                if declared > self.limits.max_bytes:
                    raise HarvestError(f"{url}: response of {declared} bytes is over the limit of "
                                       f"{self.limits.max_bytes} bytes", url=url)
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > self.limits.max_bytes:
                        raise HarvestError(f"{url}: response larger than the limit of {self.limits.max_bytes} "
                                           "bytes; stopped reading", url=url)
                    chunks.append(chunk)
                self.bytes += size
                ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                return Response(url, resp.status_code, ctype, b"".join(chunks))
        except httpx.TimeoutException as exc:
            raise _Transient(f"timed out ({type(exc).__name__})", None) from None
        except httpx.TransportError as exc:
            raise _Transient(f"cannot connect ({exc})", None) from None
        except httpx.HTTPError as exc:  # pragma: no cover - other protocol errors
            raise HarvestError(f"{url}: {exc}", url=url) from None


class _Transient(Exception):
    def __init__(self, reason: str, retry_after: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def check_registered_url(url: str) -> str:
    """Refuse what can never be a harvest URL before it is stored (the host is checked again per fetch)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{url!r}: a harvest source must be an http(s) URL")
    if parts.username or parts.password:
        raise BadInput(f"{url!r}: do not put credentials in the URL")
    return url
