"""The fast paths of index building keep the documents exactly as they were: the nested values read
once per source (not per type) land on the same documents, per-row value handling follows each
predicate's role, and `to_json` is byte for byte the straightforward version it replaced."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime
from typing import Any

import pyoxigraph as ox

from agora.kg.search import extract
from agora.kg.search import schema as S
from agora.kg.search.extract import EU_COUNTRY, EU_THEME, Extractor, IndexDoc
from agora.kg.search.geo import BBox
from agora.kg.search.indexer import SECTOR_PREFIX, display_record, to_json

GRAPH = ox.NamedNode("urn:agora:g:test/1")
EX = "https://example.org/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA = "https://www.iana.org/assignments/media-types/"
LICENCE = "http://publications.europa.eu/resource/authority/licence/"

TURTLE = f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix agora: <https://w3id.org/agora/ns#> .
@prefix ex: <{EX}> .
ex:ds1 a dcat:Dataset ; dct:title "Air quality"@en-GB , "Luftkvalitet"@da , "  " ;
  dcat:keyword "air"@en , ex:not-a-literal ; dct:description "Hourly readings." ;
  dcat:theme <{EU_THEME}ENVI> , "not an IRI" ; dct:spatial ex:aarhus , [ dcat:bbox "POINT(10 56)" ] ;
  dct:modified "2020-01-01" , "2021-06-30T12:00:00Z" ; dct:issued "2019" ; dct:identifier "ds-1" ;
  dcat:distribution ex:d1 , ex:d2 , ex:d3 ;
  dct:temporal [ dcat:startDate "2018-01-01" ; dcat:endDate "2019" ] , [ dcat:startDate "2017-05-01" ] .
ex:d1 dct:format <{FILE_TYPE}CSV> ; dcat:mediaType <{MEDIA}text/csv> ; dct:license <{LICENCE}CC0> .
ex:d2 dct:format "csv" ; dcat:mediaType <{MEDIA}application/json> .
ex:d3 dcat:mediaType <{MEDIA}text/plain> ; dct:license "free text" .
ex:svc a dcat:DataService ; dct:title "Air API"@en ; dcat:distribution ex:d1 .
ex:both a dcat:Dataset , foaf:Organization ; foaf:name "Both"@en ; dcat:distribution ex:d3 .
ex:org a foaf:Organization ; foaf:name "Org"@en ; dcat:distribution ex:d1 .
ex:uc a agora:UseCase ; dct:title "Clean air"@en ; agora:dataFlow [ agora:flowDataset ex:ds1 ] ;
  dcat:distribution ex:d1 .
"""


class _Store:
    """Just what `Extractor` uses of `AgoraStore`: the pyoxigraph store and the public graphs."""

    def __init__(self) -> None:
        self.ox = ox.Store()
        self.ox.load(TURTLE.encode(), ox.RdfFormat.TURTLE, to_graph=GRAPH)

    def public_physical_graphs(self) -> list[ox.NamedNode]:
        return [GRAPH]


def _docs() -> dict[str, IndexDoc]:
    return {d.iri.removeprefix(EX): d for d in Extractor(_Store()).documents("test", GRAPH)}


def test_nested_values_read_once_land_on_the_documents_of_the_types_that_take_them() -> None:
    docs = _docs()
    assert {k: d.type for k, d in docs.items()} == {
        "ds1": S.DATASET, "svc": S.SERVICE, "both": S.DATASET, "org": S.STAKEHOLDER, "uc": S.USECASE}
    ds1 = docs["ds1"]
    # An IRI format wins over the media type; a literal format lets the media type through; no format too.
    assert ds1.formats == {FILE_TYPE + "CSV", MEDIA + "application/json", MEDIA + "text/plain"}
    assert ds1.licences == {LICENCE + "CC0"}
    assert ds1.t_start == datetime(2017, 5, 1, tzinfo=UTC)
    assert ds1.t_end == datetime(2019, 12, 31, tzinfo=UTC)
    assert ds1.bbox == BBox(10, 56, 10, 56) and ds1.has_inline_spatial
    assert docs["svc"].formats == {FILE_TYPE + "CSV"} and docs["svc"].licences == {LICENCE + "CC0"}
    assert docs["both"].formats == {MEDIA + "text/plain"}  # a dataset first, so it takes dataset values
    assert docs["org"].formats == set() and docs["org"].licences == set()
    assert docs["uc"].uses == {EX + "ds1"} and docs["uc"].formats == set()
    assert docs["ds1"].uses == set()


def test_each_value_goes_where_its_role_says() -> None:
    ds1 = _docs()["ds1"]
    assert sorted(ds1.titles) == [("Air quality", "en"), ("Luftkvalitet", "da")]  # blank text is dropped
    assert ds1.keywords == [("air", "en")]  # an IRI is no keyword
    assert ds1.bodies == [("Hourly readings.", None)]
    assert ds1.themes == {EU_THEME + "ENVI"}  # a literal is no theme
    assert ds1.spatial == {EX + "aarhus"}
    assert ds1.modified == datetime(2021, 6, 30, 12, tzinfo=UTC)
    assert ds1.issued == datetime(2019, 1, 1, tzinfo=UTC)
    assert ds1.context[0] == "ds-1"


def test_the_role_table_covers_every_predicate() -> None:
    assert set(extract._PLANS) == {iri for iri, _role in extract._PREDICATES}


# -- to_json ---------------------------------------------------------------------------------------

def _reference_to_json(doc: IndexDoc) -> str:
    """`to_json` as it was written before it was made fast: the specification of its output."""
    def rfc3339(value: datetime | None) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        lo, hi = datetime(1678, 1, 1, tzinfo=UTC), datetime(2262, 1, 1, tzinfo=UTC)
        return min(max(value, lo), hi).strftime("%Y-%m-%dT%H:%M:%SZ")

    out: dict[str, Any] = {S.IRI: doc.iri, S.TYPE: doc.type, S.SOURCE: doc.source}
    themes = sorted(doc.themes)
    out[S.THEME] = [t for t in themes if t.startswith(EU_THEME)]
    out[S.CONCEPT_FACET] = [t for t in themes if not t.startswith((EU_THEME, SECTOR_PREFIX))]
    out[S.SECTOR] = sorted(doc.sectors | {t for t in themes if t.startswith(SECTOR_PREFIX)})
    out[S.ALL_CONCEPTS] = sorted(doc.themes | doc.sectors | ({doc.iri} if doc.type == S.CONCEPT else set()))
    out[S.PUBLISHER] = sorted(doc.publishers)
    out[S.CITY] = sorted(s for s in doc.spatial if not s.startswith(EU_COUNTRY))
    out[S.COUNTRY] = sorted(doc.countries)
    out[S.FORMAT] = sorted(doc.formats)
    out[S.LICENCE] = sorted(doc.licences)
    out[S.REFS] = sorted(doc.refs)
    out[S.USES] = sorted(doc.uses)
    for group, values in (("title", doc.titles), ("kw", doc.keywords), ("body", doc.bodies)):
        neutral: list[str] = []
        for text, lang in values:
            neutral.append(text)
            if lang in S.LANGUAGES:
                out.setdefault(S.text_field(group, lang), []).append(text)
        out[S.text_field(group, S.NEUTRAL)] = neutral
    out[S.CONTEXT] = doc.context
    for name, value in ((S.MODIFIED, doc.modified or doc.issued), (S.T_START, doc.t_start), (S.T_END, doc.t_end)):
        text = rfc3339(value)
        if text is not None:
            out[name] = text
    if doc.t_start is not None and doc.t_end is None:
        out[S.T_END] = "2262-01-01T00:00:00Z"
    if doc.t_end is not None and doc.t_start is None:
        out[S.T_START] = "1678-01-01T00:00:00Z"
    if doc.bbox is not None:
        out[S.MIN_LON], out[S.MIN_LAT], out[S.MAX_LON], out[S.MAX_LAT] = doc.bbox.to_list()
    # The display record is not what changed: the module's own (unchanged) function builds it.
    display = display_record(doc)
    out[S.DISPLAY] = base64.b64encode(json.dumps(display, ensure_ascii=False, separators=(",", ":")).encode()).decode()
    return json.dumps({k: v for k, v in out.items() if v not in ([], None)}, ensure_ascii=False)


def _random_doc(rng: random.Random) -> IndexDoc:
    def some(pool: list[str], most: int = 3) -> set[str]:
        return set(rng.sample(pool, rng.randint(0, min(most, len(pool)))))

    def texts() -> list[tuple[str, str | None]]:
        langs = [None, "en", "da", "fr", "it", "nl"]
        return [(rng.choice(["Luft", "Trafik ø", "Bike \"counts\"", "x" * 700]), rng.choice(langs))
                for _ in range(rng.randint(0, 4))]

    def when() -> datetime | None:
        return rng.choice([None, datetime(2020, 5, 17, 8, 30, 5, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC),
                           datetime(1, 1, 1, tzinfo=UTC), datetime(2001, 2, 3)])

    doc_type = rng.choice([S.DATASET, S.CONCEPT, S.SERVICE])
    doc = IndexDoc(iri=f"{EX}{rng.randint(0, 99)}", type=doc_type, source=rng.choice(["a", "b"]))
    doc.themes = some([EU_THEME + "ENVI", EU_THEME + "TRAN", SECTOR_PREFIX + "mobility", EX + "concept/1"])
    doc.sectors = some([SECTOR_PREFIX + "energy", SECTOR_PREFIX + "mobility"])
    doc.publishers = some([EX + "org/1", EX + "org/2"])
    doc.spatial = some([EX + "city/1", EU_COUNTRY + "DNK", EX + "city/2"])
    doc.countries = some([EU_COUNTRY + "DNK", EU_COUNTRY + "ITA"])
    doc.formats = some([FILE_TYPE + "CSV", FILE_TYPE + "JSON"])
    doc.licences = some([LICENCE + "CC0"])
    doc.uses = some([EX + "ds/1", EX + "ds/2"])
    doc.titles, doc.keywords, doc.bodies = texts(), texts(), texts()
    doc.context = [t for t, _ in texts()]
    doc.modified, doc.issued, doc.t_start, doc.t_end = when(), when(), when(), when()
    doc.bbox = rng.choice([None, BBox(10.5, 56.0, 10.75, 56.25), BBox(0.0, 0.0, 0.0, 0.0)])
    return doc


def test_to_json_is_byte_for_byte_the_reference() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        doc = _random_doc(rng)
        assert to_json(doc) == _reference_to_json(doc)
