"""One dataset described by two sources is linked once and counted once."""

from __future__ import annotations

import pyoxigraph as ox

from agora.kg.duplicates import LINKS_SOURCE, find_duplicates, relink
from agora.kg.loader import delete_source, load_documents
from agora.kg.rdfio import RDFInput
from agora.kg.search.results import SearchRequest
from agora.kg.search.service import SearchService
from agora.kg.store import AgoraStore

CITY = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://city.example.org/ds/noise> a dcat:Dataset ; dct:title "Noise map of Riverton"@en ;
  dct:description "Road noise."@en ; dct:identifier "riverton-noise" .
<https://city.example.org/ds/trees> a dcat:Dataset ; dct:title "Street trees of Riverton"@en ;
  dct:description "Trees."@en ; dct:identifier "riverton-trees" .
"""
PORTAL = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix adms: <http://www.w3.org/ns/adms#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://portal.example.eu/dataset/1> a dcat:Dataset ; dct:title "Noise map of Riverton"@en ;
  dct:description "Road noise (national copy)."@en ; dct:identifier "riverton-noise" .
<https://portal.example.eu/dataset/2> a dcat:Dataset ; dct:title "Street trees of Riverton"@en ;
  dct:description "Trees (national copy)."@en ; owl:sameAs <https://city.example.org/ds/trees> .
<https://portal.example.eu/dataset/3> a dcat:Dataset ; dct:title "Bridges of Riverton"@en ;
  dct:description "Bridges."@en ; adms:identifier [ skos:notation "riverton-bridges" ] .
"""
OTHER = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix adms: <http://www.w3.org/ns/adms#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://region.example.eu/ds/bridges> a dcat:Dataset ; dct:title "Bridges of Riverton"@en ;
  dct:description "Bridges (regional copy)."@en ; adms:identifier [ skos:notation "riverton-bridges" ] .
"""


def _load(store: AgoraStore, name: str, text: str) -> None:
    load_documents(store, [RDFInput.from_bytes(text.encode(), name=name, fmt=ox.RdfFormat.TURTLE)], name=name,
                   validate=False)


def test_shared_identifiers_and_same_as_make_one_group_with_the_directly_curated_record_first(
        store: AgoraStore) -> None:
    _load(store, "city", CITY)
    _load(store, "portal", PORTAL)
    _load(store, "region", OTHER)
    links = find_duplicates(store, harvested={"portal", "region"})
    assert links == {
        "https://portal.example.eu/dataset/1": "https://city.example.org/ds/noise",
        "https://portal.example.eu/dataset/2": "https://city.example.org/ds/trees",
        # Neither bridges record is curated directly: the smaller IRI is canonical.
        "https://region.example.eu/ds/bridges": "https://portal.example.eu/dataset/3",
    }


def test_links_are_stored_searched_once_and_dropped_with_their_source(store: AgoraStore) -> None:
    search = SearchService.attach(store)
    try:
        _load(store, "city", CITY)
        _load(store, "portal", PORTAL)
        assert _noise_hits(search) == {"https://city.example.org/ds/noise", "https://portal.example.eu/dataset/1"}
        total_before = search.search(SearchRequest(q="Riverton")).total
        relink(store, harvested={"portal"})
        same_as = store.ox.query(
            "ASK { ?a <http://www.w3.org/2002/07/owl#sameAs> <https://city.example.org/ds/noise> }",
            use_default_graph_as_union=True)
        assert bool(same_as)
        assert _noise_hits(search) == {"https://city.example.org/ds/noise"}
        # Two records (noise, trees) are duplicates: the total counts each group once.
        assert search.search(SearchRequest(q="Riverton")).total == total_before - 2
        delete_source(store, "city")
        relink(store, harvested={"portal"})
        assert store.get(LINKS_SOURCE) is None
        assert _noise_hits(search) == {"https://portal.example.eu/dataset/1"}  # the portal's copy, now alone
    finally:
        search.detach()


def _noise_hits(search: SearchService) -> set[str]:
    found = search.search(SearchRequest(q="Noise map of Riverton", size=50))
    return {h.iri for h in found.results if h.title.startswith("Noise map")}
