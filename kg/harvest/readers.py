"""Readers turn a harvest source into pages of RDF, one kind of source each.

- `dcat`: a DCAT catalog in any RDF syntax, following Hydra paging (`hydra:next`, on a
  `hydra:PartialCollectionView` or the collection itself; the older `hydra:nextPage` too);
- `agora`: another Agora instance, through its `/catalog` endpoint (DCAT-AP 3 with Hydra paging);
- `ckan`: a CKAN portal through the action API (`package_search` with paging), each package
  mapped to DCAT-AP 3 as ckanext-dcat does (see docs/ckan-mapping.md);
- `sparql`: a SPARQL endpoint through a CONSTRUCT query.
Pages are parsed here, with the same parser and literal-fidelity records as `agora load`.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin

import pyoxigraph as ox

from ..errors import BadInput
from ..rdfio import ParsedQuad, RDFInput, iter_quads, parse_format
from .fetch import Fetcher, HarvestError, Response
from .sources import HarvestSource

RDF_ACCEPT = ("text/turtle, application/n-triples;q=0.95, application/ld+json;q=0.9, "
              "application/rdf+xml;q=0.8, application/trig;q=0.5, */*;q=0.1")
HYDRA = "http://www.w3.org/ns/hydra/core#"
NEXT = (ox.NamedNode(HYDRA + "next"), ox.NamedNode(HYDRA + "nextPage"))
DEFAULT_MAX_PAGES = 10_000
DEFAULT_SPARQL_QUERY = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
CONSTRUCT { ?s ?p ?o } WHERE {
  { ?s a dcat:Catalog } UNION { ?s a dcat:Dataset } UNION { ?d a dcat:Dataset ; dcat:distribution ?s }
  UNION { ?d a dcat:Dataset ; dcat:contactPoint ?s } UNION { ?d a dcat:Dataset ; dct:publisher ?s }
  ?s ?p ?o
}"""


@dataclass
class HarvestedPage:
    url: str
    quads: list[ParsedQuad]
    warnings: list[str]
    bytes: int


def pages(source: HarvestSource, fetcher: Fetcher) -> Iterator[HarvestedPage]:
    """The pages of a source, in order; raises HarvestError when the source misbehaves."""
    if source.kind == "ckan":
        yield from _ckan_pages(source, fetcher)
    elif source.kind == "sparql":
        yield _sparql_page(source, fetcher)
    elif source.kind in ("dcat", "agora"):
        start = (agora_catalog_url(source.url, int(source.options.get("page_size", 1000)))
                 if source.kind == "agora" else source.url)
        yield from _hydra_pages(start, fetcher, max_pages=int(source.options.get("max_pages", DEFAULT_MAX_PAGES)))
    else:  # pragma: no cover - the registry refuses other kinds
        raise BadInput(f"unknown harvest kind {source.kind!r}")


def agora_catalog_url(url: str, per_page: int = 1000) -> str:
    """An Agora's `/catalog` in its largest pages (fewer round trips; a page is about 2 MB)."""
    base = url.split("?")[0].rstrip("/")
    if base.endswith("/catalog"):
        return url
    return f"{base}/catalog?{urlencode({'per_page': per_page})}"


def _hydra_pages(start: str, fetcher: Fetcher, *, max_pages: int) -> Iterator[HarvestedPage]:
    """Follow `hydra:next`; the next page is fetched while the caller works on this one."""
    seen: set[str] = set()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agora-harvest-fetch")
    try:
        future: Future[HarvestedPage] | None = pool.submit(_fetch, fetcher, start)
        url = start
        count = 0
        while future is not None:
            page = future.result()
            seen.add(url)
            count += 1
            following = sorted({urljoin(page.url, pq.quad.object.value) for pq in page.quads
                                if pq.quad.predicate in NEXT and isinstance(pq.quad.object, ox.NamedNode)})
            following = [u for u in following if u != page.url]
            future = None
            if len(following) > 1:
                raise HarvestError(f"{page.url}: page names {len(following)} different next pages "
                                   f"({', '.join(following[:3])}); cannot tell which to follow", url=page.url)
            if following:
                if following[0] in seen:
                    raise HarvestError(f"{page.url}: paging loops back to {following[0]}; nothing was changed",
                                       url=page.url)
                if count >= max_pages:
                    raise HarvestError(f"{start}: paging did not end after {max_pages} pages (next: "
                                       f"{following[0]}); nothing was changed", url=following[0])
                url = following[0]
                future = pool.submit(_fetch, fetcher, url)
            yield page
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _fetch(fetcher: Fetcher, url: str) -> HarvestedPage:
    return parse_response(fetcher.get(url, accept=RDF_ACCEPT))


def parse_response(resp: Response, fmt: ox.RdfFormat | None = None) -> HarvestedPage:
    """Parse one response as RDF, trusting the content type where it names RDF and sniffing otherwise."""
    warnings: list[str] = []
    if fmt is None:
        fmt = _declared_format(resp.content_type)
    if fmt is None:
        fmt = sniff_format(resp.body, resp.url)
        warnings.append(f"{resp.url}: served as {resp.content_type or 'no content type'}; read it as "
                        f"{fmt.name}")
    doc = RDFInput.from_bytes(resp.body, name=resp.url, fmt=fmt, base_iri=resp.url)
    return HarvestedPage(resp.url, list(iter_quads(doc)), warnings, len(resp.body))


def _declared_format(ctype: str) -> ox.RdfFormat | None:
    if not ctype or ctype in ("text/plain", "application/octet-stream", "text/html", "application/xml",
                              "text/xml", "application/json", "binary/octet-stream"):
        return None
    try:
        return parse_format(ctype)
    except BadInput:
        return None


def sniff_format(body: bytes, url: str) -> ox.RdfFormat:
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:300]:
        raise HarvestError(f"{url}: answered with an HTML page, not RDF (check the URL and the kind of source)",
                           url=url)
    if head.startswith(b"<?xml") or head.startswith(b"<rdf:rdf"):
        return ox.RdfFormat.RDF_XML
    if head.startswith((b"{", b"[")):
        return ox.RdfFormat.JSON_LD
    return ox.RdfFormat.TURTLE


def _sparql_page(source: HarvestSource, fetcher: Fetcher) -> HarvestedPage:
    query = source.options.get("query") or DEFAULT_SPARQL_QUERY
    sep = "&" if "?" in source.url else "?"
    resp = fetcher.get(source.url + sep + urlencode({"query": query}),
                       accept="application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5")
    return parse_response(resp)


def _ckan_pages(source: HarvestSource, fetcher: Fetcher) -> Iterator[HarvestedPage]:
    from . import ckan

    rows = int(source.options.get("page_size", 100))
    max_pages = int(source.options.get("max_pages", DEFAULT_MAX_PAGES))
    portal = source.url.rstrip("/")
    start = 0
    for _n in range(max_pages):
        url = ckan.search_url(portal, start=start, rows=rows)
        resp = fetcher.get(url, accept="application/json")
        try:
            packages, count = ckan.parse_page(resp.body)
        except BadInput as exc:
            raise HarvestError(f"{url}: {exc.message}", url=url) from None
        if not packages:
            return
        nt = "".join(ckan.package_to_rdf(p, portal_url=portal).serialize(format="nt") for p in packages)
        doc = RDFInput.from_bytes(nt.encode(), name=url, fmt=ox.RdfFormat.N_TRIPLES)
        yield HarvestedPage(url, list(iter_quads(doc)), [], len(resp.body))
        start += len(packages)
        if start >= count:
            return
    raise HarvestError(f"{portal}: package_search paging did not end after {max_pages} pages; nothing was changed",
                       url=portal)
