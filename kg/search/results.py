"""What a search answers with: plain dataclasses, shared by the HTTP API, the CLI and the tests."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .facets import FacetValue
from .geo import BBox


@dataclass
class SearchRequest:
    """Everything a search can be asked; the defaults give a plain ranked, expanded, faceted search."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    """Facet name -> accepted values (OR within a facet, AND between facets)."""
    facets: list[str] | None = None
    """Facets to count; None for the default set, [] for none."""
    facet_size: int = 20
    expand: bool = True
    page: int = 1
    size: int = 10
    types: list[str] | None = None
    """Result types (dataset, service, stakeholder, usecase, concept, twin, dataspace); None for all."""
    bbox: BBox | None = None
    near: tuple[float, float, float] | None = None
    """(lat, lon, km): coverage within km of the point."""
    within: str | None = None
    """A place (IRI, name or label): coverage is that place, one of its parts, or inside its box."""
    since: datetime | None = None
    """Modified on or after."""
    period: tuple[datetime | None, datetime | None] | None = None
    """Temporal coverage overlaps this period (either end open)."""
    lang: str | None = None
    """Preferred language for titles, snippets and labels."""
    usable: set[str] | None = None
    """Policy hook: when set, only these datasets may appear (other result types are unaffected)."""
    fuzzy: bool = True
    prefix: bool = True
    sort: str = "relevance"
    """relevance or modified (newest first); an empty query sorts by modified."""


@dataclass
class MappingStep:
    relation: str
    concept: str
    label: str | None = None


@dataclass
class Reason:
    """Why a result matched. kind: text (query words in its text), concept (it is classified by a
    concept the query names), mapping (by a concept reached through SKOS mappings or hierarchy),
    feedback (classified like the best text matches), similar (shares concepts with the dataset it is
    like), uses (the use case uses the dataset)."""

    kind: str
    terms: list[str] = field(default_factory=list)
    """Query words found; "word≈indexed" when found by typo tolerance."""
    fields: list[str] = field(default_factory=list)
    """title, keyword, description; context for publisher and place names."""
    concept: str | None = None
    concept_label: str | None = None
    matched: str | None = None
    """The concept label found in the query (or the concept the mapping starts from)."""
    via: list[MappingStep] = field(default_factory=list)
    weight: float | None = None


@dataclass
class SearchHit:
    iri: str
    type: str
    title: str
    lang: str | None
    snippet: str
    score: float
    source: str
    why: list[Reason] = field(default_factory=list)


@dataclass
class ExpandedConcept:
    concept: str
    label: str | None
    weight: float
    matched: str
    via: list[MappingStep] = field(default_factory=list)


@dataclass
class SearchResponse:
    query: str
    total: int
    page: int
    size: int
    results: list[SearchHit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    expansion: list[ExpandedConcept] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    took_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
