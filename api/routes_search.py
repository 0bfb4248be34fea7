"""Cross-sector discovery search over HTTP: /api/search and its companions.

The service lives on `app.state.search` (attached by create_app); if it is missing, the first
request attaches it, so the router also works when only included.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from agora.kg.search.params import parse_facets, parse_filters, parse_period, parse_when, read_bbox, read_near
from agora.kg.search.results import SearchRequest, SearchResponse
from agora.kg.search.service import SearchService

from .auth import require_scope

router = APIRouter(prefix="/api/search", tags=["search"])
_attach_lock = threading.Lock()


def get_search(request: Request) -> SearchService:
    """The app's search service, attached to its store on first use."""
    state = request.app.state
    service = getattr(state, "search", None)
    if service is None:
        with _attach_lock:
            service = getattr(state, "search", None)
            if service is None:
                service = SearchService.attach(state.store, getattr(state, "settings", None))
                state.search = service
    return service


# -- response models (OpenAPI) -----------------------------------------------------------------------
class MappingStepModel(BaseModel):
    relation: str = Field(description="exactMatch, closeMatch or narrower (SKOS), or feedback")
    concept: str
    label: str | None = None


class ReasonModel(BaseModel):
    kind: str = Field(description="text, concept, mapping, feedback, similar or uses")
    terms: list[str] = Field(default_factory=list, description="query words found (kind text)")
    fields: list[str] = Field(default_factory=list, description="title, keyword, description or context")
    concept: str | None = Field(None, description="the concept that brought the result in")
    concept_label: str | None = None
    matched: str | None = Field(None, description="the concept label found in the query, or the concept "
                                                   "the mapping starts from")
    via: list[MappingStepModel] = Field(default_factory=list, description="mapping path from the matched concept")
    weight: float | None = None


class HitModel(BaseModel):
    iri: str
    type: str = Field(description="dataset, service, stakeholder, usecase, concept, twin or dataspace")
    title: str = Field(description="in the requested language if there is one, else English, else any")
    lang: str | None = None
    snippet: str
    score: float
    source: str = Field(description="the source (named graph) the resource comes from")
    why: list[ReasonModel]


class FacetValueModel(BaseModel):
    value: str
    label: str
    count: int


class ExpandedConceptModel(BaseModel):
    concept: str
    label: str | None = None
    weight: float
    matched: str
    via: list[MappingStepModel] = Field(default_factory=list)


class SearchResponseModel(BaseModel):
    query: str
    total: int
    page: int
    size: int
    results: list[HitModel]
    facets: dict[str, list[FacetValueModel]]
    expansion: list[ExpandedConceptModel] = Field(description="concepts the query was expanded to")
    warnings: list[str]
    took_ms: float


class StatusModel(BaseModel):
    path: str
    documents: int
    size_bytes: int
    sources: dict[str, int]
    disagreement: dict[str, list[str]]
    dirty: list[str]


class ReindexModel(BaseModel):
    documents: int
    sources: list[str]
    seconds: float


def _out(response: SearchResponse) -> dict[str, Any]:
    return response.to_dict()


# -- endpoints --------------------------------------------------------------------------------------
@router.get("", response_model=SearchResponseModel,
            summary="Search datasets, data services, stakeholders, use cases and concepts in every language")
def search(
    request: Request,
    q: Annotated[str, Query(description="words in any language; the last word also matches as a prefix")] = "",
    facet: Annotated[list[str] | None, Query(description="facets to count (sector, theme, concept, publisher, "
                                                         "city, country, format, licence, type, source); "
                                                         "default: all but source; `facet=` for none")] = None,
    filter: Annotated[list[str], Query(description="facet=value, e.g. sector=mobility, country=DNK, "
                                                   "format=CSV; values OR within a facet, AND across")] = [],  # noqa: B006
    type: Annotated[list[str], Query(description="result types (default all)")] = [],  # noqa: B006
    expand: Annotated[bool, Query(description="semantic expansion through SKOS concepts and mappings")] = True,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=0, le=100)] = 10,
    bbox: Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat: coverage intersects")] = None,
    near: Annotated[str | None, Query(description="lat,lon[,km]: coverage within km (default 10)")] = None,
    within: Annotated[str | None, Query(description="a place (IRI or name): coverage is it, a part of it, "
                                                    "or inside it")] = None,
    since: Annotated[str | None, Query(description="modified on or after this date")] = None,
    period: Annotated[str | None, Query(description="coverage overlaps start/end (ISO dates, open ends "
                                                    "allowed: 2020/, /2019, 2022)")] = None,
    lang: Annotated[str | None, Query(description="preferred language for titles and labels")] = None,
    fuzzy: bool = True,
    prefix: bool = True,
    sort: Literal["relevance", "modified"] = "relevance",
    usable_by: Annotated[str | None, Query(alias="usableBy", description="only datasets this stakeholder (IRI) "
                                                                          "may use (ODRL policy engine)")] = None,
    purpose: Annotated[str | None, Query(description="with usableBy: the purpose of use (IRI or CURIE)")] = None,
    action: Annotated[str, Query(description="with usableBy: the action (default odrl:use)")] = "odrl:use",
) -> dict[str, Any]:
    facets = None if facet is None else parse_facets(facet)
    usable = None
    if usable_by:
        from agora.kg.policy import usable_datasets

        usable = usable_datasets(request.app.state.store, usable_by, purpose=purpose, action=action)
    req = SearchRequest(
        q=q, filters=parse_filters(filter), facets=facets, expand=expand, page=page, size=size,
        types=[t.strip().lower() for item in type for t in item.split(",") if t.strip()] or None,
        bbox=read_bbox(bbox), near=read_near(near), within=within,
        since=parse_when(since, what="since") if since else None,
        period=parse_period(period) if period else None, lang=lang, fuzzy=fuzzy, prefix=prefix, sort=sort,
        usable=usable)
    return _out(get_search(request).search(req))


@router.get("/similar", response_model=SearchResponseModel,
            summary="More like this: resources sharing words or (mapped) concepts with the given one")
def similar(request: Request, iri: str, size: Annotated[int, Query(ge=1, le=100)] = 10, lang: str | None = None,
            type: Annotated[list[str], Query(description="result types (default: the type of `iri`)")] = [],  # noqa: B006
            ) -> dict[str, Any]:
    return _out(get_search(request).similar(iri, size=size, lang=lang, types=type or None))


@router.get("/usecases", response_model=SearchResponseModel, summary="The use cases a dataset or service serves")
def usecases(request: Request, iri: str, lang: str | None = None,
             type: Annotated[list[str], Query(description="usecase (default) and/or twin")] = [],  # noqa: B006
             ) -> dict[str, Any]:
    return _out(get_search(request).use_cases(iri, lang=lang, types=type or None))


@router.get("/status", response_model=StatusModel, summary="Index size, indexed source versions, disagreement")
def status(request: Request) -> dict[str, Any]:
    return get_search(request).status()


@router.post("/reindex", response_model=ReindexModel, summary="Rebuild the search index from the store (admin)")
def reindex(request: Request) -> dict[str, Any]:
    require_scope(request, "admin")
    stats = get_search(request).reindex()
    return {"documents": stats.documents, "sources": stats.sources, "seconds": round(stats.seconds, 3)}
