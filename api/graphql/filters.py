"""Dataset filters: GraphQL input types and their translation into SPARQL constraints.

Every condition becomes a graph pattern over ?item, and conditions are simply concatenated, so
they combine with AND; the values inside one condition combine with OR. User input reaches the
query only through `iri_ref` and `string_literal`, which escape or reject it.
"""

from __future__ import annotations

import asyncio
import datetime
import importlib
from dataclasses import dataclass
from typing import Any

import strawberry

from agora.kg.graph_access import iri_ref, string_literal
from agora.kg.namespaces import AGORA, DCAT, DCT, SECTOR, SKOS, XSD

EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
TAGS = f"(<{DCAT}theme>|<{AGORA}sector>)"
"""A dataset is tagged with a concept by dcat:theme (EU themes, local terms) or agora:sector."""
MAPPED = f"(<{SKOS}exactMatch>|^<{SKOS}exactMatch>|<{SKOS}closeMatch>|^<{SKOS}closeMatch>)"
"""One SKOS mapping hop, in either direction. Tagged-with-the-concept is a separate UNION branch rather
than a `?` (zero-or-one) path: Virtuoso 7 evaluates that path form wrongly, and the UNION means the same."""
_POINT = r"^.*POINT\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+).*$"


def _policy_engine() -> Any | None:
    """The policy module when the policy engine is installed (it lands separately)."""
    try:
        module = importlib.import_module("agora.kg.policy")
    except ImportError:
        return None
    return module if hasattr(module, "usable_datasets") else None


POLICY = _policy_engine()


@strawberry.input(description="An inclusive range of dates (either end may be open).")
class DateRange:
    from_: datetime.date | None = strawberry.field(name="from", default=None)
    to: datetime.date | None = None


@strawberry.input(description="A WGS84 box; matches datasets whose place's dcat:centroid POINT lies inside.")
class BoundingBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


@strawberry.input(description="Only datasets this stakeholder may use for this purpose (policy engine).")
class UsableBy:
    stakeholder: str = strawberry.field(description="IRI (or CURIE) of the stakeholder.")
    purpose: str | None = strawberry.field(default=None, description="Purpose IRI or CURIE (`purpose:research`).")
    action: str = strawberry.field(default="odrl:use", description="ODRL action IRI or CURIE.")


@strawberry.input(name="DatasetFilterFields", description="The conditions of DatasetFilter (not used directly).")
class _DatasetFilterFields:
    text: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the title, description or a keyword.")
    sector: list[str] | None = strawberry.field(
        default=None, description="Agora sectors (IRI or notation such as `mobility`); any of them.")
    theme: list[str] | None = strawberry.field(
        default=None, description="Concepts the dataset is tagged with (dcat:theme or agora:sector): IRIs or "
                                  "EU data-theme codes such as `TRAN`; any of them.")
    expand: bool = strawberry.field(
        default=False, description="Also match concepts mapped to `theme` (skos:exactMatch/closeMatch, both ways).")
    publisher: list[str] | None = strawberry.field(default=None, description="Publisher IRIs; any of them.")
    city: list[str] | None = strawberry.field(
        default=None, description="Place IRIs; datasets covering the place or a part of it (dct:spatial).")
    country: list[str] | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-3 codes (`DNK`) or EU country IRIs; covered directly or "
                                  "through a place in that country.")
    format: list[str] | None = strawberry.field(
        default=None, description="A distribution's format: EU file-type code (`CSV`), media type (`text/csv`) "
                                  "or IRI; any of them.")
    licence: list[str] | None = strawberry.field(
        default=None, description="A distribution's licence: EU licence code (`CC0`) or IRI; any of them.")
    modified: DateRange | None = strawberry.field(default=None, description="dct:modified within the range.")
    issued: DateRange | None = strawberry.field(default=None, description="dct:issued within the range.")
    bbox: BoundingBox | None = strawberry.field(default=None, description="Spatial coverage centroid in the box.")


if POLICY is not None:
    @strawberry.input(name="DatasetFilter", description="Conditions on datasets, combined with AND.")
    class DatasetFilter(_DatasetFilterFields):
        usable_by: UsableBy | None = strawberry.field(
            default=None, description="Only datasets the stakeholder may use (ODRL policy engine).")
else:
    @strawberry.input(name="DatasetFilter", description="Conditions on datasets, combined with AND.")
    class DatasetFilter(_DatasetFilterFields):  # type: ignore[no-redef]
        pass


def _code_or_iri(value: str, base: str) -> str:
    value = value.strip()
    if "://" in value or value.startswith("urn:"):
        return value
    return base + value.upper()


def sector_iri(value: str) -> str:
    """An Agora sector IRI from an IRI or a notation (`mobility`, `air-quality`)."""
    value = value.strip()
    return value if "://" in value else SECTOR + value.lower()


def _values(var: str, iris: list[str]) -> str:
    return f"VALUES {var} {{ {' '.join(iri_ref(i) for i in iris)} }}"


def _format_iri(value: str) -> str:
    value = value.strip()
    if "://" in value:
        return value
    if "/" in value:
        return IANA + value.lower()
    return EU + "file-type/" + value.upper()


def _date_range(var: str, path: str, r: DateRange) -> str:
    conds = []
    if r.from_ is not None:
        conds.append(f"SUBSTR(STR({var}), 1, 10) >= {string_literal(r.from_.isoformat())}")
    if r.to is not None:
        conds.append(f"SUBSTR(STR({var}), 1, 10) <= {string_literal(r.to.isoformat())}")
    if not conds:
        return ""
    return f"?item <{path}> {var} . FILTER({' && '.join(conds)})"


def _bbox(b: BoundingBox) -> str:
    regex = string_literal(_POINT)
    lon = f"<{XSD}double>(REPLACE(STR(?f_wkt), {regex}, \"$1\", \"s\"))"
    lat = f"<{XSD}double>(REPLACE(STR(?f_wkt), {regex}, \"$2\", \"s\"))"
    return (f"?item <{DCT}spatial>/<{DCAT}centroid> ?f_wkt . BIND({lon} AS ?f_lon) BIND({lat} AS ?f_lat) "
            f"FILTER(?f_lon >= {float(b.min_lon)!r} && ?f_lon <= {float(b.max_lon)!r} && "
            f"?f_lat >= {float(b.min_lat)!r} && ?f_lat <= {float(b.max_lat)!r})")


def concept_tagged(concepts_var: str, expand: bool) -> str:
    """Datasets tagged with one of the concepts in `concepts_var` (or a mapped one if `expand`)."""
    if expand:
        return (f"{{ ?item {TAGS} {concepts_var} }} UNION "
                f"{{ {concepts_var} {MAPPED} ?f_tag . ?item {TAGS} ?f_tag }}")
    return f"?item {TAGS} {concepts_var} ."


def constraints_sync(store: Any, f: Any) -> str:
    """The SPARQL constraints for a DatasetFilter (empty string when there is none)."""
    if f is None:
        return ""
    parts: list[str] = []
    if f.text:
        needle = string_literal(f.text.lower())
        parts.append(f"FILTER EXISTS {{ ?item (<{DCT}title>|<{DCT}description>|<{DCAT}keyword>) ?f_txt . "
                     f"FILTER(CONTAINS(LCASE(STR(?f_txt)), {needle})) }}")
    if f.sector:
        parts.append(_values("?f_sec", [sector_iri(v) for v in f.sector]))
        parts.append(f"?item <{AGORA}sector> ?f_sec .")
    if f.theme:
        parts.append(_values("?f_theme", [_code_or_iri(v, EU + "data-theme/") for v in f.theme]))
        parts.append(concept_tagged("?f_theme", f.expand))
    if f.publisher:
        parts.append(_values("?f_pub", f.publisher) + f" ?item <{DCT}publisher> ?f_pub .")
    if f.city:
        # The place itself or one of its parts. Zero-length paths (`*`, `?`) are spelled as UNIONs:
        # Virtuoso 7 gets them wrong when the start is bound by VALUES.
        parts.append(_values("?f_city", f.city)
                     + f" {{ ?item <{DCT}spatial> ?f_city }} UNION"
                       f" {{ ?f_city <{DCT}hasPart>+ ?f_place . ?item <{DCT}spatial> ?f_place }}")
    if f.country:
        parts.append(_values("?f_cty", [_code_or_iri(v, EU + "country/") for v in f.country])
                     + f" {{ ?item <{DCT}spatial> ?f_cty }} UNION {{ ?item <{DCT}spatial>/<{AGORA}country> ?f_cty }}")
    if f.format:
        parts.append(_values("?f_fmt", [_format_iri(v) for v in f.format])
                     + f" ?item <{DCAT}distribution>/(<{DCT}format>|<{DCAT}mediaType>) ?f_fmt .")
    if f.licence:
        parts.append(_values("?f_lic", [_code_or_iri(v, EU + "licence/") for v in f.licence])
                     + f" ?item <{DCAT}distribution>/<{DCT}license> ?f_lic .")
    if f.modified:
        parts.append(_date_range("?f_mod", DCT + "modified", f.modified))
    if f.issued:
        parts.append(_date_range("?f_iss", DCT + "issued", f.issued))
    if f.bbox:
        parts.append(_bbox(f.bbox))
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class DatasetConstraints:
    """A filter as SPARQL constraints, plus the datasets the policy engine allows (None: no such condition).

    The allowed set is applied to the cached, sorted list rather than sent in the query, because
    it can hold most of a large catalog.
    """

    sparql: str
    allowed: frozenset[str] | None = None


async def dataset_constraints(ctx: Any, f: Any) -> DatasetConstraints:
    """The constraints of a DatasetFilter; the policy engine runs off the event loop."""
    sparql = constraints_sync(ctx.store, f)
    usable = getattr(f, "usable_by", None) if f is not None else None
    if usable is None or POLICY is None:
        return DatasetConstraints(sparql)
    allowed = await asyncio.to_thread(POLICY.usable_datasets, ctx.store, usable.stakeholder, usable.purpose,
                                      usable.action)
    return DatasetConstraints(sparql, frozenset(allowed))
