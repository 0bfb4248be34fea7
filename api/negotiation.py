"""Content negotiation shared by /sparql, /store, /catalog and resource pages."""

from __future__ import annotations

import pyoxigraph as ox

from agora.kg.errors import BadInput
from agora.kg.rdfio import parse_format

SELECT_BY_MEDIA = {
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_BY_MEDIA = {
    "text/turtle": ox.RdfFormat.TURTLE, "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/trig": ox.RdfFormat.TRIG, "application/n-quads": ox.RdfFormat.N_QUADS,
}


def _accepted(accept: str) -> list[str]:
    """Media types in preference order (q-values honoured, stable for ties)."""
    items = []
    for i, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            items.append((-q, i, fields[0].lower()))
    return [m for _, _, m in sorted(items)]


def select_format(accept: str | None, explicit: str | None) -> str:
    if explicit:
        key = explicit.lower()
        if key in ("json", "xml", "csv", "tsv"):
            return key
        if key in SELECT_BY_MEDIA:
            return SELECT_BY_MEDIA[key]
        raise BadInput(f"unknown result format {explicit!r}; use json, xml, csv or tsv")
    for media in _accepted(accept or ""):
        if media in SELECT_BY_MEDIA:
            return SELECT_BY_MEDIA[media]
    return "json"


def graph_format(accept: str | None, explicit: str | None, default: ox.RdfFormat = ox.RdfFormat.TURTLE,
                 allow_datasets: bool = True) -> ox.RdfFormat:
    if explicit:
        return parse_format(explicit)
    for media in _accepted(accept or ""):
        fmt = GRAPH_BY_MEDIA.get(media)
        if fmt is not None and (allow_datasets or not fmt.supports_datasets):
            return fmt
    return default


def wants_html(accept: str | None) -> bool:
    prefs = _accepted(accept or "")
    for media in prefs:
        if media in ("text/html", "application/xhtml+xml"):
            return True
        if media in GRAPH_BY_MEDIA or media in SELECT_BY_MEDIA:
            return False
    return False
