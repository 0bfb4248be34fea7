"""Search in GraphQL: a `search` query with facets and why-it-matched, and `datasets(search:)`.

The tantivy index (agora.kg.search) answers; GraphQL only shapes the answer. The service is the
one the app attached to the store, found through the request.
"""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry


@strawberry.type(description="Why a result matched: text, concept, mapping, feedback, similar or uses.")
class MatchReason:
    kind: str
    terms: list[str]
    concept: str | None
    concept_label: str | None
    via: list[str] = strawberry.field(description="The SKOS mapping path, as 'relation concept' steps.")


@strawberry.type(description="One search result.")
class SearchHit:
    iri: str
    type: str
    title: str
    snippet: str
    score: float
    why: list[MatchReason]


@strawberry.type(description="One value of a facet and how many results have it.")
class FacetCount:
    value: str
    label: str
    count: int


@strawberry.type(description="A facet (sector, theme, concept, publisher, city, country, format, licence, type).")
class Facet:
    name: str
    values: list[FacetCount]


@strawberry.type(description="Ranked results across languages and city vocabularies, with facet counts.")
class SearchResults:
    total_count: int
    results: list[SearchHit]
    facets: list[Facet]


def service(info: strawberry.Info) -> Any:
    request = getattr(info.context, "request", None)
    search = getattr(getattr(getattr(request, "app", None), "state", None), "search", None)
    if search is None:
        raise ValueError("search is not available on this server")
    return search


def run(info: strawberry.Info, q: str, filters: list[str], types: list[str] | None, expand: bool, size: int,
        lang: str | None, page: int = 1) -> Any:
    from agora.kg.search.params import parse_filters
    from agora.kg.search.results import SearchRequest

    req = SearchRequest(q=q, filters=parse_filters(filters), expand=expand, size=size, types=types, page=page,
                        lang=lang or (info.context.languages[0] if info.context.languages else None))
    return service(info).search(req)


async def resolve_search(info: strawberry.Info, q: str, filter: list[str] | None = None,
                         types: list[str] | None = None, expand: bool = True, first: int = 10,
                         lang: str | None = None) -> SearchResults:
    response = await asyncio.to_thread(run, info, q, filter or [], types, expand, min(max(first, 0), 100), lang)
    return SearchResults(
        total_count=response.total,
        results=[SearchHit(iri=h.iri, type=h.type, title=h.title, snippet=h.snippet, score=h.score,
                           why=[MatchReason(kind=r.kind, terms=list(r.terms), concept=r.concept,
                                            concept_label=r.concept_label,
                                            via=[f"{s.relation} {s.concept}" for s in r.via]) for r in h.why])
                 for h in response.results],
        facets=[Facet(name=name, values=[FacetCount(value=v.value, label=v.label, count=v.count) for v in values])
                for name, values in response.facets.items()])


async def matching_datasets(info: strawberry.Info, q: str, limit: int = 10_000) -> frozenset[str]:
    """IRIs of the datasets a search finds (for `datasets(search:)`, applied like the other filters)."""
    found: set[str] = set()
    for page in range(1, limit // 100 + 1):
        response = await asyncio.to_thread(run, info, q, [], ["dataset"], True, 100, None, page)
        found.update(h.iri for h in response.results)
        if len(response.results) < 100:
            break
    return frozenset(found)
