"""Link checks of distributions' access and download URLs: an explicit, allowlisted, rate-limited job.

MQA scores "access URL reachable" (50 points) and "download URL reachable" (30 points); Agora never
guesses them (kg/quality.py scores 0 and says "not checked" without results). Checking means
requests to thousands of third-party servers, so it only happens when a curator or operator runs
it (`agora quality linkcheck`, `POST /api/quality/linkcheck`), and then politely:

* every URL goes through the SSRF guard (`netguard.check_url`): private, loopback and
  link-local addresses are refused unless the configuration allows the host (`allow_hosts`);
  the connection goes to the address that was checked (Host header and TLS SNI carry the name),
  so DNS rebinding between check and connect cannot reach an internal address;
* at most `concurrency` requests run at once, and requests to one host start at least
  `per_host_interval` seconds apart (URLs are interleaved across hosts so that one slow portal
  does not hold every worker);
* HEAD first; servers that do not do HEAD properly (400, 403, 405, 406, 500, 501) get a GET
  with `Range: bytes=0-0` whose body is never read; every request has connect and read timeouts;
* redirects are not followed: MQA counts a URL as reachable when it answers 2xx or 3xx, and not
  following them means no request ever goes where the guard did not look.

Results (status, error, when) are kept per URL in the operational SQLite database (`link_checks`),
where the quality scores read them; a run with `limit` checks the URLs never checked, then the
ones checked longest ago, so repeated small runs cover a large catalogue.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .errors import AgoraError
from .netguard import check_url

USER_AGENT = "Agora-linkcheck/0.1 (+https://w3id.org/agora)"
GET_FALLBACK = frozenset({400, 403, 405, 406, 500, 501})
"""HEAD answers after which a server gets a second chance with a ranged GET."""

_URLS = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
SELECT DISTINCT ?u WHERE { GRAPH <%(g)s> { ?x a dcat:Distribution .
  { ?x dcat:accessURL ?u } UNION { ?x dcat:downloadURL ?u } FILTER(isIRI(?u)) } }"""


@dataclass(frozen=True)
class LinkCheckOptions:
    concurrency: int = 8
    """Requests in flight at once, over all hosts."""
    per_host_interval: float = 1.0
    """Seconds between the starts of two requests to the same host."""
    connect_timeout: float = 5.0
    read_timeout: float = 10.0


@dataclass
class LinkResult:
    url: str
    status: int | None
    ok: bool
    error: str | None
    method: str | None
    elapsed_ms: int
    checked_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class HostPacer:
    """Spaces the starts of requests to one host by `interval` seconds (thread-safe)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + self.interval
        if start > now:
            time.sleep(start - now)


class LinkChecker:
    """Checks URLs with the SSRF guard, a global concurrency limit and a per-host pace."""

    def __init__(self, allow_hosts: list[str], options: LinkCheckOptions | None = None) -> None:
        import httpx

        self.allow_hosts = list(allow_hosts)
        self.options = options or LinkCheckOptions()
        self.pacer = HostPacer(self.options.per_host_interval)
        timeout = httpx.Timeout(self.options.read_timeout, connect=self.options.connect_timeout)
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                                   headers={"User-Agent": USER_AGENT},
                                   limits=httpx.Limits(max_connections=max(1, self.options.concurrency)))

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> LinkChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_all(self, urls: Iterable[str], progress: Callable[[LinkResult], None] | None = None) -> list[LinkResult]:
        """Check every URL (interleaved by host), at most `concurrency` at a time."""
        ordered = _interleave(list(dict.fromkeys(urls)))
        results: list[LinkResult] = []
        lock = threading.Lock()

        def one(url: str) -> None:
            r = self.check(url)
            with lock:
                results.append(r)
                if progress is not None:
                    progress(r)

        with ThreadPoolExecutor(max_workers=max(1, self.options.concurrency),
                                thread_name_prefix="agora-linkcheck") as pool:
            list(pool.map(one, ordered))
        return results

    def check(self, url: str) -> LinkResult:
        import httpx

        started = time.monotonic()

        def result(status: int | None, error: str | None, method: str | None) -> LinkResult:
            ok = status is not None and 200 <= status < 400
            return LinkResult(url, status, ok, error, method, int((time.monotonic() - started) * 1000), _now())

        try:
            checked = check_url(url, self.allow_hosts)
        except AgoraError as exc:  # Forbidden (private address) or BadInput (not http, unresolvable)
            return result(None, f"refused: {exc.message}" if exc.http_status == 403 else exc.message, None)
        pinned, headers, extensions = checked.pinned()
        method = "HEAD"
        try:
            self.pacer.wait(checked.host)
            status = self.client.head(pinned, headers=headers, extensions=extensions).status_code
            if status in GET_FALLBACK:
                method = "GET"
                self.pacer.wait(checked.host)
                with self.client.stream("GET", pinned, headers={**headers, "Range": "bytes=0-0"},
                                        extensions=extensions) as resp:
                    status = resp.status_code  # the body is never read
            return result(status, None if 200 <= status < 400 else f"HTTP {status}", method)
        except httpx.TimeoutException as exc:
            return result(None, f"timed out ({type(exc).__name__})", method)
        except httpx.HTTPError as exc:
            return result(None, f"cannot connect: {exc}", method)


def _interleave(urls: list[str]) -> list[str]:
    """Round-robin over hosts, so consecutive requests go to different servers."""
    by_host: dict[str, list[str]] = defaultdict(list)
    for u in urls:
        by_host[(urlsplit(u).hostname or "").lower()].append(u)
    out: list[str] = []
    queues = list(by_host.values())
    i = 0
    while queues:
        q = queues[i % len(queues)]
        out.append(q.pop(0))
        if not q:
            queues.remove(q)
        else:
            i += 1
    return out


def stored_urls(store: Any, source: str | None = None) -> list[str]:
    """Access and download URLs of the distributions of one source, or of every curator source."""
    infos = [store.require(source)] if source else store.sources(include_system=False)
    urls: dict[str, None] = {}
    for info in infos:
        for (u,) in store.ox.query(_URLS % {"g": info.physical.value}):
            urls[u.value] = None
    return list(urls)


def run_linkcheck(store: Any, ops: Any, *, source: str | None = None, limit: int | None = None,
                  options: LinkCheckOptions | None = None, allow_hosts: list[str] | None = None,
                  progress: Callable[[LinkResult], None] | None = None) -> dict[str, Any]:
    """Check the stored access/download URLs (the least recently checked first, at most `limit`).

    Results go to the ops database, where quality scores find them; returns a summary.
    """
    from .quality import mark_link_results

    urls = stored_urls(store, source)
    known = ops.link_checks(urls)
    urls.sort(key=lambda u: (known[u]["checked_at"] if u in known else "", u))
    chosen = urls if limit is None else urls[:max(0, limit)]
    hosts = store.settings.allow_hosts if allow_hosts is None else allow_hosts
    started = time.monotonic()
    with LinkChecker(hosts, options) as checker:
        results = checker.check_all(chosen, progress)
    ops.record_link_checks([asdict(r) for r in results])
    mark_link_results(store.settings.data_dir)
    refused = [r for r in results if r.error and r.error.startswith("refused")]
    return {
        "source": source, "urls": len(urls), "checked": len(results),
        "reachable": sum(1 for r in results if r.ok), "unreachable": sum(1 for r in results if not r.ok),
        "refused": len(refused), "remaining": max(0, len(urls) - len(chosen)),
        "seconds": round(time.monotonic() - started, 2),
        "failures": [asdict(r) for r in sorted(results, key=lambda r: r.url) if not r.ok][:50],
    }
