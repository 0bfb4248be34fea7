"""The search index follows the store: loads, replaces and deletes are searchable when they return,
failed writes change nothing, start-up repairs disagreement, reindex rebuilds, and facts borrowed
from other sources (place geometry) are refreshed when those sources change."""

from __future__ import annotations

from pathlib import Path

import pytest

from agora.kg.config import load_settings
from agora.kg.errors import AgoraError
from agora.kg.loader import delete_source, load_files
from agora.kg.search import extract
from agora.kg.search.geo import parse_bbox
from agora.kg.search.indexer import SearchIndex
from agora.kg.search.results import SearchRequest
from agora.kg.search.service import SearchService
from agora.kg.store import AgoraStore

PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix agora: <https://w3id.org/agora/ns#> .
@prefix ex: <https://example.org/> .
"""


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.ttl"
    path.write_text(PREFIXES + body, encoding="utf-8")
    return path


def _load(store: AgoraStore, path: Path, name: str, *, replace: bool = False) -> None:
    load_files(store, [path], name=name, replace=replace, validate=False)


def _iris(service: SearchService, q: str = "", **kw: object) -> set[str]:
    """Dataset IRIs found (the background vocabularies hold concepts that match too)."""
    req = SearchRequest(q=q, size=100, facets=[], types=["dataset"], **kw)  # type: ignore[arg-type]
    return {h.iri for h in service.search(req).results}


DATASET = """ex:ds1 a dcat:Dataset ; dct:title "Luftkvalitet i Aarhus"@da , "Air quality in Aarhus"@en ;
  dct:spatial ex:aarhus ; dcat:keyword "luftforurening"@da .
"""
PLACE = """ex:aarhus a dct:Location ; skos:prefLabel "Aarhus"@da ;
  dcat:bbox "POLYGON((10.1 56.1, 10.3 56.1, 10.3 56.2, 10.1 56.2, 10.1 56.1))" ;
  agora:country <http://publications.europa.eu/resource/authority/country/DNK> .
"""


@pytest.fixture
def service(store: AgoraStore) -> SearchService:
    svc = SearchService.attach(store)
    yield svc
    svc.detach()


def test_load_replace_delete_are_searchable_when_they_return(store: AgoraStore, service: SearchService,
                                                            tmp_path: Path) -> None:
    _load(store, _write(tmp_path, "a", DATASET), "a")
    assert "https://example.org/ds1" in _iris(service, "luftkvalitet")
    # Danish stemming: the plural form finds the singular title word.
    assert "https://example.org/ds1" in _iris(service, "luftforureningen")

    _load(store, _write(tmp_path, "a2", DATASET.replace("Aarhus", "Odense")), "a", replace=True)
    assert "https://example.org/ds1" in _iris(service, "odense")
    assert "https://example.org/ds1" not in _iris(service, "aarhus")

    delete_source(store, "a")
    assert _iris(service, "luftkvalitet") == set()
    assert service.status()["disagreement"] == {"missing": [], "stale": [], "extra": []}


def test_failed_write_leaves_search_as_it_was(store: AgoraStore, service: SearchService, tmp_path: Path) -> None:
    _load(store, _write(tmp_path, "a", DATASET), "a")
    before = service.status()
    broken = _write(tmp_path, "broken", DATASET.replace("Aarhus", "Odense") + "ex:x ex:y ")
    with pytest.raises(AgoraError):
        _load(store, broken, "a", replace=True)
    assert service.status()["sources"] == before["sources"]
    assert "https://example.org/ds1" in _iris(service, "aarhus")
    assert _iris(service, "odense") == set()


def test_indexing_failure_does_not_fail_the_write_and_is_repaired(store: AgoraStore, service: SearchService,
                                                                  tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    original = extract.Extractor.documents

    def broken(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        raise RuntimeError("disk full")

    monkeypatch.setattr(extract.Extractor, "documents", broken)
    _load(store, _write(tmp_path, "a", DATASET), "a")  # the store commit stands
    assert store.get("a") is not None
    assert service.index.dirty == {"a"}
    monkeypatch.setattr(extract.Extractor, "documents", original)
    assert "https://example.org/ds1" in _iris(service, "aarhus")  # the next search repairs
    assert service.index.dirty == set()


def test_borrowed_facts_follow_the_source_that_describes_them(store: AgoraStore, service: SearchService,
                                                             tmp_path: Path) -> None:
    """The dataset names its place; the place's box and country are in another source, loaded later."""
    _load(store, _write(tmp_path, "data", DATASET), "data")
    around_aarhus = parse_bbox("10.0,56.0,10.4,56.3")
    assert _iris(service, bbox=around_aarhus) == set()
    _load(store, _write(tmp_path, "places", PLACE), "places")
    assert "https://example.org/ds1" in _iris(service, bbox=around_aarhus)
    assert "https://example.org/ds1" in _iris(service, filters={"country": ["DNK"]})
    moved = PLACE.replace("10.1 56.1, 10.3 56.1, 10.3 56.2, 10.1 56.2, 10.1 56.1",
                          "12.4 55.6, 12.6 55.6, 12.6 55.7, 12.4 55.7, 12.4 55.6")
    _load(store, _write(tmp_path, "places2", moved), "places", replace=True)
    assert _iris(service, bbox=around_aarhus) == set()
    assert "https://example.org/ds1" in _iris(service, bbox=parse_bbox("12.3,55.5,12.7,55.8"))
    delete_source(store, "places")
    assert _iris(service, bbox=parse_bbox("12.3,55.5,12.7,55.8")) == set()


def test_start_up_repairs_missing_stale_and_extra_sources(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "data")
    store = AgoraStore(settings)
    service = SearchService.attach(store)
    _load(store, _write(tmp_path, "a", DATASET), "a")
    _load(store, _write(tmp_path, "b", DATASET.replace("ds1", "ds2").replace("Aarhus", "Aalborg")), "b")
    service.detach()
    # Changes made while nothing listens (e.g. `agora load` without a server running).
    _load(store, _write(tmp_path, "a2", DATASET.replace("Aarhus", "Odense")), "a", replace=True)
    delete_source(store, "b")
    _load(store, _write(tmp_path, "c", DATASET.replace("ds1", "ds3").replace("Aarhus", "Vejle")), "c")
    store.close()

    store = AgoraStore(settings)
    try:
        before = SearchIndex(settings.data_dir / "search").disagreement(store)
        assert before == {"missing": ["c"], "stale": ["a"], "extra": ["b"]}
        service = SearchService.attach(store)
        assert service.status()["disagreement"] == {"missing": [], "stale": [], "extra": []}
        assert _iris(service, "odense") == {"https://example.org/ds1"}
        assert _iris(service, "aalborg") == set()
        assert _iris(service, "vejle") == {"https://example.org/ds3"}
        service.detach()
    finally:
        store.close()


def test_reindex_rebuilds_the_same_index(store: AgoraStore, service: SearchService, tmp_path: Path) -> None:
    _load(store, _write(tmp_path, "a", DATASET), "a")
    _load(store, _write(tmp_path, "places", PLACE), "places")
    before = service.status()
    stats = service.reindex()
    after = service.status()
    assert stats.documents == after["documents"] == before["documents"]
    assert after["sources"] == before["sources"]
    assert "https://example.org/ds1" in _iris(service, bbox=parse_bbox("10.0,56.0,10.4,56.3"))


def test_an_index_of_another_format_is_rebuilt(store: AgoraStore, tmp_path: Path) -> None:
    _load(store, _write(tmp_path, "a", DATASET), "a")
    service = SearchService.attach(store)
    path = service.index.path
    service.detach()
    del service
    (path / "agora-search.json").write_text('{"schema": -1}')
    service = SearchService.attach(store)
    assert "https://example.org/ds1" in _iris(service, "aarhus")
    service.detach()


def test_rows_that_come_back_split_are_reread_whole() -> None:
    """Extraction streams rows grouped by subject as the store returns them; if a subject's rows are
    split, its document is read again whole and replaces the partial one."""
    import pyoxigraph as ox

    title, keyword = ox.NamedNode(extract.DCT + "title"), ox.NamedNode(extract.DCAT + "keyword")
    s1, s2 = ox.NamedNode("https://example.org/1"), ox.NamedNode("https://example.org/2")

    class FakeOx:
        def query(self, text: str, default_graph: object = None) -> list[tuple[object, object, object]]:
            if "VALUES ?s" in text:
                return [(s1, title, ox.Literal("one", language="en")), (s1, keyword, ox.Literal("uno"))]
            return [(s1, title, ox.Literal("one", language="en")), (s2, title, ox.Literal("two")),
                    (s1, keyword, ox.Literal("uno"))]

    class FakeStore:
        ox = FakeOx()

    docs = list(extract.Extractor(FakeStore())._stream("src", ox.NamedNode("urn:g"), extract.DCAT + "Dataset",
                                                       "dataset", set(), FakeStore.ox))
    assert [(d.iri.rsplit("/", 1)[1], d.replaces) for d in docs] == [("1", False), ("2", False), ("1", True)]
    assert docs[-1].titles == [("one", "en")] and docs[-1].keywords == [("uno", None)]
